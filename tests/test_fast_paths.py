"""Shortcuts taken for speed must not change a single byte; each is checked against the slow, obvious way.

render.py: plain text (paragraphs and simple lists) skips python-markdown, and
one converter is reused (reset) for every document. cloze.py: plain text is
copied a slice at a time. render.unsafe_tex: fields without a backslash or an
entity are not searched.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import markdown
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ankigen import render
from ankigen.cards import derive_deck
from ankigen.cloze import ClozeSyntaxError, parse_cloze
from ankigen.labels import LANGUAGES
from ankigen.loader import parse_source
from ankigen.render import plain_blocks, plain_paragraph
from ankigen.sanitize import sanitize_html

ROOT = Path(__file__).resolve().parent.parent


def fresh_markdown(text: str) -> str:
    """python-markdown as render.py used it before any shortcut: a new converter for every document."""
    converter = markdown.Markdown(extensions=render._EXTENSIONS, extension_configs=render._extension_configs(),
                                  output_format="html")
    return sanitize_html(converter.convert(text))


# Everything Markdown or HTML gives meaning to, and characters that tend to surprise:
# Unicode spaces and line breaks, controls, our placeholders, entities.
_SPECIAL = [*"\\`*_[]<>{}#|~^!&;:=+-.()'\"\t\n\r\x00\x02\x03\x0b\x0c\x1c\x85\xa0\u2028\u3000\ue000\ue001\ue002\ue003",
            *"\ufdd0\ufdd1\ufdd2\ufdd3",
            "<b>", "</b>", "<br>", "<!-- c -->", "<http://a.b>", "**", "__", "](u)", "![i](j.png)", "{: .c}", "{#i}",
            "&amp;", "&#65;", "&copy", "&lt;", "1. ", "- ", "* ", "> ", "    ", "  \n", "\n\n", "\n: ", "~~~", "```",
            "[^1]", "*[A]: b", "|--|", "==", "--"]
_WORDS = ["word", "Text", "é", "Ωmega", "x", "42", "ß", "ǅ", "ﬁ", "A", "R&D", "a-b", "(c)", "d.", "e,", "f:", "g!"]
_SPANS = ["*", "**", "***", "`", "``", "**bold**", "*em*", "`code`", "`a*b`", "`<i>`", "` pad `", "`x\\`"]
_FIRST = ["Start ", "", "*", "**", "`", "(", "\"", "'", "1", "-", " ", "é"]
mostly_plain_text = st.tuples(st.sampled_from(_FIRST), st.lists(
    st.sampled_from(_WORDS * 3 + [" "] * 12 + _SPANS * 2 + _SPECIAL), max_size=16)) \
    .map(lambda parts: parts[0] + "".join(parts[1]))

# Words and spans run together in every way: at word boundaries, inside words, adjacent, unbalanced.
_SPAN_PARTS = ["word", "Two words", "x", "é", "a_b", "1.", "&", "<", ">", "\\", "[", "#", "\ufdd20\ufdd3",
               "*", "**", "`"]
span = st.builds(lambda marks, inner: f"{marks}{inner}{marks[::-1]}",
                 st.sampled_from(["*", "**", "`"] * 4 + ["***", "``"]),
                 st.lists(st.sampled_from(["word", "Two words", "x", "é", " "] * 5 + _SPAN_PARTS), min_size=1,
                          max_size=3).map("".join))
token = st.one_of(span, st.sampled_from(["word", "Text", "é", "x", "ǅ", "(w)", "w.", "w,"] * 3 + _SPAN_PARTS))
separator = st.sampled_from([" "] * 12 + ["", ", ", "(", ")", ". ", "!", "'", "\"", "a", ".", "  "])
span_text = st.builds(lambda first, rest, end: first + "".join(sep + tok for sep, tok in rest) + end,
                      token, st.lists(st.tuples(separator, token), max_size=8), st.sampled_from(["", ".", ")", " "]))
any_text = st.lists(st.sampled_from(_WORDS + [" "] * 4 + _SPANS + _SPECIAL), max_size=12).map("".join)


@settings(max_examples=5000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text, st.text(max_size=30)))
@example("R&D and A&B testing")
@example("x > y, so x -> z")
@example("Ends with a space ")
@example("Tab\tinside")
@example("Hello \ufdd20\ufdd3 world \ufdd01\ufdd1.")
@example("**Strong** start, *em* and `code <b> & more` (**in brackets**).")
@example("a **b**c")
def test_plain_paragraph_is_exactly_what_markdown_makes(text: str) -> None:
    fast = plain_paragraph(text)
    if fast is not None:
        assert fast == fresh_markdown(text)


# Paragraphs and lists, with the blank lines, indents and markers that change what Markdown makes of them.
clean_line = st.lists(st.sampled_from(["word", "Word", "*em*", "**strong**", "`code`", "(x)", "x.", "R&D", "é"]),
                      min_size=1, max_size=5).map(" ".join)
block_line = st.one_of(clean_line, clean_line, clean_line, mostly_plain_text, span_text,
                       st.sampled_from(["", " ", "Word.", "*", "1. x", "   - x", "Word ", "---", "==="]))
marked_line = st.tuples(st.sampled_from(["- ", "- ", "- ", "", "* ", "+ ", "1. ", "-", "  - ", "    "]), block_line) \
    .map("".join)
block_text = st.lists(st.tuples(marked_line, st.sampled_from(["\n", "\n", "\n\n", "\n\n", "\n\n\n", " \n"])),
                      min_size=1, max_size=6).map(lambda parts: "".join(line + end for line, end in parts)[:-1])


bullet_list = st.lists(st.one_of(clean_line, clean_line, block_line), min_size=1, max_size=4) \
    .map(lambda lines: "\n".join("- " + line for line in lines))
well_formed_blocks = st.lists(st.one_of(clean_line, bullet_list), min_size=1, max_size=4).map("\n\n".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(block_text, well_formed_blocks))
@example("Lead text.\n\n- one item\n- two **b**\n\nAfter.")
@example("- a\n- b")
def test_plain_blocks_are_exactly_what_markdown_makes(text: str) -> None:
    fast = plain_blocks(text)
    if fast is not None:
        assert fast == fresh_markdown(text)


def test_plain_blocks_take_paragraphs_and_lists() -> None:
    assert plain_blocks("Lead.\n\n- one\n- *two*\n\nEnd.") == \
        "<p>Lead.</p>\n<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>\n<p>End.</p>"
    for text in ("Lead\n- a", "- a\n\n- b\n", "1. a\n2. b", "- a\n  more", "a\n\n\nb"):
        assert plain_blocks(text) is None, text


def simple_formulas(text: str) -> list[str]:
    """MathJax's FindTeX as written (ts: input/tex/FindTeX.ts), with no budget: the oracle for tex.formulas."""
    found = []
    start_pattern = re.compile(r"\\\(|\\\[")
    position = 0
    while (start := start_pattern.search(text, position)) is not None:
        close = "\\)" if start.group() == "\\(" else "\\]"
        end_pattern = re.compile(re.escape(close) + r"|\\.|[{}]")
        braces, end = 0, None
        for token in end_pattern.finditer(text, start.end()):
            if token.group() == close and braces == 0:
                end = token.end()
                break
            braces += token.group() == "{"
            braces -= token.group() == "}" and braces > 0
        if end is None:
            position = start.end()
        else:
            found.append(text[start.start():end])
            position = end
    return found


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["\\(", "\\)", "\\[", "\\]", "{", "}", "\\{", "\\\\", "x", " ", "\\href", "\n",
                                 "\\"]), max_size=24).map("".join))
