"""Our notetypes: their names, field lists, templates and CSS, and which kind of note uses which.

The field lists are a promise: Anki treats an incoming notetype with the same
id but other fields as a conflict and makes a copy, so changing a field list
means a new notetype id (see README, "Notetype policy"). Templates and CSS may
change between releases; ``NOTETYPES_REVISED`` then moves forward so Anki
applies the new look on re-import.

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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ankigen import ids

# When the templates or CSS last changed (Unix time). Anki only replaces a
# notetype's look when the incoming one is newer, so bump this with every
# change; tests/test_notetypes.py fails until you do.
NOTETYPES_REVISED = 1_796_038_450  # 2026-11-30 11:34 UTC: verdicts from the fields, "Which is NOT true?"
NOTETYPES_FINGERPRINT = "7682bead8804880d"  # notetypes_fingerprint() at that revision


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


def _template(name: str) -> str:
    return resources.files("ankigen").joinpath("templates", name).read_text("utf-8")


@cache
def myth_notetype() -> Notetype:
    return Notetype(ids.MYTH_NOTETYPE_ID, "ankigen: Myth or Fact", False,
                    ("Statement", "Fact", "Source"),
                    _template("myth_front.html"), _template("myth_back.html"), _template("card.css"), "Myth or fact?")


@cache
def cloze_notetype() -> Notetype:
    return Notetype(ids.CLOZE_NOTETYPE_ID, "ankigen: Cloze", True,
                    ("Text", "Kind", "Myth", "Source"),
                    _template("cloze_front.html"), _template("cloze_back.html"), _template("card.css"), "Cloze")


@cache
def choice_notetype() -> Notetype:
    return Notetype(ids.CHOICE_NOTETYPE_ID, "ankigen: Which Is NOT True", False,
                    ("Options", "Answer", "Myth", "Fact", "Source"),
                    _template("choice_front.html"), _template("choice_back.html"), _template("card.css"),
                    "Which is NOT true?")


def all_notetypes() -> tuple[Notetype, ...]:
    """Every notetype ankigen writes: what a collection may hold of ours (``ankigen sync`` owns exactly these ids)."""
    return myth_notetype(), cloze_notetype(), choice_notetype()


def notetype_for(kind: str) -> Notetype:
    """The notetype of a note kind (cards.NoteKind)."""
    if kind in ("myth", "true"):
        return myth_notetype()
    if kind == "choice":
        return choice_notetype()
    return cloze_notetype()


def notetypes_fingerprint() -> str:
    """A hash of everything Anki shows of our notetypes, to notice a change that needs a new revision."""
    digest = hashlib.sha256()
    for notetype in all_notetypes():
        for part in (notetype.name, *notetype.fields, notetype.template_name, notetype.front, notetype.back,
                     notetype.css):
            digest.update(part.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:16]
