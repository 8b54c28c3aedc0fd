"""Write a deck's notes to an .apkg with genanki, byte for byte the same for the same notes.

genanki writes the collection's schema, and its row of settings, deck and
notetypes once per build for a placeholder deck (kept between builds by
collection_cache.py); each deck's row is that one with the deck's id, name and
description (see _col_json). The note and card rows are genanki's, inserted by
us (faster, see _collection_bytes).
We pin what genanki would otherwise take from the clock or the machine: note
and card ids (derived from GUIDs, in Anki's past: see ids.note_id), each note's modification time (given by the
caller), the notetypes' time, the SQLite header's library version, and the zip
entries' dates and attributes.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import sqlite3
import zipfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ankigen import collection_cache, ids
from ankigen.digests import json_digest
from ankigen.lockfile import NoteState
from ankigen.model import Location
from ankigen.notetypes import Notetype, language_of
from ankigen.revision import NOTETYPES_REVISED

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
# collection_cache's names for genanki's index statements and its empty collection
_INDEXES = "indexes"
_EMPTY = "empty-collection"
# The deck genanki writes the collection row for, once per build; no deck id is this big (ids.deck_id).
_PLACEHOLDER_DECK_ID = (1 << 62) + 1


def apkg_bytes(deck: DeckCards, note_mod: Mapping[str, int], tombstones: Sequence[Note] = (),
               media: Mapping[str, bytes] | None = None) -> bytes:
    """The .apkg for ``deck``; ``note_mod`` gives each GUID's modification time.

    ``tombstones`` are notes removed from the sources, shipped once more (suspended,
    tagged) so users can find and delete them in Anki.
    """
    return package_bytes(_collection_bytes(deck, note_mod, tombstones), media or {})


def package_bytes(collection: bytes, media: Mapping[str, bytes], comment: bytes = b"") -> bytes:
    """An .apkg: the collection, then the media files by name, in a zip with pinned dates and attributes."""
    names = sorted(media)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.comment = comment
        _add(archive, "collection.anki2", collection)
        _add(archive, "media", json.dumps({str(i): name for i, name in enumerate(names)}).encode())
        for index, name in enumerate(names):
            _add(archive, str(index), media[name])
    return buffer.getvalue()


def read_package(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """An .apkg's collection, and its media files by name (as package_bytes writes them)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names: dict[str, str] = json.loads(archive.read("media"))
        return archive.read("collection.anki2"), {name: archive.read(index) for index, name in names.items()}


def pinned_database(connection: sqlite3.Connection) -> bytes:
    """The bytes of an in-memory SQLite database, with what SQLite would take from the machine pinned."""
    data = memoryview(connection.serialize())
    pins = [(offset, _SQLITE_PINNED_CHANGE_COUNTER) for offset in _SQLITE_CHANGE_COUNTER_OFFSETS]
    parts: list[bytes | memoryview] = []
    start = 0
    for offset, pinned in sorted([*pins, (_SQLITE_VERSION_OFFSET, _SQLITE_PINNED_VERSION)]):
        parts += [data[start:offset], pinned]
        start = offset + len(pinned)
    return b"".join([*parts, data[start:]])  # one copy of the database, not two


def read_tombstones(path: Path, removed: Mapping[str, NoteState], tag: str) -> list[Note]:
    """The removed notes as the previous build at ``path`` wrote them, tagged with ``tag``."""
    from ankigen.cards import Note

    try:
        with zipfile.ZipFile(path) as archive:
            collection = archive.read("collection.anki2")
        connection = sqlite3.connect(":memory:")
        try:
            connection.deserialize(collection)
            rows = connection.execute("SELECT id, guid, mid, flds, tags FROM notes").fetchall()
            ords = connection.execute("SELECT nid, ord FROM cards ORDER BY nid, ord").fetchall()
        finally:
            connection.close()
    except (OSError, KeyError, zipfile.BadZipFile, sqlite3.Error):
        return []  # no previous build to take them from: nothing to ship
    numbers: dict[int, list[int]] = {}
    for note_id, ord_ in ords:
        numbers.setdefault(note_id, []).append(ord_ + 1)
    tombstones = []
    for note_id, guid, notetype_id, fields, tags in rows:
        state = removed.get(guid)
        if state is None:
            continue
        kind = cast("NoteKind", state.kind)
        tombstones.append(Note(guid=guid, kind=kind, key=state.key, myth_key="", fields=tuple(fields.split("\x1f")),
                               tags=tuple(dict.fromkeys([*tags.split(), tag])),
                               card_numbers=tuple(numbers.get(note_id, [1])), location=Location(str(path)),
                               lang=language_of(notetype_id)))
    return sorted(tombstones, key=lambda note: note.guid)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED
    archive.writestr(info, data)


