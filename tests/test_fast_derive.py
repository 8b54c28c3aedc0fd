"""The derive stage's shortcuts must not change a byte or a message; each is checked against the simple way.

cards.py: the NOT-true question ranks statements by one sort of hashes made in C
(``in_rank_order`` against ``ranked`` and a sort by ``hashlib.sha256``), its notes are made
without the dataclass ``__init__`` (``_new_note`` against ``Note``), a statement's
plain text is not split into words when its spacing is already the split's (``_plain``), a fact is
rendered on one line from its Markdown HTML (``render.inline_of`` against
``render_inline``), and a field with no backslash is
not searched for TeX (``tex.holds_no_tex``). render.py: placeholder characters
are looked for with substring tests (against the regex), a cloze's pieces all at
once (``cloze_skeleton`` against ``_simple_cloze_skeleton``). tex.py: fields whose
every backslash keeps what follows it on every card are not made into cards
(``_only_harmless_backslashes`` against the full ``unsafe_command``).
"""

from __future__ import annotations

import glob
import hashlib
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import cards, render, tex
from ankigen.cards import derive_deck
from ankigen.loader import parse_source
from tests.test_fast_paths import any_text, mostly_plain_text, simple_unsafe_command, span_text

ROOT = Path(__file__).resolve().parent.parent


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text("abc-", min_size=1, max_size=3), st.lists(st.text("xyz", max_size=3), max_size=4)),
                max_size=6),
       st.text("abc:-", min_size=1, max_size=6))
def test_lazy_ranking_gives_the_statements_in_the_order_of_ranked(myths: list[tuple[str, list[str]]],
                                                                  question: str) -> None:
    # Keys may repeat (the last myth of a key wins, as in a dict) and GUIDs too (ties keep the deck's order).
    rendered = {key: cards._MythTexts(key, key, tuple(cards.Statement(guid, f"<p>{key}{index}</p>")
                                                       for index, guid in enumerate(guids)), key)
                for key, guids in myths}
    ranking = cards._RankedStatements(rendered)
    for excluded in [*rendered, "none"]:
        simple = sorted((statement for key, texts in rendered.items() if key != excluded
                         for statement in texts.statements),
                        key=lambda statement: hashlib.sha256(f"{question}\x1f{statement.guid}".encode()).digest())
        assert ranking.ranked(question, excluded) == simple
        assert list(ranking.in_rank_order(question, excluding=excluded)) == simple


def test_a_note_made_without_the_dataclass_init_is_the_note_init_makes() -> None:
    from ankigen.model import Location

    fields = {"guid": "g", "kind": "true", "key": "m:fact", "myth_key": "m", "fields": ("<b>a</b>", "b", ""),
              "tags": ("t",), "location": Location("x.yaml", 3, 5), "lang": "de"}
    cloze = {**fields, "kind": "technique", "key": "m/t", "card_numbers": (1, 2, 4)}
    for fast, made in [(cards._new_note(**fields), cards.Note(card_numbers=(1,), **fields)),  # type: ignore[arg-type]
                       (cards._new_note(**cloze), cards.Note(**cloze))]:  # type: ignore[arg-type]
        assert fast == made
        assert hash(fast) == hash(made)
        assert repr(fast) == repr(made)
        assert vars(fast) == vars(made)
        assert (fast.content_hash, fast.notetype, fast.is_cloze) == (made.content_hash, made.notetype, made.is_cloze)
        with pytest.raises(AttributeError):
            fast.guid = "other"  # type: ignore[misc]


def _simple_plain(field_html: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", field_html)).casefold().split())


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", " ", "  ", "\t", "\n", "\xa0", "\u3000", "\x1c", "\u200b", "&nbsp;",
                                 "&amp;", "&#32;", "&#x20;", "<b>", "</b>", "<br>", "ß", "İ", "x"]),
                max_size=12).map("".join))
