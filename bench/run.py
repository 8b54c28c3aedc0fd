"""The benchmark: ankigen against a plain genanki script, on this machine, in this run.

For each size it generates sources (bench/generate.py), renders the same notes
once for the floor (bench/floor.py, untimed), then times, as the median of
several runs of separate processes:

1. a cold build (apkg and html into an empty folder) in one process (ANKIGEN_JOBS=1) against the floor,
   which is one process too, and the build as users run it (on every core once there is enough work);
2. a rebuild with nothing changed, against the cold build;
3. a rebuild after editing one of the source files, against the cold build (both rebuilds are the next
   builds of the first cold build's decks, with the cache folder it filled, as a user's next build is);
4. the peak memory (PSS, workers included; see peak_rss.py) of both cold builds against the floor's;
5. ``ankigen --help``;
6. whether going parallel ever made a build slower than staying in one process;
7. Anki importing the floor's package, ankigen's one package and every deck's package (bench/anki_import.py).

The floor, the one-process build and the build as users run it take turns in
every round, so all three see the machine alike; each ratio to the floor is the
median of the rounds' ratios (bench/ratios.py), the rebuilds' ratios to the cold
build are of medians.

Speed must never buy wrong output, so it also checks that every cold build
writes the same bytes, that rebuilds leave unchanged decks alone and write
what a full build writes, and (at the smallest size) that the decks import
into real Anki with every note.

    python bench/run.py                    # 1,000, 10,000 and 50,000 notes
    python bench/run.py --huge             # ... and 200,000
    python bench/run.py --sizes 2000 --runs 3
    python bench/run.py --quick            # tiny sizes, one run: a smoke test for CI
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.append(str(ROOT))  # for tests.anki_collection; ankigen itself is imported as installed

import anki_import  # noqa: E402  (bench/ is not a package: run as a script)
import generate  # noqa: E402
from ratios import median_ratio  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 20_000, 50_000)
HUGE_SIZE = 200_000
QUICK_SIZES = (100, 300)
QUICK_FILES = 10
# Notes keep this time (SOURCE_DATE_EPOCH), so every build of the same sources writes the same bytes.
EPOCH = 1_767_225_600  # 2026-01-01
HELP_RUNS = 10

# Issue 15's targets. Sizes are where each is judged: every size from the first listed that was run.
TARGETS = {
    "single": 1.5,  # one-process cold build / floor, at 20,000 and 50,000 notes
    "parallel": 1.1,  # cold build as users run it / floor, at 50,000 notes
    "noop": 0.05,  # no-op rebuild / cold build, at the largest size
    "edit": 0.08,  # one-file rebuild / cold build, at the largest size
    "rss": 1.0,  # peak memory of either cold build (PSS, workers included) / floor's, at the largest size
    "threshold": 1.02,  # cold build as users run it / one-process cold build, at every size (see THRESHOLD_NOTE)
    "help": 0.150,  # seconds
}
SINGLE_SIZES = (20_000, 50_000)
PARALLEL_SIZES = (50_000,)
THRESHOLD_NOTE = ("Below ankigen's parallel threshold both builds are the same single process, so their ratio "
                  "shows this machine's noise: a build is called slower only past 1.02x.")


class BenchError(Exception):
    """A build failed, or wrote something it should not have."""


@dataclasses.dataclass
class Sample:
    seconds: float
    memory: dict[str, int]  # peak memory in bytes, as peak_rss.py measures it (when asked for)


@dataclasses.dataclass
class SizeResult:
    notes: int
    files: int
    runs: int
    floor: float
    cold: float  # as users run it: in parallel once there is enough work
    single: float  # ANKIGEN_JOBS=1
    noop: float
    edit: float
    floor_memory: dict[str, int]
    cold_memory: dict[str, int]
    single_memory: dict[str, int]
    checks: list[str]
    parallel: bool  # whether the build as users run it used workers
    ratios: dict[str, float]  # "single", "cold" (each / the floor) and "threshold" (cold / single): see ratios.py
    imports: anki_import.ImportTimes | None = None


# -- measuring one process -----------------------------------------------------


def measure(command: Sequence[str], cwd: Path, watch_memory: bool = False, env: dict[str, str] | None = None) -> Sample:
    """Run ``command`` to completion: its wall time, and with ``watch_memory`` its peak RSS (see peak_rss.py)."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH), **(env or {}))
    with tempfile.TemporaryDirectory(prefix="ankigen-bench-") as scratch:
        rss_file = Path(scratch) / "rss"
        if watch_memory:
            command = [sys.executable, str(BENCH / "peak_rss.py"), str(rss_file), *command]
        with open(Path(scratch) / "stderr", "w+b") as err:
            # Start with nothing left to write back from the run before: its dirty pages would
            # otherwise be flushed during this one (ankigen fsyncs its outputs; the floor does not).
            os.sync()
            start = time.perf_counter()
            completed = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=err, check=False)
            seconds = time.perf_counter() - start
            if completed.returncode != 0:
                err.seek(0)
                raise BenchError(f"{' '.join(command)} exited with {completed.returncode}:\n"
                                 f"{err.read().decode(errors='replace')[-3000:]}")
        memory = json.loads(rss_file.read_text()) if watch_memory else {}
    return Sample(seconds, memory)


