"""The edit -> rebuild -> re-import loop, against the real Anki backend, and byte-identical rebuilds."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import (
    Collection,
    answer_all_cards,
    card_scheduling,
    import_apkg,
    notes_by_guid,
    notetype_names,
)

VERSION_1 = """\
deck: Regeneration
id: regen
tags: [test]
myths:
  - id: data
    myth: Deep learning needs massive datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: transfer
        name: Transfer learning
        text: Fine-tunes a {{pre-trained}} model.
      - id: augmentation
        name: Data augmentation
        text: Creates {{modified copies}} of existing data.
  - id: hardware
    myth: Deep learning needs GPUs.
    fact: Small models train on CPUs, only slower.
    limitations:
      - id: cost
        name: Computational cost
        text: Training can need {{significant resources}}.
"""

# Edit a technique's text, add a limitation, remove a myth (and its item).
VERSION_2 = """\
deck: Regeneration
id: regen
tags: [test]
myths:
  - id: data
    myth: Deep learning needs massive datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: transfer
        name: Transfer learning
        text: Fine-tunes a {{pre-trained}} model on a {{smaller dataset}}.
      - id: augmentation
        name: Data augmentation
        text: Creates {{modified copies}} of existing data.
    limitations:
      - id: bias
        name: Data bias
        text: Models absorb {{biases}} in their training data.
