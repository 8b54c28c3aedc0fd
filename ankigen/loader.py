"""Read one source file into a ``DeckSource``: bytes -> UTF-8 -> YAML nodes -> model.

The only module that imports yaml. It walks ``yaml.compose`` nodes rather than
loaded dicts because nodes keep their line and column, and it collects every
mistake in a file before giving up, so authors fix a file in one pass.
"""

from __future__ import annotations

import difflib
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeVar

import yaml

from ankigen import ids, labels
from ankigen.cloze import ClozeSyntaxError, ClozeText, parse_cloze
from ankigen.errors import Diagnostic, error
from ankigen.model import Citation, DeckSource, Item, ItemKind, Location, Myth, Text, TrueStatement

# Sources are hand-written text; anything larger is a mistake (or an attack).
MAX_SOURCE_BYTES = 4 * 1024 * 1024
# Deep nesting only happens in hostile files; our format is five levels deep.
MAX_DEPTH = 32
_DEPTH_HINT = f"a source needs only a few levels of lists and mappings; at most {MAX_DEPTH} are allowed"
# A deck id names its files ('<id>.apkg', '<id>.html'), and file names have at most 255 bytes
# everywhere: every id that could ever be built stays valid.
MAX_DECK_ID = 250

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML = "tag:yaml.org,2002:"
_STR_TAG = _YAML + "str"
_NULL_TAG = _YAML + "null"
# The node types, as module globals: the reader looks them up for nearly every node.
_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
# Plain scalars the reader must tell apart; every other one is text to it, whatever it looks like.
# A plain '=' or '<<' is text too ('tags: [=, <<]'): only a '<<' key means a merge, and
# ``_Reader.mapping`` looks for that itself.
_PLAIN_TAGS = {"": _YAML + "null", "~": _YAML + "null", "null": _YAML + "null", "Null": _YAML + "null",
               "NULL": _YAML + "null", "!": _YAML + "yaml", "&": _YAML + "yaml", "*": _YAML + "yaml"}


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, resolving only the plain scalars that matter here (as it would); the rest are str.

    The reader takes every scalar's text as written, so whether '2026' is an int
    does not matter; working that out for every scalar took a sixth of composing.
    """

    # The composer calls these around every node for path resolvers, which the safe loader has none of: builtins
    # that take the same arguments and do nothing are quicker than BaseResolver's methods that return at once.
    descend_resolver = staticmethod(operator.is_)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool] | bool) -> str:
        if kind is _ScalarNode:  # implicit is (plain, quoted) for a scalar
            return _PLAIN_TAGS.get(value, _STR_TAG) if implicit[0] else _STR_TAG  # type: ignore[index]
        return _COLLECTION_TAG[kind]  # (what BaseResolver.resolve answers, without path resolvers)


# What the safe loader tags a list and a mapping with.
_COLLECTION_TAG: dict[type[yaml.Node], str] = {yaml.SequenceNode: _YAML + "seq", yaml.MappingNode: _YAML + "map"}
# Location(...), Item(...) and Myth(...) without the Python-level __new__ of a NamedTuple (the same tuple, its fields
# given in order): the reader makes one per entry. tests/test_fast_parse.py checks each field is where it belongs.
_new_tuple = tuple.__new__
_new_object = object.__new__


def _text_record(source: str, location: Location, exact: bool, written: str) -> Text:
    """Text(source, location, exact, written) without the frozen dataclass's ``__init__``, which sets each field
    with a call to ``object.__setattr__``: the fields go straight into the record's ``__dict__`` (a dict of
    its own, some 64 bytes more than the inline fields ``__init__`` leaves), at a third of the cost; the reader
    makes one per text field. tests/test_fast_parse.py checks it equals Text(...) and behaves as one."""
    made = _new_object(Text)
    fields = made.__dict__
    fields["source"] = source
    fields["location"] = location
    fields["exact"] = exact
    fields["written"] = written
    return made


# What no value may hold, though YAML's escapes can make it: control characters (Anki's field separator
# U+001F among them), noncharacters (ankigen's placeholders) and lone surrogates. Each is a control, a
# surrogate or unassigned, none printable: a str.isprintable() value holds none (tests/test_fast_parse.py
# checks every code point), and only the others are searched.
#
# YAML itself refuses, written as they are in a file, all of them but the noncharacters U+FDD0 to U+FDEF
# (tests/test_fast_parse.py checks every code point), so a file whose bytes hold none of those can put one in
# a value only through an escape in double quotes. In UTF-8 each of them starts with these two bytes.
_NONCHARACTERS_UTF8 = b"\xef\xb7"
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
# One text of a card or a description; a card's text is read in seconds (check warns past 300 characters),
# and this bound keeps rendering each text's Markdown quick whatever it holds.
MAX_TEXT_CHARACTERS = 10_000
# Anki refuses a package whose deck is nested deeper than this (rslib: "deck nesting level too deep").
MAX_DECK_LEVELS = 10

_SCALAR_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_COLLECTION_TAGS = frozenset((_YAML + "seq", _YAML + "map"))
_BOM = "\ufeff"

# The format's keys, each table with the keys it requires: ankigen/schema/ankigen.schema.json
# (`ankigen schema`) says the same for editors, and tests/test_schema.py keeps the two in step.
_DECK_KEYS = ("deck", "id", "lang", "description", "source", "tags", "myths")
_DECK_REQUIRED = ("deck", "myths")
_CITATION_KEYS = ("title", "author", "date", "url")
_CITATION_REQUIRED = ("title",)
_MYTH_KEYS = ("id", "myth", "fact", "true_statements", "tags", "techniques", "limitations", "was")
_MYTH_REQUIRED = ("myth", "fact")
_ITEM_KEYS = ("name", "id", "text", "was")
_ITEM_REQUIRED = ("name", "text")
_TRUE_STATEMENT_KEYS = ("id", "text")
_TRUE_STATEMENT_REQUIRED = ("text",)
# How messages name an item's list, the item, its id and its 'was' (made once, not for every item).
_ITEM_WORDS: dict[str, tuple[str, str, str, str]] = {
    kind: (f"'{kind}s'", f"a {kind}", f"the {kind} id", f"the {kind}'s 'was'") for kind in ("technique", "limitation")}

T = TypeVar("T")
_MYTHS = object()  # the scope of myth ids (item ids are scoped by their myth's node)


def json_schema() -> str:
    """The JSON Schema of the source format, for editors (package data; it follows the key tables above)."""
    return Path(__file__).with_name("schema").joinpath("ankigen.schema.json").read_text("utf-8")


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


def parse_source(data: bytes, path: str, base_dir: str = "",
                 texts: list[Text] | None = None) -> tuple[DeckSource | None, list[Diagnostic]]:
    """Parse source bytes (named ``path`` in messages) into a deck.

    ``texts``, when given, receives every text field read, even from a file with
    errors, so that what they refer to (images) is checked in the same pass.
    """
    text, problem = _decode(data, path)
    if problem is not None:
        return None, [problem]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_error(exc, text, path)]
    except yaml.reader.ReaderError as exc:
        # libyaml counts the position in UTF-8 bytes, the pure-Python reader in characters
        index = exc.position if _BaseLoader is yaml.SafeLoader else \
            len(text.encode("utf-8")[:exc.position].decode("utf-8", "ignore"))
        line, column = _line_column(text, index)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        return None, [error(Location(path, line, column), f"control character U+{code:04X} is not allowed in YAML",
                            f"remove it, or write it as \"{escape}\" in a double-quoted string")]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks the errors above
        return None, [error(Location(path, 1, 1), f"invalid YAML: {exc}")]
    except RecursionError:
        return None, [error(Location(path, 1, 1), "the YAML is nested too deeply", _DEPTH_HINT)]
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _YAML + "null" and not root.value):
        return None, [error(Location(path, 1, 1), "the file is empty",
                            "a source needs at least 'deck:' and 'myths:'; see the README for an example")]
    anchored = _may_hold_anchors(text)
    refused = _refuse_aliases_and_depth(root, text, path) if anchored else []
    if refused:
        return None, refused
    # (an ASCII file holds none of them: str.isascii is a flag, where the search reads the whole file)
    reader = _Reader(path, text, raw_is_text=text.isascii() or _NONCHARACTERS_UTF8 not in data)
    deck = reader.deck(root, base_dir)
    if reader.diagnostics and not anchored:
        # Checked after reading, and only when there is something to report: a read that finds nothing has
        # looked at every node, none deeper than the format's few levels. A file too deep is told only that,
        # as if this walk had come first (the reader never goes deeper than the format, whatever it holds).
        refused = _refuse_depth(root, path)
        if refused:
            return None, refused
    if texts is not None:
        texts.extend(reader.texts)
    return (deck if not reader.diagnostics else None), reader.diagnostics


class EntrySpot(NamedTuple):
    """Where a new first-level entry of a mapping can be written (for ``ankigen check --fix``)."""

    at: int  # where, in the text without its BOM
    indent: int  # the column of the mapping's keys; -1 for a flow mapping ('{a: 1}'): write 'key: value, '


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as line breaks


def entry_spots(text: str) -> dict[tuple[int, int], EntrySpot]:
    """For each mapping in ``text`` (a source that loads), by its 1-based line and column as the model's
    locations name it: where a new entry goes, right after its first entry and that entry's line (so a
    block scalar, a comment or a blank line after it is left as it is)."""
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
    root = yaml.compose(text, Loader=_Loader)
    spots: dict[tuple[int, int], EntrySpot] = {}
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        if not isinstance(node, yaml.MappingNode):
            continue
        stack.extend(value for _, value in node.value)
        if not node.value:
            continue
        key, value = node.value[0]
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.flow_style:
            spots[where] = EntrySpot(starts[key.start_mark.line] + key.start_mark.column, -1)
            continue
        end = value.end_mark
        line_start = starts[end.line] if end.line < len(starts) else len(text)
        if text[line_start:line_start + end.column].strip(" \t"):  # the value ends inside the line: after it
            line_start = starts[end.line + 1] if end.line + 1 < len(starts) else len(text)
        spots[where] = EntrySpot(line_start, key.start_mark.column)
    return spots


def _decode(data: bytes, path: str) -> tuple[str, Diagnostic | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "", error(Location(path, 1, 1), "the file is UTF-16, not UTF-8", "save the file as UTF-8")
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


def _yaml_error(exc: yaml.MarkedYAMLError, text: str, path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
    problem = exc.problem or "invalid YAML"
    hint = "check the indentation and quoting on this line and the one before"
    context = exc.context_mark
    if exc.context and context is not None and mark is not None and (context.line, context.column) != \
            (mark.line, mark.column):
        hint = f"{exc.context} that starts at line {context.line + 1}, column {context.column + 1}; {hint}"
    elif exc.context:
        problem = f"{exc.context}, {problem}"
    lines = text.splitlines()
    near = {m.line for m in (context, mark) if m is not None} | ({mark.line - 1} if mark is not None else set())
    for number in sorted(n for n in near if 0 <= n < len(lines)):
        odd = next((column for column, char in enumerate(lines[number]) if char in _ODD_SPACES), None)
        if odd is not None:  # pasted from a web page or a word processor
            return error(Location(path, number + 1, odd + 1),
                         f"invalid YAML: {_describe(lines[number][odd])} where YAML expects a plain space",
                         "replace it with a normal space")
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    indentation = line[:len(line) - len(line.lstrip(" \t"))]
    if "\t" in indentation or "tab" in problem:
        if "\t" in indentation:
            location = Location(path, location.line, indentation.index("\t") + 1)
        return error(location, "invalid YAML: a tab is used for indentation",
                     "indent with spaces; YAML does not allow tabs")
    escape = _bad_escape(exc, lines)
    if escape is not None:
        return _escape_error(Location(path, escape[0] + 1, escape[1] + 1), lines[escape[0]][escape[1]:escape[1] + 2])
    braces = _unquoted_braces(lines, [m.line for m in (mark, context) if m is not None])
    if braces is not None:
        return _braces_error(Location(path, braces[0] + 1, braces[1] + 1))
    if "quoted scalar" in (exc.context or "") and context is not None:
        return error(Location(path, context.line + 1, context.column + 1),
                     "invalid YAML: this quoted text is never closed", "end it with the quote it starts with")
    if "expected a single document" in (exc.context or ""):
        return error(location, "invalid YAML: a second document starts here",
                     "a source holds one deck: remove the '---' separator and what follows, or move it to its own file")
    if "nesting depth" in problem:
        return error(location, "the YAML is nested too deeply", _DEPTH_HINT)
    elif "mapping values are not allowed" in problem:
        hint = "put text that contains ': ' in quotes, and line up the keys of one entry under each other"
    elif "undefined alias" in problem:
        hint = "aliases ('*name') are not supported: write the value out in full"
    return error(location, f"invalid YAML: {problem}", hint)


def _bad_escape(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int] | None:
    """Where the backslash is (0-based line and column) if the error is an escape YAML refuses in double quotes.

    libyaml marks the backslash, PyYAML the character after it (or a bad hex digit): the
    nearest backslash at or before the mark on its line is the one.
    """
    mark, problem = exc.problem_mark, exc.problem or ""
    if mark is None or mark.line >= len(lines) or "quoted scalar" not in (exc.context or "") or \
            not ("escape" in problem or "hex" in problem):
        return None
    line = lines[mark.line]
    column = line.rfind("\\", 0, mark.column + 1)
    return (mark.line, column) if column >= 0 else None


def _escape_error(where: Location, escape: str) -> Diagnostic:
    return error(where, f"invalid YAML: '{escape}' is not a valid escape in double-quoted text",
                 "between double quotes '\\' starts an escape such as '\\n': put text with TeX or other "
                 "backslashes in single quotes, or in a block scalar ('|' or '>'), where '\\' is kept as written")


# A value that starts with '{{' (a cloze): YAML reads '{' as the start of a mapping.
_BRACES_VALUE = re.compile(r"^[ \t]*(?:-[ \t]+)*(?:[\w.-]+:[ \t]+)?(\{\{)")


def _unquoted_braces(lines: list[str], numbers: list[int]) -> tuple[int, int] | None:
    """The 0-based line and column of an unquoted value starting with '{{' on one of these lines, if any."""
    for number in numbers:
        if 0 <= number < len(lines):
            found = _BRACES_VALUE.search(lines[number])
            if found is not None:
                return number, found.start(1)
    return None


def _braces_error(where: Location) -> Diagnostic:
    return error(where, "a value that starts with '{{' must be in quotes",
                 "YAML reads an unquoted '{' as the start of a mapping: put the whole value in quotes, "
                 "such as text: '{{pre-trained}} models help'")


# Spaces YAML does not take as spaces (a no-break space reads as part of a word).
_ODD_SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                        "\u200b\u202f\u205f\u3000\ufeff")


def _describe(char: str) -> str:
    """A character as a message can show it: 'U+00A0 NO-BREAK SPACE'."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'character').upper()}"


