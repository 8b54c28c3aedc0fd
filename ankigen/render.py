"""Markdown to safe HTML for card fields and sheets.

TeX math (``\\(...\\)``, ``\\[...\\]``) is set aside before Markdown runs,
because Markdown would eat its backslashes and underscores, and put back into
Markdown's HTML *before* the sanitiser runs, escaped, so the sanitiser sees
the final HTML: math put back inside a tag is an attribute value like any
other, never markup. Cloze deletions are set aside the same way, their
answers rendered on their own, and put back as Anki's ``{{cN::answer::hint}}``
only where the sanitised HTML has text (a deletion inside a tag is an error).

The placeholders are Unicode noncharacters (U+FDD0-U+FDD3): the loader refuses
them in sources and HTML's character references cannot make them, so an
author's text can never be taken for a placeholder.

Fenced code blocks are highlighted by pygments (through codehilite) into
``<div class="codehilite">`` with short token classes; the colours live in our
CSS (templates/card.css), never inline, so cards and sheets restyle them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from ankigen.cloze import ClozeSyntaxError, ClozeText, Deletion
from ankigen.tex import math_spans

if TYPE_CHECKING:  # python-markdown, pygments and the sanitiser are imported when a text needs them:
    import markdown  # most texts take the fast path, and a rebuild of one deck may need none of them
    from pygments.token import _TokenType

    from ankigen.sanitize import ImageSrc

# python-markdown's "extra" without abbreviations (whose definitions cost cubic time in their number,
# and which flashcards do not use), then these two.
_EXTENSIONS = ["fenced_code", "footnotes", "attr_list", "def_list", "tables", "md_in_html", "sane_lists",
               "codehilite"]
# Noncharacters: Markdown leaves them alone, and sources cannot hold them (see the module docstring).
_MATH_MARK = "\ufdd0{}\ufdd1"
_MATH_TOKEN = re.compile("\ufdd0(\\d+)\ufdd1")
_CLOZE_MARK = "\ufdd2{}\ufdd3"
_CLOZE_TOKEN = re.compile("\ufdd2(\\d+)\ufdd3")
PLACEHOLDER_CHARACTERS = "\ufdd0\ufdd1\ufdd2\ufdd3"
_ANY_PLACEHOLDER_CHARACTER = re.compile("[\ufdd0-\ufdd3]")
_MATH_MARKS = re.compile("[\ufdd0\ufdd1]")
_PARAGRAPH = re.compile(r"<p>(.*)</p>\Z", re.DOTALL)
# A math or cloze placeholder, which a lexer may have cut into several tokens.
_PLACEHOLDER = re.compile("[\ufdd0\ufdd2][^\ufdd1\ufdd3]*(?:[\ufdd1\ufdd3]|\\Z)")


@cache
def _placeholder_safe_formatter() -> type:
    from pygments.formatters import HtmlFormatter

    class PlaceholderSafeFormatter(HtmlFormatter):  # type: ignore[type-arg]
        """pygments' HTML, with our placeholders kept whole so they can be put back after highlighting.

        A lexer sees a placeholder as stray characters and splits it across spans
        (``<span class="err">\ufdd2</span><span class="mi">0</span>...``); joined
        into one plain-text token it comes out as written.
        """

        def format_unencoded(self, tokensource: Iterable[tuple[_TokenType, str]], outfile: Any) -> None:
            super().format_unencoded(_whole_placeholders(tokensource), outfile)

    return PlaceholderSafeFormatter


def _whole_placeholders(tokens: Iterable[tuple[_TokenType, str]]) -> Iterator[tuple[_TokenType, str]]:
    from pygments.token import Text as TextToken

    pending = ""  # the start of a placeholder that continues in the next token
    for kind, value in tokens:
        if pending:
            value = pending + value
            pending = ""
        last = 0
        for match in _PLACEHOLDER.finditer(value):
            if match.start() > last:
                yield kind, value[last:match.start()]
            if match.group()[-1] not in "\ufdd1\ufdd3":
                pending = match.group()
            else:
                yield TextToken, match.group()
            last = match.end()
        if last < len(value):
            yield kind, value[last:]
    if pending:
        yield TextToken, pending


@cache
def _extension_configs() -> dict[str, dict[str, Any]]:
    return {
        # Classes, not inline styles, so our CSS decides the colours (light, night mode, print).
        "codehilite": {"css_class": "codehilite", "guess_lang": False, "noclasses": False,
                       "pygments_formatter": _placeholder_safe_formatter()},
    }


def render_markdown(text: str, image_src: ImageSrc | None = None) -> str:
    """Render block Markdown (paragraphs, lists, code) to sanitised HTML.

    ``image_src`` decides what each image's src becomes (see ``sanitize_html``).
    """
    text = _without_placeholder_characters(text)
    return inert_anki_markup(_render_markdown(text, image_src, _formula_positions(text)))


# What Anki itself acts on in a field's HTML, attribute values included: '[sound:x]' plays (and in an
# attribute, Anki's player button breaks the tag open), '[latex]', '[$]' and '[$$]' run LaTeX on the
# learner's computer. An entity for the '[' shows the same text and means nothing to Anki.
_ANKI_MARKUP = re.compile(r"\[(?=sound:|latex\]|\$\$?\]|anki:)", re.IGNORECASE)


def inert_anki_markup(fragment: str) -> str:
    """``fragment`` with Anki's own media and LaTeX markup shown as text, never acted on."""
    return _ANKI_MARKUP.sub("&#91;", fragment) if "[" in fragment else fragment


