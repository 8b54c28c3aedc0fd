"""The lock file beside built decks: what each note looked like when last built, and when it changed.

Anki only updates a note on re-import when the incoming modification time is
newer than its own, so a note must keep its time while its content is the same
and get a newer one as soon as it changes. The lock (``decks/ankigen.lock``,
committed with the decks) remembers each note's content hash and time across
builds and machines; it also records the hashes of each deck's inputs (its
source, options and ankigen version, and every other file it read, such as
images) and outputs so an unchanged deck is neither rebuilt nor rewritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from json.encoder import encode_basestring, encode_basestring_ascii  # json.dumps's own, for str
from pathlib import Path
from typing import Any, NamedTuple

from ankigen.atomic import OutputError, write_bytes_atomic

LOCK_NAME = "ankigen.lock"
# 2: each deck's entry holds its "summary". 3: "source" is relative to the lock's
# folder (it was relative to where ankigen ran), each deck keeps the "latest" time
# it stamped, cloze notes their deletions' numbers, and "guids" the notes that
# moved. Older locks are still read (their decks are built again, as a new
# ankigen version always does). An entry without "reads" (from before they were
# kept) is read too: its deck is built again once.
LOCK_VERSION = 3
_READABLE_VERSIONS = (1, 2, 3)
# The latest note time a lock may hold (9999-12-31 23:59:59 UTC): later ones are beyond what
# SQLite, Anki and Python's dates all handle, so a lock holding one is damaged.
LATEST_TIME = 253_402_300_799

Clozes = tuple[tuple[int, str], ...]  # a cloze note's deletions in text order: (number, answer as written)
Raw = bytes | memoryview  # part of a lock file as read (a view of its bytes) or as written


class NoteState(NamedTuple):  # a tuple, not a dataclass: quicker to make, and a lock holds many
    key: str
    kind: str
    hash: str
    mod: int
    high: int = 0  # a cloze note's highest deletion number ever used: never given again
    clozes: Clozes = ()


class DeckSummary(NamedTuple):
    """What a build reports of a deck: kept so that a deck skipped as unchanged is reported the same."""

    name: str
    myth_notes: int
    cloze_notes: int
    myth_cards: int
    cloze_cards: int


class DeckState:
    """A deck as last built: where from, the digests of its inputs and outputs, and its notes.

    Read from a lock, a deck's note rows are parsed on first use and its entry is
    written back as it was read: a rebuild after editing one of many sources
    needs neither for the decks it skips (bench/run.py measures it).
    """

    def __init__(self, source: str, inputs: str, outputs: dict[str, str], notes: dict[str, NoteState],
                 removed: dict[str, NoteState] | None = None, summary: DeckSummary | None = None,
                 latest: int = 0, reads: dict[str, str] | None = None) -> None:
        self.source = source  # relative to the lock's folder, with '/'
        self.inputs = inputs  # digest of the source's bytes, the options and the ankigen version
        self.outputs = outputs  # file name -> sha256
        # The other files the deck was made from (images), relative to the source's folder -> sha256;
        # None when read from a lock that did not keep them (the deck is then built again).
        self.reads = reads
        self.summary = summary  # None when read from a version 1 lock
        self.latest = latest  # the newest time ever stamped on a note or tombstone of the deck
        self._notes: dict[str, NoteState] | None = notes  # guid -> state
        self._removed: dict[str, NoteState] | None = removed or {}  # tombstones shipped in these outputs
        self._entry: Raw = b""  # the deck's entry in the lock file, as read or once written out (see entry())
        # the lock's path and the notes and removed objects as read, until parsed
        self._rows: tuple[str, Raw, Raw] = ("", b"", b"")

    @property
    def notes(self) -> dict[str, NoteState]:
        if self._notes is None:
            self._notes = self._parse(self._rows[1])
        return self._notes

    @property
    def removed(self) -> dict[str, NoteState]:
        if self._removed is None:
            self._removed = self._parse(self._rows[2])
        return self._removed

    def read_rows(self) -> None:
        """Parse the note rows now: a damaged lock then stops a build before any deck is made."""
        self._notes, self._removed = self.notes, self.removed

    def entry(self, key: str) -> Raw:
        """The deck's entry in the lock file (UTF-8), as ``key``: as it was read, or written out (and kept).

        Builds call it where the deck is made, in a worker process when there are
        several: the main process then only joins the entries together.
        """
        if not self._entry:
            self._entry = _format_entry(key, self).encode("utf-8")
        return self._entry

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to another process as its lock entry (one string) once it has one, not as thousands of tuples."""
        if self._entry:
            return _state_from_entry, (bytes(self._entry), self._rows[0])
        return DeckState, (self.source, self.inputs, self.outputs, self.notes, self.removed, self.summary,
                           self.latest, self.reads)

    def _parse(self, rows: Raw) -> dict[str, NoteState]:
        try:
            return {guid: _note_state(row) for guid, row in json.loads(bytes(rows)).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise _unreadable(self._rows[0], exc) from exc

    @classmethod
    def _as_read(cls, source: str, inputs: str, outputs: dict[str, str], reads: dict[str, str] | None,
                 summary: DeckSummary | None, latest: int, entry: Raw, lock_path: str, notes: Raw,
                 removed: Raw) -> DeckState:
        state = cls(source, inputs, outputs, {}, {}, summary, latest, reads)
        state._notes = state._removed = None
        state._entry, state._rows = entry, (lock_path, notes, removed)
        return state


@dataclass
class Lock:
    decks: dict[str, DeckState] = field(default_factory=dict)
    # "deck/myth" or "deck/myth/item" -> GUID, for the notes whose GUID is not the one
    # their ids make (ids.note_guid): they moved, or were renamed with 'was:'.
    guids: dict[str, str] = field(default_factory=dict)
    version: int = LOCK_VERSION  # as read: sources in older locks are relative to where ankigen ran
    # The lock file's bytes when this was read from it (changed_lock compares without reading them again).
    as_read: bytes | None = field(default=None, compare=False, repr=False)

    def to_bytes(self) -> bytes:
        """JSON with one line per note, so a diff of the lock reads as a list of changed notes.

        Joined as bytes once: a lock of 50,000 notes is 5 MB, and each copy of it
        costs a build freshly touched memory (bench/run.py's edit rebuild).
        """
        parts: list[Raw] = [_HEAD]
        for key, deck in sorted(self.decks.items()):
            parts += [deck.entry(key), b",\n"]
        if len(parts) > 1:
            parts[-1] = b"\n"
        rows = [f"  {encode_basestring_ascii(path)}: {encode_basestring_ascii(guid)}"
                for path, guid in sorted(self.guids.items())]
        guids = ("{\n" + ",\n".join(rows) + "\n }") if rows else "{}"
        parts += [_MIDDLE, guids.encode("utf-8"), _END]
        return b"".join(parts)

    @property
    def latest(self) -> int:
        """The newest time stamped on any note or tombstone of any deck."""
        return max((deck.latest for deck in self.decks.values()), default=0)


def _format_entry(key: str, deck: DeckState) -> str:
    dump = json.dumps
    lines = [f"  {dump(key)}: {{",
             f'   "source": {dump(deck.source)},',
             f'   "inputs": {dump(deck.inputs)},',
             f'   "outputs": {dump(dict(sorted(deck.outputs.items())))},',
             f'   "reads": {dump(dict(sorted((deck.reads or {}).items())))},',
             f'   "summary": {dump(dict(deck.summary._asdict()) if deck.summary else None)},',
             f'   "latest": {int(deck.latest)},']
    for section, notes in (("notes", deck.notes), ("removed", deck.removed)):
        rows = [f"    {encode_basestring_ascii(guid)}: {_note_json(state)}" for guid, state in sorted(notes.items())]
        body = ("\n" + ",\n".join(rows) + "\n   ") if rows else ""
        lines.append(f'   "{section}": {{{body}}}' + ("," if section == "notes" else ""))
    lines.append("  }")
    return "\n".join(lines)


_HEAD = f'{{\n "version": {LOCK_VERSION},\n "decks": {{\n'.encode()
_MIDDLE = b' },\n "guids": '
_END = b"\n}\n"


def _note_json(state: NoteState) -> str:
    """``json.dumps([key, kind, hash, mod(, high, clozes)], ensure_ascii=False)``, without its setup per call
    (0.1 s per 50,000). A myth note's row has no cloze numbers."""
    row = f"[{encode_basestring(state.key)}, {encode_basestring(state.kind)}, {encode_basestring(state.hash)}, " \
          f"{int.__repr__(state.mod)}"
    if not state.high:
        return row + "]"
    clozes = ", ".join(f"[{int.__repr__(number)}, {encode_basestring(answer)}]" for number, answer in state.clozes)
    return f"{row}, {int.__repr__(state.high)}, [{clozes}]]"


def _note_state(row: list[Any]) -> NoteState:
    if len(row) == 4:
        key, kind, digest, mod = row
        return NoteState(str(key), str(kind), str(digest), _time(mod, f"note {key!r}"))
    key, kind, digest, mod, high, clozes = row
    return NoteState(str(key), str(kind), str(digest), _time(mod, f"note {key!r}"), int(high),
                     tuple((int(number), str(answer)) for number, answer in clozes))


def _time(value: Any, what: str) -> int:
    """A time read from the lock, if it is one ankigen can have written."""
    if not isinstance(value, int) or not 0 <= value <= LATEST_TIME:
        raise ValueError(f"{what} has the time {value!r}, not a time between 0 and {LATEST_TIME}")
    return value


class LockError(Exception):
    """The lock file exists but cannot be read."""


def _unreadable(path: object, problem: object) -> LockError:
    return LockError(f"{path}: cannot read the lock file ({problem}); restore it from git, "
                     "or delete it to start note times afresh")


def read_lock(folder: Path) -> Lock:
    path = folder / LOCK_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lock()
    except OSError as exc:  # a file where the folder should be, a folder where the lock should be, ...
        raise OutputError.of(path, "read", exc) from exc
    try:
        lock = _read_as_written(raw, str(path))
        if lock is None:  # not laid out as ankigen writes it (merged or edited by hand, or an old version)
            lock = _read_any_layout(raw.decode("utf-8"))
        lock.as_read = raw
        return lock
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _unreadable(path, exc) from exc


def _read_any_layout(text: str) -> Lock:
    data = json.loads(text)
    if data.get("version") not in _READABLE_VERSIONS:
        raise ValueError(f"unsupported version {data.get('version')!r}")
    return Lock({key: DeckState(
        source=str(entry["source"]), inputs=str(entry["inputs"]), outputs=dict(entry["outputs"]),
        notes={guid: _note_state(row) for guid, row in entry["notes"].items()},
        removed={guid: _note_state(row) for guid, row in entry.get("removed", {}).items()},
        summary=_summary(entry.get("summary")), latest=_time(entry.get("latest", 0), f"deck {key!r}"),
        reads=_reads(entry.get("reads")))
        for key, entry in data["decks"].items()},
        {str(path): str(guid) for path, guid in data.get("guids", {}).items()}, int(data["version"]))


def _reads(data: Any) -> dict[str, str] | None:
    return None if data is None else {str(path): str(digest) for path, digest in dict(data).items()}


def _summary(data: Any) -> DeckSummary | None:
    if data is None:
        return None
    return DeckSummary(str(data["name"]), *(int(data[count]) for count in DeckSummary._fields[1:]))


# The head of an entry as to_bytes writes it, up to its note rows (found apart by _rows_end).
_ENTRY_HEAD = re.compile(rb'  ("[^\n]*"): \{\n'
                         rb'   "source": ([^\n]*),\n   "inputs": ([^\n]*),\n   "outputs": ([^\n]*),\n'
                         rb'(?:   "reads": ([^\n]*),\n)?'
                         rb'   "summary": ([^\n]*),\n   "latest": (-?\d+),\n'
                         rb'   "notes": ')
_REMOVED = b',\n   "removed": '
_ENTRY_END = b"\n  }"


_UNINDENTED_LINE = re.compile(rb"\n(?!    )")  # in a rows object, a line that is not a row: one pass, not two counts


def _rows_end(text: bytes, start: int) -> int:
    """Where the object of note rows at ``start`` ends: ``{}``, or ``{`` then lines each indented by four
    spaces then ``   }`` (-1 if it is not laid out so). str.find and one search for a line out of place,
    not a match per row."""
    if text[start:start + 2] == b"{}":
        return start + 2
    if text[start:start + 2] != b"{\n":
        return -1
    close = text.find(b"\n   }", start + 1)
    if close < 0:
        return -1
    # each row's line (from start + 2 to close + 1) begins with four spaces: searched in place, not copied
    if close > start + 1 and not (text.startswith(b"    ", start + 2)
                                  and _UNINDENTED_LINE.search(text, start + 2, close) is None):
        return -1
    return close + 5


def _parse_entry(text: bytes, position: int, path: str) -> tuple[str, DeckState, int] | None:
    """The entry that starts at ``position`` of a lock as written: its key, state and where it ends."""
    head = _ENTRY_HEAD.match(text, position)
    if head is None:
        return None
    notes_end = _rows_end(text, head.end())
    if notes_end < 0 or not text.startswith(_REMOVED, notes_end):
        return None
    removed_end = _rows_end(text, notes_end + len(_REMOVED))
    if removed_end < 0 or not text.startswith(_ENTRY_END, removed_end):
        return None
    end = removed_end + len(_ENTRY_END)
    parts = head.groups()  # JSON values, decoded here: json.loads would first guess how bytes are encoded
    key, source, inputs, outputs, summary = (parts[index].decode() for index in (0, 1, 2, 3, 5))
    reads = parts[4].decode() if parts[4] is not None else None
    view = memoryview(text)  # the entry and its rows are kept as read, not copied
    return json.loads(key), DeckState._as_read(
        str(json.loads(source)), str(json.loads(inputs)), dict(json.loads(outputs)),
        _reads(json.loads(reads)) if reads is not None else None, _summary(json.loads(summary)),
        _time(int(parts[6]), f"deck {json.loads(key)!r}"), view[position:end], path,
        view[head.end():notes_end], view[notes_end + len(_REMOVED):removed_end]), end


def _state_from_entry(entry: bytes, path: str) -> DeckState:
    parsed = _parse_entry(entry, 0, path)
    if parsed is None or parsed[2] != len(entry):
        raise _unreadable(path, "an entry not as ankigen writes it")
    return parsed[1]


def _read_as_written(text: bytes, path: str) -> Lock | None:
    """A lock laid out exactly as to_bytes writes it, its decks' note rows unparsed; None if it is not."""
    end = text.rfind(_MIDDLE)
    if not (text.startswith(_HEAD) and text.endswith(_END)) or end < 0:
        return None
    guids = json.loads(text[end + len(_MIDDLE):len(text) - len(_END)])
    if not isinstance(guids, dict):
        return None
    decks: dict[str, DeckState] = {}
    position = len(_HEAD)
    while position < end:
        parsed = _parse_entry(text, position, path)
        if parsed is None:
            return None
        key, state, position = parsed
        decks[key] = state
        separator = b",\n" if position < end - 1 else b"\n"
        if not text.startswith(separator, position):
            return None
        position += len(separator)
    return Lock(decks, {str(key): str(guid) for key, guid in guids.items()})


def changed_lock(folder: Path, lock: Lock) -> bytes | None:
    """The lock's bytes if they differ from the lock file in ``folder`` (None if they are the same)."""
    path = folder / LOCK_NAME
    data = lock.to_bytes()
    if lock.as_read is not None:  # read from this folder at the start of the build, which holds its lock
        return None if lock.as_read == data else data
    try:
        return None if path.read_bytes() == data else data
    except FileNotFoundError:
        return data
    except OSError as exc:
        raise OutputError.of(path, "read", exc) from exc


def write_lock(folder: Path, lock: Lock, dry_run: bool = False) -> bool:
    """Write the lock if its content changed (unless ``dry_run``); returns whether it differs."""
    data = changed_lock(folder, lock)
    if data is not None and not dry_run:
        write_bytes_atomic(folder / LOCK_NAME, data)
        lock.as_read = data
    return data is not None
