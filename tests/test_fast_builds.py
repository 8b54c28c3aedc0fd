"""Fast builds must be the same builds: unchanged decks are skipped, big builds use every core, and
neither changes a byte of what is written or a word of what is reported; long builds show progress."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen import cli as cli_module
from ankigen import loader
from ankigen.cli import cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def _source(deck_id: str, myths: int = 3, text: str = "Fine-tunes a {{pre-trained}} model.") -> str:
    lines = [f"deck: Deck {deck_id}", f"id: {deck_id}", "myths:"]
    for n in range(myths):
        lines += [f"  - id: m{n}", f"    myth: Myth {n} about *{deck_id}*.", f"    fact: Fact {n}.",
                  "    techniques:", f"      - id: t{n}", f"        name: Technique {n}", f"        text: {text}"]
    return "\n".join(lines) + "\n"


def _write_sources(folder: Path, decks: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(decks):
        (folder / f"deck{n}.yaml").write_text(_source(f"deck{n}", myths=n + 2), "utf-8")
    return folder


def _build(sources: Path, out: Path, *extra: str, env: dict[str, str] | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["build", str(sources), "-o", str(out), *extra], env={**EPOCH, **(env or {})})
    assert result.exit_code == code, result.output
    return result.output


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _forget_inputs(out: Path) -> None:
    """Make the lock say nothing about what each deck was built from, so every deck is built again."""
    lock = json.loads((out / "ankigen.lock").read_text("utf-8"))
    for deck in lock["decks"].values():
        deck["inputs"] = ""
    (out / "ankigen.lock").write_text(json.dumps(lock), "utf-8")


def test_an_unchanged_deck_is_not_even_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    before = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged deck was parsed")

    monkeypatch.setattr(loader, "parse_source", refuse)
    monkeypatch.setattr(loader, "load_source", refuse)
    output = _build(sources, out)
    assert output.count("added 0, changed 0, removed 0") == 3
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == before


def test_a_skipped_deck_is_reported_like_a_rebuilt_one(tmp_path: Path) -> None:
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    first = sources / "deck0.yaml"  # an item without an id: the warning a build prints
    first.write_text(first.read_text("utf-8").replace("- id: t0\n        name:", "- name:"), "utf-8")
    _build(sources, out)
    skipped = _build(sources, out)
    _forget_inputs(out)
    rebuilt = _build(sources, out)
    # Warnings come with building a deck (and from `ankigen check`), not with skipping it.
    assert ": warning: " in rebuilt and ": warning: " not in skipped
    assert skipped.splitlines() == [line for line in rebuilt.splitlines() if ": warning: " not in line]
    assert "deck1: 9 myth-or-fact/choice notes (9 cards), 3 cloze notes (6 cards); " \
           "added 0, changed 0, removed 0, unchanged 12; unchanged" in skipped


def test_editing_one_source_rebuilds_only_its_deck(tmp_path: Path) -> None:
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    before = _files(out)
    (sources / "deck1.yaml").write_text(_source("deck1", myths=3, text="Uses a {{smaller}} dataset."), "utf-8")
    output = _build(sources, out)
    assert "deck1: 9 myth-or-fact/choice notes (9 cards), 3 cloze notes (6 cards); added 0, changed 3, removed 0" \
        in output
    after = _files(out)
    assert sorted(name for name in after if after[name] != before[name]) == \
        ["ankigen.lock", "deck1.apkg", "deck1.html"]
    edited = dict(after)
    _forget_inputs(out)
    _build(sources, out)
    assert _files(out) == edited  # the same as building every deck again


@pytest.mark.parametrize("damage", ["change", "delete"])
def test_an_output_changed_since_the_build_is_written_again(tmp_path: Path, damage: str) -> None:
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    built = _files(out)
    if damage == "change":
        (out / "deck2.html").write_text("edited by hand", "utf-8")
    else:
        (out / "deck2.apkg").unlink()
    output = _build(sources, out)
    assert "deck2:" in output and "wrote" in output.split("deck2:")[1]
    assert _files(out) == built


def test_a_new_source_taking_an_unchanged_decks_id_is_an_error(tmp_path: Path) -> None:
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    built = _files(out)
    (sources / "deck9.yaml").write_text(_source("deck0"), "utf-8")
    output = _build(sources, out, code=1)
    assert "deck9.yaml:2:5: error: deck id 'deck0' is already used by" in output
    assert _files(out) == built


def test_a_parallel_build_writes_what_a_single_process_build_writes(tmp_path: Path) -> None:
    sources = _write_sources(tmp_path / "cards", decks=5)
    one = _build(sources, tmp_path / "one", env={"ANKIGEN_JOBS": "1"})
    two = _build(sources, tmp_path / "two", env={"ANKIGEN_JOBS": "2"})
    assert one.replace("/one/", "/two/") == two
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_output_is_on_disk_before_it_is_renamed_into_place(jobs: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A power cut after a rename must not leave an empty file: each temp file is flushed (fsync) before its
    rename, in whichever process wrote it (flushes are logged to a file, which forked workers share)."""
    flushed_log, out = tmp_path / "flushed", tmp_path / "decks"
    real_fsync, real_replace = os.fsync, os.replace
    renamed: list[str] = []

    def fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        with open(flushed_log, "a", encoding="utf-8") as log:
            log.write(f"{os.fstat(descriptor).st_ino}\n")

    def replace(source: str | Path, target: str | Path) -> None:
        if Path(target).parent == out:  # (caches are not flushed: a torn one fails its digest)
            flushed = flushed_log.read_text("utf-8").split() if flushed_log.exists() else []
            assert str(os.stat(source).st_ino) in flushed, f"{target} renamed into place before it was flushed"
            renamed.append(Path(target).name)
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _build(_write_sources(tmp_path / "cards", decks=4), out, env={"ANKIGEN_JOBS": jobs})
    assert sorted(renamed) == sorted(path.name for path in out.iterdir())


