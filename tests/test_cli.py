"""The command line as a user meets it: help, version, exit codes, messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import __version__
from ankigen.cli import cli

GOOD = """\
deck: Tiny
id: tiny
myths:
  - id: one
    myth: A myth.
    fact: The fact.
    techniques:
      - id: t
        name: A technique
        text: It does {{something}}.
"""


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"ankigen {command}" in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_build_reports_counts_and_where_it_wrote(tmp_path: Path) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(GOOD, "utf-8")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out"), "--format", "apkg"])
    assert result.exit_code == 0, result.output
    assert "tiny: 2 myth-or-fact/choice notes (2 cards), 1 cloze note (2 cards); added 3" in result.output
    assert (tmp_path / "out" / "tiny.apkg").is_file()


def test_check_writes_nothing_and_warns_about_missing_ids(tmp_path: Path) -> None:
    source = tmp_path / "tiny.yaml"
    source.write_text(GOOD.replace("  - id: one\n    myth", "  - myth"), "utf-8")
    result = CliRunner().invoke(cli, ["check", str(source)])
    assert result.exit_code == 0
    assert f"{source.as_posix()}:4:5: warning: myth has no 'id'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]
    strict = CliRunner().invoke(cli, ["check", "--strict", str(source)])
    assert strict.exit_code == 1 and ":4:5: error: myth has no 'id'" in strict.stderr


def test_source_errors_exit_1_with_one_line_each(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(GOOD.replace("fact:", "fakt:").replace("{{something}}", "{{something"), "utf-8")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    shown = source.as_posix()
    assert result.stderr.splitlines() == [
        f"{shown}:6:5: error: unknown key 'fakt' in a myth (did you mean 'fact'?)",
        f"{shown}:10:23: error: '{{{{' is never closed (close the answer with '}}}}', "
        "or write '\\{{' for literal braces)",
        "error: 2 error(s); nothing was written",
    ]
    assert not (tmp_path / "out").exists()


def test_wrong_usage_exits_2() -> None:
    result = CliRunner().invoke(cli, ["build", "--format", "pdf"])
    assert result.exit_code == 2 and "--format" in result.output


def test_an_internal_error_is_one_line_asking_for_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ankigen.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ankigen.pipeline, "build", broken)
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 3
    assert result.stderr.startswith("internal error: RuntimeError: boom. This is a bug in ankigen")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
