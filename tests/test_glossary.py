"""Every acronym and term of art that a notebook's Markdown uses has an entry in notebooks/glossary.md.

An *acronym* is a run of two or more capitals, digits allowed after the first letter (PUE, NCCL,
BF16, PCR0). It is covered when a glossary heading (``### Term``) is that acronym, starts with it
("KV cache" covers KV), lists it with slashes ("P10/P50/P90"), or, for an indexed or plural form
(PCR0, GPUs), when its stem is covered. Code spans, fenced code, link targets and file paths are
not prose and are not read. What is not an acronym is excluded below, each group with its reason.
A *term* is a line of ``tests/glossary_terms.txt``.

Failures name the notebook, the Markdown cell index and the missing acronym or term.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from _markdown import GLOSSARY, NOTEBOOKS, ROOT, headings, link_targets, markdown_cells, strip_code

TERMS_FILE = ROOT / "tests" / "glossary_terms.txt"

#: Capitalised words that are not acronyms of the course's subject, with the reason.
EXCLUDED = {
    # units and currency: defined by the SI / ISO 4217, written beside a number
    "GB", "MB", "KB", "TB", "PB", "GiB", "MiB", "KiB", "TiB", "GW", "MW", "KW", "GWh", "TWh", "MWh",
    "USD", "EUR",
    # journal, conference and publisher abbreviations in citations (names, not concepts)
    "ACM", "CACM", "IJHPCA", "EMNLP", "NSDI", "TCCA", "TOMS", "RANDOM", "TC", "SP", "RFC", "ISO", "IEC",
    "ICML", "NeurIPS", "SC", "HPCA", "ISCA", "ASPLOS", "OSDI", "SIGCOMM", "USENIX",
    # everyday abbreviations a Python reader knows
    "ID", "OK", "PDF", "URL", "CSV", "UTC", "HTML", "SVG", "PNG", "README",
    # emphasis, not an abbreviation ("a local **TEST** chain")
    "TEST",
    # company and product-line names in citations and hardware descriptions (names, not concepts)
    "AMD", "EPYC",
}
#: Model numbers of products (GB200, NVL72, A100, SHA... no: only letters then 2+ digits, not in
#: the glossary): a product name, not a term; a glossary entry wins over this rule.
PRODUCT = re.compile(r"^[A-Z]{1,3}\d{2,}[A-Z]?$")
ROMAN = re.compile(r"^(?=[IVXLC]{2,}$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")   # "Planck 2018 results. VI."
SI_FLOP = re.compile(r"^[KMGTPE]FLOPs?$")                                        # GFLOP, TFLOPs: FLOP with a prefix

ACRONYM = re.compile(r"(?<![\w\-])[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?:s)?(?![\w])|(?<![\w\-])[A-Z]{2,}s?(?![\w])")
_PATHLIKE = re.compile(r"\S*[/\\]\S*|\S+\.(?:md|py|ipynb|csv|txt|json|pem|b64|h|rs|mediawiki)\b")


def glossary_keys(glossary_text: str) -> tuple[set[str], set[str]]:
    """(acronyms covered, casefolded headings) of a glossary's ``### Term`` headings."""
    acronyms: set[str] = set()
    terms: set[str] = set()
    for line in glossary_text.splitlines():
        if not line.startswith("### "):
            continue
        heading = line[4:].strip()
        terms.add(heading.casefold())
        acronyms.add(heading)
        acronyms.update(p.strip() for p in heading.split("/"))
        acronyms.add(re.split(r"[\s]", heading)[0])
        acronyms.add(re.split(r"[\s\-]", heading)[0])
    return acronyms, terms


