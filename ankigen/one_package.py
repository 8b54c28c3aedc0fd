"""One .apkg holding every deck of the output folder (``ankigen build --one-package NAME.apkg``).

A project of a hundred sources is then one import in Anki instead of a
hundred, each of which reads the whole collection again. The package is put
together from the decks' own packages as they are: the same GUIDs, deck ids,
notetypes, note and card ids and note times, so importing it, or any deck's
package before or after it, is the same to Anki. The one exception: a note id
that two decks both use (about once in seven projects of 50,000 notes, see
ids.unique_ids) is given to the first deck by name; the later deck's note takes
the next free block here, which Anki does itself when it imports the two
packages, and matches notes by GUID either way.

Its bytes depend only on the decks' packages, whose digests the lock holds, so
the zip's comment names their digest: a build that finds it unchanged does not
even read the decks' packages.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ankigen import __version__
from ankigen.apkg import package_bytes, pinned_database, read_package
from ankigen.atomic import OutputError
from ankigen.ids import CARD_IDS_PER_NOTE
from ankigen.lockfile import Lock

_COMMENT = b"ankigen one package of "


class NameTaken(ValueError):
    """The one package's name is a deck's package name."""


def deck_packages(lock: Lock) -> list[str]:
    """The file names of the decks' packages that the one package holds, in its order (by deck key)."""
    return [f"{key}.apkg" for key, state in sorted(lock.decks.items()) if f"{key}.apkg" in state.outputs]


def inputs_digest(lock: Lock) -> str:
    """What the one package is made of: every deck's package, by name and digest (and the ankigen version)."""
    digest = hashlib.sha256(__version__.encode() + b"\x00")
    for key, state in sorted(lock.decks.items()):
        name = f"{key}.apkg"
        if name in state.outputs:
            digest.update(f"{name}\x00{state.outputs[name]}\x00".encode())
    return digest.hexdigest()


def is_current(path: Path, digest: str) -> bool:
    """Whether the package at ``path`` was made from the inputs ``digest`` names (its zip comment says so)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.comment == _COMMENT + digest.encode()
    except (OSError, zipfile.BadZipFile):
        return False


def one_package(lock: Lock, out_dir: Path, new: Mapping[Path, bytes | Path | None], digest: str) -> bytes:
    """The one package; ``new`` holds this build's new packages (bytes, or a staged file), the rest are on disk."""
    packages = []
    for deck_name in deck_packages(lock):
        target = out_dir / deck_name
        source = new.get(target) or target
        if isinstance(source, bytes):
            packages.append(source)
            continue
        try:
            packages.append(source.read_bytes())
        except OSError as exc:
            raise OutputError.of(target, "read", exc) from exc
    return one_package_bytes(packages, _COMMENT + digest.encode())


def one_package_bytes(packages: Sequence[bytes], comment: bytes = b"") -> bytes:
    """The packages' notes, cards, decks, notetypes and media in one package (the first one's settings).

    The indexes are made once all rows are in (see apkg._collection_bytes).
    """
    media: dict[str, bytes] = {}
    decks: dict[str, object] = {}
    models: dict[str, object] = {}
    taken: tuple[set[int], set[int]] = (set(), set())  # the note ids and card ids of the decks before
    connection = sqlite3.connect(":memory:")
    try:
        for index, package in enumerate(packages):
            collection, files = read_package(package)
            media.update(files)  # media names are digests of their bytes (media.py): the same name, the same file
            connection.execute("ATTACH ':memory:' AS deck")
            connection.deserialize(collection, name="deck")
            if index == 0:
                connection.deserialize(collection)
                indexes = _unindexed(connection)
            (more_decks, more_models), = connection.execute("SELECT decks, models FROM deck.col").fetchall()
            decks.update(json.loads(more_decks))
            models.update({key: value for key, value in json.loads(more_models).items() if key not in models})
            _move_clashing_notes(connection, *taken)
            if index:
                connection.execute("INSERT INTO notes SELECT * FROM deck.notes")
                connection.execute("INSERT INTO cards SELECT * FROM deck.cards")
            connection.commit()
            connection.execute("DETACH deck")
        for statement in indexes:
            connection.execute(statement)
        connection.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(decks), json.dumps(models)))
        connection.commit()
        return package_bytes(pinned_database(connection), media, comment)
    finally:
        connection.close()


def _unindexed(connection: sqlite3.Connection) -> list[str]:
    """Drop the main collection's indexes; the statements that make them again."""
    rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                              "ORDER BY rowid").fetchall()
    for name, _ in rows:
        connection.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def _move_clashing_notes(connection: sqlite3.Connection, note_ids: set[int], card_ids: set[int]) -> None:
    """Give ``deck``'s notes whose id a deck before it took the next free block, their cards with them.

    A card whose id a deck before took (only a note of 64 cards or more can reach into another's block)
    takes the next free id. ``note_ids`` and ``card_ids`` get the ids ``deck`` ends up with.
    """
    mine = {row[0] for row in connection.execute("SELECT id FROM deck.notes")}
    for old in sorted(mine & note_ids):
        new = old + CARD_IDS_PER_NOTE
        while new in note_ids or new in mine:
            new += CARD_IDS_PER_NOTE
        mine.add(new)
        connection.execute("UPDATE deck.notes SET id = ? WHERE id = ?", (new, old))
        connection.execute("UPDATE deck.cards SET nid = ?1, id = id + ?1 - ?2 WHERE nid = ?2", (new, old))
    note_ids.update(row[0] for row in connection.execute("SELECT id FROM deck.notes"))
    cards = {row[0] for row in connection.execute("SELECT id FROM deck.cards")}
    for old in sorted(cards & card_ids):
        new = old + 1
        while new in card_ids or new in cards:
            new += 1
        cards.add(new)
        connection.execute("UPDATE deck.cards SET id = ? WHERE id = ?", (new, old))
    card_ids.update(row[0] for row in connection.execute("SELECT id FROM deck.cards"))


def changed_one_package(lock: Lock, out_dir: Path, name: str, new: Mapping[Path, bytes | Path | None],
                        dry_run: bool) -> tuple[Path, bytes | None] | None:
    """The one package to write (its bytes; None under ``dry_run``), or None when it is as it should be."""
    if name in deck_packages(lock):
        raise NameTaken(f"'{name}' is the package of deck '{name.removesuffix('.apkg')}'; choose another name")
    target = out_dir / name
    digest = inputs_digest(lock)
    if is_current(target, digest):
        return None
    return target, None if dry_run else one_package(lock, out_dir, new, digest)
