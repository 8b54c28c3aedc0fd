"""The pre-commit hooks (.pre-commit-hooks.yaml) a deck repository uses, and the README's config for them.

The hooks file has the shape pre-commit's manifest schema requires (checked
with pre-commit's own loader too), each entry is the installed console script
with arguments the CLI accepts, and each hook, run as its entry says in a deck
repository, passes a good one and fails a broken one. The last test runs the
hooks through `pre-commit try-repo`, as a user would: pre-commit clones this
repository and pip-installs ankigen into a fresh environment, which needs the
network (as installing the test extra did).
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ankigen.cli import cli
from tests.conftest import REPO, SHIPPED_SOURCE

HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
HOOKS: list[dict[str, Any]] = yaml.safe_load(HOOKS_FILE.read_text("utf-8"))
# pre-commit's manifest keys (pre_commit/clientlib.py, MANIFEST_HOOK_DICT, pre-commit 4.x)
REQUIRED = {"id", "name", "entry", "language"}
OPTIONAL = {"alias", "files", "exclude", "types", "types_or", "exclude_types", "additional_dependencies", "args",
            "always_run", "fail_fast", "pass_filenames", "description", "language_version", "log_file",
            "require_serial", "minimum_pre_commit_version", "stages", "verbose"}


def _console_scripts() -> set[str]:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in lines}


def test_the_hooks_file_has_the_shape_pre_commit_requires() -> None:
    assert [hook["id"] for hook in HOOKS] == ["ankigen-check", "ankigen-build-check"]
    for hook in HOOKS:
        assert REQUIRED <= set(hook) <= REQUIRED | OPTIONAL, hook
        assert all(isinstance(hook[key], str) and hook[key] for key in REQUIRED)
        assert hook["language"] == "python"  # pre-commit pip-installs this repository for it
        assert hook["pass_filenames"] is False  # they read the whole cards/ folder, not the staged files
        re.compile(hook["files"])


def test_the_hooks_file_loads_with_pre_commits_own_schema() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is not installed (the test extra)")
    assert [hook["id"] for hook in clientlib.load_manifest(str(HOOKS_FILE))] == [hook["id"] for hook in HOOKS]


@pytest.mark.parametrize("hook", HOOKS, ids=[hook["id"] for hook in HOOKS])
def test_each_entry_is_the_installed_command_with_arguments_it_takes(hook: dict[str, Any]) -> None:
    program, *args = shlex.split(hook["entry"])
    assert program in _console_scripts()
    assert hook["name"] == hook["entry"]
    help_text = CliRunner().invoke(cli, [*args, "--help"])
    assert help_text.exit_code == 0, help_text.output


def _deck_repository(folder: Path) -> Path:
    """A deck repository as the README describes one: cards/ with a source, decks/ built from it."""
    (folder / "cards").mkdir(parents=True)
    shutil.copy(SHIPPED_SOURCE, folder / "cards")
    return folder


def _run_entry(hook_id: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Run a hook's entry as pre-commit does: in the repository's root, no file names appended."""
    [hook] = [hook for hook in HOOKS if hook["id"] == hook_id]
    _, *args = shlex.split(hook["entry"])
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_the_hooks_pass_a_good_deck_repository_and_fail_a_broken_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repository = _deck_repository(tmp_path / "decks-repo")
    monkeypatch.chdir(repository)
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    assert _run_entry("ankigen-check", repository, monkeypatch)[0] == 0
    assert _run_entry("ankigen-build-check", repository, monkeypatch)[0] == 0

    source = repository / "cards" / SHIPPED_SOURCE.name
    source.write_text(source.read_text("utf-8").replace("  - id: massive-datasets\n    myth", "  - myth", 1), "utf-8")
    code, output = _run_entry("ankigen-check", repository, monkeypatch)
    assert code == 1 and ": error: myth has no 'id'" in output  # --strict: a warning fails the commit
    code, output = _run_entry("ankigen-build-check", repository, monkeypatch)
    assert code == 1 and output.endswith("run this and commit the result: ankigen build\n")


def test_the_readme_config_uses_these_hooks(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("### pre-commit", 1)[1]
    text = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    [repo] = yaml.safe_load(text)["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == [hook["id"] for hook in HOOKS]
    try:
        from pre_commit import clientlib
    except ImportError:  # the shape above is what pre-commit's loader would check
        return
    (tmp_path / ".pre-commit-config.yaml").write_text(text, "utf-8")
    assert clientlib.load_config(str(tmp_path / ".pre-commit-config.yaml"))["repos"][0]["hooks"] == repo["hooks"]


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                    reason="pre-commit is not installed (the test extra)")
def test_pre_commit_runs_the_hooks_from_this_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repository = _deck_repository(tmp_path / "decks-repo")
    monkeypatch.chdir(repository)
    assert CliRunner().invoke(cli, ["build"]).exit_code == 0
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "decks"]):
        subprocess.run(command, cwd=repository, check=True, env=env)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "--all-files"],
                          cwd=repository, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"ankigen check --strict\.+Passed", done.stdout)
    assert re.search(r"ankigen build --check\.+Passed", done.stdout)
