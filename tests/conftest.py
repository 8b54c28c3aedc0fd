"""Shared fixtures: a fresh Anki collection and a way to build decks into a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.anki_collection import Collection, open_collection

REPO = Path(__file__).resolve().parent.parent
SHIPPED_SOURCE = REPO / "cards" / "deep-learning-myths.yaml"


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    col = open_collection(tmp_path)
    try:
        yield col
    finally:
        col.close()