def read_terms(path: Path = TERMS_FILE) -> list[tuple[str, str]]:
    """``(phrase, glossary heading)`` pairs of the maintained term list."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        phrase, _, heading = line.partition(" = ")
        pairs.append((phrase.strip(), (heading or phrase).strip()))
    return pairs


def prose(markdown: str) -> str:
    """The words of a Markdown cell: no code, no link targets, no paths or file names."""
    text = strip_code(markdown)
    for target in link_targets(markdown):
        text = text.replace(target, " ")
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)                     # HTML tags and their attributes
    text = re.sub(r"\$\$.*?\$\$|(?<!\\)\$[^$\n]+?(?<!\\)\$", " ", text, flags=re.DOTALL)  # LaTeX math
    return _PATHLIKE.sub(" ", text)


def is_covered(word: str, covered: set[str]) -> bool:
    """True when the acronym ``word`` (maybe plural or indexed) has a glossary entry."""
    stems = {word, word[:-1] if word.endswith("s") else word, re.sub(r"\d+$", "", word)}
    return any(s and s in covered for s in stems)


def is_excluded(word: str) -> bool:
    stem = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
    return (word in EXCLUDED or stem in EXCLUDED or bool(PRODUCT.match(stem)) or bool(ROMAN.match(stem))
            or bool(SI_FLOP.match(word)))


def missing_entries(notebook: Path, glossary_text: str, terms: list[tuple[str, str]]) -> list[str]:
    """"cell N: 'WORD'" for every acronym or listed term of ``notebook`` that the glossary lacks."""
    covered, headings_cf = glossary_keys(glossary_text)
    missing, seen = [], set()
    for index, source in markdown_cells(notebook):
        text = prose(source)
        for word in ACRONYM.findall(text):
            if word in seen or is_covered(word, covered) or is_excluded(word):
                continue
            seen.add(word)
            missing.append(f"cell {index}: acronym {word!r}")
        for phrase, heading in terms:
            if heading.casefold() in headings_cf or heading in seen:
                continue
            if re.search(r"(?<![\w\-])" + re.escape(phrase) + r"(?![\w\-])", text, re.IGNORECASE):
                seen.add(heading)
                missing.append(f"cell {index}: term {phrase!r} (glossary heading '### {heading}')")
    return missing


def links_glossary_near_top(notebook: Path, first: int = 3) -> bool:
    """True when one of the first ``first`` cells links ``glossary.md`` (with or without an anchor)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"][:first]
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for target in link_targets("".join(cell["source"])):
            if target.split("#")[0].rsplit("/", 1)[-1] == "glossary.md":
                return True
    return False


# --- the checks themselves, on deliberately broken tiny notebooks ------------------------------

def _tiny(tmp_path: Path, *markdown: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])
    path = tmp_path / "99_tiny.ipynb"
    nbformat.write(nb, path)
    return path


GLOSSARY_TINY = "# Glossary\n\n## K\n\n### KV cache\n\nx\n\n## P\n\n### PUE\n\nx\n\n### P10/P50/P90\n\nx\n\n### Ring all-reduce\n\nx\n"


def test_finds_an_undefined_acronym_and_names_its_cell(tmp_path):
    nb = _tiny(tmp_path, "[Glossary](glossary.md)", "PUE is fine, KV too, P50 and PUEs.", "But CRAH is not.")
    assert missing_entries(nb, GLOSSARY_TINY, []) == ["cell 2: acronym 'CRAH'"]


def test_ignores_code_links_paths_math_units_and_product_names(tmp_path):
    nb = _tiny(tmp_path, "`NCCL` in code, [x](https://a.b/NCCL), doc/PERFORMANCE.md, 80 GB, GB200, "
                         "NVL72, ACM TOMS 2008, $\\mathrm{XYZ}$ and $$ABC$$.\n\n```\nSRD\n```")
    assert missing_entries(nb, GLOSSARY_TINY, []) == []


def test_finds_a_listed_term_case_insensitively(tmp_path):
    nb = _tiny(tmp_path, "A Ring All-Reduce and a cold plate.")
    terms = [("ring all-reduce", "Ring all-reduce"), ("cold plate", "Cold plate")]
    assert missing_entries(nb, GLOSSARY_TINY, terms) == [
        "cell 0: term 'cold plate' (glossary heading '### Cold plate')"]


def test_glossary_link_must_be_in_the_first_three_cells(tmp_path):
    assert links_glossary_near_top(_tiny(tmp_path, "# T", "see the [glossary](glossary.md#pue)"))
    assert not links_glossary_near_top(_tiny(tmp_path, "# T", "a", "b", "[glossary](glossary.md)"))


# --- the course -------------------------------------------------------------------------------

def test_the_glossary_exists_with_one_heading_per_term():
    text = GLOSSARY.read_text(encoding="utf-8")
    entries = [h for h in headings(text) if h and text.count(f"### {h}\n")]
    assert len(entries) >= 150, f"the glossary has {len(entries)} entries"
    assert len({e.casefold() for e in entries}) == len(entries), "a term is defined twice"


def test_every_listed_term_has_a_glossary_entry():
    _, headings_cf = glossary_keys(GLOSSARY.read_text(encoding="utf-8"))
    lacking = [h for _, h in read_terms() if h.casefold() not in headings_cf]
    assert not lacking, f"tests/glossary_terms.txt names terms the glossary lacks: {lacking}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_acronym_and_term_has_a_glossary_entry(path):
    missing = missing_entries(path, GLOSSARY.read_text(encoding="utf-8"), read_terms())
    assert not missing, f"{path.name}: no glossary entry for " + "; ".join(missing)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_links_the_glossary_near_its_top(path):
    assert links_glossary_near_top(path), f"{path.name}: none of cells 0-2 links glossary.md"
