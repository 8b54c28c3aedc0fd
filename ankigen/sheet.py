"""The printable study sheet: one self-contained HTML file per deck, written from the same notes as the .apkg.

Everything comes from ``DeckCards`` (cards.py), never from the sources, so the
sheet and the deck cannot disagree. Cloze notes are read back from Anki's own
``{{cN::answer::hint}}`` markup in their Text field.

The file loads nothing: CSS is inline, images are embedded as ``data:`` URIs,
links are printed as text, there is no script, and a Content-Security-Policy
makes a browser refuse anything else. Two layouts:

* ``sheet``: the deck to read and fill in, myth by myth, with numbered cloze
  sentences, then two quizzes: "True or false?" (the myths and the true
  statements mixed, in a fixed order that spreads the myths out) and "Which
  of these is NOT true?" (the multiple-choice cards); ``answers="key"``
  blanks the deletions and answers everything in a key at the end,
  ``answers="inline"`` fills them in, highlighted, for revision.
* ``cards``: one flashcard per Anki card, 2 x 4 per page, fronts on odd pages
  and mirrored backs on even pages for long-edge duplex printing; the "Myth
  or fact?" cards first, in the quiz's order, so no card's front answers the
  card before it.

Output depends only on the ``DeckCards`` and the options: same input, same string.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path, PurePosixPath
from string import Template
from typing import NamedTuple

from ankigen.cards import DeckCards, Note
from ankigen.labels import ENGLISH, Labels, labels
from ankigen.mathml import deletions_in_math, typeset_formulas
from ankigen.media import image_size

ANSWERS = ("key", "inline")
LAYOUTS = ("sheet", "cards")
CARDS_PER_ROW = 2
ROWS_PER_PAGE = 4
CARDS_PER_PAGE = CARDS_PER_ROW * ROWS_PER_PAGE

# Anki's cloze markup as cards.py writes it: the answer is HTML in which '::' and
# '}}' are escaped, so the first '::' starts the hint and the first '}}' ends it.
# The answer is "the characters up to the first '::' or '}}'", taken in runs without ':' or '}' and never given
# back: what the plain r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}" finds (tests/test_fast_parse4.py checks), at
# some 60% of its cost, as that one tries for a '::' or '}}' after every character of an answer.
_ANKI_CLOZE = re.compile(r"\{\{c(\d+)::([^:}]*+(?:(?::(?!:)|\}(?!\}))[^:}]*+)*+)(?:::(.*?))?\}\}", re.DOTALL)
# Fields are sanitised (sanitize.py), so tags are lower case and attribute
# values double-quoted and escaped: these patterns can't be fooled by a '>'.
_LINK_TAG = re.compile(r"<a\b([^>]*)>|</a>")
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_IMAGE_OR_LINK = re.compile(r"<(?:img|a|/a>)")  # where _IMG_TAG or _LINK_TAG could match
_ATTRIBUTE = r'\s{}="([^"]*)"'
_TAG = re.compile(r"<[^>]*>")
_KEY_SEPARATOR = '<span class="sep">·</span>'
_ANSWER_SEPARATOR = f'</span>{_KEY_SEPARATOR}<span class="answer">'
_MEDIA_TYPES = {
    ".apng": "image/apng", ".avif": "image/avif", ".bmp": "image/bmp", ".gif": "image/gif",
    ".ico": "image/x-icon", ".jpeg": "image/jpeg", ".jpg": "image/jpeg", ".png": "image/png",
    ".svg": "image/svg+xml", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
}
# How much text (in characters at the card's base size) a flashcard takes before its font
# steps down a size, so that it still fits its 90 x 58 mm cell. Measured in Chromium, with margin.
_CARD_FITS = ((280, ""), (370, "long"), (520, "longer"))
_CARD_FIT_SMALLEST = "longest"
# Font sizes relative to the card's, as in sheet-cards.css: text takes room by the square of its size.
_STATEMENT_SCALE, _ANSWER_SCALE, _CONTEXT_SCALE = 1.3, 1.2, 0.85
_first = itemgetter(0)


class Gap(NamedTuple):  # a tuple, not a dataclass: quicker to make, and a sheet makes many
    """One deletion in a cloze field: its card number, answer (HTML) and hint (HTML, may be empty)."""

    number: int
    answer: str
    hint: str


def parse_anki_cloze(text: str) -> tuple[tuple[str, ...], tuple[Gap, ...]]:
    """Split a field into the HTML around its deletions and the deletions: pieces[0] gaps[0] pieces[1] ...

    One ``re.split`` (in C) rather than a search and two finds per deletion, as a sheet parses every cloze
    note; it must agree with that loop, kept in tests/test_fast_sheet.py.
    """
    parts = _ANKI_CLOZE.split(text)  # piece, number, answer, hint or None, piece, ...
    return tuple(parts[::4]), tuple(Gap(int(number), answer, hint or "")
                                    for number, answer, hint in zip(parts[1::4], parts[2::4], parts[3::4], strict=True))


def render_sheet(deck: DeckCards, *, answers: str = "key", layout: str = "sheet") -> str:
    """The deck as one self-contained HTML5 document to print."""
    if answers not in ANSWERS:
        raise ValueError(f"answers must be one of {', '.join(ANSWERS)}, not {answers!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    myths = group_myths(deck.notes)
    words = labels(deck.lang)
    if layout == "cards":
        lines = _cards_body(deck, myths, words)
        css = _template("sheet.css") + _template("sheet-cards.css")
    else:
        lines = _sheet_body(deck, myths, answers, words)
        css = _template("sheet.css")
    if words is not ENGLISH:  # English's are in sheet.css
        css += _page_numbers(words.page_of)
    if words.direction == "rtl":
        css += _template("sheet-rtl.css")
    body, image_css = _self_contained(lines, deck, words)
    title = readable_name(deck.name)
    return Template(_template("sheet.html")).substitute(
        lang=deck.lang, dir=' dir="rtl"' if words.direction == "rtl" else "",
        title=html.escape(title), css=(css.strip() + "\n" + image_css).strip(),
        running_title=css_string(title), layout=layout, body=body)


def _page_numbers(page_of: str) -> str:
    """The CSS rule that prints "Page 1 of 3" in a printed sheet's corner, in the words of ``page_of``."""
    parts = [f"counter({part[1:-1]})" if part in ("{page}", "{pages}") else css_string(part)
             for part in re.split(r"(\{pages?\})", page_of) if part]
    return f"\n@page {{ @bottom-right {{ content: {' '.join(parts)}; }} }}\n"


