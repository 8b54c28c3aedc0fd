"""The benchmark's smoke run: tiny sizes, one run each; it must finish, check its outputs and write its table.

No timing is asserted: CI machines vary too much. The real run is `python bench/run.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_writes_a_table_with_every_measure(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--workdir", str(tmp_path / "work"),
         "--output", str(results)],
        capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    table = results.read_text(encoding="utf-8")
    assert table in completed.stdout
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for label in ("1a. cold build in one process / floor", "1b. cold build as run / floor",
                  "1c. cold build as run / in one process", "2. no-op rebuild / cold",
                  "3. edit 1 of 10 files, rebuild / cold", "4a. peak memory (PSS), one process / floor",
                  "4b. peak memory (PSS), as run / floor", "5. `ankigen --help`",
                  "6. Anki import, first: one package / floor", "7. Anki re-import, unchanged: one package / floor",
                  "Anki import, first: every deck's package / floor"):
        assert any(row.startswith(f"| {label} |") for row in rows), label
    assert "the decks import into Anki with all 100 notes" in table
    assert "every cold build writes the same bytes" in table
    assert "a cold build writes the same bytes in one process (ANKIGEN_JOBS=1)" in table
    assert "Every target met" in table or "Targets met: " in table
    assert "every first import into Anki makes every note new; an unchanged re-import changes nothing" in table
