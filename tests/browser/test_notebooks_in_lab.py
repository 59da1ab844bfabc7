"""Every notebook opened, run and driven in JupyterLab in a real (headless) browser.

One test per notebook in notebooks/, discovered from the folder. Each asserts: the kernel finished
every cell, no cell shows an error, every cell that draws a figure shows an image, and moving the
first slider changes what is drawn. A screenshot per notebook goes to artifacts/screenshots/.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))

_WIDGET = "window.jupyterapp.shell.currentWidget"
_READY = f"""() => {{
  const w = {_WIDGET};
  return !!(w && w.content && w.content.model && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle');
}}"""
_DONE = f"""() => {{
  const w = {_WIDGET};
  const cells = w.content.model.cells;
  for (let i = 0; i < cells.length; i++) {{
    const c = cells.get(i);
    if (c.type === 'code' && (c.executionCount === null || c.executionCount === undefined)) return false;
  }}
  return w.sessionContext.session.kernel.status === 'idle';
}}"""
_ERRORS = f"""() => {{
  const w = {_WIDGET};
  const cells = w.content.model.cells, bad = [];
  for (let i = 0; i < cells.length; i++) {{
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    for (let j = 0; j < c.outputs.length; j++) {{
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') bad.push(i + ': ' + o.ename + ': ' + o.evalue);
    }}
  }}
  return bad;
}}"""


def _figure_cells(path: Path) -> list[int]:
    """Indices of the cells whose code draws a matplotlib figure."""
    cells = json.loads(path.read_text())["cells"]
    return [i for i, c in enumerate(cells)
            if c["cell_type"] == "code" and "plt.subplots(" in "".join(c["source"])]


def _fingerprint(locator) -> str:
    imgs = locator.locator(".jp-OutputArea img")
    srcs = [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]
    text = locator.locator(".jp-OutputArea").all_inner_texts()
    return hashlib.sha256(("|".join(srcs) + "|".join(text)).encode()).hexdigest()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_responds_in_jupyterlab(lab, browser, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # ?reset: start from an empty workspace, so only this notebook is open
        page.goto(f"{lab['base']}/lab/tree/notebooks/{name}?reset&token={lab['token']}")
        page.wait_for_function(_READY, timeout=120_000, polling=500)
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(1000)
        page.wait_for_function(_DONE, timeout=240_000, polling=500)

        errors = page.evaluate(_ERRORS)
        assert not errors, f"cells with errors in {name}: {errors}"

        panel_id = page.evaluate(f"{_WIDGET}.id")
        cells = page.locator(f"[id='{panel_id}'] .jp-Notebook .jp-Cell")
        n_model = page.evaluate(f"{_WIDGET}.content.model.cells.length")
        assert cells.count() == n_model, "every cell must be rendered (windowingMode none)"
        for i in _figure_cells(REPO / "notebooks" / name):
            cells.nth(i).locator(".jp-OutputArea img").first.wait_for(state="attached", timeout=90_000)

        slider_cells = [i for i in range(n_model) if cells.nth(i).locator(".widget-slider .noUi-handle").count()]
        assert slider_cells, f"{name} has no slider"
        cell = cells.nth(slider_cells[0])
        before = _fingerprint(cell)
        handle = cell.locator(".widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 25, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        page.wait_for_function(_DONE, timeout=120_000, polling=500)
        changed = False
        for _ in range(120):
            if _fingerprint(cell) != before:
                changed = True
                break
            page.wait_for_timeout(500)
        assert changed, f"moving the first slider in {name} did not change its output"
        assert not page.evaluate(_ERRORS)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cells.nth(_figure_cells(REPO / "notebooks" / name)[0]).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}.png"))
    finally:
        page.close()