def test_tex_formulas_are_mathjax_findtex(text: str) -> None:
    from ankigen.tex import formulas

    assert list(formulas(text)) == simple_formulas(text)


def test_tex_formulas_past_the_budget_cover_all_of_mathjax_from_the_first_opening() -> None:
    from ankigen.tex import formulas

    text = "\\(a{" * 5000 + "\\(\\href{x}{y}\\)"
    found = list(formulas(text))
    assert any("\\href" in formula for formula in found)
    assert all(any(expected in formula for formula in found) for expected in simple_formulas(text[-40:]))


def simple_unsafe_command(field: str, is_cloze: bool) -> str | None:
    """tex.unsafe_command without shortcuts: every card view parsed, every formula found as MathJax does."""
    from ankigen import tex

    views = tex.card_views(field) if is_cloze and "{{c" in field else [field]
    return next((command for view in views for string in tex.typeset_strings(view)
                 for formula in simple_formulas(string) if (command := tex.disallowed_command(formula)) is not None),
                None)


# Commands allowed and not, pieces that join into one (across a comment, <wbr>, </br>, an entity or a
# cloze deletion inside math), and what ends MathJax's strings.
_FIELD_PARTS = ["<code>", "</code>", "<b>", "</b>", "<br>", "<wbr>", "</br>", "<!-- c -->", "<?p>", "<!d>", "</ >",
                "\\(", "\\)", "\\[", "\\]", "\\", "\\href", "\\text", "tip", "\\alpha", "\\al", "pha",
                "\\begin{matrix}", "\\begin{evil}", "\\color{red}", "\\color{#f00}", "&#92;", "&bsol;", "&amp;",
                "&#9", "2;", "x", " ", "{", "}", "<i>", "<span class=\"c\">"]
_CLOZE_PARTS = ["{{c1::", "{{c2::", "::hint", "}}"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_FIELD_PARTS), max_size=12).map("".join))
@example("\\(\\text<!-- -->tip{x}{y}\\)")
@example("\\(\\text<wbr>tip{x}{y}\\)")
@example("\\(\\text</br>tip{x}{y}\\)")
@example("\\(&#92;href{x}\\)")
@example("\\(\\\\href\\)")
def test_unsafe_command_finds_the_same_without_parsing_fields_that_hold_only_allowed_commands(field: str) -> None:
    from ankigen import tex

    assert tex.unsafe_command(field) == simple_unsafe_command(field, is_cloze=False)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_FIELD_PARTS + _CLOZE_PARTS * 3), max_size=14).map("".join))
