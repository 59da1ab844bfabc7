"""Input validation shared by the public functions (one place, one wording of the messages).

Every check raises before any work is done, so bad input changes nothing, and names the
parameter and the allowed range, so no numba traceback ever reaches a reader for a user mistake.

The contract every public function of ``infralab`` keeps (issue 14, tested for every public
function by ``tests/test_contracts.py``):

* every integer count has a documented upper bound (:func:`integer` with ``high``);
* every call bounds its work: above a documented maximum of elements x steps (or trials x items),
  chosen so that one call takes about a minute on 2 cores, :func:`bound_work` raises ValueError
  giving the estimated time and memory;
* arrays are refused when empty, non-finite, of the wrong dtype, and ``out=`` when read-only;
* derived quantities (stability limits, products, quotients) are checked with :func:`derived`, so an
  overflow or underflow is a ValueError naming the parameters, never a silent inf/NaN;
* boolean masks are bool or 0/1 integer arrays (:func:`bool_array`).

Only ValueError and TypeError (and a module's own documented errors) leave the public API.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np
from numba import njit, prange

#: Throughput assumed by the work caps' time estimates: one call of a capped function is meant to
#: finish in about a minute on 2 cores (the course's shared machine); these are measured orders of
#: magnitude on such a machine, not guarantees.
SECONDS_TARGET = 60.0


def _show(v) -> str:
    """A short text for a value in a message (a 10**400 int would otherwise print 400 digits)."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**18:
        return f"an integer of {abs(v).bit_length()} bits"
    return f"{v:g}" if isinstance(v, float) else repr(v)


def real(name: str, value, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite float within [low, high] (open ends where asked).

    Raises TypeError for non-numbers (bool included) and ValueError for NaN, infinities, integers
    too large for a float, or values out of range; the message names ``name`` and the range.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float, got {_show(value)}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    lo_txt = "" if low is None else (f"> {low:g}" if low_open else f">= {low:g}")
    hi_txt = "" if high is None else (f"< {high:g}" if high_open else f"<= {high:g}")
    rng = " and ".join(t for t in (lo_txt, hi_txt) if t)
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {rng}, got {v:g}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {rng}, got {v:g}")
    return v


def positive(name: str, value) -> float:
    """A finite float > 0."""
    return real(name, value, low=0.0, low_open=True)


def nonnegative(name: str, value) -> float:
    """A finite float >= 0."""
    return real(name, value, low=0.0)


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int within [low, high]; floats such as 4.0 are refused (TypeError).

    Counts pass ``high``: every integer count of the public API has a documented upper bound.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    lo = "" if low is None else f">= {_show(low)}"
    hi = "" if high is None else f"<= {_show(high)}"
    if low is not None and v < low:       # the violated bound first, as before
        raise ValueError(f"{name} must be {' and '.join(t for t in (lo, hi) if t)}, got {_show(v)}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be {' and '.join(t for t in (hi, lo) if t)}, got {_show(v)}")
    return v


def boolean(name: str, value) -> bool:
    """A real ``bool`` (or NumPy bool); 0, 1, None, strings are refused with TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def choice(name: str, value, allowed: tuple[str, ...]) -> str:
    """A string among ``allowed``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}, got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value[:80]!r}")
    return value


