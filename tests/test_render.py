"""Markdown rendering of fields: Markdown works, TeX math and cloze markup survive it."""

from __future__ import annotations

from ankigen.cloze import Deletion, parse_cloze
from ankigen.render import render_cloze, render_inline, render_markdown


def test_markdown_renders_emphasis_lists_and_code() -> None:
    assert render_markdown("*a* and `b`") == "<p><em>a</em> and <code>b</code></p>"
    assert "<li>one</li>" in render_markdown("- one\n- two")


def test_math_is_left_intact_for_mathjax() -> None:
    assert render_inline(r"area \(\pi r_1^2 < x_2\) and \[a*b*c\]") == \
        r"area \(\pi r_1^2 &lt; x_2\) and \[a*b*c\]"


def test_cloze_answers_are_rendered_and_the_name_becomes_c1() -> None:
    cloze = parse_cloze("Fine-tunes a **{{pre-trained}}** model on {{*small*::size}} data.")
    html = render_cloze(cloze, Deletion(1, "Transfer learning", "", 0))
    assert html == ("<p><strong>{{c1::Transfer learning}}</strong>: Fine-tunes a "
                    "<strong>{{c2::pre-trained}}</strong> model on {{c3::<em>small</em>::size}} data.</p>")


def test_double_colons_in_an_answer_cannot_split_it() -> None:
    html = render_cloze(parse_cloze("Use {{`std::vector`}}."))
    assert html == "<p>Use {{c2::<code>std:&#58;vector</code>}}.</p>"


def test_raw_html_is_sanitised() -> None:
    html = render_markdown('hi <script>alert(1)</script><b onclick="x()">b</b> [l](javascript:alert(1))')
    assert "script" not in html and "onclick" not in html and "javascript" not in html
    assert "<b>b</b>" in html
