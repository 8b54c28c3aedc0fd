"""Our notetypes: their names, field lists, templates and CSS, and which kind of note uses which.

The field lists are a promise: Anki treats an incoming notetype with the same
id but other fields as a conflict and makes a copy, so changing a field list
means a new notetype id (see README, "Notetype policy"). Templates and CSS may
change between releases; ``NOTETYPES_REVISED`` (revision.py) then moves forward
so Anki applies the new look on re-import.

Every notetype a user may hold (all three are fixed in ids.py):

* "ankigen: Myth or Fact" (0.1.0): myths and true statements alike. Its template
  shows no verdict of its own: the verdict is the start of the Fact field, so a
  myth card and a true-statement card share name, template, CSS and front and
  the card cannot tell the learner which answer is coming. Until 0.3.0 the back
  template said "Myth"; the same fields and template name with a newer
  ``NOTETYPES_REVISED`` let Anki's default import update it in place
  (tests/test_upgrade.py proves it on the 0.2.0 package).
* "ankigen: Cloze" (0.1.0): techniques and limitations.
* "ankigen: Which Is NOT True" (0.3.0): one multiple-choice card per myth.

Each is English. A deck with another ``lang:`` gets the same three in its
language (after 0.3.0): the same fields, its labels in the templates, ``lang``
(and ``dir="rtl"``) on the card's root element, its tag in the name ("ankigen:
Cloze (de)") and an id derived from the English one and the language
(ids.notetype_id). Notetypes are shared by a whole collection, so an English
and a German deck side by side need a notetype each; English keeps its ids,
names, templates and CSS of 0.3.0 byte for byte.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from ankigen import ids
from ankigen.labels import DEFAULT, LANGUAGES, labels


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    front: str
    back: str
    css: str
    template_name: str  # part of the schema too: a renamed template makes a copy, as a renamed field does
    lang: str = DEFAULT  # the language of its labels (a key of labels.LANGUAGES)


def _template(name: str) -> str:
    # The package's own file, read from beside this module: importlib.resources would load tempfile for it.
    return Path(__file__).with_name("templates").joinpath(name).read_text("utf-8")


def _look(lang: str, front: str, back: str) -> tuple[str, str, str]:
    """A notetype's front, back and CSS in a language: its labels in the templates, and ``lang`` (with ``dir`` for
    a language written right to left) on the card's root element. English's are those of 0.3.0, byte for byte."""
    words = labels(lang)
    root = "" if lang == DEFAULT else f' lang="{lang}"' + (' dir="rtl"' if words.direction == "rtl" else "")
    values = {
        "root": root,
        "myth_or_fact": html.escape(words.myth_or_fact),
        "which_not_true": html.escape(words.which_not_true),
        "not_true": html.escape(words.not_true).format(letter="{{Answer}}"),
        "myth_context": html.escape(words.myth_context).format(myth="{{Myth}}"),
    }
    css = _template("card.css") + ("" if lang == DEFAULT else _template("card-lang.css"))
    return Template(_template(front)).substitute(values), Template(_template(back)).substitute(values), css


def _named(name: str, lang: str) -> str:
    """English notetypes keep their 0.1.0 names; another language's carry its tag: "ankigen: Cloze (de)"."""
    return name if lang == DEFAULT else f"{name} ({lang})"


def myth_notetype(lang: str = DEFAULT) -> Notetype:
    return all_notetypes(lang)[0]


def cloze_notetype(lang: str = DEFAULT) -> Notetype:
    return all_notetypes(lang)[1]


def choice_notetype(lang: str = DEFAULT) -> Notetype:
    return all_notetypes(lang)[2]


def all_notetypes(lang: str = DEFAULT) -> tuple[Notetype, Notetype, Notetype]:
    """The notetypes of one language (myth, cloze, choice): every notetype a deck in that language is written with."""
    return _notetypes(lang)


@cache
def _notetypes(lang: str) -> tuple[Notetype, Notetype, Notetype]:
    words = labels(lang)
    return (
        Notetype(ids.notetype_id(ids.MYTH_NOTETYPE_ID, lang), _named("ankigen: Myth or Fact", lang), False,
                 ("Statement", "Fact", "Source"), *_look(lang, "myth_front.html", "myth_back.html"),
                 words.myth_or_fact, lang),
        Notetype(ids.notetype_id(ids.CLOZE_NOTETYPE_ID, lang), _named("ankigen: Cloze", lang), True,
                 ("Text", "Kind", "Myth", "Source"), *_look(lang, "cloze_front.html", "cloze_back.html"),
                 "Cloze", lang),
        Notetype(ids.notetype_id(ids.CHOICE_NOTETYPE_ID, lang), _named("ankigen: Which Is NOT True", lang), False,
                 ("Options", "Answer", "Myth", "Fact", "Source"),
                 *_look(lang, "choice_front.html", "choice_back.html"), words.which_not_true_short, lang),
    )


def every_notetype() -> tuple[Notetype, ...]:
    """Every notetype ankigen writes, in every language: what a collection may hold of ours (``ankigen sync`` owns
    exactly these ids)."""
    return tuple(notetype for lang in LANGUAGES for notetype in all_notetypes(lang))


def language_of(notetype_id: int) -> str:
    """The language of one of our notetypes (English for an id that is not ours)."""
    return next((notetype.lang for notetype in every_notetype() if notetype.id == notetype_id), DEFAULT)


def notetype_for(kind: str, lang: str = DEFAULT) -> Notetype:
    """The notetype of a note kind (cards.NoteKind) in a language."""
    if kind in ("myth", "true"):
        return myth_notetype(lang)
    if kind == "choice":
        return choice_notetype(lang)
    return cloze_notetype(lang)


def notetypes_fingerprint(langs: tuple[str, ...] = (DEFAULT,)) -> str:
    """A hash of everything Anki shows of our notetypes (by default the English ones, whose hash every deck's
    inputs include), to notice a change that needs a new revision."""
    digest = hashlib.sha256()
    for lang in langs:
        for notetype in all_notetypes(lang):
            for part in (notetype.name, *notetype.fields, notetype.template_name, notetype.front, notetype.back,
                         notetype.css):
                digest.update(part.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:16]


def translated_fingerprint() -> str:
    """``notetypes_fingerprint`` of every language but English."""
    return notetypes_fingerprint(tuple(lang for lang in LANGUAGES if lang != DEFAULT))
