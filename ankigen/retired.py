"""Decks whose source is gone: their notes are retired in Anki, not silently forgotten.

(README, "Rebuilding after edits".)

A deck in the lock is *retiring* when its source file no longer exists, or now
builds a deck with another id. Its notes that moved elsewhere in the same build
keep their GUIDs there (identity.py); the others are retired the way removed
notes are: ``DIR/<id>.apkg`` is rewritten to hold only them, suspended and
tagged ``ankigen::removed``, so importing it once retires them in Anki.
``DIR/<id>.html`` is removed (there is nothing left to print). The lock keeps
the deck as retired, and each build says so, until ``DIR/<id>.apkg`` is
deleted; a deck whose notes all moved has its outputs removed at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ankigen import ids
from ankigen.atomic import write_bytes_atomic
from ankigen.lockfile import DeckState, DeckSummary, Lock, NoteState

REMOVED_TAG = "ankigen::removed"


def retiring_decks(lock: Lock, built: set[str], sources: set[str], out_dir: Path) -> dict[str, DeckState]:
    """The lock's decks not built now whose source is gone (or builds another deck id now): key -> state."""
    return {key: state for key, state in sorted(lock.decks.items())
            if key not in built and (state.source in sources or not (out_dir / state.source).is_file())}


def retire_decks(lock: Lock, retiring: dict[str, DeckState], moved_out: frozenset[str], out_dir: Path, now: int,
                 dry_run: bool, sources: set[str], writes: list[tuple[Path, bytes | None]] | None = None) -> list[str]:
    """Retire each deck of ``retiring`` (see the module's docstring) in ``lock`` and ``out_dir``; what was done.

    With ``writes``, files are not written or removed here: each (path, new bytes, or None to remove it)
    is added to ``writes`` for the build to put in place with all its other outputs.
    """
    messages = []
    for key, state in retiring.items():
        apkg, html = out_dir / f"{key}.apkg", out_dir / f"{key}.html"
        shown = f"{out_dir.as_posix()}/{key}.apkg"
        gone = "now builds a deck with another id" if state.source in sources else "is gone"
        if not state.notes:  # retired by an earlier build
            if apkg.is_file():
                messages.append(f"{key}: retired (its source {state.source} {gone}); once {shown} is imported, "
                                f"delete it and ankigen forgets the deck")
                continue
            messages.append(f"{key}: forgotten ({shown}, which retired its notes, was deleted)")
            del lock.decks[key]
            continue
        name = state.summary.name if state.summary else key
        notes = {guid: old._replace(mod=max(now, old.mod + 1)) for guid, old in state.notes.items()
                 if guid not in moved_out}
        moved = len(state.notes) - len(notes)
        files = [path for path in (apkg, html) if path.exists()]
        if not notes:
            messages.append(f"{key}: its source {state.source} {gone} and all its notes moved to other decks; "
                            f"removed {', '.join(path.name for path in files) or 'nothing'} from {out_dir.as_posix()}")
            del lock.decks[key]
            if writes is not None:
                writes += [(path, None) for path in files]
            elif not dry_run:
                for path in files:
                    path.unlink()
            continue
        data = _retiring_package(key, name, notes, apkg)
        lock.decks[key] = DeckState(source=state.source, inputs="",
                                    outputs={apkg.name: hashlib.sha256(data).hexdigest()}, notes={}, removed=notes,
                                    summary=DeckSummary(name, 0, 0, 0, 0),
                                    latest=max([state.latest, *(old.mod for old in notes.values())]))
        messages.append(f"{key}: its source {state.source} {gone}: {len(notes)} notes retired"
                        + (f" ({moved} moved to other decks)" if moved else "")
                        + f"; wrote {shown} with only them, suspended and tagged '{REMOVED_TAG}': import it, "
                        f"search 'tag:{REMOVED_TAG}' and delete them, then delete the file"
                        + ("; removed " + html.name if html.exists() else ""))
        if writes is not None:
            writes += [(apkg, data), (html, None)]
        elif not dry_run:
            write_bytes_atomic(apkg, data)
            html.unlink(missing_ok=True)
    return messages


def _retiring_package(key: str, name: str, notes: dict[str, NoteState], apkg: Path) -> bytes:
    """The deck's package holding only its retired notes, as its last build wrote them."""
    from ankigen.apkg import apkg_bytes, read_tombstones
    from ankigen.cards import DeckCards

    tombstones = read_tombstones(apkg, notes, REMOVED_TAG)
    deck = DeckCards(key=key, name=name, deck_id=ids.deck_id(key), description_html="", citation_html="",
                     notes=(), source_path="")
    return apkg_bytes(deck, {guid: state.mod for guid, state in notes.items()}, tombstones, {})
