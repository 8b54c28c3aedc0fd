"""The load stage's fast paths agree with the simple versions they replace (kept here or in the module as oracles).

cloze.py: text without a backslash, or whose markup is as written (``_markup_as_written``: no escapes, no
'{{' or '}}' inside math), is split with str.find (``_parse_without_backslash``) instead of the scanner that
knows escapes and math (``_parse_any``), the usual text first by ``_parse_plain``; ``_cloze_text`` makes a
ClozeText without the dataclass ``__init__``.
loader.py: ``_text_record`` makes a Text without the dataclass ``__init__``; a value holding only the file's own
characters is not searched for characters a value may not hold when the file's bytes hold none (``raw_is_text``);
Item, Myth and Location tuples are made without their NamedTuple ``__new__``.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import cloze, loader
from ankigen.cloze import ClozeSyntaxError, ClozeText
from tests.case_corpus import CASES


def outcome(parse: object, text: str, first_number: int) -> ClozeText | tuple[int, str, str]:
    """What a parser makes of ``text``: the parsed text, or the error a user would see (offset, message, hint)."""
    try:
        return parse(text, first_number)  # type: ignore[operator, no-any-return]
    except ClozeSyntaxError as exc:
        return exc.offset, exc.message, exc.hint


# Everything that means something to a cloze without a backslash, and what sits close to it.
backslash_free = st.lists(st.sampled_from(["{", "}", "{{", "}}", "{{{", "}}}", ":", "::", ":::", "c2::", "C3::",
                                           "c 4::", "c51::", "c0::", "c1::", "a", "word ", " ", "`", "\n", "é",
                                           "$", "text", "#"]), max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(backslash_free, st.integers(min_value=1, max_value=3))
@example("a {{b}} c}} {{e::f}}", 2)
@example("{{a}}" * 51, 2)
@example("{{c3::a}} {{b}} {{c}} {{c2::d}}", 2)
@example("{{{a}}}}", 2)
@example("x{{{{b}}}}", 2)
def test_text_without_a_backslash_parses_as_the_general_scanner_parses_it(text: str, first_number: int) -> None:
    assert outcome(cloze._parse_without_backslash, text, first_number) == \
        outcome(cloze._parse_any, text, first_number)


@settings(max_examples=3000, deadline=None)
@given(backslash_free, st.integers(min_value=1, max_value=3))
@example("a {{b}} c {{d e}}", 2)
@example("{{a}}}", 2)
@example("{{{a}} b", 2)
@example("{{a}} }} {{b}}", 2)
@example("{{ }} {{a}}", 2)
@example("a {{b::c}} d {{e :: f }} {{g::}} {{h::i::j}} {{k::l:m}}", 2)
@example("{{ b::c}}", 2)
@example("{{c::d}} {{C::d}} {{c2::d}}", 2)
@example("{{`a::b`::c}} {{a`::b`}}", 2)
@example("{{::b}}", 2)
@example("{{ ::b}}", 2)
@example("{{a}}" * 51, 2)
def test_the_usual_text_is_split_as_the_general_scanner_splits_it_or_left_to_it(text: str, first_number: int) -> None:
    """cloze._parse_plain answers only for the usual text, and then as _parse_any does."""
    plain = cloze._parse_plain(text, first_number)
    if plain is not None:
        assert plain == cloze._parse_any(text, first_number)
    elif text.count("{{") <= 3 and "::" not in text and ":" not in text and "}}}" not in text and "{{{" not in text:
        assert isinstance(outcome(cloze._parse_any, text, first_number), tuple)  # left to it: a mistake


def test_every_backslash_free_cloze_in_the_case_corpus_parses_the_same() -> None:
    """Each '{{' line of a hostile case, and each of its quoted values, whole."""
    seen = 0
    for path in sorted(CASES.iterdir()):
        for line in path.read_text("utf-8", "replace").splitlines():
            for text in {line, line.partition(": ")[2].strip("'\"")}:
                if ("{" in text or "}" in text) and "\\" not in text:
                    seen += 1
                    assert outcome(cloze._parse_without_backslash, text, 2) == outcome(cloze._parse_any, text, 2)
    assert seen > 50


def test_parse_cloze_reads_escapes_and_math_as_the_general_scanner_does() -> None:
    assert cloze.parse_cloze("{{a}} and {{b::hint}}") == cloze._parse_any("{{a}} and {{b::hint}}", 2)
    assert cloze.parse_cloze(r"\(x{{a}}\) \{{b}}") == cloze._parse_any(r"\(x{{a}}\) \{{b}}", 2)
    assert [d.number for d in cloze.parse_cloze("{{a}} {{c2::b}} {{c}}").deletions] == [3, 2, 4]


# Text with formulas and escapes too: what makes a backslash mean something to a cloze, and what sits close to it.
any_cloze_text = st.lists(st.sampled_from(["{", "}", "{{", "}}", "::", "c2::", "c3::", "a", " ", "`", "\\", "\\\\",
                                           "\\(", "\\)", "\\[", "\\]", "\\{{", "\\}}", "\\frac", "$", "x{y}",
                                           "{a}{b}", "\n", "_"]), max_size=24).map("".join)


@settings(max_examples=4000, deadline=None)
@given(any_cloze_text, st.integers(min_value=1, max_value=3))
@example(r"{{a}} \(p_i\)", 2)
@example(r"\( {{\frac{s}{n}}} \) {{b}}", 2)
@example(r"\(x}}\) {{a}}", 2)
@example(r"{{a \(x\) b}} \[y\]", 2)
@example(r"\{{a}} \(x\)", 2)
@example(r"{{a\(}}\)", 2)
def test_text_whose_markup_is_as_written_parses_as_the_general_scanner_parses_it(text: str,
                                                                                   first_number: int) -> None:
    """cloze._markup_as_written lets a text with backslashes take the str.find scanner: only when it agrees."""
    if cloze._markup_as_written(text):
        assert outcome(cloze._parse_without_backslash, text, first_number) == \
            outcome(cloze._parse_any, text, first_number)
    assert outcome(cloze.parse_cloze, text, first_number) == outcome(cloze._parse_any, text, first_number)


def test_every_cloze_in_the_case_corpus_and_the_cards_parses_as_the_general_scanner_parses_it() -> None:
    """Each line of a hostile case or of the example cards, and each of its quoted values, whole; with the
    backslashes of a double-quoted value read as YAML reads them, and as written."""
    seen = 0
    for path in [*sorted(CASES.iterdir()), *sorted((CASES.parent.parent / "cards").glob("*.yaml"))]:
        for line in path.read_text("utf-8", "replace").splitlines():
            value = line.partition(": ")[2].strip("'\"")
            for text in {line, value, value.replace("\\\\", "\\")}:
                if "{" in text or "}" in text or "\\" in text:
                    seen += "\\" in text and cloze._markup_as_written(text)
                    assert outcome(cloze.parse_cloze, text, 2) == outcome(cloze._parse_any, text, 2), text
    assert seen > 20


def test_records_made_without_their_dataclass_init_are_the_records() -> None:
    """loader._text_record and cloze._cloze_text skip the frozen dataclasses' __init__: the same records."""
    import pickle
    from dataclasses import FrozenInstanceError

    from ankigen.model import Location, Text

    where = Location("f.yaml", 3, 7)
    for exact, written in ((True, ""), (False, "|\n  a\n  b")):
        made, expected = loader._text_record("a b", where, exact, written), Text("a b", where, exact, written)
        assert type(made) is Text and made == expected and hash(made) == hash(expected)
        assert repr(made) == repr(expected) and vars(made) == vars(expected) and made.written == written
        assert pickle.loads(pickle.dumps(made)) == expected and made.at(1) == expected.at(1)
        with pytest.raises(FrozenInstanceError):
            made.source = "b"  # type: ignore[misc]
    assert made != loader._text_record("a c", where, False, written)
    deletion = cloze.Deletion(2, "b", "", 2)
    made_cloze = cloze._cloze_text(("a ", " c"), (deletion,))
    assert type(made_cloze) is ClozeText and made_cloze == ClozeText(("a ", " c"), (deletion,))
    assert vars(made_cloze) == vars(ClozeText(("a ", " c"), (deletion,)))
    assert hash(made_cloze) == hash(ClozeText(("a ", " c"), (deletion,))) and repr(made_cloze).startswith("ClozeText(")


