"""The study sheet's shortcuts taken for speed must not change a single byte: each is checked against the
simple way it replaced, kept here as the oracle.

sheet.py: a cloze field is split by one regular expression (``re.split``) rather than a search per
deletion; the sheet fills its blanks into that split without making a Gap per deletion; a field
without a formula skips the search for deletions inside math; the passes over the whole sheet for
images and links run only when one look finds an ``<img`` or a link; the sheet looks for ``<math`` only
when mathml.py typeset no formula; formulas are typeset line by line, in the lines that hold one, rather
than in the whole sheet.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import sheet
from ankigen.cards import DeckCards, Note, derive_deck
from ankigen.loader import parse_source
from ankigen.mathml import _VERBATIM_TAG, deletions_in_math, typeset_formulas
from ankigen.model import Location
from ankigen.sanitize import sanitize_html
from ankigen.sheet import Gap, parse_anki_cloze, render_sheet
from tests.case_corpus import CASES, corpus
from tests.test_sheet import tiny_png

ROOT = Path(__file__).resolve().parent.parent
_ANKI_CLOZE_START = re.compile(r"\{\{c(\d+)::")


def parse_anki_cloze_one_deletion_at_a_time(text: str) -> tuple[tuple[str, ...], tuple[Gap, ...]]:
    """sheet.parse_anki_cloze as it was: a search for each opening, then the first '}}' and the first '::'."""
    pieces: list[str] = []
    gaps: list[Gap] = []
    start = 0
    while (match := _ANKI_CLOZE_START.search(text, start)) is not None:
        end = text.find("}}", match.end())
        if end < 0:
            break
        hint = text.find("::", match.end(), end)
        answer, hint_text = (text[match.end():hint], text[hint + 2:end]) if hint >= 0 else \
            (text[match.end():end], "")
        pieces.append(text[start:match.start()])
        gaps.append(Gap(int(match.group(1)), answer, hint_text))
        start = end + 2
    pieces.append(text[start:])
    return tuple(pieces), tuple(gaps)


def answers_always_searching_math(note: Note, answers: Sequence[str]) -> list[str]:
    """sheet._answers as it was: every field asks deletions_in_math."""
    in_math = deletions_in_math(note.fields[0])
    return [f"\\({answer}\\)" if index < len(in_math) and in_math[index] else answer
            for index, answer in enumerate(answers)]


def shown_gap_by_gap(parts: list[str | None], inline: bool) -> str:
    """What the sheet showed for a cloze field before ``_shown``: the field written back from its split,
    parsed the old way, each Gap shown by ``_blank`` or ``_filled``."""
    text = "".join(piece if index % 4 == 0 else f"{{{{c{piece}::" if index % 4 == 1 else
                   (piece or "") if index % 4 == 2 else (f"::{piece}}}}}" if piece is not None else "}}")
                   for index, piece in enumerate(parts))
    return sheet._fill_gaps(parse_anki_cloze_one_deletion_at_a_time(text), sheet._filled if inline else sheet._blank)


cloze_texts = st.lists(st.sampled_from([
    "{{c", "{{", "{", "}}", "}", "::", ":", "c", "1", "12", "x", "<b>", "</b>", " ", "\n", "{{c1::", "{{c2::a::h}}",
    "&#58;", "\\(", "\\)", "\\[", "\\]", "<code>", "</code>", "{{c3::\\frac{a}{b}}}", "\u0661", "{{c\u0662::y}}",
]), max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(cloze_texts)
@example("{{c1::a::}}")
@example("{{c1::a}}}}")
@example("{{c1::a}::b}}")
@example("{{c1::{{c2::b}}::h}}")
def test_one_split_parses_cloze_markup_like_a_search_per_deletion(text: str) -> None:
    assert parse_anki_cloze(text) == parse_anki_cloze_one_deletion_at_a_time(text)


@settings(max_examples=2000, deadline=None)
@given(cloze_texts, st.booleans())
@example("{{c1::a::}} {{c2::b::h}}", False)
@example("no deletion", True)
def test_blanks_filled_into_the_split_are_the_gaps_shown_one_by_one(text: str, inline: bool) -> None:
    parts = sheet._ANKI_CLOZE.split(text)
    assert sheet._shown(parts, inline) == shown_gap_by_gap(parts, inline)


@settings(max_examples=2000, deadline=None)
@given(cloze_texts)
@example("\\( {{c1::x}} \\) {{c2::y}}")
def test_answers_of_a_field_without_formulas_skip_the_math_search(text: str) -> None:
    note = Note(guid="g", kind="technique", key="m/t", myth_key="m", fields=(text, "Technique", "", ""), tags=(),
                card_numbers=(1,), location=Location("s.yaml"))
    answers = [gap.answer for gap in parse_anki_cloze(text)[1]]
    assert list(sheet._answers(note, answers)) == answers_always_searching_math(note, answers)


PICTURED = r"""deck: Pictured
id: pictured
description: "See [the site](https://example.com/a?b=1) and ![a diagram](diagram.png)."
myths:
  - id: m
    myth: "A myth with ![a diagram](diagram.png) and \\(x^2\\) and `\\(not math\\)`."
    fact: "A fact with [a link](https://example.com/f) and ![gone](missing.png)."
    techniques:
      - name: Fraction
        id: fraction
        text: 'A ratio \( {{\frac{a}{b}::a hint}} \) of {{two}} counts, ![a diagram](diagram.png), `{{code}}`.'
