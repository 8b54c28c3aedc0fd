"""Sources to notes: the one model of the cards that both the .apkg and the sheet are written from.

Pure functions, one per kind of card:

* ``myth_note``: the myth as a "Myth or fact?" card, answered "Myth";
* ``true_statement_notes``: the myth's ``fact`` and each of its
  ``true_statements`` as "Myth or fact?" cards, answered "Fact", with the very
  same notetype, tags and front as the myth's, so the card gives nothing away;
* ``choice_note``: "Which of these is NOT true?": the myth among up to three
  true statements of other myths of the deck, lettered A-D in an order fixed
  by the keys (see ``choice_options``);
* ``cloze_note``: a technique or limitation, whose name is deletion c1.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from heapq import heapify, heappop
from operator import itemgetter
from typing import Literal, NamedTuple

from ankigen import ids
from ankigen.cloze import ClozeSyntaxError, Deletion
from ankigen.errors import Diagnostic, error, warning
from ankigen.labels import DEFAULT, ENGLISH, Labels, labels
from ankigen.mathml import unconvertible_formulas
from ankigen.media import ImageFolder
from ankigen.model import Citation, DeckSource, Item, Location, Myth, Text
from ankigen.notetypes import Notetype, notetype_for
from ankigen.render import MarkupError, inline_of, plain_field, render_cloze, render_inline, render_markdown
from ankigen.sanitize import ImageSrc, removals
from ankigen.tex import holds_no_tex, unsafe_command

NoteKind = Literal["myth", "true", "choice", "technique", "limitation"]
# Tags are shown in Anki's browser and card info: myths and true statements share theirs.
MYTH_OR_FACT_TAG = "myth-or-fact"
CHOICE_TAG = "not-true"
# A "Which of these is NOT true?" card shows the myth among this many true statements (A-D) when the deck has them.
CHOICE_TRUE_OPTIONS = 3



@dataclass(frozen=True)
class Note:
    guid: str
    kind: NoteKind
    key: str  # "myth-key" or "myth-key/item-key": how reports name the note
    myth_key: str
    fields: tuple[str, ...]  # HTML, in the notetype's field order
    tags: tuple[str, ...]
    card_numbers: tuple[int, ...]  # 1 for a myth; the cloze numbers for a cloze note
    location: Location
    lang: str = DEFAULT  # the deck's language: which notetype the note is written with

    @property
    def is_cloze(self) -> bool:
        return self.kind in ("technique", "limitation")

    @property
    def notetype(self) -> Notetype:
        """The notetype the note is written with (its fields are in this notetype's order)."""
        return notetype_for(self.kind, self.lang)

    @property
    def content_hash(self) -> str:
        """Changes exactly when what Anki stores for the note changes (its notetype too: English notes hash as
        they did before languages, so their hashes in a lock stay valid)."""
        kind = self.kind if self.lang == DEFAULT else f"{self.kind}@{self.lang}"
        payload = "\x1f".join((kind, *self.fields, " ".join(self.tags)))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class DeckCards:
    key: str
    name: str
    deck_id: int
    description_html: str
    citation_html: str
    notes: tuple[Note, ...]
    source_path: str
    # Files the notes show (images), by the name the HTML uses: bundled into the
    # .apkg's media and embedded into the sheet as data: URIs.
    media: Mapping[str, bytes] = field(default_factory=dict)
    # Every other file the deck was made from (images), relative to the source's folder -> sha256
    # ("" for one that could not be used): what decides, besides the source, whether it is rebuilt.
    reads: Mapping[str, str] = field(default_factory=dict)
    lang: str = DEFAULT  # the language of its labels (a key of labels.LANGUAGES)

    @property
    def card_count(self) -> int:
        return sum(len(note.card_numbers) for note in self.notes)


def derive_deck(source: DeckSource) -> tuple[DeckCards, list[Diagnostic]]:
    """All notes of a deck, and the problems found in what its texts refer to."""
    words = labels(source.lang)
    citation = render_citation(source.citation, words)
    images = ImageFolder(source.base_dir)
    notes: list[Note] = []
    problems: list[Diagnostic] = []
    rendered = {myth.key: _render_myth(source, myth, images, problems) for myth in source.myths}
    statements = _RankedStatements(rendered)
    # One collection of what the sanitiser removes, emptied before each cloze note (the other notes of a myth
    # render nothing): a list cleared, not a context entered and left, per note.
    with removals() as removed:
        for myth in source.myths:
            texts = rendered[myth.key]
            notes.append(myth_note(source, myth, texts, citation, words))
            notes += true_statement_notes(source, myth, texts, citation, words)
            choice = choice_note(source, myth, texts, statements, citation, words)
            if choice is not None:
                notes.append(choice)
            for item in myth.items:
                removed.clear()
                try:
                    note = cloze_note(source, myth, item, texts.myth, citation, images, words)
                except ClozeSyntaxError as exc:  # a deletion that rendering would lose or break
                    problems.append(error(item.text.at(exc.offset), exc.message, exc.hint))
                    continue
                except MarkupError as exc:
                    problems.append(error(item.text.location, exc.message, exc.hint))
                    continue
                notes.append(note)
                field_html = note.fields[0]
                if removed or not holds_no_tex(field_html):  # else _field_problems finds nothing
                    problems += _field_problems(field_html, removed, item.text, item.name, is_cloze=True)
    description = ""
    if source.description:
        description = _checked(render_markdown, source.description, images, problems)
    deck = DeckCards(key=source.key, name=source.name, deck_id=ids.deck_id(source.key),
                     description_html=description, citation_html=citation, notes=tuple(notes),
                     source_path=source.path, media=images.media, reads=images.reads, lang=source.lang)
    return deck, images.problems + problems


def image_problems(texts: list[Text], base_dir: str) -> list[Diagnostic]:
    """What is wrong with the images these texts show, for a source too broken to derive notes from.

    Its other mistakes are reported in the same run, as the README promises, not one after the other.
    """
    images = ImageFolder(base_dir)
    for text in texts:
        try:
            render_markdown(text.source, images.image_src(text))
        except MarkupError:  # the text's own mistake, reported with the notes once the source loads
            continue
    return images.problems


class Statement(NamedTuple):
    """A statement as a "Myth or fact?" card shows it: the GUID of its note, and its HTML on one line.

    (A NamedTuple: made twice per myth, and found among a question's options by C's tuple comparison.)"""

    guid: str
    html: str


class _MythTexts(NamedTuple):
    myth: str  # the myth, inline HTML
    fact: str  # the myth's fact, as the back of its card shows it
    statements: tuple[Statement, ...]  # the fact, then the further true statements, as card fronts
    guid: str  # the myth's note GUID (made once: its NOT-true question shows it too)


def _render_myth(source: DeckSource, myth: Myth, images: ImageFolder, problems: list[Diagnostic]) -> _MythTexts:
    myth_html = _checked(render_inline, myth.myth, images, problems)
    fact_html = _checked(render_markdown, myth.fact, images, problems)
    # The fact again, on one line as a card front; its problems were reported with fact_html
    # (which is "" when it could not be rendered: then it is tried again, as it was).
    fact_line = inline_of(myth.fact.source, fact_html) if fact_html else None
    if fact_line is None:
        fact_line = _checked(render_inline, myth.fact, images, None)
    statements = [Statement(ids.true_statement_guid(source.key, myth.key), fact_line)]
    for extra in myth.true_statements:
        statements.append(Statement(ids.true_statement_guid(source.key, myth.key, extra.key),
                                    _checked(render_inline, extra.text, images, problems)))
    return _MythTexts(myth_html, fact_html, tuple(statements), ids.note_guid(source.key, myth.key))


def myth_note(source: DeckSource, myth: Myth, texts: _MythTexts, citation: str, words: Labels = ENGLISH) -> Note:
    """The myth's "Myth or fact?" note: its verdict, "Myth", is in the answer field, not in the template."""
    answer = f'<div class="verdict myth">{_escaped(words.myth)}</div><div class="fact">{texts.fact}</div>'
    return _new_note(guid=texts.guid, kind="myth", key=myth.key, myth_key=myth.key,
                     fields=(texts.myth, answer, citation),
                     tags=anki_tags(source.tags, myth.tags, (MYTH_OR_FACT_TAG,)), location=myth.location,
                     lang=source.lang)


def true_statement_notes(source: DeckSource, myth: Myth, texts: _MythTexts, citation: str,
                         words: Labels = ENGLISH) -> list[Note]:
    """The myth's fact and further true statements as "Myth or fact?" notes answered "Fact"."""
    context = _escaped(words.the_myth_it_answers).format(myth=texts.myth)
    answer = f'<div class="verdict fact">{_escaped(words.fact)}</div><div class="context">{context}</div>'
    keys = [f"{myth.key}:fact", *(f"{myth.key}:true:{extra.key}" for extra in myth.true_statements)]
    locations = [myth.fact.location, *(extra.location for extra in myth.true_statements)]
    tags = anki_tags(source.tags, myth.tags, (MYTH_OR_FACT_TAG,))
    return [_new_note(guid=statement.guid, kind="true", key=key, myth_key=myth.key,
                      fields=(statement.html, answer, citation), tags=tags, location=where, lang=source.lang)
            for statement, key, where in zip(texts.statements, keys, locations, strict=True)]


def choice_note(source: DeckSource, myth: Myth, texts: _MythTexts, statements: _RankedStatements,
                citation: str, words: Labels = ENGLISH) -> Note | None:
    """The myth's "Which of these is NOT true?" note; None when no other myth has a true statement to offer."""
    guid = ids.choice_guid(source.key, myth.key)
    the_myth = Statement(texts.guid, texts.myth)
    options = choice_options(guid, the_myth, statements.in_rank_order(guid, excluding=myth.key))
    if len(options) < 2:
        return None
    letters = words.letters
    letter = letters[options.index(the_myth)]
    items = "".join([f'<li><span class="letter">{letters[index]}</span> <span class="choice">{option.html}</span></li>'
                     for index, option in enumerate(options)])
    return _new_note(guid=guid, kind="choice", key=f"{myth.key}:not-true", myth_key=myth.key,
                     fields=(f'<ol class="choices">{items}</ol>', letter, texts.myth, texts.fact, citation),
                     tags=anki_tags(source.tags, myth.tags, (CHOICE_TAG,)), location=myth.location,
                     lang=source.lang)


_new_object = object.__new__
_new_tuple = tuple.__new__  # a NamedTuple made without its __new__ written in Python


def _new_note(*, guid: str, kind: NoteKind, key: str, myth_key: str, fields: tuple[str, ...],
              tags: tuple[str, ...], location: Location, lang: str, card_numbers: tuple[int, ...] = (1,)) -> Note:
    """Note(...) without the frozen dataclass's ``__init__``, which sets each field with a call to
    ``object.__setattr__``: the fields go straight into the note's ``__dict__``, at a third of the cost, for
    every note of a deck (one card, unless a cloze note's ``card_numbers`` say otherwise).
    tests/test_fast_derive.py checks it equals Note(...)."""
    note = _new_object(Note)
    note.__dict__.update(guid=guid, kind=kind, key=key, myth_key=myth_key, fields=fields, tags=tags,
                         card_numbers=card_numbers, location=location, lang=lang)
    return note


def choice_options(guid: str, myth: Statement, true_statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """The myth and up to CHOICE_TRUE_OPTIONS true statements, in the order the card letters them.

    Which true statements, and in which order, depends only on GUIDs (so on the
    authors' keys): each candidate is ranked by a hash of the question's GUID and
    its own (``true_statements`` come in that order; ``_rank``), the first few
    distinct ones are taken, and all options, the myth included, are put in the
    order of the same hash. A rebuild gives the same card; a new statement
    elsewhere in the deck replaces an option only if it ranks higher; and the
    myth may land on any letter, question by question. A statement that reads
    the same as the myth or as an option already taken is skipped, so no two
    options are alike; with no true statement at all there is only the myth.
    """
    seen = {_plain(myth.html)}
    options = [myth]
    for statement in true_statements:
        plain = _plain(statement.html)
        if plain not in seen:
            seen.add(plain)
            options.append(statement)
            if len(options) > CHOICE_TRUE_OPTIONS:
                break
    # The order of _rank(guid, "order", statement.guid), its hash made from the question's part encoded once
    order = f"{guid}\x1forder\x1f".encode()
    sha256 = ids.short_input_sha256
    return tuple(sorted(options, key=lambda statement: sha256(order + statement.guid.encode("utf-8")).digest()))


def _rank(*parts: str) -> bytes:
    return ids.short_input_sha256("\x1f".join(parts).encode("utf-8")).digest()


_FROM_HEAP = 8  # in_rank_order's statements taken from a heap before it sorts them all


class _RankedStatements:
    """A deck's true statements, ranked for each question as ``_rank(question GUID, statement GUID)`` orders them.

    Every question ranks every statement of the deck (a big deck's questions make
    millions of hashes), so each statement's GUID is encoded once and each hash is
    one call on the bytes ``_rank`` would hash.
    """

    def __init__(self, rendered: Mapping[str, _MythTexts]) -> None:
        self._rendered = rendered
        self._statements = [statement for texts in rendered.values() for statement in texts.statements]
        self._encoded = [statement.guid.encode("utf-8") for statement in self._statements]
        self._blocks: dict[str, tuple[int, int]] = {}  # myth key -> where its statements are in _statements
        position = 0
        for key, texts in rendered.items():
            self._blocks[key] = (position, position + len(texts.statements))
            position += len(texts.statements)

    def in_rank_order(self, guid: str, excluding: str) -> Iterator[Statement]:
        """``ranked``'s statements in its order; a question takes only its first few.

        Fast because the loop per statement is one comprehension of C calls: the
        bytes ``_rank`` would hash are the question's prefix and the statement's
        encoded GUID, hashed by ids.short_input_sha256; the order is one sort of
        the positions by their hash (a stable sort: ties, from equal GUIDs, keep
        the deck's order as ``ranked`` does), with no tuple made per statement.
        tests/test_fast_derive.py checks it against ``ranked``.

        A question takes three or four statements, so the first few come from a heap of the hashes (made in
        linear time), each found in the list by ``list.index`` (an equal hash, from an equal GUID, after the
        one before it: the stable sort's order); only a question that wants more sorts them all.
        """
        start, end = self._blocks.get(excluding, (0, 0))
        prefix = f"{guid}\x1f".encode()
        sha256 = ids.short_input_sha256
        digests = [sha256(prefix + encoded).digest() for encoded in self._encoded[:start] + self._encoded[end:]]
        statements = self._statements
        skipped = end - start  # positions from ``start`` on are those after the excluded myth's statements
        heap = digests.copy()
        heapify(heap)
        previous = None
        position = -1
        for _ in range(min(_FROM_HEAP, len(heap))):
            digest = heappop(heap)
            position = digests.index(digest, position + 1) if digest == previous else digests.index(digest)
            previous = digest
            yield statements[position if position < start else position + skipped]
        if len(digests) > _FROM_HEAP:
            for position in sorted(range(len(digests)), key=digests.__getitem__)[_FROM_HEAP:]:
                yield statements[position if position < start else position + skipped]

    def ranked(self, guid: str, excluding: str) -> list[Statement]:
        """The statements of every myth but ``excluding``, best-ranked first for the question ``guid``."""
        return sorted((statement for key, texts in self._rendered.items() if key != excluding
                       for statement in texts.statements), key=lambda statement: _rank(guid, statement.guid))


@lru_cache(maxsize=8192)  # every NOT-true question of a deck compares the same few statements
def _plain(field_html: str) -> str:
    """How alike two statements read: their text, whatever the markup, case and spacing.

    That is ``" ".join(text.split())`` of the text; a text spaced as that spaces it is taken as it is, without
    splitting it into words: one space at a time, none first or last, and no other whitespace, which
    ``isprintable`` finds (every character str.split splits at but the space is unprintable).
    tests/test_fast_derive.py checks it against the split.
    """
    text = html.unescape(_TAG.sub("", field_html)).casefold()
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


_TAG = re.compile(r"<[^>]*>")


def _checked(render: Callable[[str, ImageSrc], str], text: Text, images: ImageFolder,
             problems: list[Diagnostic] | None) -> str:
    """``text`` rendered by ``render``; what the sanitiser removed and TeX cards must not carry go to ``problems``
    (None: they were reported where the same text was rendered before, and are not looked for again)."""
    plain = plain_field(render, text.source)
    if plain is not None:
        return plain
    try:
        with removals() as removed:
            field_html = render(text.source, images.image_src(text))
    except MarkupError as exc:
        if problems is not None:
            problems.append(error(text.location, exc.message, exc.hint))
        return ""
    if problems is not None:
        problems += _field_problems(field_html, removed, text)
    return field_html


def _field_problems(field_html: str, removed: list[tuple[str, str]], *texts: Text,
                    is_cloze: bool = False) -> list[Diagnostic]:
    """What one rendered field tells the author: what the sanitiser removed, TeX no card may carry, and
    (when the TeX is allowed) formulas the sheet cannot typeset."""
    if not removed and holds_no_tex(field_html):  # nothing to look for (the checks agree)
        return []
    tex = _unsafe_tex(field_html, *texts, is_cloze=is_cloze) or _untypeset_math(field_html, *texts)
    return _removal_warnings(removed, *texts) + tex


def _removal_warnings(removed: list[tuple[str, str]], *texts: Text) -> list[Diagnostic]:
    """A warning for each thing the sanitiser left out of a card, at the text (and place in it) that wrote it."""
    return [warning(_find(written, texts), f"{what} removed: cards never carry it",
                    "remove it from the text; the README's \"Raw HTML\" says what cards keep")
            for what, written in dict.fromkeys(removed)]


def _find(written: str, texts: tuple[Text, ...]) -> Location:
    """Where the regex ``written`` first matches in ``texts`` (ignoring case), else where the first text starts."""
    for text in texts:
        found = re.search(written, text.source, re.IGNORECASE)
        if found:
            return text.at(found.start() + (found.group()[:1].isspace()))
    return texts[0].location


# TeX commands MathJax makes into HTML of its own (the allowlist in tex.py keeps out every other unknown one too).
_ACTIVE_TEX = frozenset(("\\href", "\\style", "\\class", "\\cssId", "\\data", "\\require", "\\mmlToken",
                         "\\bbox", "\\unicode", "\\toggle", "\\mathtip", "\\texttip", "\\color", "\\textcolor",
                         "\\begin", "\\end"))


def _unsafe_tex(field_html: str, *texts: Text, is_cloze: bool = False) -> list[Diagnostic]:
    """An error if the field's math, as MathJax sees it on any card, holds a TeX command not on the allowlist."""
    command = unsafe_command(field_html, is_cloze)
    if command is None:
        return []
    written = [(text, text.source.find(command)) for text in texts]
    found = next((text.at(offset) for text, offset in written if offset >= 0), None)
    if found is None:  # not written as such: made by joining text around a cloze deletion, or from an entity
        return [error(texts[0].location, f"TeX command '{command}' would appear in math on a card",
                      "a cloze deletion or an HTML entity inside math makes it; keep each TeX command whole and "
                      "written out, outside the braces")]
    if command.split("{")[0] in _ACTIVE_TEX:
        hint = ("in Anki, MathJax turns it into a link or HTML attributes, which cards never carry; "
                "for a link, write a Markdown link outside the math")
    else:
        hint = "it is not on the list of TeX commands cards allow (the README's \"Math\" section)"
    return [error(found, f"TeX command '{command}' is not allowed in math", hint)]


def _untypeset_math(field_html: str, *texts: Text) -> list[Diagnostic]:
    """A warning for each formula the study sheet cannot typeset (mathml.py), at the text that wrote it.

    Callers ask only when the field's TeX passed the allowlist: a refused command is an error already."""
    problems = []
    for found in unconvertible_formulas(field_html):
        where = next((text.at(offset) for text in texts if (offset := text.source.find(found.start)) >= 0),
                     texts[0].location)
        formula = found.formula if len(found.formula) <= 60 else found.formula[:57] + "..."
        problems.append(warning(where, f"the study sheet prints '{formula}' as TeX source: {found.reason}",
                                "Anki's cards still typeset it; to print it as a formula, write it without "
                                "that: see \"Printing study sheets\" in the README"))
    return problems


def cloze_note(source: DeckSource, myth: Myth, item: Item, myth_html: str, citation: str,
               images: ImageFolder, words: Labels = ENGLISH) -> Note:
    """A technique or limitation as a cloze note: its name is deletion c1, its text's deletions c2 on."""
    cloze = item.cloze
    name = _new_tuple(Deletion, (1, item.name.source, "", 0, False, False))  # Deletion(1, name, "", 0), made in C
    numbers = sorted({1, *map(_number, cloze.deletions)})
    text = render_cloze(cloze, name, images.image_src(item.text, item.name))
    kind = _escaped(words.technique if item.kind == "technique" else words.limitation)
    return _new_note(guid=ids.note_guid(source.key, myth.key, item.key), kind=item.kind,
                     key=f"{myth.key}/{item.key}", myth_key=myth.key, fields=(text, kind, myth_html, citation),
                     tags=anki_tags(source.tags, myth.tags, (item.kind,)), location=item.location,
                     lang=source.lang, card_numbers=tuple(numbers))


_number = itemgetter(0)  # a Deletion's number (its first field), taken in C


@lru_cache(maxsize=64)  # a deck's few labels, on every note
def _escaped(label: str) -> str:
    return html.escape(label)


def render_citation(citation: Citation | None, words: Labels = ENGLISH) -> str:
    """The source line on every card's back: title (linked when it has a URL), author, date."""
    if citation is None:
        return ""
    title = f"<cite>{html.escape(citation.title)}</cite>"
    if citation.url.startswith(("https://", "http://")):
        title = f'<a href="{html.escape(citation.url, quote=True)}">{title}</a>'
    parts = [title] + [html.escape(part) for part in (citation.author, citation.date) if part]
    return html.escape(words.source).format(citation=words.list_separator.join(parts))


@lru_cache(maxsize=4096)  # the same few groups come again for every note of a myth
def anki_tags(*groups: tuple[str, ...]) -> tuple[str, ...]:
    """Tags as Anki accepts them: no spaces, no duplicates, in order of first appearance."""
    seen: dict[str, None] = {}
    for group in groups:
        for tag in group:
            safe = re.sub(r"\s+", "_", tag.strip()).replace('"', "")
            if safe:
                seen.setdefault(safe, None)
    return tuple(seen)
