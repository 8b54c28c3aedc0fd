"""``ankigen build --one-package NAME.apkg``: every deck in one package, the same notes as the decks' own packages.

Imported into the real Anki backend: the one package, then a deck's package of
the next build (and the other way round) duplicates nothing, keeps every review
and makes no "+" copy of a notetype.
"""

from __future__ import annotations

import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import ids
from ankigen.atomic import OutputError
from ankigen.cli import cli
from ankigen.one_package import one_package_bytes
from ankigen.pipeline import BuildOptions, build
from tests.anki_collection import answer_all_cards, import_apkg, open_collection
from tests.upgrade import Snapshot, snapshot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402  (bench/ is not a package)

NOTES, FILES = 90, 3
ONE = "all-decks.apkg"


def rows(apkg_path: Path) -> dict[str, object]:
    """What Anki reads from a package: notes, cards, decks and notetypes (by id)."""
    with zipfile.ZipFile(apkg_path) as archive:
        data = archive.read("collection.anki2")
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        import json

        decks, models = connection.execute("SELECT decks, models FROM col").fetchone()
        return {"notes": sorted(connection.execute("SELECT * FROM notes").fetchall()),
                "cards": sorted(connection.execute("SELECT * FROM cards").fetchall()),
                "decks": {key: value for key, value in json.loads(decks).items() if key != "1"},
                "models": json.loads(models)}
    finally:
        connection.close()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    generate.write_sources(tmp_path / "cards", NOTES, FILES)
    return tmp_path


def build_into(project: Path, folder: str = "decks", now: int = 1_767_225_600) -> Path:
    outcome = build([str(project / "cards")], project / folder, BuildOptions(one_package=ONE), now=now)
    assert not outcome.errors
    return project / folder


def test_the_one_package_holds_every_deck_with_the_same_identities(project: Path) -> None:
    decks = build_into(project)
    packages = sorted(decks.glob("bench-*.apkg"))
    assert len(packages) == FILES
    one = rows(decks / ONE)
    each = [rows(path) for path in packages]
    assert one["notes"] == sorted(row for deck in each for row in deck["notes"])  # type: ignore[attr-defined]
    assert one["cards"] == sorted(row for deck in each for row in deck["cards"])  # type: ignore[attr-defined]
    assert one["decks"] == {key: value for deck in each for key, value in deck["decks"].items()}  # type: ignore
    # the notetypes of the first deck that uses them ("did", the deck Anki's Add window last used with them, is its)
    assert one["models"] == {key: value for deck in reversed(each) for key, value in deck["models"].items()}  # type: ignore
    # the same sources and lock give the same bytes
    assert (build_into(project, "again") / ONE).read_bytes() == (decks / ONE).read_bytes()


def test_a_rebuild_rewrites_the_one_package_only_when_a_deck_changed(project: Path) -> None:
    decks = build_into(project)
    before = (decks / ONE).stat()
    assert build([str(project / "cards")], decks, BuildOptions(one_package=ONE), now=1_767_300_000).one_package \
        is None
    assert (decks / ONE).stat().st_mtime_ns == before.st_mtime_ns
    checked = build([str(project / "cards")], decks, BuildOptions(one_package=ONE), dry_run=True)
    assert checked.one_package is None
    generate.edit_source(project / "cards", 1, NOTES, FILES, edition=1)
    assert build([str(project / "cards")], decks, BuildOptions(one_package=ONE), dry_run=True).one_package \
        == decks / ONE
    old = (decks / ONE).read_bytes()
    assert build([str(project / "cards")], decks, BuildOptions(one_package=ONE), now=1_767_300_000).one_package \
        == decks / ONE
    assert (decks / ONE).read_bytes() != old
    assert rows(decks / ONE)["notes"] == sorted(  # the edited deck's new notes, the others' as they were
        row for path in sorted(decks.glob("bench-*.apkg")) for row in rows(path)["notes"])  # type: ignore


def studied_then(project: Path, first: list[Path], then: list[Path]) -> tuple[Snapshot, Snapshot, list[int]]:
    """Import ``first``, answer every card, import ``then``: the collection before and after, and what was new."""
    col = open_collection(project)
    try:
        for path in first:
            import_apkg(col, path)
        assert answer_all_cards(col, graduate=True) == col.card_count()
        studied = snapshot(col)
        new = [import_apkg(col, path).new for path in then]
        conflicts = [import_apkg(col, path).conflicting for path in then]
        assert conflicts == [0] * len(then)
        return studied, snapshot(col), new
    finally:
        col.close()


def assert_kept(studied: Snapshot, after: Snapshot) -> None:
    assert sorted(after.notes) == sorted(studied.notes), "notes were added or lost"
    for guid, note in studied.notes.items():
        assert (after.notes[guid].id, after.notes[guid].notetype_id) == (note.id, note.notetype_id)
    assert after.scheduling == studied.scheduling, "a card lost its scheduling, or a card was added"
    assert after.revlog == studied.revlog
    assert not [name for name in after.notetypes if "+" in name]
    assert after.used_notetypes == studied.used_notetypes


