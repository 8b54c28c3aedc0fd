"""The sources in the author's own terms: frozen records with a location on each.

Records made for every note are tuples (NamedTuple): quicker to make and to
define than frozen dataclasses, which a rebuild of one deck pays for at import.
``Text`` and ``DeckSource`` stay dataclasses: their equality leaves fields out.

The loader produces these and nothing downstream reads YAML again, so every
later stage can point an error at the line the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:  # an Item's type only: a build with nothing to rebuild need not load the cloze parser
    from ankigen.cloze import ClozeText

ItemKind = Literal["technique", "limitation"]


class Location(NamedTuple):  # a tuple, not a dataclass: a build makes hundreds of thousands
    """A place in a source: ``path`` as the user named it, 1-based line and column."""

    path: str
    line: int = 1
    column: int = 1


class Citation(NamedTuple):
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
    # The scalar as the file spells it (quotes, block indicator, indentation, line
    # breaks), starting at ``location``: lets ``at`` find a character in texts that
    # span lines. Empty when ``exact`` or when the text did not come from a file.
    written: str = field(default="", compare=False, repr=False)

    def at(self, offset: int) -> Location:
        """The location of the character at ``offset`` in the text, as near as the source allows."""
        if self.exact:
            return Location(self.location.path, self.location.line, self.location.column + offset)
        index = _written_index(self.source, self.written, offset)
        if index is None:
            return self.location
        line_start = self.written.rfind("\n", 0, index) + 1
        if line_start == 0:
            return Location(self.location.path, self.location.line, self.location.column + index)
        return Location(self.location.path, self.location.line + self.written.count("\n", 0, index),
                        index - line_start + 1)


def _written_index(value: str, written: str, offset: int) -> int | None:
    """Where ``value[offset]`` is in ``written``, or None when the two cannot be matched up.

    Every character of a YAML scalar's value appears in its written form in the
    same order, apart from folded line breaks and escapes, so each character is
    matched with the next equal one; if any fails to match (an escape such as
    ``\\x7b``), the answer is unreliable and None is returned.
    """
    if not written or not 0 <= offset < len(value):
        return None
    start = 0
    if written[:1] in ("|", ">"):  # skip the block header ('|-', '>2' ...): it is not text
        start = written.find("\n") + 1
    elif written[:1] in ("'", '"'):
        start = 1
    if start <= 0 and written[:1] in ("|", ">"):
        return None
    found = None
    position = start
    for index, char in enumerate(value):
        if char in " \n":  # folding turns line breaks and indentation into these: match loosely
            if index == offset:
                found = position
            continue
        position = written.find(char, position)
        if position < 0:
            return None
        if index == offset:
            found = position
        position += 1
    return found


class Item(NamedTuple):
    """A technique or limitation: becomes one cloze note."""

    kind: ItemKind
    key: str
    key_is_explicit: bool
    name: Text
    text: Text
    cloze: ClozeText  # ``text`` parsed: literal pieces and numbered deletions
    location: Location
    was: str = ""  # 'was:': its id before a rename, or 'myth/item' (see identity.py)


class TrueStatement(NamedTuple):
    """A further true statement about a myth's subject: becomes a "Myth or fact?" card answered "Fact"."""

    key: str
    key_is_explicit: bool
    text: Text
    location: Location


class Myth(NamedTuple):
    key: str
    key_is_explicit: bool
    myth: Text
    fact: Text
    tags: tuple[str, ...]
    techniques: tuple[Item, ...]
    limitations: tuple[Item, ...]
    location: Location
    was: str = ""  # 'was:': its id before a rename (see identity.py)
    true_statements: tuple[TrueStatement, ...] = ()

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
    key_location: Location | None = field(default=None, compare=False)  # its 'id:' value; None: from the file name
    key_is_explicit: bool = True
    lang: str = "en"  # the language of its labels and cards: a key of labels.LANGUAGES ('lang:' resolved)
