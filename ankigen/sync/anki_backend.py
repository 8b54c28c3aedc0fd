"""Read a collection and apply a plan to it through the official ``anki`` package (the only module that imports it).

Safety, in the order things happen:

- **Locked or open in Anki: refuse, touching nothing.** Anki opens a
  collection with SQLite's exclusive locking mode and keeps it locked while
  the profile is open. We try SQLite ourselves (``timeout=0``); "database is
  locked" means Anki (or another program) has it. Then we hold SQLite's own
  lock bytes of the file (a POSIX record lock on the lock-byte page), so no
  SQLite user, Anki included, can open the collection until we are done; we
  never open the original file in this process again (closing any descriptor
  of a file drops a process's POSIX locks on it).
- **All or nothing.** The changes are applied to a copy of the collection
  beside it, which Anki then closes cleanly; the copy replaces the original
  with one atomic ``os.replace``. A failure or a kill -9 before that leaves the
  original byte for byte as it was; the next sync removes the leftover copy.
  (A write-ahead log left by a crashed Anki is checkpointed into the original
  first, as Anki does when it opens it, so no log is left to apply to the
  replacement.)
- **Backup first**, as Anki makes its own: ``create_backup`` into the
  ``backups`` folder beside the collection (a profile's backups folder),
  with Anki's own rotation of old backups.

New notes are added by importing an .apkg that ankigen writes with exactly
those notes, with Anki's importer: it is the only way in the ``anki`` package
to add a notetype with a fixed id (``add_dict`` with an id panics), and it adds
the deck with ankigen's id and description as an .apkg import would. The import
options it persists in the collection's config are put back as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anki.collection  # noqa: F401  (first: importing anki.cards first is a circular import in anki)
from anki._backend import RustBackend
from anki.cards import CardId
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.errors import DBError
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_NEVER
from anki.models import NotetypeId
from anki.notes import NoteId

from ankigen.sync.plan import (
    REMOVED_TAG,
    HeldCard,
    HeldNote,
    HeldNotetype,
    Holdings,
    Plan,
    ankigen_notetype_ids,
    decode_state,
    encode_state,
    fields_hash,
)

if TYPE_CHECKING:
    from ankigen.cards import DeckCards

STATE_KEY = "ankigen"  # the collection config key that keeps what ankigen last wrote of each note
# SQLite's lock bytes (the "pending" byte, the "reserved" byte and the shared range): SQLite takes
# its locks there, so whoever holds all of them keeps every SQLite user out, Anki included.
_LOCK_START, _LOCK_SIZE = 0x40000000, 512
_WORK_PREFIX = ".ankigen-sync-"
TEST_HOLD_ENV = "ANKIGEN_TEST_SYNC_HOLD"  # "stage:path": tests only; see _hold_for_test


class CollectionBusy(Exception):
    """The collection is open in Anki, or locked by another program."""


class CollectionProblem(Exception):
    """The collection cannot be used: missing, unreadable, or not an Anki collection."""


@dataclass(frozen=True)
class SyncResult:
    plan: Plan
    wrote: bool  # the collection was replaced
    backup: Path | None
    media_written: tuple[str, ...]


def media_folder(collection: Path) -> Path:
    """Where Anki keeps a collection's media: ``collection.media`` beside ``collection.anki2``."""
    return collection.with_name(collection.stem + ".media")


def sync(collection: Path, decks: Sequence[DeckCards], make_plan: Callable[[Holdings], Plan], dry_run: bool,
         now: int) -> SyncResult:
    """Plan (``make_plan(holdings)``) against the collection, then apply the plan unless ``dry_run``."""
    collection = collection.resolve()
    scratch = tempfile.gettempdir() if dry_run else None  # a dry run writes nothing beside the collection
    with _Locked(collection, write=not dry_run) as lock, _work_folder(collection, scratch) as work:
        copy = work / "collection.anki2"
        lock.copy_to(copy)
        col = _open(copy)
        try:
            plan = make_plan(read_holdings(col, decks, collection))
            if plan.problems or dry_run or not (plan.changes_collection or plan.media):
                return SyncResult(plan, False, None, ())
            backup = None
            if plan.changes_collection:
                backup = _backup(col, collection.parent / "backups")
                _apply(col, plan, work, now)
        finally:
            col.close()
        written = _write_media(media_folder(collection), plan.media)
        if plan.changes_collection:
            _hold_for_test("before-replace")
            lock.replace_with(copy)
        return SyncResult(plan, plan.changes_collection, backup, written)


