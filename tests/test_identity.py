"""What identifies a note across edits, moves, renames and removals (README, "Always give ids")."""

from __future__ import annotations

import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

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


DECK = """\
deck: Identity
id: identity
myths:
  - id: data
    myth: Deep learning needs massive datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: transfer
        name: Transfer learning
        text: Fine-tunes a {{pre-trained}} model on {{a new task}}.
      - id: augmentation
        name: Data augmentation
        text: Creates {{modified copies}} of existing data.
"""


def _cli(*args: str, epoch: int = 1_800_000_000) -> str:
    from click.testing import CliRunner

    from ankigen.cli import cli

    result = CliRunner().invoke(cli, list(args), env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.exit_code == 0, result.output
    return result.output


def test_building_from_another_folder_writes_the_same_lock_and_rebuilds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "identity.yaml").write_text(DECK, "utf-8")
    monkeypatch.chdir(tmp_path)
    _cli("build")
    lock = (tmp_path / "decks" / "ankigen.lock").read_bytes()
    assert b'"source": "../cards/identity.yaml"' in lock
    monkeypatch.chdir(tmp_path / "cards")
    output = _cli("build", ".", "-o", "../decks")
    assert "unchanged ../decks/identity.apkg" in output and "wrote" not in output
    assert (tmp_path / "decks" / "ankigen.lock").read_bytes() == lock
    monkeypatch.chdir(tmp_path.parent)
    output = _cli("build", f"{tmp_path.name}/cards", "-o", f"{tmp_path.name}/decks")
    assert "unchanged" in output and "wrote" not in output
    assert (tmp_path / "decks" / "ankigen.lock").read_bytes() == lock


def test_a_restored_item_is_newer_than_its_tombstone_so_anki_takes_it_back(tmp_path: Path) -> None:
    from tests.anki_collection import import_apkg, notes_by_guid, open_collection

    source, out = tmp_path / "identity.yaml", tmp_path / "decks"
    col = open_collection(tmp_path)
    try:
        for text in (DECK, DECK.split("      - id: augmentation")[0], DECK):  # remove an item, then restore it
            source.write_text(text, "utf-8")
            _cli("build", str(source), "-o", str(out))  # every build at the same SOURCE_DATE_EPOCH
            import_apkg(col, out / "identity.apkg")
        notes = notes_by_guid(col)
        assert len(notes) == 3
        assert not [note for note in notes.values() if "ankigen::removed" in note.tags]
        assert col.find_cards("is:suspended") == []
    finally:
        col.close()
