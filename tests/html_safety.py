"""What in a piece of HTML could run code or load something: the check behind the hostile-input tests.

Deliberately not the sanitiser's own logic: a regex reading of the raw text
(to catch what a different HTML parser might see) plus every attribute as a
browser unescapes it, and the TeX that MathJax, which Anki runs on cards,
turns into links and attributes.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements that run code, load things, or change the page around the card.
_ACTIVE_TAG = re.compile(r"<\s*/?\s*(script|iframe|frame|object|embed|applet|base|form|svg|math|link|meta|"
                         r"style|input|button|textarea|template)\b", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_QUOTED_VALUE = re.compile(r"""=\s*("[^"]*"|'[^']*')""")
# TeX that MathJax (which Anki runs on cards) makes into links, styles or attributes; code is not typeset.
_ACTIVE_TEX = re.compile(r"\\(href|style|class|cssId|data|require|mmlToken)\b")
_CODE = re.compile(r"<code\b.*?</code>", re.DOTALL)
_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)  # MathJax's delimiters in Anki
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "srcset", "xlink:href"}


class _Attributes(HTMLParser):
    """Every attribute of every tag, values unescaped as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend((tag, name, value or "") for name, value in attrs)


def attributes(markup: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(markup)
    parser.close()
    return parser.found


def dangers(markup: str, *, allowed_tags: re.Pattern[str] | None = None, links_to_web: bool = True) -> list[str]:
    """What in ``markup`` could run code or load something, as readable findings (empty when safe)."""
    found = [f"tag {match.group()!r}" for match in _ACTIVE_TAG.finditer(markup)
             if not (allowed_tags and allowed_tags.match(match.group(1)))]
    unquoted = _QUOTED_VALUE.sub('=""', markup)  # what is inside a quoted value is not an attribute
    found += [f"event handler in {match.group()!r}" for match in _EVENT_HANDLER.finditer(unquoted)]
    for math in _MATH.finditer(html.unescape(_CODE.sub("", markup))):
        found += [f"TeX {match.group()!r}" for match in _ACTIVE_TEX.finditer(math.group())]
    for tag, name, value in attributes(markup):
        url = "".join(char for char in html.unescape(value) if char > " ").lower()
        if name.startswith("on"):
            found.append(f"<{tag} {name}=...>")
        if name in _URL_ATTRIBUTES and url.startswith(("javascript:", "vbscript:", "data:text", "file:")):
            found.append(f"<{tag} {name}={value!r}>")
        web = url.startswith(("http:", "https:", "//", "\\\\", "/\\"))
        if name in _URL_ATTRIBUTES and web and not (links_to_web and tag == "a" and name == "href"):
            found.append(f"<{tag} {name}={value!r}> loads from elsewhere")
    return found


# MathML Core (what the study sheet typesets TeX into) and the attributes that only change how it is drawn.
MATHML_CORE = frozenset("""
math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mmultiscripts mprescripts none mfrac
msqrt mroot mstyle mpadded mphantom mtable mtr mtd merror
""".split())
_MATHML_ATTRIBUTES = frozenset("""
accent accentunder columnalign columnlines columnspacing columnspan depth display displaystyle fence form height
largeop linethickness lspace mathbackground mathcolor mathsize mathvariant maxsize minsize movablelimits rowalign
rowlines rowspacing rowspan rspace scriptlevel separator stretchy symmetric voffset width
""".split())
_MATHML_CLASSES = frozenset({"math-gap", "math-hint", "math-filled", "math-boxed"})
_MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.DOTALL | re.IGNORECASE)


def mathml_dangers(markup: str) -> list[str]:
    """What inside the ``<math>`` elements of ``markup`` is not plain MathML Core as the sheet writes it:
    another element, a link, a style, an author's class, a value that could name a URL."""
    found = []
    for math in _MATH_ELEMENT.finditer(markup):
        parser = _Elements()
        parser.feed(math.group())
        parser.close()
        for tag, attrs in parser.elements:
            if tag not in MATHML_CORE:
                found.append(f"<{tag}> in math")
            for name, value in attrs:
                known = name in _MATHML_ATTRIBUTES or (name == "class" and value in _MATHML_CLASSES)
                if not known or any(char in value for char in "():;\"'"):
                    found.append(f"<{tag} {name}={value!r}> in math")
    return found


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, [(name, value or "") for name, value in attrs]))

