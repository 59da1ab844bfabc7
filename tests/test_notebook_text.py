"""Static checks of the notebooks' Markdown that nbval cannot see.

JupyterLab renders text between two unescaped dollar signs as LaTeX, so a sentence such as
"$1.69M against $1.63M" turns into italic math. Formulas are written as LaTeX (``$...$`` and
``$$...$$``), so a literal dollar sign in Markdown prose must be escaped as ``\\$``: the check flags
an unescaped ``$`` that opens an amount (a number followed by a space or punctuation, as in
"$3 per hour" or "$1.69M,") and a cell whose unescaped ``$`` signs do not pair up.

nbval's markers are cell tags (``nbval-check-output``, ...), never ``# NBVAL_...`` comments in the
source a learner reads.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


_AMOUNT = re.compile(r"(?<!\\)\$\d[\d,]*(?:\.\d+)?\s*(?:[kKMBT]|bn|million|billion)?(?=[\s,.;:!?)]|$)")


def unescaped_dollars(markdown: str) -> list[str]:
    """Unescaped ``$`` signs in ``markdown`` outside code that are currency, each with context.

    A ``$`` that opens an amount is currency; so is any ``$`` of a cell whose unescaped ``$``
    signs (``$$`` counted as one) do not pair up into math spans.
    """
    prose = _CODE.sub("", markdown)
    found = [prose[max(0, m.start() - 20):m.end() + 15] for m in _AMOUNT.finditer(prose)]
    singles = re.findall(r"(?<!\\)\$\$|(?<!\\)\$", prose)
    if not found and len(singles) % 2:
        m = list(re.finditer(r"(?<!\\)\$", prose))[-1]
        found.append(prose[max(0, m.start() - 20):m.end() + 15])
    return found


def test_the_check_finds_what_it_should():
    assert len(unescaped_dollars("costs $1.69M against $1.63M")) == 2
    assert len(unescaped_dollars("at $3 per hour")) == 1
    assert len(unescaped_dollars("a lone $x")) == 1                        # unpaired
    assert unescaped_dollars(r"costs \$1.69M, `x = '$'`, and ```\nprint('$')\n```") == []
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
