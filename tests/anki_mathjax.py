"""Test helpers that typeset card HTML with *Anki's own* MathJax in real headless Chromium, and check the DOM.

Anki's reviewer puts a card's HTML into its page with ``innerHTML`` and then runs
``MathJax.typesetClear(); MathJax.typesetPromise([qa])`` with the MathJax that
the ``aqt`` wheel ships: ``_aqt/data/web/js/mathjax.js`` (Anki's configuration:
``startup.typeset: false``, the ``noerrors`` and ``mathtools`` packages, files
under ``/_anki/js/vendor/mathjax``) and ``js/vendor/mathjax/tex-chtml-full.js``.
These helpers do the same:

* ``anki_mathjax_web()`` gets the ``aqt`` wheel of the same version as the
  ``anki`` package the tests use (``pip download``, checked against a pinned
  SHA-256, kept in a cache folder) and unpacks Anki's MathJax files once;
* ``typeset_pages`` serves them from a loopback HTTP server at the paths Anki
  serves them from (``/_anki/js/...``), opens one page per list of cards in
  headless Chromium (a few at once), puts each card in its own box the way the
  reviewer does, typesets it, and posts the resulting DOM back to the server;
* ``dom_dangers`` reads that DOM: event handlers, ``javascript:`` and similar
  URLs, CSS ``url()`` from the card, links inside MathJax output, and
  attributes that came from TeX (``\\class``, ``\\cssId``, ``\\data``,
  ``\\style``, ``\\href``, as MathJax's own math tree holds them).

Without Chromium or the wheel the calling test is skipped with the reason,
except under ``ANKIGEN_REQUIRE_CHROMIUM=1`` (``.ci/run``), where it fails.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ankigen.tex import formulas, typeset_strings
from tests.browser import CHROMIUM_FLAGS, REQUIRE_ENV, chromium_path

# The aqt wheel that goes with the anki package the tests import (both are pinned in setup.cfg), and its digest
# as PyPI lists it: the same MathJax every run.
AQT_VERSION = "26.9.3"
AQT_WHEEL = f"aqt-{AQT_VERSION}-py3-none-any.whl"
AQT_SHA256 = "83d60a2494939128138692435ab9c65579338c6902aaba88606bce6b5ccd22d3"
CACHE_ENV = "ANKIGEN_TEST_CACHE"  # where the wheel and its unpacked MathJax are kept (default: ~/.cache/ankigen-tests)
_WEB = "_aqt/data/web/"
_MATHJAX_FILES = ("js/mathjax.js", "js/vendor/mathjax/")
PAGE_TIMEOUT = 90  # seconds for one page to load MathJax, typeset its cards and post the DOM back
MAX_BROWSERS = 3
# tests/browser.py's flags but the printing one: with '--no-pdf-header-footer', headless Chromium opens no page.
_FLAGS = tuple(flag for flag in CHROMIUM_FLAGS if flag != "--no-pdf-header-footer")


def _cache_folder() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ankigen-tests"


def _unavailable(why: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{why}; {REQUIRE_ENV}=1 forbids skipping the MathJax tests", pytrace=False)
    pytest.skip(why)


def require_anki_mathjax() -> Path:
    """The folder Anki serves as ``/_anki/`` (Anki's MathJax files), with Chromium present; else skip or fail."""
    anki = importlib.metadata.version("anki")
    assert anki == AQT_VERSION, f"the tests use anki {anki}: pin AQT_VERSION (and AQT_SHA256) to the same version"
    if chromium_path() is None:
        _unavailable("chromium not found: these tests typeset cards with Anki's MathJax in headless Chromium; "
                     "install the Debian package chromium (.ci/run does)")
    web, why = _anki_web()
    if web is None:
        _unavailable(why)
    assert web is not None
    return web


@functools.cache
def _anki_web() -> tuple[Path | None, str]:
    """Once per session: the unpacked MathJax files of Anki's aqt wheel, or None and why not."""
    folder = _cache_folder()
    web = folder / f"aqt-{AQT_VERSION}-web"
    if (web / "js" / "mathjax.js").is_file() and (web / "js/vendor/mathjax/tex-chtml-full.js").is_file():
        return web, ""
    wheel = folder / AQT_WHEEL
    if not wheel.is_file() or _sha256(wheel) != AQT_SHA256:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as download:
            requirement = Path(download) / "requirements.txt"
            requirement.write_text(f"aqt=={AQT_VERSION} --hash=sha256:{AQT_SHA256}\n", "utf-8")
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                                   "--require-hashes", "--disable-pip-version-check", "-q", "-d", download,
                                   "-r", str(requirement)],
                                  capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            fetched = Path(download) / AQT_WHEEL
            if done.returncode != 0 or not fetched.is_file():
                return None, (f"could not download Anki's MathJax (pip download aqt=={AQT_VERSION} --no-deps, "
                              f"exit {done.returncode}): {(done.stderr or done.stdout).strip()[-600:]}")
            os.replace(fetched, wheel)
    with tempfile.TemporaryDirectory(dir=folder) as unpacking:
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                inner = member.removeprefix(_WEB)
                if member.startswith(_WEB) and inner.startswith(_MATHJAX_FILES) and not member.endswith("/"):
                    target = Path(unpacking) / "web" / inner
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(member))
        try:
            os.replace(Path(unpacking) / "web", web)
        except OSError:  # another session unpacked it first
            if not (web / "js" / "mathjax.js").is_file():
                raise
    return web, ""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the page ---------------------------------------------------------------------------------------------

