"""Upgrading from 0.2.0: a learner who studied the released deck imports the shipped one (tests/upgrade.py)."""

from __future__ import annotations

from pathlib import Path

from tests.upgrade import RELEASE_0_2_0, assert_nothing_lost, study_then_upgrade

SHIPPED = Path(__file__).parent.parent / "decks" / "deep-learning-myths.apkg"


def test_studied_0_2_0_deck_keeps_every_review_when_the_shipped_deck_is_imported(tmp_path: Path) -> None:
    result = study_then_upgrade(tmp_path, RELEASE_0_2_0, SHIPPED)
    assert_nothing_lost(result)
    assert result.used_notetypes == ["ankigen: Cloze", "ankigen: Myth or Fact"]
