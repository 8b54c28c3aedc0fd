"""Diagnostics: one shape for every problem ankigen reports about a source.

Every diagnostic points at a 1-based line and column so editors and CI can jump
to it, and says what to do about it. ``format_diagnostic`` is the only place
that decides how one looks on screen.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ankigen.model import Location

Severity = Literal["error", "warning"]


class Diagnostic(NamedTuple):
    location: Location
    message: str
    hint: str = ""
    severity: Severity = "error"

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.message)


def error(location: Location, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(location, message, hint, "error")


def warning(location: Location, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(location, message, hint, "warning")


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """``path:line:col: error: message (hint)``, one line, like compilers and linters."""
    loc = diagnostic.location
    text = f"{loc.path}:{loc.line}:{loc.column}: {diagnostic.severity}: {diagnostic.message}"
    if diagnostic.hint:
        text += f" ({diagnostic.hint})"
    return _one_line(text)


# Line breaks (as str.splitlines sees them), control characters and invisible format
# characters (zero-width spaces, right-to-left overrides): quoted from a source into a
# message, they would split it, garble the terminal, or hide what is wrong.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def _one_line(text: str) -> str:
    return _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1] if match.group() < "\xa0"
                            else f"\\u{ord(match.group()):04x}", text)
