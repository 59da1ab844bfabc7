"""The course book (book/, scripts/build-book): what was built, its links, and what a bad input does to the build.

The built site comes from the ``book_html`` fixture (tests/conftest.py): the book ``.ci/run`` built with warnings as
errors, or a fresh build. The link check reads every HTML page: each relative link and image must name a file of
the site and each ``#fragment`` an id on the target page; external URLs are checked for form only (no network here).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((REPO / "book" / "_toc.yml").read_text())
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _toc_files() -> list[str]:
    return [TOC["root"]] + [c["file"] for part in TOC["parts"] for c in part["chapters"]]


def _source(docname: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        if (REPO / (docname + suffix)).exists():
            return REPO / (docname + suffix)
    return None


def _repository_setting() -> str:
    match = re.search(r'^REPOSITORY = "([^"]+)"', (REPO / "book" / "conf.py").read_text(), re.M)
    assert match, "book/conf.py must set REPOSITORY = \"owner/name\""
    return match.group(1)


class _Page(HTMLParser):
    """Links (href/src), ids, and the src of scripts, stylesheets and images of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []   # (tag, url)
        self.ids: set[str] = set()
        self.loads: list[str] = []               # what the browser fetches when it opens the page

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.links.append((tag, a[key]))
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href") and (a.get("rel") or "") in ("stylesheet", "preload", "icon"):
            self.loads.append(a["href"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.links.append((tag, (a.get("content") or "").split("url=", 1)[-1]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


# ---------------------------------------------------------------------------------------------------- the site --


def test_every_toc_page_is_built_and_every_notebook_is_in_the_toc(book_html):
    for docname in _toc_files():
        if _source(docname) is None:
            assert docname in ("notebooks/glossary", "docs/references"), f"book/_toc.yml lists {docname}, absent"
            continue
        assert (book_html / (docname + ".html")).is_file(), f"{docname} is in the toc but was not built"
    notebooks = {f"notebooks/{p.stem}" for p in (REPO / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(_toc_files()), f"notebooks missing from book/_toc.yml: {notebooks - set(_toc_files())}"
    assert (book_html / "index.html").is_file()


def test_internal_links_resolve_and_external_urls_are_well_formed(book_html):
    cache: dict[Path, _Page] = {}
    broken = []
    for page in _pages(book_html):
        parsed = cache.setdefault(page, _parse(page))
        for tag, url in parsed.links:
            parts = urlsplit(url)
            where = f"{page.relative_to(book_html)}: <{tag}> {url!r}"
            if parts.scheme in ("http", "https"):
                if not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?", parts.netloc) or re.search(r"\s", url):
                    broken.append(f"{where}: malformed external URL")
                continue
            if parts.scheme in ("mailto", "data", "javascript") or url.startswith("//"):
                if url.startswith("//"):
                    broken.append(f"{where}: protocol-relative URL (loads from the network)")
                continue
            if parts.scheme:
                broken.append(f"{where}: unexpected scheme")
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{where}: no such file in the site")
                continue
            if parts.fragment and target.suffix == ".html" and target.is_relative_to(book_html):
                ids = cache.setdefault(target, _parse(target)).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where}: no id {parts.fragment!r} on {target.relative_to(book_html)}")
    assert not broken, "broken links in the built book:\n" + "\n".join(broken[:40])


def test_no_page_loads_anything_from_the_network(book_html):
    """Math (MathJax), widgets, fonts and styles all come from the site itself: it reads offline."""
    external = [f"{p.relative_to(book_html)}: {u}" for p in _pages(book_html) for u in _parse(p).loads
                if urlsplit(u).scheme or u.startswith("//")]
    assert not external, "pages that fetch from the network:\n" + "\n".join(external[:20])
    assert (book_html / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not bundled in _static"
    assert (book_html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


@pytest.mark.parametrize("notebook", sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")))
def test_notebook_page_has_binder_button_download_and_widget_notes(book_html, notebook):
    stem = Path(notebook).stem
    page = book_html / "notebooks" / f"{stem}.html"
    text = page.read_text(encoding="utf-8")
    links = [u for _, u in _parse(page).links]
    binder = f"https://mybinder.org/v2/gh/{_repository_setting()}/main?urlpath=lab/tree/notebooks/{notebook}"
    assert binder in links, f"{page.name}: no Binder launch button opening notebooks/{notebook}"
    assert f"../_sources/notebooks/{notebook}" in links, f"{page.name}: no download link for the .ipynb"
    # the download is the committed notebook itself, byte for byte
    assert (book_html / "_sources" / "notebooks" / notebook).read_bytes() == (REPO / "notebooks" / notebook).read_bytes()
    cells = json.loads((REPO / "notebooks" / notebook).read_text())["cells"]
    widgets = sum(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    assert text.count("infralab-widget-note") == widgets, f"{page.name}: one note per interactive figure"
    assert f'<script type="{WIDGET_VIEW}">' not in text, "a dead widget view was left on the page"
    assert text.count("infralab-page-note") == 1
    # every figure of the committed outputs is on the page (the static figure at the defaults included)
    pngs = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    assert len(re.findall(r"<img [^>]*src=\"\.\./_images/", text)) >= pngs


def test_repository_is_one_setting_that_the_readme_uses_too():
    repo = _repository_setting()
    readme = (REPO / "README.md").read_text()
    owner, name = repo.split("/")
    assert f"https://{owner}.github.io/{name}/" in readme, "README must name the site address from REPOSITORY"
    for url in re.findall(r"https://github\.com/([\w.-]+/[\w.-]+)", readme) + \
            re.findall(r"https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", readme):
        assert url == repo, f"README links to {url}, book/conf.py REPOSITORY is {repo}"


def test_run_it_yourself_page_shows_the_readme_commands():
    page = (REPO / "book" / "run-it-yourself.md").read_text()
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", page, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        assert block in readme, f"book/run-it-yourself.md shows a command the README does not: {block!r}"


# --------------------------------------------------------------------------------------------------- bad input --


def _mini_repo(tmp_path: Path) -> Path:
    """The book's configuration over small stand-in notebooks with the course's names (a build takes seconds)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "book", root / "book")
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "build-book", root / "scripts" / "build-book")
    shutil.copy(REPO / "README.md", root / "README.md")
    (root / "notebooks").mkdir()
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        _write_notebook(root / "notebooks" / nb.name, f"# {nb.stem}\n\nA stand-in page with $x^2$.")
    return root


def _write_notebook(path: Path, markdown: str) -> None:
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "id": "c0", "metadata": {},
                                           "source": markdown}],
                                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}},
                                "nbformat": 4, "nbformat_minor": 5}))


def _build(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "scripts/build-book"], cwd=root, capture_output=True, text=True, timeout=300)


def test_mini_book_builds(tmp_path):
    """The stand-in builds cleanly, so each failure below comes from the one thing that was broken."""
    run = _build(_mini_repo(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


def _fails_naming(root: Path, *names: str) -> None:
    run = _build(root)
    out = run.stdout + run.stderr
    assert run.returncode != 0, f"the build should fail:\n{out}"
    for name in names:
        assert name in out, f"the failure does not name {name}:\n{out[-2000:]}"


def test_a_notebook_that_fails_to_build_fails_the_build_and_is_named(tmp_path):
    root = _mini_repo(tmp_path)
    (root / "notebooks" / "03_enclave_cryptography.ipynb").write_text('{"cells": [ not json')
    _fails_naming(root, "03_enclave_cryptography.ipynb")


def test_a_notebook_missing_from_the_toc_fails_the_build_and_is_named(tmp_path):
    root = _mini_repo(tmp_path)
    _write_notebook(root / "notebooks" / "06_new_topic.ipynb", "# A new notebook\n")
    _fails_naming(root, "06_new_topic.ipynb", "_toc.yml")


def test_a_toc_entry_without_its_file_fails_the_build_and_is_named(tmp_path):
    root = _mini_repo(tmp_path)
    (root / "notebooks" / "04_chip_price_performance.ipynb").unlink()
    _fails_naming(root, "04_chip_price_performance")


def test_a_broken_cross_reference_fails_the_build_and_names_the_file(tmp_path):
    root = _mini_repo(tmp_path)
    _write_notebook(root / "notebooks" / "01_network_latency.ipynb",
                    "# 01\n\nSee [the glossary](no_such_page.md#ecmp) and {ref}`no-such-label`.")
    _fails_naming(root, "01_network_latency.ipynb")


def test_a_link_to_a_missing_heading_fails_the_build(tmp_path):
    root = _mini_repo(tmp_path)
    _write_notebook(root / "notebooks" / "02_cooling_energy.ipynb",
                    "# 02\n\nSee [the course map](../book/index.md#no-such-heading).")
    _fails_naming(root, "02_cooling_energy.ipynb")
