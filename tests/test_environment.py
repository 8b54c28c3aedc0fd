"""Problems of the environment, not of ankigen or the sources: one line naming the path, a documented exit
code (README, "Exit codes"), and decks/ all old.

The full disk and the read-only folder are real: a small tmpfs is mounted for
them, which needs root (CI runs as root). Without root these tests skip and say
why, except under ``CI=true`` or ``ANKIGEN_REQUIRE_MOUNTS=1`` (``.ci/run`` sets
it), where they fail instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.atomic import TEMP_PREFIX
from ankigen.cli import cli

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}
REQUIRE_ENV = "ANKIGEN_REQUIRE_MOUNTS"


def source(deck_id: str, myths: int = 1) -> str:
    lines = [f"deck: Deck {deck_id}", f"id: {deck_id}", "myths:"]
    for n in range(myths):
        lines += [f"  - id: m{n}", f"    myth: Myth {n} says something *bold* about `code`.",
                  f"    fact: Fact {n}, with a [link](https://example.org/{n}).",
                  "    techniques:", f"      - id: t{n}", f"        name: Technique {n}",
                  f"        text: It uses {{{{answer {n}}}}} and {{{{another::a hint}}}} for item {n}."]
    return "\n".join(lines) + "\n"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str], list[str]]:
    result = CliRunner().invoke(cli, list(args), env={**EPOCH, **(env or {})})
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cards/a.yaml (small) and cards/b.yaml (small too, for now), the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "a.yaml").write_text(source("a"), "utf-8")
    (tmp_path / "cards" / "b.yaml").write_text(source("b"), "utf-8")
    return tmp_path


def _cannot(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true" or os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{why}; under CI (CI=true or {REQUIRE_ENV}=1) this test may not be skipped", pytrace=False)
    pytest.skip(why)


@pytest.fixture
def mount() -> Iterator[Callable[[Path, str], None]]:
    """``mount(folder, options)`` mounts a tmpfs there (such as 'size=1m'), unmounted after the test."""
    mounted: list[Path] = []

    def mount_tmpfs(folder: Path, options: str) -> None:
        if os.geteuid() != 0:
            _cannot("mounting a small file system needs root")
        folder.mkdir(exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "ankigen-test", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            _cannot(f"cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(folder)

    yield mount_tmpfs
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=True)


def free_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def on_disk(size: int) -> int:
    """The space a file of ``size`` bytes takes on a tmpfs: whole 4 KiB pages."""
    return -(-size // 4096) * 4096


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["one-process", "workers"])
def test_a_full_disk_stops_the_build_with_every_old_file_in_place(project: Path, mount: Callable[..., None],
                                                                 monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """With workers, each stages its deck's outputs itself (which fills the disk first is then a race)."""
    monkeypatch.setenv("ANKIGEN_JOBS", jobs)
    mount(project / "decks", "size=24m")  # room for b's 1,500 myths with their facts and questions
    assert run("build")[0] == 0
    before = files(project / "decks")
    # What the next build writes: a's outputs barely change, b's grow past the space that will be left.
    (project / "cards" / "a.yaml").write_text(source("a", myths=2), "utf-8")
    (project / "cards" / "b.yaml").write_text(source("b", myths=1500), "utf-8")
    assert run("build", "-o", str(project / "trial"))[0] == 0
    trial = files(project / "trial")
    room = on_disk(len(trial["a.apkg"])) + on_disk(len(trial["a.html"])) + 4 * 4096  # a's outputs fit, not b's
    assert len(trial["b.apkg"]) > 8 * 4096
    filler = project / "decks" / "filler"
    filler.write_bytes(b"\0" * (free_bytes(project / "decks") - room))

    code, out, err = run("build")
    assert (code, out, len(err)) == (4, [], 1)
    assert re.fullmatch(r"error: cannot write decks/(b\.apkg|[ab]\.(apkg|html)): No space left on device; nothing was "
                        r"written \(free some space on that disk, then build again\)", err[0])
    assert jobs == "2" or err[0].startswith("error: cannot write decks/b.apkg: ")
    assert files(project / "decks") == {**before, "filler": filler.read_bytes()}  # a's new outputs were not put in
    assert not list((project / "decks").glob(TEMP_PREFIX + "*"))

    filler.unlink()
    assert run("build")[0] == 0
    assert run("build", "--check")[0] == 0


