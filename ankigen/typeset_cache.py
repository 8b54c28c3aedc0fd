"""Formulas typeset in earlier builds, so that a rebuild need not load latex2mathml to typeset them again.

Loading latex2mathml (and the standard library it pulls in) takes a quarter of
rebuilding one edited deck that has math, for formulas that were nearly all
typeset before. What ``mathml._typeset`` made of each formula (its MathML, or
why it could not) is kept in one JSON file in ankigen's cache folder (see
digests.py: ``ANKIGEN_CACHE_DIR``, else ``~/.cache/ankigen``), keyed by a hash of
what was typeset. It is valid only for the ankigen and the latex2mathml files
that made it (their sizes and times, read without loading latex2mathml).
A missing, damaged or unwritable file only costs the typesetting.
"""

from __future__ import annotations

from pathlib import Path

from ankigen.digests import code_fingerprint, json_digest, load_cache_file, save_cache_file

# Past this many entries the oldest are forgotten: a cache, not an archive.
MAX_ENTRIES = 20_000
_FILE_NAME = "typeset.json"

Entry = tuple[bool, str]  # (typeset, its MathML) or (not typeset, why)


class TypesetCache:
    """Typesetting results by key, read from disk when first asked for and written by ``save``."""

    def __init__(self, store: Path | None) -> None:
        self._store = store
        self._entries: dict[str, list[object]] | None = None
        self._new: dict[str, list[object]] = {}

    @classmethod
    def in_folder(cls, root: Path | None) -> TypesetCache:
        """The store in ankigen's cache folder ``root`` (digests.cache_root; None: caching is off)."""
        return cls(root / _FILE_NAME if root is not None else None)

    def get(self, key: str) -> Entry | None:
        if self._entries is None:
            self._entries = _load(self._store)
        found = self._new.get(key) or self._entries.get(key)
        return (bool(found[0]), str(found[1])) if found is not None else None

    def put(self, key: str, entry: Entry) -> None:
        self._new[key] = [entry[0], entry[1]]

    def save(self) -> None:
        """Add what was typeset since the last save to the file (as it is now: other builds write it too)."""
        if self._store is None or not self._new:
            return
        entries = _load(self._store)
        for key, value in self._new.items():
            entries.pop(key, None)
            entries[key] = value  # newest last
        save_cache_file(self._store, _fingerprint(), "entries", dict(list(entries.items())[-MAX_ENTRIES:]))
        if self._entries is not None:
            self._entries.update(self._new)
        self._new = {}


def key(*parts: object) -> str:
    """The key of one typesetting: a hash of everything it was made from."""
    return json_digest(parts)


def _load(store: Path | None) -> dict[str, list[object]]:
    entries = load_cache_file(store, _fingerprint(), "entries")
    return {str(k): list(v) for k, v in entries.items()
            if isinstance(v, list) and len(v) == 2 and isinstance(v[1], str)}


def _fingerprint() -> str:
    """This ankigen's version, its typesetting code and latex2mathml's files as installed."""
    return code_fingerprint("latex2mathml", Path(__file__).with_name("mathml.py"))