# What Anki's reviewer does with a card (ts/reviewer: _updateQA): innerHTML, then typesetClear and
# typesetPromise on the card's element, once MathJax's startup promise has resolved. Each card gets a box
# of its own; after typesetting, the box's DOM, its CSS as the browser parsed it, and every attribute
# MathJax's math tree took from the TeX are posted back.
_HARNESS_JS = r"""
(async function () {
  const page = document.documentElement.dataset.page;
  const post = (value) => fetch("/result/" + page, {method: "POST", body: JSON.stringify(value)});
  const rules = (sheet) => { try { return Array.from(sheet.cssRules, (rule) => rule.cssText); }
                             catch (error) { return ["unreadable: " + error]; } };
  try {
    const cards = await (await fetch("/cards/" + page + ".json")).json();
    if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise || !MathJax.typesetPromise) {
      throw new Error("MathJax did not load (window.MathJax is " + JSON.stringify(window.MathJax) + ")");
    }
    await MathJax.startup.promise;
    const results = [];
    for (const card of cards) {
      const box = document.createElement("div");
      box.className = "harness-card";
      document.body.appendChild(box);
      box.innerHTML = card;
      let error = null;
      try {
        MathJax.typesetClear();
        await MathJax.typesetPromise([box]);
      } catch (failure) {
        error = String(failure && failure.stack || failure);
      }
      const texAttributes = [], texErrors = [];
      for (const item of MathJax.startup.document.math) {
        item.root.walkTree((node) => {
          if (node.isKind("merror")) texErrors.push(item.math + ": " + node.attributes.get("data-mjx-error"));
          const text = node.isKind("mtext") && node.childNodes[0] && node.childNodes[0].getText();
          if (text && text.startsWith("\\") && node.attributes.getExplicit("mathcolor") === "red") {
            texErrors.push(item.math + ": undefined " + text);  // how the noundefined package shows one
          }
          for (const name of node.attributes.getExplicitNames()) {
            if (/^(class|id|style|href|data-(?!mjx-).*)$/i.test(name)) {  // data-mjx-*: MathJax's own
              texAttributes.push(node.kind + " " + name + "=" + JSON.stringify(node.attributes.getExplicit(name)));
            }
          }
        });
      }
      const css = [];
      for (const element of box.querySelectorAll("[style]")) css.push(element.style.cssText);
      for (const style of box.querySelectorAll("style")) if (style.sheet) css.push(...rules(style.sheet));
      results.push({dom: box.innerHTML, error: error, texAttributes: texAttributes, texErrors: texErrors, css: css,
                    containers: box.getElementsByTagName("mjx-container").length});
    }
    const pageSheets = [];
    for (const sheet of document.styleSheets) {
      const owner = sheet.ownerNode;
      if (owner && owner.closest && owner.closest(".harness-card")) continue;
      pageSheets.push({id: owner && owner.id || "", inHead: !!owner && owner.tagName === "STYLE" &&
                       owner.parentNode === document.head, rules: rules(sheet)});
    }
    await post({version: MathJax.version, origin: location.origin, cards: results, pageSheets: pageSheets,
                head: document.head.outerHTML});
  } catch (failure) {
    await post({error: String(failure && failure.stack || failure)});
  }
})();
"""