@example("\\(\\text{{c1::tip}}{x}{y}\\)")
def test_unsafe_command_finds_the_same_on_every_card_of_a_cloze_field(field: str) -> None:
    from ankigen import tex

    assert tex.unsafe_command(field, is_cloze=True) == simple_unsafe_command(field, is_cloze=True)


# The sheet's HTML as mathml.py meets it: its blanks and filled answers, code, blocks and inline tags, text
# with delimiters and braces; well formed or not, but never a '<' inside an attribute value.
_SHEET_PARTS = ["<p>", "</p>", "<li>", "</li>", "<div class=\"q\">", "</div>", "<br>", "<b>", "</b>", "<span>",
                "</span>", "<code>", "</code>", "<pre>", "</pre>", "<CODE class=\"x\">", "<codex>",
                "<span class=\"gap\">", "<span class=\"gap-answer\">", "<span class=\"gap-hint\">",
                "<mark class=\"filled\">", "</mark>", "\\(", "\\)", "\\[", "\\]", "{", "}", "x", " ", "a b",
                "<img src=\"\\(x\\)\">"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_SHEET_PARTS), max_size=30).map("".join))
@example("<code><p>\\(x\\)</p></code>")
@example("<pre><code>a</code></pre><p>\\(x\\)</p></code><p>\\(y\\)</p>")
@example("<p>\\(a <span class=\"gap\"><span class=\"gap-answer\">b</span></span> c\\)</p>")
@example("<p>\\(a</span> <mark class=\"filled\">b</mark><b>\\)</b>\\(c\\)</p>")
def test_sheet_formulas_found_around_each_opening_are_the_ones_a_full_scan_finds(body: str) -> None:
    from ankigen import mathml

    assert list(mathml._formulas(body)) == list(mathml._formulas_between(body, 0, len(body)))


def test_plain_paragraph_takes_ordinary_sentences() -> None:
    assert plain_paragraph("Larger datasets help, but (often) not: 95% of the time & more!") == \
        "<p>Larger datasets help, but (often) not: 95% of the time &amp; more!</p>"
    assert plain_paragraph("**Bold**, *em* and `x<y`.") == \
        "<p><strong>Bold</strong>, <em>em</em> and <code>x&lt;y</code>.</p>"
    assert plain_paragraph("Significant when p < 0.05 (x < y).") == "<p>Significant when p &lt; 0.05 (x &lt; y).</p>"
    for text in ("- a list", "1. a list", "a**b**", "***both***", "a [link](x)", "a <b>tag</b>", "# heading",
                 "two\nlines", " leading space", "&amp; entity;", "a_b", "x | y", "* not em *",
                 "x <y", "a <=b"):
        assert plain_paragraph(text) is None, text


