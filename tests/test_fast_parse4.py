"""The study sheet's fast paths of this round agree with the simple versions they replace (kept here as oracles).

sheet.py: ``_ANKI_CLOZE`` takes a deletion's answer in runs of characters that are neither ':' nor '}' and never
gives them back, where the plain pattern tries for a '::' or '}}' after every character; both split every
field the same way. ``_answers`` asks ``deletions_in_math`` only of a field with a '{{c' between its first
opening and its last closing delimiter. ``group_myths`` reads each note's key and kind once, and
``true_or_false`` hashes each myth once.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import sheet
from ankigen.cards import DeckCards, Note, derive_deck
from ankigen.loader import parse_source
from ankigen.mathml import deletions_in_math
from ankigen.sanitize import sanitize_html
from tests.case_corpus import CASES

ROOT = Path(__file__).resolve().parent.parent

# The plain pattern: an answer is the shortest text followed by '::hint}}' or by '}}'.
PLAIN_ANKI_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)

# What a cloze field can be made of: the markup, its pieces, near misses and the characters it turns on.
_FIELD_PARTS = ["{{c1::", "{{c12::", "{{c", "{{", "}}", "::", ":", "}", "{", "c", "1", "a", " ", "\n", "<b>", "</b>",
                ":::", "}}}", "&#58;", "\\(", "\\)", "{{c2::a::h}}", "{{c3::a}}"]


@settings(max_examples=5000, deadline=None)
@given(st.lists(st.sampled_from(_FIELD_PARTS), max_size=20).map("".join))
@example("{{c1::a:::b}}")
@example("{{c1::a::b")
@example("{{c1::a:}}}")
@example("{{c1::a}::b}}")
@example("{{c1::a::b}}}}")
@example("{{c1::{{c2::a}}::b}}")
def test_a_field_is_split_as_the_plain_pattern_splits_it(field: str) -> None:
    assert sheet._ANKI_CLOZE.split(field) == PLAIN_ANKI_CLOZE.split(field)


def _corpus_decks() -> list[DeckCards]:
    """The deck of every source of the shipped cards, the case corpus and sources generated as the bench makes them
    that loads."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    sources = [(path.read_bytes(), str(path)) for path in sorted((ROOT / "cards").glob("*.yaml"))]
    sources += [(path.read_bytes(), str(path)) for path in sorted(CASES.glob("*.yaml"))]
    sources += [(generate.source_text(index, 60, seed=index).encode(), f"s{index}.yaml") for index in range(3)]
    decks = []
    for data, shown in sources:
        source, _ = parse_source(data, shown, base_dir=str(CASES))
        if source is not None:
            decks.append(derive_deck(source)[0])
    return decks


def _corpus_fields() -> list[str]:
    """Every cloze field of the corpus's decks."""
    return [note.fields[0] for deck in _corpus_decks() for note in deck.notes if note.is_cloze]


def test_every_cloze_field_of_the_cards_the_cases_and_the_bench_is_split_as_the_plain_pattern_splits_it() -> None:
    fields = _corpus_fields()
    assert len(fields) > 100
    assert any(match.group(3) for field in fields for match in PLAIN_ANKI_CLOZE.finditer(field))  # hints too
    for field in fields:
        assert sheet._ANKI_CLOZE.split(field) == PLAIN_ANKI_CLOZE.split(field), field


def answers_asking_every_field(text: str) -> list[str]:
    """sheet._answers as it was: every field with a formula asks deletions_in_math where its deletions are."""
    answers = sheet._ANKI_CLOZE.split(text)[2::4]
    in_math = deletions_in_math(text)
    return [f"\\({answer}\\)" if index < len(in_math) and in_math[index] else answer
            for index, answer in enumerate(answers)]


def answers_now(text: str) -> list[str]:
    return list(sheet._answers(SimpleNamespace(fields=(text,)), sheet._ANKI_CLOZE.split(text)[2::4]))  # type: ignore[arg-type]


# A field with formulas and deletions around and inside them, in tags and code, as sanitize.py leaves it.
_MATH_PARTS = ["\\(", "\\)", "\\[", "\\]", "x", "{{c1::a}}", "{{c2::b::h}}", "{{c", "<p>", "</p>", "<code>",
               "</code>", '<span class="gap">', "</span>", "\\", " "]


