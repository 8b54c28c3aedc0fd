"""TeX math on paper: each ``\\(...\\)`` and ``\\[...\\]`` in a study sheet's HTML typeset as MathML.

A sheet is one self-contained file with no script, so it cannot run MathJax as
Anki does; Chromium and Firefox draw MathML Core themselves. latex2mathml (pure
Python, imported only when a text has math) turns the TeX into a tree, and this
module writes that tree out itself, keeping only MathML Core elements and
presentation attributes with plain values: latex2mathml's own output would pass
``\\text{<b>}`` through as markup and ``\\href``, ``\\class`` and ``\\style`` as
attributes, which the sheet must never carry (tex.py refuses those commands at
build time too; this does not rely on it).

Formulas are found in the text between tags, the way MathJax reads a page
(tex.py), joined across the sheet's own blank and filled-answer markup, which
is all a formula can hold: a cloze deletion inside math becomes a MathML blank
as wide as its answer, its hint under the line, or the answer highlighted.
A formula this cannot typeset (a command latex2mathml does not know, such as
``\\ce``, or TeX it cannot parse) stays as written; ``unconvertible_formulas``
names those, so that a build can warn at the source line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ankigen import typeset_cache
from ankigen.digests import cache_root
from ankigen.tex import math_spans
from ankigen.typeset_cache import TypesetCache

if TYPE_CHECKING:  # a type only; latex2mathml itself is imported in _tree, so builds without math never load it
    from xml.etree.ElementTree import Element

# The sheet's markup for a blank and for a filled-in answer (sheet.py's _blank and _filled), as the
# only tags a formula may hold: anything else between two delimiters means they are not one formula.
_GAP = re.compile(r'<span class="gap"><span class="gap-answer">([^<]*)</span>'
                  r'(?:<span class="gap-hint">([^<]*)</span>)?</span>|<mark class="filled">([^<]*)</mark>')
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
_GAP_OPENINGS = ('<span class="gap">', '<span class="gap-answer">', '<span class="gap-hint">',
                 '<mark class="filled">')
# Where MathJax (and so Anki) leaves TeX alone: shown as written on the sheet too, and no warning.
_VERBATIM = frozenset({"code", "pre", "script", "style", "textarea", "noscript"})
_VERBATIM_TAG = re.compile(r"<(/?)(?:code|pre|script|style|textarea|noscript)(?![a-zA-Z0-9-])[^>]*>", re.IGNORECASE)
_OPENING = re.compile(r"\\[(\[]")
# Anki's cloze markup in a field, as cards.py writes it: the first '::' starts the hint, the first '}}' ends it.
_ANKI_CLOZE = re.compile(r"\{\{c\d+::(.*?)\}\}", re.DOTALL)

# MathML Core's elements (https://w3c.github.io/mathml-core/), which Chromium and Firefox draw.
_ELEMENTS = frozenset("""
math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mmultiscripts mprescripts none
mfrac msqrt mroot mstyle mpadded mphantom mtable mtr mtd merror
""".split())
# Presentation attributes only: no href, class, id, style or event handler can come through.
_ATTRIBUTES = frozenset("""
accent accentunder columnalign columnlines columnspacing columnspan depth displaystyle fence form height largeop
linethickness lspace mathbackground mathcolor mathsize mathvariant maxsize minsize movablelimits rowalign rowlines
rowspacing rowspan rspace scriptlevel separator stretchy symmetric voffset width
""".split())
# Colour names, '#hex', lengths, 'true', 'left': never a parenthesis (url(...)), quote, colon or semicolon.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9#.+\- ]*\Z")
# latex2mathml writes characters as '&#x...;' into its text, for its own serialiser to unescape.
_CHARACTER_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});")
# latex2mathml passes a command it does not know through as text ('\ce'): that formula is not typeset.
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
# Commands on tex.py's allowlist that latex2mathml lacks, and TeX it knows that means the same.
_ALIASES = {"arg": "\\operatorname{arg}", "dag": "\\dagger", "ddag": "\\ddagger", "P": "¶", "copyright": "©",
            "newline": "\\\\", "displaylimits": "\\limits"}
_COMMAND_TOKEN = re.compile(r"\\([A-Za-z]+)|\\.", re.DOTALL)
# One character per deletion in a formula, as a TeX atom: private use, so no formula has it already.
_MARKER_BASE = 0x10FF00
_MARKERS = re.compile("[\U0010ff00-\U0010ffff]")
# Far deeper than any formula a card shows, and well within Python's recursion limit.
_MAX_DEPTH = 120


class Unconvertible(ValueError):
    """TeX the sheet cannot typeset: the message says what (such as "'\\ce' is not supported")."""


def typeset_math(body: str) -> str:
    """``body`` (sheet HTML) with every formula it can typeset as MathML; the others are left as written."""
    return typeset_formulas(body)[0]


def typeset_formulas(body: str) -> tuple[str, int]:
    """``typeset_math(body)``, and how many formulas it typeset (when none, the text is ``body`` itself)."""
    if "\\(" not in body and "\\[" not in body:
        return body, 0
    out: list[str] = []
    position = 0
    for start, end, formula in _formulas(body):
        try:
            mathml = _formula_mathml(formula)
        except Unconvertible:
            continue
        out += [body[position:start], mathml]
        position = end
    if not out:
        return body, 0
    out.append(body[position:])
    return "".join(out), len(out) // 2


class Untypeset(NamedTuple):
    """A formula the sheet prints as its TeX source."""

    formula: str  # as in the field, entities decoded, each cloze deletion as its answer
    start: str  # the formula up to its first cloze deletion (all of it when it has none): how its source starts
    reason: str  # such as "'\\ce' is not supported"


def unconvertible_formulas(field_html: str) -> list[Untypeset]:
    """Each formula in a note field (HTML, perhaps with Anki's cloze markup) that the sheet prints as written."""
    if "\\(" not in field_html and "\\[" not in field_html:
        return []
    if "{{c" in field_html:  # each deletion as the sheet shows it: a blank with its hint
        field_html = _ANKI_CLOZE.sub(_sheet_blank, field_html)
    found = []
    for _, _, formula in _formulas(field_html):
        try:
            _formula_mathml(formula)
        except Unconvertible as exc:
            answers = _GAP.sub(lambda gap: gap.group(1) or gap.group(3), formula)
            start = formula[:gap.start()] if (gap := _GAP.search(formula)) else formula
            found.append(Untypeset(html.unescape(answers), html.unescape(start), str(exc)))
    return found


def deletions_in_math(field_html: str) -> list[bool]:
    """For each of a field's Anki cloze deletions, in order, whether it sits inside a formula."""
    if "{{c" not in field_html:
        return []
    deletions = [match.start() for match in _ANKI_CLOZE.finditer(field_html)]
    if "\\(" not in field_html and "\\[" not in field_html:
        return [False] * len(deletions)
    formulas = [(start, end) for start, end, _ in _formulas(field_html)]
    return [any(start < deletion < end for start, end in formulas) for deletion in deletions]


def _sheet_blank(match: re.Match[str]) -> str:
    answer, _, hint = match.group(1).partition("::")
    hint_html = f'<span class="gap-hint">{hint}</span>' if hint else ""
    return f'<span class="gap"><span class="gap-answer">{answer}</span>{hint_html}</span>'


# -- finding formulas ------------------------------------------------------------------------------------


def _formulas(body: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, HTML) of each formula in ``body``: within one run of text (the sheet's blanks and filled
    answers joined in), outside code; in order.

    What :func:`_formulas_between` finds in all of ``body``, looking only at the stretch around each opening
    delimiter: a sheet has tens of thousands of tags and a few formulas. A stretch starts and ends at a tag
    that ends a run of text in any case (not a span or mark, which a blank may hold, nor code, whose depth
    is counted apart), so the state the whole scan would have there is known. Serialised HTML is assumed
    (no '<' inside an attribute value), as the sanitiser and the sheet write it.
    """
    if "\\(" not in body and "\\[" not in body:
        return
    outside_tags = _formulas_outside_tags(body)
    if outside_tags is not None:
        yield from outside_tags
        return
    verbatim = _VerbatimDepth(body)
    scanned = 0
    for opening in _OPENING.finditer(body):
        if opening.start() < scanned:
            continue
        start = _stretch_start(body, opening.start(), scanned)
        end = _stretch_end(body, opening.end())
        yield from _formulas_between(body, start, end, verbatim.at(start))
        scanned = end


def _formulas_outside_tags(body: str) -> list[tuple[int, int, str]] | None:
    """``_formulas(body)`` when every formula ``math_spans`` finds in all of ``body`` holds no '<' and stands
    outside every tag; else None (then the formulas must be looked for run by run).

    Fast: one ``math_spans`` over the whole text, where ``_formulas`` walks the tags around each opening, and
    a field or sheet usually holds only such formulas. Each is within one run of text (a tag starts with
    '<', and ends, as ``_TAG`` reads it, at the first '>' after its '<': so a span after the '>' of the last
    '<' before it is outside every tag), so the run's own ``math_spans`` finds it too; and a run finds
    nothing the whole text does not (an opening it leaves unclosed has no closing in the whole text either,
    or the whole text's span would hold a '<'). Those in code are left out, as ``_formulas_between`` leaves
    out runs in code. tests/test_fast_derive4.py checks it against ``_formulas_between``.
    """
    found = []
    verbatim = None
    for start, end in math_spans(body):
        formula = body[start:end]
        if "<" in formula:
            return None
        tag_start = body.rfind("<", 0, start)
        if tag_start >= 0 and body.find(">", tag_start, start) < 0:
            return None  # (perhaps inside a tag)
        if verbatim is None:
            verbatim = _VerbatimDepth(body)
        if not verbatim.at(start):
            found.append((start, end, formula))
    return found


def _formulas_between(body: str, start: int, end: int, verbatim: int = 0) -> Iterator[tuple[int, int, str]]:
    """The formulas in ``body[start:end]``, scanning every tag: code ``verbatim`` levels deep at ``start``."""
    run_start = start
    open_gaps = 0
    for tag in _TAG.finditer(body, start, end):
        name = tag.group(2).lower()
        if tag.group(0) in _GAP_OPENINGS:
            open_gaps += 1
            continue
        if open_gaps and tag.group(1) and name in ("span", "mark"):
            open_gaps -= 1
            continue
        if not verbatim:
            yield from _formulas_in_run(body, run_start, tag.start())
        if name in _VERBATIM:
            verbatim = max(verbatim + (-1 if tag.group(1) else 1), 0)
        open_gaps = 0
        run_start = tag.end()
    if not verbatim:
        yield from _formulas_in_run(body, run_start, end)


def _ends_runs(tag: re.Match[str]) -> bool:
    """Whether the scan is in a known state after ``tag``: no blank open, and code depth unchanged."""
    name = tag.group(2).lower()
    return name not in ("span", "mark") and name not in _VERBATIM


def _stretch_start(body: str, position: int, floor: int) -> int:
    """Just after the last run-ending tag before ``position`` (``floor``, a known state, if none is after it)."""
    while (position := body.rfind("<", floor, position)) >= 0:
        tag = _TAG.match(body, position)
        if tag is not None and _ends_runs(tag):
            return tag.end()
    return floor


def _stretch_end(body: str, position: int) -> int:
    """Just after the first run-ending tag from ``position`` on (the end of ``body`` if none)."""
    for tag in _TAG.finditer(body, position):
        if _ends_runs(tag):
            return tag.end()
    return len(body)


class _VerbatimDepth:
    """How deep in code (pre, script, ...) each position of ``body`` is, asked for in increasing positions."""

    def __init__(self, body: str) -> None:
        self._tags = _VERBATIM_TAG.finditer(body)
        self._next = next(self._tags, None)
        self._depth = 0

    def at(self, position: int) -> int:
        while self._next is not None and self._next.start() < position:
            self._depth = max(self._depth + (-1 if self._next.group(1) else 1), 0)
            self._next = next(self._tags, None)
        return self._depth


def _formulas_in_run(body: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    run = body[start:end]
    if "\\(" not in run and "\\[" not in run:
        return
    for span_start, span_end in math_spans(run):
        yield start + span_start, start + span_end, run[span_start:span_end]


# -- typesetting ------------------------------------------------------------------------------------------


def _formula_mathml(formula: str) -> str:
    """One formula (sheet HTML, delimiters included) as a <math> element; raises Unconvertible."""
    display = formula.startswith("\\[")
    inner = formula[2:-2]
    pieces: list[str] = []
    gaps: list[tuple[str, str | None]] = []  # (answer, hint) of a blank, (answer, None) of a filled answer
    position = 0
    for gap in _GAP.finditer(inner):
        pieces.append(inner[position:gap.start()])
        gaps.append((gap.group(1), gap.group(2) or "") if gap.group(3) is None else (gap.group(3), None))
        position = gap.end()
    pieces.append(inner[position:])
    if any("<" in piece for piece in pieces):
        raise Unconvertible("it holds HTML")
    decoded = [_tex(piece) for piece in pieces]
    if any(_MARKERS.search(piece) for piece in decoded) or len(gaps) > 0xFF:
        raise Unconvertible("it holds characters from the end of Unicode's private use area")
    tex = [decoded[0]]
    for index, piece in enumerate(decoded[1:]):
        tex += [f"{{{chr(_MARKER_BASE + index)}}}", piece]
    return _typeset("".join(tex), display, tuple(gaps))


@lru_cache(maxsize=4096)  # a myth's statement is on every card of the myth
def _typeset(tex: str, display: bool, gaps: tuple[tuple[str, str | None], ...]) -> str:
    """``_typeset_now``, or what it made of the same formula in an earlier build (typeset_cache.py)."""
    cache = _typeset_cache()
    key = typeset_cache.key(tex, display, gaps)
    stored = cache.get(key)
    if stored is not None:
        if stored[0]:
            return stored[1]
        raise Unconvertible(stored[1])
    try:
        mathml = _typeset_now(tex, display, gaps)
    except Unconvertible as exc:
        cache.put(key, (False, str(exc)))
        raise
    cache.put(key, (True, mathml))
    return mathml


_CACHES: dict[Path | None, TypesetCache] = {}


def _typeset_cache() -> TypesetCache:
    """This process's store of earlier typesetting, in the cache folder the environment names now."""
    root = cache_root()
    if root not in _CACHES:
        _CACHES[root] = TypesetCache.in_folder(root)
    return _CACHES[root]


def save_typesetting() -> None:
    """Keep what was typeset since the last call for the next build (called as each deck is done)."""
    for cache in _CACHES.values():
        cache.save()


def _typeset_now(tex: str, display: bool, gaps: tuple[tuple[str, str | None], ...]) -> str:
    root = _tree(tex)
    fills = {chr(_MARKER_BASE + index): _gap_xml(answer, hint) for index, (answer, hint) in enumerate(gaps)}
    body = _xml_children(root, fills)
    if fills:
        raise Unconvertible("a cloze deletion in it sits inside \\text{...}")
    return f'<math display="block">{body}</math>' if display else f"<math>{body}</math>"


def _tex(fragment: str) -> str:
    """TeX as written in a piece of the sheet's HTML: entities decoded, commands latex2mathml lacks aliased."""
    tex = html.unescape(fragment)
    if "\\" not in tex:
        return tex
    return _COMMAND_TOKEN.sub(lambda match: _ALIASES.get(match.group(1) or "", match.group()), tex)


def _gap_xml(answer: str, hint: str | None) -> str:
    answer_xml = _xml_children(_tree(_tex(answer)), {})
    if hint is None:
        return f'<mrow class="math-filled">{answer_xml}</mrow>'
    line = f'<mrow class="math-gap"><mphantom>{answer_xml}</mphantom></mrow>'
    if not hint:
        return line
    return f'<munder>{line}<mrow class="math-hint">{_xml_children(_tree(_tex(hint)), {})}</mrow></munder>'


def _tree(tex: str) -> Element:
    """latex2mathml's <math> element for ``tex``; raises Unconvertible for TeX it cannot parse."""
    from latex2mathml.converter import convert_to_element

    try:
        return convert_to_element(tex)
    except Exception as exc:  # its errors have no common base, and deep nesting raises RecursionError
        raise Unconvertible("latex2mathml cannot parse it") from exc


def _xml_children(element: Element, fills: dict[str, str]) -> str:
    return "".join(_xml(child, fills, 1) for child in element)


def _xml(element: Element, fills: dict[str, str], depth: int) -> str:
    """``element`` as MathML Core text, each deletion marker replaced by its blank or answer (taken from
    ``fills``); raises Unconvertible for anything else."""
    if depth > _MAX_DEPTH:
        raise Unconvertible(f"it nests more than {_MAX_DEPTH} deep")
    tag = element.tag
    text = _text(element.text)
    if text in fills and len(element) == 0:
        return fills.pop(text) + html.escape(_text(element.tail), quote=False)
    attributes = []
    if tag == "menclose" and element.get("notation") == "box":  # \boxed, \fbox: the sheet's CSS draws the box
        tag = "mrow"
        attributes.append(' class="math-boxed"')
    if tag not in _ELEMENTS:
        raise Unconvertible(f"<{tag}> is not MathML Core")
    unknown = _UNKNOWN_COMMAND.search(text)
    if unknown:
        raise Unconvertible(f"'{unknown.group()}' is not supported")
    for name, value in sorted(element.attrib.items()):
        if name in _ATTRIBUTES:
            if not _SAFE_VALUE.match(value):
                raise Unconvertible(f"{name}={value!r} is not a plain value")
            attributes.append(f' {name}="{value}"')
    children = "".join(_xml(child, fills, depth + 1) for child in element)
    return f"<{tag}{''.join(attributes)}>{html.escape(text, quote=False)}{children}</{tag}>" + \
        html.escape(_text(element.tail), quote=False)


def _text(value: str | None) -> str:
    """latex2mathml's text with its character references made characters (each one checked)."""
    if not value:
        return ""
    if "&#" not in value:
        return value
    return _CHARACTER_REFERENCE.sub(_character, value)


def _character(match: re.Match[str]) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise Unconvertible(f"it holds character U+{code:04X}, which cannot be printed")
    return chr(code)
