"""The lines a user reads from build and check (issue 14): exact, singular when one, and pointing where to look.

Messages about a single source's mistakes live in the case corpus (tests/cases);
these need several files, a previous build or a printed sheet.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from tests.browser import pdf_info, pdf_page_texts, print_pdfs, require_browser

DECK = """\
deck: {name}
id: {key}
myths:
  - id: one
    myth: A myth.
    fact: The fact.
    techniques:
      - id: t
        name: A technique
        text: It does {{{{something}}}}.
  - id: two
    myth: Another myth.
    fact: Another fact.
"""


def too_small(path: str) -> str:
    """The warning every two-myth deck here gets (lint.py): its questions have only two options."""
    return (f"{path}:1:1: warning: the deck is too small for full multiple-choice questions: 2 of 2 myths get a "
            "\"Which of these is NOT true?\" card with only 2 options (each needs 3 true statements of other myths) "
            "(add myths, or further true statements under 'true_statements:')")


def run(*args: str) -> tuple[int, list[str], list[str]]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "stats.yaml").write_text(DECK.format(name="Statistics", key="stats"), "utf-8")
    return tmp_path


def test_counts_are_singular_for_one(project: Path) -> None:
    Path("cards/stats.yaml").write_text(DECK.format(name="Statistics", key="stats").split("  - id: two")[0], "utf-8")
    code, out, _ = run("build", "--format", "apkg")
    assert code == 0
    assert out == ["stats: 2 myth-or-fact/choice notes (2 cards), 1 cloze note (2 cards); added 3, changed 0, "
                   "removed 0, unchanged 0; wrote decks/stats.apkg"]


def test_check_says_how_much_it_checked(project: Path) -> None:
    without_id = DECK.format(name="More", key="more").replace("  - id: two\n    myth", "  - myth")
    Path("cards/more.yaml").write_text(without_id, "utf-8")
    code, out, err = run("check")
    assert (code, err) == (0, [too_small("cards/more.yaml"),
                               "cards/more.yaml:11:5: warning: myth has no 'id' (it defaults to 'another-myth', "
                               "which changes when the text changes and resets its reviews) (add 'id: another-myth')",
                               too_small("cards/stats.yaml")])
    assert out == ["more: ok (6 myth-or-fact/choice notes (6 cards), 1 cloze note (2 cards))",
                   "stats: ok (6 myth-or-fact/choice notes (6 cards), 1 cloze note (2 cards))",
                   "checked 2 sources: 2 decks, 14 notes, 16 cards; 3 warnings"]


def test_a_deck_id_clash_points_at_the_id_line(project: Path) -> None:
    Path("cards/zz.yaml").write_text("# the same deck, copied\n" + DECK.format(name="Copy", key="stats"), "utf-8")
    code, _, err = run("check")
    assert (code, err) == (1, [too_small("cards/stats.yaml"), too_small("cards/zz.yaml").replace(":1:1:", ":2:1:"),
                               "cards/zz.yaml:3:5: error: deck id 'stats' is already used by cards/stats.yaml:2 "
                               "(give this deck its own 'id:')"])


def test_build_check_advises_the_build_it_compares_with(project: Path) -> None:
    assert run("build", "-o", "out", "--format", "apkg")[0] == 0
    Path("cards/stats.yaml").write_text(DECK.format(name="Statistics", key="stats").replace("The fact", "A fact"),
                                        "utf-8")
    code, out, err = run("build", "--check", "-o", "out", "--format", "apkg")
    assert (code, err) == (1, ["error: decks are out of date with their sources; "
                               "run this and commit the result: ankigen build -o out --format apkg"])
    # the fact is on its myth's card, its own card and both questions
    assert out == ["stats: stale (out/stats.apkg would change; added 0, changed 4, removed 0, unchanged 3)"]
    code, _, err = run("build", "--check", "cards/stats.yaml", "-o", "my decks")
    assert err[-1] == "error: decks are out of date with their sources; " \
                      "run this and commit the result: ankigen build cards/stats.yaml -o 'my decks'"


def test_build_verbose_names_every_added_changed_and_removed_note(project: Path) -> None:
    assert run("build")[0] == 0
    edited = DECK.format(name="Statistics", key="stats").replace("A myth.", "A myth, edited.")
    edited = edited.replace("  - id: two\n    myth: Another myth.\n    fact: Another fact.\n",
                            "  - id: three\n    myth: A third myth.\n    fact: A third fact.\n")
    Path("cards/stats.yaml").write_text(edited, "utf-8")
    code, out, _ = run("build", "-v")
    assert code == 0
    # the myth's text is also on its fact's, its question's and its technique's cards: all change
    assert out[1:11] == ["  cards/stats.yaml:11:5: added 'three'",
                         "  cards/stats.yaml:13:11: added 'three:fact'",
                         "  cards/stats.yaml:11:5: added 'three:not-true'",
                         "  cards/stats.yaml:4:5: changed 'one'",
                         "  cards/stats.yaml:6:11: changed 'one:fact'",
                         "  cards/stats.yaml:4:5: changed 'one:not-true'",
                         "  cards/stats.yaml:8:9: changed 'one/t'",
                         "  cards/stats.yaml: removed 'two'",
                         "  cards/stats.yaml: removed 'two:fact'",
                         "  cards/stats.yaml: removed 'two:not-true'"]
    assert out[0].startswith("stats: 6 myth-or-fact/choice notes (6 cards), 1 cloze note (2 cards); "
                             "added 3, changed 4, removed 3")
    assert run("build", "-v")[1] == ["stats: 6 myth-or-fact/choice notes (6 cards), 1 cloze note (2 cards); added 0, "
                                     "changed 0, removed 0, unchanged 7; unchanged decks/stats.apkg, decks/stats.html"]


def test_the_sheet_shows_a_subdeck_name_readably(project: Path) -> None:
    require_browser()
    Path("cards/stats.yaml").write_text(DECK.format(name="Statistics::Everyday Myths", key="stats"), "utf-8")
    assert run("build", "--format", "html")[0] == 0
    html = Path("decks/stats.html").read_text("utf-8")
    assert "<title>Statistics \u203a Everyday Myths</title>" in html and "Statistics::" not in html
    [printed] = print_pdfs([(Path("decks/stats.html"), project / "stats.pdf")])
    assert pdf_info(printed.pdf)["Title"] == "Statistics \u203a Everyday Myths"
    first_page = pdf_page_texts(printed.pdf)[0]
    assert first_page.count("Statistics \u203a Everyday Myths") == 2 and "::" not in first_page  # header and title