def _text(label: str) -> str:
    """A label as HTML text."""
    return html.escape(label, quote=False)


@cache
def readable_name(deck_name: str) -> str:
    """A deck name for people: Anki's subdeck separator '::' shown as ' › ' ("Statistics › Everyday Myths")."""
    return " \u203a ".join(part.strip() for part in deck_name.split("::"))


@cache  # the package's own files, read once a process rather than once a deck
def _template(name: str) -> str:
    # Read from beside this module: importlib.resources would load tempfile, shutil and random for it.
    return Path(__file__).with_name("templates").joinpath(name).read_text("utf-8")


@dataclass(frozen=True)
class MythGroup:
    """A myth, its true statements, its "which is NOT true?" question and its technique/limitation notes."""

    key: str
    myth: Note | None  # None only if a deck had cloze notes without their myth note
    items: tuple[Note, ...]
    true_statements: tuple[Note, ...] = ()  # the fact first, then the further true statements
    choice: Note | None = None

    @property
    def statement(self) -> str:
        if self.myth is not None:
            return self.myth.fields[0]
        return self.items[0].fields[2] if self.items else ""


def group_myths(notes: Sequence[Note]) -> list[MythGroup]:
    """Notes grouped by ``myth_key``, groups in order of first appearance.

    Each note's key and kind are read once (``Note.is_cloze`` written out): a sheet groups every note of its
    deck. tests/test_fast_parse4.py checks it against the grouping with ``setdefault`` and ``is_cloze``.
    """
    myths: dict[str, Note] = {}
    choices: dict[str, Note] = {}
    items: dict[str, list[Note]] = {}
    truths: dict[str, list[Note]] = {}
    for note in notes:
        key, kind = note.myth_key, note.kind
        if key not in items:
            items[key] = []
            truths[key] = []
        if kind == "technique" or kind == "limitation":
            items[key].append(note)
        elif kind == "true":
            truths[key].append(note)
        elif kind == "choice":
            if key not in choices:
                choices[key] = note
        elif key not in myths:
            myths[key] = note
    return [MythGroup(key, myths.get(key), tuple(group), tuple(truths[key]), choices.get(key))
            for key, group in items.items()]


