"""infralab.chips against the facts file, analytic cases, and malformed data files."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import chips


def test_gpt3_training_flops():
    # docs/references.md (4. Chips): GPT-3, N = 174.6e9, D = 300e9 -> 3.14e23 FLOPs = 3,640 PF-days
    f = chips.training_flops(174.6e9, 300e9)
    assert f == pytest.approx(3.14e23, rel=2e-3)
    assert f / (1e15 * 86400) == pytest.approx(3640, rel=2e-3)


@pytest.mark.parametrize("n, d", [(0, 1e9), (1e9, -1), (float("nan"), 1)])
def test_training_flops_rejects_non_positive(n, d):
    with pytest.raises(ValueError):
        chips.training_flops(n, d)


def test_ridge_point_h100():
    assert chips.ridge_point(989e12, 3.35e12) == pytest.approx(295, abs=0.5)   # docs/references.md (4. Chips)


@settings(max_examples=100, deadline=None)
@given(st.floats(1e9, 1e16), st.floats(1e9, 1e13), st.floats(1e-3, 1e4))
def test_roofline_is_min_of_roofs(peak, bw, intensity):
    v = chips.attainable_flops(peak, bw, intensity)
    assert v == pytest.approx(min(peak, bw * intensity))
    assert v <= peak * (1 + 1e-12)


def test_roofline_array_and_ridge():
    i = np.array([1.0, 295.22, 1000.0])
    v = chips.attainable_flops(989e12, 3.35e12, i)
    assert v[0] == pytest.approx(3.35e12) and v[2] == 989e12


def test_intensities():
    # square matmul: 2n^3 / (2 bytes * 3 n^2) = n/3 FLOP/byte in bf16
    assert chips.matmul_intensity(3000, 3000, 3000, 2) == pytest.approx(1000)
    assert chips.decode_attention_intensity(8, 2) == 1.0
    # grouped-query attention: g query heads share each KV head, so each byte read feeds g times the work
    assert chips.decode_attention_intensity(1, 2, gqa_group=8) == 8.0
    assert chips.elementwise_intensity(1, 2) == 0.25


def test_decode_7b_on_h100_facts_check():
    # docs/references.md (4. Chips): a 7B bf16 model on an H100 decodes about 240 tokens/s at batch 1
    r = chips.decode_throughput(7e9, 3.35e12, 989e12, bandwidth_fraction=1.0, mfu=1.0)   # the ideal bound
    assert r["tokens_per_s"] == pytest.approx(240, rel=0.01) and r["bound"] == "memory"


def test_decode_turns_compute_bound_with_batch():
    ideal = dict(bandwidth_fraction=1.0, mfu=1.0)
    small = chips.decode_throughput(7e9, 3.35e12, 989e12, batch=8, **ideal)
    big = chips.decode_throughput(7e9, 3.35e12, 989e12, batch=4096, **ideal)
    assert small["tokens_per_s"] == pytest.approx(8 * 3.35e12 / 14e9)
    assert big["bound"] == "compute"
    assert big["tokens_per_s"] == pytest.approx(989e12 / 14e9)


def test_kv_cache_bytes_from_architecture():
    # 2 (K and V) x layers x kv_heads x head_dim x bytes: Llama 3 8B = 32 x 8 x 128 x 2 x 2 = 128 KiB
    assert chips.kv_bytes_per_token(32, 8, 128, 2) == 2 * 32 * 8 * 128 * 2 == 128 * 1024
    assert chips.kv_bytes_per_token(32, 32, 128) / chips.kv_bytes_per_token(32, 8, 128) == 4


def test_memory_capacity_bounds_the_batch():
    assert chips.max_decode_batch(70e9, 34.36e9) == 0                  # 140 GB of weights > 34 GB
    # (80e9 - 14e9) / (131072 * 4096) = 122.9 -> 122 sequences
    assert chips.max_decode_batch(7e9, 80e9, kv_bytes_per_token=131072, context=4096) == 122
    r = chips.decode_throughput(7e9, 3.35e12, 989e12, batch=123, kv_bytes_per_token=131072, context=4096,
                                capacity_bytes=80e9)
    assert r["fits"] is False and r["memory_bytes"] == 14e9 + 123 * 131072 * 4096
    assert chips.decode_throughput(7e9, 3.35e12, 989e12, capacity_bytes=80e9)["fits"] is True
    with pytest.raises(ValueError, match="capacity_bytes"):
        chips.max_decode_batch(7e9, 0)


def test_train_run_arithmetic():
    r = chips.train_run(1e9, 1e11, 100, 1e15, 0.5, usd_per_chip_hour=2.0, chip_power_w=500, pue=1.2,
                        grid_g_per_kwh=400)
    seconds = 6e20 / (100 * 1e15 * 0.5)
    assert r["seconds"] == pytest.approx(seconds)
    assert r["usd"] == pytest.approx(seconds / 3600 * 100 * 2.0)
    assert r["energy_kwh"] == pytest.approx(100 * 500 * seconds * 1.2 / 3.6e6)
    assert r["co2_tonnes"] == pytest.approx(r["energy_kwh"] * 400 / 1e6)
    assert chips.train_run(1e9, 1e11, 100, 1e15, 0.5)["usd"] is None


def test_price_per_million_tokens():
    assert chips.usd_per_million_tokens(3.6, 1000) == pytest.approx(1.0)


def test_pareto_front():
    keep = chips.pareto_front([1, 2, 3, 2], [3, 2, 1, 3])
    assert list(keep) == [True, True, True, False]


# --- data files -----------------------------------------------------------------------------


def test_shipped_tables_load_and_match_the_facts():
    table = {r["chip"]: r for r in chips.load_chips()}
    assert table["H100 SXM"]["bf16_dense_TFLOPs"] == 989 and table["H100 SXM"]["hbm_bandwidth_GBps"] == 3350
    # docs/references.md (4. Chips): A100 SXM 40GB, 1,555 GB/s, 40 GB: the GPU of p4d.24xlarge
    assert table["A100 SXM 40GB"]["hbm_bandwidth_GBps"] == 1555 and table["A100 SXM 40GB"]["hbm_capacity_GB"] == 40
    assert table["Inferentia2"]["training_class"] is False and table["Trainium2"]["training_class"] is True
    assert table["Trainium2"]["fp8_dense_TFLOPs"] == 1299
    assert table["Trainium (Trn1)"]["tdp_W"] is None                  # unknown stays empty, never 0
    inst = chips.load_instances()
    assert all(r["price_date"] for r in inst if r["on_demand_USD_per_hour"] is not None)
    names = {r["chip"] for r in inst}
    assert names <= set(table)
    assert {r["chip"] for r in inst if r["instance"] == "p4d.24xlarge"} == {"A100 SXM 40GB"}
    # every year-only price says it is uncertain; facts.md prices
    for r in inst:
        if r["price_date"] and len(r["price_date"]) == 4:
            assert "uncertain" in r["notes"].lower()
    price = {(r["instance"], r["price_date"]): r["on_demand_USD_per_hour"] for r in inst}
    assert price[("p4d.24xlarge", "2025-06")] == 21.96 and price[("p5.48xlarge", "2025-05")] == 98.32


def test_price_periods_never_mix():
    inst = chips.load_instances()
    for period in ("2025-05", "2025-06"):
        rows = chips.instances_for_period(inst, period)
        names = [r["instance"] for r in rows]
        assert len(names) == len(set(names))
        assert all(r["price_date"] == period or period in r["same_price_in"] for r in rows)
        assert "p5en.48xlarge" not in names                     # its period is unknown
    may = {r["instance"]: r["on_demand_USD_per_hour"] for r in chips.instances_for_period(inst, "2025-05")}
    assert may["p5.48xlarge"] == 98.32 and may["p4d.24xlarge"] == 32.77   # facts.md, until May 2025
    with pytest.raises(ValueError, match="period"):
        chips.instances_for_period(inst, "2025")


def test_training_options_exclude_inference_chips_and_follow_mfu():
    table = {r["chip"]: r for r in chips.load_chips()}
    inst = chips.load_instances()
    mfu = {"NVIDIA GPU": 0.4, "Trainium": 0.4}
    rows = chips.training_options(inst, table, "2025-06", mfu, 70e9, 1.4e12, 1024)
    assert {r["instance"] for r in rows} == {"p4d.24xlarge", "p5.48xlarge", "trn1.32xlarge", "trn1n.32xlarge"}
    by = {r["instance"]: r for r in rows}
    # analytic: cost = 6ND x price per chip-hour / (peak x MFU x 3600)
    want = 6 * 70e9 * 1.4e12 * (55.04 / 8) / (989e12 * 0.4 * 3600)
    assert by["p5.48xlarge"]["usd"] == pytest.approx(want)
    # at June 2025 prices and equal MFU the H100 instance is cheaper per FLOP than trn1 and faster
    assert by["p5.48xlarge"]["pareto"] and not by["trn1.32xlarge"]["pareto"]
    # a higher Trainium MFU changes the answer: the chart can change its mind
    rows2 = chips.training_options(inst, table, "2025-06", {"NVIDIA GPU": 0.3, "Trainium": 0.5}, 70e9, 1.4e12, 1024)
    assert {r["instance"]: r["pareto"] for r in rows2}["trn1.32xlarge"]
    with pytest.raises(ValueError, match="family"):
        chips.training_options(inst, table, "2025-06", {"NVIDIA GPU": 0.4}, 70e9, 1.4e12, 1024)


def _write(tmp_path, text):
    p = tmp_path / "chips.csv"
    p.write_text(text)
    return p


HEADER = ("chip,vendor,family,training_class,bf16_dense_TFLOPs,fp8_dense_TFLOPs,hbm_capacity_GB,"
          "hbm_bandwidth_GBps,tdp_W,source,spec_date,notes\n")
SRC = "datasheet 2024"


@pytest.mark.parametrize("row, match", [
    (f"X,V,F,yes,abc,1,1,1,1,{SRC},2024,\n", r"row 2, column 'bf16_dense_TFLOPs'.*not a number"),
    (f"X,V,F,yes,0,1,1,1,1,{SRC},2024,\n", r"row 2, column 'bf16_dense_TFLOPs'.*positive"),
    (f"X,V,F,yes,1,1,1,1,-3,{SRC},2024,\n", r"row 2, column 'tdp_W'"),
    (f"X,V,F,yes,1,1,1,,1,{SRC},2024,\n", r"row 2, column 'hbm_bandwidth_GBps'.*required"),
    ("X,V,F,yes,1,1,1,1,1,,2024,\n", r"row 2, column 'source'.*required"),
    ("X,V,F,yes,1,1,1,1,1,a datasheet,2024,\n", r"row 2, column 'source'.*followable citation"),
    (f"X,V,F,yes,1,1,1,1,1,{SRC},24/05/2024,\n", r"row 2, column 'spec_date'.*not a date"),
    (f"X,V,F,maybe,1,1,1,1,1,{SRC},2024,\n", r"row 2, column 'training_class'.*'yes' or 'no'"),
    (f"X,V,F,yes,1,1,1,1,1,{SRC}\n", r"row 2: 10 fields, expected 12"),
    (f"X,V,F,yes,1,1,1,1,inf,{SRC},2024,\n", r"row 2, column 'tdp_W'"),
])
def test_malformed_rows_name_file_row_and_column(tmp_path, row, match):
    with pytest.raises(chips.ChipDataError, match="chips.csv, " + match):
        chips.load_chips(_write(tmp_path, HEADER + row))


def test_malformed_headers(tmp_path):
    with pytest.raises(chips.ChipDataError, match="missing column"):
        chips.load_chips(_write(tmp_path, "chip,source\nX,s\n"))
    with pytest.raises(chips.ChipDataError, match="unknown column"):
        chips.load_chips(_write(tmp_path, HEADER.strip() + ",speed\n"))
    with pytest.raises(chips.ChipDataError, match="empty"):
        chips.load_chips(_write(tmp_path, ""))


INST_HEADER = ("instance,chip,chips_per_instance,on_demand_USD_per_hour,price_region,price_date,same_price_in,"
               "efa_Gbps,source,notes\n")


@pytest.mark.parametrize("row, match", [
    ("x.large,H100 SXM,8,10.0,us-east-1,,,,price list 2025,\n", r"row 2, column 'price_date': a price needs a date"),
    ("x.large,H100 SXM,8,10.0,us-east-1,2025,,,price list 2025,\n", r"row 2, column 'price_date'.*no month"),
    ("x.large,H100 SXM,8,10.0,us-east-1,2025-06,2025-13,,price list 2025,\n", r"row 2, column 'same_price_in'"),
    ("x.large,H100 SXM,8,10.0,us-east-1,2025-06,,,the price list,\n", r"row 2, column 'source'.*citation"),
])
def test_instance_rows_need_dated_prices_and_citations(tmp_path, row, match):
    p = tmp_path / "instances.csv"
    p.write_text(INST_HEADER + row)
    with pytest.raises(chips.ChipDataError, match="instances.csv, " + match):
        chips.load_instances(p)


def test_year_only_price_is_accepted_when_marked_uncertain(tmp_path):
    p = tmp_path / "instances.csv"
    p.write_text(INST_HEADER + "x.large,H100 SXM,8,10.0,us-east-1,2025,2025-05;2025-06,,https://example.org,month uncertain\n")
    (r,) = chips.load_instances(p)
    assert r["month_uncertain"] and r["same_price_in"] == ("2025-05", "2025-06")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_files_raise_only_chip_data_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fz") / "chips.csv"
    p.write_text(HEADER + text, encoding="utf-8")
    try:
        chips.load_chips(p)
    except chips.ChipDataError:
        pass


def test_price_performance_helpers():
    # 8 chips x 1000 TFLOP/s at $80/h -> $10 per PFLOP-hour; at 50% MFU -> $20
    assert chips.usd_per_pflop_hour(80, 8, 1000) == pytest.approx(10.0)
    assert chips.usd_per_pflop_hour(80, 8, 1000, mfu=0.5) == pytest.approx(20.0)
    # A costs 7, B 13: A saves 46% at equal MFU; a 50% saving needs A's MFU 1.077x B's
    assert chips.required_efficiency_ratio(7.0, 13.0, 0.5) == pytest.approx(7 / 6.5)
    assert chips.required_efficiency_ratio(5.0, 10.0, 0.5) == pytest.approx(1.0)


# ---- calibration against published measurements (data/measurements.csv) -------------------------

from infralab.measurements import load_measurements, relative_error  # noqa: E402

MEAS = load_measurements()
LLAMA2_7B = 6.74e9                              # Touvron et al. 2023 (Llama 2), 7B row
LLAMA2_7B_KV = chips.kv_bytes_per_token(32, 32, 128)   # 32 layers, 32 KV heads of 128, FP16
A100 = dict(bandwidth_Bps=2.039e12, peak_flops=312e12)  # A100 SXM 80GB datasheet (data/chips.csv)
TOL = 0.05                                      # stated tolerance of each calibrated default


@pytest.mark.parametrize("row_id, batch, prompt, out", [
    ("decode_llama2_7b_a100_b60", 60, 128, 2048),          # calibration point
    ("decode_llama2_7b_a100_b52_2048in", 52, 2048, 128),   # held out: prefill-heavy
])
def test_generation_defaults_reproduce_tensorrt_llm(row_id, batch, prompt, out):
    m = MEAS[row_id]
    assert f"batch {batch}" in m.inputs and f"input {prompt} " in m.inputs and f"output {out} " in m.inputs
    got = chips.generation_throughput(LLAMA2_7B, A100["bandwidth_Bps"], A100["peak_flops"], batch=batch,
                                      prompt_tokens=prompt, output_tokens=out, kv_bytes_per_token=LLAMA2_7B_KV)
    assert abs(relative_error(got["tokens_per_s"], m.value)) < TOL


def test_ideal_generation_is_the_optimistic_bound():
    # the ideal (no prefill, 100% of both roofs) overshoots both measurements: by > 25% and > 2x
    ideal = dict(prefill=False, compute_fraction=1.0, bandwidth_fraction=1.0)
    for row_id, batch, prompt, out, over in (("decode_llama2_7b_a100_b60", 60, 128, 2048, 0.25),
                                             ("decode_llama2_7b_a100_b52_2048in", 52, 2048, 128, 1.0)):
        got = chips.generation_throughput(LLAMA2_7B, A100["bandwidth_Bps"], A100["peak_flops"], batch=batch,
                                          prompt_tokens=prompt, output_tokens=out,
                                          kv_bytes_per_token=LLAMA2_7B_KV, **ideal)
        assert relative_error(got["tokens_per_s"], MEAS[row_id].value) > over


def test_generation_decode_sum_matches_step_by_step():
    # the closed-form sum over decode steps equals summing decode_throughput's step times one by one
    kw = dict(bandwidth_fraction=0.7, mfu=0.6)
    for batch in (1, 40, 400):
        steps = sum(chips.decode_throughput(7e9, 2e12, 312e12, batch=batch, kv_bytes_per_token=131072,
                                            context=64 + i, **kw)["step_s"] for i in range(300))
        got = chips.generation_throughput(7e9, 2e12, 312e12, batch=batch, prompt_tokens=64, output_tokens=300,
                                          kv_bytes_per_token=131072, prefill=False, compute_fraction=0.6,
                                          bandwidth_fraction=0.7)
        assert got["decode_s"] == pytest.approx(steps, rel=1e-9)


@pytest.mark.parametrize("row_id, peak", [("h100_bf16_gemm", 989e12), ("a100_bf16_gemm", 312e12)])
def test_achievable_ceiling_reproduces_measured_gemm(row_id, peak):
    m = MEAS[row_id]
    ceiling = chips.achievable_flops(peak, 3e12, 1e6)          # far right of the ridge: the compute roof
    tol = 0.10 if row_id == "a100_bf16_gemm" else TOL          # one default for every chip: A100 runs nearer its peak
    assert abs(relative_error(ceiling / 1e12, m.value)) < tol
    assert chips.achievable_flops(peak, 3e12, 1e6, compute_fraction=1.0) == peak


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.1, float("nan")])
def test_fractions_outside_0_1_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="bandwidth_fraction"):
        chips.decode_throughput(7e9, 3e12, 1e15, bandwidth_fraction=bad)
    with pytest.raises(ValueError, match="compute_fraction"):
        chips.generation_throughput(7e9, 3e12, 1e15, batch=1, prompt_tokens=1, output_tokens=1, compute_fraction=bad)


def test_integral_floats_are_counts():
    assert chips.matmul_intensity(4096.0) == chips.matmul_intensity(4096, 4096, 4096)
    assert chips.max_decode_batch(7e9, 80e9, kv_bytes_per_token=131072, context=4096.0) == 122
    with pytest.raises(ValueError, match="m must be a whole number"):
        chips.matmul_intensity(4096.5)
    with pytest.raises(ValueError, match="batch"):
        chips.decode_throughput(7e9, 3e12, 1e15, batch=float("inf"))


def test_unbounded_file_is_refused_without_reading_it_all():
    with pytest.raises(chips.ChipDataError, match="larger than"):
        chips.load_chips("/dev/zero")
    with pytest.raises(chips.ChipDataError, match="larger than"):
        chips.load_instances("/dev/zero")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2048), st.integers(0, 8192), st.integers(1, 4096), st.floats(0.05, 1.0), st.floats(0.05, 1.0))
def test_generation_never_beats_its_ideal_bound(batch, prompt, out, fc, fb):
    kw = dict(batch=batch, prompt_tokens=prompt, output_tokens=out, kv_bytes_per_token=131072)
    real = chips.generation_throughput(7e9, 2e12, 312e12, compute_fraction=fc, bandwidth_fraction=fb, **kw)
    ideal = chips.generation_throughput(7e9, 2e12, 312e12, prefill=False, compute_fraction=1.0,
                                        bandwidth_fraction=1.0, **kw)
    assert real["tokens_per_s"] <= ideal["tokens_per_s"] * (1 + 1e-12)
    assert 0.0 <= real["prefill_share"] < 1.0
    # the ideal decode-only bound is the roofline's: never above peak/(2N) or bandwidth-bound rates
    assert ideal["tokens_per_s"] <= 312e12 / (2 * 7e9) * (1 + 1e-12)
