"""Markdown to safe HTML for card fields and sheets.

TeX math (``\\(...\\)``, ``\\[...\\]``) is set aside before Markdown runs and put
back untouched afterwards, because Markdown would eat its backslashes and
underscores; Anki's MathJax and the sheet read it from the HTML text. Cloze
deletions are rendered the same way: set aside, their answers rendered on
their own, and put back as Anki's ``{{cN::answer::hint}}``.

Fenced code blocks are highlighted by pygments (through codehilite) into
``<div class="codehilite">`` with short token classes; the colours live in our
CSS (templates/card.css), never inline, so cards and sheets restyle them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from ankigen.cloze import ClozeSyntaxError, ClozeText, Deletion

if TYPE_CHECKING:  # python-markdown, pygments and the sanitiser are imported when a text needs them:
    import markdown  # most texts take the fast path, and a rebuild of one deck may need none of them
    from pygments.token import _TokenType

    from ankigen.sanitize import ImageSrc

_EXTENSIONS = ["extra", "sane_lists", "codehilite"]
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
# Private-use characters: Markdown leaves them alone and authors never type them.
_MATH_MARK = "\ue000{}\ue001"
_MATH_TOKEN = re.compile("\ue000(\\d+)\ue001")
_CLOZE_MARK = "\ue002{}\ue003"
_CLOZE_TOKEN = re.compile("\ue002(\\d+)\ue003")
_PARAGRAPH = re.compile(r"<p>(.*)</p>\Z", re.DOTALL)
# A math or cloze placeholder, which a lexer may have cut into several tokens.
_PLACEHOLDER = re.compile("[\ue000\ue002][^\ue001\ue003]*(?:[\ue001\ue003]|\\Z)")


@cache
def _placeholder_safe_formatter() -> type:
    from pygments.formatters import HtmlFormatter

    class PlaceholderSafeFormatter(HtmlFormatter):  # type: ignore[type-arg]
        """pygments' HTML, with our placeholders kept whole so they can be put back after highlighting.

        A lexer sees a placeholder as stray characters and splits it across spans
        (``<span class="err">\ue002</span><span class="mi">0</span>...``); joined
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
            if match.group()[-1] not in "\ue001\ue003":
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


def _may_hold_math(text: str) -> bool:
    """Whether render_markdown must set math aside first: a backslash, or our placeholder marks to remove."""
    return "\\" in text or "\ue000" in text or "\ue001" in text


def render_markdown(text: str, image_src: ImageSrc | None = None) -> str:
    """Render block Markdown (paragraphs, lists, code) to sanitised HTML.

    ``image_src`` decides what each image's src becomes (see ``sanitize_html``).
    """
    if not _may_hold_math(text):  # nothing to set aside
        safe = plain_blocks(text)
        return safe if safe is not None else _convert(text, image_src)
    spans: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        spans.append(html.escape(match.group(0), quote=False))
        return _MATH_MARK.format(len(spans) - 1)

    protected = _MATH.sub(set_aside, text.replace("\ue000", "").replace("\ue001", ""))
    safe = plain_blocks(protected)
    if safe is None:
        safe = _convert(protected, image_src)
    return _MATH_TOKEN.sub(lambda m: spans[int(m.group(1))], safe) if spans else safe


def _convert(text: str, image_src: ImageSrc | None) -> str:
    """python-markdown's HTML for ``text``, sanitised."""
    from ankigen.sanitize import sanitize_html

    return sanitize_html(_converter().reset().convert(text), image_src)


@cache
def _converter() -> markdown.Markdown:
    """One converter per process, reset before each document.

    ``reset()`` clears all that extensions keep between documents (footnotes,
    abbreviations, link references); building a converter costs more than a
    conversion. tests/test_fast_paths.py checks it against fresh ones.

    The extensions are given as objects, in the order ``_EXTENSIONS`` names them
    ("extra" being the seven below): given names, python-markdown looks each up
    among installed packages' entry points, which took 25 ms in every process.
    """
    import markdown
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.codehilite import CodeHiliteExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extra = [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(), TableExtension(),
             AbbrExtension(), MarkdownInHtmlExtension()]
    return markdown.Markdown(extensions=[*extra, SaneListExtension(),
                                         CodeHiliteExtension(**_extension_configs()["codehilite"])],
                             output_format="html")


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


