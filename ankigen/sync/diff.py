"""``ankigen diff``: every note whose fields in Anki differ from what the sources give, as a readable diff.

Pure: sources and holdings in, lines out. Each note is named by its source
``path:line:col``, so the author can carry an edit made in Anki back into the YAML.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ankigen.sync.plan import Holdings, Line, fields_hash, same_fields, where

if TYPE_CHECKING:
    from ankigen.cards import DeckCards


@dataclass(frozen=True)
class NoteDiff:
    line: Line  # detail: what changed where ("edited in Anki", "changed in the source", ...)
    fields: tuple[tuple[str, str, str], ...]  # (field name, as the source gives it, as Anki has it)


@dataclass(frozen=True)
class Differences:
    notes: tuple[NoteDiff, ...]
    missing: int  # notes of the sources not in the collection (sync adds them)
    same: int


def differences(decks: Sequence[DeckCards], held: Holdings) -> Differences:
    found: list[NoteDiff] = []
    missing = same = 0
    for deck in decks:
        for note in deck.notes:
            note_held = held.notes.get(note.guid)
            if note_held is None or note_held.notetype_id != note.notetype.id:
                missing += note_held is None
                continue
            if same_fields(note_held.fields, note.fields):
                same += 1
                continue
            record = held.state.get(note.guid)
            if record is None or not record.stored:
                status = "not written by ankigen sync before"
            else:
                in_anki = fields_hash(note_held.fields) != record.stored
                in_source = fields_hash(note.fields) != record.source
                status = {(True, True): "edited in Anki and in the source", (True, False): "edited in Anki",
                          (False, True): "changed in the source"}.get((in_anki, in_source), "differs")
            fields = tuple((name, ours, theirs) for name, ours, theirs
                           in zip(note.notetype.fields, note.fields, note_held.fields, strict=False)
                           if not same_fields((theirs,), (ours,)))
            found.append(NoteDiff(Line(where(note.location), note.key, deck.name, status), fields))
    return Differences(tuple(found), missing, same)


_BREAKS = re.compile(r"(?<=</p>)|(?<=</li>)|(?<=<br>)|(?<=<br/>)|\n")


def _lines(html: str) -> list[str]:
    return [part for part in _BREAKS.split(html) if part.strip()] or [""]


def format_note_diff(diff: NoteDiff) -> list[str]:
    """A unified diff per field: ``-`` the source, ``+`` Anki."""
    line = diff.line
    out = [f"{line.where}: '{line.key}' in deck '{line.deck}': {line.detail}"]
    for name, ours, theirs in diff.fields:
        out += list(difflib.unified_diff(_lines(ours), _lines(theirs), f"{name} (source)", f"{name} (Anki)",
                                         lineterm="", n=1))
    return out