def test_an_error_in_a_parallel_build_writes_nothing(tmp_path: Path) -> None:
    sources, out = _write_sources(tmp_path / "cards", decks=4), tmp_path / "decks"
    _build(sources, out)
    built = _files(out)
    for n in range(4):  # every deck changed, one of them broken
        (sources / f"deck{n}.yaml").write_text(_source(f"deck{n}", myths=n + 3), "utf-8")
    (sources / "deck2.yaml").write_text(_source("deck2", text="Never {{closed."), "utf-8")
    output = _build(sources, out, env={"ANKIGEN_JOBS": "2"}, code=1)
    assert "error: '{{' is never closed" in output
    assert _files(out) == built  # no output replaced, no temporary file left behind


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    clock = iter([100.0, 100.5, 101.5, 101.6])
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: next(clock))
    with cli_module._Progress() as progress:
        progress(1, 4)  # half a second in: nothing yet
        assert terminal.getvalue() == ""
        progress(2, 4)
        progress(3, 4)
    assert "building" in terminal.getvalue() and "75%" in terminal.getvalue()


def test_progress_stays_quiet_when_not_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    monkeypatch.setattr(cli_module._Progress, "DELAY", 0.0)
    with cli_module._Progress() as progress:
        progress(1, 4)
        progress(2, 4)
    assert piped.getvalue() == ""


def test_a_damaged_lock_row_stops_the_build_of_its_deck_before_anything_is_written(tmp_path: Path) -> None:
    """Skipped decks' rows are not read (that is what makes a rebuild fast); a deck being built reads its own."""
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    lock = (out / "ankigen.lock").read_text("utf-8")
    deck1 = lock.index('"deck1": {')
    row = lock.index('": ["', deck1) + 3
    (out / "ankigen.lock").write_text(lock[:row] + "17" + lock[lock.index("]", row) + 1:], "utf-8")
    damaged = _files(out)

    (sources / "deck1.yaml").write_text(_source("deck1", myths=3, text="Uses a {{smaller}} dataset."), "utf-8")
    output = _build(sources, out, code=1)
    assert "ankigen.lock: cannot read the lock file" in output and "restore it from git" in output
    assert "Traceback" not in output
    assert _files(out) == damaged


