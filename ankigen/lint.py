"""Warnings about sources that build but will hurt their learners later.

Each rule returns ``path:line:col: warning:`` diagnostics; ``--strict`` makes
them errors. The rules follow the well-known rules for formulating knowledge
(one idea per card, short answers) and ankigen's identity promise.
"""

from __future__ import annotations

from ankigen.cards import DeckCards
from ankigen.errors import Diagnostic, warning
from ankigen.model import DeckSource


def lint_deck(source: DeckSource, deck: DeckCards) -> list[Diagnostic]:
    """Every warning for one deck."""
    return _missing_ids(source)


def _missing_ids(source: DeckSource) -> list[Diagnostic]:
    """A default id is a slug of the text: editing the text would make a new note and lose its reviews."""
    found = []
    for myth in source.myths:
        if not myth.key_is_explicit:
            found.append(warning(myth.location, f"myth has no 'id' (it defaults to '{myth.key}', which changes "
                                 "when the text changes and resets its reviews)", f"add 'id: {myth.key}'"))
        for item in myth.items:
            if not item.key_is_explicit:
                found.append(warning(item.location, f"{item.kind} has no 'id' (it defaults to '{item.key}', which "
                                     "changes when the name changes and resets its reviews)",
                                     f"add 'id: {item.key}'"))
    return found
