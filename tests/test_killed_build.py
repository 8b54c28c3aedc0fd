"""A build killed with SIGKILL part way loses nothing: every file is the old one or a complete new one.

decks/ holds the shipped deck and a small edition of a "big" deck; then a build
of the big deck (3000 notes) is started in a real process and killed with
SIGKILL: held just before each of its renames in turn (a complete temporary file
waiting to replace an output), and unheld, while rendering or as soon as it
starts writing. Afterwards every file is byte-identical to before or to what a
complete build writes, every .apkg imports into the real Anki backend, and the
next build finishes the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.anki_collection import import_apkg, open_collection
from tests.conftest import SHIPPED_SOURCE

MYTHS = 1500  # a myth note and a cloze note each: 3000 notes
FORMATS = "apkg,html"
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}  # so a complete build's bytes are known in advance
RUN = "from ankigen.cli import main; main()"  # the CLI, in a process of its own
HELD = "held"  # made in the build's working folder when it is held before a rename


def _big_source(myths: int) -> str:
    lines = ["deck: Big", "id: big", "myths:"]
    for n in range(myths):
        lines += [f"  - id: m{n}", f"    myth: Myth {n} says something *bold* about `code`.",
                  f"    fact: Fact {n}, with a [link](https://example.org/{n}).",
                  "    techniques:", f"      - id: t{n}", f"        name: Technique {n}",
                  f"        text: It uses {{{{answer {n}}}}} and {{{{another::a hint}}}} for item {n}."]
    return "\n".join(lines) + "\n"


def _build(cwd: Path, source: str, out: str = "decks") -> None:
    result = subprocess.run([sys.executable, "-c", RUN, "build", source, "-o", out, "--format", FORMATS],
                            cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def _temp_files(folder: Path) -> list[Path]:
    return list(folder.glob(".ankigen-tmp-*"))


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes], float]:
    """decks/ before the big build, decks/ after a complete one, and how long a complete one takes."""
    work = tmp_path_factory.mktemp("editions")
    (work / "big.yaml").write_text(_big_source(5), "utf-8")
    _build(work, str(SHIPPED_SOURCE))
    _build(work, "big.yaml")
    before = _files(work / "decks")
    (work / "big.yaml").write_text(_big_source(MYTHS), "utf-8")
    started = time.monotonic()
    _build(work, "big.yaml")
    return before, _files(work / "decks"), time.monotonic() - started


def _start_killable_build(work: Path, before: dict[str, bytes], prelude: str = "") -> subprocess.Popen[bytes]:
    (work / "decks").mkdir()
    for name, data in before.items():
        (work / "decks" / name).write_bytes(data)
    (work / "big.yaml").write_text(_big_source(MYTHS), "utf-8")
    return subprocess.Popen([sys.executable, "-c", prelude + RUN, "build", "big.yaml", "-o", "decks",
                             "--format", FORMATS], cwd=work, env=ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the build and any worker processes it started (its process group), as a cancelled job is."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _assert_intact(work: Path, before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """Each output is its old bytes or its complete new bytes, imports into Anki, and a rebuild completes it."""
    now = {name: data for name, data in _files(work / "decks").items() if not name.startswith(".ankigen-tmp-")}
    assert set(now) == set(before)
    for name, data in now.items():
        assert data in (before[name], after[name]), f"{name} is neither the old nor the new file"
    for name in now:
        if name.endswith(".apkg"):
            col = open_collection(work)
            try:
                assert import_apkg(col, work / "decks" / name).found > 0
            finally:
                col.close()
    _build(work, "big.yaml")
    rebuilt = _files(work / "decks")
    assert {name: data for name, data in rebuilt.items() if not name.startswith(".ankigen-tmp-")} == after


def _hold_at_fsync(suffix: str) -> str:
    """Python run first in the build's processes: flushing the first temp file named ``*suffix`` says so, then waits.

    (Found by the file's name, not by the order of writes, so it holds whatever
    order and whichever process the build writes its outputs in.)
    """
    return ("import os, time\nreal_fsync = os.fsync\n"
            "def fsync(fd):\n"
            f"    if os.readlink(f'/proc/self/fd/{{fd}}').endswith('{suffix}') and not os.path.exists('{HELD}'):\n"
            f"        open('{HELD}', 'w').close()\n        time.sleep(120)\n"
            "    real_fsync(fd)\n"
            "os.fsync = fsync\n")


@pytest.mark.parametrize("suffix", [".apkg", ".html", ".lock"])
def test_killed_while_a_new_file_waits_to_be_renamed_every_file_is_old_or_complete(
        suffix: str, tmp_path: Path, editions: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    """Held while a new output sits complete in its temp file, not yet renamed: nothing is half written."""
    before, after, _ = editions
    process = _start_killable_build(tmp_path, before, prelude=_hold_at_fsync(suffix))
    deadline = time.monotonic() + 60
    while not (tmp_path / HELD).exists():
        assert process.poll() is None and time.monotonic() < deadline, "the build never got there"
        time.sleep(0.01)
    _kill(process)
    now = _files(tmp_path / "decks")
    assert any(name.endswith(suffix) for name in map(str, _temp_files(tmp_path / "decks")))
    changed = {name for name in before if now[name] != before[name]}
    assert all(now[name] == after[name] for name in changed)
    if "ankigen.lock" in changed:  # the lock never names outputs that are not in place
        assert changed == {name for name in before if before[name] != after[name]}
    _assert_intact(tmp_path, before, after)


def test_killed_between_renames_the_next_build_finishes_the_job(
        tmp_path: Path, editions: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    """The one window a crash can leave outputs new and the lock old: after the first rename, before the rest."""
    before, after, _ = editions
    prelude = ("import os, time\nreal_replace = os.replace\n"
               "def replace(source, target, *args, **kwargs):\n"
               "    real_replace(source, target, *args, **kwargs)\n"
               f"    if os.path.dirname(os.fspath(target)) == 'decks' and not os.path.exists('{HELD}'):\n"
               f"        open('{HELD}', 'w').close()\n        time.sleep(120)\n"
               "os.replace = replace\n")
    process = _start_killable_build(tmp_path, before, prelude=prelude)
    deadline = time.monotonic() + 60
    while not (tmp_path / HELD).exists():
        assert process.poll() is None and time.monotonic() < deadline, "the build never got there"
        time.sleep(0.01)
    _kill(process)
    now = _files(tmp_path / "decks")
    renamed = {name for name in before if now[name] != before[name]}
    assert renamed == {"big.apkg"} and now["ankigen.lock"] == before["ankigen.lock"]
    assert len(_temp_files(tmp_path / "decks")) == 2  # big.html and the lock, staged, not yet renamed
    _assert_intact(tmp_path, before, after)
    assert _temp_files(tmp_path / "decks") == []


@pytest.mark.parametrize("moment", [0.3, 1.0], ids=["while-rendering", "when-writing-starts"])
def test_killed_unheld_every_file_is_old_or_complete(
        moment: float, tmp_path: Path, editions: tuple[dict[str, bytes], dict[str, bytes], float]) -> None:
    """Killed at a point in time (a share of a complete build's duration), or as soon as it starts writing."""
    before, after, duration = editions
    process = _start_killable_build(tmp_path, before)
    deadline = time.monotonic() + moment * duration
    while time.monotonic() < deadline and process.poll() is None and not _temp_files(tmp_path / "decks"):
        time.sleep(0.001)
    _kill(process)
    _assert_intact(tmp_path, before, after)


def _leave_temps(out: Path) -> tuple[Path, Path]:
    """Temp files as killed builds leave them: one an hour old, one just made."""
    from ankigen.atomic import STALE_TEMP_AGE, TEMP_PREFIX

    out.mkdir()
    old, fresh = out / f"{TEMP_PREFIX}killed.apkg", out / f"{TEMP_PREFIX}just-killed.apkg"
    old.write_bytes(b"half a deck")
    fresh.write_bytes(b"another half")
    then = old.stat().st_mtime - STALE_TEMP_AGE - 60
    os.utime(old, (then, then))
    return old, fresh


def _build_shipped_deck(out: Path) -> None:
    from click.testing import CliRunner

    from ankigen.cli import cli

    result = CliRunner().invoke(cli, ["build", str(SHIPPED_SOURCE), "-o", str(out), "--format", "apkg"])
    assert result.exit_code == 0, result.output


def test_a_later_build_removes_every_temp_file_a_killed_build_left_behind(tmp_path: Path) -> None:
    """No other build is writing into the folder (none holds its lock), so every temp file is a leftover."""
    out = tmp_path / "decks"
    old, fresh = _leave_temps(out)
    _build_shipped_deck(out)
    assert not old.exists() and not fresh.exists()
    assert _temp_files(out) == []


def test_a_build_leaves_the_fresh_temp_files_of_a_build_still_running(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "decks"
    old, fresh = _leave_temps(out)
    running = os.open(out, os.O_RDONLY)  # what a build running there holds
    try:
        fcntl.flock(running, fcntl.LOCK_SH)
        _build_shipped_deck(out)
    finally:
        os.close(running)
    assert not old.exists()
    assert fresh.read_bytes() == b"another half"
