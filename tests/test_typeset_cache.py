"""Formulas typeset in an earlier build are not typeset again, and nothing a build writes or says changes.

typeset_cache.py keeps what mathml.py made of each formula in ankigen's cache
folder; a rebuild of an edited deck then need not load latex2mathml at all.
Each test builds as a user does (the CLI, in this process), then builds again as
a new process would, with latex2mathml made unusable: same files, same warnings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import mathml
from ankigen.cli import cli
from ankigen.digests import CACHE_ENV
from tests.test_mathml import MATH_DECK

# A formula the sheet cannot typeset: its warning must come again from the stored reason.
DECK = MATH_DECK + "      - name: Water\n        id: water\n        text: 'Water is \\(\\ce{H2O}\\), {{wet}}.'\n"


def _build(project: Path, out: str) -> tuple[int, str, dict[str, bytes]]:
    result = CliRunner().invoke(cli, ["build", str(project / "cards"), "-o", str(project / out)])
    files = {path.name: path.read_bytes() for path in sorted((project / out).iterdir()) if path.is_file()}
    return result.exit_code, result.output, files


def _as_a_new_process() -> None:
    """Forget what this process typeset (a new build starts with none of it in memory)."""
    mathml._typeset.cache_clear()
    mathml._CACHES.clear()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "statistics.yaml").write_text(DECK, "utf-8")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    _as_a_new_process()
    return tmp_path


def _typesetting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every formula handed to latex2mathml from now on."""
    handed: list[str] = []
    tree = mathml._tree

    def counting(tex: str) -> object:
        handed.append(tex)
        return tree(tex)

    monkeypatch.setattr(mathml, "_tree", counting)
    return handed


def test_a_rebuild_typesets_nothing_again_and_writes_and_says_the_same(project: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, first_output, first = _build(project, "first")
    assert code == 0 and "'\\(\\ce{H2O}\\)' as TeX source" in first_output
    assert b"<math" in first["statistics.html"]
    _as_a_new_process()
    typeset = _typesetting(monkeypatch)
    code, again_output, again = _build(project, "again")
    assert code == 0 and typeset == []
    assert again == first  # the lock too: nothing in it depends on where the MathML came from
    assert again_output.replace("again", "first") == first_output


def test_without_a_cache_folder_every_formula_is_typeset(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(project, "first")
    _as_a_new_process()
    monkeypatch.setenv(CACHE_ENV, "")  # caching off
    typeset = _typesetting(monkeypatch)
    _build(project, "again")
    assert "\\frac{\\sigma}{\\sqrt{n}}" in " ".join(typeset)


@pytest.mark.parametrize("damage", ["not json", '{"version": "an older ankigen", "entries": {}}',
                                    '{"version": 1, "entries": []}'])
def test_a_damaged_or_outdated_cache_is_typeset_afresh(project: Path, damage: str) -> None:
    code, _, first = _build(project, "first")
    store = project / "cache" / "typeset.json"
    entries = json.loads(store.read_text("utf-8"))["entries"]
    assert entries and all(len(entry) == 2 for entry in entries.values())
    store.write_text(damage, "utf-8")
    _as_a_new_process()
    code, _, again = _build(project, "again")
    assert code == 0 and again == first
    assert json.loads(store.read_text("utf-8"))["entries"].keys() == entries.keys()  # and written anew


def test_an_entry_made_by_other_typesetting_code_is_not_used(project: Path) -> None:
    _, _, first = _build(project, "first")
    store = project / "cache" / "typeset.json"
    data = json.loads(store.read_text("utf-8"))
    data["entries"] = {key: [True, "<math><mi>wrong</mi></math>"] for key in data["entries"]}
    data["version"] = data["version"].replace("mathml.py:", "mathml.py:1")  # as if mathml.py had been edited
    store.write_text(json.dumps(data), "utf-8")
    _as_a_new_process()
    _, _, again = _build(project, "again")
    assert again == first and b"wrong" not in again["statistics.html"]


def test_a_cache_path_that_cannot_be_a_folder_changes_nothing(project: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "not-a-folder").write_text("a file", "utf-8")
    monkeypatch.setenv(CACHE_ENV, str(project / "not-a-folder"))
    code, _, first = _build(project, "first")
    assert code == 0 and b"<math" in first["statistics.html"]
    assert (project / "not-a-folder").read_text("utf-8") == "a file"