def test_one_package_then_a_deck_package_of_the_next_build(project: Path) -> None:
    old = project / "old.apkg"
    old.write_bytes((build_into(project) / ONE).read_bytes())
    generate.edit_source(project / "cards", 1, NOTES, FILES, edition=1)
    later = build_into(project, now=1_767_300_000)
    studied, after, new = studied_then(project, [old], [later / "bench-001.apkg"])
    assert new == [0]
    assert_kept(studied, after)
    edited = [guid for guid in studied.notes if studied.notes[guid].fields != after.notes[guid].fields]
    assert edited and all(after.notes[guid].mod == 1_767_300_000 for guid in edited)


def test_deck_packages_then_the_one_package_of_the_next_build(project: Path) -> None:
    decks = build_into(project)
    (project / "old").mkdir()
    first = [project / "old" / path.name for path in sorted(decks.glob("bench-*.apkg"))]
    for path in first:
        path.write_bytes((decks / path.name).read_bytes())
    generate.edit_source(project / "cards", 2, NOTES, FILES, edition=1)
    build_into(project, now=1_767_300_000)
    studied, after, new = studied_then(project, first, [decks / ONE])
    assert new == [0]
    assert_kept(studied, after)
    assert any(studied.notes[guid].fields != after.notes[guid].fields for guid in studied.notes)


def test_note_ids_two_decks_share_are_moved_in_the_one_package(project: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Decks' ids come from their GUIDs alone: two decks may ask for the same; the one package stays valid."""
    monkeypatch.setattr(ids, "note_id", lambda guid: ids.FIRST_NOTE_ID + (ord(guid[0]) % 4) * 64)
    build_into(project, "clashing")
    packages = [path.read_bytes() for path in sorted((project / "clashing").glob("bench-*.apkg"))]
    merged = project / "merged.apkg"
    merged.write_bytes(one_package_bytes(packages))
    assert merged.read_bytes() == one_package_bytes(packages)
    each = [rows(path) for path in sorted((project / "clashing").glob("bench-*.apkg"))]
    assert len({row[0] for deck in each for row in deck["notes"]}) < NOTES  # type: ignore[attr-defined]
    one = rows(merged)
    note_ids = {row[0] for row in one["notes"]}  # type: ignore[attr-defined]
    assert len(one["notes"]) == NOTES == len(note_ids)  # type: ignore[arg-type]
    cards = one["cards"]
    assert len(cards) == sum(len(deck["cards"]) for deck in each) == len({row[0] for row in cards})  # type: ignore
    assert {row[1] for row in cards} == note_ids  # type: ignore[attr-defined]
    guids = {row[1]: row[0] for row in one["notes"]}  # type: ignore[attr-defined]
    for deck in each:  # a moved note keeps its cards: the same ords, in the same deck
        for note_id, guid in ((row[0], row[1]) for row in deck["notes"]):  # type: ignore[attr-defined]
            mine = sorted((row[2], row[3]) for row in deck["cards"] if row[1] == note_id)  # type: ignore
            assert sorted((row[2], row[3]) for row in cards if row[1] == guids[guid]) == mine  # type: ignore
    col = open_collection(project)
    try:
        assert import_apkg(col, merged).new == NOTES
        assert col.card_count() == len(cards)  # type: ignore[arg-type]
    finally:
        col.close()


@pytest.mark.parametrize(("name", "message"), [
    ("out/all.apkg", "is not a file name ending in .apkg"),
    ("all.zip", "is not a file name ending in .apkg"),
    ("bench-000.apkg", "is the package of deck 'bench-000'; choose another name"),
])
def test_a_wrong_one_package_name_is_a_usage_error(project: Path, name: str, message: str) -> None:
    build_into(project)
    before = sorted((project / "decks").iterdir())
    result = CliRunner().invoke(cli, ["build", str(project / "cards"), "-o", str(project / "decks"),
                                      "--one-package", name])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert sorted((project / "decks").iterdir()) == before


def test_check_names_a_missing_one_package(project: Path) -> None:
    decks = build_into(project)
    (decks / ONE).unlink()
    result = CliRunner().invoke(cli, ["build", str(project / "cards"), "-o", str(decks), "--one-package", ONE,
                                      "--check"])
    assert result.exit_code == 1
    assert f"{ONE}: stale" in result.output
    assert f"--one-package {ONE}" in result.output


def test_a_one_package_that_cannot_be_made_leaves_every_file_as_it_was(project: Path) -> None:
    """Built with the other outputs: a deck's package missing from the folder stops the build before any rename."""
    decks = build_into(project)
    (decks / "bench-002.apkg").unlink()
    (decks / ONE).unlink()
    generate.edit_source(project / "cards", 0, NOTES, FILES, edition=1)
    before = {path.name: path.read_bytes() for path in decks.iterdir()}
    with pytest.raises(OutputError) as raised:  # only bench-000 is built: bench-002's package is read from disk
        build([str(project / "cards" / generate.source_name(0))], decks, BuildOptions(one_package=ONE))
    assert raised.value.path == str(decks / "bench-002.apkg")
    assert {path.name: path.read_bytes() for path in decks.iterdir()} == before
