"""The lock file beside built decks: what each note looked like when last built, and when it changed.

Anki only updates a note on re-import when the incoming modification time is
newer than its own, so a note must keep its time while its content is the same
and get a newer one as soon as it changes. The lock (``decks/ankigen.lock``,
committed with the decks) remembers each note's content hash and time across
builds and machines; it also records the hashes of each deck's inputs and
outputs so an unchanged deck is neither rebuilt nor rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring, encode_basestring_ascii  # json.dumps's own, for str
from pathlib import Path
from typing import Any, NamedTuple

from ankigen.atomic import write_bytes_atomic

LOCK_NAME = "ankigen.lock"
LOCK_VERSION = 1


class NoteState(NamedTuple):  # a tuple, not a dataclass: quicker to make, and a lock holds many
    key: str
    kind: str
    hash: str
    mod: int


@dataclass(frozen=True)
class DeckState:
    source: str
    inputs: str  # digest of everything the outputs are made from
    outputs: dict[str, str]  # file name -> sha256
    notes: dict[str, NoteState]  # guid -> state
    removed: dict[str, NoteState] = field(default_factory=dict)  # tombstones shipped in these outputs


@dataclass
class Lock:
    decks: dict[str, DeckState] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """JSON with one line per note, so a diff of the lock reads as a list of changed notes."""
        dump = json.dumps
        lines = ["{", f' "version": {LOCK_VERSION},', ' "decks": {']
        for index, (key, deck) in enumerate(sorted(self.decks.items())):
            lines.append(f"  {dump(key)}: {{")
            lines.append(f'   "source": {dump(deck.source)},')
            lines.append(f'   "inputs": {dump(deck.inputs)},')
            lines.append(f'   "outputs": {dump(dict(sorted(deck.outputs.items())))},')
            for section, notes in (("notes", deck.notes), ("removed", deck.removed)):
                rows = [f"    {encode_basestring_ascii(guid)}: {_note_json(state)}"
                        for guid, state in sorted(notes.items())]
                body = ("\n" + ",\n".join(rows) + "\n   ") if rows else ""
                lines.append(f'   "{section}": {{{body}}}' + ("," if section == "notes" else ""))
            lines.append("  }" + ("," if index < len(self.decks) - 1 else ""))
        lines += [" }", "}", ""]
        return "\n".join(lines).encode("utf-8")


def _note_json(state: NoteState) -> str:
    """``json.dumps([key, kind, hash, mod], ensure_ascii=False)``, without its setup per call (0.1 s per 50,000)."""
    return f"[{encode_basestring(state.key)}, {encode_basestring(state.kind)}, {encode_basestring(state.hash)}, " \
           f"{int.__repr__(state.mod)}]"


def _note_state(row: list[Any]) -> NoteState:
    key, kind, digest, mod = row
    return NoteState(str(key), str(kind), str(digest), int(mod))


class LockError(Exception):
    """The lock file exists but cannot be read."""


def read_lock(folder: Path) -> Lock:
    path = folder / LOCK_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lock()
    try:
        data = json.loads(raw)
        if data.get("version") != LOCK_VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        return Lock({
            key: DeckState(
                source=str(entry["source"]), inputs=str(entry["inputs"]), outputs=dict(entry["outputs"]),
                notes={guid: _note_state(row) for guid, row in entry["notes"].items()},
                removed={guid: _note_state(row) for guid, row in entry.get("removed", {}).items()})
            for key, entry in data["decks"].items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LockError(f"{path}: cannot read the lock file ({exc}); restore it from git, "
                        "or delete it to start note times afresh") from exc


def write_lock(folder: Path, lock: Lock, dry_run: bool = False) -> bool:
    """Write the lock if its content changed (unless ``dry_run``); returns whether it differs."""
    path = folder / LOCK_NAME
    data = lock.to_bytes()
    if path.exists() and path.read_bytes() == data:
        return False
    if not dry_run:
        write_bytes_atomic(path, data)
    return True
