"""The sha256 of files, remembered with what the file system says of them, so unchanged files are not read again.

To skip a deck, a build must know that its source and its outputs are what the
lock says: at 50,000 notes that is 150 MB to read and hash, half of a rebuild
after a one-line edit. Like git's index, this cache trusts a file whose device,
inode, size, modification and change times are as when it was hashed (any
write moves the change time, which no tool can set back). Like git, it does not
trust a time too close to the moment the file was read: a second write within
the file system's timestamp granularity would not move it. A file is only
remembered once its last change is SETTLED_NS older than the read.

The cache is kept outside the project (ANKIGEN_CACHE_DIR, else
$XDG_CACHE_HOME/ankigen or ~/.cache/ankigen), one small file per output
folder. Losing it, or failing to write it, costs time and nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

CACHE_ENV = "ANKIGEN_CACHE_DIR"
# A file changed at least this long before it is read may be remembered: longer than
# any file system's timestamp granularity (FAT's is 2 s).
SETTLED_NS = 3_000_000_000
_VERSION = 1


class FileDigests:
    """sha256 of files, from the cache when their stat is as remembered; safe to use from several threads."""

    def __init__(self, store: Path | None) -> None:
        self._store = store
        self._known = _load(store)
        self._seen: dict[str, list[int | str]] = {}  # what to remember: the files asked about this time

    @classmethod
    def for_folder(cls, folder: Path) -> FileDigests:
        """The cache for builds into ``folder``."""
        root = cache_root()
        if root is None:
            return cls(None)
        name = hashlib.sha256(os.path.abspath(folder).encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return cls(root / f"{name}.json")

    def sha256(self, path: Path) -> str | None:
        """The hex sha256 of the file's bytes; None if it cannot be read."""
        key = os.path.abspath(path)
        try:
            stat = os.stat(path)
            stamp: list[int | str] = [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
            known = self._known.get(key)
            if known is not None and known[:5] == stamp:
                self._seen[key] = known
                return str(known[5])
            started = time.time_ns()
            data = path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(data).hexdigest()
        if started - max(stat.st_mtime_ns, stat.st_ctime_ns) >= SETTLED_NS and len(data) == stat.st_size:
            self._seen[key] = [*stamp, digest]
        return digest

    def save(self) -> None:
        """Remember the files asked about this time (and forget the rest), if that changes anything."""
        if self._store is None or self._seen == self._known:
            return
        save_cache_file(self._store, _VERSION, "files", dict(sorted(self._seen.items())))


def cache_root() -> Path | None:
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None  # set but empty: no cache
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base:
        return Path(base) / "ankigen"
    home = os.path.expanduser("~")
    return None if home == "~" else Path(home) / ".cache" / "ankigen"


def _load(store: Path | None) -> dict[str, list[int | str]]:
    files = load_cache_file(store, _VERSION, "files")
    return {str(key): list(value) for key, value in files.items() if isinstance(value, list) and len(value) == 6}


def load_cache_file(store: Path | None, version: object, section: str) -> dict[str, Any]:
    """The ``section`` of a cache file that ``save_cache_file`` wrote with this ``version``; empty when the file
    is missing, damaged or of another version (its entries are the caller's to check)."""
    if store is None:
        return {}
    try:
        data = json.loads(store.read_bytes())
        found = data[section] if data.get("version") == version else {}
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return {}  # missing or damaged: start afresh
    return found if isinstance(found, dict) else {}


def save_cache_file(store: Path, version: object, section: str, entries: dict[str, Any]) -> None:
    """Write a cache file; where it cannot be written (a read-only home, a full disk), the next build works
    it all out again. It is not flushed to disk: a file a crash tore is not JSON, and is read as empty."""
    from ankigen.atomic import OutputError, write_bytes_atomic

    data = {"version": version, section: entries}
    with contextlib.suppress(OSError, OutputError):
        write_bytes_atomic(store, json.dumps(data).encode("utf-8"), flush=False)


def json_digest(value: object) -> str:
    """The hex sha256 of ``value`` as JSON: how ankigen's caches name what was made from ``value``."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode("utf-8")).hexdigest()


@cache
def code_fingerprint(package: str, ours: Path) -> str:
    """ankigen's version, one of its files and an installed package's files (name, size, time), read without
    loading the package: what a cache of that code's results is valid for. A new release of either, or an
    edited file, makes everything made before unknown."""
    import importlib.util

    from ankigen import __version__

    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    files = [f"{ours.name}:{ours.stat().st_size}:{ours.stat().st_mtime_ns}"]
    for folder in folders:
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
                if entry.is_file():
                    stat = entry.stat()
                    files.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return f"ankigen {__version__}; {package} {'|'.join(files)}"