def test_remembered_digests_spare_reading_files_and_notice_any_write(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from ankigen import digests

    file = tmp_path / "a.apkg"
    file.write_bytes(b"first")
    store = tmp_path / "cache" / "x.json"
    monkeypatch.setattr(digests, "SETTLED_NS", 0)
    cache = digests.FileDigests(store)
    first = cache.sha256(file)
    cache.save()

    read_bytes = Path.read_bytes

    def no_reading(self: Path) -> bytes:
        if self == file:
            raise OSError("read")
        return read_bytes(self)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", no_reading)
        assert digests.FileDigests(store).sha256(file) == first  # remembered: not read again
        assert digests.FileDigests(tmp_path / "other.json").sha256(file) is None  # (reading would fail)

    before = file.stat()
    file.write_bytes(b"other")  # same size; the modification time set back as it was
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert digests.FileDigests(store).sha256(file) == hashlib.sha256(b"other").hexdigest()


def test_a_file_changed_just_before_it_is_read_is_not_remembered(tmp_path: Path) -> None:
    from ankigen import digests

    file = tmp_path / "a.apkg"
    file.write_bytes(b"fresh")
    cache = digests.FileDigests(tmp_path / "x.json")
    assert cache.sha256(file) == hashlib.sha256(b"fresh").hexdigest()
    cache.save()
    assert not (tmp_path / "x.json").exists()  # a second write within the clock's granularity could go unseen


def test_an_output_rewritten_with_its_size_and_time_is_built_again(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ankigen import digests

    monkeypatch.setattr(digests, "SETTLED_NS", 50_000_000)
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    built = _files(out)
    time.sleep(0.1)
    _build(sources, out)  # remembers every digest
    html = out / "deck2.html"
    before = html.stat()
    html.write_bytes(html.read_bytes().replace(b"<h1>", b"<h2>", 1))
    os.utime(html, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert html.stat().st_size == before.st_size
    output = _build(sources, out)
    assert "wrote" in output.split("deck2:")[1]
    assert _files(out) == built


@pytest.mark.parametrize("cache", ["damaged", "unwritable"])
def test_a_damaged_or_unwritable_digest_cache_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             cache: str) -> None:
    from ankigen import digests

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", "utf-8")
    root = tmp_path / "cache"
    monkeypatch.setenv(digests.CACHE_ENV, str(blocker / "sub" if cache == "unwritable" else root))
    monkeypatch.setattr(digests, "SETTLED_NS", 0)
    sources, out = _write_sources(tmp_path / "cards"), tmp_path / "decks"
    _build(sources, out)
    _build(sources, out)
    if cache == "damaged":
        [store] = [path for path in root.glob("*.json") if path.name != "typeset.json"]  # the digests' own file
        store.write_text("{not json", "utf-8")
    output = _build(sources, out)
    assert output.count("added 0, changed 0, removed 0") == 3 and "wrote" not in output


_CHURN = """
import resource, sys
from ankigen import allocator
kept = sys.argv[1] == "kept" and allocator.keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # a deck's worth of memory, freed before the next deck makes as much again
    fields = [bytearray(2048) for _ in range(4096)]  # 8 MiB from the heap, in pieces the size of a field
    database = bytearray(1024 * 1024)
    del fields, database
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator: other platforms are left alone")
def test_memory_freed_by_one_deck_is_reused_by_the_next_not_faulted_in_again() -> None:
    import subprocess

    def faults(mode: str) -> tuple[str, int]:
        run = subprocess.run([sys.executable, "-c", _CHURN, mode], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        kept, count = run.stdout.split()
        return kept, int(count)

    (was_kept, given_back), (kept, reused) = faults("default"), faults("kept")
    assert (was_kept, kept) == ("False", "True")
    # 20 rounds of 9 MiB: about 45,000 pages faulted in again when each round's memory goes back to the kernel
    assert given_back > 20_000, given_back
    assert reused < given_back / 10, (reused, given_back)


def test_only_a_build_with_enough_to_do_asks_the_allocator_to_keep_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ankigen import allocator

    asked: list[bool] = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: asked.append(True) or True)
    sources = _write_sources(tmp_path / "cards")
    size = sum(path.stat().st_size for path in sources.iterdir())
    monkeypatch.setattr(allocator, "MIN_BYTES", size + 1)
    _build(sources, tmp_path / "small")
    assert asked == []  # a small build does not even load ctypes
    monkeypatch.setattr(allocator, "MIN_BYTES", size)
    _build(sources, tmp_path / "big")
    assert asked == [True]


def _display_path_the_long_way(path: Path) -> str:
    """display_path as it was: the whole path resolved and made relative for every file (the oracle)."""
    try:
        shown = path.resolve().relative_to(Path(os.getcwd()).resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    return shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def test_paths_in_messages_are_shown_as_the_long_way_shows_them(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ankigen.pipeline import display_path

    project = tmp_path / "project"
    (project / "cards" / "sub").mkdir(parents=True)
    (project / "cards" / "a.yaml").write_text("x", "utf-8")
    (tmp_path / "elsewhere").mkdir()
    (project / "cards" / "link.yaml").symlink_to(tmp_path / "elsewhere" / "real.yaml")
    (project / "linked").symlink_to(project / "cards" / "sub")
    names = ["cards/a.yaml", "./cards/a.yaml", "cards/sub/../a.yaml", "cards/link.yaml", "linked/x.yaml",
             "cards", "cards/", ".", "..", "../elsewhere/real.yaml", "missing/b.yaml", os.fsdecode(b"cards/\xff.yaml"),
             str(project), str(project / "cards" / "a.yaml"), str(tmp_path / "elsewhere"), "/"]
    for cwd in (project, project / "cards", tmp_path, tmp_path / "elsewhere"):
        monkeypatch.chdir(cwd)
        for name in names:
            assert display_path(Path(name)) == _display_path_the_long_way(Path(name)), (cwd, name)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(), max_size=40), st.integers(1, 8))
def test_mapping_in_threads_gives_what_a_loop_gives(jobs: list[int], threads: int) -> None:
    from ankigen.parallel import map_in_threads

    def slow_square(job: int) -> int:
        time.sleep(0.0005 if job % 3 == 0 else 0)  # some jobs finish out of turn
        return job * job

    assert map_in_threads(slow_square, jobs, threads) == [job * job for job in jobs]


def test_an_error_in_a_threaded_job_is_raised_and_stops_the_rest() -> None:
    from ankigen.parallel import map_in_threads

    done: list[int] = []

    def job(number: int) -> int:
        if number == 5:
            raise OSError("the disk went away")
        time.sleep(0.002)
        done.append(number)
        return number

    with pytest.raises(OSError, match="the disk went away"):
        map_in_threads(job, range(200), 4)
    assert len(done) < 199  # the threads stopped taking jobs


def test_a_staged_write_is_waited_for_and_its_error_kept() -> None:
    import threading

    from ankigen.atomic import Pending

    started = threading.Event()
    written = Pending(lambda: (started.wait(5), "written")[1])
    failed = Pending(lambda: (_ for _ in ()).throw(PermissionError("read-only")))
    thread = threading.Thread(target=lambda: (written.run(), failed.run()))
    thread.start()
    started.set()
    assert written.result() == "written" and written.exception() is None
    assert isinstance(failed.exception(), PermissionError)
    with pytest.raises(PermissionError, match="read-only"):
        failed.result()
    thread.join()
