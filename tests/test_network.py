"""infralab.network against the checks of docs/references.md (section 1), analytic formulas and invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import network as nw

# --- collectives ----------------------------------------------------------------------------


def test_ring_allreduce_check_from_the_references():
    # docs/references.md section 1: p = 8, n = 1 GB, B = 50 GB/s, alpha = 5 us -> 35.07 ms
    assert nw.allreduce_time(1e9, 8, 5e-6, 50e9, "ring", efficiency=1.0) == pytest.approx(35.07e-3, abs=0.005e-3)


def test_halving_doubling_power_of_two_formula():
    p, n, a, b = 16, 3e8, 2e-6, 25e9
    want = 2 * math.log2(p) * a + 2 * (p - 1) / p * n / b
    assert nw.allreduce_time(n, p, a, b, "halving_doubling", efficiency=1.0) == pytest.approx(want, rel=1e-12)


def test_halving_doubling_rounds_log_up_for_other_p():
    assert nw.allreduce_time(0, 5, 1.0, 1.0, "halving_doubling", efficiency=1.0) == pytest.approx(2 * 3)


def test_tree_model():
    assert nw.allreduce_time(1e6, 1024, 1e-6, 1e9, "tree", efficiency=1.0) == pytest.approx(20e-6 + 2e-3)


@pytest.mark.parametrize("algo", nw.ALGORITHMS)
def test_one_rank_costs_nothing(algo):
    assert nw.allreduce_time(1e9, 1, 1e-3, 1e9, algo, efficiency=1.0) == 0.0


def test_array_of_sizes():
    sizes = np.logspace(0, 9, 10)
    t = nw.allreduce_time(sizes, 8, 5e-6, 50e9, efficiency=1.0)
    assert t.shape == sizes.shape and np.all(np.diff(t) > 0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(nbytes=-1), "nbytes"),
    (dict(n_ranks=0), "n_ranks"),
    (dict(latency_s=-1e-6), "latency_s"),
    (dict(bandwidth_Bps=0), "bandwidth_Bps"),
    (dict(algorithm="butterfly"), "algorithm"),
])
def test_bad_collective_inputs(kwargs, match):
    args = dict(nbytes=1e6, n_ranks=8, latency_s=1e-6, bandwidth_Bps=1e9, algorithm="ring") | kwargs
    with pytest.raises(ValueError, match=match):
        nw.allreduce_time(**args, efficiency=1.0)


def test_ranks_must_be_integer():
    with pytest.raises(TypeError, match="n_ranks"):
        nw.allreduce_time(1e6, 8.5, 1e-6, 1e9, efficiency=1.0)


sizes = st.floats(0, 1e12)
lat = st.floats(0, 1e-3)
ranks = st.integers(1, 100_000)
bws = st.floats(1e6, 1e13)


@settings(max_examples=200, deadline=None)
@given(sizes, sizes, ranks, lat, bws, st.sampled_from(nw.ALGORITHMS))
def test_time_grows_with_message_size(n1, n2, p, a, b, algo):
    lo, hi = sorted((n1, n2))
    assert nw.allreduce_time(lo, p, a, b, algo, efficiency=1.0) <= nw.allreduce_time(hi, p, a, b, algo, efficiency=1.0)


@settings(max_examples=200, deadline=None)
@given(sizes, ranks, lat, lat, bws, st.sampled_from(nw.ALGORITHMS))
def test_time_grows_with_latency(n, p, a1, a2, b, algo):
    lo, hi = sorted((a1, a2))
    assert nw.allreduce_time(n, p, lo, b, algo, efficiency=1.0) <= nw.allreduce_time(n, p, hi, b, algo, efficiency=1.0)


@settings(max_examples=200, deadline=None)
@given(sizes, st.integers(2, 100_000), bws)
def test_ring_and_halving_doubling_share_the_bandwidth_term(n, p, b):
    assert nw.allreduce_time(n, p, 0.0, b, "ring", efficiency=1.0) == pytest.approx(
        nw.allreduce_time(n, p, 0.0, b, "halving_doubling", efficiency=1.0), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 10_000), st.floats(1e-7, 1e-4), st.floats(1e8, 1e12), st.sampled_from(nw.ALGORITHMS))
def test_crossover_balances_the_two_terms(p, a, b, algo):
    n = nw.crossover_bytes(p, a, b, algo, efficiency=1.0)
    latency_only = nw.allreduce_time(0.0, p, a, b, algo, efficiency=1.0)
    assert nw.allreduce_time(n, p, a, b, algo, efficiency=1.0) == pytest.approx(2 * latency_only, rel=1e-9)


def test_bus_bandwidth_nccl_tests_definition():
    r = nw.bus_bandwidth(1e9, 0.1, 8, "allreduce")
    assert r["algbw_Bps"] == pytest.approx(1e10)
    assert r["busbw_Bps"] == pytest.approx(1e10 * 2 * 7 / 8)
    assert nw.bus_bandwidth(1e9, 0.1, 8, "allgather")["busbw_Bps"] == pytest.approx(1e10 * 7 / 8)


# --- training step --------------------------------------------------------------------------


def test_training_step_pure_bandwidth_case():
    # no latency, one bucket, no overlap: the step is compute + the ring's bandwidth term
    r = nw.training_step(1e9, 8, 1.0, 0.0, 1e10, bytes_per_param=2, bucket_bytes=1e12, overlap=0.0)
    assert r["n_buckets"] == 1
    assert r["step_s"] == pytest.approx(1.0 + 2 * 7 / 8 * 2e9 / 1e10)


def test_training_step_buckets_multiply_latency():
    r = nw.training_step(1e9, 4000, 0.0, 8e-6, 1e12, bytes_per_param=2, bucket_bytes=25e6, overlap=0)
    assert r["n_buckets"] == 80
    assert r["latency_part_s"] == pytest.approx(80 * 2 * 3999 * 8e-6)


def test_full_overlap_hides_communication_behind_long_compute():
    r = nw.training_step(1e8, 64, 100.0, 5e-6, 5e10, overlap=1.0)
    assert r["exposed_s"] == 0.0 and r["step_s"] == 100.0


def test_latency_only_saving_is_the_latency_ratio():
    # when compute is hidden-free and bandwidth is infinite-ish, 8 -> 6 us cuts the step by 25 %
    s = nw.time_to_train_saving(8e-6, 6e-6, n_params=1e9, n_ranks=4000, compute_s=0.0,
                                bandwidth_Bps=1e18, overlap=0.0)
    assert s == pytest.approx(0.25, rel=1e-6)


def test_saving_is_the_latency_cut_times_the_latency_share():
    # point 1's closed form: while communication stays exposed, saving = 0.25 x latency share
    kw = dict(n_params=7e9, n_ranks=4000, compute_s=0.1, bandwidth_Bps=50e9, overlap=0.8)
    before = nw.training_step(latency_s=8e-6, **kw)
    saving = nw.time_to_train_saving(8e-6, 6e-6, **kw)
    assert saving == pytest.approx(nw.latency_saving_bound(0.25, before["latency_share"]), rel=1e-12)
    assert nw.latency_share_needed(0.15, 0.25) == pytest.approx(0.6)


@given(st.floats(1e8, 1e12), st.integers(2, 30000), st.floats(0.0, 10.0), st.floats(1e9, 1e12),
       st.floats(0.0, 1.0), st.sampled_from(nw.ALGORITHMS))
@settings(max_examples=60)
def test_saving_never_exceeds_the_bound(n, p, compute, bw, overlap, algo):
    kw = dict(n_params=n, n_ranks=p, compute_s=compute, bandwidth_Bps=bw, overlap=overlap, algorithm=algo)
    share = nw.training_step(latency_s=8e-6, **kw)["latency_share"]
    assert nw.time_to_train_saving(8e-6, 6e-6, **kw) <= nw.latency_saving_bound(0.25, share) + 1e-12


def test_achieved_mfu_definition():
    # PaLM: tokens/s x 6N / peak; a step of exactly the compute time recovers the assumed MFU
    compute = nw.compute_time_per_step(7e9, 4e6, 4000, 989e12, 0.4)
    assert nw.achieved_mfu(7e9, 4e6, 4000, 989e12, compute) == pytest.approx(0.4)
    assert nw.achieved_mfu(7e9, 4e6, 4000, 989e12, 2 * compute) == pytest.approx(0.2)


def test_ten_p_ten_u_throughput():
    # 20,000 GPUs / 8 per p5 = 2,500 instances x 3.2 Tb/s (docs/references.md section 1) = 8 Pb/s each way
    r = nw.cluster_throughput(20_000, 8, 3.2e12)
    assert r["instances"] == 2500
    assert r["per_direction_bps"] == pytest.approx(8e15)
    assert r["both_directions_bps"] == pytest.approx(16e15)


def test_message_latency_share():
    assert nw.message_latency_share(0.0, 8e-6, 50e9) == 1.0
    assert nw.message_latency_share(400e3, 8e-6, 50e9) == pytest.approx(0.5)


def test_compute_time_per_step():
    assert nw.compute_time_per_step(1e9, 1e6, 100, 1e15, 0.5) == pytest.approx(6e15 / 5e16)
    with pytest.raises(ValueError, match="mfu"):
        nw.compute_time_per_step(1e9, 1e6, 100, 1e15, 1.5)


# --- ECMP -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m, used, p_ok", [(8, 8, 5.2511, 0.002403), (8, 4, 3.3105, 0.410156)])
def test_balls_into_bins_checks_from_the_references(n, m, used, p_ok):
    assert nw.ecmp_expected_used_paths(n, m) == pytest.approx(used, abs=5e-5)
    assert nw.ecmp_no_collision_probability(n, m) == pytest.approx(p_ok, abs=5e-7)


def test_more_flows_than_paths_always_collide():
    assert nw.ecmp_no_collision_probability(4, 5) == 0.0


def test_simulate_ecmp_is_deterministic_and_plain_floats():
    a = nw.simulate_ecmp(16, 16, 5000, seed=3)
    b = nw.simulate_ecmp(16, 16, 5000, seed=3)
    assert a == b
    assert all(type(v) is float for v in a.values())
    assert {"mean_used_paths", "mean_max_load"} <= a.keys()
    assert nw.simulate_ecmp(16, 16, 5000, seed=4) != a


@pytest.mark.parametrize("n, m", [(8, 8), (8, 4), (64, 64), (5, 13)])
def test_monte_carlo_converges_to_the_formulas(n, m):
    trials = 200_000
    r = nw.simulate_ecmp(n, m, trials, seed=11)
    # used paths: standard error of the mean is below sqrt(n/4/trials); allow 5 sigma
    assert r["mean_used_paths"] == pytest.approx(nw.ecmp_expected_used_paths(n, m), abs=5 * math.sqrt(n / 4 / trials))
    p = nw.ecmp_no_collision_probability(n, m)
    assert r["p_no_collision"] == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / trials) + 1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 64), st.integers(1, 128), st.integers(0, 2**31))
def test_monte_carlo_means_converge_property(n, m, seed):
    trials = 20_000
    r = nw.simulate_ecmp(n, m, trials, seed=seed)
    # used paths lie in [0, n], so their standard deviation is at most n/2: allow 6 standard errors
    bound = 6 * (n / 2) / math.sqrt(trials)
    assert abs(r["mean_used_paths"] - nw.ecmp_expected_used_paths(n, m)) <= bound


def test_fullest_path_grows_like_log_n_over_log_log_n():
    # Raab & Steger: with m = n the fullest bin holds about ln n / ln ln n balls (to leading order)
    small, large = (nw.simulate_ecmp(n, n, 2000, seed=5)["mean_max_load"] for n in (16, 4096))
    assert large > small
    ratio_formula = (math.log(4096) / math.log(math.log(4096))) / (math.log(16) / math.log(math.log(16)))
    assert 0.5 * ratio_formula < large / small < 2 * ratio_formula


def test_spraying_balances_load():
    ecmp = nw.simulate_ecmp(64, 64, 2000, seed=2)
    spray = nw.simulate_spraying(64, 64, 256, 2000, seed=2)
    assert spray["slowdown"] < ecmp["slowdown"]
    assert spray["slowdown"] < 1.5
    one_packet = nw.simulate_spraying(64, 64, 1, 2000, seed=2)
    assert one_packet["mean_max_load"] == pytest.approx(ecmp["mean_max_load"])


def test_spraying_k_packets_is_ecmp_with_k_flows_per_flow():
    # point 4: spraying m flows of k packets throws m*k balls, exactly ECMP with m*k flows
    spray = nw.simulate_spraying(32, 32, 16, 3000, seed=5)
    ecmp = nw.simulate_ecmp(32, 32 * 16, 3000, seed=5)
    assert spray["slowdown"] == pytest.approx(ecmp["slowdown"], rel=1e-12)


@pytest.mark.parametrize("n, lam", [(64, 1), (64, 64), (16, 200), (8, 8)])
def test_poisson_slowdown_agrees_with_monte_carlo(n, lam):
    sim = nw.simulate_ecmp(n, n * lam, 4000, seed=11)
    assert nw.spraying_slowdown(n, lam) == pytest.approx(sim["slowdown"], rel=0.02)


def test_poisson_slowdown_follows_the_large_load_asymptote():
    # for large lam a Poisson(lam) is Normal(lam, lam): slowdown - 1 ~ E[max of n standard normals] / sqrt(lam),
    # with E[max] = integral of x n phi(x) Phi(x)^(n-1) dx, integrated here by the trapezoid rule
    n, lam = 64, 1e6
    x = np.linspace(-8, 8, 20001)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    e_max = np.trapezoid(x * n * phi * big_phi ** (n - 1), x)
    assert 2.3 < e_max < 2.5
    assert nw.spraying_slowdown(n, lam) - 1 == pytest.approx(e_max / math.sqrt(lam), rel=0.01)


def test_packets_needed_for_a_few_percent():
    k = nw.packets_per_flow_needed(1.05, 64)
    assert nw.spraying_slowdown(64, k) <= 1.05 < nw.spraying_slowdown(64, k - 1)
    sim = nw.simulate_spraying(64, 64, k, 300, seed=4)
    assert sim["slowdown"] == pytest.approx(1.05, abs=0.01)
    assert nw.simulate_spraying(8, 8, 4, 10, return_samples=True)["max_load"].shape == (10,)


@pytest.mark.parametrize("kwargs, err", [
    (dict(n_paths=0), ValueError), (dict(n_flows=0), ValueError), (dict(n_trials=0), ValueError),
    (dict(n_paths=2.0), TypeError), (dict(seed="x"), TypeError),
])
def test_simulate_ecmp_bad_input(kwargs, err):
    with pytest.raises(err):
        nw.simulate_ecmp(**(dict(n_paths=8, n_flows=8, n_trials=10) | kwargs))


# --- tail latency ---------------------------------------------------------------------------


def test_no_loss_single_packet_is_exponential():
    lat = nw.simulate_message_latency(200_000, 1, 0.0, 1e-6, 0.0, 1.0, seed=1)
    assert lat.mean() == pytest.approx(1e-6, rel=0.01)
    assert np.median(lat) == pytest.approx(math.log(2) * 1e-6, rel=0.01)


def test_loss_adds_timeouts_to_the_tail():
    lat = nw.simulate_message_latency(200_000, 1, 0.0, 0.0, 0.01, 1e-3, seed=1)
    # with no queueing, latency is k * rto where k ~ Geometric: P(k >= 1) = loss
    assert np.mean(lat > 0) == pytest.approx(0.01, abs=0.0015)
    assert set(np.unique(np.round(lat / 1e-3))) <= set(range(16))


def test_max_over_packets():
    # P(max of k exponentials <= x) = (1 - exp(-x/mu))^k
    k, mu = 8, 1e-6
    lat = nw.simulate_message_latency(100_000, k, 0.0, mu, 0.0, 0.0, seed=2)
    x = 2e-6
    assert np.mean(lat <= x) == pytest.approx((1 - math.exp(-x / mu)) ** k, abs=0.01)


def test_loss_threshold_for_a_quantile():
    assert nw.message_retransmit_probability(1e-4, 1024) == pytest.approx(1 - (1 - 1e-4) ** 1024)
    loss = nw.loss_reaching_quantile(0.99, 16)
    assert (1 - loss) ** 16 == pytest.approx(0.99)
    base = dict(n_messages=100_000, packets_per_message=16, base_latency_s=0.0, mean_queue_s=1e-6,
                rto_s=1e-3, seed=3)
    below = nw.simulate_message_latency(loss_prob=loss / 3, **base)
    above = nw.simulate_message_latency(loss_prob=loss * 3, **base)
    assert np.percentile(below, 99) < 1e-4 < 1e-3 < np.percentile(above, 99)


def test_spraying_and_fast_retransmit_shorten_the_tail():
    # point 5: under the stated conditions both P99 and P99.9 move in the direction AWS reports
    c = dict(n_messages=60_000, packets_per_message=16, base_latency_s=8e-6, service_s=1e-6,
             utilization=0.3, n_paths=64, n_flows=64, loss_prob=1e-4)
    tcp = nw.ecmp_vs_spray_latency(**c, rto_s=4e-3, multipath=False, seed=0)
    srd = nw.ecmp_vs_spray_latency(**c, rto_s=30e-6, multipath=True, seed=0)
    assert abs(tcp.size - 60_000) < 20 and srd.size == 60_000
    assert np.percentile(srd, 99) < 0.5 * np.percentile(tcp, 99)
    assert np.percentile(srd, 99.9) < 0.15 * np.percentile(tcp, 99.9)
    # with one path and no loss the two models coincide in distribution (M/M/1 at the mean load)
    one = dict(c, n_paths=1, n_flows=1, loss_prob=0.0)
    a = nw.ecmp_vs_spray_latency(**one, rto_s=0.0, multipath=False, seed=1)
    b = nw.ecmp_vs_spray_latency(**one, rto_s=0.0, multipath=True, seed=1)
    np.testing.assert_array_equal(a, b)


def test_collective_step_is_max_of_messages():
    lat = np.arange(10.0)
    np.testing.assert_array_equal(nw.collective_step_latency(lat, 3), [2.0, 5.0, 8.0])
    with pytest.raises(ValueError, match="messages_per_step"):
        nw.collective_step_latency(lat, 11)


def test_latency_bad_input():
    with pytest.raises(ValueError, match="loss_prob"):
        nw.simulate_message_latency(10, 1, 0, 0, 0.9, 0)
    with pytest.raises(ValueError, match="mean_queue_s"):
        nw.simulate_message_latency(10, 1, 0, -1, 0.1, 0)
