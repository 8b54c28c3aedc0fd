"""Issue 12's everyday edits, against the real Anki backend: no card loses its answer or its reviews.

One collection studies every card, then each edit is rebuilt and imported with
Anki's default options: every card that existed still hides the same answer
and keeps its review history, nothing is duplicated, and the lock and outputs
are those of a build from the repository's root.
"""

from __future__ import annotations

import os
import re
import shutil
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
    open_collection,
)

ONE = """\
deck: Edits One
id: one
myths:
  - id: m1
    myth: Deep learning needs massive datasets.
    fact: Transfer learning makes small datasets workable.
    techniques:
      - id: t1
        name: Transfer learning
        text: Fine-tunes {{alpha}} with {{beta}} on {{gamma}} from {{ImagNet}}.
      - id: t2
        name: Data augmentation
        text: Creates {{modified copies}} of {{existing data}}.
  - id: m2
    myth: Deep learning needs GPUs.
    fact: Small models train on CPUs, only slower.
    limitations:
      - id: t3
        name: Computational cost
        text: Training can need {{significant resources}}.
"""

TWO = """\
deck: Edits Two
id: two
myths:
  - id: m3
    myth: Deep learning is a black box.
    fact: Interpretability methods explain many models.
    techniques:
      - id: t4
        name: Saliency maps
        text: Highlight the {{input pixels}} that drive a prediction.
  - id: m4
    myth: Deep learning solves any problem.
    fact: It needs data and a well-posed task.
"""

M3 = TWO[TWO.index("  - id: m3"):TWO.index("  - id: m4")]
T2 = ONE[ONE.index("      - id: t2"):ONE.index("  - id: m2")]


def _edits() -> list[tuple[str, dict[str, str]]]:
    """(what, the sources after it): each edit on top of the ones before."""
    one, two = ONE, TWO
    steps = []
    one = one.replace("Fine-tunes {{alpha}}", "Fine-tunes {{inserted}} {{alpha}}")
    steps.append(("insert a deletion before the others", {"one": one, "two": two}))
    one = one.replace("with {{beta}} on", "with beta on")
    steps.append(("delete a deletion", {"one": one, "two": two}))
    one = one.replace("{{alpha}} with beta on {{gamma}}", "{{gamma}} with beta on {{alpha}}")
    steps.append(("swap two deletions", {"one": one, "two": two}))
    one = one.replace("{{ImagNet}}", "{{ImageNet}}")
    steps.append(("fix a typo in an answer", {"one": one, "two": two}))
    one = one.replace(T2, "").replace("    limitations:\n", "    techniques:\n" + T2 + "    limitations:\n")
    steps.append(("move an item to another myth", {"one": one, "two": two}))
    one, two = one + M3, two.replace(M3, "")
    steps.append(("move a myth to another file (and deck)", {"one": one, "two": two}))
    steps.append(("build from another folder", {"one": one, "two": two}))
    return steps


def _answers(col: Collection) -> dict[tuple[str, int], str]:
    """(note GUID, card ord) -> the answer the card hides (the name for c1), as Anki stores the note."""
    hidden = {}
    for guid, note in notes_by_guid(col).items():
        text = note.fields.get("Text")
        if text is None:
            continue
        for number, answer in re.findall(r"\{\{c(\d+)::(.*?)(?:::[^}]*)?\}\}", text):
            hidden[(guid, int(number) - 1)] = answer
    return hidden


def _build(tree: Path, epoch: int, folder: str = ".") -> None:
    runner = CliRunner()
    here = os.getcwd()
    os.chdir(tree / folder)
    try:
        args = ["build"] if folder == "." else ["build", ".", "-o", os.path.relpath(tree / "decks", tree / folder)]
        result = runner.invoke(cli, args, env={"SOURCE_DATE_EPOCH": str(epoch)})
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output


