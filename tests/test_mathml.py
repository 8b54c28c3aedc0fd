"""Math on paper: TeX in a study sheet typeset as MathML, blanks inside formulas, TeX it cannot typeset.

The unit tests feed ``typeset_math`` sheet HTML as sheet.py writes it; the
browser tests print a math deck in real headless Chromium and read the PDF's
text and a page image back.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ankigen.cards import DeckCards, derive_deck
from ankigen.loader import parse_source
from ankigen.mathml import deletions_in_math, typeset_math, unconvertible_formulas
from ankigen.sheet import render_sheet
from tests.browser import pdf_page_texts, print_pdfs, require_browser
from tests.html_safety import mathml_dangers

ROOT = Path(__file__).resolve().parent.parent
MATH_DECK = r"""deck: Statistics
id: statistics
myths:
  - id: sem
    myth: 'The standard error \(\frac{s}{\sqrt{n}}\) grows with the sample size \(n\).'
    fact: |
      It shrinks as \(n\) grows:

      \[SE = \frac{\sigma}{\sqrt{n}}\]
    techniques:
      - name: Fraction
        id: fraction
        text: 'A ratio \( {{\frac{a}{b}}} \) of two counts.'
      - name: Z value
        id: z
        text: 'A 95% interval uses \[\bar{x} \pm {{1.96::a z value}} \cdot SE\] around the mean.'
