"""The shipped deck, built by the real CLI and imported into the real Anki backend."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import Collection, html_to_text, import_apkg, notes_by_guid, rendered_cards
from tests.conftest import SHIPPED_SOURCE

_CLOZE_SPAN = re.compile(r'<span class="cloze"[^>]*>(.*?)</span>', re.DOTALL)
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def _build(out: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", str(SHIPPED_SOURCE), "-o", str(out), "--format", "apkg"])
    assert result.exit_code == 0, result.output
    return out / "deep-learning-myths.apkg"


def _source_counts() -> tuple[int, int]:
    data = yaml.safe_load(SHIPPED_SOURCE.read_text("utf-8"))
    myths = data["myths"]
    items = sum(len(m.get("techniques") or []) + len(m.get("limitations") or []) for m in myths)
    return len(myths), items


def test_shipped_deck_imports_with_one_note_per_myth_and_item(tmp_path: Path, collection: Collection) -> None:
    summary = import_apkg(collection, _build(tmp_path / "decks"))
    myths, items = _source_counts()
    assert summary.new == myths + items
    notes = notes_by_guid(collection).values()
    by_type = {name: sum(1 for n in notes if n.notetype_name == name)
               for name in ("ankigen: Myth or Fact", "ankigen: Cloze")}
    assert by_type == {"ankigen: Myth or Fact": myths, "ankigen: Cloze": items}
    cards = rendered_cards(collection)
    assert sum(1 for c in cards if c.notetype_name == "ankigen: Myth or Fact") == myths
    expected_cloze_cards = sum(len({int(n) for n, _, _ in _DELETION.findall(note.fields["Text"])})
                               for note in notes if note.notetype_name == "ankigen: Cloze")
    assert sum(1 for c in cards if c.notetype_name == "ankigen: Cloze") == expected_cloze_cards
    assert {c.deck_name for c in cards} == {"Deep Learning Myths"}


def test_every_cloze_card_hides_its_deletion_and_its_answer_shows_it(tmp_path: Path,
                                                                     collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    notes = notes_by_guid(collection)
    checked = 0
    for card in rendered_cards(collection):
        if card.notetype_name != "ankigen: Cloze":
            continue
        number = card.ord + 1
        deletions = [(html_to_text(answer), hint) for n, answer, hint in
                     _DELETION.findall(notes[card.note_guid].fields["Text"]) if int(n) == number]
        assert deletions, f"card {number} of {card.note_guid} has no deletion"
        hidden = [html_to_text(span) for span in _CLOZE_SPAN.findall(card.question_html)]
        shown = [html_to_text(span) for span in _CLOZE_SPAN.findall(card.answer_html)]
        assert hidden == [f"[{hint}]" if hint else "[...]" for _, hint in deletions]
        assert shown == [answer for answer, _ in deletions]
        for answer, _ in deletions:
            assert answer not in html_to_text(_CLOZE_SPAN.sub("", card.question_html)).split("Myth:")[0]
        checked += 1
    assert checked > 0


def test_no_card_renders_empty_and_myth_cards_say_myth_with_the_fact(tmp_path: Path,
                                                                     collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    notes = notes_by_guid(collection)
    for card in rendered_cards(collection):
        assert card.question_text.strip() and card.answer_text.strip()
        assert card.question_text != card.answer_text
        if card.notetype_name == "ankigen: Myth or Fact":
            fields = notes[card.note_guid].fields
            assert card.question_text.startswith("Myth or fact?")
            assert "Myth" in card.answer_text.replace(card.question_text, "", 1)
            assert html_to_text(fields["Fact"]) in card.answer_text
            assert "Holbox" in card.answer_text


def test_notes_are_tagged_with_deck_myth_and_kind_tags(tmp_path: Path, collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    kinds = {"myth", "technique", "limitation"}
    for note in notes_by_guid(collection).values():
        assert "deep-learning" in note.tags
        assert len(kinds & set(note.tags)) == 1
