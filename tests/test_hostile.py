"""Hostile HTML and odd-but-valid encodings build, and nothing dangerous reaches Anki or the sheet.

Each case in tests/cases/ marked ``# expect: builds`` (see tests/case_corpus.py)
is built by the real CLI, imported into the real Anki backend, and checked
three ways: its note fields are exactly the sanitised HTML the case expects;
no rendered card (as Anki's reviewer would show it) and no field holds script,
event handlers, ``javascript:`` URLs or anything loaded from elsewhere; and the
study sheet built from it holds none of those either.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from tests.anki_collection import Collection, import_apkg, notes_by_guid, rendered_cards
from tests.case_corpus import Case, corpus, place
from tests.html_safety import attributes, dangers, mathml_dangers

CASES = corpus(builds=True)

def _note_fields(col: Collection) -> dict[str, str]:
    """The fields a case can expect, by name (each case has one myth note and at most one cloze note).

    The myth's own note comes first: its fact's true-statement note has the same fields.
    """
    fields: dict[str, str] = {}
    notes = sorted(notes_by_guid(col).values(),
                   key=lambda note: 'class="verdict myth"' not in note.fields.get("Fact", ""))
    for note in notes:
        for name, value in note.fields.items():
            fields.setdefault(name, value)
    return fields


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_builds_and_nothing_dangerous_reaches_anki_or_the_sheet(
        case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collection: Collection) -> None:
    place(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", *case.command_paths, "-o", "decks", "--format", "apkg,html"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == list(case.warnings) and "Traceback" not in result.output

    (apkg,) = (tmp_path / "decks").glob("*.apkg")
    summary = import_apkg(collection, apkg)
    assert summary.new == summary.found > 0
    fields = _note_fields(collection)
    assert {name: fields.get(name) for name in case.fields} == case.fields
    for name, value in fields.items():
        assert dangers(value) == [], f"field {name}"
    cards = rendered_cards(collection)
    assert len(cards) == case.cards
    for card in cards:
        # Anki puts the notetype's CSS in a <style> block of its own; nothing else may be there.
        for side in (card.question_html, card.answer_html):
            assert dangers(side, allowed_tags=re.compile("style$")) == [], f"card {card.ord + 1}"
            assert side.lower().count("<style") == 1

    (sheet,) = (tmp_path / "decks").glob("*.html")
    page = sheet.read_text("utf-8")
    # The sheet's own <style> and its Content-Security-Policy <meta> are the only ones allowed, and the MathML it
    # typesets TeX into, which must be plain MathML Core.
    assert dangers(page, allowed_tags=re.compile("(style|meta|math)$")) == []
    assert mathml_dangers(page) == []
    assert page.lower().count("<meta") == len(re.findall(r"<meta (charset|name|http-equiv=\"Content-Security-Policy\")",
                                                          page))
    for tag, name, value in attributes(page):
        assert not (tag == "img" and name == "src" and not value.startswith("data:image/")), value


@pytest.mark.parametrize("markup", [
    '<img src="https://evil.example/x.png" onerror="alert(1)">',
    '<a href="&#1;javascript:alert(1)" onclick=alert(1)>x</a>',
    '<svg><script>alert(1)</script></svg>',
    '<meta http-equiv="refresh" content="0">',
    '<link rel="stylesheet" href="//evil.example/x.css">',
    r"\(\href{javascript:alert(1)}{x}\)",
    r"&#92;(\style{background:url(https://evil.example/)}{x}&#92;)",
])
def test_the_danger_check_itself_sees_danger(markup: str) -> None:
    """The checks above would catch each kind of payload if one got through."""
    assert dangers(markup)


@pytest.mark.parametrize("markup", [
    '<math><mrow href="https://evil.example/">x</mrow></math>',
    '<math><mi style="background:url(https://evil.example/)">x</mi></math>',
    '<math><mi class="evil">x</mi></math>',
    '<math><mstyle mathbackground="url(https://evil.example/)"><mi>x</mi></mstyle></math>',
    '<math><maction actiontype="toggle"><mi>x</mi></maction></math>',
    '<math><mtext><img src="x" onerror="alert(1)"></mtext></math>',
])
def test_the_mathml_check_itself_sees_danger(markup: str) -> None:
    assert mathml_dangers(markup)
