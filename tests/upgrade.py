"""Upgrade checks: a learner who studied an earlier package imports a newer one with Anki's defaults.

Identity is a promise (README, "Notetype policy"): a user who studied the
0.2.0 deck and imports a new build must keep every review, get the new cards
as new, and see no "+" copy of a notetype and no conflict. This module does
what that user does, in the real ``anki`` backend, and compares the result
with what a brand-new user gets from the new package alone:

    result = study_then_upgrade(tmp_path, OLD_PACKAGE, new_package)
    assert_nothing_lost(result)
    assert result.used_notetypes == [...]          # the notetypes you designed

``study_then_upgrade`` imports the old package into a fresh collection,
answers every card once with "Good" (so each has a review, an interval and a
revlog entry), records notes, scheduling and the revlog, imports the new
package with :data:`tests.anki_collection.DEFAULT_IMPORT_OPTIONS`, and records
them again; it also imports the new package alone into a second collection
(the "fresh install"). ``assert_nothing_lost`` checks, with a message naming
the first note or card at fault:

* the import reported no conflict;
* every old note is still there, same note id and notetype id, and every old
  card has the same scheduling (interval, due, type, queue, reps, lapses) and
  the very same revlog rows;
* every card the old package did not have is new;
* the upgraded collection holds exactly the notes and cards of the fresh
  install, with the same fields, tags, notetype names and rendered question
  and answer HTML (so the new templates and CSS were applied in place), and
  nothing else;
* no notetype name contains "+" (Anki's mark for a copy made on conflict).

Issues 11, 12 and 14 reuse it; the shipped 0.2.0 package is committed as
``RELEASE_0_2_0`` (``git show c40b157:decks/deep-learning-myths.apkg``).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from anki.collection import Collection

from tests.anki_collection import (
    CardView,
    ImportSummary,
    NoteView,
    Sched,
    answer_all_cards,
    card_scheduling,
    import_apkg,
    notes_by_guid,
    notetype_names,
    open_collection,
    rendered_cards,
    used_notetype_names,
)

FIXTURES = Path(__file__).parent / "fixtures"
#: decks/deep-learning-myths.apkg as released in 0.2.0 (commit c40b157).
RELEASE_0_2_0 = FIXTURES / "release-0.2.0" / "deep-learning-myths.apkg"
#: decks/deep-learning-myths.apkg as released in 0.3.0 (commit df6f0da): the previous release from now on.
RELEASE_0_3_0 = FIXTURES / "release-0.3.0" / "deep-learning-myths.apkg"

# (note GUID, card ord): what identifies a card across imports.
CardKey = tuple[str, int]
RevlogRow = tuple[object, ...]


@dataclass(frozen=True)
class Snapshot:
    """What a collection holds that an upgrade must not lose."""

    notes: dict[str, NoteView]
    scheduling: dict[CardKey, Sched]
    revlog: dict[CardKey, tuple[RevlogRow, ...]]  # every review of the card, oldest first
    cards: dict[CardKey, CardView]
    notetypes: list[str]  # every notetype name, stock ones included
    used_notetypes: list[str]  # the names of the notetypes that notes use


@dataclass(frozen=True)
class UpgradeResult:
    studied: Snapshot  # after importing the old package and answering every card
    upgraded: Snapshot  # after importing the new package on top
    fresh: Snapshot  # the new package imported alone into an empty collection
    summary: ImportSummary  # what Anki reported for the upgrade import
    answered: int  # cards studied before the upgrade

    @property
    def used_notetypes(self) -> list[str]:
        return self.upgraded.used_notetypes

    @property
    def new_cards(self) -> set[CardKey]:
        return set(self.upgraded.scheduling) - set(self.studied.scheduling)


def snapshot(col: Collection) -> Snapshot:
    """Notes, scheduling, revlog, rendered cards and notetypes of ``col``."""
    assert col.db is not None, "collection is closed"
    rows = col.db.all(
        "select n.guid, c.ord, r.id, r.ease, r.ivl, r.lastIvl, r.factor, r.type "
        "from revlog r join cards c on c.id = r.cid join notes n on n.id = c.nid order by r.id")
    revlog: dict[CardKey, list[RevlogRow]] = {}
    for guid, ord_, *row in rows:
        revlog.setdefault((str(guid), int(ord_)), []).append(tuple(row))
    return Snapshot(
        notes=notes_by_guid(col),
        scheduling=card_scheduling(col),
        revlog={key: tuple(entries) for key, entries in revlog.items()},
        cards={(view.note_guid, view.ord): view for view in rendered_cards(col)},
        notetypes=notetype_names(col),
        used_notetypes=used_notetype_names(col),
    )


def study_then_upgrade(tmp_path: str | PathLike[str], old_package: str | PathLike[str],
                       new_package: str | PathLike[str]) -> UpgradeResult:
    """Import ``old_package``, answer every card, import ``new_package`` with Anki's default options."""
    col = open_collection(tmp_path)
    try:
        import_apkg(col, old_package)
        answered = answer_all_cards(col, graduate=True)
        studied = snapshot(col)
        summary = import_apkg(col, new_package)
        upgraded = snapshot(col)
    finally:
        col.close()
    fresh_col = open_collection(tmp_path)
    try:
        import_apkg(fresh_col, new_package)
        fresh = snapshot(fresh_col)
    finally:
        fresh_col.close()
    return UpgradeResult(studied, upgraded, fresh, summary, answered)


