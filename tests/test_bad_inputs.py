"""Every mistake in the case corpus gets its one-line diagnostics, exit 1, no traceback, and writes nothing.

The cases live in tests/cases/ (see tests/case_corpus.py for the format): one
mistake each, the diagnostics a user must see written at the top of the file.
Two more cases are made here because they are large: a file over the size
limit and a full "billion laughs" YAML bomb.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from tests.case_corpus import Case, corpus, place
from tests.conftest import SHIPPED_SOURCE

SIZE_LIMIT = 4 * 1024 * 1024  # documented: a source may be at most 4 MiB


def _huge_file() -> Case:
    head = b"deck: Huge\nid: huge\nmyths:\n  - {id: m, myth: A myth., fact: The fact.}\n"
    data = head + b"#" * (SIZE_LIMIT + 1 - len(head))
    return Case("huge-file.yaml", data, (
        f"cases/huge-file.yaml:1:1: error: file is too large ({SIZE_LIMIT + 1} bytes; the limit is 4 MiB) "
        "(split it into several source files)",))


def _billion_laughs() -> Case:
    """Nine levels of nine aliases: 9**9 strings if anything ever expanded it."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels = zip("abcdefgh", "bcdefghi", strict=True)
    lines += [f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]" for previous, name in levels]
    lines += ["deck: Bomb", "id: bomb", "myths: *i"]
    aliases = [(number, match) for number, line in enumerate(lines, 1) for match in re.finditer(r"\*[a-z]", line)]
    number, first = aliases[0]
    expected = (f"cases/billion-laughs-full.yaml:{number}:{first.start() + 1}: error: YAML aliases are not supported: "
                f"this file has {len(aliases)}, the first is '{first.group()}' (write each value out in full)",)
    return Case("billion-laughs-full.yaml", "\n".join(lines).encode() + b"\n", expected)


CASES = [*corpus(builds=False), _huge_file(), _billion_laughs()]


@pytest.fixture(scope="session")
def built_decks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A decks/ folder as a previous good build left it."""
    decks = tmp_path_factory.mktemp("previous") / "decks"
    result = CliRunner().invoke(cli, ["build", str(SHIPPED_SOURCE), "-o", str(decks)])
    assert result.exit_code == 0, result.output
    assert sorted(path.suffix for path in decks.iterdir()) == [".apkg", ".html", ".lock"]
    return decks


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_reported_exactly_and_writes_nothing(case: Case, tmp_path: Path, built_decks: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    place(case, tmp_path)
    shutil.copytree(built_decks, tmp_path / "decks")
    before = _snapshot(tmp_path / "decks")
    monkeypatch.chdir(tmp_path)
    errors = sum(": error: " in line for line in case.expected)

    built = CliRunner().invoke(cli, ["build", *case.command_paths, "-o", "decks"])
    assert (built.exit_code, built.stderr.splitlines()) == \
        (1, [*case.expected, f"error: {errors} error(s); nothing was written"])
    assert "Traceback" not in built.output and isinstance(built.exception, SystemExit)
    assert _snapshot(tmp_path / "decks") == before

    checked = CliRunner().invoke(cli, ["check", *case.command_paths])
    assert (checked.exit_code, checked.stderr.splitlines()) == (1, list(case.expected))
    assert "Traceback" not in checked.output


@pytest.mark.parametrize("case", [_billion_laughs(), _huge_file()], ids=["billion-laughs", "huge-file"])
def test_bombs_fail_fast_in_bounded_memory(case: Case, tmp_path: Path) -> None:
    """In a real process capped at 512 MiB of address space, refused within seconds."""
    place(case, tmp_path)

    def cap_memory() -> None:
        limit = 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.monotonic()
    process = subprocess.run([sys.executable, "-c", "from ankigen.cli import main; main()",
                              "check", case.shown_path], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60, preexec_fn=cap_memory)
    elapsed = time.monotonic() - started
    assert (process.returncode, process.stderr.splitlines()) == (1, list(case.expected))
    assert elapsed < 10
