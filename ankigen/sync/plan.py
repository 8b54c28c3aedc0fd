"""What a sync will do: the notes the sources want against what a collection holds, as plain data.

Pure: no Anki, no files. ``read`` gives a ``Holdings`` (ankigen's notes and
notetypes in a collection, and what ankigen last wrote of each note, kept in
the collection); ``make_plan`` says which notes are added, updated, moved,
retired, left alone or in conflict, each with the source ``path:line:col``,
and the operations that get there. An apply module (``anki_backend``) carries
them out.

Whose is a note: one that uses one of ankigen's notetypes (fixed ids) and whose
GUID the sources give or an earlier sync recorded. Nothing else is ever in a
plan. "Edited in Anki": the note's fields no longer hash to what ankigen last
stored there (recorded per note, see ``Written``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from ankigen.notetypes import Notetype, every_notetype
from ankigen.retired import REMOVED_TAG as REMOVED_TAG  # retired notes get the tag removed notes in an .apkg get

if TYPE_CHECKING:
    from ankigen.cards import DeckCards, Note
    from ankigen.model import Location

Removal = Literal["suspend", "delete"]


@dataclass(frozen=True)
class HeldCard:
    id: int
    ord: int
    deck: str  # the card's home deck (the one it returns to from a filtered deck)
    suspended: bool


@dataclass(frozen=True)
class HeldNote:
    id: int
    guid: str
    notetype_id: int
    notetype_name: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: tuple[HeldCard, ...]


@dataclass(frozen=True)
class HeldNotetype:
    id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]  # (name, front, back)
    css: str


@dataclass(frozen=True)
class Written:
    """What ankigen last wrote of one note, kept in the collection (its ``ankigen`` config key).

    ``source`` hashes the fields as the sources gave them, ``stored`` the same
    fields as Anki stored them (Anki may normalise text, e.g. to NFC): a note
    whose fields no longer hash to ``stored`` was edited in Anki. Empty hashes
    mean "not known" (a note found in a conflict before ankigen ever wrote it).
    """

    deck_key: str
    key: str
    source: str
    stored: str
    tags: tuple[str, ...]  # the tags ankigen gave it (tags the user added are theirs)
    deck: str  # the deck ankigen put its cards in
    suspended: tuple[int, ...] = ()  # cards ankigen suspended (retired), to unsuspend if it comes back


@dataclass(frozen=True)
class Holdings:
    notes: Mapping[str, HeldNote]  # by GUID: every note with one of our notetypes, or a GUID the sources name
    notetypes: Mapping[int, HeldNotetype]  # those of ankigen's notetypes the collection has
    state: Mapping[str, Written]  # by GUID
    media_present: frozenset[str] = frozenset()  # ankigen's media files already there, with the same bytes
    media_clashing: frozenset[str] = frozenset()  # ...there under the same name with other bytes


@dataclass(frozen=True)
class SyncOptions:
    removed: Removal = "suspend"
    force: bool = False


@dataclass(frozen=True)
class Line:
    """One note in a report: where its source is, its key, its deck, and what happens to it."""

    where: str
    key: str
    deck: str
    detail: str = ""


@dataclass(frozen=True)
class NoteWrite:
    note_id: int
    fields: tuple[str, ...] | None  # None: leave the fields
    tags: tuple[str, ...] | None  # None: leave the tags


@dataclass(frozen=True)
class Plan:
    added: tuple[Line, ...] = ()
    updated: tuple[Line, ...] = ()
    moved: tuple[Line, ...] = ()
    retired: tuple[Line, ...] = ()
    conflicting: tuple[Line, ...] = ()  # edited in Anki and in the source (or not ankigen's): left alone
    overwritten: tuple[Line, ...] = ()  # edits made in Anki that --force overwrites
    kept: tuple[Line, ...] = ()  # edited or deleted in Anki, source unchanged: left as the user made it
    unchanged: tuple[Line, ...] = ()
    # What to do, in this order.
    notetypes: tuple[Notetype, ...] = ()  # ours, to update in place (templates and CSS)
    additions: tuple[tuple[DeckCards, tuple[Note, ...]], ...] = ()  # new notes, by deck
    writes: tuple[NoteWrite, ...] = ()
    moves: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (deck name, card ids)
    unsuspend: tuple[int, ...] = ()  # card ids
    suspend: tuple[int, ...] = ()  # card ids
    tag_removed: tuple[int, ...] = ()  # note ids to tag REMOVED_TAG
    delete_cards: tuple[int, ...] = ()
    delete_notes: tuple[int, ...] = ()
    media: Mapping[str, bytes] = field(default_factory=dict)  # files to add to the media folder
    state: Mapping[str, Written] = field(default_factory=dict)  # to record after applying
    restamp: tuple[str, ...] = ()  # GUIDs whose stored hash is read back after writing
    state_changed: bool = False
    problems: tuple[str, ...] = ()  # why the sync cannot go ahead (nothing is written)
    warnings: tuple[str, ...] = ()

    @property
    def changes_collection(self) -> bool:
        return bool(self.notetypes or self.additions or self.writes or self.moves or self.unsuspend
                    or self.suspend or self.tag_removed or self.delete_cards or self.delete_notes
                    or self.state_changed)


def fields_hash(fields: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()[:16]


def same_fields(held: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether a note in Anki says what the sources say (Anki stores text NFC-normalised)."""
    held, wanted = tuple(held), tuple(wanted)
    return held == wanted or held == tuple(unicodedata.normalize("NFC", text) for text in wanted)