def assert_nothing_lost(result: UpgradeResult) -> None:
    """Everything studied is kept, everything new is new, and nothing is copied or in conflict."""
    studied, upgraded, fresh = result.studied, result.upgraded, result.fresh
    assert result.answered == len(studied.scheduling) > 0, "the old package's cards were not all studied"
    assert result.summary.conflicting == 0, f"the import reported conflicts: {result.summary.counts()}"
    copies = [name for name in upgraded.notetypes if "+" in name]
    assert not copies, f"Anki made copies of notetypes (their schema changed): {copies}"

    for guid, before in studied.notes.items():
        after = upgraded.notes.get(guid)
        assert after is not None, f"note {guid} ({before.notetype_name}) is gone"
        assert (after.id, after.notetype_id) == (before.id, before.notetype_id), \
            f"note {guid} moved to another note id or notetype"
    for key, before_sched in studied.scheduling.items():
        assert upgraded.scheduling.get(key) == before_sched, f"card {key} lost its scheduling"
        assert before_sched.revlog > 0, f"card {key} was never studied"
        assert upgraded.revlog.get(key) == studied.revlog.get(key), f"card {key} lost its review history"
    for key in result.new_cards:
        sched = upgraded.scheduling[key]
        assert (sched.type, sched.queue, sched.reps, sched.revlog) == (0, 0, 0, 0), f"card {key} is not new"

    # The upgraded user sees what a new user sees, history apart.
    assert sorted(upgraded.notes) == sorted(fresh.notes), "the upgraded notes are not those of the new package"
    for guid, note in fresh.notes.items():
        mine = upgraded.notes[guid]
        assert (mine.notetype_name, dict(mine.fields), mine.tags) == \
            (note.notetype_name, dict(note.fields), note.tags), f"note {guid} was not updated to the new package"
    assert sorted(upgraded.cards) == sorted(fresh.cards), "the upgraded cards are not those of the new package"
    for key, card in fresh.cards.items():
        mine = upgraded.cards[key]
        assert (mine.question_html, mine.answer_html, mine.template_name, mine.deck_name) == \
            (card.question_html, card.answer_html, card.template_name, card.deck_name), \
            f"card {key} does not show what the new package shows (old template or CSS kept?)"
    assert upgraded.used_notetypes == fresh.used_notetypes
