"""Warnings about sources that build but will hurt their learners later.

Each rule returns ``path:line:col: warning:`` diagnostics; ``--strict`` makes
them errors. The rules follow the well-known rules for formulating knowledge
(one idea per card, short answers, no interference between cards) and
ankigen's identity promise. Texts are judged as a learner reads them: Markdown
and cloze markup are not counted, a cloze deletion counts as its answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ankigen.cards import CHOICE_TRUE_OPTIONS, DeckCards
from ankigen.cloze import ClozeText
from ankigen.errors import Diagnostic, warning
from ankigen.model import DeckSource, Item, Location, Myth

# The limits are part of the README's "Writing good cards"; change them there too.
MAX_TEXT_CHARACTERS = 300  # a statement, a fact or an item's text, as plain text
MAX_HIDDEN_SHARE = 0.5  # of a sentence hidden by one card's deletions
# Texts are compared word by word (difflib's ratio over their lower-case words): a
# changed word weighs the same in a short text as a long one, and it is fast enough
# for decks of thousands of items.
NEAR_DUPLICATE_RATIO = 0.85  # two items' texts: one word in seven may differ
FACT_REPEATS_MYTH_RATIO = 0.6  # a myth and its fact, or one of its true statements

# Markup a learner does not read: an image or a link (but its text), an HTML tag, emphasis and code marks.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^<>]*>")
_MARKS = str.maketrans("", "", "*_`#>|~")
_WORD = re.compile(r"[^\W_]+")
# A sentence ends at . ! or ? followed by a space and a capital, but not after "e.g." and the like.
_SENTENCE_END = re.compile(r"[.!?](?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bcf\.)\s+(?=[A-Z0-9])")


@dataclass(frozen=True)
class _ItemText:
    """An item with its text as the back of its cards shows it."""

    myth: Myth
    item: Item
    plain: str


def lint_deck(source: DeckSource, deck: DeckCards) -> list[Diagnostic]:
    """Every warning for one deck."""
    items = [_ItemText(myth, item, cloze_plain_text(item.cloze)) for myth in source.myths for item in myth.items]
    return [
        *identity_warnings(source),
        *_too_long(source, items),
        *_fact_repeats_myth(source),
        *_too_few_true_statements(source),
        *(found for entry in items for found in _cloze_rules(entry.item)),
        *_near_duplicates(items),
    ]


def identity_warnings(source: DeckSource) -> list[Diagnostic]:
    """The warnings every build prints: a missing id loses reviews, so it must not wait for ``ankigen check``.

    A default id is a slug of the text: editing the text would make a new note and lose its reviews.
    """
    found = []
    if not source.key_is_explicit:
        found.append(warning(source.location, f"deck has no 'id' (it defaults to '{source.key}', from the file's "
                             "name, which changes when the file is renamed)", f"add 'id: {source.key}'"))
    for myth in source.myths:
        if not myth.key_is_explicit:
            found.append(warning(myth.location, f"myth has no 'id' (it defaults to '{myth.key}', which changes "
                                 "when the text changes and resets its reviews)", f"add 'id: {myth.key}'"))
        for true in myth.true_statements:
            if not true.key_is_explicit:
                found.append(warning(true.location, f"true statement has no 'id' (it defaults to '{true.key}', which "
                                     "changes when the text changes and resets its reviews)", f"add 'id: {true.key}'"))
        for item in myth.items:
            if not item.key_is_explicit:
                found.append(warning(item.location, f"{item.kind} has no 'id' (it defaults to '{item.key}', which "
                                     "changes when the name changes and resets its reviews)",
                                     f"add 'id: {item.key}'"))
    return found


def _too_long(source: DeckSource, items: list[_ItemText]) -> Iterator[Diagnostic]:
    """One card, one idea: a long text is several facts that a learner recalls as one, and forgets in parts."""
    texts = [(text.location, what, plain_text(text.source))
             for myth in source.myths for text, what in ((myth.myth, "myth"), (myth.fact, "fact"))]
    texts += [(true.text.location, "true statement", plain_text(true.text.source))
              for myth in source.myths for true in myth.true_statements]
    texts += [(entry.item.text.location, f"{entry.item.kind}'s text", entry.plain) for entry in items]
    for location, what, text in texts:
        if len(text) > MAX_TEXT_CHARACTERS:
            yield warning(location, f"the {what} is too long for one card ({len(text)} characters; "
                          f"at most {MAX_TEXT_CHARACTERS})",
                          "keep one idea per card: cut it down, or split it into several cards")


def _fact_repeats_myth(source: DeckSource) -> Iterator[Diagnostic]:
    """A fact that only negates the myth teaches nothing: the answer should say what is true and why."""
    for myth in source.myths:
        myth_words = words(plain_text(myth.myth.source))
        ratio = _similarity(myth_words, words(plain_text(myth.fact.source)), FACT_REPEATS_MYTH_RATIO)
        if ratio >= FACT_REPEATS_MYTH_RATIO:
            yield warning(myth.fact.location, f"the fact only repeats the myth ({ratio:.0%} the same)",
                          "say what is true instead, and why")
        for true in myth.true_statements:
            ratio = _similarity(myth_words, words(plain_text(true.text.source)), FACT_REPEATS_MYTH_RATIO)
            if ratio >= FACT_REPEATS_MYTH_RATIO:
                yield warning(true.text.location, f"the true statement is nearly the same as its myth ({ratio:.0%} "
                              "the same): a learner tells them apart by the wording, not by knowing",
                              "state something else that is true: what actually happens, a technique, a real limit")


def _too_few_true_statements(source: DeckSource) -> Iterator[Diagnostic]:
    """A "Which of these is NOT true?" card shows its myth among true statements of the deck's other myths.

    A deck of one myth asks no such question, by design, and is not warned about.
    """
    if len(source.myths) < 2:
        return
    statements = {myth.key: 1 + len(myth.true_statements) for myth in source.myths}
    total = sum(statements.values())
    short = [myth for myth in source.myths if total - statements[myth.key] < CHOICE_TRUE_OPTIONS]
    if not short:
        return
    fewest = min(total - statements[myth.key] for myth in short)
    what = f"a \"Which of these is NOT true?\" card with only {fewest + 1} options"
    yield warning(source.location, f"the deck is too small for full multiple-choice questions: {len(short)} of "
                  f"{len(source.myths)} myths get {what} (each needs {CHOICE_TRUE_OPTIONS} true statements of "
                  "other myths)", "add myths, or further true statements under 'true_statements:'")


def _cloze_rules(item: Item) -> Iterator[Diagnostic]:
    """A deletion needs a cue: text around it that is not hidden on the same card."""
    cloze = item.cloze
    if not _WORD.search(_unmarked("".join(cloze.pieces))):
        yield warning(item.text.location, f"the {item.kind}'s text is only a cloze deletion, with nothing "
                      "around it to recall it from", "hide a key word or phrase and leave the rest as the cue")
        return
    for number, offset, hidden, length in _hidden_per_sentence(cloze):
        if hidden > MAX_HIDDEN_SHARE * length:
            yield warning(item.text.at(offset), f"cloze deletion c{number} hides most of its sentence "
                          f"({hidden} of {length} characters)",
                          "hide only the key word or phrase, so the rest of the sentence is the cue")


def _hidden_per_sentence(cloze: ClozeText) -> Iterator[tuple[int, int, int, int]]:
    """(cloze number, offset of its first deletion, characters it hides, sentence length) per card and sentence."""
    text = _unmarked(cloze.pieces[0])
    answers: list[tuple[int, int, int, int]] = []  # (number, offset in the source, start in text, characters)
    for deletion, piece in zip(cloze.deletions, cloze.pieces[1:], strict=True):
        answer = _unmarked(deletion.answer)
        answers.append((deletion.number, deletion.offset, len(text), len(" ".join(answer.split()))))
        text += answer + _unmarked(piece)
    starts = [0, *(match.end() for match in _SENTENCE_END.finditer(text))]
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        hidden: dict[int, tuple[int, int]] = {}  # number -> (offset of its first deletion, characters)
        for number, offset, first, characters in answers:
            if start <= first < end:
                seen_offset, seen = hidden.get(number, (offset, 0))
                hidden[number] = (seen_offset, seen + characters)
        sentence = len(" ".join(text[start:end].split()))
        for number, (offset, characters) in hidden.items():
            yield number, offset, characters, sentence


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    bag: int  # a bit per (word, occurrence): how many words two texts share is a bit count
    location: Location
    kind: str
    key: str


def _near_duplicates(items: list[_ItemText]) -> list[Diagnostic]:
    """Two cards with nearly the same text interfere: the learner recalls one answer for both.

    Each text is reported once, against the first earlier text it matches. Only
    texts of close enough lengths sharing enough words are compared with difflib
    (its ratio is 2 * matches / total words and cannot exceed either bound),
    which keeps the benchmark's 3,700-item deck under half a second.
    """
    bits: dict[tuple[str, int], int] = {}
    entries, tokens = [], []
    for item in items:
        text = tuple(words(item.plain))
        tokens.append(_tokens(text, bits))
        entries.append(_Entry(text, _bag(tokens[-1]), item.item.text.location, item.item.kind,
                              f"{item.myth.key}/{item.item.key}"))
    # Only texts sharing a token (word and occurrence) among their rarest few can share enough
    # tokens to match: if a and b share t, the rarest token they share is among the first
    # len - t + 1 of each, rarest first. So each text is indexed by that prefix only, and
    # candidates come from the index instead of from every earlier text of a close length.
    frequency = Counter(token for text in tokens for token in text)
    by_prefix: dict[int, list[int]] = {}  # token -> earlier texts with it in their prefix
    found = []
    exact: dict[tuple[str, ...], _Entry] = {}
    ratio = NEAR_DUPLICATE_RATIO
    for index, entry in enumerate(entries):
        first = exact.setdefault(entry.words, entry)
        if first is not entry:
            found.append(_duplicate(entry, first, "the same as"))
            continue
        size = len(entry.words)
        # lengths whose ratio could reach the threshold (a hair wider, for rounding)
        shortest = math.ceil(size * ratio / (2 - ratio) - 1e-9)
        longest = math.floor(size * (2 - ratio) / ratio + 1e-9)
        # the fewest tokens this text can share with a match (a little fewer, for rounding)
        fewest = math.floor(ratio * (size + max(shortest - 1, 0)) / 2)
        prefix = sorted(tokens[index], key=lambda token: (frequency[token], token))[:size - fewest + 1]
        candidates = sorted(
            earlier for earlier in {earlier for token in prefix for earlier in by_prefix.get(token, ())}
            if shortest <= (length := len(entries[earlier].words)) <= longest
            and 2 * (entries[earlier].bag & entry.bag).bit_count() >= ratio * (length + size))
        other = next((entries[i] for i in candidates if _similarity(entries[i].words, entry.words, ratio) >= ratio),
                     None)
        if other is not None:
            found.append(_duplicate(entry, other, "nearly the same as"))
        for token in prefix:
            by_prefix.setdefault(token, []).append(index)
    return found


def _tokens(text: tuple[str, ...], bits: dict[tuple[str, int], int]) -> list[int]:
    """A number for each (word, occurrence) of the text: the second 'the' is not the first."""
    seen: dict[str, int] = {}
    tokens = []
    for word in text:
        occurrence = seen[word] = seen.get(word, 0) + 1
        tokens.append(bits.setdefault((word, occurrence), len(bits)))
    return tokens


def _bag(tokens: list[int]) -> int:
    """The tokens as the bits of one number."""
    bag = bytearray(max(tokens, default=0) // 8 + 1)
    for token in tokens:
        bag[token >> 3] |= 1 << (token & 7)
    return int.from_bytes(bag, "little")


def _duplicate(entry: _Entry, other: _Entry, how: str) -> Diagnostic:
    return warning(entry.location, f"the {entry.kind}'s text is {how} {other.kind} '{other.key}' "
                   f"(line {other.location.line})", "merge the two, or make each say what sets it apart")


def plain_text(markdown: str) -> str:
    """The text a learner reads: no Markdown or HTML markup, whitespace collapsed."""
    return " ".join(_unmarked(markdown).split())


def cloze_plain_text(cloze: ClozeText) -> str:
    """The plain text of cloze text with every deletion shown, as on the back of its cards."""
    parts = [cloze.pieces[0]]
    for deletion, piece in zip(cloze.deletions, cloze.pieces[1:], strict=True):
        parts += [deletion.answer, piece]
    return plain_text("".join(parts))


def _unmarked(markdown: str) -> str:
    text = _LINK.sub(r"\1", markdown) if "](" in markdown else markdown
    text = _TAG.sub("", text) if "<" in text else text
    return text.translate(_MARKS)


def words(text: str) -> list[str]:
    """The lower-case words of ``text``: what two texts are compared by."""
    return _WORD.findall(text.lower())


def _similarity(a: Sequence[str], b: Sequence[str], threshold: float) -> float:
    """difflib's ratio of two word lists, or 0.0 as soon as a cheap bound shows it is below ``threshold``."""
    import difflib  # here: `build` runs only the identity rule, and need not load it

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()