markdown_bits = st.sampled_from([
    "word ", "*em* ", "**strong** ", "`code` ", "[ref][r] ", "[^1] ", "HTML ", "\n\n", "\n", "- item\n", "1. one\n",
    "[r]: https://example.org\n", "[^1]: a footnote\n", "*[HTML]: HyperText\n", "Term\n: definition\n",
    "a | b\n--|--\n1 | 2\n", "```\ncode\n```\n", "<div markdown=\"1\">*x*</div>\n", "{: .c }\n", "# Title\n",
    "> quote\n", "<b>bold</b> ", "&amp; ", "\\* ",
])
documents = st.lists(st.lists(markdown_bits, max_size=8).map("".join), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_a_reused_converter_renders_each_document_like_a_fresh_one(texts: list[str]) -> None:
    for text in texts:  # abbreviations, footnotes and references of one document must not leak into the next
        assert sanitize_html(render._converter().reset().convert(text)) == fresh_markdown(text)


def test_generated_sources_render_the_same_without_the_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    texts = [generate.source_text(index, 120, seed=index) for index in range(4)]
    fast = [derive_deck(parse_source(text.encode(), f"s{i}.yaml")[0])[0] for i, text in enumerate(texts)]
    monkeypatch.setattr(render, "plain_blocks", lambda text: None)
    monkeypatch.setattr(render, "plain_paragraph", lambda text: None)
    monkeypatch.setattr(render, "_converter", lambda: markdown.Markdown(
        extensions=render._EXTENSIONS, extension_configs=render._extension_configs(), output_format="html"))
    slow = [derive_deck(parse_source(text.encode(), f"s{i}.yaml")[0])[0] for i, text in enumerate(texts)]
    assert [deck.notes for deck in fast] == [deck.notes for deck in slow]
    assert sum(len(deck.notes) for deck in fast) == 480


def parse_cloze_one_character_at_a_time(text: str) -> tuple[list[str], list[tuple[int, str, str]]]:
    """cloze.parse_cloze's scanner as first written, for comparison; the pieces and raw deletions."""
    from ankigen.cloze import _split_inner

    pieces: list[str] = []
    raw: list[tuple[int, str, str]] = []
    literal: list[str] = []
    escaped_open = False
    i = 0
    while i < len(text):
        if text.startswith(("\\{{", "\\}}"), i):
            escaped_open = text[i + 1] == "{"
            literal.append(text[i + 1:i + 3])
            i += 3
        elif escaped_open and text.startswith("}}", i):
            escaped_open = False
            literal.append("}}")
            i += 2
        elif text.startswith("{{", i):
            end = text.find("}}", i + 2)
            nested = text.find("{{", i + 2)
            if end < 0:
                raise ClozeSyntaxError(i, "never closed", "")
            if 0 <= nested < end:
                raise ClozeSyntaxError(nested, "nested", "")
            _, answer, hint = _split_inner(text[i + 2:end], i)
            raw.append((i, answer, hint))
            pieces.append("".join(literal))
            literal = []
            i = end + 2
        elif text.startswith("}}", i):
            raise ClozeSyntaxError(i, "no matching", "")
        else:
            literal.append(text[i])
            i += 1
    pieces.append("".join(literal))
    return pieces, raw


cloze_text = st.lists(st.sampled_from(["{", "}", "{{", "}}", "\\", "\\{{", "\\}}", "::", "c2::", "a", "word ", "`",
                                       "\n", "é"]), max_size=14).map("".join)


@settings(max_examples=2000, deadline=None)
@given(cloze_text)
@example("a {{b}} \\{{c}} d}} {{e::f}}")
def test_cloze_scanner_splits_like_one_character_at_a_time(text: str) -> None:
    try:
        expected = parse_cloze_one_character_at_a_time(text)
    except ClozeSyntaxError as exc:
        try:
            parse_cloze(text)
        except ClozeSyntaxError as got:
            assert got.offset == exc.offset
        else:
            raise AssertionError("parse_cloze accepted what the original scanner refused") from None
        return
    try:
        cloze = parse_cloze(text)
    except ClozeSyntaxError as exc:
        assert exc.message.startswith("more than")  # the one check after scanning
        return
    assert list(cloze.pieces) == expected[0]
    assert [(d.offset, d.answer, d.hint) for d in cloze.deletions] == expected[1]


def near_duplicates_every_pair(items: list) -> list:  # type: ignore[type-arg]
    """lint._near_duplicates as first written: every earlier text of a close length is a candidate."""
    import math

    from ankigen import lint

    ratio = lint.NEAR_DUPLICATE_RATIO
    bits: dict[tuple[str, int], int] = {}
    entries = []
    for item in items:
        text = tuple(lint.words(item.plain))
        seen: dict[str, int] = {}
        bag = 0
        for word in text:
            occurrence = seen[word] = seen.get(word, 0) + 1
            bag |= 1 << bits.setdefault((word, occurrence), len(bits))
        entries.append(lint._Entry(text, bag, item.item.text.location, item.item.kind,
                                   f"{item.myth.key}/{item.item.key}"))
    found = []
    exact: dict[tuple[str, ...], object] = {}
    by_length: dict[int, list[int]] = {}
    for index, entry in enumerate(entries):
        first = exact.setdefault(entry.words, entry)
        if first is not entry:
            found.append(lint._duplicate(entry, first, "the same as"))
            continue
        size = len(entry.words)
        shortest = math.ceil(size * ratio / (2 - ratio) - 1e-9)
        longest = math.floor(size * (2 - ratio) / ratio + 1e-9)
        candidates = sorted(
            earlier for length in range(shortest, longest + 1) for earlier in by_length.get(length, ())
            if 2 * (entries[earlier].bag & entry.bag).bit_count() >= ratio * (length + size))
        other = next((entries[i] for i in candidates
                      if lint._similarity(entries[i].words, entry.words, ratio) >= ratio), None)
        if other is not None:
            found.append(lint._duplicate(entry, other, "nearly the same as"))
        by_length.setdefault(size, []).append(index)
    return found


def _item_texts(texts: list[str]) -> list:  # type: ignore[type-arg]
    from types import SimpleNamespace

    from ankigen.model import Location

    return [SimpleNamespace(myth=SimpleNamespace(key=f"m{n}"), plain=text, item=SimpleNamespace(
        kind="technique", key=f"t{n}", text=SimpleNamespace(location=Location("x.yaml", n + 1, 1))))
        for n, text in enumerate(texts)]


# Texts from a few words, each a small edit of another, at lengths around the ratio's bounds.
_BASE = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]), min_size=0, max_size=24)
edited_texts = st.lists(st.tuples(_BASE, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(
    ["", "a", "b", "k", "l", "m"])), max_size=4)), min_size=1, max_size=12)


