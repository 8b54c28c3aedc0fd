"""The load stage's fast paths agree with the simple versions they replace (kept here or in the module as oracles).

cloze.py: text without a backslash is split with str.find (``_parse_without_backslash``)
instead of the scanner that knows escapes and math (``_parse_any``).
"""

from __future__ import annotations

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


def test_parse_cloze_takes_the_fast_path_only_without_a_backslash() -> None:
    assert cloze.parse_cloze("{{a}} and {{b::hint}}") == cloze._parse_any("{{a}} and {{b::hint}}", 2)
    assert cloze.parse_cloze(r"\(x{{a}}\) \{{b}}") == cloze._parse_any(r"\(x{{a}}\) \{{b}}", 2)
    assert [d.number for d in cloze.parse_cloze("{{a}} {{c2::b}} {{c}}").deletions] == [3, 2, 4]


def test_no_printable_character_is_one_a_value_may_not_hold() -> None:
    """loader._Reader.scalar skips the _NOT_TEXT search for str.isprintable() values: every code point agrees."""
    from ankigen.loader import _NOT_TEXT

    refused = [chr(code) for code in range(0x110000) if _NOT_TEXT.match(chr(code))]
    assert len(refused) == 29 + 1 + 31 + 2048 + 32 + 2  # C0 but tab and breaks, DEL, C1 but NEL, surrogates, nonchars
    assert not any(char.isprintable() for char in refused)



nested = st.recursive(st.sampled_from(["x", "", "a: b"]) | st.integers(0, 9),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner,
                                                                                  max_size=3), max_leaves=10)


def _deep(value: object, depth: int, mapping: bool) -> object:
    for _ in range(depth):
        value = {"k": value} if mapping else [value]
    return value


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(nested, st.integers(25, 34), st.booleans()), max_size=4), st.booleans())
@example([([], 31, False)], False)
@example([([1], 30, False)], True)
@example([({}, 30, True)], False)
def test_the_depth_check_by_levels_refuses_what_the_walk_refuses(parts: list, flow: bool) -> None:  # type: ignore[type-arg]
    """loader._refuse_depth_by_levels is _refuse_depth, one level at a time; files near the limit of 32."""
    text = yaml.safe_dump({"myths": [_deep(value, depth, mapping) for value, depth, mapping in parts]},
                          default_flow_style=flow)
    root = yaml.compose(text, Loader=loader._Loader)
    assert loader._refuse_depth_by_levels(root, "f.yaml") == loader._refuse_depth(root, "f.yaml")


def test_the_depth_check_by_levels_agrees_on_every_case_that_composes() -> None:
    composed = 0
    for path in sorted(CASES.glob("*.yaml")):
        try:
            root = yaml.compose(path.read_bytes().decode("utf-8").removeprefix("\ufeff"), Loader=loader._Loader)
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
            continue
        if root is not None:
            composed += 1
            assert loader._refuse_depth_by_levels(root, path.name) == loader._refuse_depth(root, path.name)
    assert composed > 100