def true_or_false(myths: Sequence[MythGroup]) -> list[Note]:
    """The "Myth or fact?" notes in the quiz's order: fixed by their GUIDs, the myths spread among the rest.

    Each kind is put in the order of a hash of its GUIDs. The quiz is cut into
    as many equal stretches as there are myths and each myth takes a place in
    its stretch picked by its hash (never right after the previous myth when
    the stretch has room), so myths are neither grouped nor evenly spaced.

    A myth's hash is taken once, for its order and its place (tests/test_fast_parse4.py checks the quiz is the
    one hashing each myth twice makes).
    """
    def digest(note: Note) -> bytes:
        return hashlib.sha256(note.guid.encode("utf-8")).digest()

    hashed = sorted([(digest(group.myth), group.myth) for group in myths if group.myth is not None], key=_first)
    true_notes = sorted((note for group in myths for note in group.true_statements), key=digest)
    total = len(hashed) + len(true_notes)
    places: list[int] = []
    for index, (myth_digest, _) in enumerate(hashed):
        start, end = index * total // len(hashed), (index + 1) * total // len(hashed)
        place = start + int.from_bytes(myth_digest[:4], "big") % (end - start)
        if places and place == places[-1] + 1 and place + 1 < end:
            place += 1
        places.append(place)
    myth_at = dict(zip(places, [note for _, note in hashed], strict=True))
    remaining = iter(true_notes)
    return [myth_at[place] if place in myth_at else next(remaining) for place in range(total)]


# -- the sheet ----------------------------------------------------------------------------------------------------


def _sheet_body(deck: DeckCards, myths: list[MythGroup], answers: str, words: Labels = ENGLISH) -> list[str]:
    """The sheet's body as its lines (each a sheet tag to a sheet tag: see ``_typeset_by_line``)."""
    quiz = true_or_false(myths)
    choices = [group.choice for group in myths if group.choice is not None]
    counts = words.list_separator.join(
        [words.count(len(myths), words.myths), words.count(sum(len(group.items) for group in myths), words.sentences)]
        + [words.count(len(quiz), words.statements)] * bool(quiz)
        + [words.count(len(choices), words.questions)] * bool(choices))
    inline = answers == "inline"
    how = (words.filled_in if inline else words.to_answer).format(counts=counts)
    parts = [f'<main class="answers-{answers}">', *_deck_header(deck, how)]
    parsed = {note.guid: _ANKI_CLOZE.split(note.fields[0]) for group in myths for note in group.items}
    number = 1
    for index, group in enumerate(myths, start=1):
        parts += _myth_section(group, index, number, inline, deck.citation_html, parsed, words)
        number += len(group.items)
    if quiz:
        parts += _true_or_false_section(quiz, inline, words)
    if choices:
        parts += _choice_section(choices, inline, words)
    if answers == "key":
        parts += _answer_key(myths, parsed, quiz, choices, words)
    parts.append("</main>")
    return parts