@settings(max_examples=1500, deadline=None)
@given(edited_texts)
def test_near_duplicate_search_finds_what_comparing_every_pair_finds(drafts: list) -> None:  # type: ignore[type-arg]
    from ankigen.lint import _near_duplicates

    texts: list[str] = []
    for base, edits in drafts:
        words = list(base) if not texts or len(texts) % 3 == 0 else texts[len(texts) // 2].split()
        for position, word in edits:  # replace, insert or delete a word
            if word and words and position % 3 == 0:
                words[position % len(words)] = word
            elif word:
                words.insert(position % (len(words) + 1), word)
            elif words:
                del words[position % len(words)]
        texts.append(" ".join(words))
    items = _item_texts(texts)
    assert _near_duplicates(items) == near_duplicates_every_pair(items)


def _row(s: object) -> list[object]:
    row = [s.key, s.kind, s.hash, s.mod]  # type: ignore[attr-defined]
    return [*row, s.high, [list(c) for c in s.clozes]] if s.high else row  # type: ignore[attr-defined]


def lock_bytes_with_json_dumps(lock: object) -> bytes:
    """lockfile.Lock.to_bytes as first written: json.dumps for every guid and note row."""
    import json

    dump = json.dumps
    lines = ["{", ' "version": 3,', ' "decks": {']
    decks = sorted(lock.decks.items())  # type: ignore[attr-defined]
    for index, (key, deck) in enumerate(decks):
        lines.append(f"  {dump(key)}: {{")
        lines.append(f'   "source": {dump(deck.source)},')
        lines.append(f'   "inputs": {dump(deck.inputs)},')
        lines.append(f'   "outputs": {dump(dict(sorted(deck.outputs.items())))},')
        lines.append(f'   "reads": {dump(dict(sorted(deck.reads.items())))},')
        lines.append(f'   "summary": {dump(deck.summary._asdict() if deck.summary else None)},')
        lines.append(f'   "latest": {dump(deck.latest)},')
        for section, notes in (("notes", deck.notes), ("removed", deck.removed)):
            rows = [f"    {dump(guid)}: {dump(_row(s), ensure_ascii=False)}"
                    for guid, s in sorted(notes.items())]
            body = ("\n" + ",\n".join(rows) + "\n   ") if rows else ""
            lines.append(f'   "{section}": {{{body}}}' + ("," if section == "notes" else ""))
        lines.append("  }" + ("," if index < len(decks) - 1 else ""))
    guids = sorted(lock.guids.items())  # type: ignore[attr-defined]
    lines.append(" },")
    lines.append(' "guids": ' + ("{" if guids else "{}"))
    if guids:
        lines.append(",\n".join(f"  {dump(path)}: {dump(guid)}" for path, guid in guids))
        lines.append(" }")
    lines += ["}", ""]
    return "\n".join(lines).encode("utf-8")


note_states = st.builds(lambda key, kind, digest, mod, high, clozes: (key, kind, digest, mod, high,
                                                                     tuple(clozes) if high else ()),
                        st.text(max_size=12),
                        st.sampled_from(["myth", "technique", "limitation", "é\"\\\n"]), st.text(max_size=16),
                        st.integers(0, 253_402_300_799), st.integers(0, 60),  # lockfile.LATEST_TIME: no other
                        st.lists(st.tuples(st.integers(1, 60), st.text(max_size=6)), max_size=3))


summaries = st.one_of(st.none(), st.builds(lambda name, counts: (name, *counts), st.text(max_size=8),
                                           st.tuples(*[st.integers(0, 10**6)] * 4)))
lock_decks = st.dictionaries(st.text(max_size=10), st.tuples(
    st.dictionaries(st.text(max_size=10), note_states, max_size=4),
    st.dictionaries(st.text(max_size=10), note_states, max_size=2), summaries,
    st.integers(0, 253_402_300_799)), max_size=3)


def make_lock(decks: dict, guids: dict | None = None) -> object:  # type: ignore[type-arg]
    from ankigen.lockfile import DeckState, DeckSummary, Lock, NoteState

    return Lock({key: DeckState(f"../cards/{key}.yaml", "abc", {"x.apkg": "123"},
                                {guid: NoteState(*row) for guid, row in notes.items()},
                                {guid: NoteState(*row) for guid, row in removed.items()},
                                DeckSummary(*summary) if summary else None, latest, {f"images/{key}.png": "456"})
                 for key, (notes, removed, summary, latest) in decks.items()}, guids or {})


lock_guids = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)


@settings(max_examples=300, deadline=None)
@given(lock_decks, lock_guids)
def test_lock_bytes_are_what_json_dumps_writes(decks: dict, guids: dict) -> None:  # type: ignore[type-arg]
    from ankigen.lockfile import LOCK_VERSION

    assert LOCK_VERSION == 3
    lock = make_lock(decks, guids)
    assert lock.to_bytes() == lock_bytes_with_json_dumps(lock)  # type: ignore[attr-defined]


