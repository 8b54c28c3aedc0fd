"""Card kinds from sources: true statements and "Which of these is NOT true?" questions, and their identity."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ankigen import ids
from ankigen.cards import DeckCards, Note, derive_deck
from ankigen.cli import cli
from ankigen.loader import parse_source
from tests.anki_collection import Collection, html_to_text, import_apkg, rendered_cards

_OPTION = re.compile(r'<li><span class="letter">([A-D])</span> <span class="choice">(.*?)</span></li>')


def myth(key: str, *true: str, fact: str = "") -> str:
    lines = [f"  - id: {key}", f"    myth: Myth {key} is believed.", f"    fact: {fact or f'Fact {key} holds.'}"]
    if true:
        lines.append("    true_statements:")
        lines += [f"      - id: t{index}\n        text: {text}" for index, text in enumerate(true)]
    return "\n".join(lines) + "\n"


def deck(*myths: str) -> DeckCards:
    source, problems = parse_source(("deck: Cards\nid: cards\nmyths:\n" + "".join(myths)).encode(), "cards.yaml")
    assert source is not None, problems
    cards, problems = derive_deck(source)
    assert not problems
    return cards


def choices(cards: DeckCards) -> dict[str, Note]:
    return {note.myth_key: note for note in cards.notes if note.kind == "choice"}


def options(note: Note) -> list[tuple[str, str]]:
    return _OPTION.findall(note.fields[0])


def test_every_fact_and_further_true_statement_is_a_myth_or_fact_note_answered_fact() -> None:
    cards = deck(myth("a", "Also true of a.", "More true of a."), myth("b"))
    kinds = [(note.kind, note.key, note.fields[0]) for note in cards.notes if note.kind in ("myth", "true")]
    assert kinds == [("myth", "a", "Myth a is believed."), ("true", "a:fact", "Fact a holds."),
                     ("true", "a:true:t0", "Also true of a."), ("true", "a:true:t1", "More true of a."),
                     ("myth", "b", "Myth b is believed."), ("true", "b:fact", "Fact b holds.")]
    for note in cards.notes:
        if note.kind == "myth":
            assert note.fields[1].startswith('<div class="verdict myth">Myth</div><div class="fact">')
        elif note.kind == "true":
            assert note.fields[1].startswith('<div class="verdict fact">Fact</div>')
            assert f"The myth it answers: Myth {note.myth_key} is believed." in note.fields[1]
    # Same tags for a myth and its true statements: the browser and card info give nothing away.
    assert len({note.tags for note in cards.notes if note.kind in ("myth", "true") and note.myth_key == "a"}) == 1


def test_a_full_question_has_the_myth_among_three_true_statements_of_other_myths() -> None:
    cards = deck(myth("a"), myth("b", "B two."), myth("c", "C two.", "C three."), myth("d"))
    for key, note in choices(cards).items():
        shown = options(note)
        assert [letter for letter, _ in shown] == ["A", "B", "C", "D"]
        texts = [text for _, text in shown]
        assert len(set(texts)) == 4 and f"Myth {key} is believed." in texts
        assert not any(text.startswith(f"Fact {key}") for text in texts)  # never the myth's own statements
        assert dict(shown)[note.fields[1]] == f"Myth {key} is believed."
        assert note.fields[2] == f"Myth {key} is believed." and note.fields[3] == f"<p>Fact {key} holds.</p>"


def test_a_small_deck_gets_fewer_options_never_empty_or_duplicate_ones() -> None:
    one = deck(myth("a", "A two."))
    assert choices(one) == {}  # no other myth: no question rather than a question with one option
    two = deck(myth("a"), myth("b"))
    assert {key: sorted(text for _, text in options(note)) for key, note in choices(two).items()} == {
        "a": ["Fact b holds.", "Myth a is believed."], "b": ["Fact a holds.", "Myth b is believed."]}
    # Two myths whose statements read the same, and one that reads like the myth: each is offered once.
    same = deck(myth("a", "Shared truth."), myth("b", "shared  TRUTH.", fact="Myth a is believed."), myth("c"))
    for note in choices(same).values():
        texts = [" ".join(text.casefold().split()) for _, text in options(note)]
        assert len(texts) == len(set(texts)) and all(texts)
    assert len(options(choices(same)["a"])) == 3  # Fact c, the shared truth once; never its own text again


def test_options_and_their_order_depend_only_on_the_keys() -> None:
    first = deck(myth("a"), myth("b", "B two."), myth("c", "C two."), myth("d"), myth("e"))
    reordered = deck(myth("e"), myth("d"), myth("c", "C two."), myth("b", "B two."), myth("a"))
    assert {key: note.fields for key, note in choices(first).items()} == \
        {key: note.fields for key, note in choices(reordered).items()}
    letters = {note.fields[1] for note in choices(first).values()}
    assert len(letters) > 1  # the myth is not always at the same letter
    # Editing a statement's text changes the options' text, not which statements are chosen or where.
    edited = deck(myth("a"), myth("b", "B two, edited."), myth("c", "C two."), myth("d"), myth("e"))
    for key, note in choices(first).items():
        assert [letter for letter, _ in options(note)] == [letter for letter, _ in options(choices(edited)[key])]
        assert note.fields[1] == choices(edited)[key].fields[1]


def test_new_guids_are_stable_and_never_meet_the_old_ones() -> None:
    # Keys chosen to tempt a collision: items and true statements named like the new kinds.
    source = ("  - id: a\n    myth: Myth a.\n    fact: Fact a.\n    true_statements:\n      - id: fact\n"
              "        text: True a.\n    techniques:\n      - id: fact\n        name: N\n        text: T {{x}}.\n"
              "      - id: not-true\n        name: M\n        text: U {{y}}.\n")
    cards = deck(source, myth("b"))
    guids = [note.guid for note in cards.notes]
    assert len(guids) == len(set(guids)) == 9
    assert ids.note_guid("cards", "a") in guids and ids.note_guid("cards", "a", "fact") in guids
    assert ids.true_statement_guid("cards", "a") != ids.true_statement_guid("cards", "a", "fact")
    assert ids.choice_guid("cards", "a") in guids
    # Fixed values: a change here would duplicate every card users have studied.
    assert (ids.true_statement_guid("d", "m"), ids.true_statement_guid("d", "m", "t"), ids.choice_guid("d", "m")) == \
        ("q+bzf16Tv#", "t-u*.>kV]b", "At!dsQ0_m9")


def test_a_two_myth_deck_in_anki_asks_two_option_questions(tmp_path: Path, collection: Collection) -> None:
    source = tmp_path / "small.yaml"
    source.write_text("deck: Small\nid: small\nmyths:\n" + myth("a") + myth("b"), "utf-8")
    built = CliRunner().invoke(cli, ["build", str(source), "-o", str(tmp_path / "out"), "--format", "apkg"])
    assert built.exit_code == 0, built.output
    import_apkg(collection, tmp_path / "out" / "small.apkg")
    questions = [card for card in rendered_cards(collection) if card.notetype_name == "ankigen: Which Is NOT True"]
    assert len(questions) == 2
    for card in questions:
        shown = [(letter, html_to_text(text)) for letter, text in _OPTION.findall(card.question_html)]
        assert [letter for letter, _ in shown] == ["A", "B"]
        (mine,) = [letter for letter, text in shown if text.startswith("Myth")]
        assert card.answer_text.removeprefix(card.question_text).startswith(f" Not true: {mine} ")
