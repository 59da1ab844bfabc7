"""ChaCha20 in numba, for one lesson only: why brute-forcing a key fails.

**Nothing in this course protects data with this code.** Everything that encrypts for real uses the
``cryptography`` package (OpenSSL underneath). This kernel exists so a reader can search a
deliberately tiny key space, measure keys per second on their own machine, and extrapolate to 128
and 256 bits.

The ChaCha20 block function (RFC 8439, section 2.3): a 4x4 state of 32-bit words (constants, key,
block counter, nonce) goes through 20 rounds of add-rotate-xor quarter rounds; the input is added
back, and the 64 bytes are the keystream block. Encryption XORs plaintext with the keystream.

The search kernel ``_search_cpu`` processes ``LANES`` candidate keys together: every statement of
the rounds is a loop over lanes, which LLVM turns into SIMD instructions, so one core tries many keys
per instruction. Its CUDA twin ``_search_cuda`` runs one candidate per GPU thread with the scalar
block function.

References
----------
Y. Nir, A. Langley, "ChaCha20 and Poly1305 for IETF Protocols", RFC 8439, 2018.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from .. import _checks
from .. import backend as _backend
from .._timing import best_time

#: "expand 32-byte k" as four little-endian words.
CONSTANTS = np.array([0x61707865, 0x3320646E, 0x79622D32, 0x6B206574], dtype=np.uint32)
#: Candidate keys processed together by one core in the search kernel (a multiple of the SIMD width).
LANES = 16
#: The key-search slider's range, in unknown key bits (32 only with a CUDA backend, see below).
MIN_BITS, MAX_BITS = 1, 32
#: Most unknown bits searched on the CPU: 2**30 keys at ~3e7 keys/s on 2 cores is about 40 s;
#: 2**32 would take ~2.5 minutes. A GPU tries ~1e10 keys/s, so the CUDA backend allows MAX_BITS.
MAX_BITS_CPU = 30
#: Keys tried by :func:`python_search_rate` at most (a Python loop does ~1e5 keys/s: ~20 s at the cap).
MAX_PYTHON_KEYS = 2_000_000


@register_jitable
def _rotl(v, n):
    return np.uint32((v << np.uint32(n)) | (v >> np.uint32(32 - n)))


@register_jitable
def _qr(x, a, b, c, d):
    """The quarter round on words a, b, c, d of the state ``x`` (uint32 array), in place."""
    x[a] = np.uint32(x[a] + x[b]); x[d] = _rotl(np.uint32(x[d] ^ x[a]), 16)
    x[c] = np.uint32(x[c] + x[d]); x[b] = _rotl(np.uint32(x[b] ^ x[c]), 12)
    x[a] = np.uint32(x[a] + x[b]); x[d] = _rotl(np.uint32(x[d] ^ x[a]), 8)
    x[c] = np.uint32(x[c] + x[d]); x[b] = _rotl(np.uint32(x[b] ^ x[c]), 7)


@register_jitable
def _block(init, x, out):
    """Keystream block for the 16-word input state ``init``; ``x`` is scratch, ``out`` receives 16 words."""
    for i in range(16):
        x[i] = init[i]
    for _ in range(10):              # 10 double rounds = 20 rounds
        _qr(x, 0, 4, 8, 12); _qr(x, 1, 5, 9, 13); _qr(x, 2, 6, 10, 14); _qr(x, 3, 7, 11, 15)   # columns
        _qr(x, 0, 5, 10, 15); _qr(x, 1, 6, 11, 12); _qr(x, 2, 7, 8, 13); _qr(x, 3, 4, 9, 14)   # diagonals
    for i in range(16):
        out[i] = np.uint32(x[i] + init[i])


@njit(cache=True)
def _block_cpu(init):
    x = np.empty(16, np.uint32)
    out = np.empty(16, np.uint32)
    _block(init, x, out)
    return out


def _initial_state(key: bytes, counter: int, nonce: bytes) -> np.ndarray:
    state = np.empty(16, np.uint32)
    state[:4] = CONSTANTS
    state[4:12] = np.frombuffer(key, dtype="<u4")
    state[12] = counter
    state[13:16] = np.frombuffer(nonce, dtype="<u4")
    return state


def _check_key_nonce(key, counter, nonce):
    if not isinstance(key, (bytes, bytearray)) or len(key) != 32:
        raise TypeError("key must be 32 bytes")
    if not isinstance(nonce, (bytes, bytearray)) or len(nonce) != 12:
        raise TypeError("nonce must be 12 bytes")
    return _checks.integer("counter", counter, low=0, high=2**32 - 1)


def chacha20_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    """The 64-byte ChaCha20 keystream block for ``key``, block ``counter`` and ``nonce`` (RFC 8439).

    Computed by the numba kernel; equal to the ``cryptography`` package's ChaCha20 keystream.

    Limits: one 64-byte block per call; ``counter`` 0..2**32 - 1.

    Parameters
    ----------
    key : bytes
        32 bytes.
    counter : int
        Block counter, 0 .. 2**32 - 1.
    nonce : bytes
        12 bytes.

    Examples
    --------
    RFC 8439 section 2.3.2:

    >>> block = chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    >>> block[:8].hex()
    '10f1e7e4d13b5915'
    """
    c = _check_key_nonce(key, counter, nonce)
    return _block_cpu(_initial_state(bytes(key), c, bytes(nonce))).astype("<u4").tobytes()


# --- the key search: kernel and CUDA twin ---------------------------------------------------
#
# The unknown part of the key is its first 32-bit word's low `bits` bits; the rest is known. For a
# candidate k, word 4 of the state is (known_word4 | k). We compare keystream word 0 XOR plaintext
# word 0 with ciphertext word 0 (a 1 in 2**32 false-positive chance per key), then confirm all 16.

@register_jitable
def _qr_lanes(a, b, c, d):
    """The quarter round on rows a, b, c, d of a (16, lanes) state: one candidate key per lane.

    The loop body is straight-line and each row is contiguous, so LLVM vectorizes the loop over
    lanes: with AVX-512, one instruction advances 16 keys.
    """
    for l in range(a.size):
        xa = np.uint32(a[l] + b[l]); xd = _rotl(np.uint32(d[l] ^ xa), 16)
        xc = np.uint32(c[l] + xd); xb = _rotl(np.uint32(b[l] ^ xc), 12)
        xa = np.uint32(xa + xb); xd = _rotl(np.uint32(xd ^ xa), 8)
        xc = np.uint32(xc + xd); xb = _rotl(np.uint32(xb ^ xc), 7)
        a[l] = xa; b[l] = xb; c[l] = xc; d[l] = xd


@njit(parallel=True, cache=True)
def _search_cpu(init, plain, cipher, n_keys, scratch, found):
    n_chunks = scratch.shape[0]
    lanes = scratch.shape[2]
    groups = (n_keys + lanes - 1) // lanes
    per_chunk = (groups + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        x = scratch[ch]                        # (16, lanes) state, allocated once per chunk
        out = np.empty(16, np.uint32)
        one = np.empty(16, np.uint32)
        st = init.copy()
        for g in range(ch * per_chunk, min(groups, (ch + 1) * per_chunk)):
            base = g * lanes
            for i in range(16):
                for l in range(lanes):
                    x[i, l] = init[i]
            for l in range(lanes):
                x[4, l] = np.uint32(init[4] | np.uint32(base + l))
            for _ in range(10):               # 10 double rounds, each quarter round on all lanes
                _qr_lanes(x[0], x[4], x[8], x[12]); _qr_lanes(x[1], x[5], x[9], x[13])
                _qr_lanes(x[2], x[6], x[10], x[14]); _qr_lanes(x[3], x[7], x[11], x[15])
                _qr_lanes(x[0], x[5], x[10], x[15]); _qr_lanes(x[1], x[6], x[11], x[12])
                _qr_lanes(x[2], x[7], x[8], x[13]); _qr_lanes(x[3], x[4], x[9], x[14])
            for l in range(lanes):
                k = base + l
                if k < n_keys and np.uint32(np.uint32(x[0, l] + init[0]) ^ plain[0]) == cipher[0]:
                    st[4] = np.uint32(init[4] | np.uint32(k))
                    _block(st, one, out)       # confirm the whole block before reporting
                    ok = True
                    for i in range(16):
                        if np.uint32(out[i] ^ plain[i]) != cipher[i]:
                            ok = False
                    if ok:
                        found[ch] = k
    return found


@cuda.jit(cache=True)
def _search_cuda(init, plain, cipher, n_keys, found):
    x = cuda.local.array(16, np.uint32)
    st = cuda.local.array(16, np.uint32)
    out = cuda.local.array(16, np.uint32)
    for i in range(16):
        st[i] = init[i]
    for k in range(cuda.grid(1), n_keys, cuda.gridsize(1)):
        st[4] = np.uint32(init[4] | np.uint32(k))
        _block(st, x, out)
        ok = True
        for i in range(16):
            if np.uint32(out[i] ^ plain[i]) != cipher[i]:
                ok = False
        if ok:
            found[0] = k


def _words(block: bytes, name: str) -> np.ndarray:
    if not isinstance(block, (bytes, bytearray)) or len(block) != 64:
        raise TypeError(f"{name} must be 64 bytes (one ChaCha20 block)")
    return np.frombuffer(bytes(block), dtype="<u4").astype(np.uint32)


def search_key(known_key: bytes, unknown_bits: int, nonce: bytes, plaintext: bytes, ciphertext: bytes,
               counter: int = 0, backend: str | None = None) -> int | None:
    """Find the unknown low bits of a ChaCha20 key from one known plaintext/ciphertext block.

    The key is ``known_key`` with the low ``unknown_bits`` bits of its first little-endian 32-bit
    word replaced by the unknown value (those bits of ``known_key`` must be zero). Every candidate
    0 .. 2**unknown_bits - 1 is tried.

    Parameters
    ----------
    known_key : bytes
        32 bytes: the known part of the key, unknown bits zero.
    unknown_bits : int
        1..32.
    nonce : bytes
        12 bytes.
    plaintext, ciphertext : bytes
        One 64-byte block each, ``ciphertext = plaintext XOR keystream(key, counter, nonce)``.
    counter : int
        Block counter of that block.
    backend : {"cpu", "cuda"}, optional
        Override the backend for this call.

    Returns
    -------
    int or None
        The unknown value (the key is ``known_key`` with it OR-ed into word 0), or None.

    Notes
    -----
    Limits: ``unknown_bits`` 1..:data:`MAX_BITS_CPU` (30) on the CPU, where 2**30 keys take about
    40 s on 2 cores, and 1..:data:`MAX_BITS` (32) on a CUDA backend; above the CPU cap a ValueError
    gives the estimated time (2**32 keys would take ~2.5 minutes).
    """
    c = _check_key_nonce(known_key, counter, nonce)
    bits = _checks.integer("unknown_bits", unknown_bits, low=MIN_BITS, high=MAX_BITS)
    plain, cipher = _words(plaintext, "plaintext"), _words(ciphertext, "ciphertext")
    n_keys = 1 << bits
    where = _backend.choose("enclave.search", n_keys, backend).backend
    if not _backend.is_cuda(where):
        _checks.bound_work(f"search_key on the CPU ({bits} unknown bits)", 2.0**bits, 2.0**MAX_BITS_CPU,
                           per_second=3e7, unit="keys")
    init = _initial_state(bytes(known_key), c, bytes(nonce))
    if bits < 32 and int(init[4]) >> bits << bits != int(init[4]):
        raise ValueError(f"the low {bits} bits of known_key's first word must be zero")
    if _backend.is_cuda(where):
        # the three 64-byte inputs and the result cross PCIe once each, not at every launch
        d_found = _backend.launch(_search_cuda, n_keys, init, plain, cipher, n_keys,
                                  np.full(1, -1, np.int64), threads_per_block=256, max_blocks=65536)[-1]
        value = int(d_found.copy_to_host()[0])
        return None if value < 0 else value
    n_chunks = max(1, min(256, n_keys // LANES))
    found = np.full(n_chunks, -1, np.int64)
    _search_cpu(init, plain, cipher, n_keys, np.empty((n_chunks, 16, LANES), np.uint32), found)
    hits = found[found >= 0]
    return int(hits[0]) if hits.size else None


def key_with(known_key: bytes, value: int) -> bytes:
    """``known_key`` with ``value`` OR-ed into its first little-endian 32-bit word.

    Limits: ``known_key`` 32 bytes; ``value`` 0..2**32 - 1.
    """
    if not isinstance(known_key, (bytes, bytearray)) or len(known_key) != 32:
        raise TypeError("known_key must be 32 bytes")
    value = _checks.integer("value", value, low=0, high=2**32 - 1)
    words = np.frombuffer(bytes(known_key), dtype="<u4").copy()
    words[0] |= np.uint32(value)
    return words.astype("<u4").tobytes()


# --- measurements for the lesson and the benchmark ------------------------------------------

#: Age of the universe, years (Planck 2018: 13.787 +/- 0.020 Gyr).
UNIVERSE_AGE_YEARS = 13.787e9
SECONDS_PER_YEAR = 365.25 * 24 * 3600


def _cryptography_keystream(key: bytes, counter: int, nonce: bytes, n_bytes: int) -> bytes:
    full_nonce = counter.to_bytes(4, "little") + nonce
    return Cipher(algorithms.ChaCha20(key, full_nonce), None).encryptor().update(bytes(n_bytes))


def python_search_rate(n_keys: int = 20_000) -> float:
    """Keys per second of a plain Python loop that tries each key with the ``cryptography`` package.

    The baseline: the simplest search a reader would write. Limits: ``n_keys`` 1..:data:`MAX_PYTHON_KEYS`.
    """
    n = _checks.integer("n_keys", n_keys, low=1, high=MAX_PYTHON_KEYS)
    known, nonce, target = bytes(32), bytes(12), bytes(64)
    t0 = time.perf_counter()
    for k in range(n):
        if _cryptography_keystream(key_with(known, k), 0, nonce, 64) == target:
            break
    return n / (time.perf_counter() - t0)


def bulk_blocks_per_second(n_blocks: int = 1 << 19, repeats: int = 3) -> float:
    """64-byte ChaCha20 blocks per second of the ``cryptography`` package's bulk keystream, one core.

    One key, consecutive counters: OpenSSL's vectorized C, the practical ceiling of one core.

    Limits: ``n_blocks`` 1..2**22 (64 bytes each: 256 MiB at the cap), ``repeats`` 1..100, and
    ``n_blocks · (repeats + 1)`` at most 2**28 blocks (16 GiB of keystream, ~1 GB/s on a busy core:
    about 20 s; ValueError with the estimate above it).
    """
    n = _checks.integer("n_blocks", n_blocks, low=1, high=1 << 22)
    repeats = _checks.integer("repeats", repeats, low=1, high=100)
    _checks.bound_work("bulk_blocks_per_second", n * (repeats + 1), 1 << 28, per_second=1.5e7,
                       bytes_needed=64.0 * n, unit="blocks")
    enc = Cipher(algorithms.ChaCha20(bytes(32), bytes(16)), None).encryptor()
    buf = bytes(64 * n)
    return n / best_time(lambda: enc.update(buf), repeats=repeats, warmup=1)


def measure_search_rate(bits: int = 24, seed: int = 0, backend: str | None = None) -> dict:
    """Keys per second of :func:`search_key` on one fixed, large search (``2**bits`` keys).

    A small search is dominated by fixed costs (the call, thread start-up): at 16 bits the rate
    came out about 140x too low here (2.9e5 against 4e7 keys/s), and an extrapolation to 128 bits
    inherits the error. Time one large batch once, then extrapolate from it (:func:`years_to_search`) without searching again.

    Parameters
    ----------
    bits : int
        Size of the timed search, 20..30 (24 bits = 16.8 million keys). Limits: 30 bits is
        :data:`MAX_BITS_CPU` (about 40 s on 2 cores); ``seed`` 0..2**64 - 1.
    seed : int
        Seed of the random key, nonce and plaintext.
    backend : {"cpu", "cuda"}, optional
        Passed to :func:`search_key`.

    Returns
    -------
    dict
        ``bits``, ``keys``, ``seconds``, ``keys_per_second`` (for the whole machine: the CPU search
        runs on every thread numba was given), ``found_secret`` (the search found the planted key: a
        rate is only reported for a search that worked), ``backend`` (where the timed search ran)
        and ``cpu_threads`` (the numba threads the CPU search used; None on a GPU).
    """
    b = _checks.integer("bits", bits, low=20, high=30)
    rng = np.random.default_rng(_checks.integer("seed", seed, low=0, high=2**64 - 1))
    words = np.frombuffer(rng.bytes(32), "<u4").copy()
    words[0] &= np.uint32((0xFFFFFFFF << b) & 0xFFFFFFFF)
    known, secret = words.astype("<u4").tobytes(), int(rng.integers(0, 2 ** b))
    nonce, plain = rng.bytes(12), rng.bytes(64)
    stream = _cryptography_keystream(key_with(known, secret), 0, nonce, 64)
    cipher = bytes(x ^ y for x, y in zip(plain, stream))
    search_key(known, 20, nonce, plain, bytes(64), backend=backend)       # compile and warm up
    t0 = time.perf_counter()
    found = search_key(known, b, nonce, plain, cipher, backend=backend)
    seconds = time.perf_counter() - t0
    where = _backend.choose("enclave.search", 2 ** b, backend).backend
    threads = None if _backend.is_cuda(where) else numba.get_num_threads()
    return {"bits": b, "keys": 2 ** b, "seconds": seconds, "keys_per_second": 2 ** b / seconds,
            "found_secret": found == secret, "backend": where, "cpu_threads": threads}


def years_to_search(bits: float, keys_per_second: float) -> float:
    """Years to try all ``2**bits`` keys at ``keys_per_second`` (half that on average).

    Limits: ``bits`` 0..1023 (2**1024 overflows a float); a result that overflows or underflows
    to 0 raises ValueError.
    """
    b = _checks.real("bits", bits, low=0, high=1023)
    rate = _checks.positive("keys_per_second", keys_per_second)
    with np.errstate(all="ignore"):
        out = np.float64(2.0) ** b / rate / SECONDS_PER_YEAR
    return float(_checks.derived("the search time", out, "bits and keys_per_second", positive=True))
