"""infralab.chips against the facts file, analytic cases, and malformed data files."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import chips


def test_gpt3_training_flops():
    # facts.md: GPT-3, N = 174.6e9, D = 300e9 -> 3.14e23 FLOPs = 3,640 PF-days
    f = chips.training_flops(174.6e9, 300e9)
    assert f == pytest.approx(3.14e23, rel=2e-3)
    assert f / (1e15 * 86400) == pytest.approx(3640, rel=2e-3)


@pytest.mark.parametrize("n, d", [(0, 1e9), (1e9, -1), (float("nan"), 1)])
def test_training_flops_rejects_non_positive(n, d):
    with pytest.raises(ValueError):
        chips.training_flops(n, d)


def test_ridge_point_h100():
    assert chips.ridge_point(989e12, 3.35e12) == pytest.approx(295, abs=0.5)   # facts.md


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
    assert chips.elementwise_intensity(1, 2) == 0.25


def test_decode_7b_on_h100_facts_check():
    # facts.md: a 7B bf16 model on an H100 decodes about 240 tokens/s at batch 1
    r = chips.decode_throughput(7e9, 3.35e12, 989e12)
    assert r["tokens_per_s"] == pytest.approx(240, rel=0.01) and r["bound"] == "memory"


def test_decode_turns_compute_bound_with_batch():
    small = chips.decode_throughput(7e9, 3.35e12, 989e12, batch=8)
    big = chips.decode_throughput(7e9, 3.35e12, 989e12, batch=4096)
    assert small["tokens_per_s"] == pytest.approx(8 * 3.35e12 / 14e9)
    assert big["bound"] == "compute"
    assert big["tokens_per_s"] == pytest.approx(989e12 / 14e9)


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
    assert table["Trainium2"]["fp8_dense_TFLOPs"] == 1299
    assert table["Trainium (Trn1)"]["tdp_W"] is None                  # unknown stays empty, never 0
    inst = chips.load_instances()
    assert all(r["price_date"] for r in inst if r["on_demand_USD_per_hour"] is not None)
    names = {r["chip"] for r in inst}
    assert names <= set(table)


def _write(tmp_path, text):
    p = tmp_path / "chips.csv"
    p.write_text(text)
    return p


HEADER = "chip,vendor,bf16_dense_TFLOPs,fp8_dense_TFLOPs,hbm_capacity_GB,hbm_bandwidth_GBps,tdp_W,source,spec_date,notes\n"


@pytest.mark.parametrize("row, match", [
    ("X,V,abc,1,1,1,1,src,2024,\n", r"row 2, column 'bf16_dense_TFLOPs'.*not a number"),
    ("X,V,0,1,1,1,1,src,2024,\n", r"row 2, column 'bf16_dense_TFLOPs'.*positive"),
    ("X,V,1,1,1,1,-3,src,2024,\n", r"row 2, column 'tdp_W'"),
    ("X,V,1,1,1,,1,src,2024,\n", r"row 2, column 'hbm_bandwidth_GBps'.*required"),
    ("X,V,1,1,1,1,1,,2024,\n", r"row 2, column 'source'.*required"),
    ("X,V,1,1,1,1,1,src,24/05/2024,\n", r"row 2, column 'spec_date'.*not a date"),
    ("X,V,1,1,1,1,1,src\n", r"row 2: 8 fields, expected 10"),
    ("X,V,1,1,1,1,inf,src,2024,\n", r"row 2, column 'tdp_W'"),
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


def test_price_needs_a_date(tmp_path):
    p = tmp_path / "instances.csv"
    p.write_text("instance,chip,chips_per_instance,on_demand_USD_per_hour,price_region,price_date,efa_Gbps,source,notes\n"
                 "x.large,H100 SXM,8,10.0,us-east-1,,,src,\n")
    with pytest.raises(chips.ChipDataError, match="row 2, column 'price_date'"):
        chips.load_instances(p)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_files_raise_only_chip_data_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fz") / "chips.csv"
    p.write_text(HEADER + text, encoding="utf-8")
    try:
        chips.load_chips(p)
    except chips.ChipDataError:
        pass


# --- the matrix multiply --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 7, 3), (4, 300, 9), (13, 600, 530)])
def test_matmul_matches_numpy(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[:2]).astype(np.float32)
    b = rng.standard_normal(shape[1:]).astype(np.float32)
    np.testing.assert_allclose(chips.matmul(a, b, backend="cpu"), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_bad_input():
    with pytest.raises(TypeError, match="float32"):
        chips.matmul(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="a.shape"):
        chips.matmul(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))


def test_price_performance_helpers():
    # 8 chips x 1000 TFLOP/s at $80/h -> $10 per PFLOP-hour; at 50% MFU -> $20
    assert chips.usd_per_pflop_hour(80, 8, 1000) == pytest.approx(10.0)
    assert chips.usd_per_pflop_hour(80, 8, 1000, mfu=0.5) == pytest.approx(20.0)
    # A costs 7, B 13: A saves 46% at equal MFU; a 50% saving needs A's MFU 1.077x B's
    assert chips.required_efficiency_ratio(7.0, 13.0, 0.5) == pytest.approx(7 / 6.5)
    assert chips.required_efficiency_ratio(5.0, 10.0, 0.5) == pytest.approx(1.0)
