"""Self-test of tests/anki_collection.py against the real Anki backend.

Besides checking the helpers, these tests pin down how Anki's .apkg importer
behaves with its default options, because ankigen's design relies on it:

* same GUID + same note mtime -> "duplicate", the note is NOT updated even if
  its text changed (so every rebuild that changes content must bump mtime);
* same GUID + newer mtime -> "updated" in place: same note id, same cards,
  scheduling and review history preserved;
* same notetype id with a different schema (extra or renamed field) -> Anki
  keeps the old notetype, imports a "<name>+" copy, and existing notes are
  "conflicting" (not updated);
* notetype templates/CSS are updated only when the notetype mtime is newer.

genanki stamps both notes and notetypes with ``int(timestamp)`` passed to
``Package.write_to_file``, which is how the mtimes are controlled here.

Imports use ``from tests.anki_collection import ...``. ``tests/__init__.py``
(empty) makes ``tests`` a package, so pytest's default "prepend" import mode
puts the project root on ``sys.path``; without it only ``python -m pytest``
from the root (which adds the cwd) would work, bare ``pytest`` would not.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import genanki
import pytest
from anki.collection import Collection
from anki.models import NotetypeId

from tests.anki_collection import (
    DEFAULT_IMPORT_OPTIONS,
    ImportSummary,
    answer_all_cards,
    card_scheduling,
    default_import_options,
    import_apkg,
    notes_by_guid,
    notetype_names,
    notetype_note_counts,
    rendered_cards,
    used_notetype_names,
)

BASIC_ID = 1_607_392_319
CLOZE_ID = 1_607_392_320
DECK_ID = 2_059_400_110
DECK_NAME = "ankigen selftest"
T0 = 1_700_000_000  # note/notetype mtime of the first build
BASIC_CSS = ".card { font-family: arial; }"


def basic_model(
    fields: Sequence[str] = ("Front", "Back"),
    qfmt: str = "{{Front}}",
    css: str = BASIC_CSS,
) -> genanki.Model:
    """Front/back notetype with a fixed id (as ankigen will emit)."""
    return genanki.Model(
        BASIC_ID,
        "ankigen Basic",
        fields=[{"name": name} for name in fields],
        templates=[
            {
                "name": "Card 1",
                "qfmt": qfmt,
                "afmt": "{{FrontSide}}<hr id=answer>{{" + fields[1] + "}}",
            }
        ],
        css=css,
    )


def cloze_model() -> genanki.Model:
    """Cloze notetype with a fixed id."""
    return genanki.Model(
        CLOZE_ID,
        "ankigen Cloze",
        fields=[{"name": "Text"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Cloze",
                "qfmt": "{{cloze:Text}}",
                "afmt": "{{cloze:Text}}<br>{{Extra}}",
            }
        ],
        model_type=genanki.Model.CLOZE,
    )


def write_deck(
    path: Path,
    *,
    timestamp: int = T0,
    front1: str = "What is <b>2+2</b>?",
    basic: genanki.Model | None = None,
    extra_basic: Sequence[tuple[str, str, str]] = (),
) -> Path:
    """Write the tiny test deck: 2 basic notes + 2 cloze notes (5 cards).

    ``extra_basic`` adds basic notes as (guid, front, back).
    """
    model = basic or basic_model()
    padding = [""] * (len(model.fields) - 2)
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    deck.add_note(
        genanki.Note(
            model=model, fields=[front1, "4", *padding], guid="basic-1", tags=["math"]
        )
    )
    deck.add_note(
        genanki.Note(
            model=model,
            fields=["Capital of France?", "Paris", *padding],
            guid="basic-2",
        )
    )
    for guid, front, back in extra_basic:
        deck.add_note(
            genanki.Note(model=model, fields=[front, back, *padding], guid=guid)
        )
    cloze = cloze_model()
    deck.add_note(
        genanki.Note(
            model=cloze,
            fields=["{{c1::Canberra}} is the capital of {{c2::Australia}}", "geo"],
            guid="cloze-1",
        )
    )
    deck.add_note(
        genanki.Note(model=cloze, fields=["H{{c1::2}}O is water", ""], guid="cloze-2")
    )
    genanki.Package(deck).write_to_file(str(path), timestamp=timestamp)
    return path


@pytest.fixture
def col(collection: Collection) -> Collection:
    """The fresh collection from tests/conftest.py, under the short name these tests use."""
    return collection


def counts(summary: ImportSummary, **expected: int) -> dict[str, int]:
    """Expected full count dict: zeros except ``expected``."""
    base = {key: 0 for key in summary.counts()}
    return base | expected


# --------------------------------------------------------------------------
# Helpers themselves
# --------------------------------------------------------------------------


def test_default_options_equal_fresh_collection_presets(col: Collection) -> None:
    assert default_import_options(col) == DEFAULT_IMPORT_OPTIONS
    # Proto defaults == Anki's defaults: nothing set explicitly.
    assert DEFAULT_IMPORT_OPTIONS.SerializeToString() == b""


def test_import_options_are_sticky(col: Collection, tmp_path: Path) -> None:
    """Why import_apkg passes explicit defaults: imports persist their options."""
    custom = type(DEFAULT_IMPORT_OPTIONS)(with_scheduling=True, merge_notetypes=True)
    import_apkg(col, write_deck(tmp_path / "deck.apkg"), options=custom)
    assert default_import_options(col) == custom


def test_fresh_collection_is_empty(col: Collection) -> None:
    assert notes_by_guid(col) == {}
    assert rendered_cards(col) == []
    assert used_notetype_names(col) == []
    assert "Basic" in notetype_names(col)  # stock notetypes always exist


def test_import_counts_notes_and_cards(col: Collection, tmp_path: Path) -> None:
    summary = import_apkg(col, write_deck(tmp_path / "deck.apkg"))
    assert summary.counts() == counts(summary, found=4, new=4)

    notes = notes_by_guid(col)
    assert set(notes) == {"basic-1", "basic-2", "cloze-1", "cloze-2"}
    basic1 = notes["basic-1"]
    assert basic1.notetype_name == "ankigen Basic"
    assert basic1.notetype_id == BASIC_ID  # fixed ids survive import
    assert dict(basic1.fields) == {"Front": "What is <b>2+2</b>?", "Back": "4"}
    assert basic1.tags == ("math",)
    assert basic1.mod == T0  # genanki note mtime == write_to_file timestamp
    assert notes["cloze-1"].notetype_id == CLOZE_ID

    assert used_notetype_names(col) == ["ankigen Basic", "ankigen Cloze"]
    assert notetype_note_counts(col)["ankigen Cloze"] == 2
    assert notetype_note_counts(col)["Basic"] == 0


def test_rendered_cards(col: Collection, tmp_path: Path) -> None:
    import_apkg(col, write_deck(tmp_path / "deck.apkg"))
    cards = rendered_cards(col)
    assert [(c.note_guid, c.ord) for c in cards] == [
        ("basic-1", 0),
        ("basic-2", 0),
        ("cloze-1", 0),
        ("cloze-1", 1),
        ("cloze-2", 0),
    ]
    assert {c.deck_name for c in cards} == {DECK_NAME}

    basic = cards[0]
    assert basic.notetype_name == "ankigen Basic"
    assert basic.template_name == "Card 1"
    assert basic.question_html == f"<style>{BASIC_CSS}</style>What is <b>2+2</b>?"
    assert basic.question_text == "What is 2+2?"  # css + tags gone
    assert basic.answer_text == "What is 2+2? 4"  # <hr id=answer> -> space

    c1, c2 = cards[2], cards[3]
    assert c1.question_text == "[...] is the capital of Australia"
    assert c2.question_text == "Canberra is the capital of [...]"
    assert c1.answer_text == "Canberra is the capital of Australia geo"
    assert 'class="cloze"' in c1.question_html


def test_answer_all_cards_creates_revlog(col: Collection, tmp_path: Path) -> None:
    import_apkg(col, write_deck(tmp_path / "deck.apkg"))
    before = card_scheduling(col)
    assert all(s.type == 0 and s.queue == 0 and s.revlog == 0 for s in before.values())

    assert answer_all_cards(col) == 5
    after = card_scheduling(col)
    assert set(after) == set(before)
    for sched in after.values():
        # "Good" on a new card with default steps (1m 10m) -> learning step 2
        assert (sched.type, sched.queue, sched.reps, sched.revlog) == (1, 1, 1, 1)
        assert sched.ivl == 0
    assert col.db is not None
    assert col.db.scalar("select count() from revlog") == 5


def test_answer_all_cards_graduate(col: Collection, tmp_path: Path) -> None:
    import_apkg(col, write_deck(tmp_path / "deck.apkg"))
    assert answer_all_cards(col, graduate=True) == 5
    for sched in card_scheduling(col).values():
        assert (sched.type, sched.queue, sched.ivl, sched.revlog) == (2, 2, 1, 1)


def test_answer_all_cards_beyond_daily_new_limit(
    col: Collection, tmp_path: Path
) -> None:
    extra = [(f"bulk-{i}", f"Bulk question {i}", str(i)) for i in range(40)]
    summary = import_apkg(col, write_deck(tmp_path / "deck.apkg", extra_basic=extra))
    assert summary.new == 44
    # Default preset allows only 20 new cards/day; the helper lifts that.
    assert answer_all_cards(col) == 45
    assert all(s.revlog == 1 for s in card_scheduling(col).values())


# --------------------------------------------------------------------------
# Importer behaviour with default options (design facts)
# --------------------------------------------------------------------------


def test_reimport_identical_package_is_all_duplicates(
    col: Collection, tmp_path: Path
) -> None:
    path = write_deck(tmp_path / "deck.apkg")
    import_apkg(col, path)
    summary = import_apkg(col, path)
    assert summary.counts() == counts(summary, found=4, duplicate=4)


@pytest.mark.parametrize("timestamp", [T0, T0 - 100], ids=["same-mtime", "older-mtime"])
def test_changed_text_without_newer_mtime_is_not_updated(
    col: Collection, tmp_path: Path, timestamp: int
) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    summary = import_apkg(
        col, write_deck(tmp_path / "v2.apkg", timestamp=timestamp, front1="CHANGED")
    )
    assert summary.counts() == counts(summary, found=4, duplicate=4)
    note = notes_by_guid(col)["basic-1"]
    assert note.fields["Front"] == "What is <b>2+2</b>?"
    assert note.mod == T0


def test_newer_mtime_updates_in_place_and_keeps_scheduling(
    col: Collection, tmp_path: Path
) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    answer_all_cards(col, graduate=True)
    notes_before = notes_by_guid(col)
    sched_before = card_scheduling(col)

    summary = import_apkg(
        col, write_deck(tmp_path / "v2.apkg", timestamp=T0 + 60, front1="What is 3+3?")
    )
    # Every note with a newer mtime counts as updated, changed or not.
    assert summary.counts() == counts(summary, found=4, updated=4)

    notes_after = notes_by_guid(col)
    assert notes_after["basic-1"].fields["Front"] == "What is 3+3?"
    assert notes_after["basic-1"].mod == T0 + 60  # incoming mtime is kept
    assert {g: n.id for g, n in notes_after.items()} == {
        g: n.id for g, n in notes_before.items()
    }
    # Same cards, same intervals, same review history.
    assert card_scheduling(col) == sched_before
    assert all(s.revlog == 1 and s.ivl == 1 for s in sched_before.values())
    assert rendered_cards(col)[0].question_text == "What is 3+3?"


def test_notetype_with_extra_field_is_imported_as_copy(
    col: Collection, tmp_path: Path
) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    widened = basic_model(fields=("Front", "Back", "Notes"))
    path = write_deck(
        tmp_path / "v2.apkg",
        timestamp=T0 + 60,
        front1="CHANGED",
        basic=widened,
        extra_basic=[("basic-3", "New question", "New answer")],
    )
    summary = import_apkg(col, path)
    # Existing basic notes conflict (untouched), the new GUID goes into the
    # copy, cloze notes (unchanged notetype, newer mtime) are updated.
    assert summary.counts() == counts(summary, found=5, conflicting=2, new=1, updated=2)

    notes = notes_by_guid(col)
    assert notes["basic-1"].notetype_id == BASIC_ID
    assert notes["basic-1"].fields == {"Front": "What is <b>2+2</b>?", "Back": "4"}
    copy = notes["basic-3"]
    assert copy.notetype_name == "ankigen Basic+"
    assert copy.notetype_id != BASIC_ID
    assert list(copy.fields) == ["Front", "Back", "Notes"]
    original = col.models.get(NotetypeId(BASIC_ID))
    assert original is not None
    assert [f["name"] for f in original["flds"]] == ["Front", "Back"]  # untouched
    assert used_notetype_names(col) == [
        "ankigen Basic",
        "ankigen Basic+",
        "ankigen Cloze",
    ]

    # Importing the same schema again reuses the copy instead of adding another.
    again = import_apkg(col, path)
    assert again.counts() == counts(again, found=5, conflicting=2, duplicate=3)
    assert "ankigen Basic++" not in notetype_names(col)


def test_renamed_field_is_a_schema_change(col: Collection, tmp_path: Path) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    renamed = basic_model(fields=("Question", "Back"), qfmt="{{Question}}")
    summary = import_apkg(
        col, write_deck(tmp_path / "v2.apkg", timestamp=T0 + 60, basic=renamed)
    )
    assert summary.conflicting == 2
    assert "ankigen Basic+" in notetype_names(col)


@pytest.mark.parametrize(
    ("timestamp", "updated"),
    [(T0, False), (T0 + 60, True)],
    ids=["same-mtime", "newer-mtime"],
)
def test_template_and_css_change_needs_newer_notetype_mtime(
    col: Collection, tmp_path: Path, timestamp: int, updated: bool
) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    restyled = basic_model(qfmt="Q: {{Front}}", css=".card { color: red; }")
    summary = import_apkg(
        col, write_deck(tmp_path / "v2.apkg", timestamp=timestamp, basic=restyled)
    )
    assert summary.conflicting == 0  # same schema: no copy
    assert notetype_names(col).count("ankigen Basic+") == 0
    question = rendered_cards(col)[0].question_html
    if updated:
        assert question == "<style>.card { color: red; }</style>Q: What is <b>2+2</b>?"
    else:
        assert question == f"<style>{BASIC_CSS}</style>What is <b>2+2</b>?"


def test_apkg_import_does_no_first_field_duplicate_check(
    col: Collection, tmp_path: Path
) -> None:
    import_apkg(col, write_deck(tmp_path / "v1.apkg"))
    summary = import_apkg(
        col,
        write_deck(
            tmp_path / "v2.apkg",
            extra_basic=[("other-guid", "Capital of France?", "Paris")],
        ),
    )
    assert summary.counts() == counts(summary, found=5, new=1, duplicate=4)
    fronts = [n.fields.get("Front") for n in notes_by_guid(col).values()]
    assert fronts.count("Capital of France?") == 2
