"""The README's example source and commands, checked so the docs cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import Collection, import_apkg, notes_by_guid

README = Path(__file__).resolve().parent.parent / "README.md"


def _example_source() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    assert blocks, "the README lost its example source"
    return str(blocks[0])


def test_readme_example_builds_and_imports(tmp_path: Path, collection: Collection) -> None:
    source = tmp_path / "example.yaml"
    source.write_text(_example_source(), "utf-8")
    result = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out"), "--format", "apkg"])
    assert result.exit_code == 0, result.output
    # the myth, its fact and one more true statement, a technique and a limitation
    assert import_apkg(collection, tmp_path / "out" / "deep-learning-myths.apkg").new == 5
    texts = [n.fields.get("Text", "") for n in notes_by_guid(collection).values()]
    assert any("{{c3::ImageNet::a dataset}}" in text for text in texts)


def test_readme_example_has_no_warnings(tmp_path: Path) -> None:
    source = tmp_path / "example.yaml"
    source.write_text(_example_source(), "utf-8")
    result = CliRunner().invoke(cli, ["check", "--strict", str(source)])
    assert result.exit_code == 0, result.output


def test_readme_quick_start_matches_ci() -> None:
    readme = README.read_text("utf-8")
    ci = (README.parent / ".ci" / "run").read_text("utf-8")
    test_command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert test_command in readme
    assert test_command in ci