def lock_contents(lock: object) -> dict:  # type: ignore[type-arg]
    return {key: (deck.source, deck.inputs, deck.outputs, deck.summary, deck.latest, deck.notes, deck.removed,
                  deck.reads)
            for key, deck in lock.decks.items()} | {"guids": lock.guids}  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(lock_decks, lock_guids)
def test_a_lock_read_as_written_is_the_lock_json_reads(tmp_path_factory: pytest.TempPathFactory,
                                                      decks: dict, guids: dict) -> None:  # type: ignore[type-arg]
    """read_lock takes a lock laid out as ankigen writes it apart by lines, its note rows left for later."""
    from ankigen import lockfile

    folder = tmp_path_factory.mktemp("lock")
    written = make_lock(decks, guids).to_bytes()  # type: ignore[attr-defined]
    (folder / "ankigen.lock").write_bytes(written)
    fast = lockfile.read_lock(folder)
    assert fast.to_bytes() == written  # unparsed entries are written back as they were read
    assert lock_contents(fast) == lock_contents(lockfile._read_any_layout(written.decode()))
    assert lockfile._read_as_written(written, "x") is not None  # the fast way was taken


def test_a_lock_not_laid_out_as_written_is_read_as_json_or_refused(tmp_path: Path) -> None:
    """Note rows are found apart without a regex over every row; a row line not as ankigen writes it (a merge's
    conflict marker, another indent) still sends the lock through json, which reads it or says it is damaged."""
    from ankigen import lockfile
    from ankigen.lockfile import NoteState

    rows = {f"g{n}": (f"m{n}", "myth", "h", n) for n in range(3)}
    written = make_lock({"deck": (rows, {}, None, 5)}).to_bytes()  # type: ignore[attr-defined]
    assert lockfile._read_as_written(written, "x") is not None
    row = b'    "g1": ["m1", "myth", "h", 1],\n'
    assert row in written
    reindented = written.replace(row, row[2:])  # still JSON
    assert lockfile._read_as_written(reindented, "x") is None
    (tmp_path / "ankigen.lock").write_bytes(reindented)
    assert lockfile.read_lock(tmp_path).decks["deck"].notes["g1"] == NoteState("m1", "myth", "h", 1)
    conflicted = written.replace(row, b"<<<<<<< HEAD\n" + row + b"=======\n>>>>>>> other\n")
    assert lockfile._read_as_written(conflicted, "x") is None
    (tmp_path / "ankigen.lock").write_bytes(conflicted)
    with pytest.raises(lockfile.LockError, match="cannot read the lock file"):
        lockfile.read_lock(tmp_path)


def collection_rows_by_genanki(deck: object, mods: dict[str, int], tombstones: list) -> dict[str, list]:  # type: ignore[type-arg]
    """apkg.py's collection as first written: genanki's own Note and Card objects writing one row at a time."""
    import itertools
    import sqlite3

    import genanki

    from ankigen import apkg, ids
    from ankigen.notetypes import all_notetypes, notetype_for
    from ankigen.revision import NOTETYPES_REVISED

    class PinnedNote(genanki.Note):  # type: ignore[misc]
        def __init__(self, note, model, suspended):  # type: ignore[no-untyped-def]
            super().__init__(model=model, fields=list(note.fields), tags=list(note.tags), guid=note.guid)
            self.note_id, self.mod, self.numbers, self.suspended = ids.note_id(note.guid), mods[note.guid], \
                note.card_numbers, suspended

        def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[no-untyped-def]
            super().write_to_db(cursor, self.mod, deck_id, itertools.count(self.note_id))

        @property
        def cards(self):  # type: ignore[no-untyped-def]
            if self.model.model_type == genanki.Model.CLOZE:
                return [genanki.Card(number - 1, self.suspended) for number in self.numbers]
            return [genanki.Card(0, self.suspended)]

    models = {notetype.id: apkg._genanki_model(notetype) for notetype in all_notetypes()}
    anki_deck = genanki.Deck(deck.deck_id, deck.name, description=deck.description_html)  # type: ignore[attr-defined]
    for note in deck.notes:  # type: ignore[attr-defined]
        anki_deck.add_note(PinnedNote(note, models[notetype_for(note.kind).id], False))
    for note in tombstones:
        anki_deck.add_note(PinnedNote(note, models[notetype_for(note.kind).id], True))
    connection = sqlite3.connect(":memory:")
    genanki.Package(anki_deck).write_to_db(connection.cursor(), NOTETYPES_REVISED, itertools.count())
    return collection_rows(connection)