def check_free(collection: Path) -> None:
    """Raise CollectionBusy (or CollectionProblem) now, before a sync builds anything, if it cannot go ahead."""
    with _Locked(collection, write=False):
        pass


def read(collection: Path, decks: Sequence[DeckCards]) -> Holdings:
    """What the collection holds of ankigen's, read without writing anything."""
    with _Locked(collection, write=False) as lock, _work_folder(collection, tempfile.gettempdir()) as work:
        copy = work / "collection.anki2"
        lock.copy_to(copy)
        col = _open(copy)
        try:
            return read_holdings(col, decks, collection)
        finally:
            col.close()


def read_holdings(col: Collection, decks: Sequence[DeckCards], collection: Path) -> Holdings:
    assert col.db is not None
    state = decode_state(col.get_config(STATE_KEY, None))
    ours = ankigen_notetype_ids()
    named = {note.guid for deck in decks for note in deck.notes} | set(state)
    rows = [(int(nid), str(guid), int(mid)) for nid, guid, mid in col.db.all("select id, guid, mid from notes")]
    relevant = {nid: (guid, mid) for nid, guid, mid in rows if mid in ours or guid in named}
    deck_names = {deck.id: deck.name for deck in col.decks.all_names_and_ids()}
    notetype_names = {entry.id: entry.name for entry in col.models.all_names_and_ids()}
    contents: dict[int, tuple[str, str]] = {}
    cards: dict[int, list[HeldCard]] = {}
    ids = sorted(relevant)
    for start in range(0, len(ids), 500):
        chunk = ",".join(str(nid) for nid in ids[start:start + 500])
        for nid, fields, tags in col.db.all(f"select id, flds, tags from notes where id in ({chunk})"):
            contents[int(nid)] = (str(fields), str(tags))
        for cid, nid, ord_, did, odid, queue in col.db.all(
                f"select id, nid, ord, did, odid, queue from cards where nid in ({chunk}) order by nid, ord"):
            home = int(odid) or int(did)
            cards.setdefault(int(nid), []).append(HeldCard(int(cid), int(ord_), deck_names.get(home, ""),
                                                            int(queue) == -1))
    notes = {}
    for nid, (guid, mid) in relevant.items():
        fields, tags = contents[nid]
        notes[guid] = HeldNote(nid, guid, mid, notetype_names.get(mid, ""), tuple(fields.split("\x1f")),
                               tuple(tags.split()), tuple(cards.get(nid, ())))
    notetypes = {}
    for notetype_id in ours:
        model = col.models.get(NotetypeId(notetype_id))
        if model is not None:
            notetypes[notetype_id] = HeldNotetype(
                notetype_id, str(model["name"]), tuple(str(f["name"]) for f in model["flds"]),
                tuple((str(t["name"]), str(t["qfmt"]), str(t["afmt"])) for t in model["tmpls"]), str(model["css"]))
    present: set[str] = set()
    clashing: set[str] = set()
    folder = media_folder(collection)
    for deck in decks:
        for name, data in deck.media.items():
            path = folder / name
            if path.is_file():
                (present if path.read_bytes() == data else clashing).add(name)
    return Holdings(notes, notetypes, state, frozenset(present), frozenset(clashing))


