"""The sources in the author's own terms: frozen records with a location on each.

The loader produces these and nothing downstream reads YAML again, so every
later stage can point an error at the line the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ankigen.cloze import ClozeText

ItemKind = Literal["technique", "limitation"]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source: ``path`` as the user named it, 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Citation:
    title: str
    author: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Text:
    """Markdown text as written, with where it starts (for errors inside it)."""

    source: str
    location: Location
    exact: bool = False  # True when offsets into ``source`` map 1:1 to columns in the file

    def at(self, offset: int) -> Location:
        """The location of the character at ``offset`` in the text, as near as the source allows."""
        if not self.exact:
            return self.location
        return Location(self.location.path, self.location.line, self.location.column + offset)


@dataclass(frozen=True)
class Item:
    """A technique or limitation: becomes one cloze note."""

    kind: ItemKind
    key: str
    key_is_explicit: bool
    name: Text
    text: Text
    cloze: ClozeText  # ``text`` parsed: literal pieces and numbered deletions
    location: Location


@dataclass(frozen=True)
class Myth:
    key: str
    key_is_explicit: bool
    myth: Text
    fact: Text
    tags: tuple[str, ...]
    techniques: tuple[Item, ...]
    limitations: tuple[Item, ...]
    location: Location

    @property
    def items(self) -> tuple[Item, ...]:
        return self.techniques + self.limitations


@dataclass(frozen=True)
class DeckSource:
    """One source file: one deck."""

    key: str
    name: str
    description: Text | None
    citation: Citation | None
    tags: tuple[str, ...]
    myths: tuple[Myth, ...]
    path: str
    location: Location = field(compare=False)
    base_dir: str = ""
