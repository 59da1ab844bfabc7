"""The published-measurements table (data/measurements.csv) and its loader."""

import re

import pytest

from infralab import measurements as M

HEADER = ",".join(M.COLUMNS) + "\n"
GOOD = 'x,network,q,s,i,1.5,1,2,GB/s,https://example.org/page,2024,primary,\n'


def test_the_course_table_loads_and_every_row_is_sourced():
    rows = M.load_measurements()
    assert rows, "data/measurements.csv is empty"
    for m in rows.values():
        # a followable source: a URL, or a document named with its year
        assert re.search(r"https?://\S+|\b(19|20)\d{2}\b", m.source), m.id
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", m.date), (m.id, m.date)
        assert (m.low is None or m.low <= m.value) and (m.high is None or m.value <= m.high)
        if m.evidence == "secondary":
            # a secondary source says who reported it or why it is weak
            assert m.notes.strip(), f"{m.id}: a secondary source needs a note"


def test_a_good_file_round_trips(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(HEADER + GOOD)
    m = M.load_measurements(p)["x"]
    assert (m.value, m.low, m.high, m.unit) == (1.5, 1.0, 2.0, "GB/s")


@pytest.mark.parametrize("row, column", [
    (GOOD.replace(",1.5,", ",abc,"), "value"),
    (GOOD.replace(",1.5,", ",nan,"), "value"),
    (GOOD.replace(",1,2,", ",1.6,2,"), "low"),
    (GOOD.replace(",1,2,", ",1,1.4,"), "high"),
    (GOOD.replace("network", "weather"), "pillar"),
    (GOOD.replace("primary", "hearsay"), "evidence"),
    (GOOD.replace("https://example.org/page", ""), "source"),
])
def test_a_bad_row_names_its_row_and_column(tmp_path, row, column):
    p = tmp_path / "m.csv"
    p.write_text(HEADER + row)
    with pytest.raises(M.MeasurementDataError, match=rf"row 2, column '{column}'"):
        M.load_measurements(p)


def test_duplicate_ids_and_wrong_columns_are_refused(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(HEADER + GOOD + GOOD)
    with pytest.raises(M.MeasurementDataError, match="row 3, column 'id'"):
        M.load_measurements(p)
    p.write_text("id,value\nx,1\n")
    with pytest.raises(M.MeasurementDataError, match="columns must be"):
        M.load_measurements(p)


def test_an_endless_file_is_refused_after_the_cap():
    with pytest.raises(M.MeasurementDataError, match="larger than"):
        M.load_measurements("/dev/zero")


def test_relative_error_is_signed_and_refuses_a_zero_measurement():
    assert M.relative_error(12.0, 10.0) == pytest.approx(0.2)
    assert M.relative_error(8.0, 10.0) == pytest.approx(-0.2)
    with pytest.raises(ValueError, match="measured"):
        M.relative_error(1.0, 0.0)
