"""``ankigen check --fix``: write every missing ``id:`` into the sources, changing nothing else.

Each deck, myth and item without an explicit id gets the id it has now (the
one ``check`` warns about), as one new line right after the first entry of its
mapping, indented like its keys (``id: x, `` after the brace in a flow mapping).
Nothing else in the file moves: comments, quoting, key order, blank lines, line
endings (the new line takes the one of the line before it) and a BOM stay as
they were, byte for byte. A file with errors is left alone. Running it again
changes nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ankigen.loader import EntrySpot, entry_spots, parse_source
from ankigen.model import DeckSource, Location
from ankigen.pipeline import discover_sources, display_path, load_decks

_BOM = "\ufeff"


@dataclass(frozen=True)
class Fixed:
    path: Path
    shown: str
    before: bytes
    after: bytes
    ids: tuple[str, ...]  # the ids written, as "myth-id" or "myth-id/item-id" ("deck" for the deck's)

    def diff(self) -> str:
        """A unified diff of the change (lines kept with their own endings)."""
        old = self.before.decode("utf-8").splitlines(keepends=True)
        new = self.after.decode("utf-8").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.shown}", f"b/{self.shown}"))


@dataclass(frozen=True)
class Skipped:
    shown: str
    reason: str


def fix_ids(paths: list[str]) -> tuple[list[Fixed], list[Skipped], list[str]]:
    """What ``--fix`` would change in each source, what it must leave and why, and any problem finding files.

    Writes nothing: ``write_fixes`` does.
    """
    files, problems = discover_sources(paths)
    fixed: list[Fixed] = []
    skipped: list[Skipped] = []
    for path in files:
        shown = display_path(path)
        loaded, diagnostics = load_decks([str(path)], lint=False)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors or not loaded:
            skipped.append(Skipped(shown, f"not fixed: it has {len(errors) or 1} error(s); run 'ankigen check' "
                                          "and correct them first"))
            continue
        raw = loaded[0].raw
        result = _with_ids(raw, loaded[0].source, shown)
        if isinstance(result, Skipped):
            skipped.append(result)
        elif result is not None:
            fixed.append(Fixed(path, shown, raw, *result))
    return fixed, skipped, [f"{p.location.path}: error: {p.message}" for p in problems]


def write_fixes(fixed: list[Fixed]) -> None:
    from ankigen.atomic import write_bytes_atomic

    for change in fixed:
        write_bytes_atomic(change.path, change.after)


def _with_ids(raw: bytes, source: DeckSource, shown: str) -> tuple[bytes, tuple[str, ...]] | Skipped | None:
    """The source with its missing ids written in, and which; None when none is missing."""
    wanted: list[tuple[Location, str, str]] = []  # where the mapping starts, the id, what it names
    if not source.key_is_explicit:
        wanted.append((source.location, source.key, "deck"))
    for myth in source.myths:
        if not myth.key_is_explicit:
            wanted.append((myth.location, myth.key, myth.key))
        wanted += [(item.location, item.key, f"{myth.key}/{item.key}") for item in myth.items
                   if not item.key_is_explicit]
    if not wanted:
        return None
    text = raw.decode("utf-8")
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom):]
    spots = entry_spots(body)
    inserts: list[tuple[int, str]] = []
    for location, key, _ in wanted:
        spot = spots.get((location.line, location.column))
        if spot is None:  # pragma: no cover - every mapping the model names has a spot
            return Skipped(shown, f"not fixed: cannot place an id at line {location.line}")
        inserts.append((spot.at, _entry(body, spot, key)))
    for index, entry in sorted(inserts, reverse=True):
        body = body[:index] + entry + body[index:]
    after = (bom + body).encode("utf-8")
    check, diagnostics = parse_source(after, shown)
    if check is None or any(d.severity == "error" for d in diagnostics) or \
            _keys(check) != _keys(source) or not _all_explicit(check):  # pragma: no cover - a safety net
        return Skipped(shown, "not fixed: writing the ids would change what the file means; add them by hand")
    return after, tuple(name for _, _, name in wanted)


def _entry(body: str, spot: EntrySpot, key: str) -> str:
    value = f"'{key}'" if key in ("null", "true", "false", "yes", "no", "on", "off") else key
    if spot.indent < 0:
        return f"id: {value}, "
    before = body[:spot.at]
    newline = "\r\n" if before.endswith("\r\n") else (before[-1:] if before[-1:] in ("\n", "\r") else "\n")
    prefix = "" if not before or before[-1:] in "\n\r\x85\u2028\u2029" else newline  # a last line without one
    return f"{prefix}{' ' * spot.indent}id: {value}{newline if not prefix else ''}"


def _keys(source: DeckSource) -> list[str]:
    return [source.key, *(m.key for m in source.myths), *(f"{m.key}/{i.key}" for m in source.myths for i in m.items)]


def _all_explicit(source: DeckSource) -> bool:
    return source.key_is_explicit and all(m.key_is_explicit and all(i.key_is_explicit for i in m.items)
                                          for m in source.myths)