def _true_or_false_section(quiz: list[Note], inline: bool, words: Labels) -> list[str]:
    lines = ['<section class="quiz true-or-false">', f"<h2>{_text(words.true_or_false)}</h2>",
             f'<p class="how">{_text(words.mark_each)}</p>', '<ol class="quiz-items">']
    # (each mark made once, not once a statement)
    myth_mark, true_mark = (f'<mark class="filled">{_text(verdict)}</mark>' if inline else
                            f'<span class="tick">{_text(words.tick)}</span>'
                            for verdict in (words.verdict_myth, words.verdict_true))
    for note in quiz:
        mark = myth_mark if note.kind == "myth" else true_mark
        lines.append(f'<li><span class="statement">{note.fields[0]}</span> {mark}</li>')
    lines += ["</ol>", "</section>"]
    return lines


def _choice_section(choices: list[Note], inline: bool, words: Labels) -> list[str]:
    lines = ['<section class="quiz not-true">', f"<h2>{_text(words.which_not_true)}</h2>",
             f'<p class="how">{_text(words.circle_letter)}</p>',
             '<ol class="quiz-items">']
    not_true_text = _text(words.not_true)
    for note in choices:
        options, letter = note.fields[0], note.fields[1]
        not_true = not_true_text.format(letter=f'<mark class="filled">{letter}</mark>')
        answer = f' <p class="inline-answer">{not_true}</p>' if inline else ""
        lines.append(f"<li>{options}{answer}</li>")
    lines += ["</ol>", "</section>"]
    return lines


def _deck_header(deck: DeckCards, how: str) -> list[str]:
    lines = ['<header class="deck">', f"<h1>{html.escape(readable_name(deck.name))}</h1>"]
    if deck.description_html:
        lines.append(f'<div class="description">{deck.description_html}</div>')
    if deck.citation_html:
        lines.append(f'<p class="citation">{deck.citation_html}</p>')
    lines += [f'<p class="how">{html.escape(how)}</p>', "</header>"]
    return lines


_Parsed = tuple[tuple[str, ...], tuple[Gap, ...]]  # a cloze field's pieces and gaps (parse_anki_cloze)
# A cloze field split by _ANKI_CLOZE: piece, number, answer, hint (None if it has none), piece, ..., piece.
_Split = list[str | None]


def _myth_section(group: MythGroup, index: int, first_number: int, inline: bool,
                  deck_citation: str, parsed: dict[str, _Split], words: Labels = ENGLISH) -> list[str]:
    badge = _text(words.myth_number.format(number=index))
    lines = [f'<section class="myth" id="myth-{html.escape(group.key, quote=True)}">',
             f'<h2><span class="badge">{badge}</span> <span class="statement">{group.statement}</span></h2>']
    if group.myth is not None:
        _, answer, source = group.myth.fields
        lines.append(f'<div class="fact"><span class="badge">{_text(words.fact)}</span> {_fact_of(answer)}</div>')
        if len(group.true_statements) > 1:  # the first is the fact itself
            lines += [f"<h3>{_text(words.also_true)}</h3>", '<ul class="also-true">',
                      *(f"<li>{note.fields[0]}</li>" for note in group.true_statements[1:]), "</ul>"]
        if source and source != deck_citation:
            lines.append(f'<p class="source">{source}</p>')
    number = first_number
    for kind, notes in _runs_of_kind(group.items):
        heading = words.techniques if kind == "technique" else words.limitations
        lines += [f"<h3>{_text(heading)}</h3>", f'<ol class="items" start="{number}">']
        lines += [f"<li>{_shown(parsed[note.guid], inline)}</li>" for note in notes]
        lines.append("</ol>")
        number += len(notes)
    lines.append("</section>")
    return lines


def _runs_of_kind(notes: Sequence[Note]) -> Iterator[tuple[str, list[Note]]]:
    """Consecutive notes of the same kind, so a myth's techniques and its limitations get a heading each."""
    run: list[Note] = []
    for note in notes:
        if run and note.kind != run[-1].kind:
            yield run[-1].kind, run
            run = []
        run.append(note)
    if run:
        yield run[-1].kind, run


