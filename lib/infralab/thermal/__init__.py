"""Cooling and energy: PUE, moving heat with air and water, junction temperature, a chip-package heat
solver, and placing servers in racks. Notebook 02 calls these functions.

* :func:`pue`, :func:`efficiency_ratio`, :func:`carbon_ratio`: where the energy goes, and which inputs
  give a claimed "4.1x more efficient" or "99% less carbon" (the split of those claims is not public).
* :func:`required_flow`: ``Q = rho·Vdot·c_p·dT`` solved for the flow.
* :func:`junction_temperature`: the thermal-resistance chain from junction to coolant.
* :func:`solve_heat_2d`: the explicit (FTCS) heat equation on a uniform grid, numba kernel
  ``_ftcs_cpu`` with its CUDA twin ``_ftcs_cuda``.
* :func:`package_model` and :func:`simulate_package`: a 2-D cross-section of a chip package (die,
  TIM, lid, TIM, heat-sink base or cold plate) with per-cell conductivity, a heat source and a
  convective (Robin) boundary; finite volumes, kernel ``_fv_cpu`` with CUDA twin ``_fv_cuda``.
* :func:`place_servers`: first-fit decreasing under a power cap and a cooling cap per rack.

The code lives in five modules: :mod:`~infralab.thermal.energy` (PUE and carbon),
:mod:`~infralab.thermal.chain` (flows, the resistance chain and :data:`COOLING`),
:mod:`~infralab.thermal.solvers` (the heat solvers, each CPU kernel beside its CUDA twin),
:mod:`~infralab.thermal.package` (the chip package) and :mod:`~infralab.thermal.placement` (racks);
every name is importable from :mod:`infralab.thermal` itself.

References
----------
Y. A. Cengel, *Heat and Mass Transfer*, ch. 1 and 5 (convection coefficients, explicit methods).
F. P. Incropera et al., *Fundamentals of Heat and Mass Transfer*, 6th ed., table 5.3 (stability).
The Green Grid / ISO/IEC 30134-2 (PUE). Schneider Electric white paper 135 (containment).
"""

from . import energy
from .energy import (  # noqa: F401
    pue,
    IDLE_FRACTION_TYPICAL,
    efficiency_ratio,
    combined_reduction,
    carbon_ratio,
    pue_with_containment,
)
from . import chain
from .chain import (  # noqa: F401
    FLUIDS,
    H_RANGES,
    required_flow,
    pipe_diameter,
    pipe_velocity,
    junction_temperature,
    DIE_AREA_M2,
    COOLING,
    chain_temperature,
)
from . import solvers
from .solvers import (  # noqa: F401
    MAX_STEPS,
    MAX_CELL_UPDATES,
    MAX_CELLS,
    _ftcs_row,
    _ftcs_cpu,
    STEP_THREADS,
    _step_threads,
    _ftcs_cuda,
    _ftcs_sweep,
    _ftcs_steps_cuda,
    _ftcs_on_device,
    stability_limit,
    solve_heat_2d,
    ftcs_numpy,
    _face,
    _fv_update,
    _fv_update_cpu,
    _fv_update_gpu,
    FV_PARALLEL_MIN_CELLS,
    _fv_cpu,
    _fv_cuda,
    _block_max_into,
    _fv_sweep,
    _fv_steps_cuda,
    _max_cuda,
    _fv_on_device,
    fv_stability_limit,
    _top_field,
    _top_conductance,
    solve_heat_fv,
    _fv_result,
    _cell_field,
)
from . import package
from .package import (  # noqa: F401
    MATERIALS,
    PackageModel,
    PACKAGE,
    package_model,
    simulate_package,
)
from . import placement
from .placement import (  # noqa: F401
    MAX_PLACEMENT_WORK,
    place_servers,
)