def collection_rows(connection: object) -> dict[str, list]:  # type: ignore[type-arg]
    rows = {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # type: ignore[attr-defined]
            for table in ("col", "notes", "cards", "revlog", "graves")}
    rows["schema"] = connection.execute(  # type: ignore[attr-defined]
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    return rows


def test_collection_rows_are_the_ones_genanki_writes_note_by_note() -> None:
    import dataclasses
    import io
    import sqlite3
    import zipfile

    from ankigen.apkg import apkg_bytes

    deck = derive_deck(parse_source((ROOT / "cards" / "deep-learning-myths.yaml").read_bytes(), "d.yaml")[0])[0]
    assert deck.notes and any(note.is_cloze for note in deck.notes) and any(not n.is_cloze for n in deck.notes)
    removed = dataclasses.replace(deck.notes[-1], guid="removed-guid", tags=("ankigen::removed",))
    mods = {note.guid: 1_700_000_000 + index for index, note in enumerate([*deck.notes, removed])}
    data = apkg_bytes(deck, mods, [removed])
    connection = sqlite3.connect(":memory:")
    connection.deserialize(zipfile.ZipFile(io.BytesIO(data)).read("collection.anki2"))
    ours = collection_rows(connection)
    assert ours == collection_rows_by_genanki(deck, mods, [removed])
    assert len(ours["notes"]) == len(deck.notes) + 1
    assert len(ours["cards"]) == deck.card_count + len(removed.card_numbers)


def _database_bytes(write: object) -> bytes:
    import sqlite3

    from ankigen import apkg

    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(apkg._empty_collection())
        write(connection.cursor())  # type: ignore[operator]
        connection.commit()
        return connection.serialize()
    finally:
        connection.close()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**53), st.text(max_size=20), st.text(max_size=40), st.sampled_from(sorted(LANGUAGES)),
       st.permutations(range(3)), st.integers(1, 3))
@example(1, "Default", "", "en", [0, 1, 2], 3)  # the id of the collection's own default deck
@example(2**53, 'A "quoted" name\\', '"did": 1', "de", [2, 0, 1], 2)
def test_a_decks_collection_row_is_the_one_genanki_writes(deck_id: int, name: str, description: str, lang: str,
                                                          order: list[int], count: int) -> None:
    import itertools
    import types

    import genanki

    from ankigen import apkg
    from ankigen.notetypes import all_notetypes
    from ankigen.revision import NOTETYPES_REVISED

    notetypes = tuple(all_notetypes(lang)[index] for index in order[:count])  # the ones a deck's notes use
    anki_deck = genanki.Deck(deck_id, name, description=description)
    for notetype in notetypes:
        anki_deck.add_model(apkg._genanki_model(notetype))
    by_genanki = _database_bytes(lambda cursor: anki_deck.write_to_db(cursor, NOTETYPES_REVISED, itertools.count()))
    deck = types.SimpleNamespace(deck_id=deck_id, name=name, description_html=description)
    decks_json, models_json = apkg._col_json(deck, notetypes)  # type: ignore[arg-type]
    ours = _database_bytes(lambda cursor: (cursor.execute("UPDATE col SET decks = ?", (decks_json,)),
                                           cursor.execute("UPDATE col SET models = ?", (models_json,))))
    assert ours == by_genanki


@settings(max_examples=2000, deadline=None)
@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12), st.one_of(st.none(), st.text(max_size=12)))
@example("deep-learning-myths", "massive-datasets", None)
@example("deep-learning-myths", "massive-datasets", "transfer-learning")
def test_note_guids_are_the_ones_genanki_makes(deck: str, myth: str, item: str | None) -> None:
    """GUIDs are promised to users (Anki matches notes by them): ids.py computes genanki's guid_for itself."""
    from genanki.util import guid_for

    from ankigen.ids import note_guid

    parts = ["ankigen", deck, myth] + ([item] if item is not None else [])
    assert note_guid(deck, myth, item) == guid_for(*parts)


def parse_anki_cloze_with_one_regex(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, str, str], ...]]:
    """sheet.parse_anki_cloze as first written: one lazy regular expression."""
    import re

    pieces, gaps, start = [], [], 0
    for match in re.finditer(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", text, re.DOTALL):
        pieces.append(text[start:match.start()])
        gaps.append((int(match.group(1)), match.group(2), match.group(3) or ""))
        start = match.end()
    pieces.append(text[start:])
    return tuple(pieces), tuple(gaps)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["{{c", "{{", "{", "}}", "}", "::", ":", "c", "1", "12", "x", "<b>", " ", "\n",
                                 "{{c1::", "{{c2::a::h}}", "&#58;"]), max_size=20).map("".join))
def test_anki_cloze_parsing_finds_what_the_regex_found(text: str) -> None:
    from ankigen.sheet import parse_anki_cloze

    pieces, gaps = parse_anki_cloze(text)
    assert (pieces, tuple(tuple(gap) for gap in gaps)) == parse_anki_cloze_with_one_regex(text)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.sampled_from(["", "~", "null", "Null", "NULL", "nULL", "<<", "=", "yes", "2026-01-01", "1e3",
                                  ".inf", "0x1F", "True", "~x", "!", "&", "*"]), st.text(max_size=6)), st.booleans())
