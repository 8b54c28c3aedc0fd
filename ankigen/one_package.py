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
    """The packages' notes, cards, decks, notetypes and media in one package (the first one's settings)."""
    media: dict[str, bytes] = {}
    decks: dict[str, object] = {}
    models: dict[str, object] = {}
    connection = sqlite3.connect(":memory:")
    try:
        for index, package in enumerate(packages):
            collection, files = read_package(package)
            media.update(files)  # media names are digests of their bytes (media.py): the same name, the same file
            schema = "main" if index == 0 else "deck"
            if index:
                connection.execute("ATTACH ':memory:' AS deck")
            connection.deserialize(collection, name=schema)
            (more_decks, more_models), = connection.execute(f"SELECT decks, models FROM {schema}.col").fetchall()
            decks.update(json.loads(more_decks))
            models.update({key: value for key, value in json.loads(more_models).items() if key not in models})
            if index:
                _add_rows(connection)
                connection.execute("DETACH deck")
        connection.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(decks), json.dumps(models)))
        connection.commit()
        return package_bytes(pinned_database(connection), media, comment)
    finally:
        connection.close()


def _add_rows(connection: sqlite3.Connection) -> None:
    """Add the attached package ``deck``'s notes and cards to the main collection."""
    _move_clashing_notes(connection)
    _move_clashing_cards(connection)
    connection.execute("INSERT INTO notes SELECT * FROM deck.notes ORDER BY id")
    connection.execute("INSERT INTO cards SELECT * FROM deck.cards ORDER BY id")
    connection.commit()


def _move_clashing_notes(connection: sqlite3.Connection) -> None:
    """Give ``deck``'s notes whose id a deck before it took the next free block, their cards with them."""
    clashes = [row[0] for row in connection.execute(
        "SELECT d.id FROM deck.notes d JOIN main.notes m ON m.id = d.id ORDER BY d.id")]
    for old in clashes:
        new = old + CARD_IDS_PER_NOTE
        while connection.execute("SELECT 1 FROM main.notes WHERE id = ?1 UNION ALL SELECT 1 FROM deck.notes "
                                 "WHERE id = ?1", (new,)).fetchone():
            new += CARD_IDS_PER_NOTE
        connection.execute("UPDATE deck.notes SET id = ? WHERE id = ?", (new, old))
        connection.execute("UPDATE deck.cards SET nid = ?1, id = id + ?1 - ?2 WHERE nid = ?2", (new, old))


def _move_clashing_cards(connection: sqlite3.Connection) -> None:
    """Give ``deck``'s cards whose id another card has the next free id (only a note of 64 cards or more can)."""
    clashes = [row[0] for row in connection.execute(
        "SELECT d.id FROM deck.cards d JOIN main.cards m ON m.id = d.id ORDER BY d.id")]
    for old in clashes:
        new = old + 1
        while connection.execute("SELECT 1 FROM main.cards WHERE id = ?1 UNION ALL SELECT 1 FROM deck.cards "
                                 "WHERE id = ?1", (new,)).fetchone():
            new += 1
        connection.execute("UPDATE deck.cards SET id = ? WHERE id = ?", (new, old))


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
