"""Sources to notes: the one model of the cards that both the .apkg and the sheet are written from.

Pure functions. Every myth becomes one "Myth or Fact" note; every technique
and limitation one cloze note whose name is deletion c1.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from ankigen import ids
from ankigen.cloze import ClozeSyntaxError, Deletion
from ankigen.errors import Diagnostic, error, warning
from ankigen.mathml import unconvertible_formulas
from ankigen.media import ImageFolder
from ankigen.model import Citation, DeckSource, Item, Location, Myth, Text
from ankigen.notetypes import Notetype, cloze_notetype, myth_notetype
from ankigen.render import MarkupError, render_cloze, render_inline, render_markdown
from ankigen.sanitize import ImageSrc, removals
from ankigen.tex import unsafe_command

NoteKind = Literal["myth", "technique", "limitation"]
_KIND_LABELS = {"technique": "Technique", "limitation": "Limitation"}


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

    @property
    def is_cloze(self) -> bool:
        return self.kind != "myth"

    @property
    def notetype(self) -> Notetype:
        """The notetype the note is written with (its fields are in this notetype's order)."""
        return cloze_notetype() if self.is_cloze else myth_notetype()

    @property
    def content_hash(self) -> str:
        """Changes exactly when what Anki stores for the note changes."""
        payload = "\x1f".join((self.kind, *self.fields, " ".join(self.tags)))
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

    @property
    def card_count(self) -> int:
        return sum(len(note.card_numbers) for note in self.notes)


def derive_deck(source: DeckSource) -> tuple[DeckCards, list[Diagnostic]]:
    """All notes of a deck, and the problems found in what its texts refer to."""
    citation = render_citation(source.citation)
    images = ImageFolder(source.base_dir)
    notes: list[Note] = []
    problems: list[Diagnostic] = []
    for myth in source.myths:
        myth_html = _checked(render_inline, myth.myth, images, problems)
        fact_html = _checked(render_markdown, myth.fact, images, problems)
        notes.append(Note(
            guid=ids.note_guid(source.key, myth.key), kind="myth", key=myth.key, myth_key=myth.key,
            fields=(myth_html, fact_html, citation),
            tags=anki_tags(source.tags, myth.tags, ("myth",)), card_numbers=(1,), location=myth.location))
        for item in myth.items:
            try:
                with removals() as removed:
                    notes.append(_cloze_note(source, myth, item, myth_html, citation, images))
            except ClozeSyntaxError as exc:  # a deletion that rendering would lose or break
                problems.append(error(item.text.at(exc.offset), exc.message, exc.hint))
            except MarkupError as exc:
                problems.append(error(item.text.location, exc.message, exc.hint))
            else:
                problems += _removal_warnings(removed, item.text, item.name)
                problems += _unsafe_tex(notes[-1].fields[0], item.text, item.name, is_cloze=True) or \
                    _untypeset_math(notes[-1].fields[0], item.text, item.name)
    description = ""
    if source.description:
        description = _checked(render_markdown, source.description, images, problems)
    deck = DeckCards(key=source.key, name=source.name, deck_id=ids.deck_id(source.key),
                     description_html=description, citation_html=citation, notes=tuple(notes),
                     source_path=source.path, media=images.media, reads=images.reads)
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


def _checked(render: Callable[[str, ImageSrc], str], text: Text, images: ImageFolder,
             problems: list[Diagnostic]) -> str:
    """``text`` rendered by ``render``; what the sanitiser removed and TeX cards must not carry go to ``problems``."""
    try:
        with removals() as removed:
            field_html = render(text.source, images.image_src(text))
    except MarkupError as exc:
        problems.append(error(text.location, exc.message, exc.hint))
        return ""
    problems += _removal_warnings(removed, text) + (_unsafe_tex(field_html, text) or _untypeset_math(field_html, text))
    return field_html


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


def _cloze_note(source: DeckSource, myth: Myth, item: Item, myth_html: str, citation: str,
                images: ImageFolder) -> Note:
    cloze = item.cloze
    name = Deletion(1, item.name.source, "", 0)
    numbers = sorted({1, *(deletion.number for deletion in cloze.deletions)})
    text = render_cloze(cloze, name, images.image_src(item.text, item.name))
    return Note(
        guid=ids.note_guid(source.key, myth.key, item.key), kind=item.kind, key=f"{myth.key}/{item.key}",
        myth_key=myth.key, fields=(text, _KIND_LABELS[item.kind], myth_html, citation),
        tags=anki_tags(source.tags, myth.tags, (item.kind,)), card_numbers=tuple(numbers), location=item.location)


def render_citation(citation: Citation | None) -> str:
    """The source line on every card's back: title (linked when it has a URL), author, date."""
    if citation is None:
        return ""
    title = f"<cite>{html.escape(citation.title)}</cite>"
    if citation.url.startswith(("https://", "http://")):
        title = f'<a href="{html.escape(citation.url, quote=True)}">{title}</a>'
    parts = [title] + [html.escape(part) for part in (citation.author, citation.date) if part]
    return "Source: " + ", ".join(parts)


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
