"""AI chips and price-performance: rooflines, cost to train, cost per token (notebook 04).

* Data: :func:`load_chips` and :func:`load_instances` read ``data/chips.csv`` and
  ``data/instances.csv`` (units in the column names, a source per row, a date for every price,
  unknown values empty) and raise :class:`ChipDataError` naming the file, row and column of any
  malformed value.
* Rooflines (Williams, Waterman & Patterson 2009): :func:`ridge_point`, :func:`attainable_flops`,
  and the arithmetic intensity of common transformer operations (:func:`matmul_intensity`,
  :func:`decode_attention_intensity`, :func:`elementwise_intensity`).
* Training: :func:`training_flops` (6·N·D), :func:`train_run` (time, cost, energy, carbon),
  :func:`pareto_front`.
* Inference: :func:`decode_throughput` (memory-bound until compute binds), :func:`usd_per_million_tokens`.
* This machine's roofline: the numba matrix multiply ``_matmul_cpu`` (cache-blocked, four rows of C
  per pass) with its CUDA twin ``_matmul_cuda`` (shared-memory tiles, 8 x 8 register tiles per
  thread), :func:`measure_matmul` and, on a GPU, :func:`measure_matmul_cuda`.

References
----------
S. Williams, A. Waterman, D. Patterson, "Roofline", CACM 52(4), 2009. J. Kaplan et al. 2020 and
J. Hoffmann et al. 2022 (C = 6ND). A. Chowdhery et al., "PaLM", 2022, appendix B (MFU).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
from numba import cuda, njit, prange

from . import _checks
from . import backend as _backend
from ._timing import best_time


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

class ChipDataError(ValueError):
    """A malformed chip or instance table; the message names the file, the row and the column."""


CHIP_COLUMNS = {"chip": "text", "vendor": "text", "family": "text", "training_class": "yesno",
                "bf16_dense_TFLOPs": "number", "fp8_dense_TFLOPs": "number",
                "hbm_capacity_GB": "number", "hbm_bandwidth_GBps": "number", "tdp_W": "number",
                "source": "citation", "spec_date": "date", "notes": "optional"}
CHIP_REQUIRED = ("chip", "family", "training_class", "bf16_dense_TFLOPs", "hbm_bandwidth_GBps", "source")
INSTANCE_COLUMNS = {"instance": "text", "chip": "text", "chips_per_instance": "number",
                    "on_demand_USD_per_hour": "number", "price_region": "text", "price_date": "date",
                    "same_price_in": "months", "efa_Gbps": "number", "source": "citation", "notes": "optional"}
INSTANCE_REQUIRED = ("instance", "chip", "chips_per_instance", "source")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: A followable citation names a URL, or a document together with its year.
_CITATION = re.compile(r"https?://\S+|\b(19|20)\d{2}\b")


#: Largest data file read (the real tables are a few KB).
MAX_TABLE_BYTES = 10 * 2**20
#: Most elements of one array argument of the roofline and Pareto helpers.
MAX_POINTS = 1 << 24
#: Largest count (chips, batch, context tokens, matrix side) the models accept.
MAX_COUNT = 1 << 40


def _count(name: str, value, *, low: int, high: int) -> int:
    """An integer count within [low, high]; an integral float such as 4096.0 is accepted as 4096.

    A non-integral or non-finite float, a bool or any other type is refused with a message naming ``name``.
    """
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        if not math.isfinite(value) or value != math.floor(value):
            raise ValueError(f"{name} must be a whole number between {low} and {high}, got {value!r}")
        value = int(value)
    return _checks.integer(name, value, low=low, high=high)


def _read_table(path, columns: dict, required: tuple) -> list[dict]:
    path = Path(_checks.path_like("path", path))
    try:
        # Read at most the cap plus one byte: a device such as /dev/zero reports size 0 and never ends.
        with open(path, "rb") as fh:
            raw_bytes = fh.read(MAX_TABLE_BYTES + 1)
        if len(raw_bytes) > MAX_TABLE_BYTES:
            raise ChipDataError(f"{path.name}: larger than {MAX_TABLE_BYTES} bytes; not a chip table")
        text = raw_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChipDataError(f"{path.name}: cannot read the file ({exc})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ChipDataError(f"{path.name}: the file is empty")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ChipDataError(f"{path.name}: missing column(s) {missing} (expected {list(columns)})")
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise ChipDataError(f"{path.name}: unknown column(s) {unknown}: every column needs a known unit")
    out = []
    for line_no, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            raise ChipDataError(f"{path.name}, row {line_no}: {len(raw)} fields, expected {len(header)}")
        rec = {}
        for col, cell in zip(header, raw):
            cell = cell.strip()
            kind = columns[col]
            where = f"{path.name}, row {line_no}, column {col!r}"
            if cell == "":
                if col in required:
                    raise ChipDataError(f"{where}: required value is empty")
                rec[col] = None
            elif kind == "number":
                try:
                    value = float(cell)
                except ValueError:
                    raise ChipDataError(f"{where}: {cell!r} is not a number (units are in the column name; "
                                        "leave unknown values empty, never 0)") from None
                if not math.isfinite(value) or value <= 0:
                    raise ChipDataError(f"{where}: {cell!r} must be a positive number (unknown values stay empty)")
                rec[col] = value
            elif kind == "date":
                if not _DATE.match(cell):
                    raise ChipDataError(f"{where}: {cell!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
                rec[col] = cell
            elif kind == "yesno":
                if cell not in ("yes", "no"):
                    raise ChipDataError(f"{where}: {cell!r} must be 'yes' or 'no'")
                rec[col] = cell == "yes"
            elif kind == "months":
                months = tuple(m.strip() for m in cell.split(";"))
                if not all(_MONTH.match(m) for m in months):
                    raise ChipDataError(f"{where}: {cell!r} must be months YYYY-MM separated by ';'")
                rec[col] = months
            elif kind == "citation":
                if not _CITATION.search(cell):
                    raise ChipDataError(f"{where}: {cell!r} is not a followable citation "
                                        "(give a URL, or a document name with its date)")
                rec[col] = cell
            else:
                rec[col] = cell
        out.append(rec)
    return out


def _default(name: str):
    from . import data_path
    return data_path(name)


def load_chips(path=None) -> list[dict]:
    """Read the chip table (default ``data/chips.csv``): one dict per chip, None for unknown values.

    Raises
    ------
    ChipDataError
        A missing or unknown column, a wrong field count, an empty required value, a non-numeric,
        zero or negative number, or a bad date, an unreadable file or one over
        :data:`MAX_TABLE_BYTES`; the message names file, row and column.
    TypeError
        ``path`` neither None, a str nor an ``os.PathLike``.

    Limits: ``path`` None, a str or an os.PathLike; the file at most :data:`MAX_TABLE_BYTES`.
    """
    return _read_table(_default("chips.csv") if path is None else path, CHIP_COLUMNS, CHIP_REQUIRED)


def load_instances(path=None) -> list[dict]:
    """Read the instance table (default ``data/instances.csv``); every price must carry a date.

    Raises
    ------
    ChipDataError
        As :func:`load_chips`, and for a price without ``price_date``.
    TypeError
        ``path`` neither None, a str nor an ``os.PathLike``.

    Limits: ``path`` None, a str or an os.PathLike; the file at most :data:`MAX_TABLE_BYTES`.
    """
    p = _default("instances.csv") if path is None else path
    rows = _read_table(p, INSTANCE_COLUMNS, INSTANCE_REQUIRED)
    for i, r in enumerate(rows, start=2):
        if r["on_demand_USD_per_hour"] is not None and r["price_date"] is None:
            raise ChipDataError(f"{Path(p).name}, row {i}, column 'price_date': a price needs a date")
        if (r["price_date"] is not None and len(r["price_date"]) == 4
                and "uncertain" not in (r["notes"] or "").lower()):
            raise ChipDataError(f"{Path(p).name}, row {i}, column 'price_date': {r['price_date']!r} has no month; "
                                "date the price to the month or say 'uncertain' in the notes")
        r["month_uncertain"] = r["price_date"] is not None and len(r["price_date"]) == 4
    return rows


def instances_for_period(instances: list[dict], period: str) -> list[dict]:
    """The priced rows that hold in one price period (a month ``YYYY-MM``), never mixing periods.

    A row belongs to ``period`` when its ``price_date`` is that month, or when ``period`` is listed in
    its ``same_price_in`` column (a price the sources, or a stated assumption in the notes, give as
    unchanged over those months). Such rows come back with ``"assumed_in_period": True`` so plots can
    mark them. Rows without a price, and rows dated only to a year that list no months, are left out.

    Parameters
    ----------
    instances : list of dict
        As returned by :func:`load_instances`.
    period : str
        A month, ``YYYY-MM``.

    Returns
    -------
    list of dict
        Copies of the matching rows, at most one per instance name.

    Examples
    --------
    >>> rows = [{"instance": "a", "on_demand_USD_per_hour": 1.0, "price_date": "2025-05", "same_price_in": None},
    ...         {"instance": "a", "on_demand_USD_per_hour": 0.5, "price_date": "2025-06", "same_price_in": None},
    ...         {"instance": "b", "on_demand_USD_per_hour": 2.0, "price_date": "2025",
    ...          "same_price_in": ("2025-05", "2025-06")}]
    >>> [(r["instance"], r["on_demand_USD_per_hour"]) for r in instances_for_period(rows, "2025-06")]
    [('a', 0.5), ('b', 2.0)]
    """
    if not isinstance(period, str) or not _MONTH.match(period):
        raise ValueError(f"period must be a month 'YYYY-MM', got {period!r}")
    out, seen = [], set()
    for r in instances:
        if r.get("on_demand_USD_per_hour") is None:
            continue
        exact = r.get("price_date") == period
        assumed = period in (r.get("same_price_in") or ())
        if not (exact or assumed):
            continue
        if r["instance"] in seen:
            raise ValueError(f"two prices for {r['instance']} in period {period}")
        seen.add(r["instance"])
        out.append(dict(r, assumed_in_period=not exact))
    return out


# --------------------------------------------------------------------------------------------
# Rooflines
# --------------------------------------------------------------------------------------------

def ridge_point(peak_flops: float, bandwidth_Bps: float) -> float:
    """Arithmetic intensity (FLOP/byte) where a chip turns from memory-bound to compute-bound.

    Examples
    --------
    >>> round(ridge_point(989e12, 3.35e12))
    295

    Limits: finite positive inputs; a ratio that overflows or underflows to 0 raises ValueError.
    """
    out = _checks.positive("peak_flops", peak_flops) / _checks.positive("bandwidth_Bps", bandwidth_Bps)
    return _checks.derived("the ridge point", out, "peak_flops and bandwidth_Bps", positive=True)


def attainable_flops(peak_flops: float, bandwidth_Bps: float, intensity):
    """The roofline: ``min(peak, bandwidth x intensity)`` FLOP/s; ``intensity`` scalar or array (> 0).

    Limits: an ``intensity`` array has 1..:data:`MAX_POINTS` finite elements; a product that
    overflows or underflows to 0 raises ValueError.
    """
    peak = _checks.positive("peak_flops", peak_flops)
    bw = _checks.positive("bandwidth_Bps", bandwidth_Bps)
    params = "bandwidth_Bps and intensity"
    if np.ndim(intensity) == 0:
        return min(peak, _checks.derived("bandwidth x intensity", bw * _checks.positive("intensity", intensity),
                                         params, positive=True))
    arr = _checks.float_array("intensity", intensity, max_size=MAX_POINTS)
    if np.any(arr <= 0):
        raise ValueError("intensity must be > 0 everywhere")
    with np.errstate(over="ignore", under="ignore"):
        prod = bw * arr
    return np.minimum(peak, _checks.derived("bandwidth x intensity", prod, params, positive=True))


#: Fraction of peak FLOP/s that a large dense GEMM reaches in practice. Measured: BF16 matmul on an
#: H100 SXM reaches 794.5 of 989 TFLOP/s (0.803; stas00/ml-engineering, "Maximum Achievable Matmul FLOPS
#: comparison table", a community benchmark, so secondary): row ``h100_bf16_gemm`` of data/measurements.csv.
GEMM_ACHIEVABLE_FRACTION = 0.80

#: Fraction of peak HBM bandwidth that memory-bound decoding reaches. Calibrated on TensorRT-LLM's
#: published A100 FP16 table (Llama 2 7B, batch 60, 128 tokens in, 2,048 out: 1,928 tokens/s), where the
#: ideal roofline gives about 2,460 tokens/s: 1928 / 2460 = 0.78. Row ``decode_llama2_7b_a100_b60`` of
#: data/measurements.csv; the 2,048-in/128-out row is kept out of the calibration as a check.
DECODE_BANDWIDTH_FRACTION = 0.78


def achievable_flops(peak_flops: float, bandwidth_Bps: float, intensity, *,
                     compute_fraction: float = GEMM_ACHIEVABLE_FRACTION,
                     bandwidth_fraction: float = DECODE_BANDWIDTH_FRACTION):
    """The roofline with both roofs lowered to what real kernels reach: ``min(f_c·peak, f_b·bandwidth·I)``.

    The roofline of :func:`attainable_flops` is an upper bound, not a forecast. The defaults are the
    measured fractions :data:`GEMM_ACHIEVABLE_FRACTION` and :data:`DECODE_BANDWIDTH_FRACTION`; passing
    ``compute_fraction=1.0, bandwidth_fraction=1.0`` gives the ideal roofline.

    Examples
    --------
    >>> round(achievable_flops(989e12, 3.35e12, 1000.0) / 1e12)
    791
    >>> achievable_flops(989e12, 3.35e12, 1000.0, compute_fraction=1.0, bandwidth_fraction=1.0) / 1e12
    989.0

    Limits: both fractions in (0, 1]; the rest as :func:`attainable_flops`.
    """
    cf = _checks.real("compute_fraction", compute_fraction, low=0.0, high=1.0, low_open=True)
    bf = _checks.real("bandwidth_fraction", bandwidth_fraction, low=0.0, high=1.0, low_open=True)
    peak = _checks.positive("peak_flops", peak_flops)
    bw = _checks.positive("bandwidth_Bps", bandwidth_Bps)
    return attainable_flops(peak * cf, bw * bf, intensity)


def matmul_intensity(m: int, n: int | None = None, k: int | None = None, bytes_per_element: float = 2.0) -> float:
    """FLOP/byte of ``C[m,n] = A[m,k] @ B[k,n]`` reading A and B and writing C once: 2mnk / (bytes·(mk+kn+mn)).

    ``n`` and ``k`` default to ``m`` (a square multiply). Sizes may be typed as integral floats (4096.0).

    Examples
    --------
    A square bf16 multiply has intensity n/3 FLOP/byte:

    >>> matmul_intensity(3000), matmul_intensity(4096.0) == matmul_intensity(4096, 4096, 4096)
    (1000.0, True)

    Limits: ``m``, ``n``, ``k`` whole numbers 1..:data:`MAX_COUNT`; a result that overflows or underflows
    raises ValueError.
    """
    n = m if n is None else n
    k = m if k is None else k
    m, n, k = (_count(name, v, low=1, high=MAX_COUNT) for name, v in (("m", m), ("n", n), ("k", k)))
    b = _checks.positive("bytes_per_element", bytes_per_element)
    with np.errstate(over="ignore", under="ignore"):
        out = np.float64(2.0) * m * n * k / (b * (np.float64(m) * k + np.float64(k) * n + np.float64(m) * n))
    return float(_checks.derived("the intensity", out, "m, n, k and bytes_per_element", positive=True))


def decode_attention_intensity(batch: int = 1, bytes_per_element: float = 2.0, gqa_group: int = 1) -> float:
    """FLOP/byte of attention while decoding one token per sequence.

    Each sequence reads its own KV cache and does about 2 FLOPs per cached element for every query
    head that shares it. With multi-head attention (``gqa_group = 1``) that is ``2 / bytes`` whatever
    the context length; with grouped-query attention (Ainslie et al. 2023) ``gqa_group`` query heads
    share each key/value head, so every byte read feeds ``gqa_group`` times the work:
    ``2 · gqa_group / bytes`` (4-8x for common models). Batching does not help: caches are per
    sequence.

    Examples
    --------
    >>> decode_attention_intensity(1, 2.0), decode_attention_intensity(1, 2.0, gqa_group=8)
    (1.0, 8.0)

    Limits: ``batch`` 1..:data:`MAX_COUNT`, ``gqa_group`` 1..256; a result that overflows raises ValueError.
    """
    _count("batch", batch, low=1, high=MAX_COUNT)
    g = _count("gqa_group", gqa_group, low=1, high=256)
    return _checks.derived("the intensity", 2.0 * g / _checks.positive("bytes_per_element", bytes_per_element),
                           "gqa_group and bytes_per_element")


def kv_bytes_per_token(n_layers: int, n_kv_heads: int, head_dim: int, bytes_per_element: float = 2.0) -> float:
    """Bytes of KV cache one token adds: keys and values, every layer: ``2 · layers · kv_heads · head_dim · bytes``.

    Examples
    --------
    Llama 3 8B (32 layers, 8 key/value heads of dimension 128, bf16; Meta's published config):
    131,072 bytes = 128 KiB per token. Llama 2 7B (32 heads, no GQA) needs four times that.

    >>> kv_bytes_per_token(32, 8, 128), kv_bytes_per_token(32, 32, 128)
    (131072.0, 524288.0)

    Limits: ``n_layers`` and ``n_kv_heads`` 1..10000, ``head_dim`` 1..100000; a result that
    overflows or underflows to 0 raises ValueError.
    """
    layers = _count("n_layers", n_layers, low=1, high=10_000)
    heads = _count("n_kv_heads", n_kv_heads, low=1, high=10_000)
    dim = _count("head_dim", head_dim, low=1, high=100_000)
    out = 2.0 * layers * heads * dim * _checks.positive("bytes_per_element", bytes_per_element)
    return _checks.derived("the KV bytes per token", out, "the sizes and bytes_per_element", positive=True)


def max_decode_batch(n_params: float, capacity_bytes: float, *, bytes_per_param: float = 2.0,
                     kv_bytes_per_token: float = 0.0, context: int = 0) -> int:
    """Largest batch whose weights and KV caches fit in ``capacity_bytes`` (0 if the weights alone do not fit).

    ``weights = n_params · bytes_per_param``; each sequence adds ``kv_bytes_per_token · context``.
    Activations and fragmentation are ignored, so this is an upper bound. Returns at most 2**31.

    Examples
    --------
    A 70B bf16 model (140 GB) does not fit one 34 GB chip; a 7B model on 80 GB leaves room for
    122 sequences of 4,096 tokens at 128 KiB per token:

    >>> max_decode_batch(70e9, 34.36e9), max_decode_batch(7e9, 80e9, kv_bytes_per_token=131072, context=4096)
    (0, 122)

    Limits: ``context`` 0..:data:`MAX_COUNT`; weights or per-sequence bytes that overflow raise ValueError.
    """
    n = _checks.positive("n_params", n_params)
    cap = _checks.positive("capacity_bytes", capacity_bytes)
    bpp = _checks.positive("bytes_per_param", bytes_per_param)
    kv = _checks.nonnegative("kv_bytes_per_token", kv_bytes_per_token)
    ctx = _count("context", context, low=0, high=MAX_COUNT)
    _checks.derived("the weights' and a sequence's bytes", [n * bpp, kv * ctx], "n_params, bytes_per_param, "
                    "kv_bytes_per_token and context")
    free = cap - n * bpp
    if free < 0:
        return 0
    per_seq = kv * ctx
    return 2 ** 31 if per_seq == 0 else int(min(2 ** 31, free // per_seq))


def elementwise_intensity(flops_per_element: float = 1.0, bytes_per_element: float = 2.0) -> float:
    """FLOP/byte of an element-wise layer that reads and writes each element once (e.g. an activation).

    Limits: a result that overflows or underflows raises ValueError."""
    out = _checks.positive("flops_per_element", flops_per_element) / (2 * _checks.positive("bytes_per_element", bytes_per_element))
    return _checks.derived("the intensity", out, "flops_per_element and bytes_per_element", positive=True)


# --------------------------------------------------------------------------------------------
# Training and inference economics
# --------------------------------------------------------------------------------------------

def training_flops(n_params: float, n_tokens: float) -> float:
    """Training compute ``C = 6·N·D`` FLOPs (forward 2ND + backward 4ND; attention omitted).

    Examples
    --------
    GPT-3: N = 174.6e9, D = 300e9 gives 3.14e23 FLOPs (Brown et al. 2020, table D.1).

    >>> f"{training_flops(174.6e9, 300e9):.3g}"
    '3.14e+23'

    Limits: a product that overflows or underflows raises ValueError.
    """
    out = 6.0 * _checks.positive("n_params", n_params) * _checks.positive("n_tokens", n_tokens)
    return _checks.derived("6*N*D", out, "n_params and n_tokens", positive=True)


def train_run(n_params: float, n_tokens: float, n_chips: int, peak_flops: float, mfu: float,
              usd_per_chip_hour: float | None = None, chip_power_w: float | None = None,
              pue: float = 1.15, grid_g_per_kwh: float | None = None) -> dict:
    """Time, cost, energy and carbon of a training run.

    ``time = 6ND / (chips · peak · MFU)``; ``cost = time · chips · price per chip-hour``;
    ``energy = chips · power · time · PUE``; ``carbon = energy · grid intensity``. Cost, energy and
    carbon are None when their inputs are unknown (the data tables leave unknowns empty).

    Parameters
    ----------
    n_params, n_tokens : float
        Model parameters and training tokens (> 0).
    n_chips : int
        Accelerators (>= 1).
    peak_flops : float
        Peak FLOP/s of one chip at the training precision (> 0).
    mfu : float
        Model FLOPs utilization, 0 < mfu <= 1 (an assumption; PaLM reports 46%).
    usd_per_chip_hour : float, optional
        Instance price divided by chips per instance.
    chip_power_w : float, optional
        Average power per chip, W (TDP is an upper bound).
    pue : float
        Facility PUE (>= 1); AWS reports 1.15.
    grid_g_per_kwh : float, optional
        Grid carbon intensity, gCO2e/kWh.

    Returns
    -------
    dict
        ``flops``, ``seconds``, ``days``, ``usd``, ``energy_kwh``, ``co2_tonnes``.

    Notes
    -----
    Limits: ``n_chips`` 1..:data:`MAX_COUNT`; any result that overflows or underflows to 0 raises ValueError.
    """
    flops = training_flops(n_params, n_tokens)
    chips = _count("n_chips", n_chips, low=1, high=MAX_COUNT)
    peak = _checks.positive("peak_flops", peak_flops)
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    p = _checks.real("pue", pue, low=1.0)
    seconds = flops / (chips * peak * u)
    usd = None if usd_per_chip_hour is None else seconds / 3600 * chips * _checks.positive("usd_per_chip_hour", usd_per_chip_hour)
    kwh = None if chip_power_w is None else chips * _checks.positive("chip_power_w", chip_power_w) * seconds * p / 3.6e6
    co2 = None if kwh is None or grid_g_per_kwh is None else kwh * _checks.nonnegative("grid_g_per_kwh", grid_g_per_kwh) / 1e6
    _checks.derived("the run's time, cost or energy", [seconds] + [v for v in (usd, kwh) if v is not None],
                    "n_params, n_tokens, n_chips, peak_flops, mfu, usd_per_chip_hour and chip_power_w", positive=True)
    _checks.derived("the run's carbon", 0.0 if co2 is None else co2, "grid_g_per_kwh")
    return {"flops": flops, "seconds": seconds, "days": seconds / 86400, "usd": usd, "energy_kwh": kwh,
            "co2_tonnes": co2}


#: Most points of :func:`pareto_front` (n**2 comparisons).
MAX_PARETO_POINTS = 20_000


def pareto_front(costs, times) -> np.ndarray:
    """Boolean mask of the points not dominated in (cost, time): no other point is at least as good
    in both and strictly better in one.

    Limits: 1..:data:`MAX_PARETO_POINTS` points (the comparison is all pairs, n**2 work: about
    10 s at the cap)."""
    c = _checks.float_array("costs", costs, ndim=1, max_size=MAX_PARETO_POINTS)
    t = _checks.float_array("times", times, ndim=1, max_size=MAX_PARETO_POINTS)
    if c.shape != t.shape:
        raise ValueError("costs and times must have the same length")
    keep = np.ones(c.size, bool)
    for i in range(c.size):
        dominated = (c <= c[i]) & (t <= t[i]) & ((c < c[i]) | (t < t[i]))
        keep[i] = not dominated.any()
    return keep


def training_options(instances: list[dict], chip_table: dict, period: str, mfu_by_family: dict,
                     n_params: float, n_tokens: float, n_chips: int) -> list[dict]:
    """Cost and time to train on every training-class instance priced in one period.

    Only chips marked ``training_class`` take part (an inference chip cannot be a training option);
    prices come from :func:`instances_for_period`, so periods never mix. Each chip family runs at its
    own MFU (``mfu_by_family[family]``): that ratio, not the chip count, decides the comparison,
    because ``cost = 6ND · price per chip-hour / (peak · MFU)`` does not depend on the number of chips.

    Parameters
    ----------
    instances, chip_table
        :func:`load_instances` rows and ``{chip name: load_chips row}``.
    period : str
        Price month ``YYYY-MM``.
    mfu_by_family : dict
        ``{family: MFU}`` with 0 < MFU <= 1 for every family that appears.
    n_params, n_tokens : float
        Model size and training tokens (> 0).
    n_chips : int
        Accelerators used (>= 1).

    Returns
    -------
    list of dict
        ``instance``, ``family``, ``price_date``, ``assumed_in_period``, ``usd``, ``days``,
        ``usd_per_chip_hour``, ``mfu`` and ``pareto`` (True where no other option is at least as
        cheap and as fast, and strictly better in one).
    """
    rows = []
    for inst in instances_for_period(instances, period):
        chip = chip_table[inst["chip"]]
        if not chip["training_class"]:
            continue
        fam = chip["family"]
        if fam not in mfu_by_family:
            raise ValueError(f"mfu_by_family has no MFU for chip family {fam!r}")
        per_chip = inst["on_demand_USD_per_hour"] / inst["chips_per_instance"]
        r = train_run(n_params, n_tokens, n_chips, chip["bf16_dense_TFLOPs"] * 1e12, mfu_by_family[fam],
                      usd_per_chip_hour=per_chip)
        rows.append({"instance": inst["instance"], "family": fam, "price_date": inst["price_date"],
                     "assumed_in_period": inst["assumed_in_period"], "usd": r["usd"], "days": r["days"],
                     "usd_per_chip_hour": per_chip, "mfu": mfu_by_family[fam]})
    if rows:
        keep = pareto_front([r["usd"] for r in rows], [r["days"] for r in rows])
        for r, k in zip(rows, keep):
            r["pareto"] = bool(k)
    return rows


def decode_throughput(n_params: float, bandwidth_Bps: float, peak_flops: float, *, batch: int = 1,
                      bytes_per_param: float = 2.0, kv_bytes_per_token: float = 0.0,
                      context: int = 0, mfu: float = GEMM_ACHIEVABLE_FRACTION,
                      capacity_bytes: float | None = None,
                      bandwidth_fraction: float = DECODE_BANDWIDTH_FRACTION) -> dict:
    """Tokens per second while decoding, from the roofline of one decode step.

    Each step reads all weights once (shared by the batch) plus each sequence's KV cache
    (``kv_bytes_per_token · context`` bytes per sequence), and does ``2·N`` FLOPs per sequence:

    ``step = max(bytes / (f_b · bandwidth), flops / (peak · mfu))``

    memory-bound at small batch, compute-bound once the batch is large enough. The defaults are
    calibrated on published measurements: ``bandwidth_fraction`` = :data:`DECODE_BANDWIDTH_FRACTION`
    (HBM is never read at 100% of its peak) and ``mfu`` = :data:`GEMM_ACHIEVABLE_FRACTION`. Passing
    ``bandwidth_fraction=1.0, mfu=1.0`` gives the ideal roofline bound. With ``capacity_bytes`` (the
    chip's or instance's memory) the result also says whether the weights and caches fit (``fits``).
    Prefill (reading the prompt) is not included: see :func:`generation_throughput`.

    Returns
    -------
    dict
        ``step_s``, ``tokens_per_s`` (all sequences), ``tokens_per_s_per_sequence``, ``bound``
        (``"memory"`` or ``"compute"``), ``memory_bytes`` (weights + caches) and ``fits`` (None
        without ``capacity_bytes``).

    Notes
    -----
    Limits: ``batch`` 1..:data:`MAX_COUNT`, ``context`` 0..:data:`MAX_COUNT` (whole numbers, integral
    floats accepted); ``mfu`` and ``bandwidth_fraction`` in (0, 1]; a step time or a throughput that
    overflows raises ValueError.

    Examples
    --------
    A 7B-parameter bf16 model on an H100 (3.35 TB/s), batch 1: about 240 tokens/s at the ideal bound,
    about 187 at the measured bandwidth fraction.

    >>> round(decode_throughput(7e9, 3.35e12, 989e12, bandwidth_fraction=1.0, mfu=1.0)["tokens_per_s"])
    239
    >>> round(decode_throughput(7e9, 3.35e12, 989e12)["tokens_per_s"])
    187
    """
    n = _checks.positive("n_params", n_params)
    bw = _checks.positive("bandwidth_Bps", bandwidth_Bps) * _checks.real(
        "bandwidth_fraction", bandwidth_fraction, low=0.0, high=1.0, low_open=True)
    peak = _checks.positive("peak_flops", peak_flops)
    b = _count("batch", batch, low=1, high=MAX_COUNT)
    bpp = _checks.positive("bytes_per_param", bytes_per_param)
    kv = _checks.nonnegative("kv_bytes_per_token", kv_bytes_per_token)
    ctx = _count("context", context, low=0, high=MAX_COUNT)
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    with np.errstate(all="ignore"):
        t_mem_ = (np.float64(n) * bpp + np.float64(b) * kv * ctx) / bw
        t_cmp_ = np.float64(2.0) * n * b / (peak * u)
    _checks.derived("the decode step time", max(t_mem_, t_cmp_), "n_params, bandwidth_Bps, peak_flops, batch, "
                    "bytes_per_param, kv_bytes_per_token, context and mfu", positive=True)
    _checks.derived("tokens per second", b / max(t_mem_, t_cmp_), "the same parameters")
    need = n * bpp + b * kv * ctx
    fits = None if capacity_bytes is None else need <= _checks.positive("capacity_bytes", capacity_bytes)
    t_mem = need / bw
    t_cmp = 2.0 * n * b / (peak * u)
    step = max(t_mem, t_cmp)
    return {"step_s": step, "tokens_per_s": b / step, "tokens_per_s_per_sequence": 1.0 / step,
            "bound": "memory" if t_mem >= t_cmp else "compute", "memory_bytes": need, "fits": fits}


def generation_throughput(n_params: float, bandwidth_Bps: float, peak_flops: float, *, batch: int,
                          prompt_tokens: int, output_tokens: int, kv_bytes_per_token: float = 0.0,
                          bytes_per_param: float = 2.0, prefill: bool = True,
                          compute_fraction: float = GEMM_ACHIEVABLE_FRACTION,
                          bandwidth_fraction: float = DECODE_BANDWIDTH_FRACTION) -> dict:
    """Output tokens per second of a whole batch of requests: prefill of the prompts, then decoding.

    *Prefill* reads every prompt in one pass, ``2·N·batch·prompt`` FLOPs, compute-bound:
    ``t_prefill = max(2·N·B·P / (f_c·peak), (weights + B·P·kv) / (f_b·bandwidth))``.
    *Decode* then runs ``output_tokens`` steps; step ``i`` reads the weights and a cache of
    ``prompt + i`` tokens per sequence: ``t_i = max((weights + B·kv·(P+i)) / (f_b·bw), 2·N·B / (f_c·peak))``,
    summed exactly. Throughput = ``B · output_tokens / (t_prefill + Σ t_i)``, the quantity that
    TensorRT-LLM's performance tables report (output tokens/s per GPU).

    ``prefill=False, compute_fraction=1.0, bandwidth_fraction=1.0`` is the ideal decode-only bound;
    the defaults are the measured fractions (:data:`GEMM_ACHIEVABLE_FRACTION`, :data:`DECODE_BANDWIDTH_FRACTION`).

    Returns
    -------
    dict
        ``prefill_s``, ``decode_s``, ``total_s``, ``tokens_per_s`` (output tokens, all sequences)
        and ``prefill_share`` (fraction of the time spent in prefill).

    Examples
    --------
    Llama 2 7B FP16 (6.74e9 parameters, 512 KiB of KV cache per token) on an A100 80GB, batch 60,
    128 tokens in and 2,048 out; TensorRT-LLM measured 1,928 tokens/s:

    >>> kw = dict(batch=60, prompt_tokens=128, output_tokens=2048, kv_bytes_per_token=524288)
    >>> round(generation_throughput(6.74e9, 2.039e12, 312e12, **kw)["tokens_per_s"])
    1908
    >>> round(generation_throughput(6.74e9, 2.039e12, 312e12, prefill=False, compute_fraction=1.0,
    ...                             bandwidth_fraction=1.0, **kw)["tokens_per_s"])
    2461

    Limits: ``batch`` and ``output_tokens`` 1..:data:`MAX_COUNT`, ``prompt_tokens`` 0..:data:`MAX_COUNT`
    (whole numbers, integral floats accepted); both fractions in (0, 1]; a time that overflows raises
    ValueError.
    """
    n = _checks.positive("n_params", n_params)
    bw = _checks.positive("bandwidth_Bps", bandwidth_Bps) * _checks.real(
        "bandwidth_fraction", bandwidth_fraction, low=0.0, high=1.0, low_open=True)
    fl = _checks.positive("peak_flops", peak_flops) * _checks.real(
        "compute_fraction", compute_fraction, low=0.0, high=1.0, low_open=True)
    b = float(_count("batch", batch, low=1, high=MAX_COUNT))
    p = float(_count("prompt_tokens", prompt_tokens, low=0, high=MAX_COUNT))
    out = float(_count("output_tokens", output_tokens, low=1, high=MAX_COUNT))
    kv = _checks.nonnegative("kv_bytes_per_token", kv_bytes_per_token)
    w = n * _checks.positive("bytes_per_param", bytes_per_param)
    do_prefill = _checks.boolean("prefill", prefill)
    with np.errstate(all="ignore"):
        t_pre = max(2.0 * n * b * p / fl, (w + b * p * kv) / bw) if (do_prefill and p > 0) else 0.0
        a = (w + b * kv * p) / bw          # memory time of decode step 0
        c = b * kv / bw                    # each step's cache grows by one token per sequence
        t_c = 2.0 * n * b / fl             # compute time of every decode step
        # steps i < i0 are compute-bound (t_c), steps i >= i0 memory-bound (a + c*i)
        x = (t_c - a) / c if c > 0.0 else math.nan
        if not math.isfinite(x):           # no cache growth, or a time that overflowed (refused below)
            i0 = 0.0 if a >= t_c else out
        else:
            i0 = min(out, max(0.0, float(math.ceil(x))))
        m = out - i0
        t_dec = i0 * t_c + m * a + c * (i0 * m + m * (m - 1) / 2)
        total = t_pre + t_dec
    _checks.derived("the generation time", [t_dec, total], "n_params, bandwidth_Bps, peak_flops, batch, "
                    "prompt_tokens, output_tokens, kv_bytes_per_token and bytes_per_param", positive=True)
    tps = _checks.derived("tokens per second", b * out / total, "the same parameters", positive=True)
    return {"prefill_s": float(t_pre), "decode_s": float(t_dec), "total_s": float(total),
            "tokens_per_s": float(tps), "prefill_share": float(t_pre / total)}


def usd_per_million_tokens(usd_per_hour: float, tokens_per_second: float) -> float:
    """Price of a million generated tokens at a sustained rate on an instance billed by the hour.

    Limits: a price that overflows or underflows to 0 raises ValueError."""
    out = _checks.positive("usd_per_hour", usd_per_hour) / 3600 / _checks.positive("tokens_per_second", tokens_per_second) * 1e6
    return _checks.derived("the price", out, "usd_per_hour and tokens_per_second", positive=True)


# --------------------------------------------------------------------------------------------
# This machine's roofline: the matrix multiply kernel and its CUDA twin
# --------------------------------------------------------------------------------------------

from .gemm import matmul, measure_matmul, measure_matmul_cuda, MAX_MATMUL_FLOPS  # noqa: E402,F401


# --------------------------------------------------------------------------------------------
# Price-performance helpers for checking claims
# --------------------------------------------------------------------------------------------

def usd_per_pflop_hour(usd_per_hour: float, chips_per_instance: float, peak_tflops: float,
                       mfu: float = 1.0) -> float:
    """Dollars per hour of one delivered PFLOP/s: instance price / (chips x peak x MFU).

    Cost to train is proportional to it (for the same model, tokens and MFU).
    Limits: a result that overflows or underflows to 0 raises ValueError.
    """
    price = _checks.positive("usd_per_hour", usd_per_hour)
    chips_n = _checks.positive("chips_per_instance", chips_per_instance)
    peak = _checks.positive("peak_tflops", peak_tflops)
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    with np.errstate(all="ignore"):
        out = np.float64(price) / (np.float64(chips_n) * peak / 1000.0 * u)
    return float(_checks.derived("the price per PFLOP-hour", out, "usd_per_hour, chips_per_instance, peak_tflops and mfu",
                                 positive=True))


def required_efficiency_ratio(cost_a: float, cost_b: float, saving: float) -> float:
    """How many times higher A's utilization (MFU) must be than B's for A to cost ``saving`` less.

    With costs per *peak* PFLOP-hour ``cost_a`` and ``cost_b`` at equal MFU, A saves
    ``1 - cost_a/cost_b``; a utilization ratio r scales A's cost by 1/r, so
    ``r = cost_a / (cost_b · (1 - saving))``. A value <= 1 means the claim holds at equal MFU.
    Limits: a ratio that overflows or underflows to 0 raises ValueError.
    """
    a = _checks.positive("cost_a", cost_a)
    b = _checks.positive("cost_b", cost_b)
    s = _checks.real("saving", saving, low=0.0, high=1.0, high_open=True)
    with np.errstate(all="ignore"):
        out = np.float64(a) / (np.float64(b) * (1.0 - s))
    return float(_checks.derived("the ratio", out, "cost_a, cost_b and saving", positive=True))
