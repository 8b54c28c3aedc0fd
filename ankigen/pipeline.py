"""Build and check: gather every source, validate all of it, then (and only then) write.

No writer runs while any source has an error, so a failed build leaves decks/
exactly as it was. Each deck is compared with its previous build (the lock
file): unchanged decks are not rewritten, changed notes get a newer
modification time so Anki updates them in place.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ankigen import __version__
from ankigen.cards import DeckCards, Note, derive_deck
from ankigen.errors import Diagnostic, error
from ankigen.lint import lint_deck
from ankigen.loader import load_source
from ankigen.lockfile import DeckState, NoteState, read_lock, write_lock
from ankigen.model import DeckSource, Location
from ankigen.notetypes import notetypes_fingerprint

SOURCE_SUFFIXES = (".yaml", ".yml")
DEFAULT_SOURCES = "cards"
REMOVED_TAG = "ankigen::removed"
FORMATS = ("apkg", "html")


@dataclass(frozen=True)
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    answers: str = "key"  # the sheet's answers: "key" (at the end) or "inline"
    layout: str = "sheet"  # the sheet's layout: "sheet" or "cards"

    def describe(self) -> str:
        return f"formats={','.join(self.formats)};answers={self.answers};layout={self.layout}"


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True)
class DeckReport:
    key: str
    name: str
    myth_notes: int
    cloze_notes: int
    myth_cards: int
    cloze_cards: int
    outputs: tuple[Path, ...]
    written: tuple[Path, ...]  # the outputs this run (re)wrote, or would write under --check
    changes: Changes


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reports: list[DeckReport] = field(default_factory=list)
    lock_written: bool = False

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def display_path(path: Path) -> str:
    """Paths in messages: relative to the working directory when inside it, with '/'."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover_sources(paths: Sequence[str]) -> tuple[list[Path], list[Diagnostic]]:
    """The source files named (folders are searched for .yaml/.yml), sorted so builds never depend on listing order."""
    problems: list[Diagnostic] = []
    found: set[Path] = set()
    for name in paths or [DEFAULT_SOURCES]:
        path = Path(name)
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())
        elif path.is_file():
            found.add(path)
        else:
            hint = "run ankigen in the folder that holds cards/, or name the sources" if not paths else \
                "check the spelling; name .yaml files or folders that hold them"
            problems.append(error(Location(name, 1, 1), "no such file or folder", hint))
    return sorted(found, key=lambda p: p.as_posix()), problems


@dataclass(frozen=True)
class _Loaded:
    path: Path
    raw: bytes
    source: DeckSource
    deck: DeckCards


def load_decks(paths: Sequence[str], lint: bool = True) -> tuple[list[_Loaded], list[Diagnostic]]:
    """Load, validate and derive every source; the decks are usable only if there are no errors."""
    files, diagnostics = discover_sources(paths)
    loaded: list[_Loaded] = []
    for path in files:
        shown = display_path(path)
        source, problems = load_source(path, shown)
        diagnostics.extend(problems)
        if source is None:
            continue
        deck, problems = derive_deck(source)
        diagnostics.extend(problems)
        if lint:
            diagnostics.extend(lint_deck(source, deck))
        loaded.append(_Loaded(path, path.read_bytes(), source, deck))
    diagnostics.extend(_duplicate_decks(loaded))
    diagnostics.sort(key=lambda d: d.sort_key)
    return loaded, diagnostics


def _duplicate_decks(loaded: Iterable[_Loaded]) -> list[Diagnostic]:
    first: dict[str, str] = {}
    problems = []
    for item in loaded:
        key = item.source.key
        if key in first:
            problems.append(error(item.source.location, f"deck id '{key}' is already used by {first[key]}",
                                  "give this deck its own 'id:'"))
        else:
            first[key] = item.source.path
    return problems


def check(paths: Sequence[str]) -> Outcome:
    """Validate sources without writing anything."""
    loaded, diagnostics = load_decks(paths)
    outcome = Outcome(diagnostics)
    if not outcome.errors:
        outcome.reports = [_report(item.deck, (), (), Changes(unchanged=len(item.deck.notes))) for item in loaded]
    return outcome