def ankigen_command() -> list[str]:
    """The console script users run; the module entry point when it is not installed beside this Python."""
    script = Path(sys.executable).with_name("ankigen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ankigen.cli import main; main()"]


# -- checking output -----------------------------------------------------------


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.iterdir()) if path.is_file()}


def expect_same(first: Path, second: Path, what: str) -> None:
    a, b = digests(first), digests(second)
    if a != b:
        differing = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
        raise BenchError(f"{what}: {first} and {second} differ in {', '.join(differing[:5])}")


def import_into_anki(decks: Path, expected_notes: int, scratch: Path) -> str:
    """Import every .apkg into one fresh collection of the real Anki backend and count the notes."""
    try:
        from tests.anki_collection import import_apkg, open_collection
    except ImportError as exc:  # the anki package comes with the test extra
        raise BenchError(f"cannot check the decks in Anki ({exc}); install the test extra: "
                         "pip install -e '.[test]'") from exc
    scratch.mkdir(parents=True, exist_ok=True)
    collection = open_collection(scratch)
    try:
        for apkg in sorted(decks.glob("*.apkg")):
            import_apkg(collection, apkg)
        found = collection.note_count()
    finally:
        collection.close()
    if found != expected_notes:
        raise BenchError(f"Anki imported {found} notes from {decks}, expected {expected_notes}")
    return f"the decks import into Anki with all {found} notes"


