"""What users wait for after a build: Anki importing the packages, timed with the real ``anki`` backend.

For one size, ``bench/run.py`` calls ``measure_imports`` with the floor's
package and a folder of ankigen's per-deck packages of the same notes. It adds
ankigen's one package (``ankigen build --one-package``, built into a copy of
that folder: nothing else may change), then times, in rounds that take turns
(floor, ankigen's one package, ankigen's per-deck packages; every other round
in the reverse order, so that no case always follows the same one), each in
a fresh process so that no import warms the next:

- a first import into an empty collection;
- an unchanged re-import into the collection the first import left (in another
  fresh process), which must add and update nothing.

The per-deck case imports every ``DIR/*.apkg`` one after another, as a user of
a 100-file project without the option does. Times are medians, and each
ratio to the floor is the median of the rounds' ratios (ratios.py); only the
import calls are timed (not Python's or Anki's start-up). Every import is checked:
all notes new the first time, all duplicates (unchanged) the second.

    python bench/anki_import.py COLLECTION_DIR PACKAGE...   # one timed import, as JSON (used by measure_imports)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ratios import median_ratio

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET = 1.1  # ankigen's import / the floor's, first import and re-import (issue 15), for the one package
ONE_PACKAGE = "all-decks.apkg"


class ImportCheckFailed(Exception):
    """An import added, updated or missed notes it should not have."""


@dataclasses.dataclass
class ImportTimes:
    """Medians, in seconds, for one size."""

    notes: int
    decks: int
    floor_first: float
    floor_again: float
    one_first: float
    one_again: float
    decks_first: float
    decks_again: float
    one_build: float  # what --one-package added to a build with nothing else to do
    ratios: dict[str, float]  # "first" and "again": the one package's / the floor's, see ratios.py


def _import_once(collection_dir: Path, packages: Sequence[Path]) -> dict[str, float]:
    """In a fresh process: import ``packages`` into the collection in ``collection_dir``; time and counts."""
    completed = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(collection_dir),
                                *map(str, packages)], capture_output=True, text=True, check=False,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if completed.returncode != 0:
        raise ImportCheckFailed(f"importing into {collection_dir} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, float] = json.loads(completed.stdout)
    return result


def _first_then_again(name: str, packages: Sequence[Path], notes: int, scratch: Path) -> tuple[float, float]:
    collection_dir = scratch / name
    shutil.rmtree(collection_dir, ignore_errors=True)
    collection_dir.mkdir(parents=True)
    os.sync()
    first = _import_once(collection_dir, packages)
    os.sync()
    again = _import_once(collection_dir, packages)
    shutil.rmtree(collection_dir, ignore_errors=True)
    if (first["new"], first["found"]) != (notes, notes):
        raise ImportCheckFailed(f"{name}: a first import made {first['new']} of {notes} notes new")
    if (again["new"], again["updated"], again["conflicting"], again["duplicate"]) != (0, 0, 0, notes):
        raise ImportCheckFailed(f"{name}: an unchanged re-import changed something: {again}")
    return first["seconds"], again["seconds"]


def measure_imports(floor: Path, decks: Path, sources: Path, build: Sequence[str], notes: int, runs: int,
                    scratch: Path, log: Callable[[str], None]) -> ImportTimes:
    """Time Anki importing the floor's package, ankigen's one package and its per-deck packages (see above)."""
    one_dir = decks.parent / "one-package"  # beside the decks: the lock names sources relative to its folder
    shutil.rmtree(one_dir, ignore_errors=True)
    shutil.copytree(decks, one_dir)
    before = {path.name: path.read_bytes() for path in one_dir.iterdir()}
    started = time.perf_counter()
    completed = subprocess.run([*build, str(sources), "-o", str(one_dir), "--one-package", ONE_PACKAGE],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    one_build = time.perf_counter() - started
    if completed.returncode != 0:
        raise ImportCheckFailed(f"ankigen build --one-package failed:\n{completed.stderr[-3000:]}")
    changed = [path.name for path in one_dir.iterdir() if before.get(path.name) != path.read_bytes()]
    if changed != [ONE_PACKAGE]:
        raise ImportCheckFailed(f"--one-package changed {sorted(changed)}, not only {ONE_PACKAGE}")
    per_deck = sorted(decks.glob("*.apkg"))
    cases = {"floor": [floor], "one": [one_dir / ONE_PACKAGE], "decks": per_deck}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    _first_then_again("warm-up", [floor], notes, scratch / "collections")  # Anki's library read from disk once
    for index in range(runs):
        order = list(cases) if index % 2 == 0 else list(reversed(cases))
        log(f"{notes} notes: Anki import, round {index + 1} of {runs} ({', '.join(order)})")
        for name in order:
            times[name].append(_first_then_again(name, cases[name], notes, scratch / "collections"))
    shutil.rmtree(one_dir, ignore_errors=True)

    def median(name: str, which: int) -> float:
        return statistics.median(pair[which] for pair in times[name])

    def ratio(which: int) -> float:
        return median_ratio([pair[which] for pair in times["one"]], [pair[which] for pair in times["floor"]])

    return ImportTimes(notes, len(per_deck), median("floor", 0), median("floor", 1), median("one", 0),
                       median("one", 1), median("decks", 0), median("decks", 1), one_build,
                       {"first": ratio(0), "again": ratio(1)})


TARGET_NAMES = {"import": "6", "reimport": "7"}  # as bench/run.py's summary names them


def verdicts(result: ImportTimes | None) -> dict[str, bool]:
    """Whether the import targets are met at this size (judged on the one package); none if not measured."""
    if result is None:
        return {}
    return {"import": result.ratios["first"] <= TARGET, "reimport": result.ratios["again"] <= TARGET}


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def table_rows(results: Sequence[ImportTimes | None]) -> list[str]:
    """The import rows of bench/run.py's table (one column per size; the target judged at the largest)."""
    measured = [result for result in results if result is not None]
    if not measured:
        return []
    largest = measured[-1]

    def row(label: str, cell: Callable[[ImportTimes], str], target: str) -> str:
        cells = [cell(result) if result is not None else "" for result in results]
        return f"| {label} | " + " | ".join(cells) + f" | {target} |"

    met = verdicts(largest)

    def target(name: str) -> str:
        return f"<= {TARGET}x at {largest.notes:,}: " + ("met" if met[name] else "**not met**")

    return [
        row("6. Anki import, first: one package / floor",
            lambda r: f"{r.ratios['first']:.2f}x ({_seconds(r.one_first)} / {_seconds(r.floor_first)})",
            target("import")),
        row("7. Anki re-import, unchanged: one package / floor",
            lambda r: f"{r.ratios['again']:.2f}x ({_seconds(r.one_again)} / {_seconds(r.floor_again)})",
            target("reimport")),
        row("Anki import, first: every deck's package / floor",
            lambda r: f"{r.decks_first / r.floor_first:.2f}x ({r.decks} imports, {_seconds(r.decks_first)})",
            "(for reference: one import per source file)"),
        row("Anki re-import, unchanged: every deck's package / floor",
            lambda r: f"{r.decks_again / r.floor_again:.2f}x ({_seconds(r.decks_again)})", "(for reference)"),
        row("`--one-package` on a build with nothing else to do", lambda r: _seconds(r.one_build),
            "(for reference)"),
    ]


def _main(argv: Sequence[str]) -> None:
    """Import the packages into the collection in ``argv[0]`` (made if new); print the time and the counts."""
    sys.path.insert(0, str(ROOT))
    from anki._backend import RustBackend
    from anki.collection import Collection

    from tests.anki_collection import import_apkg

    collection = Collection(str(Path(argv[0]) / "collection.anki2"), backend=RustBackend(langs=["en"]))
    try:
        counts = {"found": 0, "new": 0, "updated": 0, "duplicate": 0, "conflicting": 0}
        started = time.perf_counter()
        for package in argv[1:]:
            summary = import_apkg(collection, package).counts()
            for key in counts:
                counts[key] += summary[key]
        seconds = time.perf_counter() - started
    finally:
        collection.close()
    print(json.dumps({"seconds": seconds, **counts}))


if __name__ == "__main__":
    _main(sys.argv[1:])