def build(paths: Sequence[str], out_dir: Path, options: BuildOptions = BuildOptions(),
          dry_run: bool = False, now: int | None = None) -> Outcome:
    """Build every deck into ``out_dir``; with ``dry_run`` only report what would be written (for --check)."""
    loaded, diagnostics = load_decks(paths)
    outcome = Outcome(diagnostics)
    if outcome.errors:
        return outcome
    lock = read_lock(out_dir)
    timestamp = now if now is not None else build_time()
    for item in loaded:
        report, state = _build_deck(item, out_dir, options, lock.decks.get(item.source.key), timestamp, dry_run)
        lock.decks[item.source.key] = state
        outcome.reports.append(report)
    outcome.lock_written = write_lock(out_dir, lock, dry_run=dry_run)
    return outcome


def build_time() -> int:
    """The time stamped on notes that changed: SOURCE_DATE_EPOCH when set, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(epoch) if epoch.isdigit() else int(time.time())


def _inputs_digest(item: _Loaded, options: BuildOptions) -> str:
    digest = hashlib.sha256()
    for part in (__version__, notetypes_fingerprint(), options.describe(), item.source.path):
        digest.update(part.encode("utf-8") + b"\x00")
    digest.update(item.raw)
    return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _note_times(deck: DeckCards, previous: DeckState | None, now: int) -> tuple[dict[str, NoteState], Changes]:
    """Keep each unchanged note's time; give changed and new notes a time newer than any they had."""
    before = previous.notes if previous else {}
    states: dict[str, NoteState] = {}
    added, changed = [], []
    for note in deck.notes:
        old = before.get(note.guid)
        digest = note.content_hash
        if old is None:
            mod = now
            added.append(note.key)
        elif old.hash != digest:
            mod = max(now, old.mod + 1)
            changed.append(note.key)
        else:
            mod = old.mod
        states[note.guid] = NoteState(note.key, note.kind, digest, mod)
    removed = tuple(state.key for guid, state in before.items() if guid not in states)
    unchanged = len(deck.notes) - len(added) - len(changed)
    return states, Changes(tuple(added), tuple(changed), removed, unchanged)


def _build_deck(item: _Loaded, out_dir: Path, options: BuildOptions, previous: DeckState | None,
                now: int, dry_run: bool) -> tuple[DeckReport, DeckState]:
    from ankigen.apkg import apkg_bytes, read_tombstones

    deck = item.deck
    states, changes = _note_times(deck, previous, now)
    removed = _removed_states(previous, states, changes, now)
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
    written = []
    for name, data in outputs.items():
        target = out_dir / name
        if not target.exists() or target.read_bytes() != data:
            written.append(target)
            if not dry_run:
                from ankigen.atomic import write_bytes_atomic

                write_bytes_atomic(target, data)
    state = DeckState(source=item.source.path, inputs=_inputs_digest(item, options),
                      outputs={name: _sha256(data) for name, data in outputs.items()},
                      notes=states, removed=removed)
    paths = tuple(out_dir / name for name in outputs)
    return _report(deck, paths, tuple(written), changes), state


def _removed_states(previous: DeckState | None, states: dict[str, NoteState], changes: Changes,
                    now: int) -> dict[str, NoteState]:
    """Tombstones to ship: notes removed since the last build, shipped once more tagged as removed.

    A rebuild with no change keeps the previous build's tombstones (same output);
    any other change replaces them with the notes it removes, if any.
    """
    if previous is None:
        return {}
    if not changes.any:
        return dict(previous.removed)
    return {guid: NoteState(state.key, state.kind, state.hash, max(now, state.mod + 1))
            for guid, state in previous.notes.items() if guid not in states}


def _report(deck: DeckCards, outputs: tuple[Path, ...], written: tuple[Path, ...], changes: Changes) -> DeckReport:
    myth_notes = [n for n in deck.notes if not n.is_cloze]
    cloze_notes = [n for n in deck.notes if n.is_cloze]
    return DeckReport(deck.key, deck.name, len(myth_notes), len(cloze_notes), _cards(myth_notes), _cards(cloze_notes),
                      outputs, written, changes)


def _cards(notes: list[Note]) -> int:
    return sum(len(note.card_numbers) for note in notes)