def _apply(col: Collection, plan: Plan, work: Path, now: int) -> None:
    """Carry out the plan on the (copied) collection ``col``."""
    for notetype in plan.notetypes:  # in place: same id, same fields; never a copy
        model = col.models.get(NotetypeId(notetype.id))
        assert model is not None
        template = model["tmpls"][0]
        template["name"], template["qfmt"], template["afmt"] = notetype.template_name, notetype.front, notetype.back
        model["css"] = notetype.css
        col.models.update_dict(model)
    for index, (deck, notes) in enumerate(plan.additions):
        _add_notes(col, deck, notes, work / f"add-{index}.apkg", now)
    _hold_for_test("notes-added")
    if plan.writes:
        changed = []
        for write in plan.writes:
            note = col.get_note(NoteId(write.note_id))
            if write.fields is not None:
                note.fields = list(write.fields)
            if write.tags is not None:
                note.tags = list(write.tags)
            changed.append(note)
        col.update_notes(changed)
    _hold_for_test("notes-written")
    for deck_name, card_ids in plan.moves:
        deck_id = col.decks.id(deck_name)
        assert deck_id is not None
        col.set_deck([CardId(card) for card in card_ids], deck_id)
    if plan.unsuspend:
        col.sched.unsuspend_cards([CardId(card) for card in plan.unsuspend])
    if plan.suspend:
        col.sched.suspend_cards([CardId(card) for card in plan.suspend])
    if plan.tag_removed:
        col.tags.bulk_add([NoteId(note) for note in plan.tag_removed], REMOVED_TAG)
    if plan.delete_cards:
        col.remove_cards_and_orphaned_notes([CardId(card) for card in plan.delete_cards])
    if plan.delete_notes:
        col.remove_notes([NoteId(note) for note in plan.delete_notes])
    state = dict(plan.state)
    assert col.db is not None
    restamp = sorted(set(plan.restamp))
    for start in range(0, len(restamp), 500):
        chunk = restamp[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for guid, fields in col.db.all(f"select guid, flds from notes where guid in ({marks})", *chunk):
            state[guid] = dataclasses.replace(state[guid], stored=fields_hash(str(fields).split("\x1f")))
    if plan.state_changed or restamp:
        col.set_config(STATE_KEY, encode_state(state))


def _add_notes(col: Collection, deck: DeckCards, notes: Sequence[Any], package: Path, now: int) -> None:
    """Add new notes with Anki's .apkg importer (keeps GUIDs and our notetype ids; makes the deck if missing)."""
    from ankigen.apkg import apkg_bytes

    package.write_bytes(apkg_bytes(dataclasses.replace(deck, notes=tuple(notes), media={}),
                                   {note.guid: now for note in notes}))
    config_before = col.all_config()
    options = ImportAnkiPackageOptions(
        merge_notetypes=False, update_notes=IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_NEVER,
        update_notetypes=IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_NEVER, with_scheduling=False, with_deck_configs=False)
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options)).log
    _restore_config(col, config_before)
    if len(log.new) != len(notes):
        raise RuntimeError(f"Anki's importer added {len(log.new)} of {len(notes)} new notes; nothing was written")
    ours = ankigen_notetype_ids()
    assert col.db is not None
    marks = ",".join("?" * len(notes))
    mids = col.db.list(f"select distinct mid from notes where guid in ({marks})", *[note.guid for note in notes])
    if not set(mids) <= ours:
        raise RuntimeError("Anki's importer put new notes in a copy of an ankigen notetype; nothing was written")


def _restore_config(col: Collection, before: Mapping[str, Any]) -> None:
    """Undo what an import wrote to the collection's config (it keeps its options as the next import's presets)."""
    after = col.all_config()
    for key in sorted(set(before) | set(after)):
        if key not in before:
            col.remove_config(key)
        elif after.get(key) != before[key]:
            col.set_config(key, before[key])


def _backup(col: Collection, folder: Path) -> Path | None:
    """A backup of the collection as it is before this sync, as Anki makes them; the newest one there."""
    folder.mkdir(parents=True, exist_ok=True)
    col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
    # False means Anki found no change since its latest backup, which then is this collection.
    backups = sorted(folder.glob("backup-*.colpkg"), key=lambda path: path.stat().st_mtime)
    return backups[-1] if backups else None


def _write_media(folder: Path, media: Mapping[str, bytes]) -> tuple[str, ...]:
    """Add ankigen's media files (content-addressed names, so a file written by a sync that then fails is harmless)."""
    written = []
    if media and folder.is_dir():  # what a killed sync left half-written (we hold the lock: no sync is running)
        for stale in folder.glob(".ankigen-*.ankigen-tmp-*"):
            stale.unlink(missing_ok=True)
    for name in sorted(media):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        temp = folder / f".{name}.ankigen-tmp-{os.getpid()}"
        temp.write_bytes(media[name])
        os.replace(temp, target)
        written.append(name)
    return tuple(written)


