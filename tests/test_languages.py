"""Decks in other languages (``lang:``), as learners see them: in real Anki, printed by real Chromium, and after an
upgrade from 0.3.0. One deck written left to right (German) and one right to left (Hebrew), both in
tests/fixtures/languages, share one collection with the shipped English deck.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from ankigen.labels import GERMAN, HEBREW, Labels
from ankigen.notetypes import cloze_notetype
from tests.anki_collection import (
    CardView,
    answer_all_cards,
    card_scheduling,
    import_apkg,
    notetype_names,
    open_collection,
    rendered_cards,
    used_notetype_names,
)
from tests.browser import PdfPage, Word, pdf_page_texts, pdf_words, print_pdfs, require_browser, with_page_size
from tests.upgrade import RELEASE_0_3_0, assert_nothing_lost, snapshot, study_then_upgrade

REPO = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).resolve().parent / "fixtures" / "languages"
GERMAN_DECK, HEBREW_DECK = "Deep-Learning-Mythen", "מיתוסים על למידה עמוקה"
ENGLISH_DECK = "Deep Learning Myths"
PAGE_MARGIN = 16 / 25.4 * 72  # sheet.css: 16 mm left and right, in points
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The German and Hebrew decks and the shipped English one, built by this ankigen into one folder."""
    out = tmp_path_factory.mktemp("decks")
    for sources in (SOURCES, REPO / "cards"):
        result = CliRunner().invoke(cli, ["build", "-o", str(out), str(sources)])
        assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def collection_cards(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[CardView], list[str]]:
    """Every card of one collection holding all three decks (imported with Anki's defaults), and its notetypes."""
    col = open_collection(tmp_path_factory.mktemp("anki"))
    try:
        for name in ("deep-learning-myths", "deep-learning-de", "deep-learning-he"):
            summary = import_apkg(col, built / f"{name}.apkg")
            assert summary.conflicting == 0 and summary.new == summary.found > 0, summary.counts()
        return rendered_cards(col), notetype_names(col)
    finally:
        col.close()


def _cards(cards: list[CardView], deck: str, notetype: str) -> list[CardView]:
    found = [card for card in cards if card.deck_name == deck and card.notetype_name.startswith(notetype)]
    assert found, f"no {notetype} card in {deck}"
    return found


def test_three_languages_share_a_collection_each_with_its_own_notetypes(
        collection_cards: tuple[list[CardView], list[str]]) -> None:
    cards, names = collection_cards
    ours = sorted(name for name in names if name.startswith("ankigen"))
    assert ours == sorted(f"{base}{suffix}" for base in ("ankigen: Myth or Fact", "ankigen: Cloze",
                                                         "ankigen: Which Is NOT True")
                          for suffix in ("", " (de)", " (he)"))
    assert not [name for name in names if "+" in name]  # no copy made on a conflict
    by_deck = {(card.deck_name, card.notetype_name) for card in cards}
    assert {notetype for deck, notetype in by_deck if deck == ENGLISH_DECK} == \
        {"ankigen: Myth or Fact", "ankigen: Cloze", "ankigen: Which Is NOT True"}
    assert {notetype for deck, notetype in by_deck if deck == GERMAN_DECK} == \
        {"ankigen: Myth or Fact (de)", "ankigen: Cloze (de)", "ankigen: Which Is NOT True (de)"}


def test_english_cards_look_as_they_did(collection_cards: tuple[list[CardView], list[str]]) -> None:
    cards, _ = collection_cards
    for card in (card for card in cards if card.deck_name == ENGLISH_DECK):
        assert '<div class="ankigen">' in card.question_html and " lang=" not in card.question_html
        assert "dir=" not in card.answer_html and "[dir=" not in card.question_html  # no CSS of other languages
    for card in _cards(cards, ENGLISH_DECK, "ankigen: Myth or Fact"):
        assert card.question_text.startswith("Myth or fact? ") and card.template_name == "Myth or fact?"


@pytest.mark.parametrize(("deck", "lang", "words"), [(GERMAN_DECK, "de", GERMAN), (HEBREW_DECK, "he", HEBREW)],
                         ids=["de", "he"])
