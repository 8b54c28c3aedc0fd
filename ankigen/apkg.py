"""Write a deck's notes to an .apkg with genanki, byte for byte the same for the same notes.

genanki writes the collection; we pin what it would otherwise take from the
clock or the machine: note and card ids (derived from GUIDs), each note's
modification time (given by the caller), the notetypes' time, the SQLite
header's library version, and the zip entries' dates and attributes.
"""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ankigen import ids
from ankigen.lockfile import NoteState
from ankigen.model import Location
from ankigen.notetypes import NOTETYPES_REVISED, Notetype, cloze_notetype, myth_notetype

if TYPE_CHECKING:
    import genanki

    from ankigen.cards import DeckCards, Note, NoteKind

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# SQLite stamps the writing library's version at offset 96 of the header; pin it
# so that machines with other SQLite versions still write the same bytes.
_SQLITE_VERSION_OFFSET = 96
_SQLITE_PINNED_VERSION = (3_040_000).to_bytes(4, "big")
# A database file counts its write transactions in its header (at 24, and at 92 as
# "valid for"); one in memory does not. Pinned to the 14 that genanki's writing
# leaves in a file, so the bytes are those the collection always had on disk.
_SQLITE_CHANGE_COUNTER_OFFSETS = (24, 92)
_SQLITE_PINNED_CHANGE_COUNTER = (14).to_bytes(4, "big")


def apkg_bytes(deck: DeckCards, note_mod: Mapping[str, int], tombstones: Sequence[Note] = (),
               media: Mapping[str, bytes] | None = None) -> bytes:
    """The .apkg for ``deck``; ``note_mod`` gives each GUID's modification time.

    ``tombstones`` are notes removed from the sources, shipped once more (suspended,
    tagged) so users can find and delete them in Anki.
    """
    collection = _collection_bytes(deck, note_mod, tombstones)
    media = media or {}
    names = sorted(media)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _add(archive, "collection.anki2", collection)
        _add(archive, "media", json.dumps({str(i): name for i, name in enumerate(names)}).encode())
        for index, name in enumerate(names):
            _add(archive, str(index), media[name])
    return buffer.getvalue()


def read_tombstones(path: Path, removed: Mapping[str, NoteState], tag: str) -> list[Note]:
    """The removed notes as the previous build at ``path`` wrote them, tagged with ``tag``."""
    from ankigen.cards import Note

    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="ankigen-") as folder:
            collection = Path(folder) / "collection.anki2"
            collection.write_bytes(archive.read("collection.anki2"))
            connection = sqlite3.connect(collection)
            try:
                rows = connection.execute("SELECT id, guid, flds, tags FROM notes").fetchall()
                ords = connection.execute("SELECT nid, ord FROM cards ORDER BY nid, ord").fetchall()
            finally:
                connection.close()
    except (OSError, KeyError, zipfile.BadZipFile, sqlite3.Error):
        return []  # no previous build to take them from: nothing to ship
    numbers: dict[int, list[int]] = {}
    for note_id, ord_ in ords:
        numbers.setdefault(note_id, []).append(ord_ + 1)
    tombstones = []
    for note_id, guid, fields, tags in rows:
        state = removed.get(guid)
        if state is None:
            continue
        kind = cast("NoteKind", state.kind)
        tombstones.append(Note(guid=guid, kind=kind, key=state.key, myth_key="", fields=tuple(fields.split("\x1f")),
                               tags=tuple(dict.fromkeys([*tags.split(), tag])),
                               card_numbers=tuple(numbers.get(note_id, [1])), location=Location(str(path))))
    return sorted(tombstones, key=lambda note: note.guid)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED
    archive.writestr(info, data)


def _genanki_model(notetype: Notetype) -> genanki.Model:
    import genanki

    return genanki.Model(
        notetype.id, notetype.name,
        fields=[{"name": name} for name in notetype.fields],
        templates=[{"name": "Cloze" if notetype.is_cloze else "Myth or fact?",
                    "qfmt": notetype.front, "afmt": notetype.back}],
        css=notetype.css,
        model_type=genanki.Model.CLOZE if notetype.is_cloze else genanki.Model.FRONT_BACK,
    )


@cache
def _pinned_note_type() -> Any:
    """genanki's Note with ids and times from us rather than from the clock.

    Made on first use, like every use of genanki here: importing it takes longer
    than a whole rebuild that finds nothing to do.
    """
    import genanki

    class PinnedNote(genanki.Note):  # type: ignore[misc]
        def __init__(self, note: Note, model: genanki.Model, mod: int, suspended: bool = False) -> None:
            super().__init__(model=model, fields=list(note.fields), tags=list(note.tags), guid=note.guid)
            self.mod = mod
            self.note_id = ids.note_id(note.guid)
            self.numbers = note.card_numbers
            self.suspended = suspended

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Iterator[int]) -> None:
            super().write_to_db(cursor, self.mod, deck_id, itertools.count(self.note_id))

        @property
        def cards(self) -> list[genanki.Card]:
            if self.model.model_type == genanki.Model.CLOZE:
                return [genanki.Card(number - 1, self.suspended) for number in self.numbers]
            return [genanki.Card(0, self.suspended)]

    return PinnedNote


def _collection_bytes(deck: DeckCards, note_mod: Mapping[str, int], tombstones: Sequence[Note]) -> bytes:
    import genanki

    models = {False: _genanki_model(myth_notetype()), True: _genanki_model(cloze_notetype())}
    anki_deck = genanki.Deck(deck.deck_id, deck.name, description=deck.description_html)
    pinned = _pinned_note_type()
    for note in deck.notes:
        anki_deck.add_note(pinned(note, models[note.is_cloze], note_mod[note.guid]))
    for note in tombstones:
        anki_deck.add_note(pinned(note, models[note.is_cloze], note_mod[note.guid], suspended=True))
    connection = sqlite3.connect(":memory:")  # no scratch file, journal or disk flush
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA page_size = 4096")
        genanki.Package(anki_deck).write_to_db(cursor, NOTETYPES_REVISED, itertools.count())
        connection.commit()
        data = bytearray(connection.serialize())
    finally:
        connection.close()
    data[_SQLITE_VERSION_OFFSET:_SQLITE_VERSION_OFFSET + 4] = _SQLITE_PINNED_VERSION
    for offset in _SQLITE_CHANGE_COUNTER_OFFSETS:
        data[offset:offset + 4] = _SQLITE_PINNED_CHANGE_COUNTER
    return bytes(data)


def read_summary(data: bytes, deck_id: int) -> tuple[str, int] | None:
    """The deck's name and number of cards (not counting removed notes, shipped suspended) in .apkg bytes we wrote.

    None if they cannot be read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            collection = archive.read("collection.anki2")
        connection = sqlite3.connect(":memory:")
        try:
            connection.deserialize(collection)
            decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
            cards = connection.execute("SELECT count(*) FROM cards WHERE queue != -1").fetchone()[0]
        finally:
            connection.close()
        return str(decks[str(deck_id)]["name"]), int(cards)
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile, sqlite3.Error):
        return None
