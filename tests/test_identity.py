"""What identifies a note across edits, moves, renames and removals (README, "Always give ids")."""

from __future__ import annotations

import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

from ankigen import ids
from ankigen.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
RELEASE_0_2_0 = "c40b157"


def _package_guids(apkg: Path, tmp_path: Path) -> set[str]:
    with zipfile.ZipFile(apkg) as package:
        database = tmp_path / f"{apkg.stem}.anki2"
        database.write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(database) as connection:
        return {guid for (guid,) in connection.execute("SELECT guid FROM notes")}


def test_the_shipped_deck_keeps_every_guid_of_0_2_0(tmp_path: Path) -> None:
    shipped = tmp_path / "0.2.0.apkg"
    shipped.write_bytes(subprocess.run(["git", "show", f"{RELEASE_0_2_0}:decks/deep-learning-myths.apkg"],
                                       cwd=ROOT, check=True, capture_output=True).stdout)
    outcome = build([str(ROOT / "cards")], tmp_path / "out", now=1_800_000_000)
    assert not outcome.errors
    old = _package_guids(shipped, tmp_path)
    assert len(old) == 25
    new = _package_guids(tmp_path / "out" / "deep-learning-myths.apkg", tmp_path)
    assert old < new and len(new) == 44  # and the true statements' and questions' notes, new since 0.2.0


def test_ids_never_hold_the_joiner_so_no_two_notes_share_a_guid() -> None:
    # Myth 'a__b' would take the GUID of item 'b' of myth 'a': such ids are refused
    # (tests/cases/id-with-joiner.yaml), and the ids that remain name one GUID each.
    assert ids.note_guid("d", "a__b") == ids.note_guid("d", "a", "b")
    keys = ["a", "a_", "b", "b_", "a.b", "a-b"]
    guids = {(m, i): ids.note_guid("d", m, i) for m in keys for i in keys} | {(m, None): ids.note_guid("d", m)
                                                                             for m in keys}
    assert len(set(guids.values())) == len(guids)


DECK = """\
deck: Identity
id: identity
myths:
  - id: data
    myth: Deep learning needs massive datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: transfer
        name: Transfer learning
        text: Fine-tunes a {{pre-trained}} model on {{a new task}}.
      - id: augmentation
        name: Data augmentation
        text: Creates {{modified copies}} of existing data.
"""


def _cli(*args: str, epoch: int = 1_800_000_000) -> str:
    from click.testing import CliRunner

    from ankigen.cli import cli

    result = CliRunner().invoke(cli, list(args), env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.exit_code == 0, result.output
    return result.output


def test_building_from_another_folder_writes_the_same_lock_and_rebuilds_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "identity.yaml").write_text(DECK, "utf-8")
    monkeypatch.chdir(tmp_path)
    _cli("build")
    lock = (tmp_path / "decks" / "ankigen.lock").read_bytes()
    assert b'"source": "../cards/identity.yaml"' in lock
    monkeypatch.chdir(tmp_path / "cards")
    output = _cli("build", ".", "-o", "../decks")
    assert "unchanged ../decks/identity.apkg" in output and "wrote" not in output
    assert (tmp_path / "decks" / "ankigen.lock").read_bytes() == lock
    monkeypatch.chdir(tmp_path.parent)
    output = _cli("build", f"{tmp_path.name}/cards", "-o", f"{tmp_path.name}/decks")
    assert "unchanged" in output and "wrote" not in output
    assert (tmp_path / "decks" / "ankigen.lock").read_bytes() == lock


def test_a_restored_item_is_newer_than_its_tombstone_so_anki_takes_it_back(tmp_path: Path) -> None:
    from tests.anki_collection import import_apkg, notes_by_guid, open_collection

    source, out = tmp_path / "identity.yaml", tmp_path / "decks"
    col = open_collection(tmp_path)
    try:
        for text in (DECK, DECK.split("      - id: augmentation")[0], DECK):  # remove an item, then restore it
            source.write_text(text, "utf-8")
            _cli("build", str(source), "-o", str(out))  # every build at the same SOURCE_DATE_EPOCH
            import_apkg(col, out / "identity.apkg")
        notes = notes_by_guid(col)
        assert len(notes) == 4  # the myth, its fact, two items
        assert not [note for note in notes.values() if "ankigen::removed" in note.tags]
        assert col.find_cards("is:suspended") == []
    finally:
        col.close()


