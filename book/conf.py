"""Sphinx configuration of the course book: the notebooks as a static site (Sphinx, MyST-NB, sphinx-book-theme).

Build it with ``scripts/build-book`` (which runs ``sphinx-build -c book . _build/html`` with warnings as errors).
The source folder is the repository root, so every page keeps its own path (``notebooks/02_cooling_energy.ipynb``
is the page ``notebooks/02_cooling_energy.html``), links between notebooks work as they do in JupyterLab, and a
warning names the real file. Only the files listed in ``book/_toc.yml`` are read.

The one setting to change when the repository gets its address is ``REPOSITORY`` below (``owner/name`` on GitHub);
the README uses the same value (``tests/test_book.py`` checks that they agree). ``INFRALAB_REPOSITORY`` overrides it
for one build: the Pages workflow passes the repository it runs in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

# --- the one setting --------------------------------------------------------------------------------------------
REPOSITORY = "OWNER/REPO"   # GitHub owner/name; the README's Binder and site links use the same value
BRANCH = "main"

CONFDIR = Path(__file__).resolve().parent
ROOT = CONFDIR.parent
sys.path.insert(0, str(CONFDIR / "_ext"))

repository = os.environ.get("INFRALAB_REPOSITORY", "").strip() or REPOSITORY
if repository.count("/") != 1 or not all(repository.split("/")):
    raise ValueError(f"INFRALAB_REPOSITORY / REPOSITORY must be 'owner/name', got {repository!r}")

project = "Generative-AI infrastructure, computed"
author = "the infralab course authors"
copyright = "the infralab course authors, MIT licence"
language = "en"

extensions = [
    "myst_nb",                  # .ipynb and MyST .md pages
    "sphinx_external_toc",      # book/_toc.yml
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # MathJax 3 copied into _static/mathjax: formulas render without internet
    "sphinx_copybutton",
    "infralab_book",            # book/_ext/infralab_book.py: widget notes, toc completeness, optional pages
]

# --- the table of contents: book/_toc.yml, less the pages that other parts of the repository provide and that
# are absent from this checkout (the build says so; when the file exists it is built) ----------------------------
OPTIONAL_PAGES = ("notebooks/glossary", "docs/references")


def _toc_for_this_checkout() -> str:
    toc = yaml.safe_load((CONFDIR / "_toc.yml").read_text())
    absent = [p for p in OPTIONAL_PAGES if not any((ROOT / (p + s)).exists() for s in (".md", ".ipynb"))]
    if not absent:
        return str(CONFDIR / "_toc.yml")
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part["chapters"] if c.get("file") not in absent]
    print(f"book: {', '.join(absent)} not in this checkout; built without "
          f"{'that page' if len(absent) == 1 else 'those pages'}")
    out = ROOT / "_build" / "toc-this-checkout.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(toc, sort_keys=False))
    return str(out)


external_toc_path = _toc_for_this_checkout()
external_toc_exclude_missing = True      # read only what the toc lists (not README.md, tests/, ...)
root_doc = "book/index"
exclude_patterns = ["_build", ".venv", "venv", ".git", "artifacts", "lib", "tests", "data", "scripts",
                    "**/.ipynb_checkpoints", ".github", ".ci", ".pytest_cache", ".hypothesis"]

# --- MyST and notebooks: the committed outputs, never executed --------------------------------------------------
nb_execution_mode = "off"
nb_ipywidgets_js = {}          # no widget JavaScript from a CDN: the static figures stand in for the sliders
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "smartquotes", "substitution"]
myst_dmath_double_inline = True
myst_heading_anchors = 4       # [ECMP](glossary.md#ecmp): GitHub-style heading slugs, as on GitHub itself
nitpicky = True

# --- math: MathJax 3 from _static (sphinx-mathjax-offline), never a CDN -----------------------------------------
mathjax_path = "mathjax/tex-chtml.js"

# --- HTML -------------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]     # book/_static (relative to this folder)
html_css_files = ["infralab-book.css"]
html_last_updated_fmt = ""
html_sourcelink_suffix = ""    # _sources/notebooks/NN_x.ipynb is the notebook itself: the download button's .ipynb
html_copy_source = True
html_show_sphinx = False
html_theme_options = {
    "repository_url": f"https://github.com/{repository}",
    "repository_branch": BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "use_source_button": False,
    "use_issues_button": False,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
}

# --- values the book's own pages use (book/run-it-yourself.md) ---------------------------------------------------
BINDER_00 = (f"https://mybinder.org/v2/gh/{repository}/{BRANCH}"
             "?urlpath=lab/tree/notebooks/00_start_here.ipynb")
myst_substitutions = {
    "binder_link": f"[Launch the course on Binder]({BINDER_00})",
    "repository_link": f"[github.com/{repository}](https://github.com/{repository})",
}
# an explicit colour mode: without one, pydata-sphinx-theme logs "Got invalid theme mode" as a console error
html_context = {"default_mode": "light"}