"""


def _blank(answer: str, hint: str = "") -> str:
    hint_html = f'<span class="gap-hint">{hint}</span>' if hint else ""
    return f'<span class="gap"><span class="gap-answer">{answer}</span>{hint_html}</span>'


def _deck(source: str, tmp_path: Path) -> tuple[DeckCards, list[str]]:
    parsed, problems = parse_source(source.encode(), str(tmp_path / "statistics.yaml"))
    assert parsed is not None, problems
    deck, problems = derive_deck(parsed)
    return deck, [f"{p.location.line}:{p.location.column}: {p.severity}: {p.message}" for p in problems]


# -- conversion ----------------------------------------------------------------------------------------------------


def test_inline_and_displayed_formulas_become_mathml() -> None:
    output = typeset_math(r"<p>Here \(\frac{s}{\sqrt{n}}\) and</p><p>\[SE = \sigma\]</p>")
    assert output == (
        "<p>Here <math><mrow><mfrac><mrow><mi>s</mi></mrow><mrow><msqrt><mrow><mi>n</mi></mrow></msqrt></mrow>"
        '</mfrac></mrow></math> and</p><p><math display="block"><mrow><mi>S</mi><mi>E</mi><mo>=</mo><mi>σ</mi>'
        "</mrow></math></p>")


def test_entities_are_decoded_before_conversion_and_text_escaped_after() -> None:
    # In a field, '}' next to a deletion is '&#125;' and '<' is '&lt;': the TeX is what the author wrote.
    output = typeset_math(r"\(\frac{a}{b&#125; &lt; c &amp;\)")
    assert "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac><mo>&lt;</mo><mi>c</mi>" in output
    assert "#125" not in output and "\\" not in output


def test_text_in_a_formula_never_becomes_markup() -> None:
    output = typeset_math(r"\(\text{&lt;img src=x onerror=alert(1)&gt;} &lt;script&gt;\)")
    assert "<img" not in output and "<script" not in output
    assert "&lt;img" in output
    assert mathml_dangers(output) == []


@pytest.mark.parametrize("tex", [r"\href{https://example.org}{x}", r"\class{evil}{x}", r"\style{color:red}{x}",
                                 r"\colorbox{url(https://example.org)}{x}", r"\color{red} x", r"\unicode{x3C}",
                                 r"\mathrm{a}\boxed{b}", r"\rule{1em}{2em}", r"\cancel{x}"])
def test_only_mathml_core_and_harmless_attributes_come_out(tex: str) -> None:
    output = typeset_math(rf"\({tex}\)")
    assert mathml_dangers(output) == []
    assert "example.org" not in output.replace(rf"\({tex}\)", "")  # kept only as the source of a formula left as is


TEX_PARTS = [*"\\(){}[]^_&<>;#x1 ab", "\\frac", "\\text", "\\href", "&lt;", "&#125;", "\\color", "\\sqrt"]


@given(st.lists(st.sampled_from(TEX_PARTS), max_size=30).map("".join))
def test_any_text_gives_safe_mathml_or_is_left_as_written(text: str) -> None:
    output = typeset_math(f"<p>\\({text}\\) and \\[{text}\\]</p>")
    assert mathml_dangers(output) == []


def test_allowed_commands_latex2mathml_lacks_are_written_as_ones_it_knows() -> None:
    output = typeset_math(r"\(\arg\max_x f \dag \\P\)")
    assert output == ("<math><mrow><mo>arg</mo><msub><mo>max</mo><mi>x</mi></msub><mi>f</mi><mi>†</mi><mspace></mspace>"
                      "<mi>P</mi></mrow></math>")


def test_formulas_in_code_and_across_tags_are_left_alone() -> None:
    body = r"<p><code>\(x\)</code> \(a</p><p>b\)</p><pre>\[y\]</pre>"
    assert typeset_math(body) == body
    assert unconvertible_formulas(body) == []


def test_a_body_without_math_is_returned_as_it_is() -> None:
    body = "<p>No math, a backslash \\ and a brace {.</p>"
    assert typeset_math(body) is body


# -- blanks and filled answers inside formulas ---------------------------------------------------------------------


def test_a_blank_in_a_formula_is_a_line_as_wide_as_its_hidden_answer() -> None:
    output = typeset_math(r"\( " + _blank(r"\frac{a}{b&#125;") + r" \)")
    assert output == ('<math><mrow><mrow><mrow class="math-gap"><mphantom><mrow><mfrac><mrow><mi>a</mi></mrow>'
                      "<mrow><mi>b</mi></mrow></mfrac></mrow></mphantom></mrow></mrow></mrow></math>")


def test_a_blank_in_a_formula_shows_its_hint_under_the_line() -> None:
    output = typeset_math(r"\[z = " + _blank("1.96", r"\text{a z value&#125;") + r"\]")
    assert ('<munder><mrow class="math-gap"><mphantom><mrow><mn>1.96</mn></mrow></mphantom></mrow>'
            '<mrow class="math-hint"><mrow><mtext>a\xa0z\xa0value</mtext></mrow></mrow></munder>') in output


def test_a_filled_answer_in_a_formula_is_highlighted() -> None:
    output = typeset_math(r'\(x^<mark class="filled">2</mark> + <mark class="filled">\alpha</mark>\)')
    assert output == ('<math><mrow><msup><mi>x</mi><mrow><mrow class="math-filled"><mrow><mn>2</mn></mrow></mrow>'
                      '</mrow></msup><mo>+</mo><mrow><mrow class="math-filled"><mrow><mi>α</mi></mrow></mrow></mrow>'
                      "</mrow></math>")


def test_a_formula_inside_an_answer_is_typeset_where_it_is() -> None:
    output = typeset_math("and " + _blank(r"\(x^2\)") + " is")
    assert output == ('and <span class="gap"><span class="gap-answer"><math><mrow><msup><mi>x</mi><mn>2</mn></msup>'
                      "</mrow></math></span></span> is")


def test_deletions_in_math_are_told_apart_from_the_others() -> None:
    field = r"<p>{{c1::Name}}: \( {{c2::\frac{a}{b&#125;}} \) and {{c3::\(x\)}} and \[{{c4::1::\text{h&#125;}}\]</p>"
    assert deletions_in_math(field) == [False, True, False, True]
    assert deletions_in_math("<p>no math {{c2::a}}</p>") == [False]


# -- TeX it cannot typeset -----------------------------------------------------------------------------------------


def test_tex_it_cannot_convert_is_left_as_written_and_named() -> None:
    body = r"<p>Water \(\ce{H2O}\), \(\frac{1}{\) and \(y = " + _blank(r"\ce{a}", r"\text{b&#125;") + r"\).</p>"
    output = typeset_math(body)
    assert output == body
    field = r"<p>Water \(\ce{H2O}\), \(\frac{1}{\) and \(y = {{c2::\ce{a}::\text{b&#125;}}\).</p>"
    assert [tuple(found) for found in unconvertible_formulas(field)] == [
        (r"\(\ce{H2O}\)", r"\(\ce{H2O}\)", r"'\ce' is not supported"),
        (r"\(\frac{1}{\)", r"\(\frac{1}{\)", "latex2mathml cannot parse it"),
        (r"\(y = \ce{a}\)", r"\(y = ", r"'\ce' is not supported")]


def test_a_deletion_inside_tex_text_is_left_as_written() -> None:
    body = r"\(\text{speed " + _blank("fast") + r"}\)"
    assert typeset_math(body) == body


def test_the_build_warns_at_the_line_of_tex_the_sheet_cannot_typeset(tmp_path: Path) -> None:
    source = MATH_DECK + "      - name: Water\n        id: water\n        text: 'Water is \\(\\ce{H2O}\\), {{wet}}.'\n"
    _, problems = _deck(source, tmp_path)
    assert problems == [r"19:25: warning: the study sheet prints '\(\ce{H2O}\)' as TeX source: '\ce' is not "
                        "supported"]


def test_the_build_says_nothing_about_math_the_sheet_typesets(tmp_path: Path) -> None:
    deck, problems = _deck(MATH_DECK, tmp_path)
    assert problems == []
    for answers in ("key", "inline"):
        assert "\\(" not in render_sheet(deck, answers=answers) and "\\[" not in render_sheet(deck, answers=answers)


# -- cost ----------------------------------------------------------------------------------------------------------


def test_latex2mathml_is_imported_only_for_a_sheet_with_math() -> None:
    code = ("import sys; from ankigen.pipeline import load_decks; from ankigen.sheet import render_sheet; "
            "decks, _ = load_decks(['cards/deep-learning-myths.yaml'], lint=False); "
            "render_sheet(decks[0].deck); print('latex2mathml' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "False"
    typeset_math(r"\(x\)")
    assert "latex2mathml" in sys.modules


def test_typesetting_takes_time_linear_in_the_formula() -> None:
    def seconds(size: int) -> float:
        best = float("inf")
        for attempt in range(3):  # a different formula each time: no cache hit
            body = r"\(" + f"x_{attempt} + " * size + r"\)" + r" \(y\)" * size
            start = time.process_time()
            typeset_math(body)
            best = min(best, time.process_time() - start)
        return best
    short, long = seconds(250), seconds(1000)
    assert long <= 10 * short + 0.05, f"{short:.3f}s -> {long:.3f}s"


# -- printed by Chromium -------------------------------------------------------------------------------------------


def _gray_page(pdf: Path, page: int, folder: Path) -> tuple[int, int, bytes]:
    """Page ``page`` of ``pdf`` as 8-bit gray pixels (width, height, rows), and a PNG of it next to the PDF."""
    stem = folder / f"{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", "100", "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf),
                    str(stem)], check=True)
    subprocess.run(["pdftoppm", "-r", "100", "-f", str(page), "-l", str(page), "-singlefile", "-gray", str(pdf),
                    str(stem)], check=True)
    data = stem.with_suffix(".pgm").read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header, data[:20]
    return int(header.group(1)), int(header.group(2)), data[header.end():]


@pytest.fixture(scope="module")
def printed_math(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The math deck's sheets printed, each with a control that hides the math (or only the blanks' lines)."""
    require_browser()
    folder = tmp_path_factory.mktemp("math")
    deck, problems = _deck(MATH_DECK, folder)
    assert problems == []
    hide = "</style>\n</head>"
    documents = {
        "key": render_sheet(deck),
        "inline": render_sheet(deck, answers="inline"),
        "cards": render_sheet(deck, layout="cards"),
    }
    documents["key-no-math"] = documents["key"].replace(hide, "math { visibility: hidden; }\n" + hide, 1)
    documents["key-no-lines"] = documents["key"].replace(
        hide, ".math-gap { border-bottom-color: transparent; }\n" + hide, 1)
    documents["inline-no-lines"] = documents["inline"].replace(
        hide, "@media print { .math-filled { border-bottom-color: transparent; } }\n" + hide, 1)
    assert all(hide in document for document in documents.values())
    jobs = []
    for name, document in documents.items():
        (folder / f"{name}.html").write_text(document, encoding="utf-8")
        jobs.append((folder / f"{name}.html", folder / f"{name}.pdf"))
    results = print_pdfs(jobs)
    assert [result.console for result in results] == [()] * len(results)
    return {name: folder / f"{name}.pdf" for name in documents}