def _tree(tmp_path: Path, **sources: str) -> Path:
    (tmp_path / "cards").mkdir(exist_ok=True)
    for name, text in sources.items():
        (tmp_path / "cards" / f"{name}.yaml").write_text(text, "utf-8")
    return tmp_path


def _guids(tmp_path: Path) -> dict[str, str]:
    """'deck/note key' -> GUID, from the lock."""
    import json

    lock = json.loads((tmp_path / "decks" / "ankigen.lock").read_text("utf-8"))
    return {f"{deck}/{row[0]}": guid for deck, entry in lock["decks"].items() for guid, row in entry["notes"].items()}


def _build_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: int = 1_800_000_000) -> str:
    from click.testing import CliRunner

    from ankigen.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build"], env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.exit_code == 0, result.output
    return result.output


def test_was_renames_an_id_and_keeps_the_guid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path, identity=DECK)
    _build_in(tmp_path, monkeypatch)
    before = _guids(tmp_path)
    renamed = DECK.replace("id: data\n", "id: datasets\n    was: data\n").replace(
        "id: transfer\n", "id: transfer-learning\n        was: transfer\n")
    _tree(tmp_path, identity=renamed)
    output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
    after = _guids(tmp_path)
    assert after["identity/datasets"] == before["identity/data"]
    assert after["identity/datasets/transfer-learning"] == before["identity/data/transfer"]
    assert after["identity/datasets/augmentation"] == before["identity/data/augmentation"]  # moved with its myth
    assert "removed 0" in output and "added 0" in output
    assert "moved here, keeping their reviews: datasets (was data)" in output
    assert _build_in(tmp_path, monkeypatch, 1_800_000_200).count("unchanged") == 2  # 'was:' may stay


def test_a_move_that_could_be_either_of_two_notes_keeps_neither_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_myths = DECK + DECK[DECK.index("  - id: data"):].replace("id: data", "id: other")
    _tree(tmp_path, identity=two_myths)
    _build_in(tmp_path, monkeypatch)
    before = _guids(tmp_path)
    # 'augmentation' leaves both myths for a third: which one's reviews should it keep?
    third = "\n".join(line for line in two_myths.split("\n")) \
        .replace(DECK[DECK.index("      - id: augmentation"):], "")
    third += "  - id: third\n    myth: A third myth.\n    fact: A third fact.\n    techniques:\n" + \
        DECK[DECK.index("      - id: augmentation"):]
    _tree(tmp_path, identity=third)
    output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
    assert "warning: cannot tell which note moved here (it could be any of identity/data/augmentation, " \
           "identity/other/augmentation, which disappeared)" in output
    after = _guids(tmp_path)
    assert after["identity/third/augmentation"] not in before.values()
    assert "removed 2" in output  # both retired, as removed notes are


def test_renaming_a_source_without_a_deck_id_warns_and_keeps_every_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_id = DECK.replace("id: identity\n", "")
    _tree(tmp_path, first=no_id)
    output = _build_in(tmp_path, monkeypatch)
    assert "cards/first.yaml:1:1: warning: deck has no 'id' (it defaults to 'first', from the file's name, " \
           "which changes when the file is renamed) (add 'id: first')" in output
    before = _guids(tmp_path)
    (tmp_path / "cards" / "first.yaml").rename(tmp_path / "cards" / "second.yaml")
    output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
    after = _guids(tmp_path)
    assert sorted(after.values()) == sorted(before.values())
    assert "first: its source ../cards/first.yaml is gone and all its notes moved to other decks; " \
           "removed first.apkg, first.html from decks" in output
    assert sorted(p.name for p in (tmp_path / "decks").iterdir()) == ["ankigen.lock", "second.apkg", "second.html"]


