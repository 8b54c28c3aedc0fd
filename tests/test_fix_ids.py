"""``ankigen check --fix`` / ``--diff`` (ankigen/fix_ids.py): only new ``id:`` lines, byte for byte, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from ankigen.loader import parse_source

# Comments, quoted, folded and literal scalars, a flow mapping, blank lines, and no id anywhere.
SOURCE = """\
# A deck without any id.
deck: "Fix: ids"   # the deck's name
description: >
  Folded text.

myths:
  # the first myth
  - myth: 'Deep learning needs ''massive'' datasets.'
    fact: |
      Transfer learning
      makes small datasets workable.

    techniques:
      - name: Transfer learning   # c1
        text: Fine-tunes a {{pre-trained}} model.
      - {name: Data augmentation, text: "Creates {{modified copies}}."}
  - myth: Deep learning needs GPUs.
    fact: >-
      Small models train on CPUs.
    limitations: [{name: Cost, text: "Training needs {{resources}}."}]
"""

NEW_LINES = ["id: fix", "    id: deep-learning-needs-massive-datasets", "        id: transfer-learning",
             "    id: deep-learning-needs-gpus"]
NEW_FLOW = ["id: data-augmentation, ", "id: cost, "]


def _fix(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args, str(folder / "fix.yaml")])
    return result.exit_code, result.stdout, result.stderr


def _without(data: bytes, pieces: list[str], newline: str) -> bytes:
    """``data`` with each new line (and each new flow entry) taken out again."""
    text = data.decode("utf-8")
    for piece in pieces:
        assert text.count(piece + newline) == 1, piece
        text = text.replace(piece + newline, "", 1)
    for piece in NEW_FLOW:
        assert text.count(piece) == 1, piece
        text = text.replace(piece, "", 1)
    return text.encode("utf-8")


@pytest.mark.parametrize("newline, bom", [("\n", ""), ("\r\n", ""), ("\n", "\ufeff"), ("\r\n", "\ufeff")],
                         ids=["lf", "crlf", "bom", "crlf-bom"])
def test_fix_adds_only_id_lines_and_keeps_every_other_byte(tmp_path: Path, newline: str, bom: str) -> None:
    original = (bom + SOURCE.replace("\n", newline)).encode("utf-8")
    (tmp_path / "fix.yaml").write_bytes(original)
    code, out, err = _fix(tmp_path, "--fix")
    assert code == 0, err
    assert "fix.yaml: wrote 6 id(s): deck, deep-learning-needs-massive-datasets, " in out
    fixed = (tmp_path / "fix.yaml").read_bytes()
    assert fixed.startswith(bom.encode("utf-8") + b"# A deck")
    assert _without(fixed, NEW_LINES, newline) == original  # only the ids were added
    if newline == "\r\n":
        assert fixed.count(b"\n") == fixed.count(b"\r\n")  # no bare LF slipped in
    source, diagnostics = parse_source(fixed, "fix.yaml")
    assert source is not None and not diagnostics
    assert source.key_is_explicit and all(m.key_is_explicit and all(i.key_is_explicit for i in m.items)
                                          for m in source.myths)
    assert source.myths[0].fact.source == "Transfer learning\nmakes small datasets workable.\n"  # text unchanged
    assert "no 'id'" not in err  # the check that follows has nothing left to warn about
    # idempotent: a second run changes nothing
    code, out, _ = _fix(tmp_path, "--fix")
    assert code == 0 and "wrote" not in out and (tmp_path / "fix.yaml").read_bytes() == fixed


def test_diff_shows_the_new_lines_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "fix.yaml").write_text(SOURCE, "utf-8")
    code, out, _ = _fix(tmp_path, "--diff")
    assert code == 0
    added = [line[1:] for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert [line for line in added if line.strip().startswith("id:") and "{" not in line] == NEW_LINES
    assert len(removed) == 2  # the two flow mappings' lines, each given an id inside its braces
    assert (tmp_path / "fix.yaml").read_text("utf-8") == SOURCE


def test_a_file_with_errors_is_not_touched_and_says_why(tmp_path: Path) -> None:
    broken = SOURCE.replace("fact: >-", "fakt: >-")
    (tmp_path / "fix.yaml").write_text(broken, "utf-8")
    code, _, err = _fix(tmp_path, "--fix")
    assert code == 1
    assert "fix.yaml: not fixed: it has 1 error(s); run 'ankigen check' and correct them first" in err
    assert (tmp_path / "fix.yaml").read_text("utf-8") == broken
