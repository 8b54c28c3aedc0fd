"""The study sheet's fast paths of this round agree with the simple versions they replace (kept here as oracles).

sheet.py: ``_ANKI_CLOZE`` takes a deletion's answer in runs of characters that are neither ':' nor '}' and never
gives them back, where the plain pattern tries for a '::' or '}}' after every character; both split every
field the same way. ``_answers`` asks ``deletions_in_math`` only of a field with a '{{c' between its first
opening and its last closing delimiter.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import sheet
from ankigen.cards import derive_deck
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


def _corpus_fields() -> list[str]:
    """Every cloze field of the shipped cards, the case corpus and sources generated as the bench makes them."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    sources = [(path.read_bytes(), str(path)) for path in sorted((ROOT / "cards").glob("*.yaml"))]
    sources += [(path.read_bytes(), str(path)) for path in sorted(CASES.glob("*.yaml"))]
    sources += [(generate.source_text(index, 60, seed=index).encode(), f"s{index}.yaml") for index in range(3)]
    fields = []
    for data, shown in sources:
        source, _ = parse_source(data, shown, base_dir=str(CASES))
        if source is not None:
            deck, _ = derive_deck(source)
            fields += [note.fields[0] for note in deck.notes if note.is_cloze]
    return fields


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
