"""Stable cloze numbers (ankigen/cloze_numbers.py): a deletion keeps its number whatever is edited around it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ankigen.cloze import parse_cloze
from ankigen.cloze_numbers import first_numbers, renumber


def numbers(before: str, after: str) -> dict[str, int]:
    """Build ``before`` (numbered by place), edit it to ``after``: each answer's number."""
    high, memory = first_numbers(parse_cloze(before))
    cloze, _, _ = renumber(parse_cloze(after), high, memory)
    return {d.answer: d.number for d in cloze.deletions}


def test_a_deletion_inserted_before_others_takes_the_next_number_and_theirs_stay() -> None:
    assert numbers("A {{x}} and {{y}}.", "{{new}} then {{x}} and {{y}}.") == {"new": 4, "x": 2, "y": 3}


def test_deleting_one_keeps_the_others_numbers_and_its_number_is_never_given_again() -> None:
    high, memory = first_numbers(parse_cloze("{{x}} {{y}} {{z}}"))
    cloze, high, memory = renumber(parse_cloze("{{x}} {{z}}"), high, memory)
    assert [(d.answer, d.number) for d in cloze.deletions] == [("x", 2), ("z", 4)]
    cloze, high, memory = renumber(parse_cloze("{{x}} {{z}} {{w}}"), high, memory)
    assert [(d.answer, d.number) for d in cloze.deletions] == [("x", 2), ("z", 4), ("w", 5)]  # not 3
    assert high == 5


def test_swapping_two_deletions_swaps_their_numbers_with_them() -> None:
    assert numbers("{{x}} then {{y}}", "{{y}} then {{x}}") == {"x": 2, "y": 3}


def test_a_corrected_answer_keeps_its_number() -> None:
    # alone in its place (between the same unchanged deletions): whatever the new answer
    assert numbers("{{large}} {{dataset}} on {{GPUs}}", "{{huge}} {{dataset}} on {{GPUs}}") == \
        {"huge": 2, "dataset": 3, "GPUs": 4}
    # several changed in one place: paired by how alike their answers are
    assert numbers("{{ImageNet}} and {{dropout}}", "{{drop-out}} and {{ImagNet}}") == {"ImagNet": 2, "drop-out": 3}
    # too unlike anything there: a new deletion
    assert numbers("{{ImageNet}} and {{dropout}}", "{{CIFAR}} and {{ReLU}} and {{ImagNet}}")["ImagNet"] == 2


def test_explicit_numbers_win_and_are_never_given_to_others() -> None:
    assert numbers("{{x}} {{y}}", "{{c2::y}} {{x}}") == {"y": 2, "x": 4}
    assert numbers("{{x}} {{y}}", "{{x}} {{c7::y}} {{z}}") == {"x": 2, "y": 7, "z": 8}


def test_nothing_edited_keeps_the_memory_as_it_was() -> None:
    high, memory = first_numbers(parse_cloze("{{a}} {{b}}"))
    cloze, new_high, new_memory = renumber(parse_cloze("{{a}} {{b}}"), high, memory)
    assert (new_high, new_memory) == (high, memory) and [d.number for d in cloze.deletions] == [2, 3]


answers = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "gg", "hh"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(answers, min_size=1, max_size=5))
def test_across_any_edits_an_answer_keeps_its_number_and_numbers_are_never_reused(versions: list[list[str]]) -> None:
    high, memory = 1, ()
    ever: set[int] = {1}
    before: dict[str, int] | None = None
    previous: set[int] = set()
    for version in versions:
        cloze = parse_cloze(" ".join(f"{{{{{answer}}}}}" for answer in version))
        cloze, high, memory = renumber(cloze, high, memory) if before is not None else (cloze, *first_numbers(cloze))
        numbered = [(d.answer, d.number) for d in cloze.deletions]
        given = [number for _, number in numbered]
        assert len(set(given)) == len(given)  # one card per deletion
        for answer, number in numbered:
            if before is None:
                continue
            if version.count(answer) == 1 and answer in before:
                assert number == before[answer]  # kept, wherever it moved
            elif number not in previous:
                assert number not in ever  # a new number: never one used before
        ever |= set(given)
        previous = set(given)
        assert high == max(ever)
        before = {answer: number for answer, number in numbered if version.count(answer) == 1}
