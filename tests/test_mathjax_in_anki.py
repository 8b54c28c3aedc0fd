"""Cards typeset by Anki's own MathJax in headless Chromium carry no script, no javascript: link, no remote url().

The hostile corpus (tests/cases, every case that builds) is built with the real
CLI and imported into the real Anki backend; every card's front and back, as
the backend renders it (notetype CSS included), is put on a page the way
Anki's reviewer does it and typeset with the MathJax of the ``aqt`` wheel
(tests/anki_mathjax.py). The DOM that results must hold no event handler, no
``javascript:``/``vbscript:``/``data:text`` URL, no CSS ``url()`` from a card,
no link inside MathJax output and no class, id, style or data attribute taken
from TeX. Positive controls prove the check sees each of those, and that a page
without MathJax fails; every command on ankigen.tex's allowlist is typeset
once; and random mixes of HTML, TeX and cloze markup that ankigen accepts give
cards inside the sanitiser's allowlist, in Python and in the browser.
"""

from __future__ import annotations

import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen.cards import derive_deck
from ankigen.cli import cli
from ankigen.loader import parse_source
from ankigen.sanitize import _GLOBAL_ATTRIBUTES, _TAG_ATTRIBUTES, ALLOWED_TAGS
from ankigen.tex import ALLOWED_COMMANDS, ALLOWED_ENVIRONMENTS, card_views, unsafe_command
from tests.anki_collection import import_apkg, open_collection, rendered_cards
from tests.anki_mathjax import (
    MAX_BROWSERS,
    MathJaxFailed,
    TypesetCard,
    TypesetPage,
    card_dangers,
    has_math,
    page_dangers,
    report,
    require_anki_mathjax,
    typeset_pages,
)
from tests.case_corpus import Case, corpus, place

CASES = corpus(builds=True)


@pytest.fixture(scope="module")
def anki_web() -> Path:
    return require_anki_mathjax()


# -- the hostile corpus, as Anki shows it ------------------------------------------------------------------