_FACT_DIV = '<div class="fact">'


def _fact_of(answer: str) -> str:
    """The fact in a myth note's answer field (cards.myth_note: the verdict, then the fact)."""
    start = answer.find(_FACT_DIV)
    return answer[start + len(_FACT_DIV):-len("</div>")] if start >= 0 and answer.endswith("</div>") else answer


def _answer_key(myths: list[MythGroup], parsed: dict[str, _Split], quiz: list[Note], choices: list[Note],
                words: Labels = ENGLISH) -> list[str]:
    lines = ['<section class="key">', f"<h2>{_text(words.answer_key)}</h2>"]
    if quiz:
        myth_line, true_line = (f'<li><span class="answer">{_text(verdict)}</span></li>'
                                for verdict in (words.verdict_myth, words.verdict_true))
        lines += ['<div class="key-quiz">', f"<h3>{_text(words.true_or_false)}</h3>", "<ol>",
                  *(myth_line if note.kind == "myth" else true_line for note in quiz), "</ol>", "</div>"]
    if choices:
        lines += ['<div class="key-quiz">', f"<h3>{_text(words.which_not_true)}</h3>", "<ol>",
                  *(f'<li><span class="answer">{note.fields[1]}</span></li>' for note in choices), "</ol>", "</div>"]
    number = 1
    for index, group in enumerate(myths, start=1):
        if not group.items:
            continue
        lines += ['<div class="key-myth">', f"<h3>{_text(words.myth_number.format(number=index))}</h3>",
                  f'<ol start="{number}">']
        for note in group.items:
            answers = _answers(note, parsed[note.guid][2::4])  # type: ignore[arg-type]  # answers are never None
            lines.append(f'<li><span class="answer">{_ANSWER_SEPARATOR.join(answers)}</span></li>' if answers
                         else "<li></li>")
        lines += ["</ol>", "</div>"]
        number += len(group.items)
    lines.append("</section>")
    return lines


def _answers(note: Note, answers: Sequence[str]) -> Sequence[str]:
    """Each deletion's answer on its own (HTML): one inside math is TeX, so it becomes a formula of its own.

    A field with formulas asks ``deletions_in_math`` (a walk of its tags and formulas) only when a '{{c' lies
    between its first opening delimiter and its last closing one: a deletion inside a formula starts after
    the formula's '\\(' or '\\[' and before its '\\)' or '\\]', and most fields with a formula have none there.
    tests/test_fast_parse4.py checks it against asking every field.
    """
    text = note.fields[0]
    if "\\" not in text or ("\\(" not in text and "\\[" not in text):  # no formula, so no deletion in one
        return answers  # (one character, the backslash, is looked for faster than two)
    round_opening, square_opening = text.find("\\("), text.find("\\[")
    opening = round_opening if square_opening < 0 or 0 <= round_opening < square_opening else square_opening
    if not 0 <= text.find("{{c", opening) < max(text.rfind("\\)"), text.rfind("\\]")):
        return answers
    in_math = deletions_in_math(text)
    return [f"\\({answer}\\)" if index < len(in_math) and in_math[index] else answer
            for index, answer in enumerate(answers)]


def _shown(parts: _Split, inline: bool) -> str:
    """A cloze field (split by ``_ANKI_CLOZE``) with each deletion blanked, or filled in when ``inline``.

    What ``_fill_gaps`` with ``_blank`` or ``_filled`` makes of ``parse_anki_cloze`` (tests/test_fast_sheet.py
    checks), made by swapping the number and hint slots of the split for the markup around the answer: no
    Gap, no function call per deletion, one join.
    """
    out = parts.copy()
    for slot in range(1, len(parts), 4):
        if inline:
            out[slot], out[slot + 2] = _FILLED_START, _FILLED_END
        else:
            hint = parts[slot + 2]
            out[slot], out[slot + 2] = _BLANK_START, _BLANK_HINT_END.format(hint) if hint else _BLANK_END
    return "".join(out)  # type: ignore[arg-type]  # every None (a missing hint) is replaced