def test_each_card_shows_its_decks_labels_and_language(collection_cards: tuple[list[CardView], list[str]],
                                                       deck: str, lang: str, words: Labels) -> None:
    cards, _ = collection_cards
    root = f'<div class="ankigen" lang="{lang}"' + (' dir="rtl">' if words.direction == "rtl" else ">")
    mine = [card for card in cards if card.deck_name == deck]
    assert len(mine) == 12
    for card in mine:
        assert root in card.question_html and root in card.answer_html, card.question_html
        assert card.answer_text.endswith(f"{words.source.split(':')[0]}: Which Of The Following Is Not True About "
                                         "Deep Learning, Holbox, 2025-05-10")
    myth_or_fact = _cards(cards, deck, "ankigen: Myth or Fact")
    assert {card.template_name for card in myth_or_fact} == {words.myth_or_fact}
    verdicts = sorted(card.answer_text.removeprefix(card.question_text).split()[0] for card in myth_or_fact)
    assert verdicts == sorted([words.myth] * 2 + [words.fact] * 3)  # two myths, two facts, one more true statement
    for card in myth_or_fact:
        assert card.question_text.startswith(words.myth_or_fact + " ")
        assert words.myth not in card.question_text.removeprefix(words.myth_or_fact)  # the front gives nothing away
        if f" {words.fact} " in card.answer_text:
            assert words.the_myth_it_answers.split("{")[0].strip() in card.answer_text
    for card in _cards(cards, deck, "ankigen: Which Is NOT True"):
        assert card.template_name == words.which_not_true_short
        assert card.question_text.startswith(words.which_not_true + " ")
        letters = re.findall(r'<span class="letter">(.)</span>', card.question_html)
        assert letters == list(words.letters[:len(letters)]) and len(letters) in (2, 3)  # the myth, 1-2 true ones
        assert words.not_true.format(letter="") in card.answer_text
        answer = card.answer_text.split(words.not_true.format(letter=""))[1][0]
        assert answer in letters
    clozes = _cards(cards, deck, "ankigen: Cloze")
    assert {card.question_text.split()[0] for card in clozes} == {words.technique.split()[0],
                                                                  words.limitation.split()[0]}
    for card in clozes:
        assert words.myth_context.split("{")[0] in card.question_text
        assert "[...]" in card.question_text or "[" in card.question_text


def test_hebrew_cloze_cards_hide_and_reveal_their_answers(collection_cards: tuple[list[CardView], list[str]]) -> None:
    cards, _ = collection_cards
    technique = sorted((card for card in _cards(cards, HEBREW_DECK, "ankigen: Cloze")
                        if card.question_text.startswith(HEBREW.technique)), key=lambda card: card.ord)
    assert [card.ord for card in technique] == [0, 1, 2]
    name, pretrained, dataset = technique
    assert "למידת העברה" not in name.question_text and "[...]" in name.question_text
    assert "למידת העברה" in name.answer_text
    assert "שאומן מראש" not in pretrained.question_text and "שאומן מראש" in pretrained.answer_text
    assert "[מאגר נתונים]" in dataset.question_text and "ImageNet" in dataset.answer_text
    assert '.ankigen[dir="rtl"] { text-align: right; }' in dataset.question_html  # the CSS that lays it out


def test_hebrew_cards_read_right_to_left_in_chromium(collection_cards: tuple[list[CardView], list[str]],
                                                    tmp_path: Path) -> None:
    """The Hebrew question card, as Anki renders it (its CSS included), laid out by a real browser."""
    require_browser()
    cards, _ = collection_cards
    question = _cards(cards, HEBREW_DECK, "ankigen: Which Is NOT True")[0]
    page = tmp_path / "card.html"
    page.write_text(with_page_size(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                                   f'<body class="card">{question.question_html}</body></html>', "A4"), "utf-8")
    printed = print_pdfs([(page, tmp_path / "card.pdf")])[0]
    words = pdf_words(printed.pdf)[0]
    label = _word(words, "אינו")  # in the question, "Which of these is NOT true?"
    letters = [_word(words, letter) for letter in HEBREW.letters[:2]]
    assert all(letter.x_min > words.width / 2 for letter in letters)  # the letters stand at the right ...
    assert letters[0].y_max <= letters[1].y_min  # ... one above the other, in order
    option = next(word for word in words.words if letters[0].y_min - 2 < word.y_min < letters[0].y_max
                  and word.x_max < letters[0].x_min)
    assert option.x_max < letters[0].x_min  # each statement runs to the letter's left
    assert label.x_min > words.width / 2