"""


def _build(source: Path, out: Path, *extra: str, epoch: int) -> str:
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(out), *extra],
                                env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.exit_code == 0, result.output
    return result.output


def _guid_by_key(out: Path) -> dict[str, str]:
    import json

    lock = json.loads((out / "ankigen.lock").read_text("utf-8"))
    return {row[0]: guid for deck in lock["decks"].values() for guid, row in deck["notes"].items()}


def test_edit_rebuild_reimport_updates_in_place_and_keeps_reviews(tmp_path: Path, collection: Collection) -> None:
    source, out = tmp_path / "regen.yaml", tmp_path / "decks"
    source.write_text(VERSION_1, "utf-8")
    _build(source, out, "--format", "apkg", epoch=1_700_000_000)
    guids = _guid_by_key(out)
    first = import_apkg(collection, out / "regen.apkg")
    assert first.new == 9  # per myth: the myth, its fact and a "which is NOT true?"; 3 cloze notes
    answered = answer_all_cards(collection, graduate=True)
    assert answered == 12  # 6 myth-or-fact and choice cards + 3 cloze notes of 2 cards each (the name, one deletion)
    before = card_scheduling(collection)

    source.write_text(VERSION_2, "utf-8")
    output = _build(source, out, "--format", "apkg", epoch=1_700_000_100)
    # Removed: the hardware myth, its fact, its question and its item, and the data myth's question (a
    # one-myth deck has no other myth's true statements to offer).
    assert "added 1, changed 1, removed 5, unchanged 3" in output
    second = import_apkg(collection, out / "regen.apkg")

    # The edited note and the five removed ones (shipped once more, tagged) are updated; the rest untouched.
    assert (second.new, second.updated, second.duplicate, second.conflicting) == (1, 6, 3, 0)
    notes = notes_by_guid(collection)
    assert len(notes) == 10  # nothing duplicated: 9 old notes + 1 new limitation
    assert "smaller dataset" in notes[guids["data/transfer"]].fields["Text"]
    for removed in ("hardware", "hardware/cost"):
        assert "ankigen::removed" in notes[guids[removed]].tags
    assert "ankigen::removed" not in notes[guids["data/augmentation"]].tags

    after = card_scheduling(collection)
    for card, sched in before.items():
        assert after[card].reps == sched.reps == 1
        assert after[card].ivl == sched.ivl and after[card].due == sched.due
        assert after[card].revlog == sched.revlog
    ours = [name for name in notetype_names(collection) if name.startswith("ankigen")]
    assert sorted(ours) == ["ankigen: Cloze", "ankigen: Myth or Fact", "ankigen: Which Is NOT True"]


def test_unchanged_rebuild_writes_nothing_and_a_later_edit_gets_a_newer_time(tmp_path: Path) -> None:
    source, out = tmp_path / "regen.yaml", tmp_path / "decks"
    source.write_text(VERSION_1, "utf-8")
    _build(source, out, epoch=1_700_000_000)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    output = _build(source, out, epoch=1_800_000_000)
    assert "added 0, changed 0, removed 0, unchanged 9; unchanged" in output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    source.write_text(VERSION_1.replace("{{pre-trained}} model", "{{pre-trained}} network"), "utf-8")
    _build(source, out, epoch=1_600_000_000)  # a clock running behind must still move the note forward
    import json

    notes = json.loads((out / "ankigen.lock").read_text("utf-8"))["decks"]["regen"]["notes"]
    mods = {row[0]: row[3] for row in notes.values()}
    assert mods["data/transfer"] == 1_700_000_001
    assert mods["data/augmentation"] == 1_700_000_000


def test_check_names_stale_decks_and_passes_when_fresh(tmp_path: Path) -> None:
    source, out = tmp_path / "regen.yaml", tmp_path / "decks"
    source.write_text(VERSION_1, "utf-8")
    runner = CliRunner()
    missing = runner.invoke(cli, ["build", "--check", str(source), "-o", str(out)])
    assert missing.exit_code == 1 and "regen: stale" in missing.output
    _build(source, out, epoch=1_700_000_000)
    fresh = runner.invoke(cli, ["build", "--check", str(source), "-o", str(out)])
    assert fresh.exit_code == 0, fresh.output
    source.write_text(VERSION_2, "utf-8")
    stale = runner.invoke(cli, ["build", "--check", str(source), "-o", str(out)])
    assert stale.exit_code == 1
    assert "regen: stale" in stale.output and "out of date" in stale.output
    assert not any(p.name.startswith(".ankigen-tmp") for p in out.iterdir())


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_builds_are_byte_identical_whatever_hash_seed_and_file_order(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parent.parent / "cards" / "deep-learning-myths.yaml"
    results = []
    for run, (seed, order) in enumerate([("1", ["a", "b"]), ("2", ["b", "a"])]):
        work = tmp_path / f"run{run}"
        (work / "cards").mkdir(parents=True)
        for name in order:  # create the files in a different order each time
            if name == "a":
                shutil.copy(shipped, work / "cards" / "deep-learning-myths.yaml")
            else:
                (work / "cards" / "regen.yaml").write_text(VERSION_1, "utf-8")
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        subprocess.run([sys.executable, "-m", "ankigen", "build"], cwd=work, env=env, check=True,
                       capture_output=True)
        results.append(_digests(work / "decks"))
    assert results[0] == results[1]
    assert set(results[0]) == {"ankigen.lock", "deep-learning-myths.apkg", "deep-learning-myths.html",
                               "regen.apkg", "regen.html"}


def test_a_new_release_with_new_css_updates_the_notetype_without_copying_it(
        tmp_path: Path, collection: Collection, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import ankigen.apkg
    import ankigen.notetypes
    from ankigen.notetypes import choice_notetype, cloze_notetype, myth_notetype
    from ankigen.revision import NOTETYPES_REVISED

    source, out = tmp_path / "regen.yaml", tmp_path / "decks"
    source.write_text(VERSION_1, "utf-8")
    _build(source, out, "--format", "apkg", epoch=1_700_000_000)
    import_apkg(collection, out / "regen.apkg")

    # The next release restyles both notetypes and, as the policy says, moves their time forward.
    restyled = "/* next release */ .card { color: teal; }"
    monkeypatch.setattr(ankigen.apkg, "NOTETYPES_REVISED", NOTETYPES_REVISED + 86_400)
    for make in (myth_notetype, cloze_notetype, choice_notetype):
        restyle = dataclasses.replace(make(), css=restyled)
        monkeypatch.setattr(ankigen.notetypes, make.__name__, lambda lang="en", restyle=restyle: restyle)
    next_release = tmp_path / "next"
    _build(source, next_release, "--format", "apkg", epoch=1_700_000_000)
    import_apkg(collection, next_release / "regen.apkg")

    ours = [m for m in collection.models.all() if m["name"].startswith("ankigen")]
    assert sorted(m["name"] for m in ours) == ["ankigen: Cloze", "ankigen: Myth or Fact", "ankigen: Which Is NOT True"]
    assert all(m["css"] == restyled for m in ours)
    assert len(notes_by_guid(collection)) == 9


def test_a_lock_from_ankigen_0_1_keeps_every_notes_time(tmp_path: Path) -> None:
    """Upgrading ankigen must not reset note times: Anki would then ignore the next real edit."""
    import json

    source, out = tmp_path / "regen.yaml", tmp_path / "decks"
    source.write_text(VERSION_1, "utf-8")
    _build(source, out, epoch=1_700_000_000)
    lock = json.loads((out / "ankigen.lock").read_text("utf-8"))
    before = lock["decks"]["regen"]["notes"]
    lock["version"] = 1  # as ankigen 0.1 wrote it: no summary
    del lock["decks"]["regen"]["summary"]
    (out / "ankigen.lock").write_text(json.dumps(lock, indent=1), "utf-8")

    output = _build(source, out, epoch=1_800_000_000)
    assert "added 0, changed 0, removed 0, unchanged 9" in output
    after = json.loads((out / "ankigen.lock").read_text("utf-8"))
    assert after["version"] == 3 and after["decks"]["regen"]["notes"] == before
    assert after["decks"]["regen"]["summary"] == {"name": "Regeneration", "myth_notes": 6, "cloze_notes": 3,
                                                  "myth_cards": 6, "cloze_cards": 6}
