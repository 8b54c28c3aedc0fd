"""Upgrading from 0.2.0: a learner who studied the released deck imports the shipped one (tests/upgrade.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import apkg
from ankigen.cli import cli
from tests.upgrade import RELEASE_0_2_0, assert_nothing_lost, study_then_upgrade

REPO = Path(__file__).parent.parent
SHIPPED = REPO / "decks" / "deep-learning-myths.apkg"
# NOTETYPES_REVISED of 0.2.0: the time its notetypes carry.
REVISED_0_2_0 = 1_795_528_706


def test_studied_0_2_0_deck_keeps_every_review_when_the_shipped_deck_is_imported(tmp_path: Path) -> None:
    result = study_then_upgrade(tmp_path, RELEASE_0_2_0, SHIPPED)
    assert_nothing_lost(result)
    # One notetype more (the multiple-choice one), no copy; the 0.2.0 notes stay on theirs.
    assert result.used_notetypes == ["ankigen: Cloze", "ankigen: Myth or Fact", "ankigen: Which Is NOT True"]
    assert result.summary.new == len(result.upgraded.notes) - len(result.studied.notes) > 0
    # The 0.2.0 myth cards now take their verdict from the field, and still say "Myth".
    myths = [card for key, card in result.upgraded.cards.items()
             if key in result.studied.cards and card.notetype_name == "ankigen: Myth or Fact"]
    assert len(myths) == 5
    assert all(card.answer_text.split(" Myth ", 1)[0] == card.question_text and
               "Myth or fact?" in card.question_text for card in myths)
    facts = [result.upgraded.cards[key] for key in result.new_cards
             if result.upgraded.cards[key].notetype_name == "ankigen: Myth or Fact"]
    assert len(facts) >= len(myths)
    assert all(f"{card.question_text} Fact " in card.answer_text for card in facts)


def test_the_check_notices_notetypes_that_were_not_revised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Built with 0.2.0's notetype time, the new templates would not replace the old ones on import:
    # the 0.2.0 myth cards would keep saying "Myth" in their template, above the verdict in the field.
    monkeypatch.setattr(apkg, "NOTETYPES_REVISED", REVISED_0_2_0)
    out = tmp_path / "decks"
    built = CliRunner().invoke(cli, ["build", "--format", "apkg", "-o", str(out), str(REPO / "cards")])
    assert built.exit_code == 0, built.output
    result = study_then_upgrade(tmp_path, RELEASE_0_2_0, out / "deep-learning-myths.apkg")
    with pytest.raises(AssertionError, match="old template or CSS kept"):
        assert_nothing_lost(result)
