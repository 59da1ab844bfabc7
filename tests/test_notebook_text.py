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