@example(" a")
@example("a ")
@example("a&nbsp;b")
@example("<b> </b>a")
def test_a_statements_plain_text_is_the_one_split_into_words_makes(field_html: str) -> None:
    assert cards._plain.__wrapped__(field_html) == _simple_plain(field_html)


def test_every_whitespace_that_str_split_splits_at_but_the_space_is_unprintable() -> None:
    assert [code for code in range(0x110000) if chr(code).isspace() and chr(code).isprintable()] == [ord(" ")]


def _simple_choice_options(guid: str, myth: cards.Statement,
                           true_statements: list[cards.Statement]) -> tuple[cards.Statement, ...]:
    seen = {_simple_plain(myth.html)}
    chosen: list[cards.Statement] = []
    for statement in true_statements:
        if len(chosen) == cards.CHOICE_TRUE_OPTIONS:
            break
        if _simple_plain(statement.html) not in seen:
            seen.add(_simple_plain(statement.html))
            chosen.append(statement)
    return tuple(sorted([myth, *chosen],
                        key=lambda option: hashlib.sha256(f"{guid}\x1forder\x1f{option.guid}".encode()).digest()))


@settings(max_examples=1000, deadline=None)
@given(st.text("ab:", min_size=1, max_size=4),
       st.lists(st.tuples(st.text("xyzé", max_size=3), st.sampled_from(["A", "a", "<b>a</b>", "B", "b ", "c", "d"])),
                max_size=8))
def test_choice_options_are_the_ones_the_simple_way_takes_in_its_order(guid: str,
                                                                      statements: list[tuple[str, str]]) -> None:
    myth = cards.Statement("m", "<i>A</i>")
    true_statements = [cards.Statement(*statement) for statement in statements]
    assert cards.choice_options(guid, myth, iter(true_statements)) == _simple_choice_options(guid, myth,
                                                                                           true_statements)


# Backslashes before delimiters and allowed or refused names, each followed by what ends a name, by what a
# card cuts at (cloze markup, tags, entities) or by nothing; the entities the renderer writes and others.
_PARTS = ["\\(", "\\)", "\\[", "\\]", "\\", "\\\\", "\\alpha", "\\al", "pha", "\\sigma(", "\\log n", "\\theta L",
          "\\href", "\\text", "\\color", "\\begin", "{matrix}", "{evil}", "\\(x^2 + y^2\\)", "\\(a_{ij}\\)",
          "{{c1::", "{{c2::", "::", "::hint", "}}", "{", "}", ":", "{{", "<b>", "</b>", "<br>", "<wbr>", "</br>",
          "<!-- c -->", "<code>", "</code>", "<span class=\"c\">", "&lt;", "&gt;", "&amp;", "&quot;", "&#x27;",
          "&#92;", "&bsol;", "&#9", "2;", "&", "x", " ", "'", "\"", ">", "_", "."]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PARTS), max_size=14).map("".join), st.booleans())
@example("\\alpha{{c1::beta}}", True)
@example("\\(\\al{{c1::pha}}\\)", True)
@example("\\(\\alpha<!-- -->beta\\)", False)
@example("\\(\\alpha&#x27;\\)", True)
@example("\\(\\log{x}\\)", False)
@example("\\(\\log}}\\)", True)
@example("\\(\\log::x\\)", True)
@example("\\(&#9{{c1::2}};href\\)", True)
def test_unsafe_command_answers_the_same_without_making_cards_of_harmless_fields(field: str, is_cloze: bool) -> None:
    assert tex.unsafe_command(field, is_cloze) == simple_unsafe_command(field, is_cloze)


def test_ordinary_math_fields_take_the_shortcut() -> None:
    field = ("<p><strong>{{c1::Name}}</strong>: a {{c2::model}} of \\(\\sigma(z) = 1/(1+e^{-z})\\), "
             "\\(O(n \\log n)\\) and \\(\\nabla_\\theta L\\) (x &lt; y).</p>")
    assert tex._only_harmless_backslashes(field)
    assert not tex._only_harmless_backslashes("\\(\\href{x}{y}\\)")
    assert not tex._only_harmless_backslashes("\\(\\al{{c1::pha}}\\)")


