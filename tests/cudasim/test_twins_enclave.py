"""The CUDA twin of the key search finds the same key as the CPU kernel (simulator or real GPU)."""

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from infralab import enclave as en


def test_search_twin_finds_the_same_key():
    rng = np.random.default_rng(4)
    words = np.frombuffer(rng.bytes(32), "<u4").copy()
    words[0] &= np.uint32(0xFFFFFFC0)             # 6 unknown bits: 64 candidates
    known, secret, nonce, plain = words.tobytes(), 45, rng.bytes(12), rng.bytes(64)
    ks = Cipher(algorithms.ChaCha20(en.key_with(known, secret), bytes(4) + nonce), None).encryptor().update(bytes(64))
    cipher = bytes(a ^ b for a, b in zip(plain, ks))
    assert en.search_key(known, 6, nonce, plain, cipher, backend="cpu") == secret
    assert en.search_key(known, 6, nonce, plain, cipher, backend="cuda") == secret