def _printed_text(pdf: Path) -> str:
    return unicodedata.normalize("NFKC", "\n".join(pdf_page_texts(pdf)))


def test_printed_math_leaves_no_tex_source(printed_math: dict[str, Path]) -> None:
    for name in ("key", "inline", "cards"):
        text = _printed_text(printed_math[name])
        assert "\\(" not in text and "\\[" not in text and "\\frac" not in text, name


def test_printed_math_has_the_formulas_characters(printed_math: dict[str, Path]) -> None:
    sheet, key = (unicodedata.normalize("NFKC", page) for page in pdf_page_texts(printed_math["key"])[:2])
    for characters in ("SE", "σ", "√n", "±"):
        assert characters in sheet, characters
    assert "a z value" in sheet  # the hint under the blank
    assert "1.96" not in sheet and "1.96" in key  # the blank hides its answer; the key gives it
    inline = _printed_text(printed_math["inline"])
    assert "1.96" in inline and "a z value" not in inline


def test_printed_formulas_are_drawn_on_the_page(printed_math: dict[str, Path]) -> None:
    folder = printed_math["key"].parent
    width, height, with_math = _gray_page(printed_math["key"], 1, folder)
    assert (width, height) == _gray_page(printed_math["key-no-math"], 1, folder)[:2]
    without_math = _gray_page(printed_math["key-no-math"], 1, folder)[2]
    # The same page laid out the same way: what differs is the formulas, drawn (in ink, not only anti-aliasing).
    inked = [i for i, (a, b) in enumerate(zip(with_math, without_math, strict=True)) if a < 160 <= b]
    assert len(inked) > 500, "the formulas add little or no ink"
    assert len({i // width for i in inked}) > 60, "the formulas' ink is not spread over several lines of the page"


def _lines_only_in(pdf: Path, control: Path) -> list[int]:
    """The horizontal lines on page 1 of ``pdf`` that ``control`` lacks: for each (a band of adjacent pixel
    rows, as a thin line may straddle two), how many pixels of its longest row are inked only in ``pdf``."""
    width, _, with_lines = _gray_page(pdf, 1, pdf.parent)
    without_lines = _gray_page(control, 1, pdf.parent)[2]
    rows: dict[int, int] = {}
    for i, (a, b) in enumerate(zip(with_lines, without_lines, strict=True)):
        if a < 200 <= b:
            rows[i // width] = rows.get(i // width, 0) + 1
    lines: list[int] = []
    for row in sorted(rows):
        if row - 1 in rows:
            lines[-1] = max(lines[-1], rows[row])
        else:
            lines.append(rows[row])
    return lines


def test_printed_blanks_in_formulas_are_lines_as_wide_as_their_answers(printed_math: dict[str, Path]) -> None:
    lines = _lines_only_in(printed_math["key"], printed_math["key-no-lines"])
    # Exactly two lines and nothing else, one per deletion in a formula: under the fraction a/b, and under
    # '1.96' with room to write (at 100 dpi, each is some tens of pixels long).
    assert len(lines) == 2 and all(15 < length < 200 for length in lines), lines


def test_printed_answers_filled_into_formulas_are_underlined(printed_math: dict[str, Path]) -> None:
    # On paper a filled-in answer is underlined rather than highlighted, as in the text around it.
    lines = _lines_only_in(printed_math["inline"], printed_math["inline-no-lines"])
    assert len(lines) == 2 and all(5 < length < 200 for length in lines), lines
