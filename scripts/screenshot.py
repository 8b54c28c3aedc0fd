"""Make docs/sheet-page.png, the README's picture of a printed study sheet.

Builds the shipped deck's sheet with the same pipeline as ``ankigen build``,
prints it on A4 in headless Chromium (tests/browser.py) and turns the first
page into a small PNG with poppler's pdftoppm. Run from the repository root:

    .venv/bin/python scripts/screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, the script sees scripts/, not the package and tests/ beside it

from ankigen.pipeline import load_decks  # noqa: E402
from ankigen.sheet import render_sheet  # noqa: E402
from tests.browser import missing_tools, print_pdfs, with_page_size  # noqa: E402

SOURCE = ROOT / "cards" / "deep-learning-myths.yaml"
TARGET = ROOT / "docs" / "sheet-page.png"
RESOLUTION = 72  # dpi: an A4 page 595 px wide, readable, and well under 150 KB


def main() -> int:
    if missing_tools():
        print(f"error: {', '.join(missing_tools())} not found (Debian: chromium poppler-utils)", file=sys.stderr)
        return 1
    loaded, diagnostics = load_decks([str(SOURCE)])
    if any(d.severity == "error" for d in diagnostics):
        print(f"error: {SOURCE.name} has errors; run ankigen check", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="ankigen-screenshot-") as folder:
        page = Path(folder) / "sheet.html"
        page.write_text(with_page_size(render_sheet(loaded[0].deck), "A4"), encoding="utf-8")
        [printed] = print_pdfs([(page, Path(folder) / "sheet.pdf")])
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile",
                        str(printed.pdf), str(TARGET.with_suffix(""))], check=True)
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
