"""Shared fixtures: a fresh Anki collection and a way to build decks into a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.anki_collection import Collection, open_collection

REPO = Path(__file__).resolve().parent.parent
SHIPPED_SOURCE = REPO / "cards" / "deep-learning-myths.yaml"


@pytest.fixture(autouse=True, scope="session")
def _digest_cache_in_a_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Builds run by tests remember file digests (ankigen/digests.py) in a temp folder, not in ~/.cache."""
    from ankigen.digests import CACHE_ENV

    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("digest-cache"))


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    col = open_collection(tmp_path)
    try:
        yield col
    finally:
        col.close()