def test_a_deleted_source_retires_its_notes_in_anki_and_then_is_forgotten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.anki_collection import import_apkg, open_collection

    other = DECK.replace("id: identity", "id: other").replace("deck: Identity", "deck: Other")
    _tree(tmp_path, identity=DECK, other=other)
    _build_in(tmp_path, monkeypatch)
    col = open_collection(tmp_path)
    try:
        for name in ("identity", "other"):
            import_apkg(col, tmp_path / "decks" / f"{name}.apkg")
        (tmp_path / "cards" / "other.yaml").unlink()
        output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
        assert "other: its source ../cards/other.yaml is gone: 4 notes retired; wrote decks/other.apkg with only " \
               "them, suspended and tagged 'ankigen::removed'" in output
        assert not (tmp_path / "decks" / "other.html").exists()
        import_apkg(col, tmp_path / "decks" / "other.apkg")
        assert len(col.find_notes("tag:ankigen::removed")) == 4
        assert len(col.find_notes("-tag:ankigen::removed")) == 4  # the other deck's notes are untouched
        output = _build_in(tmp_path, monkeypatch, 1_800_000_200)
        assert "other: retired (its source ../cards/other.yaml is gone)" in output
        (tmp_path / "decks" / "other.apkg").unlink()
        assert "other: forgotten" in _build_in(tmp_path, monkeypatch, 1_800_000_300)
        assert '"other"' not in (tmp_path / "decks" / "ankigen.lock").read_text("utf-8")
    finally:
        col.close()


def test_a_new_note_at_a_moved_notes_old_place_gets_a_guid_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_myths = DECK + "  - id: other\n    myth: Another myth.\n    fact: Another fact.\n"
    _tree(tmp_path, identity=two_myths)
    _build_in(tmp_path, monkeypatch)
    first = _guids(tmp_path)
    item = DECK[DECK.index("      - id: augmentation"):]
    moved = two_myths.replace(item, "") + "    techniques:\n" + item  # augmentation moves to 'other'
    _tree(tmp_path, identity=moved)
    _build_in(tmp_path, monkeypatch, 1_800_000_100)
    assert _guids(tmp_path)["identity/other/augmentation"] == first["identity/data/augmentation"]
    again = moved.replace("    techniques:\n      - id: transfer", "    techniques:\n" + item.replace(
        "Creates", "Makes") + "      - id: transfer", 1)  # a new 'augmentation' where the old one was
    _tree(tmp_path, identity=again)
    output = _build_in(tmp_path, monkeypatch, 1_800_000_200)
    after = _guids(tmp_path)
    assert after["identity/other/augmentation"] == first["identity/data/augmentation"]
    assert after["identity/data/augmentation"] not in first.values()
    assert "added 1" in output and len(set(after.values())) == len(after)


def test_changing_a_deck_id_keeps_its_notes_and_removes_the_old_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path, identity=DECK)
    _build_in(tmp_path, monkeypatch)
    before = _guids(tmp_path)
    _tree(tmp_path, identity=DECK.replace("id: identity\n", "id: renamed\n"))
    output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
    assert sorted(_guids(tmp_path).values()) == sorted(before.values())
    assert "renamed: 2 myth-or-fact/choice notes (" in output and "added 0" in output
    assert "identity: its source ../cards/identity.yaml now builds a deck with another id and all its notes moved " \
           "to other decks; removed identity.apkg, identity.html from decks" in output
    assert sorted(p.name for p in (tmp_path / "decks").iterdir()) == ["ankigen.lock", "renamed.apkg", "renamed.html"]


