"""Card-quality warnings: each rule, at its exact line and column, and none for a well-written source."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from ankigen.lint import MAX_TEXT_CHARACTERS
from tests.conftest import SHIPPED_SOURCE

CLEAN = """\
deck: Lint
id: lint
myths:
  - id: data
    myth: Deep learning needs huge datasets.
    fact: Transfer learning and augmentation make small datasets enough for many tasks.
    techniques:
      - id: transfer
        name: Transfer learning
        text: "Fine-tunes a {{pre-trained}} model on a small task-specific dataset."
      - id: augmentation
        name: Data augmentation
        text: "Creates {{modified copies}} of existing examples to enlarge a dataset."
  - id: hardware
    myth: Deep learning models can only be trained on GPUs.
    fact: Small models train on ordinary CPUs, only more slowly.
    true_statements:
      - id: gpus-accelerate
        text: GPUs and TPUs significantly accelerate training.
      - id: cloud
        text: Cloud computing lends hardware to developers with limited resources.
  - id: experts
    myth: Deep learning is a field for experts only.
    fact: High-level libraries such as Keras let beginners build working models.
    true_statements:
      - id: math
        text: A grasp of mathematics and programming is an advantage.
"""
TEXT_LINE, TEXT_COLUMN = 10, 16  # the first technique's text, inside its quotes
SECOND_TEXT_LINE = 13


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, *options: str) -> tuple[int, list[str]]:
    monkeypatch.chdir(tmp_path)
    Path("lint.yaml").write_text(source, "utf-8")
    result = CliRunner().invoke(cli, ["check", *options, "lint.yaml"])
    return result.exit_code, result.stderr.splitlines()


def replace_line(number: int, line: str) -> str:
    lines = CLEAN.splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


def test_a_clean_source_gets_no_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(tmp_path, monkeypatch, CLEAN, "--strict") == (0, [])


def test_the_shipped_deck_passes_strict() -> None:
    result = CliRunner().invoke(cli, ["check", "--strict", str(SHIPPED_SOURCE)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_a_text_too_long_for_one_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fact = "Small datasets are often enough. " * 10  # 330 characters
    code, lines = check(tmp_path, monkeypatch, replace_line(6, f"    fact: {fact.strip()}"))
    assert code == 0
    assert lines == ["lint.yaml:6:11: warning: the fact is too long for one card (329 characters; at most 300) "
                     "(keep one idea per card: cut it down, or split it into several cards)"]


def test_markup_does_not_count_towards_the_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = "word " * 59 + "end"  # 298 characters, and " ." from the link: the limit
    text = f'"**{words}** [.](https://example.org/a/very/long/address/that/is/not/read/by/anyone)"'
    assert len(text) > MAX_TEXT_CHARACTERS + 50
    code, lines = check(tmp_path, monkeypatch, replace_line(6, f"    fact: {text}"))
    assert (code, lines) == (0, [])


def test_a_cloze_text_counts_its_answers_and_not_its_hints(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    text = "It helps. " * 27 + "It is the {{answer::" + "a very long hint " * 10 + "}} here."
    code, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, f'        text: "{text}"'))
    assert (code, lines) == (0, [])
    text = "It helps. " * 28 + "It is the {{answer}} here."
    code, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, f'        text: "{text}"'))
    assert lines == [f"lint.yaml:{TEXT_LINE}:{TEXT_COLUMN}: warning: the technique's text is too long for one card "
                     "(302 characters; at most 300) (keep one idea per card: cut it down, or split it into several "
                     "cards)"]


def test_a_cloze_deletion_hiding_most_of_its_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Models learn. It {{fine-tunes a pre-trained model on small data}}."
    code, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, f'        text: "{text}"'))
    assert code == 0
    assert lines == [f"lint.yaml:{TEXT_LINE}:{TEXT_COLUMN + 17}: warning: cloze deletion c2 hides most of its "
                     "sentence (44 of 48 characters) "
                     "(hide only the key word or phrase, so the rest of the sentence is the cue)"]


def test_deletions_of_one_card_add_up_and_other_sentences_do_not_dilute_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_sentence = "This first sentence is long enough to hide a lot of text in the next one, e.g. here. "
    text = long_sentence + "It {{c5::fine-tunes}} a {{c5::pre-trained}} model."
    _, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, f'        text: "{text}"'))
    column = TEXT_COLUMN + len(long_sentence) + 3
    assert lines == [f"lint.yaml:{TEXT_LINE}:{column}: warning: cloze deletion c5 hides most of its sentence "
                     "(21 of 34 characters) (hide only the key word or phrase, so the rest of the sentence is "
                     "the cue)"]
    separate = long_sentence + "It {{fine-tunes}} a {{pre-trained}} model."
    assert check(tmp_path, monkeypatch, replace_line(TEXT_LINE, f'        text: "{separate}"')) == (0, [])


def test_an_item_whose_text_is_only_a_cloze_deletion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, '        text: "{{pre-trained models}}."'))
    assert code == 0
    assert lines == [f"lint.yaml:{TEXT_LINE}:{TEXT_COLUMN}: warning: the technique's text is only a cloze deletion, "
                     "with nothing around it to recall it from "
                     "(hide a key word or phrase and leave the rest as the cue)"]


def test_two_items_with_the_same_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    same = '        text: "Fine-tunes a **pre-trained** model on a small {{task-specific}} dataset!"'
    code, lines = check(tmp_path, monkeypatch, replace_line(SECOND_TEXT_LINE, same))
    assert code == 0
    assert lines == [f"lint.yaml:{SECOND_TEXT_LINE}:{TEXT_COLUMN}: warning: the technique's text is the same as "
                     f"technique 'data/transfer' (line {TEXT_LINE}) "
                     "(merge the two, or make each say what sets it apart)"]


def test_two_items_with_nearly_the_same_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    near = '        text: "Fine-tunes a {{pre-trained}} network on a small task-specific dataset."'
    code, lines = check(tmp_path, monkeypatch, replace_line(SECOND_TEXT_LINE, near))
    assert code == 0
    assert lines == [f"lint.yaml:{SECOND_TEXT_LINE}:{TEXT_COLUMN}: warning: the technique's text is nearly the same "
                     f"as technique 'data/transfer' (line {TEXT_LINE}) "
                     "(merge the two, or make each say what sets it apart)"]


def test_items_that_share_a_subject_but_say_different_things_are_not_duplicates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = '        text: "Fine-tunes a {{pre-trained}} model on a large general-purpose corpus first."'
    assert check(tmp_path, monkeypatch, replace_line(SECOND_TEXT_LINE, other)) == (0, [])


def test_a_fact_that_only_repeats_the_myth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = check(tmp_path, monkeypatch, replace_line(6, "    fact: Deep learning does not need huge datasets."))
    assert code == 0
    assert lines == ["lint.yaml:6:11: warning: the fact only repeats the myth (67% the same) "
                     "(say what is true instead, and why)"]


def test_a_true_statement_nearly_the_same_as_its_myth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = CLEAN.splitlines().index("        text: GPUs and TPUs significantly accelerate training.") + 1
    code, lines = check(tmp_path, monkeypatch,
                        replace_line(line, "        text: Deep learning models can be trained without GPUs."))
    assert code == 0
    assert lines == [f"lint.yaml:{line}:15: warning: the true statement is nearly the same as its myth (82% the same): "
                     "a learner tells them apart by the wording, not by knowing "
                     "(state something else that is true: what actually happens, a technique, a real limit)"]


def test_a_true_statement_without_an_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = CLEAN.splitlines().index("      - id: math") + 1
    source = CLEAN.replace("      - id: math\n        text:", "      - text:")
    code, lines = check(tmp_path, monkeypatch, source)
    assert code == 0
    assert lines == [f"lint.yaml:{line}:9: warning: true statement has no 'id' (it defaults to "
                     "'a-grasp-of-mathematics-and-programming-is-an', which changes when the text changes and resets "
                     "its reviews) (add 'id: a-grasp-of-mathematics-and-programming-is-an')"]


def test_a_deck_too_small_for_full_multiple_choice_questions(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    two_myths = CLEAN[:CLEAN.index("  - id: experts")]
    two_myths = two_myths[:two_myths.index("    true_statements:")]  # the second myth's fact only
    code, lines = check(tmp_path, monkeypatch, two_myths)
    assert code == 0
    assert lines == ['lint.yaml:1:1: warning: the deck is too small for full multiple-choice questions: 2 of 2 myths '
                     'get a "Which of these is NOT true?" card with only 2 options (each needs 3 true statements of '
                     "other myths) (add myths, or further true statements under 'true_statements:')"]
    one_myth = CLEAN[:CLEAN.index("  - id: hardware")]  # asks no such question at all: nothing to warn about
    assert check(tmp_path, monkeypatch, one_myth, "--strict") == (0, [])
    without_math = CLEAN[:CLEAN.index("    true_statements:\n      - id: math")]
    code, lines = check(tmp_path, monkeypatch, without_math)
    assert lines == ['lint.yaml:1:1: warning: the deck is too small for full multiple-choice questions: 1 of 3 myths '
                     'get a "Which of these is NOT true?" card with only 3 options (each needs 3 true statements of '
                     "other myths) (add myths, or further true statements under 'true_statements:')"]


def test_strict_turns_each_warning_into_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines = check(tmp_path, monkeypatch, replace_line(TEXT_LINE, '        text: "{{pre-trained models}}."'),
                        "--strict")
    assert code == 1
    assert lines == [f"lint.yaml:{TEXT_LINE}:{TEXT_COLUMN}: error: the technique's text is only a cloze deletion, "
                     "with nothing around it to recall it from "
                     "(hide a key word or phrase and leave the rest as the cue)"]
