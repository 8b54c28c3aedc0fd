"""Markdown rendering of fields: Markdown works, TeX math and cloze markup survive it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ankigen.cli import cli
from ankigen.cloze import Deletion, parse_cloze
from ankigen.render import render_cloze, render_inline, render_markdown
from tests.anki_collection import Collection, import_apkg, rendered_cards


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


def test_math_keeps_underscores_stars_and_brackets_that_markdown_would_eat() -> None:
    html = render_markdown(r"If \(x_1 < y_1\) and \(a_b\) then *so*:" "\n\n" r"\[\sum_{i=1}^n x_i * w_i\]")
    assert html == (r"<p>If \(x_1 &lt; y_1\) and \(a_b\) then <em>so</em>:</p>" "\n"
                    r"<p>\[\sum_{i=1}^n x_i * w_i\]</p>")


def test_fenced_code_is_highlighted_with_token_classes_not_inline_styles() -> None:
    html = render_markdown("```python\ndef f(x):\n    return x  # <b>\n```")
    assert html.startswith('<div class="codehilite"><pre><span></span><code><span class="k">def</span>')
    assert '<span class="nf">f</span>' in html
    assert '<span class="c1"># &lt;b&gt;</span>' in html
    assert "style=" not in html


def test_code_without_a_language_is_not_guessed() -> None:
    assert render_markdown("```\nif a < b: pass\n```") == \
        '<div class="codehilite"><pre><span></span><code>if a &lt; b: pass\n</code></pre></div>'


def test_html_in_a_code_block_is_shown_not_run() -> None:
    html = render_markdown('```html\n<script>alert(1)</script><img src=x onerror="y()">\n```')
    assert "<script" not in html and "<img" not in html
    assert '<span class="p">&lt;</span><span class="nt">script</span>' in html


def test_cloze_and_math_inside_highlighted_code_survive_the_lexer() -> None:
    cloze = parse_cloze("```python\ndef {{area}}(r):\n    return {{pi * r ** 2}}  # \\(\\pi r^2\\)\n```")
    html = render_cloze(cloze)
    assert '<span class="k">def</span><span class="w"> </span>{{c2::area}}<span class="p">(</span>' in html
    assert "{{c3::pi * r ** 2}}" in html
    assert r"\(\pi r^2\)" in html
    assert not any("\ufdd0" <= char <= "\ufdd3" for char in html)


RICH_SOURCE = r"""deck: Rich
id: rich
myths:
  - id: linear
    myth: 'A neuron computes \(y = \sigma(w_1 x_1 + w_2 x_2)\) exactly like a brain cell.'
    fact: |
      It is a weighted sum \[z = \sum_i w_i x_i\] passed through a nonlinearity:

      ```python
      def neuron(w, x):
          return sigmoid(w @ x)  # <not html>
      ```
    techniques:
      - id: relu
        name: ReLU
        text: |
          Keeps positives, \(\max(0, x_1)\):

          ```python
          def relu(x):
              return {{max(0, x)}}
          ```
"""


def test_math_and_highlighted_code_reach_anki_intact(tmp_path: Path, collection: Collection) -> None:
    source = tmp_path / "rich.yaml"
    source.write_text(RICH_SOURCE, "utf-8")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out"), "--format", "apkg"])
    assert result.exit_code == 0, result.output
    import_apkg(collection, tmp_path / "out" / "rich.apkg")
    cards = {(card.notetype_name, card.ord): card for card in rendered_cards(collection)}

    myth = next(card for card in rendered_cards(collection)
                if card.notetype_name == "ankigen: Myth or Fact" and 'class="verdict myth"' in card.answer_html)
    assert r"\(y = \sigma(w_1 x_1 + w_2 x_2)\)" in myth.question_html  # for Anki's MathJax, untouched
    assert r"\[z = \sum_i w_i x_i\]" in myth.answer_html
    assert '<div class="codehilite"><pre><span></span><code><span class="k">def</span>' in myth.answer_html
    assert '<span class="c1"># &lt;not html&gt;</span>' in myth.answer_html
    assert ".ankigen .codehilite .k {" in myth.answer_html  # the colours come with the notetype's CSS

    body = cards[("ankigen: Cloze", 1)]  # c2: the deletion inside the code block
    assert r"\(\max(0, x_1)\)" in body.question_html
    assert '<span class="k">return</span> <span class="cloze" data-cloze="' in body.question_html
    assert ">[...]</span>" in body.question_html
    assert '<span class="cloze" data-ordinal="2">max(0, x)</span>' in body.answer_html
