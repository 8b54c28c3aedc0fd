"""`ankigen watch` rebuilds on save and reports errors without exiting."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

GOOD = """\
deck: Watched
id: watched
myths:
  - id: one
    myth: A myth.
    fact: The fact.
"""


def wait_for(predicate, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_watch_rebuilds_on_save_and_survives_errors(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    source = cards / "watched.yaml"
    source.write_text(GOOD, "utf-8")
    log = tmp_path / "watch.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "ankigen", "watch", "--interval", "0.1"],
                                   cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
    try:
        apkg = tmp_path / "decks" / "watched.apkg"
        wait_for(apkg.exists, "the first build")
        first = apkg.read_bytes()

        source.write_text(GOOD.replace("fact: The fact.", "fakt: The fact."), "utf-8")
        wait_for(lambda: "unknown key 'fakt'" in log.read_text(), "the error report")
        assert process.poll() is None, "watch exited on a source error"
        assert apkg.read_bytes() == first, "a failed rebuild touched the deck"

        source.write_text(GOOD.replace("The fact.", "The corrected fact."), "utf-8")
        wait_for(lambda: apkg.read_bytes() != first, "the rebuild after the fix")
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
    output = log.read_text()
    assert "cards/watched.yaml:6:5: error: unknown key 'fakt' in a myth (did you mean 'fact'?)" in output
    assert "Traceback" not in output
