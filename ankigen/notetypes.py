"""Our two notetypes: their names, field lists, templates and CSS.

The field lists are a promise: Anki treats an incoming notetype with the same
id but other fields as a conflict and makes a copy, so changing a field list
means a new notetype id (see README, "Notetype policy"). Templates and CSS may
change between releases; ``NOTETYPES_REVISED`` then moves forward so Anki
applies the new look on re-import.
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
NOTETYPES_REVISED = 1_795_528_706  # 2026-11-24 13:58 UTC: code highlighting colours
NOTETYPES_FINGERPRINT = "e060fa21a8fc676d"  # notetypes_fingerprint() at that revision


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    front: str
    back: str
    css: str

    @property
    def template_name(self) -> str:
        """The name of its one card template, as Anki shows it."""
        return "Cloze" if self.is_cloze else "Myth or fact?"


def _template(name: str) -> str:
    return resources.files("ankigen").joinpath("templates", name).read_text("utf-8")


@cache
def myth_notetype() -> Notetype:
    return Notetype(ids.MYTH_NOTETYPE_ID, "ankigen: Myth or Fact", False,
                    ("Statement", "Fact", "Source"),
                    _template("myth_front.html"), _template("myth_back.html"), _template("card.css"))


@cache
def cloze_notetype() -> Notetype:
    return Notetype(ids.CLOZE_NOTETYPE_ID, "ankigen: Cloze", True,
                    ("Text", "Kind", "Myth", "Source"),
                    _template("cloze_front.html"), _template("cloze_back.html"), _template("card.css"))


def all_notetypes() -> tuple[Notetype, ...]:
    """Every notetype ankigen writes: what a collection may hold of ours (``ankigen sync`` owns exactly these ids)."""
    return (myth_notetype(), cloze_notetype())


def notetypes_fingerprint() -> str:
    """A hash of everything Anki shows of our notetypes, to notice a change that needs a new revision."""
    digest = hashlib.sha256()
    for notetype in all_notetypes():
        for part in (notetype.name, *notetype.fields, notetype.front, notetype.back, notetype.css):
            digest.update(part.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:16]
