"""`ankigen sync` and `ankigen diff` against the real Anki backend: what a user would check in their collection.

Every test starts from a collection that already holds the user's own notes,
decks, notetype, tags and media, and checks those are exactly as they were
afterwards. Syncs run through the command line (in-process, or in a process of
their own where a test kills one or holds the collection open).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ankigen import ids
from ankigen.cli import cli
from tests.anki_collection import Collection, answer_all_cards, card_scheduling
from tests.test_media import png

SOURCE = """\
deck: Sync Test
id: sync-test
tags: [st]
myths:
  - id: big-data
    myth: Deep learning needs huge datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: transfer
        name: Transfer learning
        text: Starts from a model {{pre-trained}} on {{ImageNet::a big dataset}}.
      - id: augment
        name: Augmentation
        text: Makes {{new examples}} from old ones.
  - id: black-box
    myth: Neural networks cannot be explained.
    fact: Saliency maps and probes explain a lot.
    limitations:
      - id: partial
        name: Partial explanations
        text: Explanations cover {{some}} of the behaviour.
  - id: experts
    myth: Only experts can use deep learning.
    fact: High-level frameworks make it approachable.
"""
NOTES = 12  # 3 myths, their 3 facts and 3 questions, 3 cloze notes (16 cards)
RUN = "from ankigen.cli import main; main()"
USER_IMAGE = b"user's own picture"
AUGMENT = "      - id: augment\n        name: Augmentation\n        text: Makes {{new examples}} from old ones.\n"


def _open(path: Path) -> Collection:
    from anki._backend import RustBackend

    return Collection(str(path), backend=RustBackend(langs=["en"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with cards/sync-test.yaml and profile/collection.anki2 holding the user's own things."""
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "sync-test.yaml").write_text(SOURCE, "utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    col = _open(profile / "collection.anki2")
    try:
        basic = col.models.by_name("Basic")
        assert basic is not None
        mine = col.models.copy(basic)
        mine["name"] = "My own type"
        mine["css"] = ".card { color: green; }"
        col.models.update_dict(mine)
        for deck, front, tags in (("Mine", "user front", ["mine"]), ("Mine::Sub", "user front 2", []),
                                  ("Default", '<img src="users-picture.png">', ["pic"])):
            note = col.new_note(col.models.by_name("My own type") or basic)
            note["Front"], note["Back"] = front, "user back"
            note.tags = tags
            deck_id = col.decks.id(deck)
            assert deck_id is not None
            col.add_note(note, deck_id)
        col.media.write_data("users-picture.png", USER_IMAGE)
        answer_all_cards(col, graduate=True)
    finally:
        col.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return tmp_path


def collection(project: Path) -> Path:
    return project / "profile" / "collection.anki2"


def sync(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sync", "--collection", str(collection(project)), *args])


def edit_source(project: Path, old: str, new: str) -> None:
    path = project / "cards" / "sync-test.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


OURS = {ids.MYTH_NOTETYPE_ID, ids.CLOZE_NOTETYPE_ID, ids.CHOICE_NOTETYPE_ID}


def user_content(path: Path) -> dict[str, Any]:
    """Everything of the user's: their notes, cards, decks, notetypes, deck options, config and media."""
    col = _open(path)
    try:
        assert col.db is not None
        ours = ",".join(str(i) for i in OURS)
        notes = col.db.all(f"select id, guid, mid, mod, usn, tags, flds from notes where mid not in ({ours}) "
                           "order by id")
        cards = col.db.all(f"select c.* from cards c join notes n on n.id = c.nid where n.mid not in ({ours}) "
                           "order by c.id")
        revlog = col.db.all(f"select r.* from revlog r join cards c on c.id = r.cid join notes n on n.id = c.nid "
                            f"where n.mid not in ({ours}) order by r.id")
        ankigen_decks = {"Sync Test", "Sync Test::Moved"}
        decks = {d.id: json.dumps(col.decks.get(d.id), sort_keys=True)
                 for d in col.decks.all_names_and_ids() if d.name not in ankigen_decks}
        notetypes = {n.id: json.dumps(col.models.get(n.id), sort_keys=True)  # type: ignore[arg-type]
                     for n in col.models.all_names_and_ids() if n.id not in OURS}
        config = {key: value for key, value in col.all_config().items() if key != "ankigen"}
        deck_options = json.dumps(col.decks.all_config(), sort_keys=True)
        schema = col.db.scalar("select scm from col")  # moved on, AnkiWeb would ask for a full sync
    finally:
        col.close()
    media = {p.name: p.read_bytes() for p in (path.parent / "collection.media").iterdir()
             if not p.name.startswith("ankigen-")}
    return {"notes": notes, "cards": cards, "revlog": revlog, "decks": decks, "notetypes": notetypes,
            "config": config, "deck options": deck_options, "media": media, "schema": schema}


def ankigen_notes(path: Path) -> dict[str, dict[str, Any]]:
    """Our notes by key-ish GUID: fields, tags, mod, and each card's deck and queue."""
    col = _open(path)
    try:
        assert col.db is not None
        out = {}
        for nid, guid, mid, mod, tags, flds in col.db.all(
                f"select id, guid, mid, mod, tags, flds from notes where mid in ({', '.join('?' * len(OURS))})", *OURS):
            cards = col.db.all("select c.ord, coalesce(nullif(c.odid, 0), c.did), c.queue from cards c "
                               "where c.nid = ? order by c.ord", nid)
            out[guid] = {"mid": mid, "mod": mod, "tags": tags.split(), "fields": flds.split("\x1f"),
                         "cards": [(ord_, col.decks.name(did), queue) for ord_, did, queue in cards]}
        return out
    finally:
        col.close()


def guid(*keys: str) -> str:
    return ids.note_guid("sync-test", *keys)


def file_state(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def notetype_names(path: Path) -> list[str]:
    col = _open(path)
    try:
        return sorted(entry.name for entry in col.models.all_names_and_ids())
    finally:
        col.close()


def test_sync_adds_updates_retires_moves_and_leaves_the_users_content_alone(project: Path) -> None:
    path = collection(project)
    before = user_content(path)
    first = sync(project)
    assert first.exit_code == 0, first.output
    assert f"added {NOTES}, updated 0, moved 0, retired 0, conflicting 0, unchanged 0" in first.output
    assert "backup: " in first.output and list((path.parent / "backups").glob("backup-*.colpkg"))
    notes = ankigen_notes(path)
    assert len(notes) == NOTES
    assert notes[guid("big-data")]["mid"] == ids.MYTH_NOTETYPE_ID
    assert notes[guid("big-data", "transfer")]["mid"] == ids.CLOZE_NOTETYPE_ID
    assert [deck for note in notes.values() for _, deck, _ in note["cards"]] == ["Sync Test"] * 16
    assert user_content(path) == before

    # Study every card, as a user would.
    col = _open(path)
    try:
        answer_all_cards(col, graduate=True)
        studied = {key: sched for key, sched in card_scheduling(col).items() if sched.revlog}
        # An edit made in Anki to a note the source changes too (a conflict), and to one it does not.
        for note_guid, text in ((guid("black-box"), "Edited in Anki: networks are opaque."),
                                (guid("experts"), "Edited in Anki only.")):
            assert col.db is not None
            note = col.get_note(col.db.scalar("select id from notes where guid = ?", note_guid))
            note.fields[0] = text
            note.tags.append("my-tag")
            col.update_note(note)
    finally:
        col.close()
    before = user_content(path)

    # Edit, add, remove and move in the sources.
    edit_source(project, "Transfer learning makes small datasets workable.",
                "Transfer learning makes small data go far.")
    edit_source(project, "Neural networks cannot be explained.", "Neural networks can never be explained.")
    edit_source(project, AUGMENT, "")
    edit_source(project, "        text: Explanations cover {{some}} of the behaviour.\n",
                "        text: Explanations cover {{some}} of the behaviour.\n"
                "      - id: probes\n        name: Probes\n        text: Linear probes read {{what a layer knows}}.\n")
    edit_source(project, "deck: Sync Test\n", "deck: Sync Test::Moved\n")
    second = sync(project, "-v")
    assert second.exit_code == 0, second.output
    # updated: the edited fact on its myth's, its own and two questions' cards; the edited myth on its fact's,
    # its question's and its item's cards (the myth's own note is in conflict); moved: every note but the new one
    assert "added 1, updated 7, moved 10, retired 1, conflicting 1, unchanged 0; kept as edited in Anki 1" \
        in second.output
    assert "cards/sync-test.yaml:16:9: updated 'black-box/partial' in deck 'Sync Test::Moved' (fields)" \
        in second.output  # its Myth field shows the edited myth
    assert "cards/sync-test.yaml: retired 'big-data/augment' in deck 'Sync Test'" in second.output
    assert "cards/sync-test.yaml:5:5: updated 'big-data' in deck 'Sync Test::Moved' (fields)" in second.output
    assert ("cards/sync-test.yaml:12:5: conflicting 'black-box' in deck 'Sync Test::Moved' (edited in Anki and in "
            "the source; left as it is in Anki)") in second.stderr
    assert "cards/sync-test.yaml:22:5: kept 'experts'" in second.output
    notes = ankigen_notes(path)
    # Reviews kept: every card studied before has the same scheduling and history.
    col = _open(path)
    try:
        after = card_scheduling(col)
    finally:
        col.close()
    for key, sched in studied.items():
        if key[0] != guid("big-data", "augment"):
            assert after[key] == sched
    assert notes[guid("big-data")]["fields"][1] == \
        '<div class="verdict myth">Myth</div><div class="fact"><p>Transfer learning makes small data go far.</p></div>'
    # The retired note: every card suspended, tagged; nothing else of it changed.
    retired = notes[guid("big-data", "augment")]
    assert "ankigen::removed" in retired["tags"] and {queue for _, _, queue in retired["cards"]} == {-1}
    # Moved: every card of ours now in the new deck, but the retired note's and the conflicting one's (left alone).
    decks = {key: {deck for _, deck, _ in note["cards"]} for key, note in notes.items()}
    assert decks.pop(guid("big-data", "augment")) == decks.pop(guid("black-box")) == {"Sync Test"}
    assert set().union(*decks.values()) == {"Sync Test::Moved"}
    # The conflict is left as the user made it; the edit made in Anki alone is kept, with the user's tag.
    assert notes[guid("black-box")]["fields"][0] == "Edited in Anki: networks are opaque."
    assert notes[guid("experts")]["fields"][0] == "Edited in Anki only."
    assert "my-tag" in notes[guid("experts")]["tags"]
    assert guid("black-box", "probes") in notes
    # No notetype copies; the user's content untouched.
    assert not [name for name in notetype_names(path) if "+" in name or ("ankigen" in name and name not in (
        "ankigen: Cloze", "ankigen: Myth or Fact", "ankigen: Which Is NOT True"))]
    assert user_content(path) == before

    # diff shows the conflict with its source line, writing nothing; --force overwrites it and says so.
    state = file_state(path)
    shown = CliRunner().invoke(cli, ["diff", "--collection", str(path)])
    assert file_state(path) == state
    assert shown.exit_code == 1
    assert "cards/sync-test.yaml:12:5: 'black-box' in deck 'Sync Test::Moved': edited in Anki and in the source" \
        in shown.output
    assert "-Neural networks can never be explained." in shown.output
    assert "+Edited in Anki: networks are opaque." in shown.output
    forced = sync(project, "--force")
    assert forced.exit_code == 0, forced.output
    assert "cards/sync-test.yaml:12:5: overwritten 'black-box'" in forced.output
    assert "cards/sync-test.yaml:22:5: overwritten 'experts'" in forced.output
    notes = ankigen_notes(path)
    assert notes[guid("black-box")]["fields"][0] == "Neural networks can never be explained."
    assert "my-tag" in notes[guid("black-box")]["tags"]  # the user's tag stays

    # Nothing left to do: nothing written, not even a modification time.
    state = file_state(path)
    again = sync(project, "-v")
    assert again.exit_code == 0, again.output
    assert "up to date, not written" in again.output and f"unchanged {NOTES}" in again.output
    assert again.output.count(": unchanged '") == NOTES  # -v names every note
    assert file_state(path) == state
    assert user_content(path) == before


def test_removed_delete_deletes_our_notes_only(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    before = user_content(path)
    edit_source(project, "  - id: experts\n    myth: Only experts can use deep learning.\n"
                         "    fact: High-level frameworks make it approachable.\n", "")
    result = sync(project, "--removed", "delete")
    assert result.exit_code == 0, result.output
    assert "retired 3" in result.output  # the myth, its fact and its question
    assert guid("experts") not in ankigen_notes(path) and len(ankigen_notes(path)) == NOTES - 3
    assert user_content(path) == before


def test_a_note_back_in_the_sources_is_restored(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    original = (project / "cards" / "sync-test.yaml").read_text("utf-8")
    edit_source(project, AUGMENT, "")
    assert sync(project).exit_code == 0
    assert {queue for _, _, queue in ankigen_notes(path)[guid("big-data", "augment")]["cards"]} == {-1}
    (project / "cards" / "sync-test.yaml").write_text(original, "utf-8")
    result = sync(project, "-v")
    assert "updated 'big-data/augment' in deck 'Sync Test' (tags, restored)" in result.output
    note = ankigen_notes(path)[guid("big-data", "augment")]
    assert "ankigen::removed" not in note["tags"] and {queue for _, _, queue in note["cards"]} == {0}


def test_dry_run_prints_the_plan_and_writes_nothing(project: Path) -> None:
    path = collection(project)
    state = file_state(path)
    listing = sorted(p.name for p in path.parent.iterdir())
    result = sync(project, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "cards/sync-test.yaml:5:5: added 'big-data' in deck 'Sync Test'" in result.output
    assert f"dry run, nothing written: {path}: added {NOTES}," in result.output
    assert file_state(path) == state
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # no backup, no leftovers


def test_our_notetypes_are_updated_in_place_never_copied(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:  # as an older ankigen would have left them
        for notetype_id in OURS:
            model = col.models.get(notetype_id)  # type: ignore[arg-type]
            assert model is not None
            model["css"] = ".card { color: red; }"
            model["tmpls"][0]["qfmt"] += "<!-- old -->"
            col.models.update_dict(model)
    finally:
        col.close()
    names = notetype_names(path)
    result = sync(project)
    assert result.exit_code == 0, result.output
    assert "notetypes updated 3" in result.output
    assert notetype_names(path) == names
    from ankigen.notetypes import all_notetypes

    col = _open(path)
    try:
        for ours in all_notetypes():
            model = col.models.get(ours.id)  # type: ignore[arg-type]
            assert model is not None and model["css"] == ours.css and model["tmpls"][0]["qfmt"] == ours.front
    finally:
        col.close()


def test_a_deck_in_another_language_syncs_with_that_languages_notetypes(project: Path) -> None:
    from ankigen.notetypes import all_notetypes

    hebrew = Path(__file__).parent / "fixtures" / "languages" / "deep-learning-he.yaml"
    (project / "cards" / hebrew.name).write_bytes(hebrew.read_bytes())
    path = collection(project)
    result = sync(project)
    assert result.exit_code == 0, result.output
    ours = all_notetypes("he")
    col = _open(path)
    try:
        held = {int(entry.id): entry.name for entry in col.models.all_names_and_ids()}
        assert [held.get(notetype.id) for notetype in ours] == [notetype.name for notetype in ours]
        model = col.models.get(ours[0].id)  # type: ignore[arg-type]
        assert model is not None and model["tmpls"][0]["qfmt"] == ours[0].front
        model["tmpls"][0]["qfmt"] += "<!-- old -->"  # as an older ankigen would have left it
        col.models.update_dict(model)
    finally:
        col.close()
    again = sync(project)
    assert again.exit_code == 0 and "notetypes updated 1" in again.output, again.output
    assert not [name for name in notetype_names(path) if "+" in name]


def test_a_renamed_field_in_our_notetype_stops_the_sync_before_writing(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:
        model = col.models.get(ids.MYTH_NOTETYPE_ID)  # type: ignore[arg-type]
        assert model is not None
        col.models.rename_field(model, model["flds"][1], "Truth")
        col.models.update_dict(model)
    finally:
        col.close()
    edit_source(project, "Transfer learning makes small datasets workable.", "Changed.")
    state = file_state(path)
    result = sync(project)
    assert result.exit_code == 4
    assert "fields Statement, Truth, Source" in result.stderr and "the collection was not touched" in result.stderr
    assert file_state(path) == state


def test_media_are_added_and_the_users_media_left_alone(project: Path) -> None:
    images = project / "cards" / "images"
    images.mkdir()
    (images / "cat.png").write_bytes(png(1))
    edit_source(project, "    fact: Saliency maps and probes explain a lot.\n",
                "    fact: 'Saliency maps explain a lot: ![a cat](images/cat.png)'\n")
    path = collection(project)
    before = user_content(path)
    result = sync(project)
    assert result.exit_code == 0, result.output
    assert "media added 1" in result.output
    added = [p for p in (path.parent / "collection.media").iterdir() if p.name.startswith("ankigen-")]
    assert [p.read_bytes() for p in added] == [png(1)]
    assert added[0].name in ankigen_notes(path)[guid("black-box")]["fields"][1]
    assert user_content(path) == before


def test_a_collection_open_in_anki_is_refused_and_left_alone(project: Path) -> None:
    path = collection(project)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom anki.collection import Collection\n"
                               "col = Collection(sys.argv[1])\nprint('open', flush=True)\ntime.sleep(30)\n",
         str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        for command in (["sync"], ["sync", "--dry-run"], ["diff"]):
            result = CliRunner().invoke(cli, [*command, "--collection", str(path)])
            assert result.exit_code == 4, result.output
            assert result.stderr.strip() == ("error: the collection is open in Anki or locked by another program: "
                                             "close Anki, then run again (nothing was written)")
    finally:
        holder.kill()
        holder.wait()
    assert ankigen_notes(path) == {}
    assert not (path.parent / "backups").exists() and not (project / "decks").exists()


@pytest.mark.parametrize("stage", ["notes-added", "notes-written", "before-replace"])
def test_a_killed_sync_leaves_the_collection_as_it_was(project: Path, stage: str) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    edit_source(project, "Transfer learning makes small datasets workable.", "Changed fact.")
    edit_source(project, "  - id: experts\n", "  - id: experts-renamed\n")  # a myth, fact and question added, 3 retired
    state = file_state(path)
    notes = ankigen_notes(path)
    marker = project / "held"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "ANKIGEN_TEST_SYNC_HOLD": f"{stage}:{marker}"}
    process = subprocess.Popen([sys.executable, "-c", RUN, "sync", "--collection", str(path)], cwd=project, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert file_state(path) == state
    assert ankigen_notes(path) == notes
    # The next sync finishes the job, and cleans up what the killed one left.
    result = sync(project)
    assert result.exit_code == 0, result.output
    # updated: the fact's myth, its own card, its question and the question that offers it
    assert "added 3, updated 4, moved 0, retired 3" in result.output
    assert not list(path.parent.glob(".ankigen-sync-*"))


def test_a_second_collection_sync_blocks_anki_until_done(project: Path) -> None:
    """While a sync runs, Anki cannot open the collection (it would show its 'already open' message)."""
    path = collection(project)
    marker = project / "held"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "ANKIGEN_TEST_SYNC_HOLD": f"notes-written:{marker}"}
    process = subprocess.Popen([sys.executable, "-c", RUN, "sync", "--collection", str(path)], cwd=project, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        opened = subprocess.run([sys.executable, "-c", "import sys\nfrom anki.collection import Collection\n"
                                 "Collection(sys.argv[1]).close()\n", str(path)], capture_output=True, text=True)
        assert opened.returncode != 0 and "DBError" in opened.stderr
        result = sync(project)
        assert result.exit_code == 4 and "close Anki, then run again" in result.stderr
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_without_the_anki_package_sync_says_how_to_install_it(project: Path) -> None:
    blocked = "import sys; sys.modules['anki'] = None\n" + RUN
    for command in ("sync", "diff"):
        result = subprocess.run([sys.executable, "-c", blocked, command, "--collection", str(collection(project))],
                                cwd=project, capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        assert result.returncode == 2
        assert result.stderr == "error: ankigen sync needs the 'anki' package: pip install 'ankigen[sync]'\n"


def test_a_profile_is_found_where_anki_keeps_it(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = project / "xdg" / "Anki2"
    (base / "User 1").mkdir(parents=True)
    os.replace(collection(project), base / "User 1" / "collection.anki2")
    monkeypatch.delenv("ANKI_BASE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(project / "xdg"))
    if sys.platform in ("win32", "darwin"):
        monkeypatch.setenv("ANKI_BASE", str(base))
    result = CliRunner().invoke(cli, ["sync", "--profile", "User 1"])
    assert result.exit_code == 0, result.output
    assert f"added {NOTES}" in result.output
    missing = CliRunner().invoke(cli, ["sync", "--profile", "Nobody"])
    assert missing.exit_code == 2 and "no Anki profile 'Nobody'" in missing.output and "User 1" in missing.output
    monkeypatch.setenv("ANKI_BASE", str(base))
    monkeypatch.setenv("XDG_DATA_HOME", str(project / "elsewhere"))
    assert CliRunner().invoke(cli, ["diff", "--profile", "User 1"]).exit_code == 0


def test_sync_needs_exactly_one_collection(project: Path) -> None:
    neither = CliRunner().invoke(cli, ["sync"])
    both = CliRunner().invoke(cli, ["sync", "--collection", str(collection(project)), "--profile", "x"])
    assert neither.exit_code == both.exit_code == 2
    assert "--collection PATH or --profile NAME" in neither.output


def test_a_sync_of_some_sources_leaves_the_other_decks_notes_alone(project: Path) -> None:
    other = project / "cards" / "other.yaml"
    other.write_text("deck: Other\nid: other\nmyths:\n  - id: o\n    myth: Other myth.\n    fact: Other fact.\n",
                     "utf-8")
    path = collection(project)
    assert f"added {NOTES + 2}," in sync(project).output  # the other myth and its fact
    other.unlink()  # not named below, so not in this sync: its notes are not retired
    result = sync(project, "cards/sync-test.yaml")
    assert result.exit_code == 0, result.output
    assert f"retired 0, conflicting 0, unchanged {NOTES}" in result.output
    note = ankigen_notes(path)[ids.note_guid("other", "o")]
    assert note["cards"] == [(0, "Other", 0)] and "ankigen::removed" not in note["tags"]


def test_a_file_that_is_not_a_collection_is_refused_in_one_line(project: Path) -> None:
    bogus = project / "profile" / "notes.anki2"
    bogus.write_bytes(b"not a database at all, just text" * 100)
    for command in ("sync", "diff"):
        result = CliRunner().invoke(cli, [command, "--collection", str(bogus)])
        assert result.exit_code == 4
        assert result.stderr.startswith("error: cannot use the collection: not an Anki collection")
        assert len(result.stderr.splitlines()) == 1
    assert bogus.read_bytes() == b"not a database at all, just text" * 100


def test_a_removed_cloze_deletion_retires_its_card(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    edit_source(project, "on {{ImageNet::a big dataset}}.", "on ImageNet.")
    result = sync(project, "-v")
    assert "updated 'big-data/transfer' in deck 'Sync Test' (fields, cards retired)" in result.output
    assert ankigen_notes(path)[guid("big-data", "transfer")]["cards"] == [
        (0, "Sync Test", 0), (1, "Sync Test", 0), (2, "Sync Test", -1)]
    # Written again, it is a new deletion with a number never used (the lock's stable numbering, as `build`
    # gives it): a new card, while the retired one stays retired.
    edit_source(project, "on ImageNet.", "on {{ImageNet::a big dataset}}.")
    assert sync(project).exit_code == 0
    assert ankigen_notes(path)[guid("big-data", "transfer")]["cards"] == [
        (0, "Sync Test", 0), (1, "Sync Test", 0), (2, "Sync Test", -1), (3, "Sync Test", 0)]
    assert "{{c4::ImageNet::a big dataset}}" in ankigen_notes(path)[guid("big-data", "transfer")]["fields"][0]


def test_cards_moved_in_anki_stay_and_tags_follow_the_source(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:
        assert col.db is not None
        note_id = col.db.scalar("select id from notes where guid = ?", guid("experts"))
        mine = col.decks.id("Mine")
        assert mine is not None
        col.set_deck(col.card_ids_of_note(note_id), mine)
        note = col.get_note(note_id)
        note.tags.append("my-tag")
        col.update_note(note)
    finally:
        col.close()
    edit_source(project, "tags: [st]", "tags: [st2]")
    edit_source(project, "High-level frameworks make it approachable.", "Frameworks make it approachable.")
    assert sync(project).exit_code == 0
    note = ankigen_notes(path)[guid("experts")]
    assert note["cards"] == [(0, "Mine", 0)]
    assert sorted(note["tags"]) == ["my-tag", "myth-or-fact", "st2"]


def test_a_note_deleted_in_anki_is_not_added_back_unless_forced(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:
        assert col.db is not None
        col.remove_notes([col.db.scalar("select id from notes where guid = ?", guid("experts"))])
    finally:
        col.close()
    result = sync(project, "-v")
    assert "kept 'experts' in deck 'Sync Test' (deleted in Anki; not added back (sync --force adds it))" \
        in result.output
    assert guid("experts") not in ankigen_notes(path)
    assert "added 1" in sync(project, "--force").output
    assert guid("experts") in ankigen_notes(path)


def test_a_first_sync_adopts_notes_imported_from_the_apkg_and_flags_older_ones(project: Path) -> None:
    from tests.anki_collection import import_apkg

    built = CliRunner().invoke(cli, ["build", "-o", "out", "--format", "apkg"])
    assert built.exit_code == 0, built.output
    path = collection(project)
    col = _open(path)
    try:
        import_apkg(col, project / "out" / "sync-test.apkg")
    finally:
        col.close()
    edit_source(project, "Only experts can use deep learning.", "Only experts can use it.")  # newer than the import
    result = sync(project, "-v")
    assert result.exit_code == 0, result.output
    # the myth's text is on its own card, its fact's and its question's
    assert (f"added 0, updated 0, moved 0, retired 0, conflicting 3, unchanged {NOTES - 3}") in result.output
    assert ("cards/sync-test.yaml:22:5: conflicting 'experts' in deck 'Sync Test' (differs from the source and was "
            "not written by ankigen sync before") in result.stderr
    assert "updated 3" in sync(project, "--force").output
    assert f"unchanged {NOTES}" in sync(project).output


def test_text_anki_normalises_is_not_an_edit(project: Path) -> None:
    edit_source(project, "    fact: High-level frameworks make it approachable.\n",
                '    fact: "Frameworks make it approachable, even in a cafe\\u0301."\n')
    path = collection(project)
    assert sync(project).exit_code == 0
    stored = ankigen_notes(path)[guid("experts")]["fields"][1]
    assert "caf\u00e9" in stored  # Anki keeps text NFC-normalised
    state = file_state(path)
    assert f"unchanged {NOTES}" in sync(project).output
    assert file_state(path) == state
    shown = CliRunner().invoke(cli, ["diff", "--collection", str(path)])
    assert shown.exit_code == 0 and f"0 note(s) differ from the sources, {NOTES} the same" in shown.output


def test_changes_a_crashed_anki_left_in_its_log_are_kept(project: Path) -> None:
    """A write-ahead log left by a killed program is taken into the collection, never dropped or left behind."""
    path = collection(project)
    crash = ("import os, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('pragma journal_mode=wal')\n"
             "c.execute(\"update notes set flds = 'from the log' || char(31) || 'back' \"\n"
             "          \"where flds like 'user front%'\")\n"
             "c.commit()\nos.kill(os.getpid(), 9)\n")
    subprocess.run([sys.executable, "-c", crash, str(path)], check=False)
    assert Path(f"{path}-wal").stat().st_size > 0
    shown = CliRunner().invoke(cli, ["diff", "--collection", str(path)])
    assert shown.exit_code == 0, shown.output
    result = sync(project)
    assert result.exit_code == 0, result.output
    assert not Path(f"{path}-wal").exists() or not Path(f"{path}-wal").stat().st_size
    col = _open(path)
    try:
        assert col.db is not None
        assert col.db.scalar("select count() from notes where flds like 'from the log%'") == 2
    finally:
        col.close()


def test_a_source_error_stops_the_sync_before_the_collection_is_touched(project: Path) -> None:
    path = collection(project)
    edit_source(project, "  - id: experts\n    myth:", "  - id: experts\n    myht:")
    state = file_state(path)
    result = sync(project)
    assert result.exit_code == 1
    assert "cards/sync-test.yaml:23:5: error: unknown key 'myht'" in result.stderr
    assert result.stderr.splitlines()[-1] == "error: 1 error(s); nothing was written"
    assert file_state(path) == state


def test_cards_in_a_filtered_deck_move_home_to_the_new_deck(project: Path) -> None:
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:
        filtered = col.decks.new_filtered("Cram")
        deck = col.decks.get(filtered)
        assert deck is not None
        deck["terms"][0][0] = '"deck:Sync Test"'
        col.decks.save(deck)
        col.sched.rebuild_filtered_deck(filtered)
        assert col.db is not None and col.db.scalar("select count() from cards where odid != 0") == 16
    finally:
        col.close()
    edit_source(project, "deck: Sync Test\n", "deck: Sync Test 2\n")
    result = sync(project)
    assert f"moved {NOTES}" in result.output, result.output
    col = _open(path)
    try:
        assert col.db is not None
        rows = col.db.all("select distinct did, odid from cards c join notes n on n.id = c.nid "
                          "where n.mid in (?, ?, ?)", *OURS)
        assert rows == [[col.decks.id_for_name("Sync Test 2"), 0]]
    finally:
        col.close()


def test_a_myth_moved_to_another_file_keeps_its_note_and_its_cards_follow(project: Path) -> None:
    """The build's lock keeps a moved note's identity; sync writes what the build wrote and moves its cards."""
    experts = "  - id: experts\n    myth: Only experts can use deep learning.\n" \
              "    fact: High-level frameworks make it approachable.\n"
    other = project / "cards" / "other.yaml"
    other.write_text("deck: Other\nid: other\nmyths:\n  - id: o\n    myth: Other myth.\n    fact: Other fact.\n",
                     "utf-8")
    path = collection(project)
    assert sync(project).exit_code == 0
    col = _open(path)
    try:
        answer_all_cards(col, graduate=True)
        studied = card_scheduling(col)[(guid("experts"), 0)]
    finally:
        col.close()
    edit_source(project, experts, "")
    other.write_text(other.read_text("utf-8") + experts, "utf-8")
    result = sync(project, "-v")
    assert result.exit_code == 0, result.output
    # moved: the myth, its fact and its question (their old deck's tag 'st' goes); updated too: the two questions
    # that offered its fact; added: the other deck's first question, now that it has two myths
    assert "added 1, updated 5, moved 3, retired 0" in result.output
    assert "cards/other.yaml:7:5: moved 'experts' in deck 'Other' (from Sync Test)" in result.output
    note = ankigen_notes(path)[guid("experts")]  # the GUID it had: the same note, with its history
    assert note["cards"] == [(0, "Other", 2)]
    col = _open(path)
    try:
        assert card_scheduling(col)[(guid("experts"), 0)] == studied
    finally:
        col.close()
