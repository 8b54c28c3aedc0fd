"""An allowlist HTML sanitiser for everything that reaches a card or a sheet.

Anki shows card HTML in a web view that runs scripts, so a source must never be
able to put script, frames, event handlers, ``javascript:`` links or remote
resources into a field. Only the tags and attributes listed here survive;
the contents of dangerous elements are dropped whole; any other tag that is
not on the list is shown as the text the author wrote (``<T>`` in "List<T>"
stays visible). Classes that steer MathJax and ids that could clobber the
reviewer's own elements are left out too.

Whatever is removed is recorded where a caller asks for it (``removals``), so
ankigen can tell the author at the line that wrote it: nothing disappears
without a word.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextvars import ContextVar
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code dd del div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "i img ins kbd li mark ol p pre q s samp small span strong sub sup table tbody td tfoot th thead tr "
    "u ul var".split()
)
VOID_TAGS = frozenset({"br", "hr", "img"})
# HTML's void elements: they never have content or an end tag.
_HTML_VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "frame", "hr", "img", "input", "keygen",
                                 "link", "meta", "param", "source", "track", "wbr"})
# Elements whose content is code or foreign markup: dropped together with everything inside.
DROPPED_WITH_CONTENT = frozenset(
    "script style iframe frame frameset object embed applet template noscript textarea select "
    "svg math head title base link meta form button input".split()
)
_GLOBAL_ATTRIBUTES = frozenset({"class", "title", "id", "lang", "dir"})
# MathJax typesets inside elements of these classes even in <code>, and skips others: cards never steer it.
_MATHJAX_CLASS = re.compile(r"tex2jax|mathjax|mjx", re.IGNORECASE)
# Ids only as python-markdown's footnotes make them ("fn:1", "fnref2:1"): an id such as "qa" or "answer"
# would clobber the elements Anki's reviewer finds by id.
_FOOTNOTE_ID = re.compile(r"fn(?:ref\d*)?:[\w.-]+\Z")
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "ol": {"start"},
}
# Links may point to the web (clicking is the user's choice); nothing else may load from it.
_SAFE_LINK = re.compile(r"(https?:|mailto:|#)", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


# Given an image's src as written, the src to write instead, or None to drop it.
ImageSrc = Callable[[str], str | None]


_removals: ContextVar[list[tuple[str, str]] | None] = ContextVar("ankigen_sanitizer_removals", default=None)


class removals:  # lower case: used as the function it replaced, "with removals() as removed"
    """Collect what ``sanitize_html`` removes inside the block: (what, a regex that finds it as written), such
    as ("<script> element", "<script\\b"). (A class, not a generator: a build enters one for every text.)"""

    def __enter__(self) -> list[tuple[str, str]]:
        self._found: list[tuple[str, str]] = []
        self._token = _removals.set(self._found)
        return self._found

    def __exit__(self, *exc: object) -> None:
        _removals.reset(self._token)


def sanitize_html(markup: str, image_src: ImageSrc | None = None) -> str:
    """Return ``markup`` with only allowlisted tags and attributes, safe to put in a card.

    ``image_src`` sees every ``<img src>`` that survives as written, before the
    URL check (so it can explain a refused remote image); what it returns is
    checked like any other src.
    """
    parser = _Sanitizer(image_src, _removals.get())
    parser.feed(markup)
    parser.close()
    return parser.output()


def _safe_url(tag: str, name: str, value: str) -> bool:
    # Browsers strip control characters and spaces around a URL and tabs and line breaks
    # inside it ("\x01java\tscript:" is javascript:), so judge the URL without any of them.
    url = "".join(char for char in value if char > " " and not char.isspace())
    if tag == "a" and name == "href":
        return bool(_SAFE_LINK.match(url)) or not (_SCHEME.match(url) or url.startswith("//"))
    if tag == "img" and name == "src":
        return not (_SCHEME.match(url) or url.startswith(("//", "/", "\\")))
    return True


def _kept_attribute(tag: str, name: str, value: str | None, allowed: frozenset[str] | set[str]) -> str | None:
    """The attribute's value as kept on a card, or None when it is removed."""
    if name not in allowed or value is None or not _safe_url(tag, name, value):
        return None
    if name == "class":
        value = " ".join(word for word in value.split() if not _MATHJAX_CLASS.search(word))
        return value or None
    if name == "id" and not _FOOTNOTE_ID.match(value):
        return None
    return value


class _Sanitizer(HTMLParser):
    def __init__(self, image_src: ImageSrc | None = None, removed: list[tuple[str, str]] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self._image_src = image_src
        self._removed = removed
        self._out: list[str] = []
        self._open: list[str] = []
        self._skip_depth = 0
        self._skip_tag = ""

    def output(self) -> str:
        return "".join(self._out) + "".join(f"</{tag}>" for tag in reversed(self._open))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            self._skip_depth += tag == self._skip_tag
            return
        if tag in DROPPED_WITH_CONTENT:
            self._report(f"<{tag}> element", rf"<{tag}\b")
            if tag not in _HTML_VOID_ELEMENTS:  # a void element has no end tag to wait for
                self._skip_tag, self._skip_depth = tag, 1
            return
        if tag not in ALLOWED_TAGS:  # not markup cards use: show it as the author wrote it
            self._out.append(html.escape(self.get_starttag_text() or f"<{tag}>", quote=False))
            return
        allowed = _GLOBAL_ATTRIBUTES | _TAG_ATTRIBUTES.get(tag, set())
        if tag == "img" and self._image_src is not None:
            attrs = [(name, self._image_src(value) if name == "src" and value is not None else value)
                     for name, value in attrs]
        kept = []
        for name, value in attrs:
            safe = _kept_attribute(tag, name, value, allowed)
            if safe is not None:
                kept.append(f' {name}="{html.escape(safe, quote=True)}"')
                if name == "class" and safe != value:
                    self._report(f"class {value!r} of <{tag}>, which steers MathJax,", re.escape(str(value)))
            elif tag == "img" and name == "src":
                continue  # a refused image is explained where it is resolved (media.py)
            elif name in allowed and value is not None and not _safe_url(tag, name, value):
                shown = value if len(value) <= 40 else value[:39] + "…"
                self._report(f"address {shown!r} of <{tag} {name}>", rf"\b{name}\s*=")
            elif name == "class" and value:
                self._report(f"class {value!r} of <{tag}>, which steers MathJax,", re.escape(value))
            else:
                self._report(f"attribute '{name}' of <{tag}>", rf"\s{re.escape(name)}\b")
        self._out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID_TAGS:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"svg", "math"}:  # in foreign content '/>' closes the element: drop it, keep what follows
            self._report(f"<{tag}> element", rf"<{tag}\b")
            return
        self.handle_starttag(tag, attrs)
        if tag in self._open and tag not in VOID_TAGS and self._open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth -= 1
            return
        if tag not in self._open:
            if tag not in ALLOWED_TAGS and tag not in DROPPED_WITH_CONTENT:
                self._out.append(html.escape(f"</{tag}>", quote=False))
            return
        while self._open:
            top = self._open.pop()
            self._out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._out.append(html.escape(data, quote=False))

    def _report(self, what: str, written: str) -> None:
        if self._removed is not None:
            self._removed.append((what, written))