def _fill_gaps(parsed: _Parsed, show: Callable[[Gap], str]) -> str:
    pieces, gaps = parsed
    out = [pieces[0]]
    for gap, piece in zip(gaps, pieces[1:], strict=True):
        out += [show(gap), piece]
    return "".join(out)


# A deletion on a sheet: a blank, the hidden answer giving it its width (hidden text is neither painted nor in a
# printed PDF's text), then its hint if it has one; or its answer filled in.
_BLANK_START = '<span class="gap"><span class="gap-answer">'
_BLANK_END, _BLANK_HINT_END = "</span></span>", '</span><span class="gap-hint">{}</span></span>'
_FILLED_START, _FILLED_END = '<mark class="filled">', "</mark>"


def _blank(gap: Gap) -> str:
    return _BLANK_START + gap.answer + (_BLANK_HINT_END.format(gap.hint) if gap.hint else _BLANK_END)


def _filled(gap: Gap) -> str:
    return _FILLED_START + gap.answer + _FILLED_END


def _only(number: int, show: Callable[[Gap], str]) -> Callable[[Gap], str]:
    """Show the deletions of one card number with ``show``, the others as plain text (as Anki does)."""
    return lambda gap: show(gap) if gap.number == number else gap.answer


# -- flashcards ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flashcard:
    """Both sides of one printed card (HTML), numbered from 1 in deck order."""

    number: int
    kind: str  # the label on the front (HTML): "Myth or fact?", "Technique", ...
    front: str
    back: str
    css_class: str
    front_fit: str  # "" or a class that sets a smaller font for a side with much text
    back_fit: str


def flashcards(myths: list[MythGroup], words: Labels = ENGLISH) -> list[Flashcard]:
    """One flashcard per Anki card: the "Myth or fact?" cards in the quiz's order, the "Which of these is NOT
    true?" cards, then one per cloze number of each cloze note."""
    cards: list[Flashcard] = []
    for note in true_or_false(myths):
        statement, answer, _ = note.fields  # the answer: the verdict, then the fact or the myth it answers
        cards.append(Flashcard(
            len(cards) + 1, _text(words.myth_or_fact), f'<div class="statement">{statement}</div>', answer, "myth-card",
            _fit((statement, _STATEMENT_SCALE)), _fit((answer, 1.0))))
    for group in myths:
        if group.choice is not None:
            options, letter, myth, fact, _ = group.choice.fields
            verdict = _text(words.not_true).format(letter=letter)
            back = f'<div class="verdict">{verdict}</div><div class="statement">{myth}</div>{fact}'
            cards.append(Flashcard(len(cards) + 1, _text(words.which_not_true_short), options, back, "choice-card",
                                   _fit((options, 1.0)), _fit((myth, _STATEMENT_SCALE), (fact, 1.0))))
    for group in myths:
        for note in group.items:
            text, kind, myth, _ = note.fields
            context = f'<div class="context">{_text(words.myth_context).format(myth=myth)}</div>' if myth else ""
            parsed = parse_anki_cloze(text)
            own_answers = _answers(note, [gap.answer for gap in parsed[1]])
            for number in note.card_numbers:
                front = _fill_gaps(parsed, _only(number, _blank))
                back = _fill_gaps(parsed, _only(number, _filled))
                answers = " · ".join(answer for gap, answer in zip(parsed[1], own_answers, strict=True)
                                     if gap.number == number)
                cards.append(Flashcard(
                    len(cards) + 1, kind, front + context,
                    f'<div class="answer">{answers}</div><div class="context">{back}</div>', "cloze-card",
                    _fit((front, 1.0), (context, _CONTEXT_SCALE)),
                    _fit((answers, _ANSWER_SCALE), (back, _CONTEXT_SCALE))))
    return cards