def _open(path: Path) -> Collection:
    try:
        return Collection(str(path), backend=RustBackend(langs=["en"]))
    except DBError as exc:
        raise CollectionProblem(f"Anki cannot open it: {exc}") from exc


@contextlib.contextmanager
def _work_folder(collection: Path, parent: str | None = None) -> Iterator[Path]:
    """A scratch folder for the copy: beside the collection (so the copy can replace it), or in ``parent``.

    Leftovers of a killed sync of this collection are removed first (we hold its lock, so none is running).
    """
    where = Path(parent) if parent else collection.parent
    prefix = f"{_WORK_PREFIX}{collection.name}-"
    if parent is None:
        for old in where.glob(prefix + "*"):
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Locked:
    """The collection, checked not to be in use and then held against every SQLite user until we are done."""

    def __init__(self, path: Path, write: bool) -> None:
        self.path = path.resolve()  # a symbolic link is followed: the collection itself gets replaced
        self.write = write
        self.fd = -1

    def __enter__(self) -> _Locked:
        if not self.path.is_file():
            raise CollectionProblem("no such file")
        self._settle()
        try:
            self.fd = os.open(self.path, os.O_RDWR if self.write else os.O_RDONLY)
        except OSError as exc:
            raise CollectionProblem(f"cannot open it for {'writing' if self.write else 'reading'}: "
                                    f"{exc.strerror}") from exc
        try:
            _lock_bytes(self.fd, self.write)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _settle(self) -> None:
        """Try SQLite on it: locked means in use. A log left by a crashed Anki is checkpointed in, as Anki does."""
        try:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=rw", uri=True, timeout=0,
                                         isolation_level=None)
            try:
                connection.execute("PRAGMA locking_mode=EXCLUSIVE")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                connection.execute("SELECT count() FROM sqlite_master").fetchall()
                if connection.execute("SELECT count() FROM sqlite_master WHERE name = 'notes'").fetchone()[0] != 1:
                    raise CollectionProblem("not an Anki collection")
            finally:
                connection.close()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise CollectionBusy() from exc
            raise CollectionProblem(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise CollectionProblem(f"not an Anki collection ({exc})") from exc

    def copy_to(self, target: Path) -> None:
        """Copy the collection through our own descriptor (opening the file again would drop our lock)."""
        with open(target, "wb") as out:
            offset = 0
            while chunk := os.pread(self.fd, 1 << 20, offset):
                out.write(chunk)
                offset += len(chunk)

    def replace_with(self, copy: Path) -> None:
        """Put the finished copy in the original's place, atomically, while still holding the original."""
        for suffix in ("-wal", "-journal"):
            sidecar = Path(f"{self.path}{suffix}")
            if sidecar.exists() and sidecar.stat().st_size:
                raise RuntimeError(f"{sidecar.name} appeared beside the collection; nothing was written")
            if Path(f"{copy}{suffix}").exists():
                raise RuntimeError(f"Anki left {copy.name}{suffix} behind; nothing was written")
        os.chmod(copy, stat.S_IMODE(os.fstat(self.fd).st_mode))
        fd = os.open(copy, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if sys.platform == "win32":  # Windows cannot replace a file that is open
            self.__exit__()
        os.replace(copy, self.path)
        if sys.platform != "win32":
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


def _lock_bytes(fd: int, exclusive: bool) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _LOCK_START, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, _LOCK_SIZE)
        except OSError as exc:
            raise CollectionBusy() from exc
    else:
        import fcntl

        try:
            fcntl.lockf(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB, _LOCK_SIZE, _LOCK_START,
                        os.SEEK_SET)
        except OSError as exc:
            raise CollectionBusy() from exc


def _hold_for_test(stage: str) -> None:
    """Tests only: with ANKIGEN_TEST_SYNC_HOLD=stage:path, say so in ``path`` and wait here to be killed."""
    wanted, _, marker = os.environ.get(TEST_HOLD_ENV, "").partition(":")
    if wanted == stage and marker:
        Path(marker).write_text(stage, "utf-8")
        time.sleep(60)