def full_rebuild_matches(before: Path, after: Path, sources: Path, scratch: Path) -> str:
    """A rebuild that may skip unchanged decks writes what a rebuild of every deck writes.

    ``before`` holds the outputs the rebuild into ``after`` started from; a copy of it
    with every deck's recorded inputs forgotten makes ankigen rebuild every deck.
    """
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(before, scratch)
    lock_path = scratch / "ankigen.lock"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    for deck in lock["decks"].values():
        deck["inputs"] = ""
    lock_path.write_text(json.dumps(lock, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    measure([*ankigen_command(), "build", str(sources), "-o", str(scratch)], sources.parent)
    expect_same(after, scratch, "a rebuild of every deck")
    return "a rebuild writes the same bytes as a rebuild of every deck"


# -- one size ------------------------------------------------------------------


def prerender(sources: Path, target: Path) -> int:
    """The notes of every source as ankigen derives them (HTML fields), as JSON for the floor; returns the count."""
    from ankigen.notetypes import all_notetypes, notetype_for
    from ankigen.pipeline import load_decks

    loaded, diagnostics = load_decks([str(sources)], lint=False)
    problems = [d for d in diagnostics if d.severity == "error"]
    if problems:
        raise BenchError(f"the generated sources have errors, first: {problems[0]}")
    notetypes = {str(t.id): t for t in all_notetypes()}
    data = {
        "timestamp": EPOCH,
        "notetypes": {kind: {"id": t.id, "name": t.name, "fields": list(t.fields), "front": t.front,
                             "back": t.back, "css": t.css, "cloze": t.is_cloze} for kind, t in notetypes.items()},
        "decks": [{"id": item.deck.deck_id, "name": item.deck.name, "description": item.deck.description_html,
                   "notes": [{"guid": note.guid, "notetype": str(notetype_for(note.kind).id),
                              "fields": list(note.fields), "tags": list(note.tags)} for note in item.deck.notes]}
                  for item in loaded],
    }
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return sum(len(deck["notes"]) for deck in data["decks"])


def median_of(runs: int, action: Callable[[int], Sample]) -> float:
    return statistics.median(action(index).seconds for index in range(runs))


def bench_size(notes: int, files: int, runs: int, work: Path, verify_in_anki: bool,
               log: Callable[[str], None]) -> SizeResult:
    folder = work / f"n{notes}"
    shutil.rmtree(folder, ignore_errors=True)
    # ankigen remembers the digests of files it has checked (ankigen/digests.py): start without any.
    os.environ["ANKIGEN_CACHE_DIR"] = str(folder / "digest-cache")
    sources = folder / "sources"
    generate.write_sources(sources, notes, files)
    notes_json = folder / "notes.json"
    if prerender(sources, notes_json) != notes:
        raise BenchError(f"the generator wrote the wrong number of notes for {notes}")
    build = [*ankigen_command(), "build", str(sources), "-o"]
    floor = [sys.executable, str(BENCH / "floor.py"), str(notes_json)]
    checks = []

    log(f"{notes} notes: floor, one-process and default cold builds, taking turns (so all see the machine alike)")
    fresh_caches = itertools.count()

    def cold(env: dict[str, str] | None = None) -> dict[str, str]:
        """A cold build starts with nothing remembered: an empty cache folder of its own (digests, formulas)."""
        cache = folder / "cold-caches" / str(next(fresh_caches))
        cache.mkdir(parents=True)
        return {**(env or {}), "ANKIGEN_CACHE_DIR": str(cache)}

    one_process = {"ANKIGEN_JOBS": "1"}
    cold_dirs = [folder / f"cold-{i}" for i in range(max(runs, 2))]
    floor_times, cold_times, single_times = [], [], []
    cold_caches = []
    for i in range(runs):
        floor_times.append(measure([*floor, str(folder / f"floor-{i}.apkg")], folder).seconds)
        single_times.append(measure([*build, str(folder / f"single-{i}")], folder, env=cold(one_process)).seconds)
        cold_caches.append(cold())
        cold_times.append(measure([*build, str(cold_dirs[i])], folder, env=cold_caches[-1]).seconds)
    floor_time, cold_time = statistics.median(floor_times), statistics.median(cold_times)
    single_time = statistics.median(single_times)
    ratios = {"single": median_ratio(single_times, floor_times), "cold": median_ratio(cold_times, floor_times),
              "threshold": median_ratio(cold_times, single_times)}
    floor_memory = measure([*floor, str(folder / "floor-rss.apkg")], folder, watch_memory=True).memory
    cold_memory = measure([*build, str(folder / "cold-rss")], folder, watch_memory=True, env=cold()).memory
    single_memory = measure([*build, str(folder / "single-rss")], folder, watch_memory=True,
                            env=cold(one_process)).memory
    if runs < 2:
        measure([*build, str(cold_dirs[1])], folder, env=cold())
    for other in [*cold_dirs[1:], folder / "cold-rss"]:
        expect_same(cold_dirs[0], other, "two cold builds")
    checks.append("every cold build writes the same bytes")
    for other in [folder / f"single-{i}" for i in range(runs)] + [folder / "single-rss"]:
        expect_same(cold_dirs[0], other, "a build in one process")
    checks.append("a cold build writes the same bytes in one process (ANKIGEN_JOBS=1)")
    parallel = cold_memory.get("processes", 1) > 1
    imports = anki_import.measure_imports(folder / "floor-0.apkg", cold_dirs[1], sources,
                                          [*ankigen_command(), "build"], notes, runs, folder / "anki-import", log)
    checks.append("every first import into Anki makes every note new; an unchanged re-import changes nothing")

    log(f"{notes} notes: no-op rebuild")
    decks = cold_dirs[0]
    # The rebuilds are the next builds of the decks the first cold build wrote, with the cache folder that build
    # filled: the user's own cache, as their next build finds it.
    same_cache = cold_caches[0]
    noop_time = median_of(runs, lambda i: measure([*build, str(decks)], folder, env=same_cache))
    expect_same(cold_dirs[1], decks, "a rebuild with nothing changed")
    checks.append("a rebuild with nothing changed writes nothing new")

    log(f"{notes} notes: rebuild after editing one of {files} files")
    before = folder / "before-edit"

    def edit_once(index: int) -> Sample:
        if verify_in_anki:  # kept to rebuild every deck from, below
            shutil.rmtree(before, ignore_errors=True)
            shutil.copytree(decks, before)
        old = digests(decks)
        file_index = (index * 37 + 11) % files
        generate.edit_source(sources, file_index, notes, files, edition=index + 1)
        sample = measure([*build, str(decks)], folder, env=same_cache)
        changed = {name for name, digest in digests(decks).items() if old.get(name) != digest}
        expected = {f"bench-{file_index:03d}.apkg", f"bench-{file_index:03d}.html", "ankigen.lock"}
        if not changed <= expected or f"bench-{file_index:03d}.apkg" not in changed:
            raise BenchError(f"editing {generate.source_name(file_index)} changed {sorted(changed)}")
        return sample

    edit_time = median_of(runs, edit_once)
    checks.append("a rebuild after an edit rewrites only the edited deck")

    if verify_in_anki:
        checks.append(full_rebuild_matches(before, decks, sources, folder / "full-rebuild"))
        checks.append(import_into_anki(cold_dirs[0], notes, folder / "anki"))
    return SizeResult(notes, files, runs, floor_time, cold_time, single_time, noop_time, edit_time, floor_memory,
                      cold_memory, single_memory, checks, parallel, ratios, imports)


def bench_help(runs: int) -> float:
    return median_of(runs, lambda i: measure([*ankigen_command(), "--help"], ROOT))


# -- the table -----------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory_text = f", {memory:.0f} GiB RAM"
    except (ValueError, OSError):
        memory_text = ""
    return (f"{model}, {os.cpu_count()} cores{memory_text}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


def _versions() -> str:
    from importlib.metadata import version

    parts = [f"{name} {version(name)}" for name in ("ankigen", "genanki", "markdown", "pyyaml")]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        parts.append(f"commit {commit}")
    except (OSError, subprocess.CalledProcessError):
        pass
    return ", ".join(parts)


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def _memory_ratio(memory: dict[str, int], result: SizeResult, kind: str = "pss_sum") -> float:
    return memory[kind] / result.floor_memory[kind]


def _memory(memory: dict[str, int], result: SizeResult, kind: str = "pss_sum") -> str:
    return f"{_memory_ratio(memory, result, kind):.2f}x ({_mib(memory[kind])} / {_mib(result.floor_memory[kind])})"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _judged(results: list[SizeResult], sizes: Sequence[int]) -> list[SizeResult]:
    """The results a target is judged on: those at ``sizes`` if any were run, else the largest."""
    return [r for r in results if r.notes in sizes] or results[-1:]


def verdicts(results: list[SizeResult], help_time: float) -> dict[str, bool]:
    """Whether each of issue 15's targets is met in this run."""
    largest = results[-1]
    return {
        "single": all(r.ratios["single"] <= TARGETS["single"] for r in _judged(results, SINGLE_SIZES)),
        "parallel": all(r.ratios["cold"] <= TARGETS["parallel"] for r in _judged(results, PARALLEL_SIZES)),
        "noop": largest.noop / largest.cold <= TARGETS["noop"],
        "edit": largest.edit / largest.cold <= TARGETS["edit"],
        "rss": max(_memory_ratio(largest.cold_memory, largest),
                   _memory_ratio(largest.single_memory, largest)) <= TARGETS["rss"],
        "threshold": all(r.ratios["threshold"] <= TARGETS["threshold"] for r in results),
        "help": help_time < TARGETS["help"],
        **anki_import.verdicts(largest.imports),
    }


def table(results: list[SizeResult], help_time: float) -> str:
    largest = results[-1]
    files = largest.files
    met = verdicts(results, help_time)
    header = "| measure | " + " | ".join(f"{r.notes:,} notes" for r in results) + " | target |"
    rule = "|---|" + "---:|" * len(results) + "---|"

    def row(label: str, cell: Callable[[SizeResult], str], target: str) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in results) + f" | {target} |"

    def sizes(judged: Sequence[int]) -> str:
        return " and ".join(f"{r.notes:,}" for r in _judged(results, judged))

    def mode(r: SizeResult) -> str:
        return "in parallel" if r.parallel else "one process"

    rows = [
        header, rule,
        row("1a. cold build in one process / floor",
            lambda r: f"{r.ratios['single']:.2f}x ({_seconds(r.single)} / {_seconds(r.floor)})",
            f"<= {TARGETS['single']}x at {sizes(SINGLE_SIZES)}: {_met(met['single'])}"),
        row("1b. cold build as run / floor",
            lambda r: f"{r.ratios['cold']:.2f}x ({_seconds(r.cold)}, {mode(r)})",
            f"<= {TARGETS['parallel']}x at {sizes(PARALLEL_SIZES)}: {_met(met['parallel'])}"),
        row("1c. cold build as run / in one process", lambda r: f"{r.ratios['threshold']:.2f}x",
            f"never slower (<= {TARGETS['threshold']}x) at any size: {_met(met['threshold'])}"),
        row("2. no-op rebuild / cold", lambda r: f"{r.noop / r.cold:.1%} ({_seconds(r.noop)})",
            f"<= {TARGETS['noop']:.0%} at {largest.notes:,}: {_met(met['noop'])}"),
        row(f"3. edit 1 of {files} files, rebuild / cold", lambda r: f"{r.edit / r.cold:.1%} ({_seconds(r.edit)})",
            f"<= {TARGETS['edit']:.0%} at {largest.notes:,}: {_met(met['edit'])}"),
        row("4a. peak memory (PSS), one process / floor", lambda r: _memory(r.single_memory, r),
            f"<= {TARGETS['rss']}x at {largest.notes:,}, both: {_met(met['rss'])}"),
        row("4b. peak memory (PSS), as run / floor", lambda r: _memory(r.cold_memory, r), "(with 4a)"),
        row("peak RSS as run, processes summed", lambda r: _memory(r.cold_memory, r, "rss_sum"), "(for reference)"),
        row("5. `ankigen --help`", lambda r: _seconds(help_time) if r is results[0] else "",
            f"< {TARGETS['help'] * 1000:.0f} ms: {_met(met['help'])}"),
        row("one-process cold build per 1,000 notes", lambda r: _seconds(r.single / r.notes * 1000),
            "grows linearly"),
    ]
    rows += anki_import.table_rows([r.imports for r in results])
    return "\n".join(rows)


_TARGET_NAMES = {"single": "1a", "parallel": "1b", "threshold": "1c", "noop": "2", "edit": "3", "rss": "4",
                 "help": "5", **anki_import.TARGET_NAMES}


def _summary(met: dict[str, bool]) -> str:
    missed = [_TARGET_NAMES[name] for name, ok in met.items() if not ok]
    if not missed:
        return f"**Every target met** ({len(met)} of {len(met)})."
    return f"Targets met: {len(met) - len(missed)} of {len(met)}; **not met: {', '.join(sorted(missed))}**."


def report(results: list[SizeResult], help_time: float, started: float, started_at: float, load: str) -> str:
    runs = ", ".join(f"{r.runs} at {r.notes:,} notes" for r in results)
    checks = sorted({check for r in results for check in r.checks})
    lines = [
        "# ankigen benchmark", "",
        f"Machine: {machine()}  ",
        f"Software: {_versions()}  ",
        f"Run: {time.strftime('%Y-%m-%d %H:%M', time.localtime(started_at))}, "
        f"{time.perf_counter() - started:.0f} s, load average {load} at the start; medians of {runs}; "
        f"notes spread over {results[-1].files} source files; `{' '.join(['python bench/run.py', *sys.argv[1:]])}`",
        "",
        table(results, help_time), "",
        _summary(verdicts(results, help_time)), "",
        "The floor is a plain genanki script writing the same notes, already rendered, to one .apkg, in one "
        "process. \"As run\" is the build as users run it: in worker processes on every core once there is "
        f"enough work, else in one. Times are wall-clock times of separate processes, start-up included. "
        "Each cold build starts with an empty cache folder; the no-op and edit rebuilds are the next builds of "
        "the first cold build's decks, with the cache folder that build filled, as a user's next build is. "
        f"{THRESHOLD_NOTE} "
        "Memory is the peak over the process and its workers, sampled every few milliseconds "
        "(bench/peak_rss.py): PSS counts a page that forked workers share with their parent once, "
        "where summed RSS counts it in every process.", "",
        "Checks passed:", *[f"- {check}" for check in checks], "",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark ankigen against a plain genanki script.",
                                     epilog="The table is printed and written to --output (bench/results.md).")
    parser.add_argument("--sizes", help=f"comma-separated note counts (default: {','.join(map(str, DEFAULT_SIZES))})")
    parser.add_argument("--huge", action="store_true", help=f"also run {HUGE_SIZE:,} notes")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {', '.join(map(str, QUICK_SIZES))} notes in {QUICK_FILES} files, one run")
    parser.add_argument("--runs", type=int, help="runs per measurement (default: 5, 1 from 200,000 notes)")
    parser.add_argument("--files", type=int, help=f"source files (default: {generate.DEFAULT_FILES})")
    parser.add_argument("--output", type=Path, help="where to write the table (default: bench/results.md; "
                                                    "with --quick: inside --workdir)")
    parser.add_argument("--workdir", type=Path, default=BENCH / "out", help="scratch folder (default: bench/out)")
    return parser.parse_args(argv)


def default_runs(notes: int) -> int:
    return 1 if notes >= HUGE_SIZE else 5  # on a shared machine, 3 runs left the median at the mercy of one


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started, started_at, load = time.perf_counter(), time.time(), _load()
    if args.quick:
        sizes = list(QUICK_SIZES)
    elif args.sizes:
        sizes = sorted(generate.iter_sizes(args.sizes))
    else:
        sizes = list(DEFAULT_SIZES)
    if args.huge and HUGE_SIZE not in sizes:
        sizes.append(HUGE_SIZE)
    files = args.files or (QUICK_FILES if args.quick else generate.DEFAULT_FILES)
    output = args.output or (args.workdir / "results.md" if args.quick else BENCH / "results.md")
    args.workdir.mkdir(parents=True, exist_ok=True)
    # Time ankigen as an installed package runs: byte-compiled. Where PYTHONDONTWRITEBYTECODE is set, a module
    # edited since its .pyc was written would otherwise be compiled again by every process the bench times.
    compileall.compile_dir(ROOT / "ankigen", quiet=1)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        results = []
        for index, notes in enumerate(sizes):
            runs = args.runs or (1 if args.quick else default_runs(notes))
            results.append(bench_size(notes, min(files, notes), runs, args.workdir, index == 0, log))
        help_time = bench_help(3 if args.quick else HELP_RUNS)
    except (BenchError, anki_import.ImportCheckFailed) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    text = report(results, help_time, started, started_at, load)
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