@cache  # one per notetype: genanki works out its "req" by rendering its templates, and to_json changes nothing
def _genanki_model(notetype: Notetype) -> genanki.Model:
    import genanki

    return genanki.Model(
        notetype.id, notetype.name,
        fields=[{"name": name} for name in notetype.fields],
        templates=[{"name": notetype.template_name, "qfmt": notetype.front, "afmt": notetype.back}],
        css=notetype.css,
        model_type=genanki.Model.CLOZE if notetype.is_cloze else genanki.Model.FRONT_BACK,
    )


def _collection_bytes(deck: DeckCards, note_mod: Mapping[str, int], tombstones: Sequence[Note]) -> bytes:
    """The collection: genanki's schema and row of settings, deck and notetypes; then the notes and cards.

    genanki inserts one row at a time into tables that are indexed as they grow,
    at half a cold build's writing time. Rows here are genanki's, inserted at
    once in id order, with the indexes made afterwards (bench/run.py measures it).
    """
    everything = [(note, False) for note in deck.notes] + [(note, True) for note in tombstones]
    notetypes = [note.notetype for note, _ in everything]  # a lookup each time it is asked: ask once
    # genanki records the notetypes that notes use, in the order notes first use them
    used = {notetype.id: notetype for notetype in notetypes}
    notes: list[tuple[object, ...]] = []
    cards: list[tuple[object, ...]] = []
    note_ids = ids.note_ids(note.guid for note, _ in everything)
    for (note, suspended), notetype in zip(everything, notetypes, strict=True):
        note_id, mod = note_ids[note.guid], note_mod[note.guid]
        notes.append(_note_row(note, note_id, notetype.id, mod))
        ords = [number - 1 for number in note.card_numbers] if notetype.is_cloze else [0]
        cards += _card_rows(note_id, deck.deck_id, ords, mod, -1 if suspended else 0)
    notes.sort()
    cards.sort()
    decks_json, models_json = _col_json(deck, tuple(used.values()))
    connection = sqlite3.connect(":memory:")  # no scratch file, journal or disk flush
    try:
        connection.deserialize(_kept_empty_collection())
        cursor = connection.cursor()
        # genanki's Deck.write_to_db, replayed: the same two updates in the same order leave the same pages
        cursor.execute("UPDATE col SET decks = ?", (decks_json,))
        cursor.execute("UPDATE col SET models = ?", (models_json,))
        cursor.executemany(f"INSERT INTO notes VALUES({','.join('?' * 11)})", notes)
        cursor.executemany(f"INSERT INTO cards VALUES({','.join('?' * 18)})", cards)
        cursor.executescript(_kept_indexes())
        connection.commit()
        return pinned_database(connection)
    finally:
        connection.close()


@cache  # read from the cache folder once per build, not once per deck
def _kept_empty_collection() -> bytes:
    """``_empty_collection``, kept in the cache folder: making it loads genanki."""
    return collection_cache.load_or_make(collection_cache.key(_EMPTY), _empty_collection)


@cache
def _kept_indexes() -> str:
    """genanki's CREATE INDEX statements, kept in the cache folder: finding them loads genanki."""
    return collection_cache.load_or_make(collection_cache.key(_INDEXES), lambda: _schema()[1].encode()).decode()


def _col_json(deck: DeckCards, notetypes: tuple[Notetype, ...]) -> tuple[str, str]:
    """The collection row's decks and notetypes (JSON) as genanki's Deck.write_to_db writes them for ``deck``.

    genanki writes them once per build for a placeholder deck (``_genanki_col_json``); a deck's differ from
    the placeholder's only in its id, name and description (tests/test_fast_paths.py compares them).
    """
    decks_json, models_around_did = _genanki_col_json(notetypes, NOTETYPES_REVISED)
    decks = json.loads(decks_json)
    entry = decks.pop(str(_PLACEHOLDER_DECK_ID))
    entry.update(desc=deck.description_html, id=deck.deck_id, name=deck.name)
    decks[str(deck.deck_id)] = entry  # where genanki's dict.update puts it: last, or in place of a deck of that id
    return json.dumps(decks), f'"did": {deck.deck_id}'.join(models_around_did)


