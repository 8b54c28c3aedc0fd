"""What genanki writes before any note, kept between builds so a rebuild need not load genanki.

Before any note, a deck's collection holds genanki's schema, Anki's settings,
and a row naming the deck and the notetypes its notes use. Loading genanki
(which loads asyncio, through cached_property) is a tenth of rebuilding one
edited deck of many, to write what it wrote the time before. apkg.py keeps
what genanki wrote (the empty collection, its indexes, and the row for each
set of notetypes, with a placeholder deck) in ankigen's cache folder
(digests.cache_root), a file each, named by a hash of what it was made from
and of the genanki files that made it; each file carries the sha256 of its
content. A missing, damaged or unwritable file only costs loading genanki."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from ankigen.atomic import TEMP_PREFIX, OutputError, write_bytes_atomic
from ankigen.digests import cache_root, code_fingerprint, json_digest

FOLDER = "collections"
# Past this many files the oldest are removed when one is added: a cache, not an archive.
MAX_FILES = 1000
_DIGEST_SIZE = 32


def key(*parts: object) -> str:
    """The name of what ``parts`` (JSON values) make, with this ankigen, apkg.py and genanki as installed."""
    return json_digest([code_fingerprint("genanki", Path(__file__).with_name("apkg.py")), *parts])


def load(name: str) -> bytes | None:
    """The bytes saved as ``name``; None when there are none, or they are not what was saved."""
    folder = _folder()
    if folder is None:
        return None
    try:
        stored = (folder / name).read_bytes()
    except OSError:
        return None
    data, digest = stored[:-_DIGEST_SIZE], stored[-_DIGEST_SIZE:]
    return data if len(stored) > _DIGEST_SIZE and hashlib.sha256(data).digest() == digest else None


def load_or_make(name: str, make: Callable[[], bytes]) -> bytes:
    """The bytes saved as ``name``, or what ``make`` makes now (then saved as ``name``)."""
    found = load(name)
    if found is None:
        found = make()
        save(name, found)
    return found


def save(name: str, data: bytes) -> None:
    """Keep ``data`` as ``name`` (not flushed to disk: a torn file fails its digest and is made again)."""
    folder = _folder()
    if folder is None:
        return
    with contextlib.suppress(OSError, OutputError):
        write_bytes_atomic(folder / name, data + hashlib.sha256(data).digest(), flush=False)
        _forget_oldest(folder)


def _forget_oldest(folder: Path) -> None:
    entries = [entry for entry in os.scandir(folder) if not entry.name.startswith(TEMP_PREFIX)]
    if len(entries) <= MAX_FILES:
        return
    entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
    for entry in entries[:len(entries) - MAX_FILES]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def _folder() -> Path | None:
    root = cache_root()
    return root / FOLDER if root is not None else None