def test_no_printable_character_is_one_a_value_may_not_hold() -> None:
    """loader._Reader.scalar skips the _NOT_TEXT search for str.isprintable() values: every code point agrees."""
    from ankigen.loader import _NOT_TEXT

    refused = [chr(code) for code in range(0x110000) if _NOT_TEXT.match(chr(code))]
    assert len(refused) == 29 + 1 + 31 + 2048 + 32 + 2  # C0 but tab and breaks, DEL, C1 but NEL, surrogates, nonchars
    assert not any(char.isprintable() for char in refused)




def test_yaml_refuses_every_character_a_value_may_not_hold_written_as_it_is_but_the_noncharacters() -> None:
    """loader._Reader.raw_is_text: a file whose bytes hold no U+FDD0..U+FDEF gets a refused character into a
    value only through a double-quoted escape, because YAML refuses the others written as they are."""
    from ankigen.loader import _NONCHARACTERS_UTF8, _NOT_TEXT

    let_through = []
    for code in range(0x110000):
        char = chr(code)
        if not _NOT_TEXT.match(char) or 0xD800 <= code <= 0xDFFF:  # (UTF-8 cannot hold a lone surrogate)
            continue
        for source in (f"a: x{char}y\n", f'a: "x{char}y"\n', f"a: |\n  x{char}y\n"):
            try:
                yaml.compose(source, Loader=loader._Loader)
            except yaml.YAMLError:
                continue
            let_through.append(char)
            assert _NONCHARACTERS_UTF8 in char.encode("utf-8")
    assert {ord(char) for char in let_through} == set(range(0xFDD0, 0xFDF0))