def _refuse_aliases_and_depth(root: yaml.Node, text: str, path: str) -> list[Diagnostic]:
    """Walk every node once (without recursion): aliases and deep nesting are refused before reading.

    ``yaml.compose`` does not expand an alias; it hands back the anchored node
    again, so a "billion laughs" file composes small, and this walk, which
    visits each node object once, stays linear. An alias's own position is not
    on the node, so when there is one the events are read again to find them all.
    """
    seen: set[int] = set()
    has_alias = False
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            has_alias = True
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            where = Location(path, node.start_mark.line + 1, node.start_mark.column + 1)
            return [error(where, "the YAML is nested too deeply", _DEPTH_HINT)]
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend(((value, depth + 1), (key, depth + 1)))
    if not has_alias:
        return []
    aliases = [event for event in yaml.parse(text, Loader=_Loader) if isinstance(event, yaml.AliasEvent)]
    first, mark = aliases[0], aliases[0].start_mark
    where = Location(path, mark.line + 1, mark.column + 1) if mark is not None else Location(path, 1, 1)
    if len(aliases) == 1:
        return [error(where, f"YAML alias '*{first.anchor}' is not supported", "write the value out in full")]
    # one line for the file, not one per alias: a file of them would bury every other message
    return [error(where, f"YAML aliases are not supported: this file has {len(aliases)}, the first is "
                  f"'*{first.anchor}'", "write each value out in full")]


