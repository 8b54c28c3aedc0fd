"""Where Anki keeps its profiles, so ``--profile NAME`` finds ``NAME/collection.anki2``.

As Anki desktop decides it (aqt/profiles.py): the ANKI_BASE environment
variable when set; else on Windows ``%APPDATA%\\Anki2``, on macOS
``~/Library/Application Support/Anki2``, elsewhere ``$XDG_DATA_HOME/Anki2``
(``~/.local/share/Anki2`` when XDG_DATA_HOME is unset).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COLLECTION_FILE = "collection.anki2"


class ProfileNotFound(Exception):
    pass


def anki_base() -> Path:
    if os.environ.get("ANKI_BASE"):
        return Path(os.environ["ANKI_BASE"]).absolute()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Anki2"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "Anki2"


def profile_names(base: Path) -> list[str]:
    """The profiles in Anki's folder: the sub-folders that hold a collection."""
    try:
        return sorted(entry.name for entry in base.iterdir() if (entry / COLLECTION_FILE).is_file())
    except OSError:
        return []


def profile_collection(name: str) -> Path:
    """The collection of profile ``name``; ProfileNotFound says which profiles there are."""
    base = anki_base()
    path = base / name / COLLECTION_FILE
    if name and "/" not in name and "\\" not in name and name not in (".", "..") and path.is_file():
        return path
    known = profile_names(base)
    there = f"profiles there: {', '.join(known)}" if known else "no profiles there"
    raise ProfileNotFound(f"no Anki profile '{name}' in {base} ({there}; ANKI_BASE names another folder)")