def test_the_loader_tells_apart_what_the_safe_loader_does(value: str, quoted: bool) -> None:
    """loader._Loader resolves only the scalars the reader tells apart; it takes the rest as text."""
    import yaml

    from ankigen.loader import _SCALAR_TAGS, _Loader

    assume(not value.endswith(("\n", "\r")))  # a plain scalar's line breaks are folded: it never ends in one
    ours = _Loader("").resolve(yaml.ScalarNode, value, (not quoted, True))
    safe = yaml.SafeLoader("").resolve(yaml.ScalarNode, value, (not quoted, True))
    special = {"tag:yaml.org,2002:" + name for name in ("null", "yaml")}
    text = _SCALAR_TAGS | {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}  # a plain '=' or '<<' is text
    assert ours == safe if safe in special else (ours == "tag:yaml.org,2002:str" and safe in text)


def test_a_deck_state_sent_to_another_process_is_the_same_state() -> None:
    """Worker processes send each deck's state as its lock entry (lockfile.DeckState.__reduce__)."""
    import pickle

    from ankigen.lockfile import DeckState, DeckSummary, Lock, NoteState

    state = DeckState("cards/é.yaml", "abc", {"x.apkg": "123", "x.html": "456"},
                      {"g1": NoteState("m/t", "technique", "h1", 5), "g\"2": NoteState("m", "myth", "h2", 6)},
                      {"g3": NoteState("m/old", "limitation", "h3", 7)}, DeckSummary("Deck ü", 1, 1, 1, 2))
    plain = pickle.loads(pickle.dumps(state))
    state.entry("x")
    sent = pickle.loads(pickle.dumps(state))
    assert state.entry("x") in pickle.dumps(state)  # one string, not a tuple per note
    for copy in (plain, sent):
        assert (copy.source, copy.inputs, copy.outputs, copy.summary, copy.notes, copy.removed) == \
            (state.source, state.inputs, state.outputs, state.summary, state.notes, state.removed)
        assert Lock({"x": copy}).to_bytes() == Lock({"x": state}).to_bytes()


@settings(max_examples=2000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, st.text(max_size=20)))
def test_render_inline_is_what_markdown_makes_without_the_paragraph(text: str) -> None:
    from ankigen.render import _PARAGRAPH, render_inline

    slow = fresh_markdown(text)
    single = _PARAGRAPH.match(slow)
    expected = single.group(1) if single and "<p>" not in single.group(1) else slow
    if "\\" not in text and not any("\ufdd0" <= char <= "\ufdd3" for char in text):  # (math set aside first)
        assert render_inline(text) == expected


nested = st.recursive(st.sampled_from(["x", "R&D", "", "a: b"]) | st.integers(0, 9),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner,
                                                                                  max_size=3), max_leaves=12)


def _deep(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(nested, st.integers(0, 40)), max_size=4), st.booleans())
def test_the_depth_check_of_files_without_anchors_finds_what_the_full_walk_finds(parts: list, flow: bool) -> None:  # type: ignore[type-arg]
    """loader._refuse_depth is _refuse_aliases_and_depth without the alias search, for files that cannot hold one."""
    import yaml

    from ankigen import loader

    text = yaml.safe_dump({"myths": [_deep(value, depth) for value, depth in parts]}, default_flow_style=flow)
    assert not loader._may_hold_anchors(text)
    root = yaml.compose(text, Loader=loader._Loader)
    assert loader._refuse_depth(root, "f.yaml") == loader._refuse_aliases_and_depth(root, text, "f.yaml")


@settings(max_examples=300, deadline=None)
@given(nested, st.booleans())
def test_a_file_with_an_anchor_is_always_searched_for_aliases(value: object, flow: bool) -> None:
    import yaml

    from ankigen import loader

    shared = [value, "x"]
    text = yaml.safe_dump({"a": shared, "b": [shared, {"c": shared}]}, default_flow_style=flow)  # anchors '&id001'
    assert "*id001" in text and loader._may_hold_anchors(text)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text("abc-", min_size=1, max_size=3), st.lists(st.text("xyz", max_size=4), max_size=4),
                       max_size=6),
       st.text("abc:-", min_size=1, max_size=6))
def test_true_statements_are_ranked_as_sorting_by_their_hash_ranks_them(myths: dict[str, list[str]],
                                                                         question: str) -> None:
    from ankigen import cards

    rendered = {key: cards._MythTexts(key, key, tuple(cards.Statement(f"{key}:{guid}", f"<p>{guid}</p>")
                                                       for guid in guids), key)
                for key, guids in myths.items()}
    for excluded in [*myths, "none"]:
        others = [statement for key, texts in rendered.items() if key != excluded for statement in texts.statements]
        expected = sorted(others, key=lambda statement: cards._rank(question, statement.guid))
        assert cards._RankedStatements(rendered).ranked(question, excluding=excluded) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12).filter(str.isalnum))
@example("1")
@example("42")
@example("ǅ")
@example("²")
def test_a_one_word_answer_is_what_markdown_makes_of_it(word: str) -> None:
    assert render.render_inline(word) == word
