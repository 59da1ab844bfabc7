"""infralab.thermal against analytic oracles, the facts file and invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infralab import thermal as th

# --- energy and flows -----------------------------------------------------------------------


def test_pue_definition_and_bounds():
    assert th.pue(1150.0, 1000.0) == pytest.approx(1.15)
    with pytest.raises(ValueError, match="it_w"):
        th.pue(1000.0, 0.0)
    with pytest.raises(ValueError, match="must not exceed"):
        th.pue(900.0, 1000.0)


def test_required_flow_matches_facts_file():
    # facts.md: per kW at dT = 10 K, air 0.0829 m3/s (175.5 CFM); water 0.0239 kg/s (1.44 L/min)
    air = th.required_flow(1000, 10, "air")
    assert air == pytest.approx(0.0829, abs=1e-4)
    assert air / 0.3048 ** 3 * 60 == pytest.approx(175.5, abs=0.1)
    water = th.required_flow(1000, 10, "water")
    assert water * 997.0 == pytest.approx(0.0239, abs=1e-4)
    assert water * 1000 * 60 == pytest.approx(1.44, abs=0.005)


def test_required_flow_bad_input():
    with pytest.raises(ValueError, match="fluid"):
        th.required_flow(1000, 10, "oil")
    with pytest.raises(ValueError, match="delta_t_k"):
        th.required_flow(1000, 0)


def test_junction_temperature_chain():
    # 1000 W through 0.02 + 0.01 K/W and an R_conv of 1/(h*A) = 0.04 K/W (h*A = 25 W/K): arithmetic only
    assert th.junction_temperature(1000, 30, 0.02, 0.01, 25_000, 1e-3) == pytest.approx(30 + 1000 * 0.07)


def test_efficiency_and_carbon_model():
    # 451 Research-like inputs: PUE 1.58 vs 1.15, utilization 18% vs 65%; a server drawing peak
    # power at any load (idle_fraction 1) makes the ratio the PUE ratio times the utilization ratio
    r = th.efficiency_ratio(1.58, 1.15, 0.18, 0.65, idle_fraction=1.0)
    assert r == pytest.approx((1.58 / 1.15) * (0.65 / 0.18))
    assert th.carbon_ratio(4.1, 400, 4) == pytest.approx(1 - 0.01 / 4.1)
    with pytest.raises(ValueError, match="util_onprem"):
        th.efficiency_ratio(1.5, 1.1, 0.0, 0.5)


@pytest.mark.parametrize("idle, expected", [(1.0, 4.08), (0.5, 3.21), (0.3, 2.68)])
def test_efficiency_ratio_idle_fraction_issue_values(idle, expected):
    # issue 12's hand-computed values: power = peak x (f + (1 - f) u), work = u
    r = th.efficiency_ratio(1.58, 1.15, 0.18, 0.5, 1.07, idle_fraction=idle)
    assert round(r, 2) == expected


def test_efficiency_ratio_energy_proportional_servers_drop_utilization():
    # idle_fraction 0: energy per work no longer depends on utilization
    assert th.efficiency_ratio(1.58, 1.15, 0.18, 0.5, 1.07, idle_fraction=0.0) == pytest.approx(1.58 / 1.15 * 1.07)
    # the default is the upper bound, idle servers at peak power: the plain utilization ratio
    assert th.efficiency_ratio(1.5, 1.1, 0.2, 0.6) == pytest.approx(1.5 / 1.1 * 0.6 / 0.2)
    with pytest.raises(ValueError, match="idle_fraction"):
        th.efficiency_ratio(1.5, 1.1, 0.2, 0.6, idle_fraction=1.5)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.05, 0.9), st.floats(0.05, 0.9))
@settings(max_examples=50)
def test_efficiency_ratio_grows_with_idle_fraction_when_cloud_is_busier(f1, f2, u_on, du):
    # the more a server draws when idle, the more low utilization costs the on-premises side
    u_cl = min(1.0, u_on + du)
    lo, hi = sorted((f1, f2))
    assert th.efficiency_ratio(1.3, 1.1, u_on, u_cl, idle_fraction=lo) <= \
        th.efficiency_ratio(1.3, 1.1, u_on, u_cl, idle_fraction=hi) * (1 + 1e-12)


def test_combined_reduction_matches_the_facts_file():
    assert round(th.combined_reduction(0.94, 0.81), 3) == 0.989      # Accenture: 98.9 %
    assert th.combined_reduction(0.84, 0.28) == pytest.approx(1 - 0.16 * 0.72)   # Barr 2015: 88 %
    with pytest.raises(ValueError):
        th.combined_reduction()
    with pytest.raises(ValueError, match="reductions"):
        th.combined_reduction(1.2)


def test_pipe_diameter_and_velocity_are_inverse():
    # Vdot = v * pi d^2 / 4
    d = th.pipe_diameter(2.9e-3, 2.0)
    assert 2.0 * math.pi * d * d / 4 == pytest.approx(2.9e-3)
    assert th.pipe_velocity(2.9e-3, d) == pytest.approx(2.0)
    # a 16 mm garden hose would need about 14 m/s for the 120 kW rack's 2.9 L/s
    assert th.pipe_velocity(th.required_flow(120_000, 10, "water"), 0.016) > 14.0
    with pytest.raises(ValueError, match="velocity_m_s"):
        th.pipe_diameter(1e-3, 0.0)


def test_one_cooling_table_drives_chain_and_package():
    air = th.COOLING["air"]
    expected = air["t_inf_c"] + 1000 * (air["r_jc"] + air["r_tim"] + 1 / (air["h"] * air["wetted_area_m2"]))
    assert th.chain_temperature(1000, "air") == pytest.approx(expected)
    for cooling, row in th.COOLING.items():
        m = th.package_model(1000, cooling)
        base_area = m.k.shape[1] * m.dx * m.depth_m
        # the package's convective conductance h_top x base area is the table's h x wetted area
        assert m.h_top * base_area == pytest.approx(row["h"] * row["wetted_area_m2"], rel=1e-9)
        assert m.t_inf_c == row["t_inf_c"]
        die_area = (m.die_cols.stop - m.die_cols.start) * m.dx * m.depth_m
        assert die_area == pytest.approx(th.DIE_AREA_M2, rel=0.01)
    with pytest.raises(ValueError, match="unknown cooling parameter"):
        th.chain_temperature(1000, "air", fins=3)


def test_containment_cuts_cooling_share():
    assert th.pue_with_containment(1.5, 1.0, 0.43) == pytest.approx(1 + 0.5 * 0.57)
    assert th.pue_with_containment(1.5, 0.0) == pytest.approx(1.5)


# --- the FTCS solver ------------------------------------------------------------------------


def _sine_mode(n):
    x = np.linspace(0.0, 1.0, n)
    return np.outer(np.sin(np.pi * x), np.sin(np.pi * x)), x[1] - x[0]


def test_decaying_sine_mode_matches_analytic_solution():
    alpha = 1e-4
    u0, dx = _sine_mode(65)
    dt = 0.9 * th.stability_limit(alpha, dx)
    n = 400
    out = th.solve_heat_2d(u0, alpha, dx, dt, n, backend="cpu")
    t = n * dt
    # continuous solution: exp(-alpha pi^2 (1/Lx^2 + 1/Ly^2) t), to the scheme's O(dx^2) accuracy
    np.testing.assert_allclose(out, np.exp(-2 * alpha * np.pi ** 2 * t) * u0, atol=2e-4)
    # the FTCS scheme's own eigenvalue makes the decay exact to rounding
    r = alpha * dt / dx ** 2
    factor = (1 - 8 * r * np.sin(np.pi * dx / 2) ** 2) ** n
    np.testing.assert_allclose(out, factor * u0, atol=1e-12)


def test_dirichlet_edges_and_input_untouched():
    rng = np.random.default_rng(1)
    u0 = rng.random((20, 30))
    keep = u0.copy()
    out = th.solve_heat_2d(u0, 1.0, 1.0, 0.25, 50)
    np.testing.assert_array_equal(u0, keep)
    for edge in (np.s_[0, :], np.s_[-1, :], np.s_[:, 0], np.s_[:, -1]):
        np.testing.assert_array_equal(out[edge], u0[edge])


def test_stability_limit_enforced_with_the_limit_in_the_message():
    with pytest.raises(ValueError, match=r"stability limit dx\*\*2/\(4\*alpha\) = 0.25"):
        th.solve_heat_2d(np.zeros((5, 5)), 1.0, 1.0, 0.26, 1)
    th.solve_heat_2d(np.zeros((5, 5)), 1.0, 1.0, 0.25, 1)  # exactly at the limit is fine


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(alpha=0.0), ValueError, "alpha"), (dict(dx=-1.0), ValueError, "dx"),
    (dict(u0=np.full((4, 4), np.nan)), ValueError, "finite"), (dict(u0=np.zeros(4)), ValueError, "2-D"),
    (dict(u0=np.zeros((2, 5))), ValueError, "at least 3"), (dict(n_steps=-1), ValueError, "n_steps"),
    (dict(u0=np.zeros((4, 4), complex)), TypeError, "u0"), (dict(n_steps=2.0), TypeError, "n_steps"),
])
def test_bad_input(kwargs, err, match):
    args = dict(u0=np.zeros((4, 4)), alpha=1.0, dx=1.0, dt=0.1, n_steps=1) | kwargs
    with pytest.raises(err, match=match):
        th.solve_heat_2d(**args)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(3, 12)), elements=st.floats(-100, 100)),
       st.floats(0.05, 1.0), st.integers(0, 30))
def test_maximum_principle(u0, frac, n):
    out = th.solve_heat_2d(u0, 1.0, 1.0, 0.25 * frac, n)
    assert out.max() <= u0.max() + 1e-9 and out.min() >= u0.min() - 1e-9


# --- the finite-volume solver ---------------------------------------------------------------


def test_steady_slab_with_convective_boundary():
    # flux q into the bottom face, convection to T_inf at the top: T is linear, T(0) = T_inf + q(L/k + 1/h)
    ny, dx, k, h, q, tinf = 10, 0.1, 2.0, 5.0, 100.0, 20.0
    src = np.zeros((ny, 1))
    src[-1, 0] = q / dx                           # the flux enters through the bottom cell
    dt = 0.9 * th.fv_stability_limit(np.full((ny, 1), k), 1.0, dx, h)
    field, _ = th.solve_heat_fv(np.full((ny, 1), tinf), k, 1.0, dx, dt, 40_000,
                                source_w_m3=src, h_top=h, t_inf=tinf)
    depth_from_bottom = (ny - 0.5 - np.arange(ny)) * dx   # cell centres, measured from the heated face
    want = tinf + q * ((ny * dx - depth_from_bottom) / k + 1 / h)
    np.testing.assert_allclose(field[:, 0], want, rtol=1e-9)
    # and the heated face itself, extrapolated half a cell: the facts file's T(0)
    t0 = field[-1, 0] + q * dx / 2 / k
    assert t0 == pytest.approx(tinf + q * (ny * dx / k + 1 / h), rel=1e-9)


def test_lumped_body_cools_exponentially():
    n, dx, k, rho_c, h = 5, 0.01, 100.0, 1e4, 1.0   # Biot = h*L/k = 5e-4
    dt = 0.9 * th.fv_stability_limit(np.full((n, n), k), rho_c, dx, h)
    steps = 100_000
    field, _ = th.solve_heat_fv(np.full((n, n), 100.0), k, rho_c, dx, dt, steps, h_top=h, t_inf=0.0)
    area, volume = n * dx, n * n * dx * dx                 # per metre of depth
    want = 100.0 * math.exp(-h * area * steps * dt / (rho_c * volume))
    assert field.mean() == pytest.approx(want, rel=2e-3)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 10), st.integers(2, 10), st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_insulated_box_conserves_heat(ny, nx, seed, n):
    rng = np.random.default_rng(seed)
    k = rng.uniform(0.5, 400, (ny, nx))
    rc = rng.uniform(1e5, 4e6, (ny, nx))
    t0 = rng.uniform(0, 100, (ny, nx))
    dx = 1e-3
    dt = th.fv_stability_limit(k, rc, dx, 0.0)
    field, _ = th.solve_heat_fv(t0, k, rc, dx, dt, n)
    assert np.sum(rc * field) == pytest.approx(np.sum(rc * t0), rel=1e-12)
    assert field.max() <= t0.max() + 1e-9 and field.min() >= t0.min() - 1e-9


def test_convective_face_shrinks_the_stable_step():
    # a cell on the cooled face has three conducting neighbours plus the convective conductance
    # g = dx / (dx/(2k) + 1/h); with a large h that sum exceeds the interior's 4k and sets the limit
    k, rc, dx, h = 10.0, 1e6, 1e-3, 1e6
    lim = th.fv_stability_limit(np.full((6, 6), k), rc, dx, h)
    g_top = dx / (dx / (2 * k) + 1 / h)
    assert lim == pytest.approx(rc * dx * dx / (3 * k + g_top))
    assert lim < th.stability_limit(k / rc, dx)
    # and a small h leaves the interior limit in charge
    assert th.fv_stability_limit(np.full((6, 6), k), rc, dx, 1.0) == pytest.approx(th.stability_limit(k / rc, dx))


def test_fv_leaves_inputs_untouched():
    rng = np.random.default_rng(3)
    t0 = rng.random((5, 6))
    keep = t0.copy()
    th.solve_heat_fv(t0, 1.0, 1.0, 1.0, 0.1, 5, h_top=1.0)
    np.testing.assert_array_equal(t0, keep)


def _fv_reference(t, k, rho_c, dx, dt, n, q, h_top, t_inf):
    """The scheme written out in plain Python, one cell at a time (the pre-fix kernel's arithmetic)."""
    t = t.copy()
    inv_c = 1.0 / (rho_c * dx * dx)
    q_dx2 = q * dx * dx
    g_top = th._top_conductance(k[0, :], dx, np.full(t.shape[1], h_top))
    for _ in range(n):
        new = np.empty_like(t)
        for i in range(t.shape[0]):
            for j in range(t.shape[1]):
                new[i, j] = th._fv_update(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j)
        t = new
    return t


@pytest.mark.parametrize("threads_from", [1, 10**9])
def test_fv_serial_and_threaded_paths_match_the_cell_by_cell_scheme(monkeypatch, threads_from):
    # point 12: small grids run the whole time loop serially, big ones threaded; both must give
    # exactly the scheme's arithmetic
    rng = np.random.default_rng(3)
    k = rng.uniform(1.0, 400.0, (6, 7))
    rc = rng.uniform(1e6, 4e6, (6, 7))
    q = rng.uniform(0.0, 1e7, (6, 7))
    t0 = rng.uniform(20.0, 40.0, (6, 7))
    dx = 1e-3
    dt = 0.9 * th.fv_stability_limit(k, rc, dx, 500.0)
    monkeypatch.setattr(th.solvers, "FV_PARALLEL_MIN_CELLS", threads_from)   # read where solve_heat_fv lives
    field, peaks = th.solve_heat_fv(t0, k, rc, dx, dt, 12, source_w_m3=q, h_top=500.0, t_inf=25.0,
                                    record_every=4)
    ref = _fv_reference(t0, k, rc, dx, dt, 12, q, 500.0, 25.0)
    np.testing.assert_allclose(field, ref, rtol=1e-13, atol=0)
    assert peaks.shape == (3,) and peaks[-1] == field.max()


def test_fv_bad_input():
    with pytest.raises(ValueError, match="k \\(conductivity\\)"):
        th.solve_heat_fv(np.zeros((3, 3)), 0.0, 1.0, 1.0, 0.1, 1)
    with pytest.raises(ValueError, match="stability limit"):
        th.solve_heat_fv(np.zeros((3, 3)), 1.0, 1.0, 1.0, 10.0, 1)
    with pytest.raises(ValueError, match="shape"):
        th.solve_heat_fv(np.zeros((3, 3)), np.ones((2, 2)), 1.0, 1.0, 0.1, 1)


def test_package_is_linear_in_power_and_clamps_dt():
    a = th.simulate_package(th.package_model(500, "liquid"), 2.0, n_frames=4)
    b = th.simulate_package(th.package_model(1000, "liquid"), 2.0, n_frames=4)
    tinf = th.COOLING["liquid"]["t_inf_c"]
    np.testing.assert_allclose(b["peak_c"] - tinf, 2 * (a["peak_c"] - tinf), rtol=1e-9)
    c = th.simulate_package(th.package_model(500, "liquid"), 0.1, n_frames=1, dt=1.0)
    assert c["dt_clamped"] and c["dt_s"] <= c["dt_limit_s"]


def test_liquid_cools_better_than_air():
    air = th.simulate_package(th.package_model(1000, "air"), 5.0, n_frames=2)
    liquid = th.simulate_package(th.package_model(1000, "liquid"), 5.0, n_frames=2)
    assert liquid["peak_c"][-1] < air["peak_c"][-1]


# --- rack placement -------------------------------------------------------------------------


def test_place_servers_first_fit_decreasing():
    r = th.place_servers([6000, 5000, 4000, 3000], [False] * 4, 2, 0,
                         rack_power_w=10_000, air_cooling_w=10_000, liquid_cooling_w=100_000)
    # FFD: 6000 -> rack 0, 5000 -> rack 1, 4000 -> rack 0 (10000), 3000 -> rack 1 (8000)
    assert list(r["rack_of"]) == [0, 1, 0, 1]
    assert r["stranded_w"] == pytest.approx(2000) and r["unplaced_w"] == 0
    assert r["cooling_stranded_w"] == 0 and r["spare_w"] == pytest.approx(2000)


def test_liquid_servers_need_liquid_racks_and_cooling_caps_bind():
    r = th.place_servers([10_000, 1000], [True, False], 1, 0,
                         rack_power_w=20_000, air_cooling_w=5_000, liquid_cooling_w=100_000)
    assert r["rack_of"][0] == -1 and r["unplaced_w"] == pytest.approx(10_000)
    assert r["stranded_w"] == pytest.approx(19_000)
    # 15 kW of the 20 kW power cap sits behind the 5 kW cooling cap; 4 kW of usable room is empty
    assert r["cooling_stranded_w"] == pytest.approx(15_000) and r["spare_w"] == pytest.approx(4_000)


def test_stranded_power_counts_every_provisioned_rack():
    # an empty rack's provisioned power is stranded too; the split always adds up
    r = th.place_servers([5_000.0], [False], 3, 1, rack_power_w=10_000, air_cooling_w=8_000,
                         liquid_cooling_w=10_000)
    assert r["provisioned_w"] == pytest.approx(40_000) and r["racks_used"] == 1
    assert r["stranded_w"] == pytest.approx(35_000)
    assert r["cooling_stranded_w"] == pytest.approx(3 * 2_000)
    assert r["cooling_stranded_w"] + r["spare_w"] == pytest.approx(r["stranded_w"])


def test_place_servers_bad_input():
    with pytest.raises(ValueError, match="needs_liquid"):
        th.place_servers([1.0, 2.0], [True], 1, 1, rack_power_w=1, air_cooling_w=1, liquid_cooling_w=1)
    with pytest.raises(ValueError, match="server_w"):
        th.place_servers([0.0], [True], 1, 1, rack_power_w=1, air_cooling_w=1, liquid_cooling_w=1)


# --- calibration against published measurements (data/measurements.csv) ----------------------

#: Tolerance of the calibrated chain against the measured GPU temperature, relative error in degC.
#: degC, not K of rise: the source (Latif et al. 2025) gives sensor temperatures but no inlet
#: temperature, so a rise above the coolant cannot be formed from it.
CALIBRATION_RTOL = 0.20
H100_TDP_W = 700.0      # H100 SXM board power (NVIDIA datasheet), fed to the model as the load


@pytest.mark.parametrize("cooling, row", [("liquid", "h100_gpu_temp_liquid"), ("air", "h100_gpu_temp_air")])
def test_calibrated_chain_reproduces_measured_h100_temperatures(cooling, row):
    from infralab.measurements import load_measurements, relative_error
    m = load_measurements()[row]
    assert m.unit == "degC"
    model = th.chain_temperature(H100_TDP_W, cooling)
    assert abs(relative_error(model, m.value)) <= CALIBRATION_RTOL, (cooling, model, m.value)


def test_liquid_lies_inside_its_measured_range_and_well_below_air():
    from infralab.measurements import load_measurements
    ms = load_measurements()
    liq = ms["h100_gpu_temp_liquid"]
    liquid, air = th.chain_temperature(H100_TDP_W, "liquid"), th.chain_temperature(H100_TDP_W, "air")
    assert liq.low <= liquid <= liq.high
    # measured: liquid runs 54 - 50 = 4 K to 72 - 41 = 31 K cooler than air; the model must too
    air_m = ms["h100_gpu_temp_air"]
    assert air_m.low - liq.high <= air - liquid <= air_m.high - liq.low + 5.0


def test_liquid_chain_is_the_sum_of_its_cited_parts_and_the_ideal_is_a_parameter_away():
    row = th.COOLING["liquid"]
    # R_jc: conduction through a 1 mm silicon die of 814 mm^2 (148 W/(m K)), rounded up
    assert 1e-3 / (148.0 * th.DIE_AREA_M2) <= row["r_jc"] <= 1.5e-3 / (148.0 * th.DIE_AREA_M2)
    # R_TIM: 5 mm^2 K/W over the die
    assert row["r_tim"] == pytest.approx(5e-6 / th.DIE_AREA_M2, rel=0.05)
    # the cold plate's convective step, and the plate with its TIM, are under the vendor's 0.03 K/W target
    # (docs/references.md section 2, the one sourced cold-plate figure)
    assert 1 / (row["h"] * row["wetted_area_m2"]) < 0.03
    assert row["r_tim"] + 1 / (row["h"] * row["wetted_area_m2"]) < 0.03
    ideal = th.chain_temperature(700.0, "liquid", r_jc=0.0, r_tim=0.0)
    assert ideal == pytest.approx(row["t_inf_c"] + 700.0 / (row["h"] * row["wetted_area_m2"]))


@pytest.mark.parametrize("key, value", [("r_jc", -0.01), ("r_tim", -1e-3), ("h", 0.0), ("wetted_area_m2", -1.0)])
def test_calibration_parameter_outside_its_range_names_it(key, value):
    with pytest.raises(ValueError, match=key):
        th.chain_temperature(700.0, "liquid", **{key: value})
    with pytest.raises(ValueError, match="power_w"):
        th.chain_temperature(-1.0, "liquid")


def test_notebook02_rack_mixes_beat_one_kind_from_two_liquid_racks():
    """Notebook 02, section 5: every mix with at least as many liquid racks as the smallest mix that
    beats one kind alone also beats it (the "holds only if" reads as a threshold on liquid racks)."""
    rng = np.random.default_rng(7)
    servers = np.concatenate([np.full(12, 10_200.0), np.full(8, 14_300.0), rng.uniform(400, 1_200, 60)])
    liquid_only = np.r_[np.zeros(12, bool), np.ones(8, bool), np.zeros(60, bool)]
    caps = dict(rack_power_w=40_000, air_cooling_w=25_000, liquid_rack_power_w=120_000, liquid_cooling_w=120_000)
    designs = {}
    for n_liquid in range(4):
        n_air = next((n for n in range(60)
                      if th.place_servers(servers, liquid_only, n, n_liquid, **caps)["unplaced_w"] == 0), None)
        if n_air is not None:
            designs[(n_air, n_liquid)] = th.place_servers(servers, liquid_only, n_air, n_liquid, **caps)["stranded_w"]
    mixes = {k: v for k, v in designs.items() if k[0] > 0 and k[1] > 0}
    best_single = min(v for k, v in designs.items() if k not in mixes)
    beating = [k for k, v in mixes.items() if v < best_single]
    n_min = min(k[1] for k in beating)
    assert n_min == 2
    assert all(k in beating for k in mixes if k[1] >= n_min)