def same_deck(one: str, other: str) -> bool:
    """Anki tells deck names apart regardless of case."""
    return one.casefold() == other.casefold()


def where(location: Location) -> str:
    return f"{location.path}:{location.line}:{location.column}"


def ankigen_notetype_ids() -> frozenset[int]:
    return frozenset(notetype.id for notetype in every_notetype())


def notetype_problems(held: Mapping[int, HeldNotetype]) -> tuple[list[str], list[Notetype]]:
    """Our notetypes as the collection has them: what blocks a sync, and which need their look updated."""
    problems: list[str] = []
    updates: list[Notetype] = []
    for ours in every_notetype():
        theirs = held.get(ours.id)
        if theirs is None:
            continue
        if theirs.fields != ours.fields:
            problems.append(f"notetype '{theirs.name}' has the fields {', '.join(theirs.fields)} in this collection; "
                            f"ankigen writes {', '.join(ours.fields)}: rename or restore them in Anki "
                            f"(Tools > Manage Note Types > Fields), then sync again")
        elif len(theirs.templates) != 1:
            problems.append(f"notetype '{theirs.name}' has {len(theirs.templates)} card types in this collection; "
                            "ankigen writes one: remove the others (Manage Note Types > Cards), then sync again")
        elif theirs.templates[0] != (ours.template_name, ours.front, ours.back) or theirs.css != ours.css:
            updates.append(ours)
    return problems, updates


def merged_tags(held: Sequence[str], ours_before: Sequence[str], ours_now: Sequence[str]) -> tuple[str, ...]:
    """The user's tags kept, ours brought up to date, and REMOVED_TAG dropped (the note is in the sources)."""
    dropped = (set(ours_before) - set(ours_now)) | {REMOVED_TAG}
    kept = [tag for tag in held if tag not in dropped]
    return tuple(kept + [tag for tag in ours_now if tag not in kept])