def _may_hold_anchors(text: str) -> bool:
    """Whether ``text`` may hold a YAML anchor ('&name'); without one there are no aliases either.

    An anchor follows a space, a line break or a flow indicator, or starts the
    text; an '&' inside a word ('R&D') cannot start one.
    """
    at = text.find("&")
    while at >= 0:
        if at == 0 or text[at - 1].isspace() or text[at - 1] in "[]{},:":
            return True
        at = text.find("&", at + 1)
    return False


def _refuse_depth(root: yaml.Node, path: str) -> list[Diagnostic]:
    """_refuse_aliases_and_depth for a file without aliases: the same answer, visiting only lists and mappings.

    Nodes are met in the same order (the document's), so the node reported is
    the first too deep: the first child of the first collection at MAX_DEPTH.
    """
    stack: list[tuple[yaml.Node, int]] = [] if isinstance(root, yaml.ScalarNode) else [(root, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.value if isinstance(node, yaml.SequenceNode) else [part for pair in node.value for part in pair]
        if not children:
            continue
        if depth >= MAX_DEPTH:
            first = children[0]
            where = Location(path, first.start_mark.line + 1, first.start_mark.column + 1)
            return [error(where, "the YAML is nested too deeply", _DEPTH_HINT)]
        stack.extend((child, depth + 1) for child in reversed(children) if not isinstance(child, yaml.ScalarNode))
    return []


_MAP_TAG = _YAML + "map"


def _plain_mapping(node: yaml.Node, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, yaml.Node] | None:
    """A mapping's entries when it has nothing to report: plain text keys, each allowed, once, none missing."""
    if type(node) is not _MappingNode or node.tag != _MAP_TAG:
        return None
    entries: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not _ScalarNode or key_node.tag != _STR_TAG:
            return None
        key = key_node.value
        if key in entries or key not in allowed:
            return None
        entries[key] = value_node
    for key in required:
        if key not in entries:
            return None
    return entries


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
    claims: dict[tuple[int, str], Location] = field(default_factory=dict)  # (scope, key): where first used
    texts: list[Text] = field(default_factory=list)  # every text field read, in order
    # True when no character of the file, as it stands, is one _NOT_TEXT refuses (YAML refused the others before
    # reading; see _NONCHARACTERS_UTF8): then only a double-quoted scalar's escapes can put one in a value, and
    # ``scalar`` need not look at any other value.
    raw_is_text: bool = False

    # -- plumbing ---------------------------------------------------------------

    def location(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return _new_tuple(Location, (self.path, mark.line + 1, mark.column + 1))

    def error(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(self.location(node), message, hint))

    def admit(self, node: yaml.Node) -> bool:
        """Refuse tags outside the core schema (aliases and depth were refused before the walk)."""
        allowed = _SCALAR_TAGS if isinstance(node, yaml.ScalarNode) else _COLLECTION_TAGS
        if node.tag not in allowed:
            tag = node.tag.replace(_YAML, "!!")
            self.error(node, f"YAML tag '{tag}' is not allowed", "remove the tag; sources hold plain text and lists")
            return False
        return True

    def mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...],
                required: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """The entries of a mapping node, after reporting unknown, duplicate and missing keys."""
        entries = _plain_mapping(node, allowed, required)
        if entries is not None:  # the usual case, nothing to report
            return entries
        if not self.admit(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of 'key: value' lines, not {_kind(node)}",
                       f"allowed keys: {', '.join(allowed)}")
            return None
        entries = {}
        first_seen: dict[str, yaml.Node] = {}
        suggested: set[str] = set()  # a typo already reported as "did you mean": not also "missing"
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and (key_node.tag == _YAML + "merge" or (
                    key_node.value == "<<" and not key_node.style and key_node.tag == _STR_TAG)):
                self.error(key_node, "YAML merge keys ('<<') are not supported", "write the keys out in full")
                suggested.update(allowed)  # whatever it meant to bring in is not reported missing too
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.error(key_node, f"a key in {what} must be plain text",
                           f"allowed keys: {', '.join(allowed)}")
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
                odd = next((char for char in key if not (" " < char < "\x7f")), None)
                if odd is not None:  # a look-alike letter or an invisible character: say which
                    hint += f" the key contains {_describe(odd)}" if close else f"; the key contains {_describe(odd)}"
                suggested.update(close)
                self.error(key_node, f"unknown key '{key}' in {what}", hint)
                continue
            entries[key] = value_node
        for key in required:
            if key not in entries and key not in first_seen and key not in suggested:
                self.error(node, f"{what} is missing the required key '{key}'", f"add '{key}: ...'")
        return entries

    def scalar(self, node: yaml.Node, what: str, hint: str) -> str | None:
        if type(node) is _ScalarNode and node.tag == _STR_TAG and node.value and not node.value.isspace():
            value: str = node.value
            if self.raw_is_text and (node.style != '"' or
                                     self.source_text.find("\\", node.start_mark.index, node.end_mark.index) < 0):
                return value  # every character as the file writes it (no escape), and the file holds none refused
            if value.isprintable():  # the usual case, nothing to report (quicker than the search; see _NOT_TEXT)
                return value
            odd = _NOT_TEXT.search(value)
            if odd is None:
                return value
            self._not_text(node, odd.group())
            return None
        if not self.admit(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            if isinstance(node, yaml.MappingNode) and self.source_text.startswith("{{", node.start_mark.index):
                self.diagnostics.append(_braces_error(self.location(node)))
            else:
                self.error(node, f"{what} must be text, not {_kind(node)}", hint)
            return None
        value = str(node.value)
        if node.tag == _YAML + "null" and value:  # a plain 'null' or '~': YAML's word for nothing
            self.error(node, f"{what} is empty: YAML reads a plain '{value}' as nothing",
                       f"if '{value}' is meant as text, put it in quotes: \"{value}\"")
            return None
        if node.tag == _YAML + "null" or not value or value.isspace():
            self.error(node, f"{what} is empty", hint)
            return None
        odd = _NOT_TEXT.search(value)
        if odd is not None:
            self._not_text(node, odd.group())
            return None
        return value

    def _not_text(self, node: yaml.Node, char: str) -> None:
        """Report a character that an escape let into a value and that Anki or ankigen cannot carry."""
        kind = "a noncharacter" if char >= "\ufdd0" else "a lone surrogate" if char >= "\ud800" else \
            "a control character"
        why = "Anki separates a note's fields with it" if char == "\x1f" else "it is not text"
        self.error(node, f"this value holds {kind}, U+{ord(char):04X}: {why}",
                   "remove it; in a double-quoted string it is written as an escape such as \"\\x1f\"")

    def text(self, node: yaml.Node, what: str) -> Text | None:
        """Markdown text, with a location exact to the character where the source allows it.

        The usual text, one line of the file's own characters as written or between quotes, is made here
        at once: it is what ``read_text`` makes of it (``scalar`` has nothing to report on a value that is
        the file's text as it stands, and ``_text`` finds it exact), without the three calls between.
        tests/test_fast_parse.py checks it against a reader that reads every text with ``read_text``.
        """
        if type(node) is _ScalarNode and node.tag == _STR_TAG:
            value: str = node.value
            mark, source = node.start_mark, self.source_text
            start, length = mark.index, len(value)
            size = node.end_mark.index - start
            as_written = (size == length and source.startswith(value, start)) or \
                (size == length + 2 and source[start] in "'\"" and source.startswith(value, start + 1))
            if as_written and 0 < length <= MAX_TEXT_CHARACTERS and "\n" not in value and not value.isspace() and \
                    (self.raw_is_text or value.isprintable()):
                column = mark.column + 1 if size == length else mark.column + 2  # after the quote
                made = _text_record(value, _new_tuple(Location, (self.path, mark.line + 1, column)), True, "")
                self.texts.append(made)
                return made
        return self.read_text(node, what)

    def read_text(self, node: yaml.Node, what: str) -> Text | None:
        """``text`` for any node: the checks of ``scalar`` and the length limit, with the problems they find."""
        value = self.scalar(node, what, "write the text after the colon, quoted if it contains ': ' or '#'")
        if value is None:
            return None
        if len(value) > MAX_TEXT_CHARACTERS:
            self.error(node, f"{what} is {len(value)} characters long; the limit is {MAX_TEXT_CHARACTERS}",
                       "a card is read in seconds: split the text into several myths or items")
            return None
        text = self._text(node, value)
        self.texts.append(text)
        return text

    def _text(self, node: yaml.Node, value: str) -> Text:
        mark, end, source = node.start_mark, node.end_mark.index, self.source_text
        start = mark.index
        if "\n" not in value:  # on one line, as written or in quotes: each character is a column
            if end - start == len(value) and source.startswith(value, start):
                return _text_record(value, _new_tuple(Location, (self.path, mark.line + 1, mark.column + 1)), True, "")
            if end - start == len(value) + 2 and source[start] in "'\"" and source.startswith(value, start + 1):
                return _text_record(value, _new_tuple(Location, (self.path, mark.line + 1, mark.column + 2)), True, "")
        return _text_record(value, self.location(node), False, source[start:end])

    def key(self, node: yaml.Node, what: str) -> str | None:
        """An id; the usual one, plain text that is a valid key, is taken at once: ``read_key`` has nothing to
        report on it (a valid key is printable ASCII, never empty). tests/test_fast_parse.py checks the two agree."""
        if type(node) is _ScalarNode and node.tag == _STR_TAG:
            value: str = node.value
            if ids.is_valid_key(value) and ids.KEY_JOINER not in value:
                return value
        return self.read_key(node, what)

    def read_key(self, node: yaml.Node, what: str) -> str | None:
        """``key`` for any node, with the problems it has."""
        value = self.scalar(node, what, "write a short stable key such as 'transfer-learning'")
        if value is not None and not ids.is_valid_key(value):
            self.error(node, f"{what} '{value}' is not a valid id",
                       "use letters, digits, '-', '_' and '.', starting with a letter or digit")
            return None
        if value is not None and ids.KEY_JOINER in value:
            fixed = value.replace(ids.KEY_JOINER, "-")
            self.error(node, f"{what} '{value}' contains '{ids.KEY_JOINER}', which ankigen uses to join ids into a "
                       "note's identity (it could make the identity of another note)",
                       f"write '{fixed}' instead" + ("" if what == "the deck id" else
                                                    f"; to keep the notes' reviews, also add 'was: {value}' beside it"))
            return None
        return value

    def was(self, node: yaml.Node, what: str, parts: int) -> str:
        """An id before a rename ('myth/item' for an item in another myth); old ids may hold '__'."""
        form = "'<item id>' or '<myth id>/<item id>'" if parts == 2 else "'<myth id>'"
        value = self.scalar(node, what, f"write the old id, as {form}")
        if value is None:
            return ""
        if not all(ids.is_valid_key(part) for part in value.split("/")) or value.count("/") >= parts:
            self.error(node, f"{what} '{value}' is not an id", f"write the old id, as {form}")
            return ""
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

    def sequence(self, node: yaml.Node, what: str, read: Callable[..., T | None], *args: object) -> list[T]:
        """``read(child, *args)`` for each entry of a list node, the entries it could read."""
        if not self.admit(node):
            return []
        if not isinstance(node, _SequenceNode):
            self.error(node, f"{what} must be a list ('- ' entries), not {_kind(node)}")
            return []
        results = []
        for child in node.value:
            result = read(child, *args)
            if result is not None:
                results.append(result)
        return results

    def claim(self, scope: object, key: str, where: Location, what: str) -> None:
        """Report a second use of ``key`` in ``scope`` (at ``where``), even when its entry has other mistakes."""
        first = self.claims.setdefault((id(scope), key), where)
        if first is not where:
            self.diagnostics.append(error(where, f"duplicate {what} '{key}' (first on line {first.line})",
                                          "give each one its own 'id:'"))

    # -- the format ---------------------------------------------------------------

    def deck(self, root: yaml.Node, base_dir: str) -> DeckSource | None:
        entries = self.mapping(root, "the deck", _DECK_KEYS, _DECK_REQUIRED)
        if entries is None:
            return None
        name = self.scalar(entries["deck"], "'deck'", "write the deck's name, such as 'deck: Deep Learning Myths'") \
            if "deck" in entries else None
        if name is not None and name.count("::") >= MAX_DECK_LEVELS:
            self.error(entries["deck"], f"the deck name is nested {name.count('::') + 1} levels deep; Anki allows "
                       f"at most {MAX_DECK_LEVELS}", "use fewer '::' in the name")
            name = None
        key = self.key(entries["id"], "the deck id") if "id" in entries else \
            ids.slugify(Path(self.path).stem)
        if key is not None and len(key) > MAX_DECK_ID:
            self.error(entries["id"], f"the deck id is {len(key)} characters long; the limit is {MAX_DECK_ID}",
                       "it names the deck's files, such as '<id>.apkg': shorten it")
            key = None
        lang = self.lang(entries["lang"]) if "lang" in entries else labels.DEFAULT
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
        if name is None or key is None or lang is None:
            return None
        return DeckSource(key=key, name=name, lang=lang, description=description, citation=citation, tags=tags,
                          myths=tuple(myths), path=self.path, location=self.location(root), base_dir=base_dir,
                          key_location=self.location(entries["id"]) if "id" in entries else None,
                          key_is_explicit="id" in entries)

    def lang(self, node: yaml.Node) -> str | None:
        """The deck's language: a BCP 47 tag ankigen has labels for, as the key of labels.LANGUAGES it resolves to."""
        hint = ("write a BCP 47 language tag such as 'de', 'pt-BR' or 'zh-Hans'; ankigen has labels in "
                f"{labels.supported()}")
        value = self.scalar(node, "'lang'", hint)
        if value is None:
            return None
        if not labels.is_tag(value):
            dashed = value.replace("_", "-")
            if labels.is_tag(dashed):  # a locale name such as de_DE
                hint = f"write '{dashed}': a language tag joins its parts with '-'"
            self.error(node, f"'lang' '{value}' is not a language tag", hint)
            return None
        resolved = labels.resolve(value)
        if resolved is None:
            self.error(node, f"ankigen has no card labels in the language of '{value}' yet",
                       f"it has labels in {labels.supported()}, and a tag with a region, such as 'de-AT', gets its "
                       "language's; leave 'lang' out for English")
        return resolved

    def citation(self, node: yaml.Node) -> Citation | None:
        entries = self.mapping(node, "'source'", _CITATION_KEYS, _CITATION_REQUIRED)
        if entries is None:
            return None
        values = {key: self.scalar(value, f"'source.{key}'", f"write the {key} as text")
                  for key, value in entries.items()}
        if values.get("title") is None:
            return None
        return Citation(**{key: value or "" for key, value in values.items()})

    def myth(self, node: yaml.Node) -> Myth | None:
        entries = self.mapping(node, "a myth", _MYTH_KEYS, _MYTH_REQUIRED)
        if entries is None:
            return None
        where = self.location(node)
        statement = self.text(entries["myth"], "'myth'") if "myth" in entries else None
        fact = self.text(entries["fact"], "'fact'") if "fact" in entries else None
        key = self.key(entries["id"], "the myth id") if "id" in entries else \
            (ids.slugify(statement.source) if statement else None)
        if key is not None:
            self.claim(_MYTHS, key, where, "myth id")
        tags = self.tags(entries["tags"]) if "tags" in entries else ()
        true_statements = self.true_statements(entries.get("true_statements"))
        techniques = self.items(entries.get("techniques"), "technique", node)
        limitations = self.items(entries.get("limitations"), "limitation", node)
        if statement is None or fact is None or key is None:
            return None
        was = self.was(entries["was"], "the myth's 'was'", parts=1) if "was" in entries else ""
        # Myth(key=key, key_is_explicit=..., myth=statement, ...) without the Python-level __new__, in field order
        return _new_tuple(Myth, (key, "id" in entries, statement, fact, tags, tuple(techniques), tuple(limitations),
                                 where, was, tuple(true_statements)))

    def true_statements(self, node: yaml.Node | None) -> list[TrueStatement]:
        if node is None:
            return []
        if type(node) is _ScalarNode and node.tag == _NULL_TAG and self.admit(node):
            return []  # "true_statements:" with nothing after it: an empty list
        return self.sequence(node, "'true_statements'", self.true_statement, node)

    def true_statement(self, node: yaml.Node, scope: yaml.Node) -> TrueStatement | None:
        entries = self.mapping(node, "a true statement", _TRUE_STATEMENT_KEYS, _TRUE_STATEMENT_REQUIRED)
        if entries is None:
            return None
        where = self.location(node)
        text = self.text(entries["text"], "'text'") if "text" in entries else None
        key = self.key(entries["id"], "the true statement id") if "id" in entries else \
            (ids.slugify(text.source) if text else None)
        if key is not None:  # one scope per myth
            self.claim(scope, key, where, "true statement id")
        if text is None or key is None:
            return None
        return TrueStatement(key=key, key_is_explicit="id" in entries, text=text, location=where)

    def items(self, node: yaml.Node | None, kind: ItemKind, myth: yaml.Node) -> list[Item]:
        if node is None:
            return []
        if type(node) is _ScalarNode and node.tag == _NULL_TAG and self.admit(node):
            return []  # "techniques:" with nothing after it: an empty list
        return self.sequence(node, _ITEM_WORDS[kind][0], self.item, kind, myth)

    def item(self, node: yaml.Node, kind: ItemKind, myth: yaml.Node) -> Item | None:
        words = _ITEM_WORDS[kind]
        entries = self.mapping(node, words[1], _ITEM_KEYS, _ITEM_REQUIRED)
        if entries is None:
            return None
        where = self.location(node)
        name = self.text(entries["name"], "'name'") if "name" in entries else None
        text = self.text(entries["text"], "'text'") if "text" in entries else None
        key = self.key(entries["id"], words[2]) if "id" in entries else \
            (ids.slugify(name.source) if name else None)
        if key is not None:  # one scope per myth: its techniques and limitations together
            self.claim(myth, key, where, "technique or limitation id")
        cloze = self.cloze(text) if text is not None else None
        if name is None or text is None or key is None or cloze is None:
            return None
        was = self.was(entries["was"], words[3], parts=2) if "was" in entries else ""
        # Item(kind=kind, key=key, key_is_explicit=..., name=name, ...) without the Python-level __new__, in field order
        return _new_tuple(Item, (kind, key, "id" in entries, name, text, cloze, where, was))

    def cloze(self, text: Text) -> ClozeText | None:
        try:
            return parse_cloze(text.source, first_number=2)
        except ClozeSyntaxError as exc:
            self.diagnostics.append(error(text.at(exc.offset), exc.message, exc.hint))
            return None
