"""Turn the browser tests' screenshots into the README's pictures: small JPEGs in docs/img/.

    python -m pytest -m browser              # writes artifacts/screenshots/NN_name.png, one per notebook
    python scripts/readme_screenshots.py     # rewrites every docs/img/NN_name.jpg that README.md shows

With notebook names as arguments (``python scripts/readme_screenshots.py 05_x``) it converts those instead,
for a picture the README does not show yet. Each JPEG is at most MAX_WIDTH pixels wide and under
MAX_BYTES; a screenshot that is missing, or only exists as ``-failed.png`` (its test failed), is an error,
so a README picture is never older than the notebook it shows without someone noticing.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "artifacts" / "screenshots"
IMG = REPO / "docs" / "img"
MAX_BYTES = 200_000
MAX_WIDTH = 1200


def readme_pictures(readme: Path = REPO / "README.md") -> list[str]:
    """Names (without .jpg) of the docs/img pictures README.md shows."""
    return re.findall(r"\(docs/img/([\w.-]+)\.jpg\)", readme.read_text())


def to_jpeg(png: Path, out: Path, max_bytes: int = MAX_BYTES, max_width: int = MAX_WIDTH) -> int:
    """Write ``png`` as a JPEG no wider than ``max_width`` px and smaller than ``max_bytes``; return its size."""
    image = Image.open(png).convert("RGB")
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)), Image.LANCZOS)
    for quality in range(85, 29, -5):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() < max_bytes:
            out.write_bytes(buffer.getvalue())
            return buffer.tell()
    raise SystemExit(f"{png.name}: even at quality 30 the JPEG is over {max_bytes} bytes")


def main(argv: list[str]) -> int:
    names = [Path(a).stem for a in argv] or readme_pictures()
    if not names:
        print("README.md shows no docs/img/*.jpg and no notebook was named", file=sys.stderr)
        return 2
    missing = [n for n in names if not (SHOTS / f"{n}.png").is_file()]
    if missing:
        print(f"no passing screenshot for {', '.join(missing)} in {SHOTS.relative_to(REPO)}/; run "
              f"python -m pytest -m browser -k {missing[0]}  (from the repository root) first", file=sys.stderr)
        return 1
    IMG.mkdir(parents=True, exist_ok=True)
    for n in names:
        size = to_jpeg(SHOTS / f"{n}.png", IMG / f"{n}.jpg")
        print(f"docs/img/{n}.jpg  {size / 1000:.0f} kB  (from artifacts/screenshots/{n}.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
