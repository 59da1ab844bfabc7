"""infralab.cluster: exact relations, sourced figures (docs/references.md), invariants, the Monte Carlo against evaluate, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import chips, network, thermal
from infralab import cluster as cl
from infralab.measurements import load_measurements, relative_error

N, D = 174.6e9, 300e9          # GPT-3 (docs/references.md section 4)
BASE = dict(mfu=0.4, pue=1.15, grid_g_per_kwh=400.0)


def ev(instance="p5.48xlarge", n=2500, params=N, tokens=D, **kw):
    return cl.evaluate(instance, n, params, tokens, **{**BASE, **kw})


# --- exact relations -------------------------------------------------------------------------

@given(pue=st.floats(1.0, 3.0), factor=st.floats(1.0, 2.5))
@settings(max_examples=30, deadline=None)  # the first call loads compiled kernels
def test_energy_scales_exactly_with_pue(pue, factor):
    a, b = ev(pue=pue), ev(pue=pue * factor)
    assert b["energy_mwh"] == pytest.approx(a["energy_mwh"] * factor, rel=1e-13)
    assert a["days"] == b["days"] and a["cost_usd"] == b["cost_usd"]     # PUE moves energy only


@given(grid=st.floats(0.0, 1500.0))
@settings(max_examples=30, deadline=None)  # the first call loads compiled kernels
def test_co2_is_energy_times_grid_intensity(grid):
    r = ev(grid_g_per_kwh=grid)
    assert r["co2_t"] == r["energy_mwh"] * grid / 1000
    assert r["energy_mwh"] == pytest.approx(r["it_power_kw"] * r["days"] * 24 * 1.15 / 1000, rel=1e-13)


@pytest.mark.parametrize("date, price", [("2025-05", 98.32), ("2025-06", 55.04)])   # docs/references.md section 4
def test_cost_is_instance_hours_times_the_dated_price(date, price):
    r = ev(price_date=date)
    assert r["assumptions"]["usd_per_hour"]["value"] == price
    assert r["cost_usd"] == r["days"] * 24 * 2500 * price


@pytest.mark.parametrize("date", ["2025-05", "2025-06"])
def test_price_date_honours_same_price_in(date):
    # data/instances.csv dates trn1.32xlarge's $21.50 (docs/references.md section 4) to 2025 and lists 2025-05;2025-06
    # in same_price_in, as chips.instances_for_period reads it
    r = cl.evaluate("trn1.32xlarge", 500, N, D, price_date=date, **BASE)
    assert r["assumptions"]["usd_per_hour"]["value"] == 21.50
    assert r["cost_usd"] == r["days"] * 24 * 500 * 21.50
    assert r["assumptions"]["price_date"]["value"] == date
    assert "same_price_in" in r["assumptions"]["price_date"]["source"]
    assert cl.sample_ranges("trn1.32xlarge", price_date=date)["usd_per_hour"] == pytest.approx((0.7 * 21.50, 21.50))
    # the same period as notebook 04's price-performance tables
    period = {row["instance"]: row for row in chips.instances_for_period(chips.load_instances(), date)}
    assert period["trn1.32xlarge"]["on_demand_USD_per_hour"] == r["assumptions"]["usd_per_hour"]["value"]


def test_year_dated_price_and_missing_month_for_same_price_in_rows():
    assert cl.evaluate("trn1.32xlarge", 500, N, D, price_date="2025", **BASE)["assumptions"]["usd_per_hour"]["value"] \
        == 21.50
    with pytest.raises(ValueError, match=r"2025-07.*available dates.*'2025', '2025-05', '2025-06'"):
        cl.evaluate("trn1.32xlarge", 500, N, D, price_date="2025-07", **BASE)


def test_default_price_is_the_latest_date():
    rows = [r for r in chips.load_instances() if r["instance"] == "p5.48xlarge"]
    latest = max(rows, key=lambda r: r["price_date"])
    assert ev()["assumptions"]["usd_per_hour"]["value"] == latest["on_demand_USD_per_hour"]


def test_compute_days_is_6ND_over_peak_times_mfu():
    # docs/references.md section 4: GPT-3 is 3.14e23 FLOPs; p5.48xlarge has 8 H100 SXM at 989 dense BF16 TFLOP/s
    r = ev(mfu=0.5)
    want = 6 * N * D / (2500 * 8 * 989e12 * 0.5) / 86400
    assert r["compute_days"] == pytest.approx(want, rel=1e-12)
    assert 6 * N * D == pytest.approx(3.14e23, rel=2e-3)


@given(n=st.integers(5, 20_000), mfu=st.floats(0.05, 1.0), lat=st.floats(0, 50e-6), loss=st.floats(0, 1e-3),
       net=st.sampled_from(["spraying", "ecmp"]), enc=st.sampled_from(["nic", "cpu"]))
@settings(max_examples=60, deadline=None)  # the first call loads compiled kernels
def test_days_never_below_compute_days(n, mfu, lat, loss, net, enc):
    r = ev(n=n, mfu=mfu, latency_s=lat, loss_prob=loss, network=net, encryption=enc)
    assert r["days"] >= r["compute_days"]
    assert 0.0 <= r["comm_fraction"] < 1.0


@given(n1=st.integers(16, 50_000), extra=st.integers(0, 50_000), inst=st.sampled_from(["p4d.24xlarge", "trn1.32xlarge"]))
@settings(max_examples=40, deadline=None)  # the first call loads compiled kernels
def test_more_instances_never_increase_compute_days(n1, extra, inst):
    a = cl.evaluate(inst, n1, N, D, **BASE)
    b = cl.evaluate(inst, n1 + extra, N, D, **BASE)
    assert b["compute_days"] <= a["compute_days"]


@given(tokens=st.floats(1e9, 1e13), n=st.integers(8, 5000), lat=st.floats(0, 20e-6))
@settings(max_examples=40, deadline=None)  # the first call loads compiled kernels
def test_doubling_tokens_doubles_days(tokens, n, lat):
    a, b = ev(n=n, tokens=tokens, latency_s=lat), ev(n=n, tokens=2 * tokens, latency_s=lat)
    assert b["days"] == 2 * a["days"]
    assert b["compute_days"] == 2 * a["compute_days"]
    assert b["cost_usd"] == pytest.approx(2 * a["cost_usd"], rel=1e-15)


@given(lat=st.floats(0, 20e-6), cut=st.floats(0, 1))
@settings(max_examples=30, deadline=None)  # the first call loads compiled kernels
def test_lower_latency_never_slows_training(lat, cut):
    assert ev(latency_s=lat * cut)["days"] <= ev(latency_s=lat)["days"]


def test_flow_hashing_is_never_faster_than_spraying():
    for inst, n in (("p4d.24xlarge", 500), ("p5.48xlarge", 2500)):
        s, e = ev(inst, n, network="spraying"), ev(inst, n, network="ecmp")
        assert e["derived"]["path_slowdown"] > s["derived"]["path_slowdown"] >= 1.0
        assert e["days"] >= s["days"]


def test_step_matches_the_alpha_beta_model():
    # tree all-reduce of one instance's gradient shard across replicas: 2*ceil(log2 p)*alpha + 2*n/(B*e) per
    # bucket, B the whole instance's NIC bandwidth (the stage across instances of the two-level model)
    ranks = 2500 // 8
    shard_bytes = N / 8 * 2
    buckets = math.ceil(shard_bytes / 25e6)
    for eff in (1.0, network.NIC_EFFICIENCY, 0.5):
        r = ev(n=2500, latency_s=6e-6, overlap=0.0, nic_efficiency=eff)
        bw = 3200e9 / 8 / r["derived"]["path_slowdown"]
        comm = buckets * (2 * math.ceil(math.log2(ranks)) * 6e-6 + 2 * (shard_bytes / buckets) / (bw * eff))
        assert r["comm_s"] == pytest.approx(comm, rel=1e-12)
        assert r["step_s"] == pytest.approx(r["compute_s"] + comm, rel=1e-12)


def test_default_network_is_the_measured_efficiency_and_the_ideal_is_a_parameter_away():
    dflt, ideal = ev(n=2500, latency_s=0.0, overlap=0.0), ev(n=2500, latency_s=0.0, overlap=0.0, nic_efficiency=1.0)
    assert dflt["assumptions"]["nic_efficiency"]["value"] == network.NIC_EFFICIENCY
    # with no latency the all-reduce is all bandwidth term: 1/e times the textbook bound
    assert dflt["comm_s"] == pytest.approx(ideal["comm_s"] / network.NIC_EFFICIENCY, rel=1e-12)
    assert dflt["days"] >= ideal["days"]


def test_nic_efficiency_reproduces_the_measured_multi_node_bus_bandwidth():
    # the cluster's default network, in the measured runs' layout (nccl-tests: every GPU holds the whole
    # 1 GiB buffer, so the NVLink stage takes part), against data/measurements.csv: 4 x p4dn (the fit) and
    # 3 x p4dn (held out), each within 5%
    M = load_measurements()
    e_nic = cl.DEFAULTS["nic_efficiency"][0]
    e_nvl = cl.DEFAULTS["nvlink_efficiency"][0]
    intra = cl.INTRA_INSTANCE["A100 SXM 40GB"][0]
    for key, nodes in (("nccl_busbw_4xp4dn", 4), ("nccl_busbw_3xp4dn", 3)):
        n = 2**30
        t = network.two_level_allreduce_time(n, nodes, 8, 0.0, 50e9, intra, "ring", nic_efficiency=e_nic,
                                             nvlink_efficiency=e_nvl)
        busbw = network.bus_bandwidth(n, t, nodes * 8)["busbw_Bps"] / 1e9
        assert M[key].unit == "GB/s"
        assert relative_error(busbw, M[key].value) == pytest.approx(0.0, abs=0.05), key


def test_nvlink_stage_adds_the_two_level_nvlink_terms():
    # nvlink_stage=True: the per-bucket time is network.two_level_allreduce_time's, NVLink terms included
    a = ev(n=2500, latency_s=0.0, overlap=0.0)
    b = ev(n=2500, latency_s=0.0, overlap=0.0, nvlink_stage=True)
    shard_bytes = N / 8 * 2
    extra = 2 * (7 / 8) * shard_bytes / (450e9 * network.RING_EFFICIENCY)
    assert b["comm_s"] - a["comm_s"] == pytest.approx(extra, rel=1e-9)
    assert b["assumptions"]["intra_GBps"]["value"] == 450.0
    with pytest.raises(TypeError, match="nvlink_stage"):
        ev(nvlink_stage="yes")
    for bad in (0.0, 1.5, -1.0):
        with pytest.raises(ValueError, match="nic_efficiency"):
            ev(nic_efficiency=bad)
        with pytest.raises(ValueError, match="nvlink_efficiency"):
            ev(nvlink_efficiency=bad)


def test_a_replica_must_hold_the_model_and_optimizer_state():
    # ZeRO, section 3: 16 bytes per parameter; GPT-3 needs 16 x 174.6e9 = 2.79 TB
    state = 16 * N
    p4d, p5 = ev("p4d.24xlarge", 500)["derived"], ev()["derived"]
    assert p5["instances_per_replica"] == 8 and p5["replica_hbm_bytes"] == 8 * 8 * 80e9 >= state
    # 8 x p4d (8 x 40 GB each) hold 2.56 TB < 2.79 TB: the replica doubles to 16 (5.12 TB), and 500 // 16 = 31
    assert 8 * 8 * 40e9 < state
    assert p4d["instances_per_replica"] == 16 and p4d["replicas"] == 31 and p4d["idle_instances"] == 4
    assert p4d["state_bytes"] == pytest.approx(state)
    # a replica (or a whole cluster) that cannot hold the state is refused, not silently computed
    with pytest.raises(ValueError, match="less than the 2.79 TB"):
        ev("p4d.24xlarge", 500, instances_per_replica=8)
    with pytest.raises(ValueError, match="whole cluster of 8 p4d"):
        ev("p4d.24xlarge", 8)
    with pytest.raises(ValueError, match="at least 5 instances"):
        ev(n=4)
    # sharded state (a smaller figure per parameter) lets 8 x p4d hold it again
    assert ev("p4d.24xlarge", 500, instances_per_replica=8, state_bytes_per_param=8.0)["derived"]["replicas"] == 62
    # ten times GPT-3 on p5 needs 28 TB: 64 instances per replica (40.96 TB), 39 replicas
    big = ev(params=10 * N)["derived"]
    assert big["instances_per_replica"] == 64 and big["replicas"] == 2500 // 64


def test_replicas_are_rounded_down_and_every_instance_is_charged():
    r = ev(n=2503)
    assert r["derived"]["replicas"] == 312 and r["derived"]["idle_instances"] == 7
    assert r["cost_usd"] == pytest.approx(r["days"] * 24 * 2503 * r["assumptions"]["usd_per_hour"]["value"])


# --- cooling, racks, encryption ----------------------------------------------------------------

def test_air_limit_solves_the_junction_chain():
    # thermal.COOLING (notebook 02's one table): air 95 = 25 + P * (0.03 + 0.02 + 1/(100 * 0.5)),
    # liquid 95 = 30 + P * (0.01 + 0.006 + 1/(10000 * 0.01)) (the calibrated cold-plate chain)
    d = ev()["derived"]
    assert d["air_limit_w"] == pytest.approx(70 / (0.05 + 1 / 50), rel=1e-12)
    assert d["liquid_limit_w"] == pytest.approx(65 / (0.016 + 1 / 100), rel=1e-12)
    assert ev("p4d.24xlarge", 500)["cooling"] == "air"            # A100 400 W (docs/references.md)
    assert ev()["cooling"] == "air"                                # H100 700 W: p5 servers are air-cooled
    assert ev(air_fin_area_m2=0.1)["cooling"] == "liquid"          # a small heat sink cannot hold 700 W
    assert ev(chip_power_w=1050.0)["cooling"] == "liquid"          # above the air limit
    assert ev(inlet_c=35.0)["derived"]["air_limit_w"] == pytest.approx(60 / (0.05 + 1 / 50), rel=1e-12)


def test_cooling_inputs_are_recorded_and_checked():
    a = ev()["assumptions"]
    assert a["inlet_c"]["value"] == thermal.COOLING["air"]["t_inf_c"]
    assert a["air_fin_area_m2"]["value"] == thermal.COOLING["air"]["wetted_area_m2"]
    with pytest.raises(ValueError, match="t_junction_max_c"):
        ev(t_junction_max_c=28.0)                                  # below the liquid inlet of the table


@pytest.mark.parametrize("inst, n", [("p4d.24xlarge", 11), ("p5.48xlarge", 37), ("trn1.32xlarge", 9)])
def test_racks_equal_first_fit_decreasing_placement(inst, n):
    r = cl.evaluate(inst, n, N, D, **BASE)
    d = r["derived"]
    server_w = d["server_peak_w"]                                    # the published system maximum, or chips x TDP + host
    liquid = r["cooling"] == "liquid"
    cap = 120e3 if liquid else 25e3
    placed = thermal.place_servers(np.full(n, server_w), np.full(n, liquid), 0 if liquid else n, n if liquid else 0,
                                   rack_power_w=cap, air_cooling_w=cap, liquid_cooling_w=cap)
    assert placed["unplaced_w"] == 0
    assert r["racks"] == placed["racks_used"]


def test_encryption_cores_at_line_rate_count_both_directions():
    # docs/references.md sections 1 and 3: an all-reduce sends and receives at line rate at once, and AES-GCM runs at
    # about 4 GB/s per core each way, so the host encrypts the outgoing and decrypts the incoming bytes:
    # p4d 400 Gb/s = 50 GB/s each way -> (50 + 50) / 4 = 25 cores; p5 3,200 Gb/s = 400 GB/s -> 800 / 4 = 200
    assert ev("p4d.24xlarge", 500)["encryption_cores_per_node"] == 0            # the NIC encrypts
    assert ev("p4d.24xlarge", 500, encryption="cpu")["encryption_cores_per_node"] == 25
    assert ev(encryption="cpu")["encryption_cores_per_node"] == 200
    assert ev("trn1.32xlarge", 500, encryption="cpu")["encryption_cores_per_node"] == 50   # 2 x 100 GB/s / 4
    # the labelled alternative, sending only: 50 / 4 = 12.5 -> 13 cores, 400 / 4 = 100 cores
    assert ev("p4d.24xlarge", 500, encryption="cpu", crypto_directions=1)["encryption_cores_per_node"] == 13
    assert ev(encryption="cpu", crypto_directions=1)["encryption_cores_per_node"] == 100


def test_cpu_encryption_caps_each_direction_at_half_the_crypto_cores():
    # 32 cores x 4 GB/s shared by encryption and decryption: 64 GB/s each way, below p5's 400 GB/s link
    cpu, nic = ev(encryption="cpu"), ev()
    slow = cpu["derived"]["path_slowdown"]
    assert cpu["derived"]["allreduce_bandwidth_Bps"] == pytest.approx(32 * 4e9 / 2 / slow, rel=1e-12)
    # the NIC's achieved rate: its nominal 400 GB/s at the measured efficiency
    assert nic["derived"]["allreduce_bandwidth_Bps"] == pytest.approx(3200e9 / 8 * network.NIC_EFFICIENCY / slow,
                                                                      rel=1e-12)
    assert cpu["days"] > nic["days"]
    one_way = ev(encryption="cpu", crypto_directions=1)                         # 128 GB/s if sending only
    assert one_way["derived"]["allreduce_bandwidth_Bps"] == pytest.approx(128e9 / slow, rel=1e-12)
    assert nic["days"] < one_way["days"] < cpu["days"]
    # p4d: 64 GB/s each way exceeds its 50 GB/s link (at the measured efficiency, less), so the link rate
    # stands and the days do not move;
    # with 12 cores the cap is 12 x 4 / 2 = 24 GB/s
    p4d_cpu, p4d_nic = ev("p4d.24xlarge", 500, encryption="cpu"), ev("p4d.24xlarge", 500)
    s4 = p4d_nic["derived"]["path_slowdown"]
    assert p4d_cpu["derived"]["allreduce_bandwidth_Bps"] == pytest.approx(50e9 * network.NIC_EFFICIENCY / s4,
                                                                          rel=1e-12)
    assert p4d_cpu["days"] == p4d_nic["days"]
    few = ev("p4d.24xlarge", 500, encryption="cpu", crypto_cores=12)
    assert few["derived"]["allreduce_bandwidth_Bps"] == pytest.approx(24e9 / s4, rel=1e-12)


def test_cpu_encrypted_step_matches_the_alpha_beta_model_at_64_GBps():
    # as test_step_matches_the_alpha_beta_model, with the bandwidth 32 x 4 GB/s / 2 over the fullest path
    r = ev(n=2500, latency_s=6e-6, overlap=0.0, encryption="cpu")
    ranks, shard_bytes = 2500 // 8, N / 8 * 2
    buckets = math.ceil(shard_bytes / 25e6)
    bw = 64e9 / r["derived"]["path_slowdown"]
    comm = buckets * (2 * math.ceil(math.log2(ranks)) * 6e-6 + 2 * (shard_bytes / buckets) / bw)
    assert r["comm_s"] == pytest.approx(comm, rel=1e-12)


def test_encryption_directions_are_a_labelled_assumption():
    a = ev(encryption="cpu")["assumptions"]["crypto_directions"]
    assert a["value"] == 2
    assert a["source"].startswith("assumption") and "decrypt" in a["source"]
    with pytest.raises(ValueError, match="crypto_directions"):
        ev(encryption="cpu", crypto_directions=3)


def test_every_assumption_is_listed_with_a_source():
    a = cl.evaluate("trn2.48xlarge", 100, N, D, usd_per_hour=70.0, **BASE)["assumptions"]
    for key in list(cl.DEFAULTS) + ["mfu", "pue", "grid_g_per_kwh", "peak_flops_per_chip"]:
        assert key in a and a[key]["source"]
    assert a["usd_per_hour"] == {"value": 70.0, "source": "assumption (set by caller)"}
    assert "not published" in a["chip_power_w"]["source"]             # Trainium2 TDP (docs/references.md)
    assert a["efa_gbps"]["value"] == 3200                              # trn2.48xlarge (docs/references.md section 1)


# --- sample against evaluate --------------------------------------------------------------------

RANGES = dict(mfu=(0.3, 0.5), usd_per_hour=(40.0, 55.04), pue=(1.1, 1.2), grid_g_per_kwh=(200.0, 500.0),
              latency_s=(4e-6, 10e-6), loss_prob=(0.0, 1e-4))
FIXED = {k: (lo + hi) / 2 for k, (lo, hi) in RANGES.items()}


def ev_at(x, **kw):
    x = dict(x)
    return cl.evaluate("p5.48xlarge", 2500, N, D, mfu=x.pop("mfu"), pue=x.pop("pue"),
                       grid_g_per_kwh=x.pop("grid_g_per_kwh"), **x, **kw)


@pytest.mark.parametrize("name", cl.SAMPLED)
def test_median_of_each_output_is_evaluate_at_the_median_input(name):
    # one assumption varies: every output is monotone in it, so with an odd count the median output is
    # the output at the median input
    s = cl.sample("p5.48xlarge", 2500, N, D, n_samples=2001, seed=3, **{**FIXED, name: RANGES[name]})
    r = ev_at({**FIXED, name: float(np.median(s[name]))})
    for out in cl.OUTPUTS:
        assert np.median(s[out]) == pytest.approx(r[out], rel=1e-9), out


def test_medians_agree_with_evaluate_at_the_median_assumptions():
    s = cl.sample("p5.48xlarge", 2500, N, D, n_samples=100_001, seed=1, **RANGES)
    r = ev_at({k: float(np.median(s[k])) for k in cl.SAMPLED})
    for out in cl.OUTPUTS:
        assert np.median(s[out]) == pytest.approx(r[out], rel=0.03), out


def test_fixed_assumptions_reproduce_evaluate():
    x = {**FIXED, "usd_per_hour": 21.96}
    s = cl.sample("p4d.24xlarge", 500, N, D, n_samples=5, network="ecmp", **x)
    r = cl.evaluate("p4d.24xlarge", 500, N, D, mfu=x.pop("mfu"), pue=x.pop("pue"),
                    grid_g_per_kwh=x.pop("grid_g_per_kwh"), network="ecmp", **x)
    for out in cl.OUTPUTS:
        np.testing.assert_allclose(s[out], r[out], rtol=1e-12)


def test_samples_stay_in_their_ranges_and_are_uniform():
    s = cl.sample("p5.48xlarge", 2500, N, D, n_samples=200_000, seed=2, **RANGES)
    for k, (lo, hi) in RANGES.items():
        assert s[k].min() >= lo and s[k].max() <= hi
        assert s[k].mean() == pytest.approx((lo + hi) / 2, abs=0.01 * (hi - lo))
        assert s[k].std() == pytest.approx((hi - lo) / math.sqrt(12), rel=0.01)
    assert abs(np.corrcoef(s["mfu"], s["pue"])[0, 1]) < 0.01        # independent draws


def test_same_seed_same_arrays_and_prefix_stability():
    a = cl.sample("p4d.24xlarge", 500, N, D, n_samples=1000, seed=5)
    b = cl.sample("p4d.24xlarge", 500, N, D, n_samples=1000, seed=5)
    c = cl.sample("p4d.24xlarge", 500, N, D, n_samples=100, seed=5)
    d = cl.sample("p4d.24xlarge", 500, N, D, n_samples=1000, seed=6)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        np.testing.assert_array_equal(a[k][:100], c[k])
    assert not np.array_equal(a["mfu"], d["mfu"])


def test_default_price_range_is_70_to_100_percent_of_on_demand():
    r = cl.sample_ranges("p5.48xlarge", price_date="2025-05")
    assert r["usd_per_hour"] == pytest.approx((0.7 * 98.32, 98.32))


def test_summarize_and_tornado():
    s = cl.sample("p4d.24xlarge", 500, N, D, n_samples=10_001)
    q = cl.summarize(s)
    assert q["days"]["p10"] <= q["days"]["p50"] <= q["days"]["p90"]
    rows = cl.tornado("p5.48xlarge", 2500, N, D, latency_s=(4.5e-6, 7.5e-6))
    swings = [r["days_swing"] for r in rows]
    assert swings == sorted(swings, reverse=True)
    by = {r["name"]: r for r in rows}
    assert by["pue"]["days_swing"] == 0 and by["grid_g_per_kwh"]["cost_swing"] == 0   # energy-only levers
    assert by["pue"]["co2_swing"] > 0
    assert by["usd_per_hour"]["days_swing"] == 0 and by["usd_per_hour"]["cost_swing"] > 0


# --- bad input ------------------------------------------------------------------------------------

def test_unknown_instance_lists_the_known_ones():
    with pytest.raises(ValueError, match="p5.48xlarge") as err:
        ev("p9.huge")
    assert "p9.huge" in str(err.value) and "trn1.32xlarge" in str(err.value)


def test_missing_price_date_names_the_available_dates():
    with pytest.raises(ValueError, match=r"2024-01.*available dates.*2025-05.*2025-06"):
        ev(price_date="2024-01")


def test_trainium2_needs_a_price_assumption():
    with pytest.raises(ValueError, match="needs a price assumption"):
        cl.evaluate("trn2.48xlarge", 6250, N, D, **BASE)
    with pytest.raises(ValueError, match="needs a price assumption"):
        cl.sample("trn2.48xlarge", 6250, N, D, n_samples=10)
    assert cl.evaluate("trn2.48xlarge", 6250, N, D, usd_per_hour=60.0, **BASE)["cost_usd"] > 0


@pytest.mark.parametrize("kw, match", [
    (dict(mfu=0.0), "mfu"), (dict(mfu=1.01), "mfu"), (dict(mfu=-0.2), "mfu"),
    (dict(pue=0.99), "pue"), (dict(grid_g_per_kwh=-1.0), "grid_g_per_kwh"),
    (dict(n=-3), "n_instances"), (dict(n=0), "n_instances"), (dict(params=-1.0), "params"),
    (dict(tokens=0.0), "tokens"), (dict(latency_s=-1e-6), "latency_s"), (dict(loss_prob=0.9), "loss_prob"),
    (dict(network="fat-tree"), "network"), (dict(encryption="gpu"), "encryption"),
    (dict(overlap=1.5), "overlap"), (dict(usd_per_hour=0.0), "usd_per_hour"),
    (dict(rack_kw_air=5.0), "rack"), (dict(chip_power_w=1050.0, rack_kw_liquid=5.0), "rack"),
    (dict(n=10_000_000), "n_instances"),
])
def test_impossible_values_name_the_parameter(kw, match):
    with pytest.raises(ValueError, match=match):
        ev(**kw)


def test_unknown_assumption_and_bad_types():
    with pytest.raises(TypeError, match="unknown assumption"):
        ev(latency=8e-6)
    with pytest.raises(TypeError, match="n_instances"):
        ev(n=2.5)
    with pytest.raises(TypeError, match="instance"):
        cl.evaluate(5, 1, N, D, **BASE)


@pytest.mark.parametrize("kw, match", [
    (dict(n_samples=0), "n_samples"), (dict(n_samples=cl.MAX_SAMPLES + 1), "n_samples"),
    (dict(n_samples=10, mfu=(0.5, 0.3)), "mfu"), (dict(n_samples=10, pue=(0.9, 1.2)), "pue"),
    (dict(n_samples=10, loss_prob=(0.0, 0.1, 0.2)), "loss_prob"),
])
def test_bad_sample_input(kw, match):
    with pytest.raises(ValueError, match=match):
        cl.sample("p4d.24xlarge", 500, N, D, **kw)


def test_bench_numpy_baseline_matches_the_kernel_in_distribution():
    from infralab.bench import _cluster
    a = _cluster.sample_numpy(*_cluster.DESIGN, 200_000, seed=1, **_cluster.RANGES)
    b = cl.sample(*_cluster.DESIGN, n_samples=200_000, seed=1, **_cluster.RANGES)
    for k in cl.OUTPUTS:
        for q in (10, 50, 90):
            assert np.percentile(a[k], q) == pytest.approx(np.percentile(b[k], q), rel=0.01), (k, q)


def test_effective_latency_is_checked_and_matches_the_closed_form():
    # analytic: latency + rto * (1 - (1 - p)**n); with p = 1/2 and n = 3, 1 - 1/8 = 7/8 of the rto
    assert cl.effective_latency(1.0, 0.5, 3, 8.0) == pytest.approx(1.0 + 7.0)
    for kw, name in [(dict(latency_s=float("nan")), "latency_s"), (dict(loss_prob=1.5), "loss_prob"),
                     (dict(n_messages=-1), "n_messages"), (dict(n_messages=10**400), "n_messages"),
                     (dict(n_messages=2.0), "n_messages"), (dict(rto_s=float("inf")), "rto_s"),
                     (dict(latency_s=1.7e308, rto_s=1.7e308, loss_prob=1.0), "latency_s and rto_s")]:
        with pytest.raises((ValueError, TypeError), match=name):
            cl.effective_latency(**{"latency_s": 8e-6, "loss_prob": 0.01, "n_messages": 8, "rto_s": 30e-6, **kw})


# --- server power: published whole-system maxima (data/measurements.csv) ------------------------

def test_server_power_default_reproduces_the_published_system_maximum():
    from infralab.measurements import load_measurements, relative_error
    m = load_measurements()
    for inst, n, key in (("p5.48xlarge", 2500, "dgx_h100_max_power"), ("p4d.24xlarge", 500, "dgx_a100_max_power"),
                         ("p5en.48xlarge", 100, "dgx_h200_max_power")):
        r = cl.evaluate(inst, n, N, D, **BASE)
        assert m[key].unit == "kW"
        assert abs(relative_error(r["derived"]["server_peak_w"] / 1e3, m[key].value)) < 0.01
        assert key in r["assumptions"]["server_kw"]["source"]
        assert r["derived"]["server_power"] == "measured"


def test_server_power_tdp_is_chips_times_tdp_plus_host_and_under_counts():
    # H100 SXM TDP 700 W (data/chips.csv): 8 x 700 + 2000 = 7,600 W, below DGX H100's 10.2 kW maximum
    r = cl.evaluate("p5.48xlarge", 2500, N, D, **BASE, server_power="tdp")
    assert r["derived"]["server_peak_w"] == pytest.approx(8 * 700.0 + 2000.0)
    assert r["racks"] == math.ceil(2500 / (25_000 // 7600))            # 3 servers per 25 kW air rack
    assert cl.evaluate("p5.48xlarge", 2500, N, D, **BASE)["racks"] == math.ceil(2500 / (25_000 // 10_200))
    # the average IT power: chips at 80% of TDP plus the host, or 80% of the system maximum
    assert r["it_power_kw"] == pytest.approx(2500 * (8 * 700 * 0.8 + 2000) / 1e3)
    assert cl.evaluate("p5.48xlarge", 2500, N, D, **BASE)["it_power_kw"] == pytest.approx(2500 * 10.2 * 0.8)


def test_server_power_unpublished_falls_back_and_says_uncertain():
    r = cl.evaluate("trn1.32xlarge", 10, N, D, **BASE)
    assert r["derived"]["server_power"] == "tdp"
    assert "uncertain" in r["assumptions"]["server_kw"]["source"]
    assert cl.server_power_w("trn2.48xlarge") is None
    assert cl.evaluate("trn1.32xlarge", 10, N, D, **BASE, server_kw=12.5)["derived"]["server_peak_w"] == 12_500.0
    with pytest.raises(ValueError, match="server_power"):
        cl.evaluate("p5.48xlarge", 10, N, D, **BASE, server_power="nameplate")
    with pytest.raises(ValueError, match="server_kw"):
        cl.evaluate("p5.48xlarge", 10, N, D, **BASE, server_kw=-1.0)
    with pytest.raises(TypeError, match="instance"):
        cl.server_power_w(5)


# --- ECMP flows per path ----------------------------------------------------------------------

def test_flows_per_path_is_passed_to_the_path_models_and_evens_out_hashing():
    one = cl.evaluate("p5.48xlarge", 2500, N, D, **BASE, network="ecmp")["derived"]
    many = cl.evaluate("p5.48xlarge", 2500, N, D, **BASE, network="ecmp", flows_per_path=16)["derived"]
    assert one["flows_per_path"] == 1 and many["flows_per_path"] == 16
    assert one["path_slowdown"] == network.simulate_ecmp(16, 16, 2000, seed=0, backend="cpu")["slowdown"]
    assert many["path_slowdown"] == network.simulate_ecmp(16, 256, 2000, seed=0, backend="cpu")["slowdown"]
    # balls into bins: more balls per bin bring the fullest bin closer to the mean (never below it)
    assert 1.0 <= many["path_slowdown"] < one["path_slowdown"]
    with pytest.raises(ValueError, match="flows_per_path"):
        cl.evaluate("p5.48xlarge", 10, N, D, **BASE, flows_per_path=0)
    with pytest.raises(ValueError, match="flows_per_path"):
        cl.evaluate("p5.48xlarge", 10, N, D, **BASE, n_paths=64, flows_per_path=32)
