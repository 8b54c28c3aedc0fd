"""Which GUID each note has: the one its ids make, unless it moved or was renamed (README, "Always give ids").

A note's GUID is made from its deck, myth and item ids (``ids.note_guid``). A
note that moves (an item to another myth, a myth to another file or deck, a
deck to another id) keeps the GUID it had: the lock's ``guids`` table holds the
GUID of every note whose GUID is not the one its ids make now. A build finds
moves by matching the notes that appeared in it with those that disappeared in
it, on their ids (``match_moves``):

1. an item with the same myth id and item id (its myth moved to another file or
   deck, or its deck's id changed), a myth with the same myth id;
2. then an item with the same item id in another myth (it moved between myths).

Each level pairs an appearing note with a disappearing one only when each is
the only one with that id: when two notes could be the one that moved (an item
id that disappeared from two myths, or appeared in two), none of them is
paired, each starts afresh (the gone ones are retired) and a warning says so.
``was:`` on a myth or item names its id (or, for an item, 'myth/item') before
a rename or an ambiguous move, and takes the place of the note's own ids in
the matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ankigen import ids
from ankigen.errors import Diagnostic, warning
from ankigen.model import DeckSource, Location


def note_path(deck_key: str, note_key: str) -> str:
    """A note's place: 'deck/myth' or 'deck/myth/item' (ids never hold '/')."""
    return f"{deck_key}/{note_key}"


def made_guid(deck_key: str, note_key: str) -> str:
    """The GUID a note's ids make."""
    return ids.note_key_guid(deck_key, note_key)


class Identities:
    """GUIDs by place: the lock's table of notes that moved, and the moves found in this build."""

    def __init__(self, moved: dict[str, str]) -> None:
        self.moved = moved  # path -> GUID, for notes whose GUID is not the one their ids make
        self.taken = set(moved.values())

    def guid(self, deck_key: str, note_key: str) -> str:
        path = note_path(deck_key, note_key)
        known = self.moved.get(path)
        if known is not None:
            return known
        guid = made_guid(deck_key, note_key)
        attempt = 1
        while guid in self.taken:  # a note that moved away kept it: this new one gets a GUID of its own
            attempt += 1
            guid = made_guid(deck_key, f"{note_key}#{attempt}")  # '#' is in no id: no note's own GUID
        return guid


class Appeared(NamedTuple):
    """A note with no GUID in the lock at its place: new, or moved here."""

    path: str
    keys: tuple[tuple[str, ...], ...]  # what it may have been, strongest first (see match_moves)
    location: Location
    was: str  # its 'was:' as written, or ""


class Vanished(NamedTuple):
    """A note the lock knows that is no longer at its place."""

    path: str
    guid: str
    keys: tuple[tuple[str, ...], ...]


def appeared(source: DeckSource, note_keys: Iterable[str]) -> list[Appeared]:
    """The notes of ``source`` named by ``note_keys`` ('myth' or 'myth/item'), as notes that may have moved."""
    myths = {myth.key: myth for myth in source.myths}
    items = {(myth.key, item.key): item for myth in source.myths for item in myth.items}
    found = []
    for note_key in note_keys:
        myth_key, _, item_key = note_key.partition("/")
        if ":" in myth_key:  # a true statement or question ('myth:fact' ...): it moves with its myth
            myth_key, _, part = myth_key.partition(":")
            myth = myths[myth_key]
            kind, *statement = part.split(":")
            found.append(Appeared(note_path(source.key, note_key), ((kind, myth.was or myth.key, *statement),),
                                  myth.location, ""))
            continue
        myth = myths[myth_key]
        old_myth = myth.was or myth.key
        path = note_path(source.key, note_key)
        if not item_key:
            found.append(Appeared(path, (("myth", old_myth),), myth.location, myth.was))
            continue
        item = items[(myth_key, item_key)]
        if "/" in item.was:
            keys: tuple[tuple[str, ...], ...] = (("item", *item.was.split("/")),)
        else:
            keys = (("item", old_myth, item.was or item.key), ("item id", item.was or item.key))
        found.append(Appeared(path, keys, item.location, item.was))
    return found


def vanished_keys(note_key: str) -> tuple[tuple[str, ...], ...]:
    if ":" in note_key:  # 'myth:fact', 'myth:true:<id>', 'myth:not-true'
        myth_key, _, part = note_key.partition(":")
        kind, *statement = part.split(":")
        return ((kind, myth_key, *statement),)
    myth_key, _, item_key = note_key.partition("/")
    if not item_key:
        return (("myth", myth_key),)
    return ("item", myth_key, item_key), ("item id", item_key)


def match_moves(appeared: Iterable[Appeared], vanished: Iterable[Vanished]
                ) -> tuple[dict[str, Vanished], list[Diagnostic]]:
    """Pair notes that appeared with notes that vanished in one build: path now -> the note it was."""
    waiting = sorted(appeared, key=lambda note: note.path)
    gone = sorted(vanished, key=lambda note: note.path)
    moves: dict[str, Vanished] = {}
    problems: list[Diagnostic] = []
    settled: set[str] = set()  # appeared notes paired, or found ambiguous
    for level in (0, 1):
        claims: dict[tuple[str, ...], list[Appeared]] = {}
        for note in waiting:
            if note.path not in settled and level < len(note.keys):
                claims.setdefault(note.keys[level], []).append(note)
        taken = {move.path for move in moves.values()}
        offers: dict[tuple[str, ...], list[Vanished]] = {}
        for old in gone:
            if old.path not in taken and level < len(old.keys):
                offers.setdefault(old.keys[level], []).append(old)
        for key, claimants in sorted(claims.items()):
            candidates = offers.get(key, [])
            if len(claimants) == 1 and len(candidates) == 1:
                moves[claimants[0].path] = candidates[0]
                settled.add(claimants[0].path)
            elif candidates:
                for note in claimants:
                    settled.add(note.path)
                    problems.append(_ambiguous(note, claimants, candidates))
    for note in waiting:
        if note.was and note.path not in moves and note.path not in settled:
            problems.append(warning(note.location, f"'was: {note.was}' names no note that disappeared in this "
                                    "build, so this note starts afresh",
                                    "check the old id; 'was:' works in the build that renames (see the README)"))
    return moves, problems


def _ambiguous(note: Appeared, claimants: list[Appeared], candidates: list[Vanished]) -> Diagnostic:
    others = ", ".join(old.path for old in candidates)
    if len(candidates) > 1:
        what = f"it could be any of {others}, which disappeared"
    else:
        what = f"{others} disappeared, and {len(claimants)} notes could be it"
    return warning(note.location, f"cannot tell which note moved here ({what}), so this note starts afresh and "
                   "the one that disappeared is retired with its reviews",
                   "add 'was: <myth id>/<item id>' (or 'was: <myth id>' on a myth) naming the note it was")