@settings(max_examples=3000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text, st.text(max_size=30)))
@example("Hello \ufdd20\ufdd3 world")
@example("Two\n\nparagraphs")
@example("x \\(a\\) and [sound:x.mp3]")
def test_a_line_from_markdown_html_is_what_render_inline_makes(text: str) -> None:
    try:
        expected = render.render_inline(text)
    except render.MarkupError:
        return
    line = render.inline_of(text, render.render_markdown(text))
    assert line is None or line == expected


def corpus_sources() -> Iterator[object]:
    """Every source of tests/cases and cards/ that loads: the corpus the shortcut tests derive."""
    for pattern in ("tests/cases/*.yaml", "cards/**/*.yaml"):
        for name in sorted(glob.glob(str(ROOT / pattern), recursive=True)):
            path = Path(name)
            source, _ = parse_source(path.read_bytes(), str(path), base_dir=str(path.parent))
            if source is not None:
                yield source


def derived(source: object) -> tuple[object, list[str]]:
    """A source's deck and messages, as the shortcut tests compare them."""
    deck, problems = derive_deck(source)  # type: ignore[arg-type]
    return deck, [str(problem) for problem in problems]


def test_every_shortcut_off_derives_the_same_notes_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = list(corpus_sources())
    assert len(sources) > 20
    fast = [derived(source) for source in sources]
    monkeypatch.setattr(tex, "_only_harmless_backslashes", lambda field: False)
    monkeypatch.setattr(cards, "inline_of", lambda text, rendered: None)
    monkeypatch.setattr(cards._RankedStatements, "in_rank_order",
                        lambda self, guid, excluding: iter(self.ranked(guid, excluding)))
    monkeypatch.setattr(cards, "holds_no_tex", lambda field: False)
    monkeypatch.setattr(cards, "_new_note", lambda **fields: cards.Note(**{"card_numbers": (1,), **fields}))
    monkeypatch.setattr(render, "cloze_skeleton", render._simple_cloze_skeleton)
    monkeypatch.setattr(render, "has_placeholder_character",
                        lambda text: bool(render._ANY_PLACEHOLDER_CHARACTER.search(text)))
    assert [derived(source) for source in sources] == fast


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "{{", "}}", "b::c", "\ufdd0", "\ufdd20\ufdd3", "\ufdd1", "\ufdd3", "x"]),
                max_size=10).map("".join))
@example("plain {{a}} and {{b}}")
@example("odd \ufdd20\ufdd3 {{a}}")
def test_a_cloze_skeleton_is_made_the_same_with_one_check_for_placeholders(text: str) -> None:
    from ankigen.cloze import ClozeSyntaxError, parse_cloze

    try:
        cloze = parse_cloze(text)
    except ClozeSyntaxError:
        return
    assert render.cloze_skeleton(cloze) == render._simple_cloze_skeleton(cloze)


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from([*"ab \n<>&;é\\", "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3", "\ufdd4", "\ufdcf", "Ω"]),
               max_size=20))
def test_placeholder_characters_are_found_as_the_regex_finds_them(text: str) -> None:
    assert render.has_placeholder_character(text) == bool(render._ANY_PLACEHOLDER_CHARACTER.search(text))


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PARTS), max_size=14).map("".join), st.booleans())
@example("\\(x\\)", False)
@example("&#92;(\\href{x}\\)", False)
@example("&bsol;(x&bsol;)", True)
def test_a_field_without_a_backslash_has_no_tex_to_refuse_or_to_print_as_source(field: str, is_cloze: bool) -> None:
    from ankigen.mathml import unconvertible_formulas

    if tex.holds_no_tex(field):
        assert tex.unsafe_command(field, is_cloze) is None
        assert unconvertible_formulas(field) == []