# Values as a source may write them: each style, with escapes and characters a value may not hold.
_value_parts = st.sampled_from(["a", " ", "b c", "\ufdd0", "\x1f", "\u0085", "\t", "é", "\\", "\\x1f", "\\ufdd0",
                                "\\u0007", "\\U0010fffe", "\\n", "\\\\", "\\ ", "#", "'"])


def _written(value: str, style: str) -> str:
    if style == '"':
        return '"' + value.replace('"', "") + '"'
    if style == "'":
        return "'" + value.replace("'", "''").replace("\\", "") + "'"
    if style == "|":
        return "|\n      " + value.replace("\\", "")
    return "x " + value.replace("\\", "").replace("#", "").strip()


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.lists(_value_parts, min_size=1, max_size=6).map("".join),
                          st.sampled_from(['"', "'", "|", ""])), min_size=1, max_size=4),
       st.sampled_from(["myth", "fact", "id", "tags", "deck"]))
def test_values_are_checked_for_characters_they_may_not_hold_as_the_simple_reader_checks_them(
        values: list[tuple[str, str]], where: str) -> None:
    """parse_source skips the search of a value that holds only the file's own characters (``raw_is_text``):
    what it reports is what the reader that searches every value reports."""
    written = [_written(value, style) for value, style in values]
    myth = {"myth": written[0], "fact": written[-1], "id": "m", "tags": "[t]"}
    if where in myth:
        myth[where] = written[len(written) // 2] if where != "tags" else "[" + ", ".join(
            w.replace(",", "").replace("[", "").replace("]", "") for w in written if "\n" not in w) + "]"
    deck = written[1 % len(written)] if where == "deck" else "D"
    text = f"deck: {deck}\nmyths:\n  - " + "\n    ".join(f"{key}: {value}" for key, value in myth.items()) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    now, simple = parse_source_now(data, "f.yaml"), parse_source_depth_first(data, "f.yaml")
    assert now == simple