def _without_placeholder_characters(text: str) -> str:
    """The loader refuses these; should one come another way, it must never pass for a placeholder."""
    return _ANY_PLACEHOLDER_CHARACTER.sub("\ufffd", text) if has_placeholder_character(text) else text


def has_placeholder_character(text: str) -> bool:
    """Whether ``text`` holds one of our placeholder characters, as ``_ANY_PLACEHOLDER_CHARACTER.search`` tells.

    Four substring tests are fast where a regex looks at every character: in text with no character past
    U+00FF (most of it), Python answers each without looking at the text at all.
    tests/test_fast_derive.py checks it against the regex.
    """
    return "\ufdd0" in text or "\ufdd1" in text or "\ufdd2" in text or "\ufdd3" in text


def _render_markdown(text: str, image_src: ImageSrc | None, positions: list[tuple[int, int]]) -> str:
    """``render_markdown`` for text whose only placeholder characters are cloze placeholders we made, its
    formulas at ``positions`` (``_formula_positions``)."""
    safe = _plain_markdown(text, positions)
    if safe is not None:
        return safe
    if not positions:
        return _convert(text, image_src)
    spans = [text[start:end] for start, end in positions]
    protected = _set_aside(text, positions)
    from ankigen.sanitize import sanitize_html

    converted = _markdown_html(protected)
    restored = _MATH_TOKEN.sub(lambda m: html.escape(spans[int(m.group(1))], quote=True), converted)
    return sanitize_html(_MATH_MARKS.sub("", restored), image_src)  # (a placeholder Markdown cut in two)


def _formula_positions(text: str) -> list[tuple[int, int]]:
    """Where the formulas of ``text`` are (``math_spans``), found once for both ways of rendering it."""
    return list(math_spans(text)) if "\\" in text else []


def _plain_markdown(text: str, positions: list[tuple[int, int]]) -> str | None:
    """``_render_markdown``'s HTML for text ``plain_blocks`` takes once its formulas (at ``positions``) are set
    aside; else None.

    Its only tags are plain_blocks' own (p, ul, li, code, strong, em): every other '<', a formula's too, is
    escaped, so each cloze placeholder comes out as text, once, in the order written.
    """
    if not positions:
        return plain_blocks(text)
    safe = plain_blocks(_set_aside(text, positions))
    if safe is None:
        return None
    spans = [text[start:end] for start, end in positions]  # plain text has no tags: each formula lands in text
    return _MATH_TOKEN.sub(lambda m: html.escape(spans[int(m.group(1))], quote=False), safe)


def _set_aside(text: str, positions: list[tuple[int, int]]) -> str:
    """``text`` with each of its formulas (at ``positions``, in order) replaced by a numbered placeholder."""
    out = []
    position = 0
    for index, (start, end) in enumerate(positions):
        out += [text[position:start], _MATH_MARK.format(index)]
        position = end
    out.append(text[position:])
    return "".join(out)


def _convert(text: str, image_src: ImageSrc | None) -> str:
    """python-markdown's HTML for ``text``, sanitised."""
    from ankigen.sanitize import sanitize_html

    return sanitize_html(_markdown_html(text), image_src)


