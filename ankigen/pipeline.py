"""Build and check: gather every source, validate all of it, then (and only then) write.

No writer runs while any source has an error, so a failed build leaves decks/
exactly as it was. Each deck is compared with its previous build (the lock
file): unchanged decks are not rewritten, changed notes get a newer
modification time so Anki updates them in place.

For speed (bench/run.py measures it): a deck built from the very same source
bytes, options and ankigen version, and the very same images (every other file
it read), whose outputs are still what was written, is skipped without being
parsed (its warnings were shown when it was built; ``ankigen check`` shows
them all); big builds make their decks on every core.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from ankigen import __version__, allocator
from ankigen.atomic import OutputError, Pending, Stager, build_folder, replace_all, stage_bytes
from ankigen.digests import FileDigests
from ankigen.errors import Diagnostic, error, warning
from ankigen.identity import (
    Appeared,
    Identities,
    Vanished,
    appeared,
    made_guid,
    match_moves,
    note_path,
    vanished_keys,
)
from ankigen.lockfile import (
    LATEST_TIME,
    LOCK_NAME,
    LOCK_VERSION,
    DeckState,
    DeckSummary,
    Lock,
    NoteState,
    changed_lock,
    read_lock,
)
from ankigen.model import DeckSource, Location, Text
from ankigen.parallel import map_in_threads, run_jobs, worker_count
from ankigen.retired import REMOVED_TAG, retire_decks, retiring_decks
from ankigen.revision import NOTETYPES_FINGERPRINT

if TYPE_CHECKING:  # imported where used: a rebuild that finds nothing to do needs none of them
    from ankigen.cards import DeckCards, Note
    from ankigen.cloze_numbers import Memory

SOURCE_SUFFIXES = (".yaml", ".yml")
DEFAULT_SOURCES = "cards"
FORMATS = ("apkg", "html")


class BuildOptions(NamedTuple):
    formats: tuple[str, ...] = FORMATS
    answers: str = "key"  # the sheet's answers: "key" (at the end) or "inline"
    layout: str = "sheet"  # the sheet's layout: "sheet" or "cards"
    one_package: str = ""  # also write every deck into one package of this file name (see one_package.py)

    def describe(self) -> str:
        return f"formats={','.join(self.formats)};answers={self.answers};layout={self.layout}"


DEFAULT_OPTIONS = BuildOptions()


class Changes(NamedTuple):
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    moved: tuple[str, ...] = ()  # notes that moved here, keeping their GUID: "myth/item (was other/item)"

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.moved)


class DeckReport(NamedTuple):
    key: str
    name: str
    myth_notes: int
    cloze_notes: int
    myth_cards: int
    cloze_cards: int
    outputs: tuple[Path, ...]
    written: tuple[Path, ...]  # the outputs this run (re)wrote, or would write under --check
    changes: Changes
    source_path: str = ""  # the source as messages show it (for `build -v`: see note_locations)


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reports: list[DeckReport] = field(default_factory=list)
    lock_written: bool = False
    sources: int = 0  # how many source files were read (for `check`'s count)
    messages: list[str] = field(default_factory=list)  # what became of decks whose source is gone
    # Every file the decks read or looked for besides their sources (images): what `watch` watches too.
    inputs: set[Path] = field(default_factory=set)
    one_package: Path | None = None  # the package of every deck, when this build (re)wrote it (or would)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def json_schema() -> str:
    """The JSON Schema of the source format (for `ankigen schema`: the CLI reaches stages through here)."""
    from ankigen.loader import json_schema as schema

    return schema()


def display_path(path: Path) -> str:
    """Paths in messages: relative to the working directory when inside it, with '/'; bytes that are
    not UTF-8 in a name shown as ``\\xff``."""
    name, cwd = path.name, os.getcwd()
    if name in ("", ".", "..") or path.is_symlink():
        shown = _relative_to(path.resolve(), cwd)
    else:  # the folder's part worked out once for all the files in it (a build shows hundreds)
        folder = _shown_folder(os.fspath(path.parent), cwd)
        if folder is None:  # the folder is outside the working directory: the file is outside too, or is it
            shown = "." if _resolved(os.path.join(cwd, path.parent)) / name == _resolved(cwd) else None
        else:
            shown = name if folder == "." else f"{folder}/{name}"
    if shown is None:
        shown = path.as_posix()
    return shown if _is_utf8(shown) else shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _relative_to(resolved: Path, cwd: str) -> str | None:
    """``resolved`` relative to the working directory ``cwd``, with '/'; None when it is outside it."""
    try:
        return resolved.relative_to(_resolved(cwd)).as_posix()
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _shown_folder(folder: str, cwd: str) -> str | None:
    """A folder as ``display_path`` shows the files in it: relative to ``cwd`` ('.' for ``cwd`` itself)."""
    return _relative_to(_resolved(os.path.join(cwd, folder)), cwd)


def _is_utf8(name: str) -> bool:
    """Whether a file name as Python reads it was valid UTF-8 (other bytes come as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _resolved_path(path: Path) -> Path:
    """``path.resolve()``, its folder resolved once for all the files in it (a build names hundreds)."""
    if path.name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    return _resolved(os.path.join(os.getcwd(), path.parent)) / path.name


@functools.lru_cache(maxsize=64)
def _resolved(folder: str) -> Path:
    """A folder (the working directory, a folder of sources), resolved once for a build's hundreds of paths.

    Callers name it from the root (joined to the working directory, not normalised: '..' after a link is
    resolved as the link says), so a process that changes its working directory is not shown stale paths."""
    return Path(folder).resolve()


def lock_path(path: Path, out_root: Path) -> str:
    """A source as the lock names it: relative to the lock's folder (``out_root``, resolved), with '/', so any
    working directory agrees."""
    return Path(os.path.relpath(_resolved_path(path), out_root)).as_posix()


def discover_sources(paths: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """The source files named (folders are searched for .yaml/.yml), sorted so builds never depend on listing order.

    Nothing is skipped without a word: a suffix in capitals ('X.YAML') is a
    source like any other, links to folders are followed (each folder is
    searched once, and a link to one already searched is reported), a link to
    a missing source, a folder without sources and a name that is not UTF-8 are
    errors.
    """
    problems: list[Diagnostic] = []
    found: set[Path] = set()
    for name in paths or [DEFAULT_SOURCES]:
        path = Path(name)
        if path.is_dir():
            here = _sources_under(path, problems)
            if not here:
                problems.append(error(Location(display_path(path), 1, 1), "no sources in this folder",
                                      "sources are files ending in .yaml or .yml; see the README for an example"))
            found.update(here)
        elif path.is_file():
            found.add(path)
        else:
            hint = "run ankigen in the folder that holds cards/, or name the sources" if not paths else \
                "check the spelling; name .yaml files or folders that hold them"
            problems.append(error(Location(display_path(path), 1, 1), "no such file or folder", hint))
    for path in sorted(found):
        if not _is_utf8(os.fspath(path)):
            found.discard(path)
            problems.append(error(Location(display_path(path), 1, 1), "the file's name is not valid UTF-8",
                                  "rename it: ankigen shows file names and keeps them in the lock as UTF-8 text"))
    return sorted(found, key=lambda p: p.as_posix()), problems


def _sources_under(folder: Path, problems: list[Diagnostic]) -> list[Path]:
    """The sources in ``folder`` and below, links to folders followed, each folder searched once."""
    found: list[Path] = []
    searched: dict[tuple[int, int], Path] = {}
    pending = [folder]
    while pending:
        start = pending.pop(0)
        identity = _folder_identity(start)
        if identity is None:
            continue
        if identity in searched:
            problems.append(warning(Location(_link_path(start), 1, 1),
                                    f"a link to a folder already searched ({_link_path(searched[identity])})",
                                    "its sources are read once, from there"))
            continue
        links: list[Path] = []
        for top, folders, names in os.walk(start):  # links to folders are listed, not entered
            here = Path(top)
            identity = _folder_identity(here)
            if identity is None or (here != start and identity in searched):
                folders[:] = []
                continue
            searched[identity] = here
            for child in folders:
                link = here / child
                if not link.is_symlink():
                    continue
                if here.resolve().is_relative_to(link.resolve()):
                    problems.append(warning(Location(_link_path(link), 1, 1),
                                            f"a link to a folder that holds it ({display_path(link)}); not followed",
                                            "link to a folder beside or below it, or delete the link"))
                else:
                    links.append(link)
            for child in names:
                path = here / child
                if path.suffix.lower() not in SOURCE_SUFFIXES:
                    continue
                if path.is_file():
                    found.append(path)
                elif path.is_symlink() and not path.exists():
                    problems.append(error(Location(_link_path(path), 1, 1), "a link to a file that does not exist",
                                          "point the link at a source, or delete it"))
        pending += sorted(links)
    return found


def _link_path(link: Path) -> str:
    """A link as messages show it: its own path, not where it points."""
    return f"{display_path(link.parent)}/{link.name}"


def _folder_identity(folder: Path) -> tuple[int, int] | None:
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


class _Loaded(NamedTuple):
    path: Path
    raw: bytes
    source: DeckSource
    deck: DeckCards


def load_decks(paths: Sequence[str], lint: bool = True) -> tuple[list[_Loaded], list[Diagnostic]]:
    """Load, validate and derive every source; the decks are usable only if there are no errors."""
    return _load_decks(discover_sources(paths), lint)


def _load_decks(found: tuple[list[Path], list[Diagnostic]], lint: bool) -> tuple[list[_Loaded], list[Diagnostic]]:
    files, diagnostics = found
    loaded: list[_Loaded] = []
    for path in files:
        file = _SourceFile(path, display_path(path), _read_source(path))
        source, deck, problems = _load_deck(file, full_lint=lint)
        diagnostics.extend(problems)
        if source is not None and deck is not None:
            loaded.append(_Loaded(path, file.raw or b"", source, deck))
    diagnostics.extend(_duplicate_decks(_DeckId.of(item.source) for item in loaded))
    diagnostics.sort(key=lambda d: d.sort_key)
    return loaded, diagnostics


def _load_deck(file: _SourceFile, full_lint: bool, number: Callable[[DeckSource], DeckSource] | None = None
               ) -> tuple[DeckSource | None, DeckCards | None, list[Diagnostic]]:
    """Parse, validate and derive one source; ``full_lint`` adds the card-quality rules to the identity one.

    ``number`` gives the cloze deletions the numbers the lock remembers (a build's; a check numbers by place).
    """
    from ankigen.cards import derive_deck, image_problems
    from ankigen.lint import identity_warnings, lint_deck
    from ankigen.loader import load_source, parse_source

    texts: list[Text] = []
    if file.raw is None:  # unreadable or too large, as the loader will say
        source, diagnostics = load_source(file.path, file.shown)
    else:
        source, diagnostics = parse_source(file.raw, file.shown, base_dir=str(file.path.parent), texts=texts)
    if source is None:  # its images are checked all the same: every mistake of a file in one run
        return None, None, diagnostics + image_problems(texts, str(file.path.parent))
    if number is not None and not any(d.severity == "error" for d in diagnostics):
        source = number(source)
    deck, problems = derive_deck(source)
    diagnostics += problems + (lint_deck(source, deck) if full_lint else identity_warnings(source))
    return source, deck, diagnostics


class _DeckId(NamedTuple):
    """What the check for duplicate deck ids needs of a source (not the whole parsed source)."""

    key: str
    path: str
    location: Location

    @staticmethod
    def of(source: DeckSource) -> _DeckId:
        """The deck's id, located at its 'id:' line (or the file's start, for an id taken from the file name)."""
        return _DeckId(source.key, source.path, source.key_location or source.location)


def _duplicate_decks(decks: Iterable[_DeckId]) -> list[Diagnostic]:
    first: dict[str, Location] = {}
    problems = []
    for deck in decks:
        if deck.key in first:
            other = first[deck.key]
            problems.append(error(deck.location, f"deck id '{deck.key}' is already used by {other.path}:{other.line}",
                                  "give this deck its own 'id:'"))
        else:
            first[deck.key] = deck.location
    return problems


def note_locations(source_path: str) -> dict[str, Location]:
    """Where each note of a source is written, by its key, as it reads now (for `build -v`).

    Read again only when asked, so a build does not carry a location per note
    from its worker processes for the few it names.
    """
    from ankigen.cards import derive_deck
    from ankigen.loader import load_source

    source, _ = load_source(Path(source_path), source_path)
    if source is None:
        return {}
    deck, _ = derive_deck(source)
    return {note.key: note.location for note in deck.notes}


def check(paths: Sequence[str]) -> Outcome:
    """Validate sources without writing anything."""
    found = discover_sources(paths)
    loaded, diagnostics = _load_decks(found, lint=True)
    outcome = Outcome(diagnostics, sources=len(found[0]))
    if not outcome.errors:
        outcome.reports = [_report(item.deck, (), (), Changes(unchanged=len(item.deck.notes))) for item in loaded]
    return outcome


def build(paths: Sequence[str], out_dir: Path, options: BuildOptions = DEFAULT_OPTIONS,
          dry_run: bool = False, now: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Build every deck into ``out_dir``; with ``dry_run`` only report what would be written (for --check).

    A deck whose source bytes, options and ankigen version are what its lock
    entry was built from, whose other inputs (images) and outputs still hash as
    the lock says, is not even parsed. The others are built (on every core when
    there is enough to do), and their outputs written only once no deck has an
    error, all staged before any is put in place.
    ``progress(done, total)`` is told as decks are finished.
    """
    with _cycle_collector_paused():
        return _build(paths, out_dir, options, dry_run, now, progress)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A build makes millions of small objects and keeps most to its end; reference counting frees
    the rest, as builds make no reference cycles worth collecting. The cycle collector would scan
    the ever bigger heap again and again for nothing: a third of a big build's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(paths: Sequence[str], out_dir: Path, options: BuildOptions, dry_run: bool, now: int | None,
           progress: Callable[[int, int], None] | None) -> Outcome:
    files, diagnostics = discover_sources(paths)
    shown = [display_path(path) for path in files]
    out_root = out_dir.resolve()
    locked = [lock_path(path, out_root) for path in files]
    now = now if now is not None else build_time()
    lock = read_lock(out_dir)
    if lock.version < 3:  # its sources are relative to where that build ran: take it to be here
        for state in lock.decks.values():
            state.source = lock_path(Path(state.source), out_root)
    if dry_run:
        return _build_into(files, shown, locked, diagnostics, lock, out_dir, options, dry_run, now, None, progress)
    with build_folder(out_dir) as token, Stager(token) as stager:
        return _build_into(files, shown, locked, diagnostics, lock, out_dir, options, dry_run, now, stager,
                           progress)


def _build_into(files: list[Path], shown: list[str], locked: list[str], diagnostics: list[Diagnostic], lock: Lock,
                out_dir: Path, options: BuildOptions, dry_run: bool, now: int, stager: Stager | None,
                progress: Callable[[int, int], None] | None) -> Outcome:
    """Build, then stage every changed output and the lock as temp files, and only then rename them all.

    A build that fails at any point leaves every file in ``out_dir`` as it was
    (``build_folder`` removes its temp files); see replace_all for a crash while renaming.
    """
    by_source = {state.source: key for key, state in lock.decks.items()}
    digests = FileDigests.for_folder(out_dir)
    unchanged = map_in_threads(lambda index: _unchanged_deck(files[index], locked[index], options, lock, by_source,
                                                             out_dir, digests),
                               range(len(files)), max(2, os.cpu_count() or 1))  # hashing and reading release the GIL
    settled = {index: report for index, report in enumerate(unchanged) if report is not None}
    digests.save()
    token = stager.token if stager is not None else ""
    context = _BuildContext(out_dir, options, lock, now, dry_run, lock.latest, token=token)
    made: dict[int, _Made] = {}

    def make(indexes: list[int]) -> None:
        jobs = [_SourceFile(files[index], shown[index], _read_source(files[index]), locked[index])
                for index in indexes]
        for job in jobs:  # read their notes from the lock here, where a damaged lock stops the build at once
            if job.in_lock in by_source:
                lock.decks[by_source[job.in_lock]].read_rows()
        weights = [len(job.raw or b"") for job in jobs]
        source_bytes = sum(weights)
        in_workers = worker_count(len(jobs), source_bytes) > 1
        if source_bytes >= allocator.MIN_BYTES:
            allocator.keep_freed_memory()  # before the workers fork: they keep it too

        def done(count: int, result: _Made) -> _Made:
            if in_workers and stager is not None:  # flushed to disk here, while the workers go on
                result.outputs = {target: stager.flush(temp, target) if isinstance(temp, Path) else temp
                                  for target, temp in result.outputs.items()}
            if progress:
                progress(len(settled) + len(made) + count, len(files))
            return result

        # Workers write their outputs to temp files; in this process a thread does it while the next deck is made.
        job_context = context._replace(stager=None if in_workers else stager)
        results = run_jobs(_make_deck, job_context, jobs, weights, done)
        made.update(zip(indexes, results, strict=True))

    if progress:
        progress(len(settled), len(files))
    make([index for index in range(len(files)) if index not in settled])
    # A new deck that takes the id of an unchanged one is an error reported at the later file: load both.
    taken = {result.deck.key for result in made.values() if result.deck is not None}
    make([index for index, report in settled.items() if report.key in taken])
    for index in made:
        settled.pop(index, None)
    for result in made.values():
        diagnostics.extend(result.diagnostics)
    diagnostics.extend(_duplicate_decks(result.deck for _, result in sorted(made.items()) if result.deck is not None))
    retiring: dict[str, DeckState] = {}
    if not any(d.severity == "error" for d in diagnostics):
        built = {report.key for report in settled.values()} | {r.deck.key for r in made.values() if r.deck}
        retiring = retiring_decks(lock, built, set(locked), out_dir)
        moves, problems = _find_moves(made, retiring, lock)
        diagnostics.extend(problems)
        if moves:  # build again the decks that notes moved from or to, now knowing which
            context = context._replace(carried=moves, moved_out=frozenset(guid for guid, _ in moves.values()))
            again = sorted(index for index, result in made.items() if result.deck is not None and (
                any(a.path in moves for a in result.appeared) or
                any(v.guid in context.moved_out for v in result.vanished)))
            for index in again:
                made.pop(index).discard()
            make(again)
    diagnostics.sort(key=lambda d: d.sort_key)
    outcome = Outcome(diagnostics)
    for index, path in enumerate(files):
        locked_state = lock.decks.get(by_source.get(locked[index], ""))
        names = {*(locked_state.reads or {} if locked_state else {}), *(made[index].reads if index in made else {})}
        outcome.inputs.update(path.parent / name for name in names)
    if outcome.errors:
        return outcome
    pending: list[tuple[Path, Output]] = []  # target, and its new bytes or the temp file holding them
    for index in range(len(files)):
        if index in settled:
            outcome.reports.append(settled[index])
            continue
        result = made[index]
        assert result.deck is not None and result.report is not None and result.state is not None
        pending += result.outputs.items()
        lock.decks[result.deck.key] = result.state
        outcome.reports.append(result.report)
    rebuilt = {result.deck.key for result in made.values() if result.deck is not None} | set(retiring)
    lock.guids = {path: guid for path, guid in lock.guids.items() if path.split("/")[0] not in rebuilt}
    for result in made.values():
        lock.guids.update(result.moved)
    retired: list[tuple[Path, bytes | None]] = []  # what retiring decks writes (or removes, None)
    outcome.messages = retire_decks(lock, retiring, context.moved_out, out_dir, context.now, dry_run, set(locked),
                                    retired)
    if options.one_package:
        from ankigen.one_package import changed_one_package

        new = {path: data.result() if isinstance(data, Pending) else data for path, data in pending}
        written = changed_one_package(lock, out_dir, options.one_package, new | dict(retired), dry_run)
        if written is not None:
            outcome.one_package = written[0]
            pending += [(written[0], written[1])] if written[1] is not None else []
    # With every deck skipped the lock is as it was read: no need to write it out to compare.
    new_lock = changed_lock(out_dir, lock) if made or not settled or retiring else None
    outcome.lock_written = new_lock is not None
    if not dry_run:
        pending += [(path, data) for path, data in retired if data is not None]
        _put_in_place(pending, [path for path, data in retired if data is None], new_lock, out_dir, token)
    return outcome


def _put_in_place(outputs: list[tuple[Path, Output]], removals: list[Path], lock: bytes | None,
                  out_dir: Path, token: str) -> None:
    """Stage every output not staged yet, then rename them all into place, remove ``removals``, and
    rename the lock last: it never names outputs that are not in place (see atomic.replace_all)."""
    staged = [(_staged(target, new, token), target) for target, new in outputs]
    if lock is not None:
        staged.append((stage_bytes(out_dir / LOCK_NAME, lock, token), out_dir / LOCK_NAME))
    replace_all(staged[:-1] if lock is not None else staged)
    try:
        for path in removals:
            path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(os.fspath(path), "remove", exc.errno or 0, exc.strerror or str(exc),
                          written=bool(staged)) from exc
    if lock is not None:
        replace_all(staged[-1:], written=len(staged) > 1 or bool(removals))


def _staged(target: Path, new: Output, token: str) -> Path:
    """The temp file holding ``target``'s new bytes, once they are there."""
    if isinstance(new, Pending):
        return new.result()
    return new if isinstance(new, Path) else stage_bytes(target, new, token)


def _find_moves(made: dict[int, _Made], retiring: dict[str, DeckState], lock: Lock
                ) -> tuple[dict[str, tuple[str, NoteState]], list[Diagnostic]]:
    """The notes that moved in this build: path now -> the GUID and lock state they keep (see identity.py)."""
    appeared = [note for result in made.values() for note in result.appeared]
    vanished = [note for result in made.values() for note in result.vanished]
    vanished += [Vanished(note_path(key, old.key), guid, vanished_keys(old.key))
                 for key, state in retiring.items() for guid, old in state.notes.items()]
    if not appeared or not vanished:
        return {}, []
    matches, problems = match_moves(appeared, vanished)
    return {path: (old.guid, lock.decks[old.path.split("/")[0]].notes[old.guid]._replace(key=old.path))
            for path, old in matches.items()}, problems  # (the state named by its old path, for the report)


# A new output: its bytes, or the temp file holding them (staged, or being staged by a Stager).
Output = bytes | Path | Pending[Path]


class _SourceFile(NamedTuple):
    path: Path
    shown: str  # the path as messages show it
    raw: bytes | None  # None when it cannot be read or is too large: the loader says why
    in_lock: str = ""  # the path as the lock names it (see lock_path)


def _read_source(path: Path) -> bytes | None:
    from ankigen.loader import MAX_SOURCE_BYTES

    try:
        return path.read_bytes() if path.stat().st_size <= MAX_SOURCE_BYTES else None
    except OSError:
        return None


class _BuildContext(NamedTuple):
    out_dir: Path
    options: BuildOptions
    lock: Lock
    now: int
    dry_run: bool
    latest: int = 0  # the newest time the lock holds: a new (or restored) note is stamped later than any
    carried: Mapping[str, tuple[str, NoteState]] = MappingProxyType({})  # path -> GUID and state it moved with
    moved_out: frozenset[str] = frozenset()  # GUIDs that moved to another place: not retired where they were
    token: str = ""  # names this build's temp files (see atomic.build_folder)
    stager: Stager | None = None  # in this process: stage outputs in a thread (None: a worker writes its own,
    # and the main process flushes them: see _build_into's done)


@dataclass
class _Made:
    """One deck built, not yet written: its problems, or its report, lock entry and new outputs."""

    diagnostics: list[Diagnostic]
    deck: _DeckId | None = None
    report: DeckReport | None = None
    state: DeckState | None = None
    outputs: dict[Path, Output] = field(default_factory=dict)  # target -> new bytes, or its staged temp file
    appeared: list[Appeared] = field(default_factory=list)  # notes new at their place: may have moved here
    vanished: list[Vanished] = field(default_factory=list)  # notes gone from their place: may have moved
    moved: dict[str, str] = field(default_factory=dict)  # path -> GUID of its notes whose GUID its ids do not make
    reads: Mapping[str, str] = field(default_factory=dict)  # the deck's other inputs (see DeckCards.reads)

    def discard(self) -> None:
        """Remove the outputs this deck staged (it is being built again)."""
        for new in self.outputs.values():
            if isinstance(new, Pending) and new.exception() is None:
                new = new.result()
            if isinstance(new, Path):
                new.unlink(missing_ok=True)


def _make_deck(context: _BuildContext, file: _SourceFile) -> _Made:
    """Load, check and build one deck (in a worker process when the build is big).

    Of the lint rules, a build runs only the identity one: the card-quality
    rules cost as much as rendering and belong to ``ankigen check``.
    """
    from ankigen.cloze_numbers import renumber_deck

    memories: dict[str, tuple[int, Memory]] = {}
    identities = Identities(context.lock.guids | {path: guid for path, (guid, _) in context.carried.items()})
    carried = {guid: state for guid, state in context.carried.values()}

    def number(source: DeckSource) -> DeckSource:
        nonlocal memories
        known = _states_by_key(context.lock.decks.get(source.key))
        for path, (_, state) in context.carried.items():
            if path.startswith(source.key + "/"):
                known[path[len(source.key) + 1:]] = state
        source, memories = renumber_deck(source, lambda key: _recall(known.get(key)))
        return source

    source, deck, diagnostics = _load_deck(file, full_lint=False, number=number)
    if source is None or deck is None:
        return _Made(diagnostics)
    if any(d.severity == "error" for d in diagnostics):
        return _Made(diagnostics, _DeckId.of(source), reads=deck.reads)
    if identities.moved:  # some notes keep a GUID their ids no longer make
        notes = tuple(note if (guid := identities.guid(deck.key, note.key)) == note.guid else
                      dataclasses.replace(note, guid=guid) for note in deck.notes)
        deck = dataclasses.replace(deck, notes=notes)
    raw = file.raw if file.raw is not None else file.path.read_bytes()
    previous = context.lock.decks.get(source.key)
    report, state, outputs = _build_deck(deck, raw, file.in_lock, context.out_dir, context.options,
                                         previous, context.now, context.latest, memories, carried,
                                         context.moved_out)
    new: dict[Path, Output] = {}
    if not context.dry_run:
        from ankigen.mathml import save_typesetting

        save_typesetting()  # here, where worker processes have what they typeset
        for target in report.written:
            new[target] = context.stager.stage(target, outputs[target]) if context.stager is not None else \
                stage_bytes(target, outputs[target], context.token, flush=False)
    new_here = appeared(source, (note.key for note in deck.notes if note.guid not in carried and
                                 (previous is None or note.guid not in previous.notes))) \
        if context.lock.decks else []  # with no deck in the lock, no note can have moved
    vanished = [Vanished(note_path(deck.key, old.key), guid, vanished_keys(old.key))
                for guid, old in (previous.notes.items() if previous else ()) if guid not in state.notes]
    moved = {note_path(deck.key, note.key): note.guid for note in deck.notes
             if note.guid != made_guid(deck.key, note.key)} if identities.moved else {}
    return _Made(diagnostics, _DeckId.of(source), report, state, new, new_here, vanished, moved, deck.reads)


def built_decks(paths: Sequence[str], out_dir: Path) -> tuple[list[DeckCards], list[Diagnostic]]:
    """The decks as the last build into ``out_dir`` made them: cloze numbers and moved notes' GUIDs from its lock.

    For ``ankigen sync``, which builds first: with the lock just written, this
    derives the very notes that build wrote (a rebuild keeps every number and GUID).
    """
    from ankigen.cloze_numbers import renumber_deck

    files, diagnostics = discover_sources(paths)
    out_root = out_dir.resolve()
    lock = read_lock(out_dir)
    identities = Identities(lock.guids)
    decks: list[DeckCards] = []
    ids_seen: list[_DeckId] = []
    for path in files:
        file = _SourceFile(path, display_path(path), _read_source(path), lock_path(path, out_root))

        def number(source: DeckSource) -> DeckSource:
            previous = lock.decks.get(source.key)
            if previous is not None:
                previous.read_rows()
            known = _states_by_key(previous)
            return renumber_deck(source, lambda key: _recall(known.get(key)))[0]

        source, deck, problems = _load_deck(file, full_lint=False, number=number)
        diagnostics.extend(problems)
        if source is not None:
            ids_seen.append(_DeckId.of(source))
        if deck is not None and identities.moved:
            deck = dataclasses.replace(deck, notes=tuple(
                dataclasses.replace(note, guid=identities.guid(deck.key, note.key)) for note in deck.notes))
        if deck is not None:
            decks.append(deck)
    diagnostics.extend(_duplicate_decks(ids_seen))
    diagnostics.sort(key=lambda d: d.sort_key)
    return decks, diagnostics


def _states_by_key(previous: DeckState | None) -> dict[str, NoteState]:
    """A deck's notes in the lock by their key ("myth/item"), also those removed by its last build."""
    if previous is None:
        return {}
    return {state.key: state for state in previous.removed.values()} | \
        {state.key: state for state in previous.notes.values()}


def _recall(state: NoteState | None) -> tuple[int, Memory] | None:
    """The cloze numbers the lock remembers for a note, if any."""
    return (state.high, state.clozes) if state is not None and state.high else None


def _unchanged_deck(source: Path, in_lock: str, options: BuildOptions, lock: Lock, by_source: dict[str, str],
                    out_dir: Path, digests: FileDigests) -> DeckReport | None:
    """The report for a deck built from these very inputs whose outputs are as built; None if it needs building.

    What the report says of the deck comes from the lock's summary of it.
    """
    key = by_source.get(in_lock)
    if key is None:
        return None
    state = lock.decks[key]
    if state.summary is None:
        return None
    source_digest = digests.sha256(source)
    if source_digest is None or state.inputs != _inputs_digest(in_lock, source_digest, options):
        return None
    if state.reads is None or any(digests.sha256(source.parent / name) != digest
                                  for name, digest in state.reads.items()):
        return None  # an image changed or is gone (building says where it is used), or an older lock
    names = [f"{key}.{kind}" for kind in options.formats]
    if sorted(state.outputs) != sorted(names):
        return None
    if any(digests.sha256(out_dir / name) != state.outputs[name] for name in names):
        return None
    summary = state.summary
    return DeckReport(key, summary.name, summary.myth_notes, summary.cloze_notes, summary.myth_cards,
                      summary.cloze_cards, tuple(out_dir / name for name in names), (),
                      Changes(unchanged=summary.myth_notes + summary.cloze_notes))


class SettingError(ValueError):
    """An environment variable ankigen reads holds a value it cannot use: wrong usage, not a bug."""


def build_time() -> int:
    """The time stamped on notes that changed: SOURCE_DATE_EPOCH when set (and not empty), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return int(time.time())
    if not (epoch.isascii() and epoch.isdigit()) or int(epoch) > LATEST_TIME:
        shown = epoch if len(epoch) <= 30 else epoch[:27] + "..."
        raise SettingError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 from 0 to "
                           f"{LATEST_TIME} (the end of year 9999), not {shown!r}")
    return int(epoch)


def _inputs_digest(source_path: str, source_sha256: str, options: BuildOptions) -> str:
    digest = hashlib.sha256()
    # With a new lock version every deck is built once more, to record what the new lock keeps. The notetypes'
    # hash is the constant tests/test_notetypes.py keeps equal to notetypes_fingerprint(): no hashing of the
    # templates again for each of the project's decks, and no loading them (revision.py).
    for part in (__version__, str(LOCK_VERSION), NOTETYPES_FINGERPRINT, options.describe(), source_path,
                 source_sha256):
        digest.update(part.encode("utf-8") + b"\x00")
    return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _note_times(deck: DeckCards, previous: DeckState | None, now: int, latest: int,
                memories: dict[str, tuple[int, Memory]], carried: dict[str, NoteState],
                moved_out: frozenset[str]) -> tuple[dict[str, NoteState], Changes]:
    """Keep each unchanged note's time; give changed notes a time newer than they had, and new notes one newer
    than any in the lock (a restored note must be newer than its tombstone, or Anki keeps it retired)."""
    before = previous.notes if previous else {}
    states: dict[str, NoteState] = {}
    added, changed, moved = [], [], []
    for note in deck.notes:
        old = before.get(note.guid)
        if old is None and note.guid in carried:
            old = carried[note.guid]
        if old is not None and old.key != note.key:
            moved.append(f"{note.key} (was {old.key})")
        digest = note.content_hash
        if old is None:
            mod = max(now, latest + 1) if latest else now
            added.append(note.key)
        elif old.hash != digest:
            mod = max(now, old.mod + 1)
            changed.append(note.key)
        else:
            mod = old.mod
        states[note.guid] = NoteState(note.key, note.kind, digest, mod, *memories.get(note.key, (0, ())))
    removed = tuple(state.key for guid, state in before.items() if guid not in states and guid not in moved_out)
    unchanged = len(deck.notes) - len(added) - len(changed)
    return states, Changes(tuple(added), tuple(changed), removed, unchanged, tuple(moved))


def _build_deck(deck: DeckCards, raw: bytes, in_lock: str, out_dir: Path, options: BuildOptions,
                previous: DeckState | None, now: int, latest: int, memories: dict[str, tuple[int, Memory]],
                carried: dict[str, NoteState], moved_out: frozenset[str]
                ) -> tuple[DeckReport, DeckState, dict[Path, bytes]]:
    """A deck's outputs, and its report and lock entry; ``report.written`` names the outputs that differ."""
    from ankigen.apkg import apkg_bytes, read_tombstones

    states, changes = _note_times(deck, previous, now, latest, memories, carried, moved_out)
    removed = _removed_states(previous, states, changes, now, moved_out)
    outputs: dict[str, bytes] = {}
    if "apkg" in options.formats:
        apkg_path = out_dir / f"{deck.key}.apkg"
        tombstones = read_tombstones(apkg_path, removed, REMOVED_TAG) if removed else []
        mods = {guid: state.mod for guid, state in states.items()} | \
               {guid: state.mod for guid, state in removed.items()}
        outputs[apkg_path.name] = apkg_bytes(deck, mods, tombstones, deck.media)
    if "html" in options.formats:
        from ankigen.sheet import render_sheet

        outputs[f"{deck.key}.html"] = render_sheet(deck, answers=options.answers, layout=options.layout).encode()
    written = [out_dir / name for name, data in outputs.items() if _differs(out_dir / name, data)]
    paths = tuple(out_dir / name for name in outputs)
    report = _report(deck, paths, tuple(written), changes)
    summary = DeckSummary(deck.name, report.myth_notes, report.cloze_notes, report.myth_cards, report.cloze_cards)
    state = DeckState(source=in_lock, inputs=_inputs_digest(in_lock, _sha256(raw), options),
                      outputs={name: _sha256(data) for name, data in outputs.items()},
                      notes=states, removed=removed, summary=summary,
                      latest=max([previous.latest if previous else 0] + [s.mod for s in (states | removed).values()]),
                      reads=dict(deck.reads))
    state.entry(deck.key)  # written out here, in the worker process when there are several
    return report, state, dict(zip(paths, outputs.values(), strict=True))


def _differs(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` is missing or holds other bytes than ``data``."""
    try:
        return path.read_bytes() != data
    except FileNotFoundError:
        return True
    except OSError as exc:  # a folder in its place, no permission to read it
        raise OutputError.of(path, "read", exc) from exc


def _removed_states(previous: DeckState | None, states: dict[str, NoteState], changes: Changes,
                    now: int, moved_out: frozenset[str] = frozenset()) -> dict[str, NoteState]:
    """Tombstones to ship: notes removed since the last build, shipped once more tagged as removed.

    A rebuild with no change keeps the previous build's tombstones (same output);
    any other change replaces them with the notes it removes, if any.
    """
    if previous is None:
        return {}
    if not changes.any:
        return dict(previous.removed)
    return {guid: state._replace(mod=max(now, state.mod + 1))
            for guid, state in previous.notes.items() if guid not in states and guid not in moved_out}


def _report(deck: DeckCards, outputs: tuple[Path, ...], written: tuple[Path, ...], changes: Changes) -> DeckReport:
    myth_notes = [n for n in deck.notes if not n.is_cloze]
    cloze_notes = [n for n in deck.notes if n.is_cloze]
    return DeckReport(deck.key, deck.name, len(myth_notes), len(cloze_notes), _cards(myth_notes), _cards(cloze_notes),
                      outputs, written, changes, deck.source_path)


def _cards(notes: list[Note]) -> int:
    return sum(len(note.card_numbers) for note in notes)
