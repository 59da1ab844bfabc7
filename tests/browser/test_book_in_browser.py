"""The built book in headless Chromium: the landing page and every chapter, served on a free loopback port.

Each page must open with no console error and no failed request, fetch nothing outside the site (a request that
leaves the loopback server is blocked and fails the test), show every image, typeset every formula with the bundled
MathJax (no formula left as TeX source), and, on a notebook page, carry its Binder launch button and .ipynb
download. A screenshot per page goes to artifacts/screenshots/book_<page>.png (scripts/readme_screenshots.py
book_02_cooling_energy makes the README's picture).
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
TOC = yaml.safe_load((REPO / "book" / "_toc.yml").read_text())
PAGES = ["index"] + [c["file"] for part in TOC["parts"] for c in part["chapters"]]

_IMAGES = """() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"""
# Formulas: every Sphinx math element typeset by MathJax (an mjx-container, no mjx-merror); TeX delimiters left in
# the visible text outside code would be a formula nobody typeset.
_MATH = """async () => {
  const math = Array.from(document.querySelectorAll('.math'));
  if (math.length && window.MathJax?.startup?.promise) await window.MathJax.startup.promise;
  const bad = math.filter(m => !m.querySelector('mjx-container') || m.querySelector('mjx-merror'))
                  .map(m => m.textContent.slice(0, 80));
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre, code, script, style, mjx-container, .math')) continue;
    const t = n.textContent;
    if (/\\\\\\(|\\\\\\[|\\$\\$|\\$[^$\\s][^$]*[\\\\^_{}][^$]*\\$/.test(t)) bad.push('raw TeX: ' + t.trim().slice(0, 80));
  }
  return {count: math.length, bad, mathjax: !!window.MathJax};
}"""


@pytest.fixture(scope="module")
def site(book_html):
    handler = functools.partial(_Quiet, directory=str(book_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": f"http://127.0.0.1:{server.server_address[1]}", "html": book_html}
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


@pytest.mark.parametrize("docname", PAGES)
def test_book_page_in_browser(site, browser, chromium_path, docname):
    html = site["html"] / (docname + ".html")
    if not html.is_file():
        assert docname in ("notebooks/glossary", "docs/references") and not any(
            (REPO / (docname + s)).exists() for s in (".md", ".ipynb")), f"{docname} is in the toc but not built"
        pytest.skip(f"{docname} is not in this checkout")
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, outside = [], []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: None if r.url in outside else errors.append(f"failed request: {r.url}"))

    def route(r):
        if r.request.url.startswith(base + "/") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    stem = Path(docname).name
    try:
        page.goto(f"{base}/{docname}.html", wait_until="load", timeout=60_000)
        page.wait_for_load_state("networkidle", timeout=60_000)
        math = page.evaluate(_MATH)
        broken_images = page.evaluate(_IMAGES)
        assert not outside, f"{docname} requested URLs outside the site (chromium {chromium_path}): {outside[:5]}"
        assert not errors, f"{docname}: {errors[:5]} (chromium {chromium_path})"
        assert not broken_images, f"{docname}: images that did not load: {broken_images[:5]}"
        assert not math["bad"], f"{docname}: formulas not typeset: {math['bad'][:5]}"
        if math["count"]:
            assert math["mathjax"], f"{docname} has formulas but MathJax did not load"
        if (REPO / (docname + ".ipynb")).exists():
            name = Path(docname).name + ".ipynb"
            launch = page.locator(f"a[href^='https://mybinder.org/v2/gh/'][href$='urlpath=lab/tree/{docname}.ipynb']")
            assert launch.count() >= 1, f"{docname}: no Binder launch button"
            download = page.locator(f"a[href$='_sources/{docname}.ipynb']")
            assert download.count() >= 1, f"{docname}: no download link for {name}"
            got = page.request.get(f"{base}/_sources/{docname}.ipynb")
            assert got.ok and got.body() == (REPO / (docname + ".ipynb")).read_bytes()
        if docname == "index":
            assert page.url.endswith("/book/index.html"), f"the site's address should open the landing page: {page.url}"
            nav = page.locator("nav.bd-links a").all_inner_texts()
            assert len(nav) >= 7, f"the landing page's table of contents lists too little: {nav}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"book_{Path(stem).name}.png"))
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"book_{Path(stem).name}-failed.png"))
        raise
    finally:
        page.close()
