"""Stable cloze numbers: each deletion keeps the number it was first given, whatever is edited around it.

Anki makes one card per cloze number and keeps a card's reviews with its
number, so a deletion must keep its number for as long as it exists. The lock
remembers, for each cloze note, its deletions in text order with their numbers
and the highest number the note ever used. On a rebuild each deletion written
as ``{{answer}}`` is matched with a remembered one (README, "Rebuilding after
edits"):

1. the same answer (ignoring case and spacing): it keeps that number, wherever
   it moved (deletions with the same answer are paired in order);
2. otherwise, a remembered deletion whose answer is gone and that stood in the
   same place: between the same two matched deletions (or the text's ends).
   If that place held one old and has one new deletion, the new one is a
   correction of the old (a typo, a changed word) and keeps its number; if it
   holds several, they are paired by similarity of their answers (difflib's
   ratio of their characters, at least ``SIMILAR``), most alike first;
3. a deletion still unmatched is new: it gets the note's next number never
   used (``high + 1``), so a removed deletion's number is never given again.

Numbers written by the author (``{{c3::answer}}``) always win: no other
deletion gets them. Pure functions; the same text and memory give the same numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable

from ankigen.cloze import ClozeText, Deletion
from ankigen.model import DeckSource

# How alike two answers must be (difflib's ratio, 0..1) to count as one corrected
# answer when their place holds several changed deletions.
SIMILAR = 0.5

Memory = tuple[tuple[int, str], ...]  # deletions in text order: (number, answer as written)


def first_numbers(cloze: ClozeText) -> tuple[int, Memory]:
    """The memory of a text numbered by position (its first build): its highest number and its deletions."""
    memory = tuple((deletion.number, deletion.answer) for deletion in cloze.deletions)
    return max([1, *(number for number, _ in memory)]), memory


def renumber(cloze: ClozeText, high: int, remembered: Memory) -> tuple[ClozeText, int, Memory]:
    """``cloze`` with each deletion numbered as it was in ``remembered``, new ones after ``high``.

    Returns the text, the note's new highest number ever used and its new memory.
    """
    deletions = cloze.deletions
    if [(d.number, _normal(d.answer)) for d in deletions] == [(n, _normal(a)) for n, a in remembered]:
        return cloze, max([high, 1, *(d.number for d in deletions)]), remembered  # nothing moved: the usual case
    taken = {d.number for d in deletions if d.explicit}
    matched: dict[int, int] = {}  # index of a deletion now -> index of the remembered one it is
    used: set[int] = set()
    # 1. the same answer
    for index, deletion in enumerate(deletions):
        answer = _normal(deletion.answer)
        for old, (number, old_answer) in enumerate(remembered):
            if old not in used and _normal(old_answer) == answer and \
                    (deletion.explicit or number not in taken):
                matched[index] = old
                used.add(old)
                break
    # 2. the same place: group what is unmatched by the matched deletions on either side
    places: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for index, deletion in enumerate(deletions):
        if index in matched or deletion.explicit:
            continue
        before = max((matched[i] for i in matched if i < index), default=-1)
        after = min((matched[i] for i in matched if i > index), default=len(remembered))
        news, olds = places.setdefault((before, after), ([], []))
        news.append(index)
        if not olds:
            olds.extend(old for old in range(before + 1, after) if old not in used and remembered[old][0] not in taken)
    for news, olds in places.values():
        if len(news) == 1 and len(olds) == 1:
            pairs = [(news[0], olds[0])]
        else:
            scored = sorted((-_likeness(deletions[new].answer, remembered[old][1]), new, old)
                            for new in news for old in olds)
            pairs = [(new, old) for score, new, old in scored if -score >= SIMILAR]
        for new, old in pairs:
            if new not in matched and old not in used:
                matched[new] = old
                used.add(old)
    # 3. new deletions: the next numbers never used
    numbered: list[Deletion] = []
    for index, deletion in enumerate(deletions):
        if deletion.explicit:
            numbered.append(deletion)
        elif index in matched:
            numbered.append(deletion._replace(number=remembered[matched[index]][0]))
        else:
            high = max([high, *taken]) + 1
            numbered.append(deletion._replace(number=high))
    high = max([high, 1, *(d.number for d in numbered)])
    return ClozeText(cloze.pieces, tuple(numbered)), high, tuple((d.number, d.answer) for d in numbered)


def _normal(answer: str) -> str:
    return " ".join(answer.split()).casefold()


def _likeness(one: str, other: str) -> float:
    return difflib.SequenceMatcher(None, _normal(one), _normal(other), autojunk=False).ratio()


def renumber_deck(source: DeckSource, recall: Callable[[str], tuple[int, Memory] | None]
                  ) -> tuple[DeckSource, dict[str, tuple[int, Memory]]]:
    """Every item of ``source`` numbered from its memory (``recall("myth/item")``, None for none).

    Returns the source (the same object when no number changed) and each item's new memory, by
    "myth/item". An item without memory keeps the numbers its place gives (its first build).
    """
    memories: dict[str, tuple[int, Memory]] = {}
    myths = []
    for myth in source.myths:
        items = {}
        for item in myth.items:
            key = f"{myth.key}/{item.key}"
            known = recall(key)
            if known is None:
                memories[key] = first_numbers(item.cloze)
                continue
            cloze, high, memory = renumber(item.cloze, *known)
            memories[key] = (high, memory)
            if cloze is not item.cloze and cloze.deletions != item.cloze.deletions:
                items[item.key] = item._replace(cloze=cloze)
        if items:
            myth = myth._replace(techniques=tuple(items.get(i.key, i) for i in myth.techniques),
                                 limitations=tuple(items.get(i.key, i) for i in myth.limitations))
        myths.append(myth)
    if all(new is old for new, old in zip(myths, source.myths, strict=True)):
        return source, memories
    return dataclasses.replace(source, myths=tuple(myths)), memories
