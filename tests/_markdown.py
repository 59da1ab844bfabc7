"""Reading the course's Markdown for the glossary and link tests: cells, headings, slugs, links.

Kept apart from the tests so that both ``test_glossary.py`` and ``test_links.py`` use one
definition of a GitHub heading slug and one way of stripping code from prose.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
GLOSSARY = NOTEBOOK_DIR / "glossary.md"
REFERENCES = ROOT / "docs" / "references.md"

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_EXPLICIT_ANCHOR = re.compile(r"""<a\b[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def markdown_cells(path: Path) -> list[tuple[int, str]]:
    """``(cell index, source)`` of every Markdown cell of the notebook at ``path``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def strip_code(markdown: str) -> str:
    """``markdown`` without fenced code blocks, code spans and HTML comments (each kept as a space)."""
    text = _FENCE.sub(" ", markdown)
    text = _HTML_COMMENT.sub(" ", text)
    return _CODE_SPAN.sub(" ", text)


def github_slug(heading: str) -> str:
    """The anchor GitHub (and JupyterLab's table of contents) gives a heading.

    Lowercase; Markdown emphasis, links and code markers dropped; every character that is not a
    letter, a digit, a space, ``-`` or ``_`` removed; each space becomes ``-`` (github-slugger's rule).

    >>> github_slug("Ring all-reduce"), github_slug("AES-GCM"), github_slug("1. Networking for training at scale")
    ('ring-all-reduce', 'aes-gcm', '1-networking-for-training-at-scale')
    >>> github_slug("COSE_Sign1"), github_slug("X.509"), github_slug("Fourier's law")
    ('cose_sign1', 'x509', 'fouriers-law')
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)       # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text)                            # inline HTML tags
    text = text.strip().lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or ch == " " or cat[0] in "LN" or cat == "Mn":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def headings(markdown: str) -> list[str]:
    """The text of every ATX heading (``#`` to ``######``) outside fenced code."""
    return [m.group(2).strip() for m in _HEADING.finditer(_FENCE.sub(" ", markdown))]


def anchors(markdown: str) -> set[str]:
    """Every anchor a link may name in ``markdown``: heading slugs (with GitHub's ``-1``, ``-2``
    suffixes for repeats) and explicit ``<a id=...>`` / ``<a name=...>`` targets."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for text in headings(markdown):
        slug = github_slug(text)
        n = seen.get(slug, 0)
        found.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    found.update(_EXPLICIT_ANCHOR.findall(markdown))
    return found


def file_anchors(path: Path) -> set[str]:
    """Anchors of a Markdown file, or of all Markdown cells of a notebook taken together."""
    if path.suffix == ".ipynb":
        return anchors("\n\n".join(src for _, src in markdown_cells(path)))
    return anchors(path.read_text(encoding="utf-8"))


# [text](target "title"), ![alt](target), <a href="target">, and reference definitions [x]: target
_INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
_HREF = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")


def link_targets(markdown: str) -> list[str]:
    """Every link target in ``markdown`` outside code: inline links and images, HTML ``href``/``src``,
    reference definitions and ``<https://...>`` autolinks."""
    text = strip_code(markdown)
    found = [m.group(1) for m in _INLINE_LINK.finditer(text)]
    found += _HREF.findall(text) + _REF_DEF.findall(text) + _AUTOLINK.findall(text)
    return [t for t in found if t]