_PAGE = """<!doctype html>
<html data-page="{page}"><head><meta charset="utf-8"><title>cards {page}</title>
<script src="{config}"></script>
<script src="{mathjax}"></script>
<script src="/harness.js"></script>
</head><body class="card"></body></html>
"""
CONFIG_URL = "/_anki/js/mathjax.js"
MATHJAX_URL = "/_anki/js/vendor/mathjax/tex-chtml-full.js"


@dataclass(frozen=True)
class TypesetCard:
    html: str  # the card HTML as given
    dom: str  # the card's box after typesetting (innerHTML)
    error: str | None  # what typesetPromise threw, if anything
    tex_attributes: tuple[str, ...]  # class/id/style/href/data-* attributes in MathJax's math tree
    tex_errors: tuple[str, ...]  # formulas MathJax could not read (merror, or an undefined command shown in red)
    css: tuple[str, ...]  # the box's style attributes and style sheets as Chromium parsed them
    containers: int  # mjx-container elements in the box


@dataclass(frozen=True)
class TypesetPage:
    version: str  # MathJax's version
    origin: str  # where the page came from (http://127.0.0.1:port)
    cards: tuple[TypesetCard, ...]
    page_sheets: tuple[tuple[str, tuple[str, ...]], ...]  # (owner id, rules) of style sheets outside the cards


