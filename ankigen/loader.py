"""Read one source file into a ``DeckSource``: bytes -> UTF-8 -> YAML nodes -> model.

The only module that imports yaml. It walks ``yaml.compose`` nodes rather than
loaded dicts because nodes keep their line and column, and it collects every
mistake in a file before giving up, so authors fix a file in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml

from ankigen import ids
from ankigen.cloze import ClozeSyntaxError, ClozeText, parse_cloze
from ankigen.errors import Diagnostic, error
from ankigen.model import Citation, DeckSource, Item, ItemKind, Location, Myth, Text

# Sources are hand-written text; anything larger is a mistake (or an attack).
MAX_SOURCE_BYTES = 4 * 1024 * 1024
# Deep nesting only happens in hostile files; our format is five levels deep.
MAX_DEPTH = 32

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_BOM = "\ufeff"

_DECK_KEYS = ("deck", "id", "description", "source", "tags", "myths")
_CITATION_KEYS = ("title", "author", "date", "url")
_MYTH_KEYS = ("id", "myth", "fact", "tags", "techniques", "limitations")
_ITEM_KEYS = ("name", "id", "text")

T = TypeVar("T")


def load_source(path: Path, display_path: str | None = None) -> tuple[DeckSource | None, list[Diagnostic]]:
    """Load and validate one source; returns the deck (None if unusable) and every problem found."""
    shown = display_path if display_path is not None else str(path)
    start = Location(shown, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            limit = MAX_SOURCE_BYTES // (1024 * 1024)
            return None, [error(start, f"file is too large ({size} bytes; the limit is {limit} MiB)",
                                "split it into several source files")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [error(start, f"cannot read file: {exc.strerror or exc}")]
    return parse_source(data, shown, base_dir=str(path.parent))


def parse_source(data: bytes, path: str, base_dir: str = "") -> tuple[DeckSource | None, list[Diagnostic]]:
    """Parse source bytes (named ``path`` in messages) into a deck."""
    text, problem = _decode(data, path)
    if problem is not None:
        return None, [problem]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_error(exc, path)]
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        return None, [error(Location(path, line, column), f"character {exc.character!r} is not allowed in YAML",
                            "remove it or write it as an escape inside a double-quoted string")]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks the errors above
        return None, [error(Location(path, 1, 1), f"invalid YAML: {exc}")]
    except RecursionError:
        return None, [error(Location(path, 1, 1), "the YAML is nested too deeply",
                            f"a source needs only a few levels; at most {MAX_DEPTH} are allowed")]
    if root is None:
        return None, [error(Location(path, 1, 1), "the file is empty",
                            "a source needs at least 'deck:' and 'myths:'; see the README for an example")]
    reader = _Reader(path, text)
    deck = reader.deck(root, base_dir)
    return (deck if not reader.diagnostics else None), reader.diagnostics


def _decode(data: bytes, path: str) -> tuple[str, Diagnostic | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        bad = data[exc.start:exc.end].hex(" ")
        return "", error(Location(path, line, column), f"the file is not valid UTF-8 (byte {bad})",
                         "save the file as UTF-8")
    return text.removeprefix(_BOM), None


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _yaml_error(exc: yaml.MarkedYAMLError, path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{exc.context}, {problem}"
    hint = "check the indentation and quoting on this line and the one before"
    if "\\t" in problem or "'\\t'" in problem:
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    elif "expected a single document" in problem:
        hint = "a source holds one deck: remove the '---' separator"
    return error(location, f"invalid YAML: {problem}", hint)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _YAML + "null":
        return "nothing"
    return f"{node.value!r}"


@dataclass
class _Reader:
    """Walks the node tree of one file, turning nodes into model records and mistakes into diagnostics."""

    path: str
    source_text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _visited: set[int] = field(default_factory=set)

    # -- plumbing ---------------------------------------------------------------

    def location(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def error(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(self.location(node), message, hint))

    def admit(self, node: yaml.Node, depth: int = 0) -> bool:
        """Refuse what the format never needs: aliases, non-core tags, deep nesting."""
        if id(node) in self._visited:
            self.error(node, "YAML aliases ('*name') are not supported", "write the value out in full")
            return False
        self._visited.add(id(node))
        if depth > MAX_DEPTH:
            self.error(node, "the YAML is nested too deeply", f"at most {MAX_DEPTH} levels are allowed")
            return False
        allowed = _SCALAR_TAGS if isinstance(node, yaml.ScalarNode) else {_YAML + "seq", _YAML + "map"}
        if node.tag not in allowed:
            tag = node.tag.replace(_YAML, "!!")
            self.error(node, f"YAML tag '{tag}' is not allowed", "remove the tag; sources hold plain text and lists")
            return False
        return True

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...],
                required: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """The entries of a mapping node, after reporting unknown, duplicate and missing keys."""
        if not self.admit(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of 'key: value' lines, not {_kind(node)}",
                       f"allowed keys: {', '.join(allowed)}")
            return None
        entries: dict[str, yaml.Node] = {}
        first_seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.error(key_node, f"a key in {what} must be plain text")
                continue
            key = key_node.value
            if key in first_seen:
                line = first_seen[key].start_mark.line + 1
                self.error(key_node, f"duplicate key '{key}' in {what} (first on line {line})",
                           "remove one of them")
                continue
            first_seen[key] = key_node
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.error(key_node, f"unknown key '{key}' in {what}", hint)
                continue
            entries[key] = value_node
        for key in required:
            if key not in entries and key not in first_seen:
                self.error(node, f"{what} is missing the required key '{key}'", f"add '{key}: ...'")
        return entries

    def scalar(self, node: yaml.Node, what: str, hint: str) -> str | None:
        if not self.admit(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what} must be text, not {_kind(node)}", hint)
            return None
        if node.tag == _YAML + "null" or not str(node.value).strip():
            self.error(node, f"{what} is empty", hint)
            return None
        return str(node.value)

    def text(self, node: yaml.Node, what: str) -> Text | None:
        """Markdown text, with a location exact to the character where the source allows it."""
        value = self.scalar(node, what, "write the text after the colon, quoted if it contains ': ' or '#'")
        if value is None:
            return None
        raw = self.source_text[node.start_mark.index:node.end_mark.index]
        location = self.location(node)
        exact = "\n" not in raw and (raw == value or (raw[:1] in "'\"" and raw[1:-1] == value))
        if exact and raw != value:
            location = Location(location.path, location.line, location.column + 1)
        return Text(value, location, exact)

    def key(self, node: yaml.Node, what: str) -> str | None:
        value = self.scalar(node, what, "write a short stable key such as 'transfer-learning'")
        if value is not None and not ids.is_valid_key(value):
            self.error(node, f"{what} '{value}' is not a valid id",
                       "use letters, digits, '-', '_' and '.', starting with a letter or digit")
            return None
        return value

    def tags(self, node: yaml.Node) -> tuple[str, ...]:
        hint = "write tags as a list, such as 'tags: [data, vision]'"
        if not self.admit(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"tags must be a list, not {_kind(node)}", hint)
            return ()
        values = (self.scalar(child, "a tag", hint) for child in node.value)
        return tuple(value for value in values if value is not None)

    def sequence(self, node: yaml.Node, what: str, read: Callable[[yaml.Node], T | None]) -> list[T]:
        if not self.admit(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list ('- ' entries), not {_kind(node)}")
            return []
        results = (read(child) for child in node.value)
        return [result for result in results if result is not None]

    def unique(self, records: list[T], key: Callable[[T], str], location: Callable[[T], Location],
               what: str) -> None:
        seen: dict[str, Location] = {}
        for record in records:
            value, where = key(record), location(record)
            if value in seen:
                self.diagnostics.append(error(
                    where, f"duplicate {what} '{value}' (first on line {seen[value].line})",
                    "give each one its own 'id:'"))
            else:
                seen[value] = where

    # -- the format ---------------------------------------------------------------

    def deck(self, root: yaml.Node, base_dir: str) -> DeckSource | None:
        entries = self.mapping(root, "the deck", _DECK_KEYS, ("deck", "myths"))
        if entries is None:
            return None
        name = self.scalar(entries["deck"], "'deck'", "write the deck's name, such as 'deck: Deep Learning Myths'") \
            if "deck" in entries else None
        key = self.key(entries["id"], "the deck id") if "id" in entries else \
            ids.slugify(Path(self.path).stem)
        description = self.text(entries["description"], "'description'") if "description" in entries else None
        citation = self.citation(entries["source"]) if "source" in entries else None
        tags = self.tags(entries["tags"]) if "tags" in entries else ()
        myths: list[Myth] = []
        if "myths" in entries:
            myths = self.sequence(entries["myths"], "'myths'", self.myth)
            if not myths and isinstance(entries["myths"], yaml.SequenceNode) and not entries["myths"].value:
                self.error(entries["myths"], "'myths' is empty", "add at least one myth with 'myth:' and 'fact:'")
            elif entries["myths"].tag == _YAML + "null":
                self.diagnostics.pop()  # replace "must be a list, not nothing" with the clearer message
                self.error(entries["myths"], "'myths' is empty", "add at least one myth with 'myth:' and 'fact:'")
        self.unique(myths, lambda m: m.key, lambda m: m.location, "myth id")
        if name is None or key is None:
            return None
        return DeckSource(key=key, name=name, description=description, citation=citation, tags=tags,
                          myths=tuple(myths), path=self.path, location=self.location(root), base_dir=base_dir)

    def citation(self, node: yaml.Node) -> Citation | None:
        entries = self.mapping(node, "'source'", _CITATION_KEYS, ("title",))
        if entries is None:
            return None
        values = {key: self.scalar(value, f"'source.{key}'", f"write the {key} as text")
                  for key, value in entries.items()}
        if values.get("title") is None:
            return None
        return Citation(**{key: value or "" for key, value in values.items()})

    def myth(self, node: yaml.Node) -> Myth | None:
        entries = self.mapping(node, "a myth", _MYTH_KEYS, ("myth", "fact"))
        if entries is None:
            return None
        statement = self.text(entries["myth"], "'myth'") if "myth" in entries else None
        fact = self.text(entries["fact"], "'fact'") if "fact" in entries else None
        key = self.key(entries["id"], "the myth id") if "id" in entries else \
            (ids.slugify(statement.source) if statement else None)
        tags = self.tags(entries["tags"]) if "tags" in entries else ()
        techniques = self.items(entries.get("techniques"), "technique")
        limitations = self.items(entries.get("limitations"), "limitation")
        self.unique(techniques + limitations, lambda i: i.key, lambda i: i.location, "technique or limitation id")
        if statement is None or fact is None or key is None:
            return None
        return Myth(key=key, key_is_explicit="id" in entries, myth=statement, fact=fact, tags=tags,
                    techniques=tuple(techniques), limitations=tuple(limitations), location=self.location(node))

    def items(self, node: yaml.Node | None, kind: ItemKind) -> list[Item]:
        if node is None:
            return []
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML + "null" and self.admit(node):
            return []  # "techniques:" with nothing after it: an empty list
        return self.sequence(node, f"'{kind}s'", lambda child: self.item(child, kind))

    def item(self, node: yaml.Node, kind: ItemKind) -> Item | None:
        entries = self.mapping(node, f"a {kind}", _ITEM_KEYS, ("name", "text"))
        if entries is None:
            return None
        name = self.text(entries["name"], "'name'") if "name" in entries else None
        text = self.text(entries["text"], "'text'") if "text" in entries else None
        key = self.key(entries["id"], f"the {kind} id") if "id" in entries else \
            (ids.slugify(name.source) if name else None)
        cloze = self.cloze(text) if text is not None else None
        if name is None or text is None or key is None or cloze is None:
            return None
        return Item(kind=kind, key=key, key_is_explicit="id" in entries, name=name, text=text, cloze=cloze,
                    location=self.location(node))

    def cloze(self, text: Text) -> ClozeText | None:
        try:
            return parse_cloze(text.source, first_number=2)
        except ClozeSyntaxError as exc:
            self.diagnostics.append(error(text.at(exc.offset), exc.message, exc.hint))
            return None
