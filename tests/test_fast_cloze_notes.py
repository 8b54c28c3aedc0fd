"""The cloze side of derive takes shortcuts that must not change a byte or a message; each against the simple way.

render.py: ``plain_paragraph`` decides with one regex and tags spans in one substitution
(against ``_simple_plain_paragraph``, the span-by-span walk); a cloze text whose skeleton is
plain gets its deletions put back by one split (``_plain_cloze_body``, against
``_check_placements`` and the substitution); ``cloze_skeleton`` looks for placeholder characters
in its pieces once (against ``_simple_cloze_skeleton``). cards.py: ``cloze_note`` escapes its kind label once
per label. All of them off must derive the same notes and messages from every source of the tests,
the hostile ones of tests/cases included.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import cards, render
from ankigen.cloze import ClozeSyntaxError, parse_cloze
from tests.test_fast_derive import corpus_sources, derived
from tests.test_fast_paths import any_text, mostly_plain_text, span_text

ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDERS = ["\ufdd20\ufdd3", "\ufdd21\ufdd3", "\ufdd00\ufdd1", "\ufdd2", "\ufdd3"]


@settings(max_examples=5000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text, st.text(max_size=30),
                 st.lists(st.sampled_from(["word", " ", "`", "*", "**", "(", ")", ".", "<", "< ", "&", "\u3000",
                                           "\xa0", "\x1c", "é", "1", *_PLACEHOLDERS]), max_size=14).map("".join)))
@example("Plain words, `code <b>` and **strong** (*em*).")
@example("** b")  # an empty emphasis is no span
@example("**a*")
@example("`a*b` and `c*d`")
@example("*a\u3000*")  # a Unicode space inside the marks
@example("**a <**")
@example("x > `y`")
@example("A&`b`")
def test_plain_paragraph_answers_as_the_span_by_span_walk(text: str) -> None:
    assert render.plain_paragraph(text) == render._simple_plain_paragraph(text)


def _general_cloze(text: str) -> str:
    try:
        return render.render_cloze(parse_cloze(text), None)
    except (ClozeSyntaxError, render.MarkupError) as exc:
        return f"{type(exc).__name__} {exc.offset} {exc.message}"


_CLOZE_PARTS = ["word", " ", "{{a}}", "{{b::hint}}", "{{c3::x}}", "{{`c`}}", "{{**s**}}", "{{a:}}", "\\(x^{{2}}\\)",
                "\\(", "\\)", "\\[a\\]", "`", "*", "**", "{", "}", "<b>", "</b>", "<a href='", "'>", "<!--", "-->",
                "&lt;", "&", "\n", "\n\n", "- ", "(", ")", ".", "[sound:x]", "\ufdd20\ufdd3", "\ufdd0", "#", "é"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CLOZE_PARTS), max_size=14).map("".join))
@example("Plain {{a}} and `code` with {{b::hint}} and \\(x^{{2}}\\).")
@example("A link <a href='{{a}}'>b</a>")
@example("Dropped <!-- {{a}} --> here")
@example("- one {{a}}\n- two {{b}}")
def test_a_plain_cloze_text_is_rendered_as_the_general_way_renders_it(text: str) -> None:
    fast = _general_cloze(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_plain_cloze_body", lambda skeleton, positions, cloze, image_src: None)
        patch.setattr(render, "cloze_skeleton", render._simple_cloze_skeleton)
        patch.setattr(render, "plain_paragraph", render._simple_plain_paragraph)
        assert _general_cloze(text) == fast


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "{{", "}}", "b::c", *_PLACEHOLDERS, "\ufdd1", "x"]), max_size=10)
       .map("".join))
def test_a_cloze_skeleton_counted_once_is_the_simple_one(text: str) -> None:
    try:
        cloze = parse_cloze(text)
    except ClozeSyntaxError:
        return
    assert render.cloze_skeleton(cloze) == render._simple_cloze_skeleton(cloze)


def test_every_cloze_shortcut_off_derives_the_same_notes_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = list(corpus_sources())
    assert len(sources) > 20
    fast = [derived(source) for source in sources]
    assert any(note.is_cloze for deck, _ in fast for note in deck.notes)  # type: ignore[attr-defined]
    monkeypatch.setattr(render, "_plain_cloze_body", lambda skeleton, positions, cloze, image_src: None)
    monkeypatch.setattr(render, "cloze_skeleton", render._simple_cloze_skeleton)
    monkeypatch.setattr(render, "plain_paragraph", render._simple_plain_paragraph)
    monkeypatch.setattr(cards, "_escaped", html.escape)
    assert [derived(source) for source in sources] == fast