def _word(page: PdfPage, text: str) -> Word:
    """The biggest word reading ``text`` (poppler gives right-to-left words in drawing order, reversed)."""
    found = [word for word in page.words if _BIDI_MARKS.sub("", word.text) in (text, text[::-1])]
    assert found, f"{text!r} not printed: {[word.text for word in page.words]}"
    return max(found, key=lambda word: word.y_max - word.y_min)


@pytest.fixture(scope="module")
def printed_sheets(built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_browser()
    folder = tmp_path_factory.mktemp("pdf")
    jobs = []
    for lang in ("de", "he"):
        page = folder / f"{lang}.html"
        page.write_text(with_page_size((built / f"deep-learning-{lang}.html").read_text("utf-8"), "A4"), "utf-8")
        jobs.append((page, folder / f"{lang}.pdf"))
    printed = print_pdfs(jobs)
    assert not [line for result in printed for line in result.console], "the sheets logged errors"
    return {lang: result.pdf for lang, result in zip(("de", "he"), printed, strict=True)}


def _reads(label: str, texts: list[str]) -> bool:
    """Whether ``label`` is printed (in any case: badges are upper case), as written or, right to left, with its
    words in drawing order."""
    lines = [" ".join(_BIDI_MARKS.sub("", line).split()).casefold() for text in texts for line in text.splitlines()]
    label = label.casefold()
    return any(label in line or " ".join(reversed(label.split())) in line for line in lines)


@pytest.mark.parametrize(("lang", "words"), [("de", GERMAN), ("he", HEBREW)], ids=["de", "he"])
def test_the_sheet_carries_its_language_and_prints_its_labels(built: Path, printed_sheets: dict[str, Path],
                                                              lang: str, words: Labels) -> None:
    document = (built / f"deep-learning-{lang}.html").read_text("utf-8")
    assert document.startswith(f'<!DOCTYPE html>\n<html lang="{lang}"' +
                               (' dir="rtl">' if words.direction == "rtl" else ">"))
    texts = pdf_page_texts(printed_sheets[lang])
    for label in (words.myth_number.format(number=1), words.fact, words.techniques, words.limitations,
                  words.also_true, words.answer_key, words.page_of.format(page=1, pages=len(texts))):
        assert _reads(label, texts), f"{label!r} is not printed"
    assert _reads(words.true_or_false.rstrip("?"), texts) and _reads(words.which_not_true.rstrip("?"), texts)
    english = ("True or false", "Answer key", "Myth 1", "Techniques", "Page 1 of", "to answer")
    assert not [word for word in english if _reads(word, texts)]


def test_the_hebrew_sheet_runs_right_to_left_and_the_german_one_left_to_right(
        printed_sheets: dict[str, Path]) -> None:
    # The deck's title, the biggest text on the first page: its first word at the right margin in Hebrew
    # (and the rest to its left), at the left margin in German.
    hebrew, german = pdf_words(printed_sheets["he"])[0], pdf_words(printed_sheets["de"])[0]
    first = _word(hebrew, "מיתוסים")
    last = _word(hebrew, "עמוקה")
    assert abs(first.x_max - (hebrew.width - PAGE_MARGIN)) < 2, (first, hebrew.width)
    assert last.x_max < first.x_min and abs(last.y_min - first.y_min) < 1
    title = _word(german, "Deep-Learning-Mythen")
    assert abs(title.x_min - PAGE_MARGIN) < 2 and title.x_max < german.width - PAGE_MARGIN - 100
    # Numbered sentences: the number stands right of its sentence in Hebrew.
    number = next(word for word in hebrew.words if word.text in ("1.", ".1") and word.x_min > hebrew.width / 2)
    assert number.x_min > hebrew.width - PAGE_MARGIN - 60


def test_a_learner_of_0_3_0_keeps_every_review_and_gets_no_copy(built: Path, tmp_path: Path) -> None:
    """English decks are built as before: the upgrade from 0.3.0 loses nothing, and adding decks in other
    languages to that collection changes none of its notes, cards or notetypes."""
    result = study_then_upgrade(tmp_path, RELEASE_0_3_0, built / "deep-learning-myths.apkg")
    assert_nothing_lost(result)
    assert result.used_notetypes == ["ankigen: Cloze", "ankigen: Myth or Fact", "ankigen: Which Is NOT True"]

    col = open_collection(tmp_path)
    try:
        import_apkg(col, RELEASE_0_3_0)
        answer_all_cards(col, graduate=True)
        studied = snapshot(col)
        for name in ("deep-learning-myths", "deep-learning-de", "deep-learning-he"):
            summary = import_apkg(col, built / f"{name}.apkg")
            assert summary.conflicting == 0, summary.counts()
        after = snapshot(col)
        scheduling = card_scheduling(col)
        used = used_notetype_names(col)
    finally:
        col.close()
    assert not [name for name in after.notetypes if "+" in name]
    assert len(used) == 9
    for guid, note in studied.notes.items():
        assert (after.notes[guid].id, after.notes[guid].notetype_id) == (note.id, note.notetype_id)
    for key, sched in studied.scheduling.items():
        assert scheduling[key] == sched and after.revlog[key] == studied.revlog[key]


def test_a_removed_note_is_shipped_once_more_with_its_languages_notetype(tmp_path: Path) -> None:
    """The build that removes a note ships it tagged ankigen::removed (README, "Removed items"): with the notetype
    it had, or Anki would report it as conflicting instead of tagging it."""
    source = tmp_path / "cards" / "deep-learning-de.yaml"
    source.parent.mkdir()
    text = (SOURCES / "deep-learning-de.yaml").read_text("utf-8")
    source.write_text(text, "utf-8")
    out = tmp_path / "decks"
    assert CliRunner().invoke(cli, ["build", "-o", str(out), str(source.parent)]).exit_code == 0
    source.write_text(text.split("    limitations:")[0], "utf-8")
    result = CliRunner().invoke(cli, ["build", "-o", str(out), str(source.parent)])
    assert result.exit_code == 0 and "removed 1" in result.output, result.output
    with zipfile.ZipFile(out / "deep-learning-de.apkg") as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        rows = connection.execute("SELECT mid, tags FROM notes WHERE tags LIKE '%ankigen::removed%'").fetchall()
    finally:
        connection.close()
    assert rows == [(cloze_notetype("de").id, rows[0][1])]


def test_changing_a_studied_decks_language_is_a_conflict_anki_leaves_alone(tmp_path: Path) -> None:
    """What the README says of changing 'lang': an import cannot move notes to another notetype."""
    cards = tmp_path / "cards"
    cards.mkdir()
    text = (SOURCES / "deep-learning-de.yaml").read_text("utf-8")
    (cards / "deck.yaml").write_text(text, "utf-8")
    out = tmp_path / "decks"
    assert CliRunner().invoke(cli, ["build", "-o", str(out), str(cards)]).exit_code == 0
    col = open_collection(tmp_path)
    try:
        first = import_apkg(col, out / "deep-learning-de.apkg")
        (cards / "deck.yaml").write_text(text.replace("lang: de", "lang: nl"), "utf-8")
        assert CliRunner().invoke(cli, ["build", "-o", str(out), str(cards)]).exit_code == 0
        second = import_apkg(col, out / "deep-learning-de.apkg")
        used = used_notetype_names(col)
    finally:
        col.close()
    assert second.conflicting == first.new == 9 and second.new == second.updated == 0
    assert used == ["ankigen: Cloze (de)", "ankigen: Myth or Fact (de)", "ankigen: Which Is NOT True (de)"]