def plain_paragraph(text: str) -> str | None:
    """What python-markdown and the sanitiser make of ``text`` if it is simple enough (see above); else None.

    tests/test_fast_paths.py checks that the two agree for every text this accepts.
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
    if not _may_hold_math(text):
        safe = plain_paragraph(text)
        if safe is not None:  # one '<p>...</p>' with no paragraph inside
            return safe[3:-4]
    rendered = render_markdown(text, image_src)
    single = _PARAGRAPH.match(rendered)
    if single and "<p>" not in single.group(1):
        return single.group(1)
    return rendered


def render_cloze(cloze: ClozeText, name_deletion: Deletion | None = None,
                 image_src: ImageSrc | None = None) -> str:
    """Render cloze text to HTML in Anki's ``{{cN::answer::hint}}`` form.

    ``name_deletion`` (an item's name as c1) is prefixed to the text as its subject.
    """
    skeleton = [cloze.pieces[0]]
    for index, piece in enumerate(cloze.pieces[1:]):
        skeleton.append(_CLOZE_MARK.format(index))
        skeleton.append(piece)
    body = _check_placements(_guard_braces(render_markdown("".join(skeleton), image_src)), cloze)
    deletions = cloze.deletions
    body = _CLOZE_TOKEN.sub(lambda m: anki_cloze(deletions[int(m.group(1))], image_src), body)
    if name_deletion is None:
        return body
    subject = f"<strong>{anki_cloze(name_deletion, image_src)}</strong>: "
    return body.replace("<p>", "<p>" + subject, 1) if body.startswith("<p>") else subject + body


def anki_cloze(deletion: Deletion, image_src: ImageSrc | None = None) -> str:
    """One deletion in Anki's syntax, with '::' and '}}' in the answer escaped so Anki can't misread them."""
    answer = _guard(render_inline(deletion.answer, image_src))
    if not deletion.hint:
        return f"{{{{c{deletion.number}::{answer}}}}}"
    return f"{{{{c{deletion.number}::{answer}::{_guard(html.escape(deletion.hint, quote=False))}}}}}"


# TeX commands that MathJax, which Anki runs on every card, turns into HTML of its
# own: links (\href, to javascript: too), inline styles that can load from the web,
# classes, ids, data attributes, extension loads. A way around the sanitiser.
_UNSAFE_TEX = re.compile(r"\\(?:href|style|class|cssId|data|require|mmlToken)(?![A-Za-z])")
_NOT_TYPESET = re.compile(r"<(code|pre)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)  # MathJax skips these
_TAG = re.compile(r"<[^>]*>")


def unsafe_tex(field_html: str) -> str | None:
    """The first TeX command in ``field_html``'s math that MathJax would make into HTML, if any.

    The math is found as MathJax finds it: in the text a browser shows (entities
    decoded, tags left out), outside code.
    """
    if "\\" not in field_html and "&" not in field_html:  # no backslash, and no entity that could be one
        return None
    shown = html.unescape(_TAG.sub("", _NOT_TYPESET.sub("", field_html)))
    for math in _MATH.finditer(shown):
        command = _UNSAFE_TEX.search(math.group())
        if command:
            return command.group()
    return None


def _guard_braces(fragment: str) -> str:
    """Literal braces as entities where Anki could read them as cloze markup: written '\\{{', or one
    brace (perhaps from '&#123;') against a deletion, which would make '{{{c2::' or '}}}'."""
    if "{" not in fragment and "}" not in fragment:
        return fragment
    guarded = fragment.replace("}}", "}&#125;").replace("{{", "{&#123;")
    return guarded.replace("{\ue002", "&#123;\ue002").replace("\ue003}", "\ue003&#125;")


# A placeholder inside a tag: in an attribute, where Anki's cloze markup would break the HTML.
_PLACEHOLDER_IN_TAG = re.compile("<[^<>]*\ue002(\\d+)\ue003")


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
