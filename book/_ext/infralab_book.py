"""Sphinx extension for the course book (book/conf.py loads it).

* Every interactive figure: the notebook's committed output holds a widget view (sliders) that a static page
  cannot run, and the static figure at the defaults drawn beside it. The widget view becomes a note saying that
  the sliders work in JupyterLab or on Binder, so a reader sees the figure and knows where the controls live.
* Every notebook page opens with one line saying that it shows the committed outputs, and where to run it.
* A notebook file that is not a readable notebook (broken JSON, a merge conflict left in it) is an error naming
  the file, instead of a crash of the whole build that names none.
* Every notebook in ``notebooks/`` must be in ``book/_toc.yml``: one that is not is a warning naming the file
  (an error under ``-W``), so a new notebook cannot silently miss the book.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_VIEW = '<script type="application/vnd.jupyter.widget-view+json">'
WIDGET_NOTE = ("Interactive figure: the sliders work in JupyterLab or on Binder (the rocket button at the top of "
               "this page). Here you see the figure at the defaults.")
PAGE_NOTE = ("This page shows the notebook with the outputs it was saved with; nothing runs in your browser. "
             "To change a value, move a slider or do an exercise, open it on Binder (the rocket button above) or in "
             "JupyterLab on your machine (see Run it yourself). The download button gives the .ipynb file.")


def _note(text: str, classes: list[str]) -> nodes.Element:
    box = nodes.container(classes=["infralab-note", *classes])
    box += nodes.paragraph(text=text)
    return box


def replace_widget_views(app: Sphinx, doctree: nodes.document) -> None:
    """Swap each widget-view output (dead without a kernel) for a note; keep every other output."""
    docname = app.env.docname
    if not app.env.doc2path(docname).endswith(".ipynb"):
        return
    count = 0
    for raw in list(doctree.findall(nodes.raw)):
        if raw.astext().startswith(WIDGET_VIEW):
            raw.replace_self(_note(WIDGET_NOTE, ["infralab-widget-note"]))
            count += 1
    title = next(iter(doctree.findall(nodes.title)), None)
    if title is not None:
        section = title.parent
        section.insert(section.index(title) + 1, _note(PAGE_NOTE, ["infralab-page-note"]))
    app.env.metadata[docname]["infralab_widgets"] = count


EMPTY_NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def check_notebook_is_readable(app: Sphinx, docname: str, source: list[str]) -> None:
    """Report a notebook that is not valid JSON as an error on that file, and build on without it (-W fails)."""
    path = app.env.doc2path(docname)
    if not str(path).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
        if not isinstance(nb, dict) or "cells" not in nb:
            raise ValueError("it has no 'cells' list")
    except ValueError as exc:
        logger.warning("%s is not a readable notebook (%s): fix or restore it (git checkout -- FILE)",
                       Path(path).relative_to(app.srcdir), str(exc).splitlines()[0],
                       location=docname, type="infralab", subtype="notebook")
        source[0] = EMPTY_NOTEBOOK


def check_every_notebook_in_toc(app: Sphinx, env) -> None:
    """Warn (an error under -W) for each notebooks/*.ipynb that the table of contents does not list."""
    srcdir = Path(app.srcdir)
    listed = set(env.found_docs)
    for nb in sorted((srcdir / "notebooks").glob("*.ipynb")):
        docname = nb.relative_to(srcdir).with_suffix("").as_posix()
        if docname not in listed:
            logger.warning("%s is not in book/_toc.yml: add it there, or the book leaves it out",
                           nb.relative_to(srcdir), type="infralab", subtype="toc")


def setup(app: Sphinx) -> dict:
    app.connect("source-read", check_notebook_is_readable)
    app.connect("doctree-read", replace_widget_views)
    app.connect("env-updated", check_every_notebook_in_toc)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