def _fit(*blocks: tuple[str, float]) -> str:
    """The font-size class for a card side made of (HTML, relative font size) blocks."""
    room = sum(len(html.unescape(_TAG.sub("", block))) * scale**2 for block, scale in blocks)
    return next((fit for limit, fit in _CARD_FITS if room <= limit), _CARD_FIT_SMALLEST)


def _cards_body(deck: DeckCards, myths: list[MythGroup], words: Labels = ENGLISH) -> list[str]:
    """The flashcards' body as its lines (each a sheet tag to a sheet tag: see ``_typeset_by_line``)."""
    cards = flashcards(myths, words)
    sheets = (len(cards) + CARDS_PER_PAGE - 1) // CARDS_PER_PAGE
    name = html.escape(readable_name(deck.name))
    howto = _text(words.flashcards_howto.format(cards=words.count(len(cards), words.cards),
                                                sheets=words.count(sheets, words.sheets)))
    parts = ["<main>", '<div class="howto">', f"<h1>{_text(words.flashcards).format(name=name)}</h1>",
             f"<p>{howto}</p>", "</div>"]
    for sheet in range(sheets):
        chunk = cards[sheet * CARDS_PER_PAGE:(sheet + 1) * CARDS_PER_PAGE]
        where = _text(words.sheet_of.format(sheet=sheet + 1, sheets=sheets, first=chunk[0].number,
                                            last=chunk[-1].number))
        parts.append(_card_page(chunk, "fronts", f"<strong>{_text(words.fronts)}</strong><span>{name}, {where}</span>",
                                words))
        parts.append(_card_page(chunk, "backs", f"<strong>{_text(words.backs)}</strong>"
                                                f"<span>{_text(words.backs_howto)}</span>", words))
    parts.append("</main>")
    return parts


def _card_page(chunk: list[Flashcard], side: str, head: str, words: Labels = ENGLISH) -> str:
    slots: list[Flashcard | None] = [*chunk, *[None] * (CARDS_PER_PAGE - len(chunk))]
    if side == "backs":
        # Long-edge duplex turns the sheet over left to right: each row's columns swap.
        slots = [slot for row in range(ROWS_PER_PAGE)
                 for slot in reversed(slots[row * CARDS_PER_ROW:(row + 1) * CARDS_PER_ROW])]
    cells = [_card(card, side, words) if card else '<div class="card empty"></div>' for card in slots]
    return "\n".join([f'<div class="page {side}">', f'<div class="page-head">{head}</div>', '<div class="grid">',
                      *cells, _crop_marks(), "</div>", "</div>"])


def _card(card: Flashcard, side: str, words: Labels = ENGLISH) -> str:
    if side == "fronts":
        kind, body, face, fit = card.kind, card.front, "front", card.front_fit
    else:
        kind, body, face, fit = _text(words.answer), card.back, "back", card.back_fit
    classes = " ".join(filter(None, ("card", face, card.css_class, fit)))
    return (f'<div class="{classes}">'
            f'<div class="card-head"><span class="card-kind">{kind}</span><span class="card-no">#{card.number}</span>'
            f'</div><div class="card-body">{body}</div></div>')


@cache
def _crop_marks() -> str:
    marks = [f'<span class="mark {edge} x{x}"></span>' for x in range(CARDS_PER_ROW + 1) for edge in ("top", "bottom")]
    marks += [f'<span class="mark {edge} y{y}"></span>' for y in range(ROWS_PER_PAGE + 1) for edge in ("left", "right")]
    return "".join(marks)


# -- making it self-contained -------------------------------------------------------------------------------------


