"""Clozes and TeX together, as Anki renders them: each card's question hides its answer, the answer shows it.

The deck is built by the real CLI and imported into the real Anki backend;
what is asserted is the text Anki gives MathJax on each side of each card.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import CardView, Collection, import_apkg, rendered_cards

SOURCE = r"""deck: Statistics
id: statistics
myths:
  - id: sample-size
    myth: 'The standard error \(\frac{s}{\sqrt{n}}\) grows with the sample size.'
    fact: 'It shrinks as \(n\) grows, in proportion to \(\frac{1}{\sqrt{n}}\).'
    techniques:
      - name: Critical value
        id: critical-value
        text: 'At the 5% level the critical value is \[z = {{1.96::a z value}}\] for a two-sided test.'
      - name: Standard error
        id: standard-error
        text: 'The standard error of the mean is \( {{\frac{s}{\sqrt{n}}}} \) for a sample of size \(n\).'
"""


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> list[CardView]:
    from tests.anki_collection import open_collection

    folder = tmp_path_factory.mktemp("math")
    (folder / "cards").mkdir()
    (folder / "cards" / "statistics.yaml").write_text(SOURCE, "utf-8")
    result = CliRunner().invoke(cli, ["build", str(folder / "cards"), "-o", str(folder / "decks")])
    assert result.exit_code == 0, result.output
    (folder / "collection").mkdir()
    col: Collection = open_collection(folder / "collection")
    try:
        import_apkg(col, folder / "decks" / "statistics.apkg")
        return rendered_cards(col)
    finally:
        col.close()


def _card(cards: list[CardView], text: str, ord_: int) -> CardView:
    (found,) = [card for card in cards if text in card.answer_text and card.ord == ord_]
    return found


def test_a_double_brace_in_tex_is_tex_not_a_cloze(cards: list[CardView]) -> None:
    (myth,) = [card for card in cards
               if "grows with the sample size" in card.question_text and "Technique" not in card.question_text]
    assert r"\(\frac{s}{\sqrt{n}}\)" in myth.question_text


def test_a_hint_inside_math_keeps_its_spaces_as_tex_text(cards: list[CardView]) -> None:
    card = _card(cards, "critical value is", 1)  # c2: the deletion in the formula
    assert r"\[z = [\text{a z value}]\]" in card.question_text
    assert "1.96" not in card.question_text
    assert r"\[z = 1.96\]" in card.answer_text


def test_a_deletion_hides_a_whole_fraction_with_its_closing_braces(cards: list[CardView]) -> None:
    card = _card(cards, "standard error of the mean", 1)
    assert r"\( [...] \)" in card.question_text
    assert r"\( \frac{s}{\sqrt{n}} \)" in card.answer_text
    name_card = _card(cards, "standard error of the mean", 0)  # the other card shows the formula
    assert r"\( \frac{s}{\sqrt{n}} \)" in name_card.question_text
