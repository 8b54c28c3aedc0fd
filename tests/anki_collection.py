"""Test helpers that check decks against the *real* Anki backend.

Why this module exists
----------------------
genanki writes .apkg files without ever asking Anki whether it likes them. The
only trustworthy check of a deck is to do what a user does: import it into an
Anki collection, look at what the importer reported, render the cards, and
study them. The ``anki`` package from PyPI ships Anki's Rust backend
(``anki._rsbridge``), so everything below runs the same code as Anki desktop,
headless, with no Qt, no network, no sync and no media server.

Only ``Collection``-level APIs are used, with two exceptions: the
``RustBackend`` passed to ``Collection`` (to pin the language), and the
``GetImportAnkiPackagePresets`` RPC, which ``Collection`` does not wrap and is
reached via ``col._backend`` (``col.backend`` logs a warning on every access).

Facts established by reading ``anki`` 26.9.3 and by experiment (see
``tests/test_anki_collection.py``, which asserts them):

* Default .apkg import options (:data:`DEFAULT_IMPORT_OPTIONS`). Anki desktop's
  import page (``ts/routes/import-page/.../+page.ts``) loads its initial
  options from the backend RPC ``GetImportAnkiPackagePresets``
  (``rslib/src/import_export/service.rs``), which reads five collection config
  keys: ``BoolKey::MergeNotetypes``, ``BoolKey::WithScheduling``,
  ``BoolKey::WithDeckConfigs`` (all default ``false``) and
  ``ConfigKey::UpdateNotes`` / ``ConfigKey::UpdateNotetypes``
  (``UpdateCondition::default()`` == ``IfNewer`` == proto enum value 0).
  On a fresh collection the RPC returns an all-default protobuf message, i.e.
  ``merge_notetypes=False, update_notes=IF_NEWER, update_notetypes=IF_NEWER,
  with_scheduling=False, with_deck_configs=False``. Note: every import
  *persists* the options it was given into those config keys
  (``Collection::import_apkg`` in ``rslib/.../apkg/import/mod.rs``), so the
  presets are sticky per collection; we therefore pass the defaults explicitly
  rather than reading the presets.
* Notes are matched by GUID only. An existing note is updated iff its notetype
  id is unchanged and ``existing.mtime < incoming.mtime`` (``should_update`` with
  ``IfNewer`` in ``rslib/.../apkg/import/notes.rs``); otherwise it is logged as
  ``duplicate`` (not changed). The incoming mtime is preserved on update.
  genanki sets every note's mtime to ``int(timestamp)`` of ``write_to_file``.
* A notetype with the same id but a different schema (field/template count or
  names) is *not* modified: it is added as a copy with a fresh id and a name
  suffixed ``+``; incoming notes whose GUID already exists are then logged as
  ``conflicting`` (left untouched), new GUIDs go into the copy.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

# anki.collection must be imported before anki.cards: importing anki.cards
# first fails with a circular-import error inside the anki package.
import anki.collection  # noqa: F401  (isort keeps plain imports first)
from anki._backend import RustBackend
from anki.cards import Card, CardId
from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportLogWithChanges,
)
from anki.decks import DeckId
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
from anki.notes import NoteId
from anki.scheduler.v3 import Scheduler as V3Scheduler
from anki.scheduler_pb2 import CardAnswer

__all__ = [
    "DEFAULT_IMPORT_OPTIONS",
    "MAX_PER_DAY",
    "CardView",
    "ImportSummary",
    "NoteView",
    "Sched",
    "answer_all_cards",
    "card_scheduling",
    "default_import_options",
    "html_to_text",
    "import_apkg",
    "notes_by_guid",
    "notetype_names",
    "notetype_note_counts",
    "open_collection",
    "rendered_cards",
    "used_notetype_names",
]

# --------------------------------------------------------------------------
# Collection
# --------------------------------------------------------------------------


def open_collection(tmp_path: str | PathLike[str]) -> Collection:
    """Create and open a brand-new, empty collection below ``tmp_path``.

    A fresh sub-directory is created on every call, so several collections can
    live in the same pytest ``tmp_path`` without sharing files (a collection is
    ``collection.anki2`` plus ``collection.media/`` next to it).

    The backend is created with ``langs=["en"]`` so stock names ("Basic",
    "Cloze", "Default") do not depend on the process-global
    ``anki.lang.current_lang``. Nothing is printed: Rust logging stays off
    unless ``Collection.initialize_backend_logging()`` is called, and no sync or
    media server is ever started by a plain ``Collection``.

    The caller owns the collection and must call ``col.close()``.
    """
    directory = Path(tempfile.mkdtemp(prefix="anki-col-", dir=Path(tmp_path)))
    return Collection(
        str(directory / "collection.anki2"), backend=RustBackend(langs=["en"])
    )


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------

#: The options Anki desktop pre-selects on its import page for a collection
#: whose import options were never changed. Equal to the proto defaults and to
#: ``GetImportAnkiPackagePresets`` on a fresh collection (asserted in the
#: self-test). Spelled out field by field for readability.
DEFAULT_IMPORT_OPTIONS = ImportAnkiPackageOptions(
    merge_notetypes=False,
    update_notes=IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
    update_notetypes=IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
    with_scheduling=False,
    with_deck_configs=False,
)


def default_import_options(col: Collection) -> ImportAnkiPackageOptions:
    """Return the import options Anki desktop would pre-select for ``col``.

    This is what the desktop import page shows initially: the backend reads
    them from the collection config, which every import overwrites with the
    options it used. On a fresh collection this equals
    :data:`DEFAULT_IMPORT_OPTIONS`.
    """
    return col._backend.get_import_anki_package_presets()


@dataclass(frozen=True)
class ImportSummary:
    """Counts from the backend's ``ImportResponse.Log`` for one import.

    Meaning of each bucket for .apkg imports (verified in the self-test):

    * ``found``: notes contained in the package.
    * ``new``: GUID not in the collection -> note (and its cards) added.
    * ``updated``: GUID exists, same notetype, incoming note mtime newer
      (with the default ``IF_NEWER``) -> fields/tags overwritten in place;
      cards, scheduling and review history are kept.
    * ``duplicate``: GUID exists, same notetype, incoming mtime not newer ->
      nothing changed.
    * ``conflicting``: GUID exists but the incoming note's notetype differs
      from the existing note's (typically because the incoming notetype had a
      different schema and was imported as a copy) -> nothing changed.
    * ``first_field_match``, ``missing_notetype``, ``missing_deck``,
      ``empty_first_field``: only filled by the CSV/text importer; always 0
      for .apkg (the apkg importer does no first-field duplicate check).

    There is no "ignored" bucket; ``found - (new + updated + duplicate +
    conflicting)`` is 0 for .apkg imports. ``log`` keeps the raw protobuf
    (each entry has the note id and its fields) for ad-hoc assertions.
    """

    found: int
    new: int
    updated: int
    duplicate: int
    conflicting: int
    first_field_match: int
    missing_notetype: int
    missing_deck: int
    empty_first_field: int
    log: ImportLogWithChanges.Log = field(repr=False, compare=False)

    @classmethod
    def from_log(cls, log: ImportLogWithChanges.Log) -> ImportSummary:
        """Build a summary from a backend ``ImportResponse.Log``."""
        return cls(
            found=log.found_notes,
            new=len(log.new),
            updated=len(log.updated),
            duplicate=len(log.duplicate),
            conflicting=len(log.conflicting),
            first_field_match=len(log.first_field_match),
            missing_notetype=len(log.missing_notetype),
            missing_deck=len(log.missing_deck),
            empty_first_field=len(log.empty_first_field),
            log=log,
        )

    def counts(self) -> dict[str, int]:
        """All counts as a dict, handy for one-line equality assertions."""
        return {
            "found": self.found,
            "new": self.new,
            "updated": self.updated,
            "duplicate": self.duplicate,
            "conflicting": self.conflicting,
            "first_field_match": self.first_field_match,
            "missing_notetype": self.missing_notetype,
            "missing_deck": self.missing_deck,
            "empty_first_field": self.empty_first_field,
        }


def import_apkg(
    col: Collection,
    path: str | PathLike[str],
    options: ImportAnkiPackageOptions | None = None,
) -> ImportSummary:
    """Import an .apkg exactly like Anki desktop's importer with its defaults.

    Uses the same backend entry point as the desktop import page
    (``ImportExportService.ImportAnkiPackage``). ``options`` defaults to
    :data:`DEFAULT_IMPORT_OPTIONS` (not the collection's sticky presets) so
    every import in a test behaves the same regardless of earlier imports.
    Raises ``anki.errors`` exceptions if the package is unreadable.
    """
    request = ImportAnkiPackageRequest(
        package_path=str(Path(path).resolve()),
        options=options if options is not None else DEFAULT_IMPORT_OPTIONS,
    )
    response = col.import_anki_package(request)
    return ImportSummary.from_log(response.log)


# --------------------------------------------------------------------------
# Notes and notetypes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    """Immutable snapshot of one note, keyed by what ankigen controls (GUID).

    ``fields`` keeps the notetype's field order. ``mod`` is the note's
    modification time in seconds, which the importer compares to decide
    whether to update (see module docstring).
    """

    id: int
    guid: str
    notetype_name: str
    notetype_id: int
    fields: Mapping[str, str]
    tags: tuple[str, ...]
    mod: int


def notes_by_guid(col: Collection) -> dict[str, NoteView]:
    """Every note in ``col`` as a :class:`NoteView`, keyed by GUID."""
    result: dict[str, NoteView] = {}
    for nid in col.find_notes(""):
        note = col.get_note(NoteId(nid))
        notetype = note.note_type()
        assert notetype is not None
        result[note.guid] = NoteView(
            id=int(note.id),
            guid=note.guid,
            notetype_name=notetype["name"],
            notetype_id=int(note.mid),
            fields=dict(note.items()),
            tags=tuple(note.tags),
            mod=int(note.mod),
        )
    return result


def notetype_names(col: Collection) -> list[str]:
    """Names of all notetypes (stock ones included), sorted as Anki sorts them."""
    return [entry.name for entry in col.models.all_names_and_ids()]


def notetype_note_counts(col: Collection) -> dict[str, int]:
    """Number of notes using each notetype, by notetype name (0 if unused)."""
    return {entry.name: entry.use_count for entry in col.models.all_use_counts()}


def used_notetype_names(col: Collection) -> list[str]:
    """Names of the notetypes that have at least one note.

    Useful to ignore Anki's stock notetypes ("Basic", "Cloze", ...), which
    every new collection contains, and to spot import copies such as
    ``"My Model+"``.
    """
    return [name for name, count in notetype_note_counts(col).items() if count]


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

_INVISIBLE_BLOCK_RE = re.compile(
    r"<(style|script)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
# Tags that visually separate text; replaced by a space so "Q<hr>A" -> "Q A".
_BLOCK_TAG_RE = re.compile(
    r"</?(?:br|hr|div|p|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|pre|section)\b[^>]*>",
    re.IGNORECASE,
)
_ANY_TAG_RE = re.compile(r"<[^>]+>")
_WHITESPACE_RE = re.compile(r"\s+")


def html_to_text(text: str) -> str:
    """Plain text for assertions: drop <style>/<script> blocks and comments,
    turn block-level tags into spaces, remove other tags (so inline markup like
    ``<b>x</b>y`` stays ``xy``), unescape entities, collapse whitespace."""
    text = _INVISIBLE_BLOCK_RE.sub(" ", text)
    text = _COMMENT_RE.sub(" ", text)
    text = _BLOCK_TAG_RE.sub(" ", text)
    text = _ANY_TAG_RE.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    return _WHITESPACE_RE.sub(" ", text).strip()


@dataclass(frozen=True)
class CardView:
    """One card as Anki's reviewer would show it.

    ``question_html``/``answer_html`` are exactly ``card.question()`` /
    ``card.answer()``: the notetype CSS as a leading ``<style>`` block followed
    by the rendered template (the answer normally embeds ``{{FrontSide}}``).
    Sound tags appear as ``[anki:play:q:0]`` markers, as in the reviewer.
    A template error does not raise: Anki renders the error message as the
    card text, so assert on the text. ``*_text`` are :func:`html_to_text`
    versions of the HTML.
    """

    card_id: int
    note_guid: str
    ord: int
    template_name: str
    notetype_name: str
    deck_name: str
    question_html: str
    answer_html: str
    question_text: str
    answer_text: str


def rendered_cards(col: Collection) -> list[CardView]:
    """Render every card in ``col``; sorted by (note GUID, ord) for stable output."""
    views: list[CardView] = []
    for cid in col.find_cards(""):
        card = col.get_card(CardId(cid))
        note = card.note()
        notetype = card.note_type()
        question = card.question()
        answer = card.answer()
        home_deck = DeckId(card.odid or card.did)
        views.append(
            CardView(
                card_id=int(card.id),
                note_guid=note.guid,
                ord=int(card.ord),
                template_name=str(card.template()["name"]),
                notetype_name=notetype["name"],
                deck_name=col.decks.name(home_deck),
                question_html=question,
                answer_html=answer,
                question_text=html_to_text(question),
                answer_text=html_to_text(answer),
            )
        )
    views.sort(key=lambda view: (view.note_guid, view.ord))
    return views


# --------------------------------------------------------------------------
# Studying and scheduling
# --------------------------------------------------------------------------

_RATINGS: dict[int, CardAnswer.Rating.V] = {
    1: CardAnswer.AGAIN,
    2: CardAnswer.HARD,
    3: CardAnswer.GOOD,
    4: CardAnswer.EASY,
}

#: Per-day limit written into every deck preset by :func:`answer_all_cards`.
#: 9999 is the largest value Anki accepts: the backend silently resets larger
#: ``perDay`` values to the default 20 (measured), so bigger collections rely on
#: the per-deck "extend today's limits" step as well.
MAX_PER_DAY = 9999


def _make_everything_studyable(col: Collection, *, graduate: bool) -> None:
    """Remove everything that would keep a due card out of today's queues.

    Anki's default preset shows 20 new / 200 review cards per day, and burying
    options could hide siblings (e.g. the other clozes of a note). Imported
    decks use the default preset (with_deck_configs is off), but every preset
    is changed to be safe: limits to :data:`MAX_PER_DAY`, burying off. Then,
    like a user doing Custom Study -> "Increase today's new/review card limit"
    on each deck, today's limits of *every* deck are extended by the number of
    cards in the collection (the v3 scheduler caps a subdeck by its own limit
    even when its parent is selected, so each deck needs its own extension).

    With ``graduate=True`` the new-card learning steps are removed, so "Good"
    moves a new card straight to review with the 1-day graduating interval
    instead of into the default 1m/10m learning steps.
    """
    for conf in col.decks.all_config():
        conf["new"]["perDay"] = MAX_PER_DAY
        conf["rev"]["perDay"] = MAX_PER_DAY
        conf["new"]["bury"] = False
        conf["rev"]["bury"] = False
        conf["buryInterdayLearning"] = False
        if graduate:
            conf["new"]["delays"] = []
        col.decks.update_config(conf)
    extra = col.card_count()
    for deck in col.decks.all_names_and_ids(include_filtered=False):
        col.decks.select(DeckId(deck.id))
        col.sched.extend_limits(extra, extra)


def answer_all_cards(col: Collection, ease: int = 3, *, graduate: bool = False) -> int:
    """Study every due card once through the v3 scheduler; return how many.

    This mimics a user in Anki desktop: for each deck, select it, take the
    top of ``get_queued_cards()``, answer it with the scheduling states the
    queue provided (``Scheduler.build_answer`` + ``answer_card``, exactly what
    ``aqt.reviewer.Reviewer._answerCard`` does), repeat. Each answer writes a
    revlog entry and updates ivl/due/type/queue.

    ``ease`` is the button: 1 Again, 2 Hard, 3 Good (default), 4 Easy.
    Measured on new cards with the default preset: 1/2/3 leave the card in
    learning (type=1, queue=1, ivl=0, due = unix time 1/5.5/10 minutes ahead);
    4 graduates it to review with a fuzzed 3-5 day interval. Pass
    ``graduate=True`` to remove the learning steps so that "Good" gives review
    cards with exactly ivl=1 (deterministic, no fuzz).

    Side effects on ``col``: deck presets get maximal daily limits and burying
    disabled, and today's limits of every deck are extended (see
    :func:`_make_everything_studyable`); the current deck is restored
    afterwards.

    Learning cards answered here reappear in the queue almost at once (Anki
    shows learning cards up to 20 minutes early when nothing else is left), so
    a deck is finished as soon as its queue holds no card answered in *this*
    call: each card is answered at most once per call, and calling again
    studies the learning cards a second time. Review cards that are not due
    yet are not studied, as in Anki.
    """
    try:
        rating = _RATINGS[ease]
    except KeyError:
        raise ValueError(f"ease must be 1..4, got {ease!r}") from None
    sched = col.sched
    if not isinstance(sched, V3Scheduler):
        raise TypeError("collection is not on the v3 scheduler (new ones are)")
    previous_deck = col.decks.get_current_id()
    answered: set[int] = set()
    try:
        _make_everything_studyable(col, graduate=graduate)
        for deck in col.decks.all_names_and_ids(include_filtered=False):
            col.decks.select(DeckId(deck.id))
            while True:
                queued = sched.get_queued_cards(fetch_limit=1)
                if queued.cards and queued.cards[0].card.id in answered:
                    # An answered learning card is at the top (learn-ahead);
                    # an unanswered one, if any, is within the next
                    # len(answered) cards.
                    queued = sched.get_queued_cards(fetch_limit=len(answered) + 1)
                pending = [qc for qc in queued.cards if qc.card.id not in answered]
                if not pending:
                    break
                top = pending[0]
                card = Card(col, backend_card=top.card)
                card.start_timer()
                sched.answer_card(
                    sched.build_answer(card=card, states=top.states, rating=rating)
                )
                answered.add(int(card.id))
    finally:
        col.decks.select(previous_deck)
    return len(answered)


@dataclass(frozen=True)
class Sched:
    """Scheduling state of one card, straight from the ``cards`` table.

    ``type``: 0 new, 1 learning, 2 review, 3 relearning.
    ``queue``: 0 new, 1 (intraday) learning, 2 review, 3 interday learning,
    -1 suspended, -2/-3 buried. ``due``: new -> position; learning -> unix
    timestamp (seconds); review -> day number relative to collection creation.
    ``ivl``: days for review cards, 0 while learning. ``revlog`` is the number
    of review-log entries for the card (its study history).
    """

    card_id: int
    ivl: int
    due: int
    type: int
    queue: int
    reps: int
    lapses: int
    revlog: int


def card_scheduling(col: Collection) -> dict[tuple[str, int], Sched]:
    """Scheduling of every card, keyed by (note GUID, card ord).

    Keyed by GUID/ord rather than card id because that is what survives an
    in-place note update on re-import, which is what tests want to compare.
    """
    assert col.db is not None, "collection is closed"
    rows = col.db.all(
        """
        select n.guid, c.ord, c.id, c.ivl, c.due, c.type, c.queue, c.reps, c.lapses,
               (select count() from revlog r where r.cid = c.id)
        from cards c join notes n on n.id = c.nid
        """
    )
    return {
        (str(guid), int(ord_)): Sched(
            card_id=int(cid),
            ivl=int(ivl),
            due=int(due),
            type=int(type_),
            queue=int(queue),
            reps=int(reps),
            lapses=int(lapses),
            revlog=int(revlog),
        )
        for guid, ord_, cid, ivl, due, type_, queue, reps, lapses, revlog in rows
    }
