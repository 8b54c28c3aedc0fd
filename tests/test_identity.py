"""What identifies a note across edits, moves, renames and removals (README, "Always give ids")."""

from __future__ import annotations

import sqlite3
import subprocess
import zipfile
from pathlib import Path

from ankigen import ids
from ankigen.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
RELEASE_0_2_0 = "c40b157"


def _package_guids(apkg: Path, tmp_path: Path) -> set[str]:
    with zipfile.ZipFile(apkg) as package:
        database = tmp_path / f"{apkg.stem}.anki2"
        database.write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(database) as connection:
        return {guid for (guid,) in connection.execute("SELECT guid FROM notes")}


def test_the_shipped_deck_keeps_every_guid_of_0_2_0(tmp_path: Path) -> None:
    shipped = tmp_path / "0.2.0.apkg"
    shipped.write_bytes(subprocess.run(["git", "show", f"{RELEASE_0_2_0}:decks/deep-learning-myths.apkg"],
                                       cwd=ROOT, check=True, capture_output=True).stdout)
    outcome = build([str(ROOT / "cards")], tmp_path / "out", now=1_800_000_000)
    assert not outcome.errors
    old = _package_guids(shipped, tmp_path)
    assert len(old) == 25
    assert _package_guids(tmp_path / "out" / "deep-learning-myths.apkg", tmp_path) == old


def test_ids_never_hold_the_joiner_so_no_two_notes_share_a_guid() -> None:
    # Myth 'a__b' would take the GUID of item 'b' of myth 'a': such ids are refused
    # (tests/cases/id-with-joiner.yaml), and the ids that remain name one GUID each.
    assert ids.note_guid("d", "a__b") == ids.note_guid("d", "a", "b")
    keys = ["a", "a_", "b", "b_", "a.b", "a-b"]
    guids = {(m, i): ids.note_guid("d", m, i) for m in keys for i in keys} | {(m, None): ids.note_guid("d", m)
                                                                             for m in keys}
    assert len(set(guids.values())) == len(guids)
