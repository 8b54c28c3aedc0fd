"""Which files are sources: nothing under cards/ is skipped without a word (README, "Command line")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli


def source(deck_id: str) -> str:
    return f"deck: Deck {deck_id}\nid: {deck_id}\nmyths:\n  - id: m\n    myth: A myth.\n    fact: The fact.\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    return tmp_path


def build(*args: str) -> tuple[int, list[str], list[str]]:
    result = CliRunner().invoke(cli, ["build", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def decks(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "decks").glob("*.apkg"))


def test_a_suffix_in_capitals_is_a_source_like_any_other(project: Path) -> None:
    (project / "cards" / "LOUD.YAML").write_text(source("loud"), "utf-8")
    (project / "cards" / "Mixed.Yml").write_text(source("mixed"), "utf-8")
    (project / "cards" / "notes.txt").write_text("not a source", "utf-8")
    code, out, err = build()
    assert (code, err) == (0, [])
    assert [line.split(":")[0] for line in out] == ["loud", "mixed"]
    assert decks(project) == ["loud.apkg", "mixed.apkg"]


def test_an_empty_sources_folder_is_an_error(project: Path) -> None:
    (project / "cards" / "notes.txt").write_text("not a source", "utf-8")
    assert build() == (1, [], [
        "cards:1:1: error: no sources in this folder "
        "(sources are files ending in .yaml or .yml; see the README for an example)",
        "error: 1 error(s); nothing was written"])
    assert not (project / "decks").exists()


def test_a_linked_folder_is_searched_once_and_links_back_up_are_not_followed(project: Path) -> None:
    shared = project / "shared" / "inner"
    shared.mkdir(parents=True)
    (shared / "linked.yaml").write_text(source("linked"), "utf-8")
    (project / "cards" / "own.yaml").write_text(source("own"), "utf-8")
    os.symlink("../shared", project / "cards" / "a-link")
    os.symlink("../shared", project / "cards" / "b-second-link")
    os.symlink("..", project / "cards" / "c-loop")
    code, _, err = build()
    assert code == 0
    assert err == [
        "cards/b-second-link:1:1: warning: a link to a folder already searched (cards/a-link) "
        "(its sources are read once, from there)",
        "cards/c-loop:1:1: warning: a link to a folder that holds it (.); not followed "
        "(link to a folder beside or below it, or delete the link)"]
    assert decks(project) == ["linked.apkg", "own.apkg"]


def test_a_link_to_a_missing_source_is_an_error(project: Path) -> None:
    (project / "cards" / "own.yaml").write_text(source("own"), "utf-8")
    os.symlink("moved-away.yaml", project / "cards" / "gone.yaml")
    assert build() == (1, [], [
        "cards/gone.yaml:1:1: error: a link to a file that does not exist (point the link at a source, or delete it)",
        "error: 1 error(s); nothing was written"])


def test_a_file_name_that_is_not_utf8_is_an_error_at_that_file(project: Path) -> None:
    (project / "cards" / "own.yaml").write_text(source("own"), "utf-8")
    (project / "cards" / os.fsdecode(b"caf\xe9.yaml")).write_text(source("latin"), "utf-8")
    assert build() == (1, [], [
        "cards/caf\\xe9.yaml:1:1: error: the file's name is not valid UTF-8 "
        "(rename it: ankigen shows file names and keeps them in the lock as UTF-8 text)",
        "error: 1 error(s); nothing was written"])


def test_an_output_folder_whose_name_is_not_utf8_is_shown_escaped(project: Path) -> None:
    (project / "cards" / "own.yaml").write_text(source("own"), "utf-8")
    code, out, err = build("-o", os.fsdecode(b"d\xe9cks"))
    assert (code, err) == (0, [])
    assert out[0].endswith("; wrote d\\xe9cks/own.apkg, d\\xe9cks/own.html")