"""


def _corpus_decks(folder: Path) -> list[DeckCards]:
    """Every source in tests/cases that loads (its deck even if it has errors), the shipped deck, sources
    generated as the bench makes them, and one with images, links and math."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    sources = [(case.data, case.shown_path, str(CASES)) for builds in (True, False) for case in corpus(builds)]
    sources += [(path.read_bytes(), str(path), str(path.parent)) for path in sorted((ROOT / "cards").glob("*.yaml"))]
    sources += [(generate.source_text(index, 60, seed=index).encode(), f"s{index}.yaml", "") for index in range(3)]
    (folder / "diagram.png").write_bytes(tiny_png())
    sources.append((PICTURED.encode(), str(folder / "pictured.yaml"), str(folder)))
    decks = []
    for data, shown, base in sources:
        source, _ = parse_source(data, shown, base_dir=base)
        if source is not None:
            deck, _ = derive_deck(source)
            decks.append(deck)
    return decks


def test_every_sheet_of_the_corpus_is_what_the_simple_ways_make(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    decks = _corpus_decks(tmp_path)
    assert len(decks) > 60
    options = [(answers, layout) for answers in sheet.ANSWERS for layout in sheet.LAYOUTS]
    fast = [render_sheet(deck, answers=answers, layout=layout) for deck in decks for answers, layout in options]
    monkeypatch.setattr(sheet, "parse_anki_cloze", parse_anki_cloze_one_deletion_at_a_time)
    monkeypatch.setattr(sheet, "_shown", shown_gap_by_gap)
    monkeypatch.setattr(sheet, "_answers", answers_always_searching_math)
    monkeypatch.setattr(sheet, "_typeset_by_line", lambda lines, body: typeset_formulas(body))
    simple = [render_sheet(deck, answers=answers, layout=layout) for deck in decks for answers, layout in options]
    assert fast == simple
    for shows in ("<math", 'class="image', 'class="url"', 'class="missing-image"', "gap-hint"):
        assert any(shows in page for page in fast), shows
    # the line-by-line typesetting ran, on sheets with both code and formulas
    assert any("<math" in page and "<code>" in page and 'class="image' not in page for page in fast)


# The sheet's HTML around images, links and formulas, well formed or not.
_BODY_PARTS = ["<p>", "</p>", "<img", "<img src=\"a.png\">", "<imgx>", "<a href=\"https://x.org\">", "<a>", "</a>",
               "<abbr>", "</abbr>", "<", "/", "a", ">", " ", "\\(", "\\)", "x^2", "<code>", "</code>", "<math>",
               "<span class=\"gap\"><span class=\"gap-answer\">", "</span>"]
sheet_bodies = st.lists(st.sampled_from(_BODY_PARTS), max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(sheet_bodies)
@example('<a href="https://x.org">x</a> <img src="a.png">')
def test_a_body_without_images_or_links_is_left_as_it_is_by_both_passes(body: str) -> None:
    embedded = sheet._IMG_TAG.sub(lambda match: "[image]", body)
    if not sheet._IMAGE_OR_LINK.search(body):
        assert sheet._unlink(embedded) == body
    else:
        assert "<img" in body or "<a" in body or "</a>" in body


@settings(max_examples=1000, deadline=None)
@given(sheet_bodies)
@example("\\(x^2\\) <math>")
@example("<code>\\(x^2\\)</code>")
def test_typeset_formulas_counts_what_typeset_math_typesets(body: str) -> None:
    from ankigen.mathml import typeset_formulas, typeset_math

    typeset, count = typeset_formulas(body)
    assert typeset == typeset_math(body)
    assert (count > 0 or "<math" in typeset) == ("<math" in typeset)
    assert count > 0 or typeset is body
    assert count == typeset.count("<math") - body.count("<math")


# What a field can be made of: TeX, code, the sheet's own blank markup written by an author, case variants of
# code tags, unclosed and stray tags; sanitize.py makes each field well-nested HTML, as the build does.
_FIELD_PARTS = ["\\(", "\\)", "\\[", "\\]", "x^2", "\\frac{a}{b}", " ", "a", "<code>", "</code>", "<CODE>",
                "<pre>", "</pre>", "<b>", "</b>", "<span>", "</span>", '<span class="gap">',
                '<span class="gap-answer">', '<mark class="filled">', "</mark>", "<script>", "<textarea>", "<",
                '<span class="gap"><span class="gap-answer">y</span></span>', '<mark class="filled">z</mark>', "\n"]
fields = st.lists(st.sampled_from(_FIELD_PARTS), max_size=12).map(lambda parts: sanitize_html("".join(parts)))
# Lines shaped as the sheet writes them around fields (each from one of its tags to one of its tags).
_LINE_SHAPES = ["<li>{}</li>", '<li><span class="statement">{}</span> <span class="tick">T / F</span></li>',
                '<h2><span class="badge">Myth 1</span> <span class="statement">{}</span></h2>',
                '<div class="fact"><span class="badge">Fact</span> {}</div>', '<p class="source">{}</p>',
                '<li><span class="answer">{}</span><span class="sep">·</span><span class="answer">\\(a\\)</span></li>',
                '<ol class="items" start="3">', "</ol>", "<h3>Key \\(x\\)</h3>"]
sheet_lines = st.lists(st.tuples(st.sampled_from(_LINE_SHAPES), fields).map(lambda shape: shape[0].format(shape[1])),
                       max_size=8)


@settings(max_examples=1500, deadline=None)
@given(sheet_lines)
@example(["<li><code>\\(x\\)</code></li>", "<li>\\(x^2\\)</li>"])
@example(['<li><span class="statement">\\(x <span class="gap"></span>', "<li>y\\)</li>"])
def test_formulas_typeset_line_by_line_are_those_of_the_whole_sheet(lines: list[str]) -> None:
    body = "\n".join(lines)
    assert sheet._typeset_by_line(lines, body) == typeset_formulas(body)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_FIELD_PARTS), max_size=16).map("".join))
def test_a_sanitised_field_leaves_code_closed_as_it_found_it(markup: str) -> None:
    """What _typeset_by_line relies on: mathml.py's code depth is 0 again after every field."""
    depth = 0
    for tag in _VERBATIM_TAG.finditer(sanitize_html(markup)):
        depth = max(depth + (-1 if tag.group(1) else 1), 0)
    assert depth == 0
