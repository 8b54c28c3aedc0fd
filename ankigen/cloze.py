"""Cloze markup in author text: ``{{answer}}``, ``{{answer::hint}}``, ``{{c3::answer}}``, ``\\{{``.

Pure parsing: the text is split into literal pieces and deletions, each
deletion numbered the way Anki numbers cards. An item's name is deletion c1,
so numbering in the text starts at c2; Anki's own ``{{cN::...}}`` keeps its N.

Inside TeX math (``\\(...\\)``, ``\\[...\\]``) braces are TeX's: a ``}}`` with no
deletion open is text, a deletion ends at the first ``}}`` outside the TeX
groups it opened (so ``{{\\frac{a}{b}}}`` hides the whole fraction), and a
backslash is never an escape of ours.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ankigen.tex import math_spans

# Anki makes one card per number; past this, a text is a list, not a card.
MAX_DELETIONS = 50

_EXPLICIT = re.compile(r"c(\d+)::(.*)\Z", re.DOTALL)
# Every piece of cloze markup is one of these; each starts with '{', '}' or a backslash.
_MARKUP = re.compile(r"\\\{\{|\\\}\}|\{\{|\}\}")
# Almost Anki's '{{c2::answer}}': a capital C, one colon or three ('{{c3:0}}' would show "c3:0").
_NEAR_EXPLICIT = re.compile(r"\s*[cC]\s*(\d+)\s*:(?!:)|\s*[cC]\s*(\d+)\s*:::|\s*C(\d+)::|\s+c(\d+)::|c(\d+)\s+::")
# A hint inside math is shown as TeX text (\\text{...}): these would be TeX commands there.
_TEX_SPECIALS = re.compile(r"[\\{}$&#^_%~]")


class Deletion(NamedTuple):  # a tuple, not a dataclass: quicker to make, and a build makes many
    number: int
    answer: str  # Markdown, as written
    hint: str
    offset: int  # where its '{{' starts in the text
    in_math: bool = False  # inside \\(...\\) or \\[...\\]: its answer is TeX, not Markdown
    explicit: bool = False  # numbered by the author ('{{c3::...}}'), not by its place


@dataclass(frozen=True)
class ClozeText:
    """Text split into literal pieces around deletions: pieces[0] d[0] pieces[1] d[1] ... pieces[-1]."""

    pieces: tuple[str, ...]
    deletions: tuple[Deletion, ...]


class ClozeSyntaxError(ValueError):
    def __init__(self, offset: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.hint = hint


def parse_cloze(text: str, first_number: int = 2) -> ClozeText:
    """Split ``text`` into literal pieces and numbered deletions; raises ClozeSyntaxError."""
    if "{" not in text and "}" not in text and "\\" not in text:  # no markup (three scans in C, no regex)
        return _cloze_text((text,), ())
    if "\\" not in text or _markup_as_written(text):  # no escapes, and no markup in math: most texts
        return _parse_plain(text, first_number) or _parse_without_backslash(text, first_number)
    return _parse_any(text, first_number)


def _markup_as_written(text: str) -> bool:
    """Whether each '{{' and '}}' in ``text`` is markup as it stands: none escaped, none inside math.

    Then a backslash means nothing to a cloze: ``_parse_any`` reads the text as
    ``_parse_without_backslash`` does (tests/test_fast_parse.py checks it), and
    that is three times quicker on an item with a formula such as '\\(p_i\\)'.
    Each '{{' or '}}' is wholly inside a formula or wholly outside it (a formula
    starts with '\\' and ends with ')' or ']'), so looking in each formula is exact.
    """
    if "\\{{" in text or "\\}}" in text:
        return False
    if "\\(" not in text and "\\[" not in text:
        return True
    return not any("{{" in text[start:end] or "}}" in text[start:end] for start, end in math_spans(text))


_new_object = object.__new__
# Deletion(...) without the Python-level __new__ of a NamedTuple: the same tuple, its fields given in order.
_new_tuple = tuple.__new__


def _cloze_text(pieces: tuple[str, ...], deletions: tuple[Deletion, ...]) -> ClozeText:
    """ClozeText(pieces, deletions) without the frozen dataclass's ``__init__`` (one ``object.__setattr__`` call
    per field): the fields go straight into its ``__dict__``, made for every item of a build.
    tests/test_fast_parse.py checks they are equal."""
    made = _new_object(ClozeText)
    fields = made.__dict__
    fields["pieces"] = pieces
    fields["deletions"] = deletions
    return made


def _parse_plain(text: str, first_number: int) -> ClozeText | None:
    """``_parse_without_backslash`` for the usual text, or None: its deletions have no number, at most a hint
    after the answer's first ':' ('{{answer::hint}}', the answer not starting with a space, 'c' or 'C', so that
    no near miss of a number is missed either, and holding no '`'), none is empty, and each '{{' is closed by the
    next '}}', with no other '}}' in the text.

    The text is split at every '{{' in one call and each part looked at once, so
    it is quicker than finding '{{' and '}}' in turn; whatever else the text holds
    (an error among them) is left to ``_parse_without_backslash``.
    tests/test_fast_parse.py checks both against ``_parse_any``.
    """
    parts = text.split("{{")
    if "}}" in parts[0] or len(parts) > MAX_DELETIONS + 1:
        return None
    pieces = [parts[0]]
    deletions = []
    offset = len(parts[0])  # where the next '{{' is
    for number, part in enumerate(parts[1:], first_number):
        end = part.find("}}")
        answer, after = part[:end], part[end + 2:]
        if end <= 0 or answer.isspace() or "}}" in after:
            return None
        hint = ""
        if ":" in answer:  # '{{answer::hint}}' as _split_inner reads it, or left to it
            answer, _, hint = answer.partition("::")
            if ":" in answer or "`" in answer or not answer or answer[0] in "cC" or answer[0].isspace():
                return None
            hint = hint.strip()
        deletions.append(_new_tuple(Deletion, (number, answer, hint, offset, False, False)))
        pieces.append(after)
        offset += 2 + len(part)
    return _cloze_text(tuple(pieces), tuple(deletions))


def _parse_without_backslash(text: str, first_number: int) -> ClozeText:
    """``_parse_any`` for text without a backslash (or one whose ``_markup_as_written``): the same pieces, deletions
    and errors, found with str.find.

    Without a backslash there is no escape and no math, so the markup is only
    '{{' and '}}': each deletion runs from a '{{' to the next '}}', whatever
    comes first of the two decides, and an answer without ':' needs neither
    regular expression of ``_split_inner``. It is fast because it never looks
    at one character at a time; tests/test_fast_parse.py checks it against
    ``_parse_any``, which stays the definition.
    """
    pieces: list[str] = []
    raw: list[tuple[int | None, str, str, int, bool]] = []
    find = text.find
    position = 0
    numbered = False  # some deletion is '{{cN::...}}'
    while True:
        start = find("{{", position)
        end = find("}}", position)  # when after ``start``, at least start + 2: the '}}' that closes it
        if end >= 0 and (start < 0 or end < start):
            raise _unopened(end)
        if start < 0:
            break
        if end < 0:
            raise _unclosed(start)
        inner = text[start + 2:end]
        nested = inner.find("{{")
        if nested >= 0:
            raise _nested(start + 2 + nested)
        if ":" in inner:
            number, answer, hint = _split_inner(inner, start)
            numbered = numbered or number is not None
            raw.append((number, answer, hint, start, False))
        elif inner.strip():
            raw.append((None, inner, "", start, False))
        else:
            raise _empty(start)
        pieces.append(text[position:start])
        position = end + 2
    pieces.append(text[position:])
    _check_count(raw)
    if numbered:
        return _cloze_text(tuple(pieces), tuple(_number(raw, first_number)))
    deletions = [_new_tuple(Deletion, (number, answer, hint, offset, False, False))
                 for number, (_, answer, hint, offset, _) in enumerate(raw, first_number)]
    return _cloze_text(tuple(pieces), tuple(deletions))


def _parse_any(text: str, first_number: int) -> ClozeText:
    """parse_cloze for any text: a scanner that knows escapes and math (the definition of the format)."""
    pieces: list[str] = []
    raw: list[tuple[int | None, str, str, int, bool]] = []
    literal: list[str] = []
    spans = list(math_spans(text)) if "\\(" in text or "\\[" in text else []
    starts = [start for start, _ in spans]

    def math_end(index: int) -> int:
        """The end of the formula holding ``index``, or -1 outside math."""
        found = bisect.bisect_right(starts, index) - 1
        return spans[found][1] if found >= 0 and index < spans[found][1] else -1

    escaped_open = False  # after '\\{{', the next '}}' closes it literally
    i = 0
    while i < len(text):
        char = text[i]  # (tested first: most positions start none of the markup)
        if char == "\\" and text.startswith(("\\{{", "\\}}"), i) and math_end(i) < 0:
            escaped_open = text[i + 1] == "{"
            literal.append(text[i + 1:i + 3])
            i += 3
        elif char == "}" and escaped_open and text.startswith("}}", i):
            escaped_open = False
            literal.append("}}")
            i += 2
        elif char == "{" and text.startswith("{{", i):
            formula_end = math_end(i)
            if formula_end >= 0:
                end = _end_in_math(text, i + 2, formula_end)
                if end < 0:
                    raise ClozeSyntaxError(i, "'{{' inside math is not closed before the formula ends",
                                           "close the answer with '}}' inside the formula")
            else:
                end = _outside_math(text, "}}", i + 2, math_end)
                nested = _outside_math(text, "{{", i + 2, math_end)
                if end < 0:
                    raise _unclosed(i)
                if 0 <= nested < end:
                    raise _nested(nested)
            raw.append((*_split_inner(text[i + 2:end], i, formula_end >= 0), i, formula_end >= 0))
            pieces.append("".join(literal))
            literal = []
            i = end + 2
        elif char == "}" and text.startswith("}}", i):
            if math_end(i) >= 0:  # TeX closing two groups
                literal.append("}}")
                i += 2
                continue
            raise _unopened(i)
        else:  # plain text up to where markup may start: one slice, not a character at a time
            special = _MARKUP.search(text, i + 1)
            stop = special.start() if special else len(text)
            literal.append(text[i:stop])
            i = stop
    pieces.append("".join(literal))
    _check_count(raw)
    return ClozeText(tuple(pieces), tuple(_number(raw, first_number)))


# The mistakes both scanners find, said the same way by each.
def _unopened(at: int) -> ClozeSyntaxError:
    return ClozeSyntaxError(at, "'}}' has no matching '{{'",
                            "open the answer with '{{', or write '\\}}' for literal braces")


def _unclosed(at: int) -> ClozeSyntaxError:
    return ClozeSyntaxError(at, "'{{' is never closed",
                            "close the answer with '}}', or write '\\{{' for literal braces")


def _nested(at: int) -> ClozeSyntaxError:
    return ClozeSyntaxError(at, "cloze braces cannot be nested",
                            "close the first answer with '}}' before opening another")


def _empty(at: int) -> ClozeSyntaxError:
    return ClozeSyntaxError(at, "empty cloze deletion", "write the answer between the braces: '{{answer}}'")


def _check_count(raw: list[tuple[int | None, str, str, int, bool]]) -> None:
    if len(raw) > MAX_DELETIONS:
        raise ClozeSyntaxError(raw[MAX_DELETIONS][3], f"more than {MAX_DELETIONS} cloze deletions in one text",
                               "split the text into several items")


def _outside_math(text: str, mark: str, start: int, math_end: Callable[[int], int]) -> int:
    """The first ``mark`` from ``start`` that is not inside a formula, or -1 (a formula in an answer is TeX's)."""
    found = text.find(mark, start)
    while found >= 0 and (end := math_end(found)) >= 0:
        found = text.find(mark, end)
    return found


def _end_in_math(text: str, start: int, formula_end: int) -> int:
    """Where the deletion whose answer starts at ``start`` ends ('}}' outside the TeX groups it opened), or -1."""
    depth = 0
    i = start
    while i < formula_end - 2:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith("}}", i):
                return i
            depth = max(depth - 1, 0)
        i += 1
    return -1


def _split_inner(inner: str, offset: int, in_math: bool = False) -> tuple[int | None, str, str]:
    number: int | None = None
    near = _NEAR_EXPLICIT.match(inner)
    if near and not _EXPLICIT.match(inner):
        wanted = next(group for group in near.groups() if group is not None)
        raise ClozeSyntaxError(offset, f"'{{{{{inner[:near.end()].strip()}' is almost Anki's cloze number",
                               f"write '{{{{c{wanted}::answer}}}}' (a lower-case c, two colons), or '\\{{{{' "
                               "for literal braces")
    explicit = _EXPLICIT.match(inner)
    if explicit:
        number = int(explicit.group(1))
        if not 1 <= number <= MAX_DELETIONS:
            raise ClozeSyntaxError(offset, f"cloze number c{number} is out of range",
                                   f"use c1 to c{MAX_DELETIONS}")
        inner = explicit.group(2)
    answer, hint = _split_hint(inner)
    if not answer.strip():
        raise _empty(offset)
    if in_math and _TEX_SPECIALS.search(hint):
        raise ClozeSyntaxError(offset, "a hint inside math is shown as TeX text and cannot hold \\ { } $ & # ^ _ % ~",
                               "write the hint in plain words, such as '{{1.96::a z value}}'")
    return number, answer, hint.strip()


def _split_hint(inner: str) -> tuple[str, str]:
    """Split 'answer::hint' at the first '::' outside a `code span`, so `std::vector` stays whole."""
    if "`" not in inner:
        index = inner.find("::")
        return (inner, "") if index < 0 else (inner[:index], inner[index + 2:])
    in_code = False
    for index, char in enumerate(inner):
        if char == "`":
            in_code = not in_code
        elif not in_code and inner.startswith("::", index):
            return inner[:index], inner[index + 2:]
    return inner, ""


def _number(raw: list[tuple[int | None, str, str, int, bool]], first_number: int) -> list[Deletion]:
    """Give each unnumbered deletion the next number not taken by an explicit ``cN``."""
    taken = {number for number, _, _, _, _ in raw if number is not None}
    next_number = first_number
    deletions = []
    for number, answer, hint, offset, in_math in raw:
        explicit = number is not None
        if number is None:
            while next_number in taken:
                next_number += 1
            number = next_number
            next_number += 1
        deletions.append(Deletion(number, answer, hint, offset, in_math, explicit))
    return deletions