def test_upgrading_from_the_0_2_0_lock_keeps_every_note_and_its_time_and_starts_remembering_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    def shipped(path: str) -> bytes:
        return subprocess.run(["git", "show", f"{RELEASE_0_2_0}:{path}"], cwd=ROOT, check=True,
                              capture_output=True).stdout

    (tmp_path / "cards").mkdir()
    (tmp_path / "decks").mkdir()
    (tmp_path / "cards" / "deep-learning-myths.yaml").write_bytes(shipped("cards/deep-learning-myths.yaml"))
    for name in ("deep-learning-myths.apkg", "deep-learning-myths.html", "ankigen.lock"):
        (tmp_path / "decks" / name).write_bytes(shipped(f"decks/{name}"))
    old = json.loads(shipped("decks/ankigen.lock"))["decks"]["deep-learning-myths"]["notes"]
    output = _build_in(tmp_path, monkeypatch, 1_900_000_000)
    # Each myth's fact and question are new; the myth notes' verdict moved into their Fact field.
    assert "added 10, changed 5, removed 0, unchanged 20;" in output
    lock = json.loads((tmp_path / "decks" / "ankigen.lock").read_text("utf-8"))
    assert lock["version"] == 3
    new = lock["decks"]["deep-learning-myths"]["notes"]
    assert len(new) == len(old) + 10
    for guid, row in old.items():
        if row[1] == "myth":  # changed: same key and kind, a newer time
            assert new[guid][:2] == row[:2] and new[guid][3] > row[3]
        else:
            assert new[guid][:4] == row
    assert all(len(row) == 6 for row in new.values() if row[1] in ("technique", "limitation"))  # cloze numbers


def test_moves_pair_only_notes_that_are_each_the_only_one_with_their_ids() -> None:
    from ankigen.identity import Appeared, Vanished, match_moves, vanished_keys
    from ankigen.model import Location

    def new(path: str, *keys: tuple[str, ...], was: str = "") -> Appeared:
        return Appeared(path, keys, Location("x.yaml", 1, 1), was)

    def gone(path: str) -> Vanished:
        return Vanished(path, "guid:" + path, vanished_keys(path.split("/", 1)[1]))

    # a myth moved to another deck with its item; an item moved to another myth
    moves, problems = match_moves(
        [new("two/m", ("myth", "m")), new("two/m/t", ("item", "m", "t"), ("item id", "t")),
         new("one/b/u", ("item", "b", "u"), ("item id", "u"))],
        [gone("one/m"), gone("one/m/t"), gone("one/a/u")])
    assert {path: old.path for path, old in moves.items()} == \
        {"two/m": "one/m", "two/m/t": "one/m/t", "one/b/u": "one/a/u"}
    assert not problems
    # one item left, two appeared with its id: neither takes it, both are warned about
    moves, problems = match_moves([new("one/b/u", ("item", "b", "u"), ("item id", "u")),
                                   new("one/c/u", ("item", "c", "u"), ("item id", "u"))], [gone("one/a/u")])
    assert not moves and len(problems) == 2
    assert "one/a/u disappeared, and 2 notes could be it" in problems[0].message
    # the same myth and item ids win over an item id alone
    moves, _ = match_moves([new("two/a/u", ("item", "a", "u"), ("item id", "u"))],
                           [gone("one/a/u"), gone("one/b/u")])
    assert moves["two/a/u"].path == "one/a/u"


def test_true_statements_and_questions_move_with_their_myth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_myths = DECK.replace("myths:\n", "myths:\n  - id: gpus\n    myth: Deep learning needs GPUs.\n"
                             "    fact: CPUs train small models, only more slowly.\n    true_statements:\n"
                             "      - id: cloud\n        text: Cloud computing rents GPUs by the hour.\n", 1)
    _tree(tmp_path, identity=two_myths)
    _build_in(tmp_path, monkeypatch)
    before = _guids(tmp_path)
    assert {"identity/gpus:fact", "identity/gpus:true:cloud", "identity/gpus:not-true",
            "identity/data:not-true"} <= set(before)
    _tree(tmp_path, identity=two_myths.replace("id: identity\n", "id: renamed\n"))
    output = _build_in(tmp_path, monkeypatch, 1_800_000_100)
    after = _guids(tmp_path)
    assert {path.replace("identity/", "renamed/", 1): guid for path, guid in before.items()} == after
    assert "added 0" in output
