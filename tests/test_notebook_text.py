"""Static checks of the notebooks' Markdown that nbval cannot see.

JupyterLab renders text between two unescaped dollar signs as LaTeX, so a sentence such as
"$1.69M against $1.63M" turns into italic math. Formulas are written as LaTeX math, ``$...$`` and
``$$...$$`` (pandoc's rule for inline math: the opening ``$`` is followed by a non-space, the closing one
follows a non-space and is not followed by a digit); every other dollar sign in Markdown prose (outside
math, code spans and fenced code) is a literal one and must be escaped as ``\\$``.

nbval's markers are cell tags (``nbval-check-output``, ...), never ``# NBVAL_...`` comments in the
source a learner reads.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$(?=[^\s$])(?:[^$\\\n]|\\.)*?(?<=\S)(?<!\\)\$(?!\d)", re.DOTALL)


def unescaped_dollars(markdown: str) -> list[str]:
    """The unescaped ``$`` signs in ``markdown`` outside code, each with a little context."""
    prose = _MATH.sub("", _CODE.sub("", markdown))
    return [prose[max(0, m.start() - 20):m.end() + 15] for m in re.finditer(r"(?<!\\)\$", prose)]


def test_the_check_finds_what_it_should():
    assert len(unescaped_dollars("costs $1.69M against $1.63M")) == 2
    assert len(unescaped_dollars("at $3 per hour")) == 1
    assert len(unescaped_dollars("a lone $x")) == 1                        # unpaired
    assert unescaped_dollars(r"costs \$1.69M, `x = '$'`, and ```\nprint('$')\n```") == []
    assert unescaped_dollars(r"about $6ND$ FLOPs, $N = 10^{11}$, and $$t = \frac{a}{b}$$") == []
    assert len(unescaped_dollars("costs $5 and $6 more")) == 2
    assert len(unescaped_dollars("from $1.69M to $5.97M")) == 2
    assert unescaped_dollars(r"$2(p-1)\alpha$, $6ND$, $10^{25}$ and $$T_j = T_c + P R$$") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_markdown_has_no_unescaped_dollar_signs(path):
    cells = json.loads(path.read_text())["cells"]
    found = [(i, hit) for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
             for hit in unescaped_dollars("".join(cell["source"]))]
    assert not found, f"escape $ as \\$ in Markdown (cell, context): {found}"


def nbval_markers(cells: list[dict]) -> list[tuple[int, str]]:
    """``(cell index, line)`` for every source line of any cell that contains ``NBVAL_``."""
    return [(i, line.strip()) for i, cell in enumerate(cells)
            for line in "".join(cell["source"]).splitlines() if "NBVAL_" in line]


def test_the_marker_check_finds_what_it_should():
    cells = [{"source": ["# NBVAL_CHECK_OUTPUT\n", "print(1)"]}, {"source": "x = 1"}]
    assert nbval_markers(cells) == [(0, "# NBVAL_CHECK_OUTPUT")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_nbval_markers_in_the_source(path):
    found = nbval_markers(json.loads(path.read_text())["cells"])
    assert not found, (f"{path.name}: use the cell tags nbval-check-output / nbval-ignore-output / "
                       f"nbval-skip / raises-exception instead of these lines (cell, line): {found}")


# --- One time per notebook: the README's course map, notebook 00's course map and the notebook's own line ---

_ROOT = Path(__file__).resolve().parents[1]


def minutes(text: str) -> tuple[int, int]:
    """``(low, high)`` minutes from a stated time: "40 min", "90-120 min", "About 90 to 120 minutes", "About 2 hours"."""
    m = re.search(r"(\d+)\s*(?:-|–|to)\s*(\d+)\s*(min|minutes|h|hours)\b", text)
    if m:
        low, high, unit = int(m[1]), int(m[2]), m[3]
    else:
        m = re.search(r"(\d+)\s*(min|minutes|h|hours)\b", text)
        if not m:
            raise ValueError(f"no time in {text!r}")
        low = high = int(m[1])
        unit = m[2]
    scale = 60 if unit in ("h", "hours") else 1
    return low * scale, high * scale


def test_minutes_reads_the_forms_the_course_uses():
    assert minutes("| 40 min |") == (40, 40)
    assert minutes("| 90-120 min |") == (90, 120)
    assert minutes("**Time.** About 90 to 120 minutes, exercises included.") == (90, 120)
    assert minutes("**Time.** About 2 hours.") == (120, 120)
    with pytest.raises(ValueError):
        minutes("no time here")


def course_map_times(markdown: str) -> dict[str, tuple[int, int]]:
    """Notebook stem -> stated minutes, from a course-map table whose first column names the notebook."""
    times = {}
    for line in markdown.splitlines():
        m = re.match(r"\|\s*\[?`(\d\d_[a-z_0-9]+)`", line)
        if m:
            times[m[1]] = minutes(line.rsplit("|", 2)[-2])
    return times


def test_every_notebook_states_one_time_everywhere():
    stems = [p.stem for p in NOTEBOOKS]
    readme = course_map_times((_ROOT / "README.md").read_text())
    nb00 = json.loads((_ROOT / "notebooks" / "00_start_here.ipynb").read_text())["cells"]
    in_00 = course_map_times("\n".join("".join(c["source"]) for c in nb00 if c["cell_type"] == "markdown"))
    own = {}
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and "**Time.**" in text:
                own[path.stem] = minutes(text.split("**Time.**", 1)[1].split("\n", 1)[0])
                break
    assert sorted(readme) == stems, "the README's course map must list every notebook"
    assert sorted(in_00) == stems, "notebook 00's course map must list every notebook"
    assert sorted(own) == stems, "every notebook must state its **Time.** near the top"
    differ = {s: (readme[s], in_00[s], own[s]) for s in stems if not readme[s] == in_00[s] == own[s]}
    assert not differ, f"README, notebook 00 and the notebook itself disagree (minutes): {differ}"