@cache  # a build's decks use the same few sets of notetypes
def _genanki_col_json(notetypes: tuple[Notetype, ...], revised: int) -> tuple[str, tuple[str, ...]]:
    """genanki's decks JSON for the placeholder deck of ``notetypes`` (revised at ``revised``), and its notetypes
    JSON split where it gives the placeholder's id as theirs; kept in the cache folder, so that a rebuild need
    not load genanki."""
    name = collection_cache.key("col-json", _notetypes_digest(notetypes, revised))
    stored = json.loads(collection_cache.load_or_make(name, lambda: _genanki_col_json_now(notetypes, revised)))
    models_around_did = tuple(stored["models"].split(f'"did": {_PLACEHOLDER_DECK_ID}'))
    if len(models_around_did) != len(notetypes) + 1:  # the id is in no string: "did" inside one would be \"did\"
        raise AssertionError(f"genanki's notetypes JSON gives the placeholder deck id {len(models_around_did) - 1}"
                             f" times, not {len(notetypes)}")
    return stored["decks"], models_around_did


@cache  # a build's decks use the same few notetypes: their templates and CSS are hashed once
def _notetypes_digest(notetypes: tuple[Notetype, ...], revised: int) -> str:
    """A hash of the notetypes as genanki writes them, with the revision time it writes with them."""
    return json_digest([revised, [dataclasses.astuple(notetype) for notetype in notetypes]])


def _genanki_col_json_now(notetypes: tuple[Notetype, ...], revised: int) -> bytes:
    import genanki

    anki_deck = genanki.Deck(_PLACEHOLDER_DECK_ID, "", description="")
    for notetype in notetypes:
        anki_deck.add_model(_genanki_model(notetype))
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(_empty_collection())
        anki_deck.write_to_db(connection.cursor(), revised, itertools.count())
        decks, models = connection.execute("SELECT decks, models FROM col").fetchone()
    finally:
        connection.close()
    return json.dumps({"decks": decks, "models": models}).encode("utf-8")


def _note_row(note: Note, note_id: int, notetype_id: int, mod: int) -> tuple[object, ...]:
    """A notes row as genanki's Note.write_to_db makes it (the sort field is the first field)."""
    tags = " " + " ".join(note.tags) + " "
    return (note_id, note.guid, notetype_id, mod, -1, tags, "\x1f".join(note.fields), note.fields[0], 0, 0, "")


def _card_rows(note_id: int, deck_id: int, ords: list[int], mod: int, queue: int) -> list[tuple[object, ...]]:
    """A note's cards rows as genanki's Card.write_to_db makes them: new, due 0; queue -1 when suspended. The
    card ids follow the note's (see ids.note_id)."""
    return [(note_id + offset, note_id, deck_id, ord_, mod, -1, 0, queue, 0, 0, 0, 0, 0, 0, 0, 0, 0, "")
            for offset, ord_ in enumerate(ords, 1)]


@cache
def _empty_collection() -> bytes:
    """genanki's tables and collection row, without notes: each deck's collection starts as a copy of it."""
    from genanki.apkg_col import APKG_COL

    tables, _ = _schema()
    connection = sqlite3.connect(":memory:")
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA page_size = 4096")
        cursor.executescript(tables)
        cursor.executescript(APKG_COL)
        connection.commit()
        return connection.serialize()
    finally:
        connection.close()


@cache
def _schema() -> tuple[str, str]:
    """genanki's collection schema, split into its tables and the indexes made after the rows are in."""
    from genanki.apkg_schema import APKG_SCHEMA

    statements = [statement.strip() for statement in APKG_SCHEMA.split(";") if statement.strip()]
    indexes = [statement for statement in statements if statement.upper().startswith("CREATE INDEX")]
    tables = [statement for statement in statements if statement not in indexes]
    return ";\n".join(tables) + ";", ";\n".join(indexes) + ";"