def _write(tree: Path, sources: dict[str, str]) -> None:
    for name, text in sources.items():
        (tree / "cards" / f"{name}.yaml").write_text(text, "utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "cards").mkdir(parents=True)
    return tmp_path / "repo"


def test_everyday_edits_keep_every_cards_answer_and_reviews(tree: Path, tmp_path: Path) -> None:
    epoch = 1_800_000_000
    _write(tree, {"one": ONE, "two": TWO})
    _build(tree, epoch)
    col = open_collection(tmp_path)
    try:
        for name in ("one", "two"):
            import_apkg(col, tree / "decks" / f"{name}.apkg")
        assert answer_all_cards(col, graduate=True) == len(col.find_cards(""))
        answers, schedule = _answers(col), card_scheduling(col)
        assert all(entry.revlog == 1 for entry in schedule.values())
        for step, (what, sources) in enumerate(_edits(), 1):
            _write(tree, sources)
            folder = "cards" if what == "build from another folder" else "."
            _build(tree, epoch + step * 1000, folder)
            for name in ("one", "two"):
                import_apkg(col, tree / "decks" / f"{name}.apkg")
            now_answers, now_schedule = _answers(col), card_scheduling(col)
            corrected = {"ImagNet": "ImageNet"} if what == "fix a typo in an answer" else {}
            for card, answer in answers.items():
                if card in now_answers:  # a deleted deletion's card is left empty (README: Tools > Empty Cards)
                    assert now_answers[card] == corrected.get(answer, answer), (what, card)
                assert now_schedule[card].revlog == schedule[card].revlog, (what, card)
                assert now_schedule[card].card_id == schedule[card].card_id, (what, card)
            kept = [answer for card, answer in answers.items() if card in now_answers]
            assert sorted(now_answers.values()) == sorted(set(now_answers.values())), what  # nothing twice
            assert len(col.find_notes("")) == 16, what  # 4 myths, their facts and questions, 4 items: no copy
            # Nothing retired, but the question of a myth left alone in its deck (one myth asks no question).
            retired = [col.get_note(note_id).note_type() for note_id in col.find_notes("tag:ankigen::removed")]
            assert all(kind is not None and kind["name"] == "ankigen: Which Is NOT True" for kind in retired), what
            assert kept, what
            _same_as_a_build_from_the_root(tree, tmp_path / f"fresh-{step}", epoch + step * 1000)
            answer_all_cards(col, graduate=True)  # new cards get a history too
            answers, schedule = _answers(col), card_scheduling(col)
        assert "beta" not in answers.values()
        assert {"inserted", "ImageNet", "input pixels"} <= set(answers.values())
    finally:
        col.close()


def _same_as_a_build_from_the_root(tree: Path, copy: Path, epoch: int) -> None:
    """A copy of the tree as it was before this build, built from its root, writes the same bytes."""
    del epoch  # the copy's lock already holds every time: an unchanged build must keep it
    shutil.copytree(tree, copy)
    _build(copy, 1)
    for path in sorted((tree / "decks").iterdir()):
        assert (copy / "decks" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_removed_deletions_card_is_what_anki_calls_an_empty_card(tree: Path, tmp_path: Path) -> None:
    """README: a removed deletion's card stays, empty; Tools > Empty Cards lists it (and only it)."""
    _write(tree, {"one": ONE, "two": TWO})
    _build(tree, 1_800_000_000)
    col = open_collection(tmp_path)
    try:
        import_apkg(col, tree / "decks" / "one.apkg")
        _write(tree, {"one": ONE.replace("with {{beta}} on", "with beta on"), "two": TWO})
        _build(tree, 1_800_001_000)
        import_apkg(col, tree / "decks" / "one.apkg")
        empty = col.get_empty_cards()
        assert [len(note.card_ids) for note in empty.notes] == [1]
        card = col.get_card(empty.notes[0].card_ids[0])
        assert card.ord == 2 and "No cloze 3 found on card" in card.question().replace("\u2068", "").replace(
            "\u2069", "")
    finally:
        col.close()
