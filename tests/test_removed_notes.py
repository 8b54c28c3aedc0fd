"""What the README says of removed notes, checked in real Anki: tagged everywhere, suspended almost nowhere.

ankigen ships a removed note once more, tagged ``ankigen::removed``, with its
cards marked suspended. Anki keeps a card's scheduling when it updates a note
it already has, and drops the incoming scheduling unless "Import any learning
progress" is ticked: so in the usual case (a collection that has the notes,
default import options) the cards stay active, and the tag is what tells.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import (
    DEFAULT_IMPORT_OPTIONS,
    Collection,
    answer_all_cards,
    card_scheduling,
    import_apkg,
    notes_by_guid,
    open_collection,
)

BEFORE = """\
deck: Removals
id: removals
myths:
  - id: keep
    myth: A myth.
    fact: The fact.
  - id: gone
    myth: Another myth.
    fact: Another fact.
    techniques:
      - id: t
        name: A technique
        text: It does {{something}}.
"""
AFTER = BEFORE.split("  - id: gone")[0]
SUSPENDED = -1  # a card's queue when suspended


def _build(source: Path, text: str, epoch: int) -> str:
    source.write_text(text, "utf-8")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(source.parent / "decks"), "--format", "apkg"],
                                env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.exit_code == 0, result.output
    return result.output


def _removed_card_queues(col: Collection) -> list[int]:
    notes = notes_by_guid(col)
    return [sched.queue for (guid, _), sched in sorted(card_scheduling(col).items())
            if "ankigen::removed" in notes[guid].tags]


def test_removed_notes_are_tagged_and_stay_active_in_a_collection_that_has_them(tmp_path: Path,
                                                                                 collection: Collection) -> None:
    source = tmp_path / "removals.yaml"
    _build(source, BEFORE, 1_700_000_000)
    import_apkg(collection, tmp_path / "decks" / "removals.apkg")
    answer_all_cards(collection, graduate=True)
    output = _build(source, AFTER, 1_700_000_100)
    assert output.splitlines()[-1] == ("  removed notes are shipped once more tagged 'ankigen::removed': in Anki, "
                                       "search 'tag:ankigen::removed' and delete them (gone, gone/t, gone:fact, "
                                       "gone:not-true, keep:not-true)")  # a lone myth asks no "which is NOT true?"
    import_apkg(collection, tmp_path / "decks" / "removals.apkg")
    queues = _removed_card_queues(collection)
    assert len(queues) == 6 and SUSPENDED not in queues  # tagged, but still studied: the README says so

    fresh = open_collection(tmp_path)  # never had them: with default options, new and active too
    try:
        import_apkg(fresh, tmp_path / "decks" / "removals.apkg")
        queues = _removed_card_queues(fresh)
        assert len(queues) == 6 and SUSPENDED not in queues
    finally:
        fresh.close()

    progress = type(DEFAULT_IMPORT_OPTIONS)()
    progress.CopyFrom(DEFAULT_IMPORT_OPTIONS)
    progress.with_scheduling = True  # "Import any learning progress": only then are they suspended
    fresh = open_collection(tmp_path)
    try:
        import_apkg(fresh, tmp_path / "decks" / "removals.apkg", progress)
        assert _removed_card_queues(fresh) == [SUSPENDED] * 6
    finally:
        fresh.close()