def _case_cards(case: Case, folder: Path) -> list[tuple[str, str]]:
    """(where, HTML) of every card side of the case, built by the CLI and rendered by Anki's backend."""
    place(case, folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        result = CliRunner().invoke(cli, ["build", *case.command_paths, "-o", "decks", "--format", "apkg"])
    assert result.exit_code == 0, f"{case.name}: {result.output}"
    (apkg,) = (folder / "decks").glob("*.apkg")
    col = open_collection(folder)
    try:
        assert import_apkg(col, apkg).new > 0
        sides = []
        for card in rendered_cards(col):
            where = f"{case.name} card {card.ord + 1} of note {card.note_guid}"
            sides += [(f"{where}, front", card.question_html), (f"{where}, back", card.answer_html)]
        return sides
    finally:
        col.close()


@pytest.fixture(scope="module")
def typeset_corpus(anki_web: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[dict[str, list[tuple[str, TypesetCard]]], list[TypesetPage]]:
    """Every card side of every case, typeset: by case name, (where, card); and the pages they were on."""
    sides = {case.name: _case_cards(case, tmp_path_factory.mktemp("case")) for case in CASES}
    pages: list[list[tuple[str, str, str]]] = [[] for _ in range(MAX_BROWSERS)]
    for index, (name, card_sides) in enumerate(sides.items()):  # whole cases to each page, a few pages at once
        pages[index % MAX_BROWSERS] += [(name, where, html) for where, html in card_sides]
    typeset = typeset_pages(anki_web, [[html for _, _, html in page] for page in pages])
    by_case: dict[str, list[tuple[str, TypesetCard]]] = {name: [] for name in sides}
    for page, result in zip(pages, typeset, strict=True):
        for (name, where, _), card in zip(page, result.cards, strict=True):
            by_case[name].append((where, card))
    return by_case, typeset


def _assert_typeset_and_safe(cards: list[tuple[str, TypesetCard]]) -> None:
    findings = {where: card_dangers(card) for where, card in cards}
    assert not any(findings.values()), "dangerous DOM after Anki's MathJax ran:\n" + report(findings)
    for where, card in cards:
        assert card.error is None, f"{where}: MathJax failed: {card.error}"
        if has_math(card.html):  # MathJax ran on it: the check above saw its output, not the TeX
            assert card.containers > 0, f"{where}: has math, but MathJax typeset nothing:\n{card.dom[:600]}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_card_of_the_hostile_corpus_is_safe_after_anki_typesets_it(
        case: Case, typeset_corpus: tuple[dict[str, list[tuple[str, TypesetCard]]], list[TypesetPage]]) -> None:
    cards = typeset_corpus[0][case.name]
    assert cards, f"{case.name} made no cards"
    _assert_typeset_and_safe(cards)


def test_the_corpus_is_typeset_by_anki_mathjax_and_only_its_font_css_loads_anything(
        typeset_corpus: tuple[dict[str, list[tuple[str, TypesetCard]]], list[TypesetPage]]) -> None:
    by_case, pages = typeset_corpus
    for page in pages:
        assert page.version.startswith("3."), page.version  # Anki 26.9.3 ships MathJax 3
        assert page_dangers(page) == []
        fonts = [rule for owner, rules in page.page_sheets if owner == "MJX-CHTML-styles" for rule in rules
                 if "@font-face" in rule]
        assert fonts, "MathJax added no @font-face rules: did it typeset anything?"
    typeset = [where for cards in by_case.values() for where, card in cards if card.containers]
    assert len(typeset) >= 10, "the corpus should hold math that MathJax typesets"


# -- the check itself sees danger ---------------------------------------------------------------------------

CONTROLS = {  # card HTML a safe build must never make, and what the DOM check must say about it
    "href": (r"<p>\(\href{javascript:alert(1)}{x}\)</p>", "link inside MathJax output"),
    "bbox": (r"<p>\(\bbox[background-image:url(https://evil.example/p.png)]{x}\)</p>", "CSS that loads something"),
    "style": (r"<p>\(\style{background:url(https://evil.example/)}{x}\)</p>", "CSS that loads something"),
    "class": (r"<p>\(\class{x}{y}\)</p>", "class 'x' from TeX inside MathJax output"),
    "cssId": (r"<p>\(\cssId{qa}{y}\)</p>", "id from TeX inside MathJax output"),
    "handler": ('<p><img src="dot.png" onerror="alert(1)"> \\(x\\)</p>', "event handler 'onerror'"),
    "link": ('<p><a href=" javascript:alert(1)">x</a></p>', "href=' javascript:alert(1)'"),
    "css": ('<p style="background: u\\72 l(https://evil.example/)">x</p>', "CSS that loads something"),
}


def test_the_dom_check_flags_each_kind_of_danger_anki_mathjax_would_make(anki_web: Path) -> None:
    safe = r"<style>.card { color: black; }</style><p>Safe \(\frac{a}{b} + \color{red}{x}\) here.</p>"
    (page,) = typeset_pages(anki_web, [[html for html, _ in CONTROLS.values()] + [safe]])
    for (name, (html, expected)), card in zip(CONTROLS.items(), page.cards, strict=False):
        found = card_dangers(card)
        assert any(expected in finding for finding in found), f"{name}: {html} gave {found}\n{card.dom}"
        if has_math(html):
            assert card.containers > 0, f"{name}: MathJax typeset nothing"
    assert card_dangers(page.cards[-1]) == [] and page.cards[-1].containers == 1
    assert page_dangers(page) == []


def test_a_page_whose_mathjax_failed_to_load_fails_loudly(anki_web: Path) -> None:
    with pytest.raises(MathJaxFailed, match="MathJax did not load"):
        typeset_pages(anki_web, [[r"\(x\)"]], mathjax_url="/_anki/js/vendor/mathjax/no-such-file.js")


# A MathJax that loads and typesets nothing: the href would stay TeX, which the DOM check cannot see.
_IDLE_MATHJAX = ("data:text/javascript,window.MathJax={version:'idle',startup:{promise:Promise.resolve(),"
                 "document:{math:[]}},typesetClear(){},typesetPromise(){return Promise.resolve()}}")


def test_a_mathjax_that_typesets_nothing_cannot_pass(anki_web: Path) -> None:
    (page,) = typeset_pages(anki_web, [[CONTROLS["href"][0]]], mathjax_url=_IDLE_MATHJAX)
    assert card_dangers(page.cards[0]) == []  # nothing typeset, nothing to see...
    with pytest.raises(AssertionError, match="has math, but MathJax typeset nothing"):
        _assert_typeset_and_safe([("control", page.cards[0])])  # ...which the corpus test does not accept


# -- the allowlist, against the real MathJax ----------------------------------------------------------------

# Formulas for commands that need more than one argument, or a place of their own, to typeset as meant.
_EXAMPLES = {
    "begin": r"\begin{matrix}a\end{matrix}", "end": r"\begin{matrix}a\end{matrix}",
    "left": r"\left(a\middle|b\right)", "right": r"\left(a\right)", "middle": r"\left(a\middle|b\right)",
    "color": r"\color{red}{x}", "textcolor": r"\textcolor{blue}{x}",
    "frac": r"\frac{a}{b}", "dfrac": r"\dfrac{a}{b}", "tfrac": r"\tfrac{a}{b}", "cfrac": r"\cfrac{a}{b}",
    "binom": r"\binom{n}{k}", "dbinom": r"\dbinom{n}{k}", "tbinom": r"\tbinom{n}{k}",
    "genfrac": r"\genfrac{(}{)}{0pt}{0}{a}{b}", "root": r"\root 3 \of {x}", "of": r"\root 3 \of {x}",
    "over": r"{a \over b}", "choose": r"{n \choose k}", "atop": r"{a \atop b}", "above": r"{a \above 1pt b}",
    "brace": r"{a \brace b}", "brack": r"{a \brack b}", "substack": r"\sum_{\substack{a\\b}} x",
    "sideset": r"\sideset{_a^b}{_c^d}\sum", "overset": r"\overset{a}{b}", "underset": r"\underset{a}{b}",
    "stackrel": r"\stackrel{a}{b}", "operatorname": r"\operatorname{f}(x)", "hspace": r"a\hspace{1em}b",
    "kern": r"a\kern1em b", "mkern": r"a\mkern3mu b", "mskip": r"a\mskip3mu b", "hskip": r"a\hskip1em b",
    "mspace": r"a\mspace{3mu}b", "cancelto": r"\cancelto{0}{x}", "not": r"a \not= b",
    "limits": r"\sum\limits_{i} x", "nolimits": r"\sum\nolimits_{i} x", "displaylimits": r"\sum\displaylimits_i x",
    "pmod": r"a \pmod{n}", "pod": r"a \pod{n}", "mod": r"a \mod{n}", "bmod": r"a \bmod n",
    "hline": r"\begin{array}{c}a\\\hline b\end{array}", "hdashline": r"\begin{array}{c}a\\\hdashline b\end{array}",
    "cline": r"\begin{array}{cc}a&b\\\cline{1-2} c&d\end{array}", "cr": r"\begin{matrix}a\cr b\end{matrix}",
    "newline": r"a\newline b",
    "notag": r"\begin{align}a\notag\end{align}", "nonumber": r"\begin{align}a\nonumber\end{align}",
    "ce": r"\ce{H2O}", "pu": r"\pu{1 m}", "xrightarrow": r"\xrightarrow[b]{a}", "xleftarrow": r"\xleftarrow[b]{a}",
    **{f"{size}{side}": rf"\{size}l( x \{size}r)" for size in ("big", "Big", "bigg", "Bigg") for side in "lr"},
    **{f"{size}m": rf"a \{size}m| b" for size in ("big", "Big", "bigg", "Bigg")},
    "big": r"\big(", "Big": r"\Big(", "bigg": r"\bigg(", "Bigg": r"\Bigg(",
}
# Allowed, but Anki's MathJax (its configuration, MathJax 3.2.2) has no such command: it shows the name in red.
# Commands that take one argument: typeset with '{x}'. Everything else is typeset alone, then before 'x'.
_ONE_ARGUMENT = re.compile(r"(math|text|bold|var)\w*|(wide)?(hat|tilde)|(over|under)\w+|x\w+arrow|bra|ket|Bra|Ket|"
                           r"braket|Braket|abs|norm|sqrt|bar|vec|dot|ddot|dddot|ddddot|acute|grave|breve|check|"
                           r"mathring|boxed|cancel|bcancel|xcancel|fbox|mbox|hbox|emph|pmb|bm|boldsymbol|phantom|"
                           r"hphantom|vphantom|smash|Bbb|rm|it|bf|sf|tt|cal|scr|frak|mathop|mathbin|mathrel|"
                           r"mathord|operatorname|Box")


def allowlist_formulas() -> dict[str, str]:
    """One formula per allowed command (and one per allowed environment), in Anki's inline delimiters."""
    examples = {}
    for name in sorted(ALLOWED_COMMANDS):
        formula = _EXAMPLES.get(name) or (f"\\{name}{{x}}" if _ONE_ARGUMENT.fullmatch(name) else f"\\{name} x")
        examples[f"\\{name}"] = f"\\({formula}\\)"
    for environment in sorted(ALLOWED_ENVIRONMENTS):
        kind = environment.rstrip("*")
        rows = {"equation": "a + b", "multline": r"a \\ b"}.get(kind, r"a & b \\ c & d")
        argument = {"array": "{cc}", "subarray": "{cc}", "alignat": "{1}", "alignedat": "{1}"}.get(kind, "")
        if environment == "CD":
            rows = r"A @>f>> B\\ @VgVV @VVhV\\ C @>>k> D"
        examples[f"\\begin{{{environment}}}"] = f"\\[\\begin{{{environment}}}{argument}{rows}\\end{{{environment}}}\\]"
    return examples


def test_every_allowed_tex_command_typesets_without_links_urls_or_attributes_from_tex(anki_web: Path) -> None:
    examples = allowlist_formulas()
    for command, formula in examples.items():  # ankigen's own check must accept what the test typesets
        assert unsafe_command(f"<p>{formula}</p>") is None, (command, formula, unsafe_command(f"<p>{formula}</p>"))
    # All on one card (typesetting cards one by one costs a second per hundred); each on its own to say which.
    (page,) = typeset_pages(anki_web, [["".join(f"<p>{formula}</p>" for formula in examples.values())]])
    (card,) = page.cards
    assert page_dangers(page) == []
    undefined = {match.group(1) for error in card.tex_errors if (match := _UNDEFINED.search(error))}
    # Each example must be TeX MathJax reads, or the command was never really tried.
    misread = [error for error in card.tex_errors if not _UNDEFINED.search(error)]
    if card_dangers(card) or card.containers != len(examples) or card.error or misread:
        cards = [f"<p>{formula}</p>" for formula in examples.values()]
        pages = typeset_pages(anki_web, [cards[start::MAX_BROWSERS] for start in range(MAX_BROWSERS)])
        typeset = {card.html: card for page in pages for card in page.cards}
        findings = {f"{command}: {formula}": card_dangers(typeset[f"<p>{formula}</p>"])
                    for command, formula in examples.items()}
        assert not any(findings.values()), ("allowed TeX commands whose output carries a link, a style url or an "
                                            "attribute from TeX (take them off ankigen.tex.ALLOWED_COMMANDS):\n"
                                            + report(findings))
        alone = {command: typeset[f"<p>{formula}</p>"] for command, formula in examples.items()}
        unread = {command: (card.containers, card.error, [e for e in card.tex_errors if not _UNDEFINED.search(e)])
                  for command, card in alone.items()}
        assert {command: unread for command, unread in unread.items() if unread != (1, None, [])} == {}
        pytest.fail(f"the allowlist typeset together gives {card_dangers(card)}, {card.containers} formulas for "
                    f"{len(examples)}, error {card.error} {misread[:5]}, yet each alone is fine")
    assert sorted(undefined) == [], (
        "allowed TeX commands that Anki's MathJax does not define (cards show them as red text): "
        f"{sorted(undefined)}")


_UNDEFINED = re.compile(r": undefined \\(\w+)\Z")


# -- random mixes that ankigen accepts stay inside the allowlist --------------------------------------------

_MIX_PIECES = [
    "\\(", "\\)", "\\[", "\\]", "{", "}", "\\href", "\\hr", "ef", "\\bbox", "[background:url(https://e.example/)]",
    "\\style", "\\class", "\\color", "{red}", "\\frac", "\\text{", "&#92;", "&#40;", "&#41;", "&#123;", "&#x5c;",
    "&amp;", "&lt;", "{{", "}}", "::", "c1::", "c2::", "{javascript:alert(1)}", "{x}", "x", " ", "a b", "`",
    "<b>", "</b>", "<code>", "</code>", '<span class="', "MathJax", "tex2jax_process", '">', "</span>",
    '<img src="images/dot.png" alt="', '" onload="alert(1)//', '<a href="', "javascript:alert(1)", "https://e.example/",
    "</a>", '<abbr title="', "</abbr>", "![d](images/dot.png)", "[l](", ")", '"', "'", "\n\n", "<!--", "-->",
    "<script>", "</script>", "\\\\", "$", "%", "#",
]
_pieces = st.lists(st.sampled_from(_MIX_PIECES), max_size=10).map("".join)
_TEX = ["x", "+", "a_1", "\\frac{a}{b}", "\\color{red}{x}", "\\alpha", "{", "}", "\\\\", "\\text{t}", "^2"]
_tex = st.lists(st.one_of(st.sampled_from(_TEX), st.sampled_from(_MIX_PIECES)), min_size=1, max_size=8).map("".join)
# Markup around, and often one formula in the middle that is mostly plain TeX, with hostile pieces mixed in.
mixes = st.one_of(
    _pieces.filter(bool),
    st.builds(lambda before, tex, after, display: f"{before}{display[0]}{tex}{display[1]}{after}", _pieces, _tex,
              _pieces, st.sampled_from([("\\(", "\\)"), ("\\[", "\\]"), ("&#92;(", "&#92;)")])),
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def source_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixes")
    (folder / "images").mkdir()
    (folder / "images" / "dot.png").write_bytes(_png())
    return folder


def accepted_views(myth: str, text: str, folder: Path) -> list[str] | None:
    """Every card view of a deck with this myth and item text, as Anki would show the fields; None if refused."""
    document = {"deck": "Mix", "id": "mix", "myths": [{"id": "m", "myth": myth, "fact": "A fact.", "techniques": [
        {"id": "t", "name": "Name", "text": text}]}]}
    data = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
    source, problems = parse_source(data, str(folder / "mix.yaml"), str(folder))
    if source is None or any(problem.severity == "error" for problem in problems):
        return None
    deck, problems = derive_deck(source)
    if any(problem.severity == "error" for problem in problems):
        return None
    views = []
    for note in deck.notes:
        if note.is_cloze:
            assert unsafe_command(note.fields[0], is_cloze=True) is None, note.fields[0]
            views += list(card_views(note.fields[0]))
            views += list(note.fields[1:])
        else:
            assert all(unsafe_command(field) is None for field in note.fields), note.fields
            views += list(note.fields)
    return views


class _Outside(HTMLParser):
    """Elements and attributes outside the sanitiser's allowlist (Anki's own cloze spans allowed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append(f"element <{tag}>")
            return
        allowed = _GLOBAL_ATTRIBUTES | _TAG_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            cloze = tag == "span" and (name == "data-cloze" or (name, value) in {("class", "cloze"),
                                                                                ("class", "cloze-inactive")})
            if name not in allowed and not cloze:
                self.found.append(f"attribute {name}={value!r} of <{tag}>")
            elif name in ("href", "src"):
                url = "".join(char for char in value or "" if char > " ").lower()
                if url.startswith(("javascript:", "vbscript:", "data:")) or (name == "src" and ":" in url):
                    self.found.append(f"address {name}={value!r} of <{tag}>")
            elif name == "class" and re.search(r"tex2jax|mathjax|mjx", value or "", re.IGNORECASE):
                self.found.append(f"class {value!r} of <{tag}>")


def outside_allowlist(view: str) -> list[str]:
    parser = _Outside()
    parser.feed(view)
    parser.close()
    return parser.found


def _check_mixes(folder: Path, examples: int) -> list[list[str]]:
    """Accepted mixes' card views, checked in Python as they are found."""
    accepted: list[list[str]] = []

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(myth=mixes, text=mixes)
    def check(myth: str, text: str) -> None:
        views = accepted_views(myth, text, folder)
        if views is None:
            return
        for view in views:
            assert outside_allowlist(view) == [], (myth, text, view)
        accepted.append(views)

    check()
    return accepted


def test_random_mixes_of_html_tex_and_cloze_markup_that_ankigen_accepts_stay_inside_the_allowlist(
        source_folder: Path) -> None:
    accepted = _check_mixes(source_folder, 300)
    assert len(accepted) >= 20, "the mixes should be accepted often enough to mean something"


def test_random_accepted_mixes_are_safe_after_anki_typesets_them(anki_web: Path, source_folder: Path) -> None:
    with_math = [views for views in _check_mixes(source_folder, 40) if any(has_math(view) for view in views)]
    assert with_math, "no accepted mix had math for MathJax to typeset"
    cards = [view for views in with_math[:8] for view in views]
    (page,) = typeset_pages(anki_web, [cards])
    _assert_typeset_and_safe([(f"view {index}: {card.html[:200]!r}", card) for index, card in enumerate(page.cards)])
    assert page_dangers(page) == []

