"""infralab: the kernels and models behind the generative-AI infrastructure course.

One module per topic; each heavy kernel is a numba CPU kernel with a CUDA twin beside it, and the
public function picks one through :mod:`infralab.backend`.

* :mod:`infralab.backend` -- where kernels run (``info()``, ``INFRALAB_BACKEND``)
* :mod:`infralab.stream` -- the first kernel (STREAM triad) and this machine's bandwidth
* :mod:`infralab.network` -- collectives, ECMP versus packet spraying, tail latency (notebook 01)
* :mod:`infralab.thermal` -- heat flow, PUE, a chip-package heat solver, rack placement (notebook 02)
* :mod:`infralab.enclave` -- PCRs, Nitro attestation, envelope encryption, a local KMS,
  the brute-force lesson (notebook 03)
* :mod:`infralab.bench` -- ``python -m infralab.bench [topic ...] [--json]``
* :mod:`infralab.exercises` -- exercises that check themselves: ``exercises.load("01")[3].check(answer)``
"""

from pathlib import Path

from . import backend, stream

__version__ = "0.1.0"
__all__ = ["backend", "stream", "data_path"]

_DATA = Path(__file__).resolve().parents[2] / "data"


def data_path(name: str) -> Path:
    """Path of a file in the repository's ``data/`` folder (the package is installed editable).

    Raises
    ------
    FileNotFoundError
        If the file is not there, with the folder searched in the message.
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is empty, longer than 255 characters, or leaves ``data/`` (a path separator or
        ``..``): only files directly in the folder are served.

    Limits: ``name`` a plain file name of 1..255 characters (no separators).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a file name (str), got {type(name).__name__}")
    if not 0 < len(name) <= 255 or "/" in name or "\\" in name or "\x00" in name or name in (".", ".."):
        raise ValueError(f"name must be a plain file name in data/ (1..255 characters, no separators), got {name[:80]!r}")
    path = _DATA / name
    if not path.is_file():
        raise FileNotFoundError(f"{name!r} not found in {_DATA} (infralab expects the repository's data/ folder)")
    return path
