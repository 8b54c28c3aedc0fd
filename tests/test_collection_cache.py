"""What genanki wrote before a deck's notes is kept between builds; a rebuild need not load genanki, and the
bytes it writes are those a build without any cache writes (collection_cache.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ankigen import collection_cache
from ankigen.digests import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "deep-learning-myths.yaml"
# Builds as a user runs them, in a process of their own, which then says whether genanki was loaded.
BUILD = ("import sys\nfrom ankigen.cli import main\ntry:\n    main()\nexcept SystemExit as exit:\n"
         "    print('genanki loaded' if 'genanki' in sys.modules else 'genanki not loaded', file=sys.stderr)\n"
         "    sys.exit(exit.code)\n")


def _build(project: Path, out: str, cache: Path | None) -> tuple[str, dict[str, bytes]]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", CACHE_ENV: str(cache) if cache else "",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", BUILD, "build", str(project / "cards"), "-o", str(project / out)],
                          cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    files = {path.name: path.read_bytes() for path in sorted((project / out).iterdir()) if path.is_file()}
    return done.stderr.strip().splitlines()[-1], files


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cards").mkdir()
    shutil.copy(ROOT / "cards" / SOURCE, tmp_path / "cards" / SOURCE)
    return tmp_path


def _edit(project: Path) -> None:
    path = project / "cards" / SOURCE
    text = path.read_text("utf-8")
    assert "greatly reduce" in text
    path.write_text(text.replace("greatly reduce", "reduce", 1), "utf-8")


def test_an_edit_rebuild_does_not_load_genanki_and_writes_what_a_build_without_cache_writes(project: Path) -> None:
    cache = project / "cache"
    said, before = _build(project, "decks", cache)
    assert said == "genanki loaded"  # nothing kept yet
    # genanki's empty collection, its indexes, and its collection row for the deck's notetypes
    assert len(list((cache / collection_cache.FOLDER).iterdir())) == 3
    shutil.copytree(project / "decks", project / "no-cache")
    _edit(project)
    said, rebuilt = _build(project, "decks", cache)
    assert said == "genanki not loaded"
    _, without_cache = _build(project, "no-cache", None)
    assert rebuilt == without_cache
    assert rebuilt["deep-learning-myths.apkg"] != before["deep-learning-myths.apkg"]  # the edit is in it


def test_decks_of_the_same_notetypes_share_what_is_kept(project: Path) -> None:
    second = project / "cards" / "second.yaml"
    text = (project / "cards" / SOURCE).read_text("utf-8")
    second.write_text(text.replace("id: deep-learning-myths\n", "id: second-deck\n", 1)
                      .replace("deck: Deep Learning Myths", "deck: A Second Deck \"quoted\" \u00e9", 1), "utf-8")
    cache = project / "cache"
    _, kept = _build(project, "decks", cache)
    assert len(list((cache / collection_cache.FOLDER).iterdir())) == 3  # not one more per deck
    said, again = _build(project, "again", cache)
    assert said == "genanki not loaded"
    _, without_cache = _build(project, "no-cache", None)
    assert kept == again == without_cache
    assert kept["second-deck.apkg"] != kept["deep-learning-myths.apkg"]


@pytest.mark.parametrize("damage", ["truncated", "one byte changed", "empty"])
def test_a_damaged_file_only_costs_loading_genanki(project: Path, damage: str) -> None:
    cache = project / "cache"
    _, first = _build(project, "decks", cache)
    for path in (cache / collection_cache.FOLDER).iterdir():
        data = path.read_bytes()
        changed = {"truncated": data[:len(data) // 2], "empty": b"",
                   "one byte changed": data[:100] + bytes([data[100] ^ 1]) + data[101:]}[damage]
        path.write_bytes(changed)
    said, again = _build(project, "again", cache)
    assert said == "genanki loaded"
    assert again == first
    said, _ = _build(project, "once-more", cache)  # made again and kept
    assert said == "genanki not loaded"


def test_what_another_genanki_or_ankigen_made_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    name = collection_cache.key(1, "Deck")
    monkeypatch.setattr(collection_cache, "code_fingerprint", lambda package, ours: "genanki 9.9")
    assert collection_cache.key(1, "Deck") != name


def test_the_oldest_files_are_removed_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(collection_cache, "MAX_FILES", 3)
    for number in range(5):
        collection_cache.save(f"start-{number}", b"x" * number)
        os.utime(tmp_path / collection_cache.FOLDER / f"start-{number}", ns=(number * 10**9, number * 10**9))
    collection_cache.save("start-5", b"newest")
    assert sorted(path.name for path in (tmp_path / collection_cache.FOLDER).iterdir()) == \
        ["start-3", "start-4", "start-5"]
    assert collection_cache.load("start-5") == b"newest"
    assert collection_cache.load("start-0") is None
