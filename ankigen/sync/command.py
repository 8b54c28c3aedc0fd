"""The sync and diff commands: the sources through the build's own pipeline, the collection through ``anki_backend``.

``anki`` is an optional extra (``pip install 'ankigen[sync]'``): without it
these functions raise ``SyncUnavailable``, which the command line turns into one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ankigen.pipeline import build_time, built_decks
from ankigen.sync.diff import Differences, differences
from ankigen.sync.plan import SyncOptions, make_plan

if TYPE_CHECKING:
    from ankigen.cards import DeckCards
    from ankigen.errors import Diagnostic
    from ankigen.sync.anki_backend import SyncResult

INSTALL_HINT = "ankigen sync needs the 'anki' package: pip install 'ankigen[sync]'"


class SyncUnavailable(Exception):
    """The ``anki`` package is not installed."""


@dataclass
class SyncOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    result: SyncResult | None = None  # None when a source has an error (nothing was read or written)


@dataclass
class DiffOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    differences: Differences | None = None


def require_anki() -> None:
    try:
        import ankigen.sync.anki_backend  # noqa: F401
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "anki":
            raise
        raise SyncUnavailable(INSTALL_HINT) from exc


def _sources(paths: list[str], out_dir: Path) -> tuple[list[DeckCards], list[Diagnostic]]:
    """The decks as ``ankigen build`` into ``out_dir`` made them (same checks, cloze numbers and GUIDs)."""
    return built_decks(paths, out_dir)


def check_collection(collection: Path) -> None:
    """Refuse early (CollectionBusy, CollectionProblem) a collection that is open in Anki or unusable."""
    require_anki()
    from ankigen.sync import anki_backend

    anki_backend.check_free(collection)


def sync(paths: list[str], collection: Path, options: SyncOptions, dry_run: bool,
         out_dir: Path = Path("decks")) -> SyncOutcome:
    """Make ``collection`` hold what the sources give, as the last build into ``out_dir`` made them.

    See ankigen/sync/plan.py for what "hold" means.
    """
    require_anki()
    from ankigen.sync import anki_backend

    decks, diagnostics = _sources(paths, out_dir)
    outcome = SyncOutcome(diagnostics)
    if any(d.severity == "error" for d in diagnostics):
        return outcome
    outcome.result = anki_backend.sync(collection, decks, lambda held: make_plan(decks, held, options),
                                       dry_run=dry_run, now=build_time())
    return outcome


def diff(paths: list[str], collection: Path, out_dir: Path = Path("decks")) -> DiffOutcome:
    """Read-only: the notes whose fields in ``collection`` differ from the sources (numbered as by the last build)."""
    require_anki()
    from ankigen.sync import anki_backend

    decks, diagnostics = _sources(paths, out_dir)
    outcome = DiffOutcome(diagnostics)
    if any(d.severity == "error" for d in diagnostics):
        return outcome
    outcome.differences = differences(decks, anki_backend.read(collection, decks))
    return outcome