def make_plan(decks: Sequence[DeckCards], held: Holdings, options: SyncOptions = SyncOptions()) -> Plan:
    """What to do so that the collection holds what ``decks`` give, leaving everything not ankigen's alone."""
    problems, notetype_updates = notetype_problems(held.notetypes)
    ours = ankigen_notetype_ids()
    state = dict(held.state)
    report: dict[str, list[Line]] = {name: [] for name in (
        "added", "updated", "moved", "retired", "conflicting", "overwritten", "kept", "unchanged")}
    additions: list[tuple[DeckCards, tuple[Note, ...]]] = []
    writes: list[NoteWrite] = []
    moves: dict[str, list[int]] = {}
    unsuspend: list[int] = []
    suspend: list[int] = []
    tag_removed: list[int] = []
    delete_cards: list[int] = []
    delete_notes: list[int] = []
    restamp: list[str] = []
    wanted: set[str] = set()
    for deck in decks:
        new_notes: list[Note] = []
        for note in deck.notes:
            wanted.add(note.guid)
            line = Line(where(note.location), note.key, deck.name)
            record = held.state.get(note.guid)
            note_held = held.notes.get(note.guid)
            source = fields_hash(note.fields)
            if note_held is None:
                if record is not None and not options.force:
                    detail = "deleted in Anki; not added back (sync --force adds it)"
                    report["kept"].append(replace(line, detail=detail))
                    continue
                new_notes.append(note)
                report["added"].append(line)
                state[note.guid] = Written(deck.key, note.key, source, "", note.tags, deck.name)
                restamp.append(note.guid)
                continue
            if note_held.notetype_id != note.notetype.id:
                whose = "changed in Anki to" if note_held.notetype_id in ours else "held by your own note of notetype"
                report["conflicting"].append(replace(line, detail=f"its GUID is {whose} '{note_held.notetype_name}'; "
                                                                  "left alone"))
                continue
            fields: tuple[str, ...] | None = None
            stored = record.stored if record else ""
            kept_edit = False
            if same_fields(note_held.fields, note.fields):
                stored = fields_hash(note_held.fields)
            else:
                edited_in_anki = record is None or fields_hash(note_held.fields) != record.stored
                source_changed = record is None or source != record.source
                if not edited_in_anki:
                    fields = note.fields
                elif options.force:
                    fields = note.fields
                    report["overwritten"].append(replace(line, detail="edits made in Anki overwritten"))
                elif source_changed:
                    detail = ("differs from the source and was not written by ankigen sync before (edited in Anki, "
                              "or imported from an older .apkg)" if record is None
                              else "edited in Anki and in the source")
                    report["conflicting"].append(replace(line, detail=detail + "; left as it is in Anki"))
                    if record is None:  # remember it as ours, its content unknown, so a later sync sees it too
                        state[note.guid] = Written(deck.key, note.key, "", "", (), "")
                    continue
                else:
                    kept_edit = True
                    report["kept"].append(replace(line, detail="edited in Anki; the source did not change"))
            tags = merged_tags(note_held.tags, record.tags if record else (), note.tags)
            new_tags = tags if set(tags) != set(note_held.tags) else None
            suspended_by_us = set(record.suspended) if record else set()
            wanted_ords = {number - 1 for number in note.card_numbers} if note.notetype.is_cloze else None
            # Cards ankigen suspended come back; all of a note ankigen retired (a sync, or an .apkg's tombstone).
            retired = REMOVED_TAG in note_held.tags
            back = [card.id for card in note_held.cards if card.suspended and (retired or card.id in suspended_by_us)
                    and (wanted_ords is None or card.ord in wanted_ords)]
            stale = [card for card in note_held.cards if wanted_ords is not None and card.ord not in wanted_ords]
            stale_ids: list[int] = []
            if options.removed == "delete":
                stale_ids = [card.id for card in stale]
                delete_cards += stale_ids
            else:
                stale_ids = [card.id for card in stale if not card.suspended]
                suspend += stale_ids
            suspended_by_us = (suspended_by_us - set(back)) | set(stale_ids)
            if options.removed == "delete":
                suspended_by_us -= set(stale_ids)
            unsuspend += back
            move: list[int] = []
            if record is None or not same_deck(record.deck, deck.name):
                move = [card.id for card in note_held.cards
                        if not same_deck(card.deck, deck.name) and card.id not in delete_cards]
            if move:
                moves.setdefault(deck.name, []).extend(move)
                before = sorted({card.deck for card in note_held.cards if card.id in move})
                report["moved"].append(replace(line, detail=f"from {', '.join(before)}"))
            changes = [name for name, changed in (("fields", fields is not None), ("tags", new_tags is not None),
                                                  ("restored", bool(back)), ("cards retired", bool(stale_ids)))
                       if changed]
            if fields is not None or new_tags is not None:
                writes.append(NoteWrite(note_held.id, fields, new_tags))
            if fields is not None:
                restamp.append(note.guid)
            if changes:
                report["updated"].append(replace(line, detail=", ".join(changes)))
            elif not move and not kept_edit:
                report["unchanged"].append(line)
            source_written = record.source if kept_edit and record else source
            state[note.guid] = Written(deck.key, note.key, source_written, stored, note.tags, deck.name,
                                       tuple(sorted(suspended_by_us)))
        if new_notes:
            additions.append((deck, tuple(new_notes)))
    synced = {deck.key: deck for deck in decks}
    for guid, record in sorted(held.state.items(), key=lambda item: (item[1].deck_key, item[1].key)):
        if record.deck_key not in synced or guid in wanted:
            continue
        note_held = held.notes.get(guid)
        line = Line(synced[record.deck_key].source_path, record.key, record.deck)
        if note_held is None or note_held.notetype_id not in ours:
            del state[guid]  # deleted in Anki (or no longer ankigen's): nothing left to retire
            continue
        if options.removed == "delete":
            delete_notes.append(note_held.id)
            report["retired"].append(replace(line, detail="deleted"))
            del state[guid]
        elif REMOVED_TAG not in note_held.tags:
            cards = [card.id for card in note_held.cards if not card.suspended]
            suspend += cards
            tag_removed.append(note_held.id)
            report["retired"].append(replace(line, detail=f"suspended, tagged {REMOVED_TAG}"))
            state[guid] = replace(record, suspended=tuple(sorted({*record.suspended, *cards})))
    media: dict[str, bytes] = {}
    for deck in decks:
        for name, data in deck.media.items():
            if name not in held.media_present and name not in held.media_clashing:
                media[name] = data
    warnings = tuple(f"media file '{name}' is already in the collection with other content; left as it is"
                     for name in sorted(held.media_clashing))
    return Plan(
        added=tuple(report["added"]), updated=tuple(report["updated"]), moved=tuple(report["moved"]),
        retired=tuple(report["retired"]), conflicting=tuple(report["conflicting"]),
        overwritten=tuple(report["overwritten"]), kept=tuple(report["kept"]), unchanged=tuple(report["unchanged"]),
        notetypes=tuple(notetype_updates), additions=tuple(additions), writes=tuple(writes),
        moves=tuple((name, tuple(ids)) for name, ids in moves.items()), unsuspend=tuple(unsuspend),
        suspend=tuple(suspend), tag_removed=tuple(tag_removed), delete_cards=tuple(delete_cards),
        delete_notes=tuple(delete_notes), media=media, state=state, restamp=tuple(restamp),
        state_changed=state != dict(held.state), problems=tuple(problems), warnings=warnings)


def encode_state(state: Mapping[str, Written]) -> dict[str, object]:
    """The state as JSON for the collection's config: one short list per note."""
    return {"version": 1, "notes": {guid: [w.deck_key, w.key, w.source, w.stored, " ".join(w.tags), w.deck,
                                           list(w.suspended)] for guid, w in sorted(state.items())}}


def decode_state(value: object) -> dict[str, Written]:
    """The state read back; anything unreadable counts as no record (sync then reports conflicts, never overwrites)."""
    if not isinstance(value, dict) or value.get("version") != 1 or not isinstance(value.get("notes"), dict):
        return {}
    state: dict[str, Written] = {}
    for guid, row in value["notes"].items():
        try:
            deck_key, key, source, stored, tags, deck, suspended = row
            state[str(guid)] = Written(str(deck_key), str(key), str(source), str(stored), tuple(str(tags).split()),
                                       str(deck), tuple(int(card) for card in suspended))
        except (TypeError, ValueError):
            continue
    return state
