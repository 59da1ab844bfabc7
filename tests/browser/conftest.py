"""JupyterLab in headless Chromium: a server on a free loopback port over a temporary copy of the
notebooks, and a Playwright browser (Debian's chromium, not a downloaded build).

Without chromium the tests skip with a message saying how to enable them; with
INFRALAB_REQUIRE_BROWSER=1 (as in CI) a missing browser fails instead, so CI can never skip them.
Every failure names the chromium executable that actually ran (never Playwright's own download path).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               # a busy machine must not make Chromium throttle the page's timers and polling
               "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
               "--disable-backgrounding-occluded-windows"]
HOW_TO_INSTALL = ("install Debian's chromium (as root: apt-get update && apt-get install -y chromium; "
                  "Ubuntu: apt-get install chromium-browser, or set CHROMIUM_PATH to a Chromium executable) "
                  "and the test tools (pip install -r requirements-dev.txt, which brings Playwright)")


def _chromium() -> str | None:
    path = os.environ.get("CHROMIUM_PATH")
    if path:
        return path if os.access(path, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str):
    if os.environ.get("INFRALAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (INFRALAB_REQUIRE_BROWSER=1) but {reason}; "
                    f"to fix: {HOW_TO_INSTALL}", pytrace=False)
    pytest.skip(f"{reason}; to run the browser tests: {HOW_TO_INSTALL}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        where = (f"CHROMIUM_PATH={os.environ['CHROMIUM_PATH']} is not an executable"
                 if os.environ.get("CHROMIUM_PATH") else "no chromium executable was found on PATH")
        _unavailable(where)
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(chromium_path, tmp_path_factory):
    """A JupyterLab server over a temporary copy of notebooks/: the repository never changes."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    settings = root / "settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    # render every cell (no virtual scrolling), so each cell's outputs are in the page
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False}))
    port, token = _free_port(), secrets.token_hex(16)
    # settings, workspaces and runtime files stay in the temporary folder: the tests never change the
    # reader's own JupyterLab (the workspace JupyterLab restores for them, for example)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    env.pop("INFRALAB_BACKEND", None)
    log = open(root / "lab.log", "w")
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
           "--ServerApp.port_retries=0", "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI and containers run as root; Jupyter refuses that without the flag
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                why = "exited" if proc.poll() is not None else "did not answer /api/status within 120 s"
                pytest.fail(f"JupyterLab {why}; its log:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield {"base": base, "token": token, "root": root, "log": root / "lab.log"}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Debian's chromium (the executable ``chromium_path`` names) driven by Playwright."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS, headless=True,
                                   timeout=120_000)
        except Error as exc:
            pytest.fail(f"could not start chromium at {chromium_path}: {exc.message.splitlines()[0]}",
                        pytrace=False)
        yield b
        b.close()
