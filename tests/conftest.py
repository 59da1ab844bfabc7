"""Test configuration shared by the unit tests.

The CUDA twins are tested in ``tests/cudasim`` under numba's CUDA simulator, which must be switched
on before numba is imported; ``test_cuda_sim.py`` runs that folder in a subprocess with
``NUMBA_ENABLE_CUDASIM=1``, so the main session skips it here.
"""

import os

collect_ignore = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["cudasim"]

from hypothesis import settings

# Fixed seeds: hypothesis draws the same examples on every run and machine (no example database).
settings.register_profile("course", derandomize=True, database=None, print_blob=True)
settings.load_profile("course")


import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def book_html(tmp_path_factory) -> Path:
    """The built book (tests/test_book.py, tests/browser/test_book_in_browser.py).

    ``INFRALAB_BOOK_HTML`` names a book already built by ``scripts/build-book`` (``.ci/run`` builds it first, with
    warnings as errors, and sets it); without it the book is built once per session into a temporary folder, so a
    test never reads a stale ``_build/html``.
    """
    given = os.environ.get("INFRALAB_BOOK_HTML")
    if given:
        html = Path(given)
        if not (html / "index.html").is_file():
            pytest.fail(f"INFRALAB_BOOK_HTML={given} holds no built book (no index.html): run scripts/build-book",
                        pytrace=False)
        return html.resolve()
    out = tmp_path_factory.mktemp("book") / "html"
    run = subprocess.run(["bash", str(REPO / "scripts" / "build-book"), str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        pytest.fail(f"scripts/build-book failed (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}",
                    pytrace=False)
    return out
