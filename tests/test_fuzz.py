"""Property tests: whatever a source holds, ankigen answers with diagnostics or a deck, never a crash.

- Arbitrary documents (near-valid decks with hostile field text, random YAML
  trees, raw text and bytes) given to ``ankigen check`` and ``ankigen build``:
  exit 0, or exit 1 with every line a ``path:line:col: error|warning:``
  diagnostic (plus build's summary line); never exit 3, never a traceback.
- Arbitrary text with cloze markers: ``parse_cloze`` refuses it with a
  ClozeSyntaxError, or the rendered field's cloze markup is balanced and
  numbered as parsed.
- Random valid cloze texts imported into the real Anki backend: every card
  Anki makes has a non-empty question that differs from its answer.
- A cloze mistake is reported at its braces, whichever YAML style (plain,
  quoted, literal, folded, wrapped) spells the text.
- Sanitised HTML holds nothing that runs or loads, and sanitising it again
  changes nothing (a second parser would read it the same way).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ankigen.cli import cli
from ankigen.cloze import ClozeSyntaxError, Deletion, parse_cloze
from ankigen.loader import parse_source
from ankigen.render import render_cloze
from ankigen.sanitize import sanitize_html
from tests.anki_collection import import_apkg, notes_by_guid, open_collection, rendered_cards
from tests.html_safety import dangers

DIAGNOSTIC = re.compile(r"^.+:\d+:\d+: (error|warning): .+$")
SUMMARY = re.compile(r"^error: \d+ error\(s\); nothing was written$")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies --------------------------------------------------------------------

# Pieces that stress the cloze parser, Markdown, the sanitiser and YAML at once.
_PIECES = ["{{", "}}", "::", "c1::", "c2::", "c51::", "\\{{", "\\}}", "`", "**", "_", "<b>", "</b>", "<script>",
           "</script>", "<!--", "-->", '<a href="', '">', "javascript:", "[a](", ")", "![i](", "x.png", "\\(", "\\)",
           "&#123;", "&amp;", "\n", "\n\n", "- ", "# ", ": ", "#", "'", '"', "no", "yes", "~", "\t", "\ufeff",
           "\u2028", "\x85", "\ue002", "\ue0030\ue003", "\ufdd2", "\ufdd20\ufdd3", " "]
field_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=4)), max_size=10).map("".join),
    st.text(max_size=30),
)
# Texts a required field accepts (not empty), hostile after their first word.
prose = st.builds(lambda word, rest: f"{word} {rest}", st.sampled_from(["A", "The", "no", "yes", "<b>It</b>"]),
                  field_text)
keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.0123456789", min_size=1, max_size=12)
_FORMAT_KEYS = ["deck", "id", "description", "source", "tags", "myths", "myth", "fact", "techniques",
                "limitations", "name", "text", "title", "author", "date", "url"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), field_text)
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(_FORMAT_KEYS), field_text), children, max_size=5)), max_leaves=25)


@st.composite
def near_valid_decks(draw: st.DrawFn) -> Any:
    """A deck of the right shape whose texts are hostile, with now and then one thing wrong in its structure."""
    def item(number: int) -> dict[str, Any]:
        return {"name": draw(prose), "id": f"{draw(keys)}{number}", "text": draw(prose)}

    myths = []
    for number in range(draw(st.integers(1, 3))):
        myth: dict[str, Any] = {"id": f"{draw(keys)}{number}", "myth": draw(prose), "fact": draw(prose)}
        for kind in ("techniques", "limitations"):
            myth[kind] = [item(number * 10 + index) for index in range(draw(st.integers(0, 2)))]
        myths.append(myth)
    deck: dict[str, Any] = {"deck": draw(prose), "id": draw(keys), "tags": draw(st.lists(prose, max_size=2)),
                            "description": draw(prose), "myths": myths}
    if draw(st.booleans()):  # one structural change: a key dropped, renamed, or given any value
        target = draw(st.sampled_from([deck, *myths]))
        key = draw(st.sampled_from(sorted(target)))
        change = draw(st.sampled_from(["drop", "rename", "retype"]))
        value = target.pop(key)
        if change == "rename":
            target[draw(st.sampled_from(_FORMAT_KEYS))] = value
        elif change == "retype":
            target[key] = draw(trees)
    return deck


def _dump(document: Any, flow: bool) -> str:
    return yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow, sort_keys=False)


documents = st.one_of(
    st.builds(_dump, near_valid_decks(), st.booleans()).map(str.encode),
    st.builds(_dump, trees, st.booleans()).map(str.encode),
    st.text(max_size=200).map(str.encode),  # raw text: mostly invalid YAML
    st.binary(max_size=200),
    # a valid deck with one line replaced by random text: indentation and syntax mistakes
    st.builds(lambda lines, at, junk: "\n".join([*lines[:at % len(lines)], junk, *lines[at % len(lines) + 1:]]),
              st.just(_dump({"deck": "D", "id": "d", "myths": [{"id": "m", "myth": "A.", "fact": "B.", "techniques": [
                  {"id": "t", "name": "N", "text": "It {{does}} this."}]}]}, False).splitlines()),
              st.integers(0, 100), field_text).map(str.encode),
)


# -- the command line never crashes ------------------------------------------------------

def _assert_diagnostics_only(stderr: str, summary_allowed: bool) -> None:
    for line in stderr.splitlines():
        assert DIAGNOSTIC.match(line) or (summary_allowed and SUMMARY.match(line)), line


@FAST
@given(data=documents)
def test_any_document_gets_diagnostics_or_a_deck_never_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "fuzz.yaml"
        source.write_bytes(data)
        checked = CliRunner().invoke(cli, ["check", str(source)])
        assert checked.exit_code in (0, 1), checked.output
        assert "Traceback" not in checked.output
        _assert_diagnostics_only(checked.stderr, summary_allowed=False)
        assert checked.exit_code == 0 or ": error: " in checked.stderr

        built = CliRunner().invoke(cli, ["build", str(source), "-o", str(Path(folder) / "decks"),
                                         "--format", "apkg,html"])
        assert built.exit_code == checked.exit_code, built.output
        assert "Traceback" not in built.output
        _assert_diagnostics_only(built.stderr, summary_allowed=True)
        written = sorted(path.suffix for path in (Path(folder) / "decks").glob("*"))
        assert written == ([] if built.exit_code else [".apkg", ".html", ".lock"])


# -- cloze markup is balanced ---------------------------------------------------------------

_MARKUP = re.compile(r"\{\{|\}\}")


def _deletions_in(field: str) -> list[int]:
    """The cloze numbers in a field, after checking that Anki reads its markup as meant.

    Its '{{' and '}}' pair up without nesting; no brace touches them ('{{{c2::',
    '}}}' shift where Anki sees a deletion start or end); no ':::' (Anki splits an
    answer from its hint at the first '::', so 'a:' + '::hint' loses the colon).
    """
    assert "{{{" not in field and "}}}" not in field, field
    assert all(":::" not in inner for inner in re.findall(r"\{\{c\d+::(.*?)\}\}", field, re.DOTALL)), field
    numbers = []
    depth = 0
    for match in _MARKUP.finditer(field):
        depth += 1 if match.group() == "{{" else -1
        assert depth in (0, 1), field
        if match.group() == "{{":
            opened = re.match(r"\{\{c(\d+)::", field[match.start():])
            assert opened, field
            numbers.append(int(opened.group(1)))
    assert depth == 0, field
    return numbers


@settings(max_examples=400, deadline=None)
@given(text=field_text)
def test_cloze_text_is_refused_or_renders_balanced_markup(text: str) -> None:
    try:
        cloze = parse_cloze(text)
        field = render_cloze(cloze, Deletion(1, "Name", "", 0))
    except ClozeSyntaxError as exc:
        assert 0 <= exc.offset < len(text) and exc.message and exc.hint
        return
    assert len(cloze.pieces) == len(cloze.deletions) + 1
    assert sorted(_deletions_in(field)) == sorted([1, *(deletion.number for deletion in cloze.deletions)])


# -- and Anki agrees ------------------------------------------------------------------

# Noncharacters, which the loader refuses (tests/cases/noncharacter.yaml), like control characters.
_NONCHARACTERS = "".join(chr(code) for code in range(0xFDD0, 0xFDF0)) + \
    "".join(chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
_words = st.text(alphabet=st.characters(blacklist_characters="{}\\:\r" + _NONCHARACTERS,
                                        blacklist_categories=("Cs", "Cc")), max_size=12)
_answers = _words.filter(lambda word: word.strip() != "")


@st.composite
def cloze_texts(draw: st.DrawFn) -> str:
    parts = [draw(_words)]
    for _ in range(draw(st.integers(1, 4))):
        answer = draw(_answers)
        number = draw(st.integers(2, 9))
        deletion = draw(st.sampled_from([
            f"{{{{{answer}}}}}", f"{{{{{answer}::a hint}}}}", f"{{{{c{number}::{answer}}}}}"]))
        parts += [deletion, draw(_words)]
    return "".join(parts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(cloze_texts(), min_size=1, max_size=4))
def test_anki_renders_every_cloze_card_with_a_question_that_hides_its_answer(texts: list[str]) -> None:
    for text in texts:
        try:
            render_cloze(parse_cloze(text))
        except ClozeSyntaxError:
            assume(False)  # e.g. an answer that Markdown turns into a link address
    items = [{"id": f"t{index}", "name": f"Item {index}", "text": text} for index, text in enumerate(texts)]
    source = {"deck": "Fuzz", "id": "fuzz", "myths": [{"id": "m", "myth": "A myth.", "fact": "A fact.",
                                                       "techniques": items}]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(_dump(source, False), "utf-8")
        built = CliRunner().invoke(cli, ["build", str(path), "-o", str(Path(folder) / "decks"), "--format", "apkg"])
        assert built.exit_code == 0, built.output
        col = open_collection(folder)
        try:
            import_apkg(col, Path(folder) / "decks" / "fuzz.apkg")
            notes = notes_by_guid(col)
            cards = [card for card in rendered_cards(col) if card.notetype_name == "ankigen: Cloze"]
            for guid, note in notes.items():
                if "Text" in note.fields:
                    expected = set(_deletions_in(note.fields["Text"]))
                    assert {card.ord + 1 for card in cards if card.note_guid == guid} == expected
            for card in cards:
                assert card.question_text, card
                assert card.question_html != card.answer_html, card
                assert "cloze" in card.question_html, card
        finally:
            col.close()


# -- a cloze mistake is reported at its brace, however the YAML spells the text -----------------

_plain = st.text(alphabet=st.sampled_from(list("abc xyz.,;!?'\"#:-{}\n")), max_size=40)
_mistaken_text = st.builds(lambda before, mistake, after: before + mistake + after, _plain,
                           st.sampled_from(["{{", "}}", "{{ }}", "{{a {{b}}", "{{c0::x}}", "{{::hint}}"]), _plain)


@settings(max_examples=300, deadline=None)
@given(text=_mistaken_text, style=st.sampled_from([None, "'", '"', "|", ">"]), width=st.integers(10, 80))
def test_a_cloze_mistake_points_at_its_brace_in_any_yaml_style(text: str, style: str | None, width: int) -> None:
    try:
        parse_cloze(text)
    except ClozeSyntaxError as exc:
        offset = exc.offset
    else:
        assume(False)
    source = {"deck": "D", "id": "d", "myths": [{"id": "m", "myth": "A.", "fact": "B.", "techniques": [
        {"id": "t", "name": "N", "text": text}]}]}
    written = yaml.dump(source, default_style=style, width=width, allow_unicode=True, sort_keys=False)
    _, diagnostics = parse_source(written.encode(), "x.yaml")
    (diagnostic,) = [d for d in diagnostics if d.message.startswith(("'{{'", "'}}'", "cloze", "empty cloze"))]
    line = written.splitlines()[diagnostic.location.line - 1]
    assert line[diagnostic.location.column - 1:].startswith(text[offset:offset + 2]), (written, diagnostic)


# -- the sanitiser ----------------------------------------------------------------------------

_HTML_PIECES = ["<", ">", "</", "/>", "<a", "<img", "<script", "</script>", "<svg", "<style", "<b", "<!--", "-->",
                "<![CDATA[", "]]>", "<?", "&", "&#", "&#x3c;", "&Tab;", " href=", " src=", " onerror=", " on", "=",
                '"', "'", "javascript:", "data:", "//", "\x01", "\t", "\n", " ", "<textarea>", "<title>", "<noscript>",
                "<math>", "<table>", "<td>", "<template>", "<iframe", "<embed>", '<a href="', '">', "\\(", "\\)",
                "\\href{", "}"]
html_fragments = st.lists(st.one_of(st.sampled_from(_HTML_PIECES), st.text(max_size=3)), max_size=25).map("".join)


@settings(max_examples=500, deadline=None)
@given(markup=html_fragments)
def test_sanitised_html_is_safe_and_sanitising_it_again_changes_nothing(markup: str) -> None:
    once = sanitize_html(markup)
    # TeX passes the sanitiser as text; cards refuse the dangerous kind (tests/cases/tex-*.yaml)
    assert [found for found in dangers(once) if not found.startswith("TeX")] == [], once
    assert sanitize_html(once) == once
