"""Every relative link and anchor the course names exists; external URLs are well formed; no ``facts.md``.

Checked: the Markdown cells of every notebook, ``notebooks/glossary.md``, ``docs/references.md`` and
the README. A relative target is resolved against the file that names it; an anchor (``#slug``) must
be a GitHub heading slug of the target file (or of the same file) or an explicit ``<a id=...>`` /
``<a name=...>``. External URLs are checked for form only (no network in the test run).
Failures name the file, the notebook cell index where there is one, and the missing target.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from _markdown import GLOSSARY, NOTEBOOKS, REFERENCES, ROOT, file_anchors, link_targets, markdown_cells, strip_code

README = ROOT / "README.md"
DOCUMENTS = [p for p in (GLOSSARY, REFERENCES, README)]
_URL = re.compile(r"^(https?)://([A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+)(:\d+)?(/[^\s<>\"]*)?$")


def check_target(target: str, source: Path, own_anchors: set[str]) -> str:
    """Why ``target`` (named in ``source``) is broken, or ``""`` when it resolves."""
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        return "" if _URL.match(target) else f"malformed URL {target!r}"
    if parts.scheme in ("mailto", "data"):
        return ""
    if parts.scheme or parts.netloc:
        return f"unsupported link scheme in {target!r}"
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    if path:
        dest = (source.parent / path).resolve()
        if not dest.exists():
            return f"missing file {target!r} (looked for {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest})"
        if not anchor:
            return ""
        if dest.suffix not in (".md", ".ipynb"):
            return f"anchor {anchor!r} into a file that has no headings: {target!r}"
        targets = file_anchors(dest)
    else:
        targets = own_anchors
    if anchor and anchor not in targets:
        return f"missing anchor {target!r}"
    return ""


def notebook_problems(notebook: Path) -> list[str]:
    """``"cell N: reason"`` for every broken link of a notebook's Markdown cells."""
    own = file_anchors(notebook)
    out = []
    for index, source in markdown_cells(notebook):
        for target in link_targets(source):
            why = check_target(target, notebook, own)
            if why:
                out.append(f"cell {index}: {why}")
    return out


def document_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    own = file_anchors(path)
    out = []
    for target in link_targets(text):
        why = check_target(target, path, own)
        if why:
            line = next((n for n, l in enumerate(text.splitlines(), 1) if target in l), "?")
            out.append(f"line {line}: {why}")
    return out


def facts_mentions(notebook: Path) -> list[int]:
    """Cell indices (Markdown or code) that mention ``facts.md``, which is not in the repository."""
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [i for i, c in enumerate(cells) if "facts.md" in "".join(c["source"])]


# --- the checks themselves, on deliberately broken tiny files ---------------------------------

def _tiny(tmp_path: Path, *markdown: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    path = tmp_path / "notebooks" / "99_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_finds_missing_files_anchors_and_bad_urls(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ref.md").write_text("# Ref\n\n## 1. Networking for training at scale\n\n<a id=\"x\"></a>\n")
    nb = _tiny(tmp_path, "## Start here\n\n[ok](../docs/ref.md#1-networking-for-training-at-scale), "
                         "[ok](../docs/ref.md#x), [ok](#start-here), [ok](https://example.org/a?b=1#c)",
               "[gone](../docs/nothing.md), [bad anchor](../docs/ref.md#2-cooling), [self](#nowhere), "
               "[url](https://exa_mple), `[code](skipped.md)`")
    assert notebook_problems(nb) == [
        "cell 1: missing file '../docs/nothing.md' (looked for docs/nothing.md)"
        if (tmp_path / "docs/nothing.md").is_relative_to(ROOT) else
        f"cell 1: missing file '../docs/nothing.md' (looked for {tmp_path / 'docs/nothing.md'})",
        "cell 1: missing anchor '../docs/ref.md#2-cooling'",
        "cell 1: missing anchor '#nowhere'",
        "cell 1: malformed URL 'https://exa_mple'",
    ]


def test_anchor_into_a_notebook_uses_its_markdown_headings(tmp_path):
    other = _tiny(tmp_path, "## Exercise 3")
    nb = other.with_name("98_other.ipynb")
    nb.write_text(other.read_text())
    _tiny(tmp_path, "[ok](98_other.ipynb#exercise-3) [bad](98_other.ipynb#exercise-4)")
    assert notebook_problems(other) == ["cell 0: missing anchor '98_other.ipynb#exercise-4'"]


def test_finds_facts_md(tmp_path):
    assert facts_mentions(_tiny(tmp_path, "# T", "see facts.md section 2")) == [1]


# --- the course -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_links_resolve(path):
    problems = notebook_problems(path)
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_document_links_resolve(path):
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    problems = document_problems(path)
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_cites_facts_md(path):
    cells = facts_mentions(path)
    assert not cells, (f"{path.name}: cells {cells} mention facts.md, which is not in the repository; "
                       "link ../docs/references.md#<section> or the primary page instead")


def test_references_keep_the_four_section_anchors():
    anchors = file_anchors(REFERENCES)
    for slug in ("1-networking-for-training-at-scale", "2-cooling-and-energy", "3-enclave-cryptography",
                 "4-chips-and-price-performance"):
        assert slug in anchors, f"docs/references.md lacks the heading for #{slug}"
