"""infralab: the kernels and models behind the generative-AI infrastructure course.

One module per topic; each heavy kernel is a numba CPU kernel with a CUDA twin beside it, and the
public function picks one through :mod:`infralab.backend`.

* :mod:`infralab.backend` -- where kernels run (``info()``, ``INFRALAB_BACKEND``)
* :mod:`infralab.stream` -- the first kernel (STREAM triad) and this machine's bandwidth
* :mod:`infralab.network` -- collectives, ECMP versus packet spraying, tail latency (notebook 01)
* :mod:`infralab.thermal` -- heat flow, PUE, a chip-package heat solver, rack placement (notebook 02)
* :mod:`infralab.bench` -- ``python -m infralab.bench [topic ...] [--json]``
"""

from . import backend, stream

__version__ = "0.1.0"
__all__ = ["backend", "stream"]