class MarkupError(ValueError):
    """Text python-markdown cannot render in bounded time or depth; ``offset`` is where the trouble starts."""

    def __init__(self, offset: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.hint = hint


# A '<' that starts a tag ('<b', '</b', '<!') with no '>' before the next '<' never closes: python-markdown's
# HTML parser takes quadratic time over many of them, and no card needs more than a few.
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*(?=<|\Z)")
MAX_UNCLOSED_TAGS = 64


def _markdown_html(text: str) -> str:
    """python-markdown's HTML for ``text``, or MarkupError where it would take unbounded time or depth."""
    unclosed = [match.start() for match in _UNCLOSED_TAG.finditer(text)] if "<" in text else []
    if len(unclosed) > MAX_UNCLOSED_TAGS:
        raise MarkupError(unclosed[MAX_UNCLOSED_TAGS], f"more than {MAX_UNCLOSED_TAGS} '<' that start a tag "
                          "and never close it", "write a literal '<' as '&lt;', or put code in `backticks`")
    try:
        return _converter().reset().convert(text)
    except RecursionError:
        _converter.cache_clear()  # a conversion cut short can leave the converter's parser state behind
        raise MarkupError(0, "the Markdown is nested too deeply to render",
                          "use fewer levels of lists, quotes or definitions") from None


@cache
def _converter() -> markdown.Markdown:
    """One converter per process, reset before each document.

    ``reset()`` clears all that extensions keep between documents (footnotes,
    abbreviations, link references); building a converter costs more than a
    conversion. tests/test_fast_paths.py checks it against fresh ones.

    The extensions are given as objects, in the order ``_EXTENSIONS`` names them:
    given names, python-markdown looks each up among installed packages' entry
    points, which took 25 ms in every process.

    Its link parsers look for a link's closing ']' and ')' afresh from every '[',
    which takes quadratic time on text such as "[a" repeated; ``_linear_links``
    gives them the same answers in linear time.
    """
    import markdown
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.codehilite import CodeHiliteExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extra = [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(), TableExtension(),
             MarkdownInHtmlExtension()]
    converter = markdown.Markdown(extensions=[*extra, SaneListExtension(),
                                              CodeHiliteExtension(**_extension_configs()["codehilite"])],
                                  output_format="html")
    for name in ("link", "image_link", "reference", "image_reference", "short_reference", "short_image_ref"):
        if name in converter.inlinePatterns:
            _linear_links(converter.inlinePatterns[name])
    return converter


def matching_brackets(data: str) -> dict[int, int]:
    """For each '[' in ``data``, the index of the ']' that closes it (nesting counted), if any."""
    closing: dict[int, int] = {}
    opened: list[int] = []
    for match in re.finditer(r"[\[\]]", data):
        if match.group() == "[":
            opened.append(match.start())
        elif opened:
            closing[opened.pop()] = match.start()
    return closing


def _linear_links(processor: Any) -> None:
    """Give one of python-markdown's link processors linear-time bracket matching (same results).

    ``getText(data, index)`` (index just after a '[') returns the text up to its
    matching ']'; here each string's brackets are matched once, not once per '['.
    ``getLink`` gives up at once when no ')' follows, instead of scanning to the end.
    """
    memo: dict[str, Any] = {"data": None}
    get_link = processor.getLink if hasattr(processor, "getLink") else None

    def remember(data: str) -> None:
        if memo["data"] is not data:
            memo.update(data=data, closing=matching_brackets(data), last_paren=data.rfind(")"))

    def get_text(data: str, index: int) -> tuple[str, int, bool]:
        remember(data)
        end = memo["closing"].get(index - 1)
        if end is None or data[index - 1] != "[":
            return data[index:], len(data), False
        return data[index:end], end + 1, True

    def linear_get_link(data: str, index: int) -> tuple[str, str | None, int, bool]:
        remember(data)
        if memo["last_paren"] < index:
            return "", None, index, False
        assert get_link is not None
        result: tuple[str, str | None, int, bool] = get_link(data, index)
        return result

    processor.getText = get_text
    if get_link is not None:
        processor.getLink = linear_get_link


# Text python-markdown makes into one paragraph with no more than this: one line, starting
# with a letter, a quote or a bracket, holding none of Markdown's (or HTML's) special
# characters except inline `code` and **strong** or *emphasis* around plain words, and '<'
# before a space ('p < 0.05' starts no tag). Most card text is like this, and
# plain_paragraph renders it fifty times faster.
# (Possessive: '*+' does not give back characters to try a shorter match that could never end the text.)
_PLAIN_CHARACTERS = r"(?:[^\x00-\x1f\x7f\\`*_\[\]<{}#|~^]++|<(?= ))*+"
_PLAIN = re.compile(r"(?:[^\W\d_]|[\"'(])" + _PLAIN_CHARACTERS + r"(?<!\s)\Z")
_PLAIN_RUN = re.compile(_PLAIN_CHARACTERS)
_SPAN = re.compile(r"`([^`\x00-\x1f\x7f]+)`|(\*\*?)([^*`]+)\2")
_BEFORE_SPAN = " ("  # a span starts the text or a word, and ends it:
_AFTER_SPAN = " .,;:!?)"


# A text of plain runs and spans as _simple_plain_paragraph walks it, in one pattern: it starts as that
# function requires, each span starts the text or follows ' ' or '(', ends it or is followed by one of
# _AFTER_SPAN, and its inside neither starts nor ends with a space ('(?!\s)', '(?<!\s)'): str.strip's spaces,
# which are the regex's); emphasis holds only plain characters, at least one.
_BOUNDED_SPAN = (r"(?<![^ (])(?:`(?!\s)[^`\x00-\x1f\x7f]+(?<!\s)`|(\*\*?)(?![\s*])" + _PLAIN_CHARACTERS
                 + r"(?<!\s)\1)(?![^ .,;:!?)])")
_PLAIN_WITH_SPANS = re.compile(r"(?=[^\W\d_]|[\"'(*`])" + _PLAIN_CHARACTERS + "(?:" + _BOUNDED_SPAN
                               + _PLAIN_CHARACTERS + r")*+\Z")  # (each run is looked at once)
# The spans of a text _PLAIN_WITH_SPANS accepts, in its escaped HTML ('&', '<' and '>' escaped: no mark moves).
_SPAN_MARKS = re.compile(r"`([^`]+)`|\*\*([^*`]+)\*\*|\*([^*`]+)\*")


def plain_paragraph(text: str) -> str | None:
    """What python-markdown and the sanitiser make of ``text`` if it is simple enough (see above); else None.

    Fast: one regex match decides whether the text is plain runs and spans (``_PLAIN_WITH_SPANS``, which takes
    every text ``_PLAIN`` takes, the last character being checked first), and the spans become tags in one
    pass over the text escaped once (``_tagged_spans``), where ``_simple_plain_paragraph`` matches and escapes
    span by span. tests/test_fast_paths.py checks the HTML against python-markdown,
    tests/test_fast_cloze_notes.py the answer against ``_simple_plain_paragraph``.
    """
    if ("&" in text and ";" in text) or not text or text[-1].isspace():  # '&name;' is an entity to Markdown
        return None
    if not _PLAIN_WITH_SPANS.match(text):  # (it takes every text _PLAIN takes, with no span in it)
        return None
    if "`" not in text and "*" not in text:
        return f"<p>{html.escape(text, quote=False)}</p>"
    return f"<p>{_tagged_spans(html.escape(text, quote=False))}</p>"


def _tagged_spans(escaped: str) -> str:
    """``_SPAN_MARKS.sub(_span_tag, escaped)`` for the escaped text of a text ``_PLAIN_WITH_SPANS`` accepts.

    Fast: such a text has a '`' only around code and a '*' only around emphasis (plain runs and emphasis
    hold neither; code holds no '`'), and no two spans touch, so ``str.split`` finds the spans where the
    regex looks for one at every character: the odd pieces split at '`' are code, and in the others, split
    at '*', an empty piece is the second '*' of a '**'. tests/test_fast_derive4.py checks it against the
    substitution.
    """
    if "`" not in escaped:
        return _tagged_emphasis(escaped)
    pieces = escaped.split("`")
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out += ("<code>", piece, "</code>")
        else:
            out.append(_tagged_emphasis(piece) if "*" in piece else piece)
    return "".join(out)


def _tagged_emphasis(escaped: str) -> str:
    """``_tagged_spans`` for text with no code: '**strong**' and '*emphasis*' tagged."""
    pieces = escaped.split("*")
    out = [pieces[0]]
    index = 1
    end = len(pieces)
    while index < end:
        if pieces[index]:  # '*inner*' then text
            out += ("<em>", pieces[index], "</em>", pieces[index + 1])
            index += 2
        else:  # '**inner**' then text
            out += ("<strong>", pieces[index + 1], "</strong>", pieces[index + 3])
            index += 4
    return "".join(out)


def _span_tag(span: re.Match[str]) -> str:
    code, strong, emphasis = span.groups()
    if code is not None:
        return f"<code>{code}</code>"
    return f"<strong>{strong}</strong>" if strong is not None else f"<em>{emphasis}</em>"


def _simple_plain_paragraph(text: str) -> str | None:
    """``plain_paragraph`` one span at a time: the oracle of its one-regex version.

    tests/test_fast_paths.py checks that this and python-markdown agree for every text this accepts;
    tests/test_fast_cloze_notes.py that ``plain_paragraph`` answers as this does.
    """
    if ("&" in text and ";" in text) or not text or text[-1].isspace():  # '&name;' is an entity to Markdown
        return None
    if _PLAIN.match(text):
        return f"<p>{html.escape(text, quote=False)}</p>"
    if not (_PLAIN.match(text[0]) or text[0] in "*`"):
        return None
    out = ["<p>"]
    done = 0
    while (start := _plain_run_end(text, done)) < len(text):  # a special character: a span must start here
        span = _SPAN.match(text, start)
        if span is None:
            return None
        end = span.end()
        if (start and text[start - 1] not in _BEFORE_SPAN) or (end < len(text) and text[end] not in _AFTER_SPAN):
            return None
        code, marks, inner = span.groups()
        if code is not None:
            if code != code.strip():
                return None
            tag, inner = "code", code
        elif inner != inner.strip() or _plain_run_end(inner, 0) < len(inner):
            return None
        else:
            tag = "strong" if len(marks) == 2 else "em"
        out += [html.escape(text[done:start], quote=False), f"<{tag}>", html.escape(inner, quote=False), f"</{tag}>"]
        done = end
    out += [html.escape(text[done:], quote=False), "</p>"]
    return "".join(out)


def _plain_run_end(text: str, start: int) -> int:
    """Where the characters plain_paragraph copies as they are, from ``start``, end."""
    run = _PLAIN_RUN.match(text, start)
    return run.end() if run else start


def plain_blocks(text: str) -> str | None:
    """Like ``plain_paragraph``, for paragraphs and tight '- ' lists apart by one blank line; else None."""
    if "\n" not in text:
        return plain_paragraph(text)
    out = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if len(lines) == 1 and not block.startswith("- "):
            paragraph = plain_paragraph(block)
            if paragraph is None:
                return None
            out.append(paragraph)
        elif all(line.startswith("- ") for line in lines) and not (out and out[-1].endswith("</ul>")):
            items = ["<ul>"]  # (a list right after a list is one loose list, with paragraphs in its items)
            for line in lines:
                item = plain_paragraph(line[2:])
                if item is None:
                    return None
                items.append(f"<li>{item[3:-4]}</li>")
            out.append("\n".join([*items, "</ul>"]))
        else:
            return None
    return "\n".join(out)


def render_inline(text: str, image_src: ImageSrc | None = None) -> str:
    """Render Markdown meant for one line (a name, an answer) without the wrapping paragraph."""
    if "\\" not in text:
        safe = plain_paragraph(text)
        if safe is not None:  # one '<p>...</p>' with no paragraph inside
            return inert_anki_markup(safe[3:-4])
    return _unwrapped(render_markdown(text, image_src))


def _unwrapped(rendered: str) -> str:
    """Markdown's HTML without the paragraph around it, when it is one paragraph."""
    single = _PARAGRAPH.match(rendered)
    if single and "<p>" not in single.group(1):
        return single.group(1)
    return rendered


def inline_of(text: str, rendered: str) -> str | None:
    """``render_inline(text)``, given ``rendered``, which is ``render_markdown(text)``: no second rendering.

    ``render_inline`` is ``render_markdown`` unwrapped, or its shortcut, which takes one line of plain text
    (no backslash, so no math and no newline: ``render_markdown`` takes the same shortcut for it) and unwraps
    it the same way. Only a text holding placeholder characters differs (the shortcut keeps them, Markdown
    replaces them): None then. tests/test_fast_derive.py checks it against ``render_inline``.
    """
    if has_placeholder_character(text):
        return None
    return _unwrapped(rendered)


def plain_field(render: object, source: str) -> str | None:
    """``render(source)`` (``render`` being ``render_inline`` or ``render_markdown``) when it is plain text with
    no backslash, which their shortcut takes; else None.

    Fast for cards' ``_checked``: such HTML is made without the sanitiser and without images, and holds no
    backslash even with its entities decoded, so there is nothing to collect or look for (``_field_problems`` finds
    nothing) and no removals to enter. It calls what ``render_inline`` and ``render_markdown`` call for such
    text; tests/test_fast_derive4.py checks it against them and against ``_checked``'s general way.
    """
    if "\\" in source:
        return None
    if render is render_inline:
        safe = plain_paragraph(source)
        return None if safe is None else inert_anki_markup(safe[3:-4])
    if render is render_markdown and not has_placeholder_character(source):
        safe = plain_blocks(source)
        return None if safe is None else inert_anki_markup(safe)
    return None


def render_cloze(cloze: ClozeText, name_deletion: Deletion | None = None,
                 image_src: ImageSrc | None = None) -> str:
    """Render cloze text to HTML in Anki's ``{{cN::answer::hint}}`` form.

    ``name_deletion`` (an item's name as c1) is prefixed to the text as its subject.
    """
    skeleton = cloze_skeleton(cloze)
    positions = _formula_positions(skeleton)
    body = _plain_cloze_body(skeleton, positions, cloze, image_src)
    if body is None:
        body = _check_placements(_guard_braces(_render_markdown(skeleton, image_src, positions)), cloze)
        deletions = cloze.deletions
        body = inert_anki_markup(_CLOZE_TOKEN.sub(lambda m: anki_cloze(deletions[int(m.group(1))], image_src),
                                                  body))
    if name_deletion is None:
        return body
    subject = f"<strong>{anki_cloze(name_deletion, image_src)}</strong>: "
    return body.replace("<p>", "<p>" + subject, 1) if body.startswith("<p>") else subject + body


def _plain_cloze_body(skeleton: str, positions: list[tuple[int, int]], cloze: ClozeText,
                      image_src: ImageSrc | None) -> str | None:
    """``render_cloze``'s text (without the name) when ``_plain_markdown`` takes ``skeleton``; else None.

    Fast: plain HTML holds each placeholder as text, once, in order (``_plain_markdown``), so the check that
    every deletion came out as text is one comparison of the numbers ``_CLOZE_TOKEN.split`` finds, and the
    deletions are put in by a slice assignment, not a substitution calling back per placeholder.
    tests/test_fast_cloze_notes.py checks it against the general way (``_check_placements`` and the
    substitution) on every source of the tests and on generated cloze text.
    """
    plain = _plain_markdown(skeleton, positions)
    if plain is None:
        return None
    parts = _CLOZE_TOKEN.split(_guard_braces(plain))
    if tuple(parts[1::2]) != _decimals(len(cloze.deletions)):
        return None  # (cannot happen, see above; the general way then says what went wrong)
    parts[1::2] = [anki_cloze(deletion, image_src) for deletion in cloze.deletions]
    return inert_anki_markup("".join(parts))


@lru_cache(maxsize=64)
def _decimals(count: int) -> tuple[str, ...]:
    """'0', '1', ... up to ``count`` numbers: the placeholders of a cloze with ``count`` deletions, in order."""
    return tuple(map(str, range(count)))


@lru_cache(maxsize=64)
def _cloze_marks(count: int) -> tuple[str, ...]:
    return tuple(_CLOZE_MARK.format(index) for index in range(count))


def cloze_skeleton(cloze: ClozeText) -> str:
    """The cloze text with each deletion a numbered placeholder (and no placeholder characters of its own).

    The pieces, joined, are looked at for placeholder characters first, the usual answer being that there are
    none (then no piece has one to replace): a few calls into C whatever the number of pieces, and in text
    with no character past U+00FF (most of it) ``has_placeholder_character`` answers without looking at it.
    tests/test_fast_derive.py and tests/test_fast_cloze_notes.py check it against ``_simple_cloze_skeleton``."""
    pieces = cloze.pieces
    count = len(pieces) - 1
    if has_placeholder_character(pieces[0] if not count else "".join(pieces)):
        return _simple_cloze_skeleton(cloze)
    if not count:
        return pieces[0]
    joined: list[str] = [""] * (2 * count + 1)
    joined[::2] = pieces
    joined[1::2] = _cloze_marks(count)
    return "".join(joined)


def _simple_cloze_skeleton(cloze: ClozeText) -> str:
    skeleton = [_without_placeholder_characters(cloze.pieces[0])]
    for index, piece in enumerate(cloze.pieces[1:]):
        skeleton.append(_CLOZE_MARK.format(index))
        skeleton.append(_without_placeholder_characters(piece))
    return "".join(skeleton)


def anki_cloze(deletion: Deletion, image_src: ImageSrc | None = None) -> str:
    """One deletion in Anki's syntax, with '::' and '}}' in the answer escaped so Anki can't misread them.

    Inside math the answer is TeX, escaped but not Markdown, and a hint becomes ``\\text{...}`` so that
    Anki's "[hint]" on the question keeps its spaces in the formula.
    """
    if deletion.in_math:
        answer = _guard(html.escape(deletion.answer, quote=False))
        hint = f"\\text{{{deletion.hint}}}" if deletion.hint else ""
    elif deletion.answer.isalnum() or plain_words(deletion.answer):  # Markdown leaves it as it is
        answer = deletion.answer
        hint = deletion.hint
    else:
        answer = _guard(render_inline(deletion.answer, image_src))
        hint = deletion.hint
    if not hint:
        return f"{{{{c{deletion.number}::{answer}}}}}"
    hint = inert_anki_markup(_guard(html.escape(hint, quote=False)))
    return f"{{{{c{deletion.number}::{answer}::{hint}}}}}"


def plain_words(text: str) -> bool:
    """Whether ``text`` is words of letters and digits, one or more spaces apart, starting with a letter: such
    text is its own ``render_inline`` (and ``_guard`` leaves it alone), as an item's name usually is.

    Fast: three string methods, where ``render_inline`` matches a regex, escapes the text, makes a paragraph
    of it and takes it out again. ``plain_paragraph`` takes every such text (its first character is a letter,
    the others letters, digits or spaces, the last no space) and makes '<p>' + text + '</p>' of it (nothing
    to escape, no span, no '[' for ``inert_anki_markup``). tests/test_fast_derive4.py checks it against
    ``render_inline``.
    """
    return text[:1].isalpha() and text[-1] != " " and text.replace(" ", "").isalnum()


def _guard_braces(fragment: str) -> str:
    """Literal braces as entities where Anki could read them as cloze markup: written '\\{{', or one
    brace (perhaps from '&#123;') against a deletion, which would make '{{{c2::' or '}}}'."""
    if "{" not in fragment and "}" not in fragment:
        return fragment
    guarded = fragment.replace("}}", "}&#125;").replace("{{", "{&#123;")
    return guarded.replace("{\ufdd2", "&#123;\ufdd2").replace("\ufdd3}", "\ufdd3&#125;")


# A placeholder inside a tag: in an attribute, where Anki's cloze markup would break the HTML.
_PLACEHOLDER_IN_TAG = re.compile("<[^<>]*\ufdd2(\\d+)\ufdd3")


def _check_placements(body: str, cloze: ClozeText) -> str:
    """Every deletion must come out once, as text: not dropped with unsafe HTML, not inside a tag."""
    inside = _PLACEHOLDER_IN_TAG.search(body)
    if inside:
        raise ClozeSyntaxError(cloze.deletions[int(inside.group(1))].offset,
                               "a cloze deletion cannot be part of a link or image address or an HTML tag",
                               "put the whole link in the braces, such as '{{[text](https://example.org)}}'")
    kept = {int(number) for number in _CLOZE_TOKEN.findall(body)}
    for index, deletion in enumerate(cloze.deletions):
        if index not in kept:
            raise ClozeSyntaxError(deletion.offset, "this cloze deletion is inside markup that cards leave out "
                                   "(such as <script>, <style> or an HTML comment)", "move it out of that markup")
    return body


def _guard(fragment: str) -> str:
    """An answer or hint as Anki must read it: no '::', '{{' or '}}' inside, and no ':' or '}' at its end,
    where it would join the '::' or '}}' around it ('a:' + '::hint' reads as 'a' + ':hint')."""
    if ":" not in fragment and "{" not in fragment and "}" not in fragment:
        return fragment
    guarded = fragment.replace("::", ":&#58;").replace("}}", "}&#125;").replace("{{", "{&#123;")
    if guarded.endswith(":"):
        guarded = guarded[:-1] + "&#58;"
    elif guarded.endswith("}"):
        guarded = guarded[:-1] + "&#125;"
    return guarded
