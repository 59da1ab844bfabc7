"""Every notebook opened, run and driven in JupyterLab in a real (headless) browser.

One test per notebook in notebooks/, discovered from the folder. Each asserts: the kernel finished
every cell, no cell shows an error, every cell that draws a figure (an image in its committed outputs)
shows an image, and moving the first slider changes what is drawn. A screenshot per notebook goes to artifacts/screenshots/
(``NN_name.png`` when the test passed, ``NN_name-failed.png`` when it failed, to show where it stopped).

Reliability: every wait predicate tolerates objects that do not exist yet (JupyterLab builds
``window.jupyterapp``, its shell, the notebook and its kernel one after another), so an early poll
returns false and the wait goes on instead of ending on a TypeError; every wait has a timeout whose
message says what it was waiting for and what the page showed; every failure names the chromium
executable that ran.
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

# Seconds. Generous: the machine may have 2 busy cores; a passing run takes far less.
OPEN_S, RUN_ALL_S, FIGURE_S, SLIDER_S = 180, 300, 90, 120

# The open notebook panel, or null while JupyterLab is still building it (never throws).
_PANEL = """(() => { try { return window.jupyterapp?.shell?.currentWidget ?? null; } catch (e) { return null; } })()"""

_READY = f"""(name) => {{
  try {{
    const w = {_PANEL};
    const k = w?.sessionContext?.session?.kernel;
    return !!(w && w.context?.path?.endsWith(name) && w.content?.model?.cells
              && k && k.status === 'idle' && k.connectionStatus === 'connected');
  }} catch (e) {{ return false; }}
}}"""

# True once every code cell has an execution count (or a cell shows an error, which stops run-all)
# and the kernel is idle.
_DONE = f"""() => {{
  try {{
    const w = {_PANEL};
    const k = w?.sessionContext?.session?.kernel;
    const cells = w?.content?.model?.cells;
    if (!cells || !k || k.status !== 'idle') return false;
    let pending = 0, failed = false;
    for (let i = 0; i < cells.length; i++) {{
      const c = cells.get(i);
      if (c.type !== 'code') continue;
      if (c.executionCount === null || c.executionCount === undefined) pending++;
      for (let j = 0; j < c.outputs.length; j++)
        if (c.outputs.get(j).type === 'error') failed = true;
    }}
    return pending === 0 || failed;
  }} catch (e) {{ return false; }}
}}"""

_ERRORS = f"""() => {{
  const w = {_PANEL};
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

# What the page shows now, for timeout messages.
_STATE = f"""() => {{
  try {{
    if (!window.jupyterapp) return 'window.jupyterapp does not exist (JupyterLab has not started in the page)';
    const w = {_PANEL};
    if (!w) return 'JupyterLab started but no document is open';
    const k = w.sessionContext?.session?.kernel;
    const cells = w.content?.model?.cells;
    let code = 0, ran = 0;
    if (cells) for (let i = 0; i < cells.length; i++) {{
      const c = cells.get(i);
      if (c.type !== 'code') continue;
      code++;
      if (c.executionCount !== null && c.executionCount !== undefined) ran++;
    }}
    return `open: ${{w.context?.path ?? w.title?.label}}; kernel: ${{k ? k.status + '/' + k.connectionStatus : 'none yet'}}; `
         + `code cells run: ${{ran}}/${{code}}`;
  }} catch (e) {{ return 'page state unreadable: ' + e; }}
}}"""


class WaitTimeout(AssertionError):
    """A wait that ran out of time; the message says what it waited for."""


def _state(page) -> str:
    try:
        return page.evaluate(_STATE)
    except Exception as exc:  # the page itself may be gone
        return f"page state unreadable ({type(exc).__name__})"


def _wait_js(page, what: str, predicate: str, seconds: int, arg=None) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(predicate, arg=arg, timeout=seconds * 1000, polling=500)
    except PlaywrightTimeout:
        raise WaitTimeout(f"timed out after {seconds} s waiting for {what} (page: {_state(page)})") from None


def _wait_locator(page, what: str, locator, seconds: int) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(state="attached", timeout=seconds * 1000)
    except PlaywrightTimeout:
        raise WaitTimeout(f"timed out after {seconds} s waiting for {what} (page: {_state(page)})") from None


def _figure_cells(path: Path) -> list[int]:
    """Indices of the code cells that draw a figure: those whose committed outputs hold an image.

    Notebooks are committed executed, so this is where a figure appears (a cell that only defines a
    plotting function, without calling it, draws nothing and is not expected to).
    """
    cells = json.loads(path.read_text())["cells"]
    return [i for i, c in enumerate(cells)
            if c["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]


def _fingerprint(locator) -> str:
    imgs = locator.locator(".jp-OutputArea img")
    srcs = [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]
    text = locator.locator(".jp-OutputArea").all_inner_texts()
    return hashlib.sha256(("|".join(srcs) + "|".join(text)).encode()).hexdigest()


def _drive(page, lab, name: str) -> None:
    # ?reset: start from an empty workspace, so only this notebook is open
    url = f"{lab['base']}/lab/tree/notebooks/{name}?reset&token={lab['token']}"
    try:
        page.goto(url, timeout=OPEN_S * 1000, wait_until="domcontentloaded")
    except Exception as exc:
        raise WaitTimeout(f"could not load JupyterLab at {lab['base']}/lab within {OPEN_S} s: {exc}") from None
    _wait_js(page, f"{name} to open with an idle, connected kernel", _READY, OPEN_S, arg=name)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    # dispatched, not awaited: the waits below bound the run
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_timeout(1000)
    _wait_js(page, f"every code cell of {name} to run (run all)", _DONE, RUN_ALL_S)

    errors = page.evaluate(_ERRORS)
    assert not errors, f"cells with errors in {name}: {errors}"

    panel_id = page.evaluate(f"() => {_PANEL}.id")
    cells = page.locator(f"[id='{panel_id}'] .jp-Notebook .jp-Cell")
    n_model = page.evaluate(f"() => {_PANEL}.content.model.cells.length")
    assert cells.count() == n_model, "every cell must be rendered (windowingMode none)"
    figures = _figure_cells(REPO / "notebooks" / name)
    assert figures, f"{name} has no cell with a figure among its committed outputs (commit it executed)"
    for i in figures:
        _wait_locator(page, f"the figure of cell {i} in {name} to appear",
                      cells.nth(i).locator(".jp-OutputArea img").first, FIGURE_S)

    slider_cells = [i for i in range(n_model) if cells.nth(i).locator(".widget-slider .noUi-handle").count()]
    assert slider_cells, f"{name} has no slider"
    cell = cells.nth(slider_cells[0])
    before = _fingerprint(cell)
    handle = cell.locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box is not None, f"the first slider of {name} (cell {slider_cells[0]}) is not visible"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 25, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    _wait_js(page, f"the kernel to finish after moving the first slider of {name}", _DONE, SLIDER_S)
    for _ in range(2 * SLIDER_S):
        if _fingerprint(cell) != before:
            break
        page.wait_for_timeout(500)
    else:
        raise WaitTimeout(f"timed out after {SLIDER_S} s waiting for the output of cell {slider_cells[0]} in "
                          f"{name} to change after moving its first slider (page: {_state(page)})")
    errors = page.evaluate(_ERRORS)
    assert not errors, f"cells with errors in {name} after moving the slider: {errors}"
    cells.nth(figures[0]).scroll_into_view_if_needed()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_responds_in_jupyterlab(lab, browser, chromium_path, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    try:
        try:
            _drive(page, lab, name)
        except Exception as exc:
            shot = ARTIFACTS / f"{stem}-failed.png"
            try:
                page.screenshot(path=str(shot), timeout=30_000)
                where = f"screenshot of the page when it failed: {shot}"
            except Exception as shot_exc:
                where = f"no screenshot ({type(shot_exc).__name__}: {str(shot_exc).splitlines()[0]})"
            raise AssertionError(
                f"{name} in JupyterLab: {type(exc).__name__}: {exc}\n"
                f"chromium that ran: {chromium_path} (Chromium {browser.version})\n{where}\n"
                f"JupyterLab's log: {lab['log']}") from None
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))
        (ARTIFACTS / f"{stem}-failed.png").unlink(missing_ok=True)
    finally:
        page.close()
