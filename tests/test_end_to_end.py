"""The shipped deck, built by the real CLI and imported into the real Anki backend."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import CardView, Collection, html_to_text, import_apkg, notes_by_guid, rendered_cards
from tests.conftest import SHIPPED_SOURCE

_CLOZE_SPAN = re.compile(r'<span class="cloze"[^>]*>(.*?)</span>', re.DOTALL)
_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def _build(out: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", str(SHIPPED_SOURCE), "-o", str(out), "--format", "apkg"])
    assert result.exit_code == 0, result.output
    return out / "deep-learning-myths.apkg"


_STATEMENT = re.compile(r'(<div class="statement">)(.*?)(</div>)', re.DOTALL)
_OPTION = re.compile(r'<li><span class="letter">([A-D])</span>(.*?)</li>', re.DOTALL)
MYTH_OR_FACT = "ankigen: Myth or Fact"
CHOICE = "ankigen: Which Is NOT True"


def _source() -> tuple[list[str], list[str], int]:
    """The shipped source's myths, its true statements (each fact and further true statement), its item count."""
    myths = yaml.safe_load(SHIPPED_SOURCE.read_text("utf-8"))["myths"]
    true = [m["fact"] for m in myths] + [t["text"] for m in myths for t in m.get("true_statements") or []]
    items = sum(len(m.get("techniques") or []) + len(m.get("limitations") or []) for m in myths)
    return [m["myth"] for m in myths], true, items


def _statement(card: CardView) -> str:
    found = _STATEMENT.findall(card.question_html)
    assert len(found) == 1, card.question_html
    return html_to_text(found[0][1])


def test_shipped_deck_imports_with_one_note_per_statement_myth_and_item(tmp_path: Path,
                                                                        collection: Collection) -> None:
    summary = import_apkg(collection, _build(tmp_path / "decks"))
    myths, true, items = _source()
    assert summary.new == len(myths) + len(true) + len(myths) + items
    notes = notes_by_guid(collection).values()
    by_type = {name: sum(1 for n in notes if n.notetype_name == name)
               for name in (MYTH_OR_FACT, CHOICE, "ankigen: Cloze")}
    assert by_type == {MYTH_OR_FACT: len(myths) + len(true), CHOICE: len(myths), "ankigen: Cloze": items}
    cards = rendered_cards(collection)
    assert sum(1 for c in cards if c.notetype_name == MYTH_OR_FACT) == len(myths) + len(true)
    assert sum(1 for c in cards if c.notetype_name == CHOICE) == len(myths)
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


def test_no_card_renders_empty_and_myth_or_fact_cards_answer_myth_or_fact(tmp_path: Path,
                                                                          collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    myths, true, _ = _source()
    verdicts = []
    for card in rendered_cards(collection):
        assert card.question_text.strip() and card.answer_text.strip()
        assert card.question_text != card.answer_text
        if card.notetype_name == MYTH_OR_FACT:
            statement = _statement(card)
            assert card.question_text == f"Myth or fact? {statement}"
            verdict = card.answer_text.removeprefix(card.question_text).split()[0]
            assert verdict == ("Myth" if statement in myths else "Fact"), statement
            assert statement in myths + true
            assert "Holbox" in card.answer_text
            verdicts.append(verdict)
    # The answers are not all the same: at least as many true statements as myths.
    assert 0 < verdicts.count("Myth") <= verdicts.count("Fact")
    assert verdicts.count("Myth") == len(myths) and verdicts.count("Fact") == len(true)


def test_a_myth_card_and_a_true_statement_card_look_the_same_until_the_answer(tmp_path: Path,
                                                                              collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    myths, _, _ = _source()
    notes = notes_by_guid(collection)
    cards = [card for card in rendered_cards(collection) if card.notetype_name == MYTH_OR_FACT]
    is_myth = {card.card_id: _statement(card) in myths for card in cards}
    assert set(is_myth.values()) == {True, False}
    # Front HTML (the CSS included) identical apart from the statement text.
    fronts = {_STATEMENT.sub(r"\1\3", card.question_html) for card in cards}
    assert len(fronts) == 1
    # Nothing else Anki shows of a card tells them apart: notetype, card template, deck, tags.
    looks = {myth: {(card.notetype_name, card.template_name, card.deck_name) for card in cards
                    if is_myth[card.card_id] == myth} for myth in (True, False)}
    assert looks[True] == looks[False] and len(looks[True]) == 1
    tags = {myth: {notes[card.note_guid].tags for card in cards if is_myth[card.card_id] == myth}
            for myth in (True, False)}
    assert tags[True] == tags[False]
    for card in cards:
        assert "myth-or-fact" in notes[card.note_guid].tags and "myth" not in notes[card.note_guid].tags


def test_every_which_is_not_true_card_has_two_to_four_options_and_one_myth(tmp_path: Path,
                                                                           collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    myths, true, _ = _source()
    letters = []
    cards = [card for card in rendered_cards(collection) if card.notetype_name == CHOICE]
    assert len(cards) == len(myths)
    for card in cards:
        assert card.question_text.startswith("Which of these is NOT true?")
        options = [(letter, html_to_text(text)) for letter, text in _OPTION.findall(card.question_html)]
        assert 2 <= len(options) <= 4
        assert [letter for letter, _ in options] == list("ABCD"[:len(options)])
        texts = [text for _, text in options]
        assert len(set(texts)) == len(texts) and all(texts)
        assert all(text in myths + true for text in texts)
        mine = [letter for letter, text in options if text in myths]
        assert len(mine) == 1, texts
        back = card.answer_text.removeprefix(card.question_text)
        assert back.startswith(f" Not true: {mine[0]} "), back
        assert "Holbox" in back
        letters.append(mine[0])
    assert len(set(letters)) > 1, f"the myth is always {letters[0]}"
    assert len(letters) >= 4  # the shipped deck has enough true statements for full questions
    assert all(len(_OPTION.findall(card.question_html)) == 4 for card in cards)


def test_notes_are_tagged_with_deck_and_kind_tags(tmp_path: Path, collection: Collection) -> None:
    import_apkg(collection, _build(tmp_path / "decks"))
    kinds = {"myth-or-fact", "not-true", "technique", "limitation"}
    for note in notes_by_guid(collection).values():
        assert "deep-learning" in note.tags
        assert len(kinds & set(note.tags)) == 1
