"""Note and card ids that Anki imports as they are: in its past, unique within a package, never losing a review.

Anki takes ids for times in milliseconds. It renumbers every id of a package
later than tomorrow before importing anything (rslib's ``maybe_fix_invalid_ids``,
called by the .apkg importer), which made importing 0.3.0's packages half as
slow again as the same notes from genanki; Check Database does the same to a
collection. These tests import into the real Anki backend.
"""

from __future__ import annotations

import sqlite3
import time
import zipfile
from pathlib import Path

from anki.collection import Collection

from ankigen import ids
from ankigen.pipeline import build
from tests.anki_collection import card_scheduling, import_apkg, notes_by_guid, open_collection
from tests.upgrade import RELEASE_0_3_0, assert_nothing_lost, snapshot, study_then_upgrade

ROOT = Path(__file__).resolve().parent.parent
DECK = "deep-learning-myths.apkg"


def package_ids(apkg: Path) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """Note id by GUID, and card id by (GUID, ord), as the package holds them."""
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        notes = dict(connection.execute("SELECT guid, id FROM notes").fetchall())
        cards = {(guid, ord_): card_id for guid, ord_, card_id in connection.execute(
            "SELECT n.guid, c.ord, c.id FROM cards c JOIN notes n ON n.id = c.nid").fetchall()}
    finally:
        connection.close()
    return notes, cards


def built_deck(tmp_path: Path) -> Path:
    outcome = build([str(ROOT / "cards")], tmp_path / "decks")
    assert not outcome.errors
    return tmp_path / "decks" / DECK


def collection_ids(col: Collection) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    return ({guid: note.id for guid, note in notes_by_guid(col).items()},
            {key: sched.card_id for key, sched in card_scheduling(col).items()})


def test_upgrading_from_0_3_0_keeps_every_review_though_ids_changed(tmp_path: Path) -> None:
    new = built_deck(tmp_path)
    old_notes, _ = package_ids(RELEASE_0_3_0)
    new_notes, _ = package_ids(new)
    assert set(old_notes) <= set(new_notes)
    assert all(old_notes[guid] != new_notes[guid] for guid in old_notes)  # every id changed since 0.3.0
    result = study_then_upgrade(tmp_path, RELEASE_0_3_0, new)
    assert_nothing_lost(result)  # same note ids, card ids, scheduling and review log for every studied card
    assert result.summary.new == len(set(new_notes) - set(old_notes))  # nothing added twice
    assert result.summary.conflicting == 0


def test_ids_are_kept_by_anki_on_import_and_by_check_database(tmp_path: Path) -> None:
    new = built_deck(tmp_path)
    notes, cards = package_ids(new)
    tomorrow_ms = (time.time() + 86_400) * 1000
    assert max([*notes.values(), *cards.values()]) < tomorrow_ms
    col = open_collection(tmp_path)
    try:
        import_apkg(col, new)
        assert collection_ids(col) == (notes, cards)  # not renumbered on import
        col.fix_integrity()  # Tools > Check Database
        assert collection_ids(col) == (notes, cards)
    finally:
        col.close()


def test_reimporting_a_deck_whose_ids_changed_keeps_cards_and_adds_nothing(tmp_path: Path) -> None:
    """0.3.0's package, studied, then the new build twice: the second import changes nothing."""
    new = built_deck(tmp_path)
    col = open_collection(tmp_path)
    try:
        import_apkg(col, RELEASE_0_3_0)
        before = collection_ids(col)
        import_apkg(col, new)
        upgraded = snapshot(col)
        summary = import_apkg(col, new)
        assert (summary.new, summary.updated, summary.conflicting) == (0, 0, 0)
        assert summary.duplicate == summary.found > 0
        assert snapshot(col) == upgraded
        notes, cards = collection_ids(col)
        assert {guid: notes[guid] for guid in before[0]} == before[0]
        assert {key: cards[key] for key in before[1]} == before[1]
    finally:
        col.close()


def test_note_ids_are_deterministic_valid_and_unique_within_a_package() -> None:
    guids = [ids.note_guid("deck", f"myth-{n}") for n in range(2000)]
    chosen = ids.note_ids(guids)
    assert chosen == ids.note_ids(reversed(guids))
    assert len(set(chosen.values())) == len(guids)
    assert all(value % ids.CARD_IDS_PER_NOTE == 0 and ids.FIRST_NOTE_ID <= value < ids.LAST_NOTE_ID
               for value in chosen.values())
    assert ids.LAST_NOTE_ID < 1_650_000_000_000  # April 2022: in every import's past


def test_colliding_note_ids_take_the_next_free_block() -> None:
    step = ids.CARD_IDS_PER_NOTE
    last_block = ids.LAST_NOTE_ID - step
    preferred = {"b": ids.FIRST_NOTE_ID, "a": ids.FIRST_NOTE_ID, "c": ids.FIRST_NOTE_ID + step,
                 "y": last_block, "z": last_block}
    assert ids.unique_ids(preferred) == {"a": ids.FIRST_NOTE_ID, "b": ids.FIRST_NOTE_ID + step,
                                         "c": ids.FIRST_NOTE_ID + 2 * step, "y": last_block,
                                         "z": ids.FIRST_NOTE_ID + 3 * step}