def text(name: str, value, *, max_len: int = 10_000) -> str:
    """A ``str`` of at most ``max_len`` characters."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > max_len:
        raise ValueError(f"{name} must be at most {max_len} characters, got {len(value)}")
    return value


def bytes_like(name: str, value, *, length: int | None = None, max_len: int | None = None) -> bytes:
    """``bytes``, ``bytearray`` or ``memoryview`` as bytes, of exactly ``length`` bytes if given.

    Ints, strings and lists are refused (``bytes(32)`` is 32 zero bytes: never a key by accident).
    """
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    size = value.nbytes if isinstance(value, memoryview) else len(value)   # sized before any copy
    if length is not None and size != length:
        raise ValueError(f"{name} must be {length} bytes, got {size}")
    if max_len is not None and size > max_len:
        raise ValueError(f"{name} must be at most {max_len} bytes, got {size}")
    return bytes(value)


def path_like(name: str, value):
    """A ``str`` or ``os.PathLike`` (bytes paths and other objects are refused)."""
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    if isinstance(value, str) and ("\x00" in value or value == ""):
        raise ValueError(f"{name} must be a non-empty path without NUL characters")
    return value


def _array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value)
    except (ValueError, TypeError, OverflowError) as exc:  # ragged lists, 10**400 in a list, ...
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__} ({exc})") from None


def float_array(name: str, value, *, ndim: int | None = None, min_shape: int = 1,
                allow_empty: bool = False, max_size: int | None = None) -> np.ndarray:
    """A finite float64 array (a new contiguous copy only when needed; the input is never modified).

    Integer and float arrays (and nested lists) are accepted; complex, object, string or boolean
    arrays raise TypeError; an empty array (unless ``allow_empty``), NaN or infinity, the wrong
    number of dimensions, an axis shorter than ``min_shape`` or more than ``max_size`` elements raise
    ValueError.
    """
    arr = _array(name, value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array (int or float), got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.size and any(s < min_shape for s in arr.shape):
        raise ValueError(f"{name} must have at least {min_shape} cells along every axis, got shape {arr.shape}")
    if max_size is not None and arr.size > max_size:
        raise ValueError(f"{name} must have at most {max_size} elements, got {arr.size}")
    with np.errstate(over="ignore"):   # a uint64 or float128 beyond float64 becomes inf: refused below
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not arr.flags.writeable:        # a read-only input would make numba compile a second kernel
        arr = arr.copy()
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    return arr


def bool_array(name: str, value, *, shape: tuple | None = None) -> np.ndarray:
    """A boolean mask: a bool array, or an integer array of 0s and 1s.

    Strings (``['no', 'no']`` would otherwise read as all True), floats and objects raise TypeError;
    other integers and the wrong shape raise ValueError.
    """
    arr = _array(name, value)
    if arr.dtype.kind == "b":
        out = arr.astype(bool)
    elif arr.dtype.kind in "iu":
        if arr.size and not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name} must hold only booleans or 0/1")
        out = arr.astype(bool)
    else:
        raise TypeError(f"{name} must be a bool (or 0/1 integer) array, got dtype {arr.dtype}")
    if shape is not None and out.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {out.shape}")
    return out


def out_array(name: str, out, *, shape: tuple, dtype) -> np.ndarray:
    """An ``out=`` array: an ndarray of exactly ``shape`` and ``dtype``, C-contiguous and writable."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(out).__name__}")
    if out.dtype != np.dtype(dtype) or out.shape != tuple(shape):
        raise TypeError(f"{name} must be a {np.dtype(dtype)} array of shape {tuple(shape)}, "
                        f"got {out.dtype} of shape {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writable (got a read-only array)")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return out


@njit(parallel=True, cache=True)
def _max_abs_kernel(a):
    """Largest |a[i]| of a 1-D float64 array, inf if any element is NaN (one pass, no temporary)."""
    n_chunks = 64
    part = np.zeros(n_chunks)
    per = (a.size + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        m = 0.0
        for i in range(ch * per, min(a.size, (ch + 1) * per)):
            v = abs(a[i])
            if not v <= m:          # true for a larger value and for NaN
                m = v if v == v else np.inf
        part[ch] = m
    return part.max()


def max_abs(a: np.ndarray) -> float:
    """Largest absolute value of a 1-D float64 array (inf when it holds NaN or infinity).

    One compiled pass without a temporary array: the finiteness check of large vectors (triad)
    costs a read of the data, not an allocation.
    """
    return float(_max_abs_kernel(a)) if a.size else 0.0


def derived(name: str, value, params: str, *, positive: bool = False):
    """Check a derived quantity: finite (and > 0 when ``positive``), else ValueError naming ``params``.

    Works on floats and arrays. Use it on every limit or product computed from the inputs, so an
    overflow (inf), an invalid operation (NaN) or an underflow to zero is an error, not a result.
    """
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} overflows (is not finite) for these values of {params}")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} underflows to zero for these values of {params}")
    return value


def bound_work(what: str, work: float, limit: float, *, per_second: float, bytes_needed: float = 0.0,
               unit: str = "operations") -> None:
    """Refuse a call whose ``work`` exceeds ``limit`` with a ValueError giving time and memory.

    ``per_second`` is the throughput on 2 cores used for the estimate; ``limit`` is chosen so that
    one call at the limit takes about :data:`SECONDS_TARGET` seconds there.
    """
    if not work <= limit:      # also refuses NaN
        raise ValueError(
            f"{what}: {work:.3g} {unit} exceeds this function's limit of {limit:.3g} "
            f"(estimated {work / per_second:.3g} s on 2 cores and {bytes_needed / 2**30:.3g} GiB of memory; "
            f"the limit keeps one call near {SECONDS_TARGET:g} s)")


def axes(name: str, ax):
    """A matplotlib Axes (TypeError otherwise)."""
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes, got {type(ax).__name__}")
    return ax
