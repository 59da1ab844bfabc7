"""Input validation shared by the public functions (one place, one wording of the messages).

Every check raises before any work is done, so bad input changes nothing, and names the
parameter and the allowed range, so no numba traceback ever reaches a reader for a user mistake.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def real(name: str, value, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite float within [low, high] (open ends where asked).

    Raises TypeError for non-numbers (bool included) and ValueError for NaN, infinities or
    values out of range; the message names ``name`` and the allowed range.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
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
    """Return ``value`` as an int within [low, high]; floats such as 4.0 are refused (TypeError)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}" + (f" and <= {high}" if high is not None else "")
                         + f", got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}" + (f" and >= {low}" if low is not None else "")
                         + f", got {v}")
    return v


def choice(name: str, value, allowed: tuple[str, ...]) -> str:
    """A string among ``allowed``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {allowed}, got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def float_array(name: str, value, *, ndim: int | None = None, min_shape: int = 1) -> np.ndarray:
    """A finite float64 array (a new contiguous copy only when needed; the input is never modified).

    Integer and float arrays (and nested lists) are accepted; complex, object, string or boolean
    arrays raise TypeError; NaN or infinity, the wrong number of dimensions, or an axis shorter than
    ``min_shape`` raise ValueError.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array (int or float), got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size and any(s < min_shape for s in arr.shape):
        raise ValueError(f"{name} must have at least {min_shape} cells along every axis, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    return arr
