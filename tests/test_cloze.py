"""Cloze numbering: the name is c1, text deletions count on from c2, Anki's own cN is kept."""

from __future__ import annotations

import pytest

from ankigen.cloze import ClozeSyntaxError, parse_cloze


def _numbers(text: str) -> list[tuple[int, str, str]]:
    return [(d.number, d.answer, d.hint) for d in parse_cloze(text).deletions]


def test_text_deletions_are_numbered_from_c2_in_order() -> None:
    assert _numbers("a {{one}} b {{two::hint}} c") == [(2, "one", ""), (3, "two", "hint")]


def test_anki_numbers_are_kept_and_automatic_ones_skip_them() -> None:
    assert _numbers("{{c2::x}} {{y}} {{c2::z}}") == [(2, "x", ""), (3, "y", ""), (2, "z", "")]
    assert _numbers("{{c1::also the name card}}") == [(1, "also the name card", "")]


def test_escaped_braces_are_literal_text() -> None:
    parsed = parse_cloze(r"write \{{name}} and \}} alone")
    assert parsed.deletions == ()
    assert parsed.pieces == ("write {{name}} and }} alone",)


@pytest.mark.parametrize("text, offset, message", [
    ("a {{b", 2, "'{{' is never closed"),
    ("a }} b", 2, "'}}' has no matching '{{'"),
    ("a {{ }} b", 2, "empty cloze deletion"),
    ("a {{::hint}} b", 2, "empty cloze deletion"),
    ("{{a {{b}} c}}", 4, "cloze braces cannot be nested"),
    ("{{c0::x}}", 0, "cloze number c0 is out of range"),
])
def test_malformed_cloze_points_at_the_offending_braces(text: str, offset: int, message: str) -> None:
    with pytest.raises(ClozeSyntaxError) as caught:
        parse_cloze(text)
    assert (caught.value.offset, caught.value.message) == (offset, message)