def _self_contained(lines: list[str], deck: DeckCards, words: Labels = ENGLISH) -> tuple[str, str]:
    """The body (its lines joined) with images embedded, links turned into text and TeX typeset as MathML
    (mathml.py), so the file loads and leads nowhere else, and the CSS that carries the images (and draws the
    math's blanks).

    Each image's data is in the file once, in a CSS rule, however many times the deck shows it: an
    image drawn as the background of a box with its proportions, printed as it is shown.
    """
    classes: dict[str, str] = {}
    rules: list[str] = []

    def embed(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = re.search(_ATTRIBUTE.format("src"), tag)
        name = html.unescape(src.group(1)) if src else ""
        data = deck.media.get(name) if src else None
        alt = re.search(_ATTRIBUTE.format("alt"), tag)
        if data is None:
            # An image the deck doesn't carry is never loaded from disk: its description is printed instead.
            return f'<span class="missing-image">[{alt.group(1) if alt else _text(words.image)}]</span>'
        size = image_size(data)
        if name not in classes:
            classes[name] = f"media-{len(classes) + 1}"
            ratio = f" aspect-ratio: {size[0]} / {size[1]}; width: {size[0]}px;" if size and all(size) else ""
            rules.append(f'.{classes[name]} {{ background-image: url("{media_uri(name, data)}");{ratio} }}')
        label = f' aria-label="{alt.group(1)}"' if alt else ""
        sizes = [f"{what}: {int(found.group(1))}px" for what in ("width", "height")
                 if (found := re.search(_ATTRIBUTE.format(what), tag)) and found.group(1).isdigit()]
        style = f' style="{"; ".join(sizes)}"' if sizes else ""
        return f'<span class="image {classes[name]}" role="img"{label}{style}></span>'

    body = "\n".join(lines)
    if _IMAGE_OR_LINK.search(body):  # one look for what the two passes over the whole body could change
        body, typeset = typeset_formulas(_unlink(_IMG_TAG.sub(embed, body)))
    else:
        body, typeset = _typeset_by_line(lines, body)
    if typeset or "<math" in body:  # a typeset formula is a <math> element
        rules.append(_template("sheet-math.css").strip())
    return body, "\n".join(rules)


def _typeset_by_line(lines: list[str], body: str) -> tuple[str, int]:
    """``typeset_formulas(body)`` for ``body = "\\n".join(lines)``, typesetting only the lines that hold a formula.

    Fast because mathml.py walks the code depth (<code>, <pre>) of everything in front of each formula it
    typesets, and the answer key at the end has formulas: a pass over the whole sheet for a few lines.
    It agrees with the whole-body call (tests/test_fast_sheet.py checks) because every line the sheet writes
    begins and ends with one of its own tags that ends a run of text (not a span, mark or code), so no
    formula crosses a line and each line is read from the state a run-ending tag leaves; and because code
    is never open where a line begins, the fields being sanitize.py's well-nested HTML. Callers keep the
    whole-body call when images or links are to be replaced, as their text can hold TeX too.
    """
    typeset = lines.copy()
    count = 0
    for index, line in enumerate(lines):
        if "\\" in line:  # one character is looked for much faster than two: most lines have no backslash
            typeset[index], found = typeset_formulas(line)
            count += found
    return ("\n".join(typeset), count) if count else (body, 0)


def media_uri(name: str, data: bytes) -> str:
    """A ``data:`` URI for a media file, its type from the file name's extension."""
    media_type = _MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _unlink(body: str) -> str:
    """Links become text; a web address is printed after its text, where a reader of paper can see it."""
    targets: list[str] = []

    def swap(match: re.Match[str]) -> str:
        if match.group(0) == "</a>":
            if not targets:
                return ""
            url = targets.pop()
            return f'</span> <span class="url">({url})</span>' if url else "</span>"
        href = re.search(_ATTRIBUTE.format("href"), match.group(1))
        url = href.group(1) if href else ""
        targets.append(url if url.lower().startswith(("https://", "http://")) else "")
        return '<span class="link">'

    return _LINK_TAG.sub(swap, body)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that can't end the string or the <style> element it sits in."""
    safe = "".join(ch if (ch.isalnum() and ch.isascii()) or ch in " ,.-_!?()'" else f"\\{ord(ch):x} " for ch in text)
    return f'"{safe}"'
