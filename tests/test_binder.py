"""Binder readiness and the reader/developer split of the requirements.

A fresh virtual environment built from requirements.txt alone (with the Python version that runtime.txt
pins), as Binder builds it, has the widget front-end extension enabled, has none of the test tools, and
starts JupyterLab. Building the environment takes minutes, so that check runs where INFRALAB_BINDER_TEST=1
(CI sets it) and skips elsewhere with that instruction; the static checks of the requirement files always run.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.binder
DEV_ONLY = ("playwright", "pytest", "hypothesis", "nbval")


def _requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower())
    return names


def test_runtime_txt_pins_a_python_version():
    text = (REPO / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", text), text


def test_reader_requirements_have_no_test_tools_and_dev_requirements_add_them():
    reader = _requirement_names(REPO / "requirements.txt")
    assert "-e ." in (REPO / "requirements.txt").read_text().splitlines(), "requirements.txt installs the course"
    for name in ("numba", "numba-cuda", "jupyterlab", "ipywidgets", "ipykernel", "matplotlib", "cryptography",
                 "cbor2"):
        assert name in reader, f"requirements.txt (the reader's and Binder's) lacks {name}"
    assert not set(reader) & set(DEV_ONLY), f"test tools in the reader's requirements.txt: {set(reader) & set(DEV_ONLY)}"
    dev_text = (REPO / "requirements-dev.txt").read_text().splitlines()
    first = next(ln.strip() for ln in dev_text if ln.strip() and not ln.startswith("#"))
    assert first == "-r requirements.txt", "requirements-dev.txt must start from the reader's requirements"
    assert set(DEV_ONLY) <= set(_requirement_names(REPO / "requirements-dev.txt"))


@pytest.mark.skipif(os.environ.get("INFRALAB_BINDER_TEST") != "1",
                    reason="builds a fresh environment (minutes); set INFRALAB_BINDER_TEST=1 to run")
def test_fresh_environment_has_widgets_no_test_tools_and_starts_lab(tmp_path):
    want = (REPO / "runtime.txt").read_text().strip().removeprefix("python-")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert have == want, f"runtime.txt pins Python {want}; run this test with that interpreter (have {have})"
    venv = tmp_path / "binder-venv"
    try:
        _check_fresh_environment(venv, tmp_path)
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # about 0.7 GB: never leave it behind


def _check_fresh_environment(venv: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=REPO,
                             capture_output=True, text=True, timeout=1500)
    assert install.returncode == 0, install.stderr[-3000:]

    found = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; "
                        "print('\\n'.join(sorted({(d.metadata['Name'] or '').lower() for d in m.distributions()})))"],
        capture_output=True, text=True, check=True).stdout.split()
    assert "infralab" in found and "jupyterlab" in found, found
    assert not set(found) & set(DEV_ONLY), f"the reader's environment has test tools: {set(found) & set(DEV_ONLY)}"

    listing = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"], capture_output=True,
                             text=True, timeout=300)
    text = listing.stdout + listing.stderr
    line = next((ln for ln in text.splitlines() if "@jupyter-widgets/jupyterlab-manager" in ln), "")
    assert "enabled" in line and "OK" in line, text

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           "--IdentityProvider.token=binder-test", f"--ServerApp.root_dir={tmp_path}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=binder-test", timeout=3).read()
                break
            except Exception:
                assert proc.poll() is None, "JupyterLab exited before answering /lab"
                assert time.time() < deadline, "timed out after 120 s waiting for JupyterLab to answer /lab"
                time.sleep(1)
        assert b"JupyterLab" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