nested = st.recursive(st.sampled_from(["x", "", "a: b"]) | st.integers(0, 9),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner,
                                                                                  max_size=3), max_leaves=10)


def _deep(value: object, depth: int, mapping: bool) -> object:
    for _ in range(depth):
        value = {"k": value} if mapping else [value]
    return value


def parse_source_depth_first(data: bytes, path: str) -> tuple[object, list[object], list[object]]:
    """loader.parse_source as first written: the depth of every file walked before it is read (the oracle)."""
    text, problem = loader._decode(data, path)
    if problem is not None:
        return None, [problem], []
    try:
        root = yaml.compose(text, Loader=loader._Loader)
    except (yaml.YAMLError, RecursionError):
        return (*loader.parse_source(data, path), [])  # refused before any walk: no reading to reorder
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == loader._YAML + "null" and not root.value):
        return (*loader.parse_source(data, path), [])
    refused = loader._refuse_aliases_and_depth(root, text, path)
    if refused:
        return None, list(refused), []
    reader = loader._Reader(path, text)
    deck = reader.deck(root, "")
    return (deck if not reader.diagnostics else None), list(reader.diagnostics), list(reader.texts)


def parse_source_now(data: bytes, path: str) -> tuple[object, list[object], list[object]]:
    texts: list[object] = []
    deck, problems = loader.parse_source(data, path, texts=texts)  # type: ignore[arg-type]
    return deck, list(problems), texts


# A source that reads cleanly; any value (or the whole entry) can be replaced by something deep.
_GOOD = {"deck": "D", "id": "d", "description": "about", "source": {"title": "T", "author": "A"}, "tags": ["t"],
         "myths": [{"id": "m", "myth": "M", "fact": "F", "tags": ["a"], "true_statements": [{"text": "S"}],
                    "techniques": [{"name": "N", "text": "a {{b}} c", "was": "x"}],
                    "limitations": [{"name": "L", "id": "l", "text": "{{c2::d}} e"}], "was": "old"}]}


def _places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in ``value`` (a path of keys and indexes) a deep value can be put."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _places(inner, (*path, index))
    return found