@settings(max_examples=5000, deadline=None)
@given(st.lists(st.sampled_from(_MATH_PARTS), max_size=16).map(lambda parts: sanitize_html("".join(parts))))
@example("\\(x\\) {{c1::a}} \\[{{c2::b}}\\]")
@example("{{c1::a}} \\[x\\] {{c2::b}} \\(y\\)")
@example("\\(x {{c1::a}}\\)")
@example("\\[x\\) {{c1::a}} \\]")
def test_a_deletion_is_found_in_math_as_when_every_field_asked(field: str) -> None:
    assert answers_now(field) == answers_asking_every_field(field)


def test_every_cloze_field_of_the_corpus_has_its_answers_as_when_every_field_asked() -> None:
    fields = _corpus_fields()
    assert any(True in deletions_in_math(field) for field in fields)  # some deletion in math is in the corpus
    for field in fields:
        assert answers_now(field) == answers_asking_every_field(field), field


def group_myths_with_setdefault(notes: Sequence[Note]) -> list[sheet.MythGroup]:
    """sheet.group_myths as it was."""
    myths: dict[str, Note] = {}
    choices: dict[str, Note] = {}
    items: dict[str, list[Note]] = {}
    truths: dict[str, list[Note]] = {}
    for note in notes:
        items.setdefault(note.myth_key, [])
        truths.setdefault(note.myth_key, [])
        if note.is_cloze:
            items[note.myth_key].append(note)
        elif note.kind == "true":
            truths[note.myth_key].append(note)
        elif note.kind == "choice":
            choices.setdefault(note.myth_key, note)
        else:
            myths.setdefault(note.myth_key, note)
    return [sheet.MythGroup(key, myths.get(key), tuple(group), tuple(truths[key]), choices.get(key))
            for key, group in items.items()]


def true_or_false_hashing_myths_twice(myths: Sequence[sheet.MythGroup]) -> list[Note]:
    """sheet.true_or_false as it was: each myth hashed for its order, then again for its place."""
    def digest(note: Note) -> bytes:
        return hashlib.sha256(note.guid.encode("utf-8")).digest()

    myth_notes = sorted((group.myth for group in myths if group.myth is not None), key=digest)
    true_notes = sorted((note for group in myths for note in group.true_statements), key=digest)
    total = len(myth_notes) + len(true_notes)
    places: list[int] = []
    for index, note in enumerate(myth_notes):
        start, end = index * total // len(myth_notes), (index + 1) * total // len(myth_notes)
        place = start + int.from_bytes(digest(note)[:4], "big") % (end - start)
        if places and place == places[-1] + 1 and place + 1 < end:
            place += 1
        places.append(place)
    myth_at = dict(zip(places, myth_notes, strict=True))
    remaining = iter(true_notes)
    return [myth_at[place] if place in myth_at else next(remaining) for place in range(total)]


def _shuffled(notes: tuple[Note, ...], seed: int) -> list[Note]:
    """The notes in another order (groups then appear in another order, kinds interleave), some twice."""
    mixed = sorted(notes, key=lambda note: hashlib.sha256(f"{seed}{note.guid}".encode()).digest())
    return mixed + mixed[:seed]


def test_every_deck_of_the_corpus_is_grouped_and_quizzed_as_the_simple_ways_do() -> None:
    decks = _corpus_decks()
    assert len(decks) > 60
    for deck in decks:
        for notes in (list(deck.notes), _shuffled(deck.notes, 1), _shuffled(deck.notes, 7)):
            groups = sheet.group_myths(notes)
            assert groups == group_myths_with_setdefault(notes)
            assert sheet.true_or_false(groups) == true_or_false_hashing_myths_twice(groups)
    # (the corpus has decks with true statements, choices and myths whose notes are missing)
    assert any(group.true_statements and group.choice for deck in decks for group in sheet.group_myths(deck.notes))
    assert any(group.myth is None for deck in decks for group in sheet.group_myths(deck.notes[1:]))
