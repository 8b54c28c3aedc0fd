"""A checkout made with core.autocrlf=true (git's default on Windows) is up to date: .gitattributes keeps
the decks, the lock and the sources byte for byte as committed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_a_clone_with_autocrlf_true_finds_the_committed_decks_up_to_date(tmp_path: Path) -> None:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout (or no git): there is nothing to clone")
    head = git("rev-parse", "HEAD")
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--no-checkout", str(REPO), str(clone), cwd=tmp_path)
    git("config", "core.autocrlf", "true", cwd=clone)
    git("checkout", "--quiet", "--detach", head, cwd=clone)

    assert b"\r\n" in (clone / "README.md").read_bytes()  # autocrlf is at work on other text files
    for name in git("ls-files", "decks", "cards", cwd=clone).splitlines():
        assert (clone / name).read_bytes() == git_blob(clone, head, name), f"{name} changed on checkout"

    env = {**os.environ, "PYTHONPATH": str(clone), "ANKIGEN_CACHE_DIR": ""}
    checked = subprocess.run([sys.executable, "-m", "ankigen", "build", "--check"], cwd=clone, env=env,
                             capture_output=True, text=True, timeout=120)
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert lines and all(line.endswith(": up to date") for line in lines), lines


def git_blob(clone: Path, commit: str, name: str) -> bytes:
    return subprocess.run(["git", "show", f"{commit}:{name}"], cwd=clone, check=True, capture_output=True).stdout