class MathJaxFailed(AssertionError):
    """A page could not load MathJax or report back: the harness saw nothing, so nothing may pass."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, web: Path, mathjax_url: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.web = web.resolve()
        self.mathjax_url = mathjax_url
        self.cards: dict[str, bytes] = {}
        self.results: dict[str, Any] = {}
        self.arrived: dict[str, threading.Event] = {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if match := re.fullmatch(r"/page/(\d+)\.html", path):
            page = _PAGE.format(page=match.group(1), config=CONFIG_URL, mathjax=self.server.mathjax_url)
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if match := re.fullmatch(r"/cards/(\d+)\.json", path):
            return self._send(200, self.server.cards[match.group(1)], "application/json")
        if path == "/harness.js":
            return self._send(200, _HARNESS_JS.encode(), "text/javascript")
        if path.startswith("/_anki/"):
            file = (self.server.web / path.removeprefix("/_anki/")).resolve()
            if file.is_relative_to(self.server.web) and file.is_file():
                kind = {".js": "text/javascript", ".json": "application/json", ".woff": "font/woff"}.get(
                    file.suffix, "application/octet-stream")
                return self._send(200, file.read_bytes(), kind)
        self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        match = re.fullmatch(r"/result/(\d+)", urlsplit(self.path).path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if match is None:
            return self._send(404, b"not found", "text/plain")
        self.server.results[match.group(1)] = json.loads(body)
        self.server.arrived[match.group(1)].set()
        self._send(204, b"", "text/plain")


@contextmanager
def _serving(web: Path, mathjax_url: str) -> Iterator[_Server]:
    server = _Server(web, mathjax_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def typeset_pages(web: Path, pages: Sequence[Sequence[str]], *, mathjax_url: str = MATHJAX_URL) -> list[TypesetPage]:
    """Typeset each list of card HTML on a page of its own in headless Chromium with Anki's MathJax.

    Raises MathJaxFailed when a page cannot load MathJax or does not report back in time.
    ``mathjax_url`` is for the test that proves a page without MathJax fails.
    """
    chromium = chromium_path()
    assert chromium, "call require_anki_mathjax() first"
    with _serving(web, mathjax_url) as server, tempfile.TemporaryDirectory(prefix="ankigen-mathjax-") as profiles:
        for index, cards in enumerate(pages):
            server.cards[str(index)] = json.dumps(list(cards)).encode()
            server.arrived[str(index)] = threading.Event()
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        with ThreadPoolExecutor(max_workers=MAX_BROWSERS) as pool:
            runs = [pool.submit(_open, chromium, server, f"{origin}/page/{index}.html", str(index),
                                Path(profiles) / str(index)) for index in range(len(pages))]
            raw = [run.result() for run in runs]
    return [_page(result, cards) for result, cards in zip(raw, pages, strict=True)]


def _open(chromium: str, server: _Server, url: str, page: str, profile: Path) -> Any:
    command = [chromium, *_FLAGS, f"--user-data-dir={profile}", url]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace") as browser:
        try:
            arrived = server.arrived[page].wait(PAGE_TIMEOUT)
        finally:
            browser.terminate()
            try:
                _, stderr = browser.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()
                _, stderr = browser.communicate()
    if not arrived:
        raise MathJaxFailed(f"page {page} did not report back within {PAGE_TIMEOUT} s; chromium said:\n"
                            f"{stderr[-2000:]}")
    return server.results[page]


def _page(result: Any, cards: Sequence[str]) -> TypesetPage:
    if "error" in result:
        raise MathJaxFailed(f"the page failed: {result['error']}")
    typeset = tuple(TypesetCard(html, card["dom"], card["error"], tuple(card["texAttributes"]),
                                tuple(card["texErrors"]), tuple(card["css"]), card["containers"])
                    for html, card in zip(cards, result["cards"], strict=True))
    sheets = tuple((sheet["id"] if sheet["inHead"] else "(not a <style> in <head>)", tuple(sheet["rules"]))
                   for sheet in result["pageSheets"])
    return TypesetPage(result["version"], result["origin"], typeset, sheets)


# -- the check --------------------------------------------------------------------------------------------

def has_math(card_html: str) -> bool:
    """Whether MathJax finds a formula in the card (ankigen.tex's reading of MathJax's FindTeX)."""
    return any(True for string in typeset_strings(card_html) for _ in formulas(string))


_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
_ACTIVE_ELEMENTS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
                              "link", "meta", "portal", "foreignobject"})
_URL_ATTRIBUTES = frozenset({"href", "src", "xlink:href", "action", "formaction", "data", "poster", "background",
                             "srcset", "ping"})
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application", "data:image/svg")
_CSS_URL = re.compile(r"""url\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^)]*))\s*\)""", re.IGNORECASE)
_CSS_LOADS = re.compile(r"url\(|@import|image-set\(|image\(", re.IGNORECASE)
# The classes MathJax's CHTML output gives its own elements; anything else inside MathJax output came from TeX.
_MATHJAX_CLASS = re.compile(r"(mjx-[\w-]+|MJX-[\w-]+|TEX-[A-Z0-9]+|MathJax|CtxtMenu_\w+|MathML-Unit)\Z")
# What MathJax's own TeX packages put into its math tree: gensymb marks units ('\degree') with a class,
# multline its table with a data attribute. (MathJax 3.2 has no '\data'; '\class' could repeat these, harmlessly.)
_MATHJAX_OWN_ATTRIBUTES = frozenset({'mi class="MathML-Unit"', "mtable data-width-includes-label=true"})
_MATHJAX_DATA = re.compile(r"data-(mjx-[\w-]+|semantic-[\w-]+|width-includes-label)\Z")


class _Dom(HTMLParser):
    """Findings in a card's typeset DOM, each element read with the MathJax output around it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        in_math = "mjx-container" in self._open
        shown = f"<{tag}{''.join(f' {name}={value!r}' for name, value in attrs)}>"
        if len(shown) > 160:
            shown = shown[:159] + "…"
        if tag in _ACTIVE_ELEMENTS:
            self.found.append(f"element {shown}")
        if in_math and tag == "a":
            self.found.append(f"link inside MathJax output: {shown}")
        for name, value in attrs:
            value = value or ""
            url = "".join(char for char in value if char > " " and not char.isspace()).lower()
            if name.startswith("on"):
                self.found.append(f"event handler {name!r} in {shown}")
            if name in _URL_ATTRIBUTES and url.startswith(_BAD_SCHEMES):
                self.found.append(f"{name}={value!r} in {shown}")
            if name == "style" and _CSS_LOADS.search(value):
                self.found.append(f"style attribute that loads something in {shown}")
            if in_math and name == "id":
                self.found.append(f"id from TeX inside MathJax output: {shown}")
            if in_math and name.startswith("data-") and not _MATHJAX_DATA.match(name):
                self.found.append(f"data attribute from TeX inside MathJax output: {shown}")
            if in_math and name == "class":
                foreign = [word for word in value.split() if not _MATHJAX_CLASS.match(word)]
                if foreign:
                    self.found.append(f"class {' '.join(foreign)!r} from TeX inside MathJax output: {shown}")
        if tag not in _VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass


