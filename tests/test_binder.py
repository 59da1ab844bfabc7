"""Binder readiness: a fresh virtual environment built from requirements.txt alone (with the Python
version that runtime.txt pins) has the widget front-end extension enabled and starts JupyterLab.

Building the environment takes minutes, so it runs where INFRALAB_BINDER_TEST=1 (CI sets it) and
skips elsewhere with that instruction.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.binder


def test_runtime_txt_pins_a_python_version():
    text = (REPO / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", text), text


@pytest.mark.skipif(os.environ.get("INFRALAB_BINDER_TEST") != "1",
                    reason="builds a fresh environment (minutes); set INFRALAB_BINDER_TEST=1 to run")
def test_fresh_environment_has_widgets_and_starts_lab(tmp_path):
    want = (REPO / "runtime.txt").read_text().strip().removeprefix("python-")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert have == want, f"runtime.txt pins Python {want}; run this test with that interpreter (have {have})"
    venv = tmp_path / "binder-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=REPO,
                             capture_output=True, text=True, timeout=1500)
    assert install.returncode == 0, install.stderr[-3000:]
    listing = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"], capture_output=True,
                             text=True, timeout=300)
    text = listing.stdout + listing.stderr
    line = next((ln for ln in text.splitlines() if "@jupyter-widgets/jupyterlab-manager" in ln), "")
    assert "enabled" in line and "OK" in line, text

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--allow-root",
                             f"--port={port}", "--ip=127.0.0.1", "--IdentityProvider.token=binder-test",
                             f"--ServerApp.root_dir={tmp_path}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=binder-test", timeout=3).read()
                break
            except Exception:
                assert proc.poll() is None and time.time() < deadline, "JupyterLab did not start"
                time.sleep(1)
        assert b"JupyterLab" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