def _put(value: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    if isinstance(value, dict):  # (a key it does not have yet is added)
        return {**value, path[0]: _put(value.get(path[0]), path[1:], new)}
    assert isinstance(value, list) and isinstance(path[0], int)
    return [_put(inner, path[1:], new) if index == path[0] else inner for index, inner in enumerate(value)]


@settings(max_examples=600, deadline=None)
@given(st.sampled_from([*_places(_GOOD), ("extra",), ("myths", 0, "extra"), ("source", "url")]), nested,
       st.integers(0, 36), st.booleans(), st.booleans(), st.booleans())
@example((), [], 0, False, False, False)
@example(("myths", 0, "techniques", 0, "text"), [1], 32, False, False, False)
@example(("myths", 0, "extra"), [1], 33, True, False, False)
@example(("source", "url"), {}, 31, True, True, False)
def test_a_file_is_told_it_is_too_deep_as_if_depth_were_checked_before_reading(
        place: tuple[object, ...], value: object, depth: int, mapping: bool, flow: bool, anchor: bool) -> None:
    """parse_source checks depth only when a read finds problems; the outcome is the depth-first one."""
    text = yaml.safe_dump(_put(_GOOD, place, _deep(value, depth, mapping)), default_flow_style=flow, allow_unicode=True)
    if anchor:
        text = text.replace("deck: D", "deck: &a D", 1)
    data = text.encode()
    assert parse_source_now(data, "f.yaml") == parse_source_depth_first(data, "f.yaml")


def test_every_case_is_read_as_if_depth_were_checked_before_reading() -> None:
    for path in sorted(CASES.iterdir()):
        if path.suffix == ".yaml":
            data = path.read_bytes()
            assert parse_source_now(data, path.name) == parse_source_depth_first(data, path.name), path.name


class ResolvingLoader(loader._BaseLoader):  # type: ignore[misc, name-defined]
    """loader._Loader as first written: BaseResolver's path-resolver hooks, and its resolve for collections."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return loader._PLAIN_TAGS.get(value, loader._STR_TAG) if implicit[0] else loader._STR_TAG
        return str(super().resolve(kind, value, implicit))


def _tree(node: yaml.Node | None) -> object:
    """Everything the reader and the messages use of a node tree."""
    if node is None:
        return None
    marks = [(mark.index, mark.line, mark.column) for mark in (node.start_mark, node.end_mark)]
    if isinstance(node, yaml.ScalarNode):
        return type(node).__name__, node.tag, node.value, node.style, marks
    parts = [(_tree(key), _tree(value)) for key, value in node.value] if isinstance(node, yaml.MappingNode) else \
        [_tree(child) for child in node.value]
    return type(node).__name__, node.tag, parts, node.flow_style, marks


def test_the_loader_composes_every_case_and_the_example_as_the_resolving_loader_does() -> None:
    sources = [path.read_bytes() for path in sorted(CASES.glob("*.yaml"))] + \
        [path.read_bytes() for path in sorted((CASES.parent.parent / "cards").glob("*.yaml"))]
    composed = 0
    for data in sources:
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
            expected = _tree(yaml.compose(text, Loader=ResolvingLoader))
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
            continue
        composed += 1
        assert _tree(yaml.compose(text, Loader=loader._Loader)) == expected
    assert composed > 100


def test_locations_made_without_the_named_tuple_constructor_are_locations() -> None:
    from ankigen.model import Location

    texts: list[object] = []
    deck, problems = loader.parse_source(yaml.safe_dump(_GOOD).encode(), "f.yaml", texts=texts)  # type: ignore[arg-type]
    assert deck is not None and not problems
    myth = deck.myths[0]
    for location in (deck.location, myth.location, myth.myth.location, myth.techniques[0].location,
                     *(text.location for text in texts)):  # type: ignore[attr-defined]
        assert type(location) is Location and location == Location("f.yaml", location.line, location.column)
        assert location.path == "f.yaml" and location.line >= 1


def test_items_and_myths_made_without_the_named_tuple_constructor_have_each_field_in_its_place() -> None:
    from ankigen.model import Item, Location, Myth, Text, TrueStatement

    deck, problems = loader.parse_source(yaml.safe_dump(_GOOD).encode(), "f.yaml")
    assert deck is not None and not problems
    myth = deck.myths[0]
    technique, limitation = myth.techniques[0], myth.limitations[0]
    assert type(myth) is Myth and type(technique) is Item and type(limitation) is Item
    assert myth == Myth(**myth._asdict()) and technique == Item(**technique._asdict())
    assert (myth.key, myth.key_is_explicit, myth.myth.source, myth.fact.source, myth.tags, myth.was) == \
        ("m", True, "M", "F", ("a",), "old")
    assert myth.techniques == (technique,) and myth.limitations == (limitation,) and type(myth.location) is Location
    assert [type(statement) for statement in myth.true_statements] == [TrueStatement]
    assert (technique.kind, technique.key, technique.key_is_explicit, technique.name.source, technique.text.source,
            technique.was) == ("technique", "n", False, "N", "a {{b}} c", "x")
    assert technique.cloze == cloze.parse_cloze("a {{b}} c") and type(technique.name) is Text
    assert (limitation.kind, limitation.key, limitation.key_is_explicit, limitation.was) == \
        ("limitation", "l", True, "")
    assert technique.location == Location("f.yaml", technique.name.location.line, 5) != limitation.location


class _SimpleReader(loader._Reader):
    """loader._Reader with every text and id read the general way (``read_text``, ``read_key``): the oracle of
    the usual text and the usual id that ``text`` and ``key`` take at once."""

    def text(self, node: yaml.Node, what: str) -> object:  # type: ignore[override]
        return self.read_text(node, what)

    def key(self, node: yaml.Node, what: str) -> str | None:
        return self.read_key(node, what)


def read_simply(data: bytes, path: str) -> tuple[object, list[object], list[object]]:
    """parse_source with the simple reader."""
    reader, loader._Reader = loader._Reader, _SimpleReader  # type: ignore[misc]
    try:
        return parse_source_now(data, path)
    finally:
        loader._Reader = reader  # type: ignore[misc]


def _locations(outcome: tuple[object, list[object], list[object]]) -> list[object]:
    """What equality of records leaves out: each text's locations and how it is written, and the messages' text."""
    texts = [(text.location, text.exact, text.written) for text in outcome[2]]  # type: ignore[attr-defined]
    return [texts, [str(problem) for problem in outcome[1]]]


def test_every_case_and_the_example_cards_are_read_as_the_simple_reader_reads_them() -> None:
    """_Reader.text and _Reader.key take the usual text and id at once: on the hostile cases (every mistake,
    with its line and column) and the example cards, the reader finds what the one without them finds."""
    paths = [*sorted(CASES.glob("*.yaml")), *sorted((CASES.parent.parent / "cards").glob("*.yaml"))]
    texts = 0
    for path in paths:
        data = path.read_bytes()
        now, simple = parse_source_now(data, path.name), read_simply(data, path.name)
        assert now == simple and _locations(now) == _locations(simple), path.name
        texts += len(now[2])
    assert len(paths) > 100 and texts > 300


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.lists(_value_parts | st.sampled_from(["{{a}}", "::", ": ", "x" * 9_999, "\n", "id-1",
                                                                   "a__b", "-a", "\u3000", "\u2028"]),
                                   min_size=1, max_size=6).map("".join),
                          st.sampled_from(['"', "'", "|", ">-", ""])), min_size=1, max_size=5),
       st.sampled_from(["myth", "fact", "id", "name", "text", "description", "deck"]))
def test_texts_and_ids_are_read_as_the_simple_reader_reads_them(values: list[tuple[str, str]], where: str) -> None:
    """Values in every style (escapes, characters a value may not hold, line breaks, spaces alone, the length
    limit, ids valid and not) put where a text or an id goes: the same records, locations and messages."""
    written = [_written(value, style) if style != ">-" else ">-\n      " + value.replace("\\", "").replace("\n", " ")
               for value, style in values]
    item = {"name": written[0], "text": written[-1], "id": "i"}
    myth = {"myth": written[-1], "fact": written[0], "id": "m"}
    if where in myth:
        myth[where] = written[len(written) // 2]
    if where in item:
        item[where] = written[1 % len(written)]
    deck = f"deck: {written[0] if where == 'deck' else 'D'}\n"
    if where == "description":
        deck += f"description: {written[-1]}\n"
    text = deck + "myths:\n  - " + "\n    ".join(f"{key}: {value}" for key, value in myth.items()) + \
        "\n    techniques:\n      - " + "\n        ".join(f"{key}: {value}".replace("\n      ", "\n          ")
                                                         for key, value in item.items()) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    now, simple = parse_source_now(data, "f.yaml"), read_simply(data, "f.yaml")
    assert now == simple and _locations(now) == _locations(simple)


def test_the_usual_text_and_id_are_read_without_the_general_path() -> None:
    """The fast paths are taken (else the oracle tests above compare the general path with itself)."""
    class Strict(loader._Reader):
        def read_text(self, node: yaml.Node, what: str) -> object:  # type: ignore[override]
            raise AssertionError(what)

        def read_key(self, node: yaml.Node, what: str) -> str | None:
            raise AssertionError(what)

    reader, loader._Reader = loader._Reader, Strict  # type: ignore[misc]
    try:
        deck, problems = loader.parse_source(
            b"deck: D\nmyths:\n  - id: m-1\n    myth: 'It is: so'\n    fact: \"a {{b}}\"\n    techniques:\n"
            b"      - name: N\n        id: n.2\n        text: x {{y}}\n", "f.yaml")
    finally:
        loader._Reader = reader  # type: ignore[misc]
    assert deck is not None and not problems
    assert [(text.source, text.location.column) for text in (deck.myths[0].myth, deck.myths[0].fact)] == \
        [("It is: so", 12), ("a {{b}}", 12)]