def css_urls(css: str) -> list[str]:
    """The addresses of every ``url(...)`` in CSS text as Chromium serialises it."""
    return [next(group for group in match.groups() if group is not None).strip()
            for match in _CSS_URL.finditer(css)]


def card_dangers(card: TypesetCard) -> list[str]:
    """What in a typeset card could run code, load from elsewhere, or carry attributes from TeX (empty when safe).

    The card's CSS counts as Chromium parsed it (escapes undone): no ``url()``,
    ``@import`` or ``image-set()`` at all, local or remote, since a card loads its
    images with ``<img>``; the notetype's own CSS has none either.
    """
    parser = _Dom()
    parser.feed(card.dom)
    parser.close()
    found = parser.found
    found += [f"CSS that loads something: {rule[:160]!r}" for rule in card.css if _CSS_LOADS.search(rule)]
    found += [f"attribute from TeX in MathJax's math: {attribute}" for attribute in card.tex_attributes
              if attribute not in _MATHJAX_OWN_ATTRIBUTES]
    return found


_MATHJAX_FONT = re.compile(r"/_anki/js/vendor/mathjax/output/chtml/fonts/woff-v2/MathJax_[A-Za-z0-9-]+\.woff")


def page_dangers(page: TypesetPage) -> list[str]:
    """Style sheets outside the cards (MathJax's, in <head>) load nothing but MathJax's fonts from Anki's folder.

    Only the ``@font-face`` rules of MathJax's CHTML sheet (``MJX-CHTML-styles``)
    may hold a ``url()``, and each must be one of MathJax's woff fonts on the
    page's own server, at the path Anki serves them from; nothing may ``@import``.
    """
    found = []
    for owner, rules in page.page_sheets:
        if owner.startswith("("):
            found.append(f"a style sheet outside the cards that is {owner}: {rules[:3]}")
        for rule in rules:
            if re.search(r"@import|image-set\(|image\(", rule, re.IGNORECASE):
                found.append(f"a style sheet outside the cards loads something: {rule[:160]!r}")
            urls = css_urls(rule)
            if urls and not (owner == "MJX-CHTML-styles" and rule.startswith("@font-face")):
                found.append(f"url() outside MathJax's @font-face rules: {rule[:160]!r}")
                continue
            for url in urls:
                parts = urlsplit(url)
                local = url.startswith(page.origin + "/") or (url.startswith("/") and not url.startswith("//"))
                if not local or parts.query or parts.fragment or not _MATHJAX_FONT.fullmatch(parts.path):
                    found.append(f"url({url}) in MathJax's @font-face rules is not one of its fonts: {rule[:160]!r}")
    return found


def report(findings: dict[str, list[str]]) -> str:
    """Findings by card, readable in a test failure."""
    return "\n".join(f"{where}:\n" + "\n".join(f"    {finding}" for finding in found)
                     for where, found in findings.items() if found)