def test_temp_files_a_killed_build_left_on_a_full_disk_never_fail_the_next_build(
        project: Path, mount: Callable[..., None]) -> None:
    mount(project / "decks", "size=1m")
    assert run("build")[0] == 0
    (project / "cards" / "a.yaml").write_text(source("a", myths=3), "utf-8")
    left = project / "decks" / f"{TEMP_PREFIX}killed-just-now.apkg"  # fresh: a killed build's, moments ago
    left.write_bytes(b"\0" * free_bytes(project / "decks"))
    assert free_bytes(project / "decks") == 0

    code, out, err = run("build")
    assert (code, err) == (0, []) and "a: " in out[0] and "; wrote decks/a.apkg" in out[0]
    assert not left.exists()


def test_a_read_only_output_folder_is_one_line_and_exit_4(project: Path, mount: Callable[..., None]) -> None:
    mount(project / "decks", "size=1m")
    assert run("build")[0] == 0
    before = files(project / "decks")
    subprocess.run(["mount", "-o", "remount,ro", str(project / "decks")], check=True)
    (project / "cards" / "a.yaml").write_text(source("a", myths=2), "utf-8")

    assert run("build") == (4, [], [
        "error: cannot write decks/a.apkg: Read-only file system; nothing was written "
        "(that file system is mounted read-only; build into another folder with -o)"])
    assert files(project / "decks") == before
    assert run("build", "--check")[0] == 1  # reading is fine: it says what is stale


def test_a_folder_in_the_place_of_an_output_is_one_line_and_exit_4(project: Path) -> None:
    assert run("build")[0] == 0
    (project / "decks" / "a.html").unlink()
    (project / "decks" / "a.html").mkdir()
    (project / "cards" / "a.yaml").write_text(source("a", myths=2), "utf-8")
    assert run("build") == (4, [], [
        "error: cannot read decks/a.html: Is a directory; nothing was written "
        "(a folder is in the way: move it, or build into another folder with -o)"])


def test_an_output_folder_below_a_file_is_wrong_usage(project: Path) -> None:
    (project / "notes.txt").write_text("a file", "utf-8")
    code, _, err = run("build", "-o", "notes.txt/decks")
    assert (code, err[-1]) == (2, "Error: Invalid value for '-o' / '--output': 'notes.txt/decks' is below "
                                  "'notes.txt', which is a file, not a folder")
    code, _, err = run("watch", "-o", "notes.txt/decks")
    assert code == 2 and "is below 'notes.txt', which is a file" in err[-1]


@pytest.mark.parametrize("value", ["253402300800", "99999999999999999999", "-1", "tomorrow", "1.5"])
def test_a_source_date_epoch_out_of_range_or_not_a_number_is_wrong_usage(project: Path, value: str) -> None:
    assert run("build", env={"SOURCE_DATE_EPOCH": value}) == (2, [], [
        "error: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 from 0 to 253402300799 "
        f"(the end of year 9999), not '{value}'"])
    assert not (project / "decks").exists()


def test_the_latest_source_date_epoch_builds(project: Path) -> None:
    assert run("build", env={"SOURCE_DATE_EPOCH": "253402300799"})[0] == 0


@pytest.mark.parametrize("time", [99999999999999999999, -1, "1767225600"])
def test_a_lock_with_a_note_time_out_of_range_is_a_damaged_lock(project: Path, time: object) -> None:
    assert run("build")[0] == 0
    lock_path = project / "decks" / "ankigen.lock"
    lock = json.loads(lock_path.read_text("utf-8"))
    guid, row = next(iter(lock["decks"]["a"]["notes"].items()))
    lock["decks"]["a"]["notes"][guid] = [*row[:3], time]
    lock_path.write_text(json.dumps(lock), "utf-8")
    (project / "cards" / "a.yaml").write_text(source("a", myths=2), "utf-8")
    before = files(project / "decks")

    assert run("build") == (1, [], [
        f"error: decks/ankigen.lock: cannot read the lock file (note 'm0' has the time {time!r}, not a time between 0 "
        "and 253402300799); restore it from git, or delete it to start note times afresh"])
    assert files(project / "decks") == before
