"""derive4's shortcuts in the derive stage, each against the simple way it replaces.

render.py: ``plain_paragraph`` tags a plain text's spans by ``str.split`` (``_tagged_spans``, against the
``_SPAN_MARKS`` substitution). cards.py: a plain text without a backslash is rendered without the sanitiser's
removals or a look for TeX (``render.plain_field``, against ``_checked``'s general way), a cloze note is made without
the dataclass ``__init__`` and the deck's cloze notes share one collection of removals; a NOT-true question
takes its first statements from a heap (``in_rank_order`` against ``ranked``). render.py: an answer of plain
words is its own rendering (``plain_words``, against ``render_inline``). All of them off must
derive the same notes and messages from every source of the tests, the hostile ones of tests/cases included.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import cards, render
from ankigen.media import ImageFolder
from ankigen.model import Location, Text
from tests.test_fast_derive import corpus_sources, derived
from tests.test_fast_paths import any_text, mostly_plain_text, span_text

ROOT = Path(__file__).resolve().parent.parent
_PIECES = ["word", " ", "`", "*", "**", "(", ")", ".", ",", "<", "< ", "&", "\u3000", "\xa0", "é", "1",
           "\ufdd20\ufdd3"]


@settings(max_examples=5000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text,
                 st.lists(st.sampled_from(_PIECES), max_size=16).map("".join)))
@example("Plain words, `code <b>` and **strong** (*em*).")
@example("`a*b` and `c**d` then **e** *f*")
@example("*a* **b** `c` *d*.")
@example("**a**")
def test_spans_tagged_by_split_are_the_substitutions(text: str) -> None:
    if not text or not render._PLAIN_WITH_SPANS.match(text):
        return  # (plain_paragraph tags spans only in the texts this takes)
    escaped = html.escape(text, quote=False)
    assert render._tagged_spans(escaped) == render._SPAN_MARKS.sub(render._span_tag, escaped)


def _general_checked(render_text: object, text: Text) -> tuple[str, list[str]]:
    problems: list[object] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cards, "plain_field", lambda render_text, source: None)
        field_html = cards._checked(render_text, text, ImageFolder(str(ROOT)), problems)  # type: ignore[arg-type]
    return field_html, [str(problem) for problem in problems]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text, st.text(max_size=30),
                 st.lists(st.sampled_from([*_PIECES, "\\", "\\(x\\)", "&bsol;", "&#92", "[sound:a]", "\n",
                                           "\n\n", "- ", "\ufdd0", "![a](b.png)", "<script>"]),
                          max_size=16).map("".join)))
@example("A [sound:x] and R&D")
@example("- one\n- two")
@example("Not &bsol; but & and &amp")
def test_a_plain_field_is_what_checked_renders_and_has_no_problems(source: str) -> None:
    text = Text(source, Location("x.yaml", 3, 5))
    for render_text in (render.render_inline, render.render_markdown):
        plain = render.plain_field(render_text, source)
        if plain is None:
            continue
        assert _general_checked(render_text, text) == (plain, [])
        problems: list[object] = []
        assert cards._checked(render_text, text, ImageFolder(str(ROOT)), problems) == plain  # type: ignore[arg-type]
        assert problems == []


def test_a_cloze_note_made_without_the_dataclass_init_is_the_note_init_makes() -> None:
    decks = [derived(source)[0] for source in corpus_sources()]
    notes = [note for deck in decks for note in deck.notes if note.is_cloze]  # type: ignore[attr-defined]
    assert len(notes) > 20
    for note in notes:
        made = cards.Note(**vars(note))
        assert (note, hash(note), repr(note), vars(note)) == (made, hash(made), repr(made), vars(made))
        with pytest.raises(AttributeError):
            note.guid = "other"


def test_every_derive4_shortcut_off_derives_the_same_notes_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = list(corpus_sources())
    assert len(sources) > 20
    fast = [derived(source) for source in sources]
    assert any(problems for _, problems in fast)
    monkeypatch.setattr(cards, "plain_field", lambda render_text, source: None)
    monkeypatch.setattr(render, "_tagged_spans", lambda escaped: render._SPAN_MARKS.sub(render._span_tag, escaped))
    monkeypatch.setattr(cards, "holds_no_tex", lambda field: False)
    monkeypatch.setattr(render, "plain_words", lambda text: False)
    assert [derived(source) for source in sources] == fast


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.lists(st.sampled_from(["x", "y", "z", "w"]), max_size=6)),
                max_size=10),
       st.text("ab:-", min_size=1, max_size=4))
def test_statements_taken_from_a_heap_come_in_the_order_of_ranked(myths: list[tuple[str, list[str]]],
                                                                  question: str) -> None:
    # Many equal GUIDs (ties keep the deck's order), more statements than the heap gives before the sort.
    rendered = {key: cards._MythTexts(key, key, tuple(cards.Statement(guid, f"<p>{key}{index}</p>")
                                                       for index, guid in enumerate(guids)), key)
                for key, guids in myths}
    ranking = cards._RankedStatements(rendered)
    for excluded in [*rendered, "none"]:
        assert list(ranking.in_rank_order(question, excluding=excluded)) == ranking.ranked(question, excluded)


@settings(max_examples=5000, deadline=None)
@given(st.one_of(mostly_plain_text, st.text(max_size=12),
                 st.lists(st.sampled_from(["Word", "x", " ", "  ", "1", "²", "½", "é", "ß", "_", "\u3000", "\xa0",
                                           "\t", "-", ".", "İ", "ǅ", "\u0300", "٣"]), max_size=8).map("".join)))
@example("Orti kernel model")
@example("A  b")
@example("x ")
def test_plain_words_are_their_own_inline_rendering(text: str) -> None:
    if render.plain_words(text):
        assert render.render_inline(text) == text
        assert render._guard(text) == text


# Fields and sheets as mathml.py meets them (tests/test_fast_paths.py's parts, more formulas, stray '<' and '>').
_HTML_PARTS = ["<p>", "</p>", "<li>", "</li>", "<div class=\"q\">", "</div>", "<br>", "<b>", "</b>", "<span>",
               "</span>", "<code>", "</code>", "<pre>", "</pre>", "<CODE class=\"x\">", "</CODE>", "<codex>",
               "<span class=\"gap\">", "<span class=\"gap-answer\">", "<span class=\"gap-hint\">",
               "<mark class=\"filled\">", "</mark>", "\\(", "\\)", "\\[", "\\]", "\\(x\\)", "\\[y\\]", "\\\\", "{", "}",
               "x", " ", "a b", "<img src=\"\\(x\\)\">", "<a title=\"\\(\">", "<3", ">", " < ", "&lt;", "(", ")"]


@settings(max_examples=5000, deadline=None)
@given(st.lists(st.sampled_from(_HTML_PARTS), max_size=30).map("".join))
@example("<p>\\(x\\) and <code>\\(y\\)</code> \\[z\\]</p>")
@example("<p>\\(a <b>b</b> c\\) \\(d\\)</p>")
@example("<img src=\"\\(x\\)\"> \\(y\\)")
@example("<3 \\(x\\) >")
@example("\\(x\\)<a title=\"\\(\">\\)")
def test_formulas_found_in_the_whole_text_are_the_ones_a_full_scan_finds(body: str) -> None:
    from ankigen import mathml

    full = list(mathml._formulas_between(body, 0, len(body)))
    assert list(mathml._formulas(body)) == full
    quick = mathml._formulas_outside_tags(body)
    assert quick is None or quick == full


def test_an_items_name_deletion_made_in_c_is_the_one_its_init_makes() -> None:
    from ankigen.cloze import Deletion

    fast = cards._new_tuple(Deletion, (1, "Orti *kernel*", "", 0, False, False))
    made = Deletion(1, "Orti *kernel*", "", 0)
    assert (type(fast), fast, fast._asdict()) == (type(made), made, made._asdict())
