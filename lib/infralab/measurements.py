"""Published measurements that the course's models are checked against (``data/measurements.csv``).

One row per measured figure: what was measured, on which system, with which inputs, the value (and a
range where the source gives one), the unit, the source, its date and whether it is a primary source
(the people who measured it) or a secondary one (somebody reporting it). The notebooks' "how close is
the model to real systems?" tables and the calibration tests read the same rows, so each figure is
typed once.

Examples
--------
>>> m = load_measurements()["llama3_mfu_16k"]
>>> m.value, m.unit
(0.41, 'fraction')
>>> round(relative_error(0.45, m.value), 3)
0.098
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from pathlib import Path

from . import _checks

#: The columns of ``data/measurements.csv``, in order.
COLUMNS = ("id", "pillar", "quantity", "system", "inputs", "value", "low", "high", "unit", "source",
           "date", "evidence", "notes")
#: Allowed values of the ``pillar`` and ``evidence`` columns.
PILLARS = ("network", "thermal", "enclave", "chips", "cluster")
EVIDENCE = ("primary", "secondary")
#: Largest measurements file read (bytes); the loader reads at most this plus one byte.
MAX_BYTES = 1 << 20


class MeasurementDataError(ValueError):
    """A malformed measurements file; the message names the file, the row and the column."""


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One published measurement (a row of ``data/measurements.csv``)."""

    id: str
    pillar: str
    quantity: str
    system: str
    inputs: str
    value: float
    low: float | None
    high: float | None
    unit: str
    source: str
    date: str
    evidence: str
    notes: str


def _default_path() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "measurements.csv"


def load_measurements(path: str | os.PathLike | None = None) -> dict[str, Measurement]:
    """Read the measurements table: ``{id: Measurement}``, in file order.

    Parameters
    ----------
    path : str, os.PathLike or None
        The CSV file; None reads the course's ``data/measurements.csv``.

    Returns
    -------
    dict of str to Measurement

    Raises
    ------
    MeasurementDataError
        A missing column, a duplicate id, a non-finite or non-numeric value, ``low > value`` or
        ``value > high``, an unknown pillar or evidence, an empty source, or a file over
        :data:`MAX_BYTES`; the message names the file, row and column.
    TypeError
        ``path`` neither None, a str nor an os.PathLike.
    """
    p = _default_path() if path is None else Path(_checks.path_like("path", path))
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise MeasurementDataError(f"{p}: cannot read ({err.strerror or err})") from None
    if len(raw) > MAX_BYTES:
        raise MeasurementDataError(f"{p.name}: larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MeasurementDataError(f"{p.name}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise MeasurementDataError(f"{p.name}: columns must be {', '.join(COLUMNS)}; got {reader.fieldnames}")
    out: dict[str, Measurement] = {}
    for row_no, row in enumerate(reader, start=2):
        where = f"{p.name}, row {row_no}"
        if None in row or any(v is None for v in row.values()):
            raise MeasurementDataError(f"{where}: wrong number of fields")
        numbers = {}
        for col in ("value", "low", "high"):
            cell = row[col].strip()
            if cell == "" and col != "value":
                numbers[col] = None
                continue
            try:
                numbers[col] = float(cell)
            except ValueError:
                raise MeasurementDataError(f"{where}, column {col!r}: {cell!r} is not a number") from None
            if not math.isfinite(numbers[col]):
                raise MeasurementDataError(f"{where}, column {col!r}: {cell!r} is not finite")
        if numbers["low"] is not None and numbers["low"] > numbers["value"]:
            raise MeasurementDataError(f"{where}, column 'low': above the value")
        if numbers["high"] is not None and numbers["high"] < numbers["value"]:
            raise MeasurementDataError(f"{where}, column 'high': below the value")
        for col, allowed in (("pillar", PILLARS), ("evidence", EVIDENCE)):
            if row[col] not in allowed:
                raise MeasurementDataError(f"{where}, column {col!r}: {row[col]!r} is not one of {allowed}")
        for col in ("id", "quantity", "unit", "source", "date"):
            if not row[col].strip():
                raise MeasurementDataError(f"{where}, column {col!r}: empty")
        if row["id"] in out:
            raise MeasurementDataError(f"{where}, column 'id': {row['id']!r} appears twice")
        out[row["id"]] = Measurement(**{**row, **numbers})
    return out


def relative_error(model: float, measured: float) -> float:
    """``(model - measured) / measured``: positive when the model is above the measurement.

    Raises
    ------
    ValueError
        ``measured`` zero or either value non-finite.

    Examples
    --------
    >>> relative_error(2461.0, 1928.0) > 0.27
    True
    """
    m = _checks.real("measured", measured)
    if m == 0:
        raise ValueError("measured must be non-zero (the error is relative to it)")
    return (_checks.real("model", model) - m) / m


__all__ = ["COLUMNS", "EVIDENCE", "MAX_BYTES", "Measurement", "MeasurementDataError", "PILLARS",
           "load_measurements", "relative_error"]
