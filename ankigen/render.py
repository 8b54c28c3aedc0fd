"""Markdown to safe HTML for card fields and sheets.

TeX math (``\\(...\\)``, ``\\[...\\]``) is set aside before Markdown runs and put
back untouched afterwards, because Markdown would eat its backslashes and
underscores; Anki's MathJax and the sheet read it from the HTML text. Cloze
deletions are rendered the same way: set aside, their answers rendered on
their own, and put back as Anki's ``{{cN::answer::hint}}``.
"""

from __future__ import annotations

import html
import re

import markdown

from ankigen.cloze import ClozeText, Deletion
from ankigen.sanitize import sanitize_html

_EXTENSIONS = ["extra", "sane_lists"]
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
# Private-use characters: Markdown leaves them alone and authors never type them.
_MATH_MARK = "\ue000{}\ue001"
_MATH_TOKEN = re.compile("\ue000(\\d+)\ue001")
_CLOZE_MARK = "\ue002{}\ue003"
_CLOZE_TOKEN = re.compile("\ue002(\\d+)\ue003")
_PARAGRAPH = re.compile(r"<p>(.*)</p>\Z", re.DOTALL)


def render_markdown(text: str) -> str:
    """Render block Markdown (paragraphs, lists, code) to sanitised HTML."""
    spans: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        spans.append(html.escape(match.group(0), quote=False))
        return _MATH_MARK.format(len(spans) - 1)

    protected = _MATH.sub(set_aside, text.replace("\ue000", "").replace("\ue001", ""))
    # A fresh converter per document: extensions keep state (footnotes, abbreviations).
    converted = markdown.Markdown(extensions=_EXTENSIONS, output_format="html").convert(protected)
    safe = sanitize_html(converted)
    return _MATH_TOKEN.sub(lambda m: spans[int(m.group(1))], safe)


def render_inline(text: str) -> str:
    """Render Markdown meant for one line (a name, an answer) without the wrapping paragraph."""
    rendered = render_markdown(text)
    single = _PARAGRAPH.match(rendered)
    if single and "<p>" not in single.group(1):
        return single.group(1)
    return rendered


def render_cloze(cloze: ClozeText, name_deletion: Deletion | None = None) -> str:
    """Render cloze text to HTML in Anki's ``{{cN::answer::hint}}`` form.

    ``name_deletion`` (an item's name as c1) is prefixed to the text as its subject.
    """
    skeleton = [cloze.pieces[0]]
    for index, piece in enumerate(cloze.pieces[1:]):
        skeleton.append(_CLOZE_MARK.format(index))
        skeleton.append(piece)
    body = render_markdown("".join(skeleton))
    deletions = cloze.deletions
    body = _CLOZE_TOKEN.sub(lambda m: anki_cloze(deletions[int(m.group(1))]), body)
    if name_deletion is None:
        return body
    subject = f"<strong>{anki_cloze(name_deletion)}</strong>: "
    return body.replace("<p>", "<p>" + subject, 1) if body.startswith("<p>") else subject + body


def anki_cloze(deletion: Deletion) -> str:
    """One deletion in Anki's syntax, with '::' and '}}' in the answer escaped so Anki can't misread them."""
    answer = _guard(render_inline(deletion.answer))
    hint = _guard(html.escape(deletion.hint, quote=False))
    return f"{{{{c{deletion.number}::{answer}{'::' + hint if hint else ''}}}}}"


def _guard(fragment: str) -> str:
    return fragment.replace("::", ":&#58;").replace("}}", "}&#125;").replace("{{", "{&#123;")
