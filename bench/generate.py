"""Synthetic ankigen sources for the benchmark: N notes over M files, the same bytes for the same seed.

Each file is one deck with an explicit ``id``; every myth and every technique
or limitation has an explicit ``id``, as the shipped deck does. Texts are 100
to 400 characters of plausible prose: most are plain sentences, some carry
**emphasis**, `inline code`, a list, an ``&`` or a ``<``, the odd \\(formula\\),
and every technique or limitation has one to three {{cloze}} answers.

    python bench/generate.py --notes 10000 --files 100 -o bench/out/sources

``edition`` rewrites one file as an author would: same ids, one fact edited.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

DEFAULT_SEED = 6
DEFAULT_FILES = 100


def _vocabulary(words: str) -> tuple[str, ...]:
    return tuple(words.split())


_WORDS = _vocabulary(
    "model network layer gradient dataset training inference feature weight bias loss optimizer batch "
    "epoch token embedding attention transformer kernel filter pooling activation dropout regularization "
    "overfitting generalization accuracy precision recall benchmark pipeline hardware memory latency "
    "throughput parameter architecture representation signal noise sample label class cluster vector "
    "matrix tensor probability distribution estimate variance baseline experiment result evidence study "
    "researcher practitioner engineer system approach method technique limitation assumption claim"
)
_VERBS = _vocabulary(
    "improves reduces requires learns predicts explains captures ignores amplifies limits shapes "
    "controls measures hides reveals compresses transfers adapts fits encodes"
)
_ADJECTIVES = _vocabulary(
    "large small deep shallow noisy clean sparse dense robust fragile biased fair expensive cheap "
    "pretrained hidden visible linear nonlinear careful"
)
_CONNECTIVES = ("because", "although", "while", "so", "and", "but", "whereas", "since")
_CODE = ("fit()", "model.eval()", "torch.no_grad()", "lr=3e-4", "batch_size=32", "np.mean(x)", "--epochs 10",
         "relu", "softmax", "seed=0")
_FORMULAS = (r"\(x^2 + y^2\)", r"\(\sigma(z) = 1/(1+e^{-z})\)", r"\(O(n \log n)\)", r"\(p_i\)",
             r"\(\nabla_\theta L\)", r"\(a_{ij}\)")
_SYMBOLS = ("R&D", "A&B testing", "x < y", "p < 0.05", "input -> output")


_SYLLABLES = _vocabulary("ab ac ad al an ar as at ba be bi bo ca ce ci co da de di do el em en er es et fa fe fi "
                         "fo ga ge gi go ha he hi ho il im in ir is it la le li lo ma me mi mo na ne ni no ol om "
                         "on or os ot pa pe pi po ra re ri ro sa se si so ta te ti to ul um un ur us va ve vi vo")


def _lexicon(size: int = 4000) -> tuple[list[str], list[float]]:
    """Made-up words with Zipf's frequencies (the n-th most common word 1/n as often as the first),
    after the field's own terms: texts share common words, as real ones do, and rarely the rare ones."""
    rng = random.Random("lexicon")
    made: dict[str, None] = dict.fromkeys(_WORDS + _VERBS + _ADJECTIVES)
    while len(made) < size:
        made.setdefault("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))), None)
    words = list(made)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    return words, weights


_LEXICON, _LEXICON_WEIGHTS = _lexicon()


class _Writer:
    """Texts for one file, drawn from one seeded generator so a file never depends on another."""

    def __init__(self, seed: int, file_index: int) -> None:
        self.rng = random.Random(f"{seed}:{file_index}")

    def words(self, count: int) -> str:
        return " ".join(self.rng.choices(_LEXICON, cum_weights=_LEXICON_WEIGHTS, k=count))

    def sentence(self, rich: bool = True) -> str:
        rng = self.rng
        text = self.words(rng.randint(5, 10))
        if rng.random() < 0.5:
            text += f" {rng.choice(_CONNECTIVES)} {self.words(rng.randint(3, 8))}"
        if rich:
            roll = rng.random()
            if roll < 0.12:
                text += f" with **{rng.choice(_ADJECTIVES)} {rng.choice(_WORDS)}**"
            elif roll < 0.18:
                text += f" as *{rng.choice(_WORDS)}*"
            elif roll < 0.28:
                text += f" using `{rng.choice(_CODE)}`"
            elif roll < 0.31:
                text += f" where {rng.choice(_FORMULAS)}"
            elif roll < 0.34:
                text += f" ({rng.choice(_SYMBOLS)})"
        return text[0].upper() + text[1:] + "."

    def prose(self, low: int = 100, high: int = 400, rich: bool = True) -> str:
        """Sentences until the text is between ``low`` and ``high`` characters."""
        target = self.rng.randint(low, high)
        text = self.sentence(rich)
        while len(text) < target:
            text += " " + self.sentence(rich)
        if len(text) > high:
            text = text[:high].rsplit(" ", 1)[0].rstrip(",.*`(<-&") + "."
        return _balanced(text)

    def fact(self) -> str:
        if self.rng.random() < 0.1:  # a short list
            lead = self.prose(60, 140)
            items = [self.prose(20, 70) for _ in range(self.rng.randint(2, 4))]
            return lead + "\n\n" + "\n".join(f"- {item}" for item in items)
        return self.prose()

    def cloze(self) -> str:
        """Prose with one to three ``{{answer}}`` deletions, the odd one with a hint."""
        text = self.prose()
        words = text.split(" ")
        candidates = [i for i, word in enumerate(words[1:-1], 1)
                      if word.isalpha() and word.islower() and len(word) > 3]
        chosen = sorted(self.rng.sample(candidates, min(len(candidates), self.rng.randint(1, 3))))
        for index in chosen:
            hint = f"::{self.rng.choice(_WORDS)}" if self.rng.random() < 0.1 else ""
            words[index] = "{{" + words[index] + hint + "}}"
        return " ".join(words)


def _balanced(text: str) -> str:
    """Cut texts must not leave an emphasis, code span or formula open."""
    for mark in ("**", "`"):
        if text.count(mark) % 2:
            text = text.replace(mark, "")
    if text.count("\\(") != text.count("\\)"):
        text = text.replace("\\(", "(").replace("\\)", ")")
    return text


def notes_per_file(notes: int, files: int) -> list[int]:
    """``notes`` spread as evenly as possible over ``files`` (each at least one note)."""
    if notes < files:
        raise ValueError(f"{notes} notes cannot fill {files} files; use fewer files")
    base, extra = divmod(notes, files)
    return [base + (index < extra) for index in range(files)]


def _yaml_text(text: str, indent: str) -> str:
    """A text as YAML: a literal block for multi-line text, else a JSON (YAML double-quoted) string."""
    if "\n" in text:
        lines = "\n".join(f"{indent}  {line}" if line else "" for line in text.split("\n"))
        return "|-\n" + lines
    return json.dumps(text, ensure_ascii=False)


def source_text(file_index: int, notes: int, seed: int = DEFAULT_SEED, edition: int = 0) -> str:
    """One source file making exactly ``notes`` notes: per myth, the myth, its fact (a true statement), its
    "which is NOT true?" question (when the file has two myths or more) and its techniques and limitations."""
    if notes < 2:
        raise ValueError(f"a source makes at least 2 notes (a myth and its fact), not {notes}")
    writer = _Writer(seed, file_index)
    rng = writer.rng
    lines = [
        f"deck: \"Bench::Topic {file_index:03d}\"",
        f"id: bench-{file_index:03d}",
        f"description: {_yaml_text(writer.prose(60, 200), '')}",
        "source:",
        f"  title: Synthetic notes {file_index:03d}",
        "  author: ankigen bench",
        "  date: 2026-01-01",
        "tags: [bench]",
        "myths:",
    ]
    remaining = notes
    myth_index = 0
    single = notes < 6  # too few notes for two myths, each with its fact and question
    per_myth = 2 if single else 3
    while remaining:
        room = remaining - per_myth - (3 if myth_index == 0 and not single else 0)  # the first leaves room for a second
        items = remaining - per_myth if single else min(rng.randint(0, 6), room)
        if 0 < remaining - per_myth - items < 3:  # too little left for another myth: this one takes it
            items = remaining - per_myth
        remaining -= per_myth + items
        fact = writer.fact()
        if edition and myth_index == 0:
            fact = f"Edited (edition {edition}). {fact}"
        lines += [
            f"  - id: myth-{myth_index}",
            f"    myth: {_yaml_text(writer.prose(rich=False) if rng.random() < 0.7 else writer.prose(), '    ')}",
            f"    fact: {_yaml_text(fact, '    ')}",
            f"    tags: [{rng.choice(_WORDS)}]",
        ]
        techniques = rng.randint(0, items)
        for kind, count in (("techniques", techniques), ("limitations", items - techniques)):
            if not count:
                continue
            lines.append(f"    {kind}:")
            for item_index in range(count):
                name = " ".join(writer.words(rng.randint(1, 3)).split()).capitalize()
                lines += [
                    f"      - name: {json.dumps(name)}",
                    f"        id: {kind[:4]}-{item_index}",
                    f"        text: {_yaml_text(writer.cloze(), '        ')}",
                ]
        myth_index += 1
    return "\n".join(lines) + "\n"


def source_name(file_index: int) -> str:
    return f"bench-{file_index:03d}.yaml"


def write_sources(folder: Path, notes: int, files: int = DEFAULT_FILES, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write ``files`` sources holding ``notes`` notes in all into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, count in enumerate(notes_per_file(notes, files)):
        path = folder / source_name(index)
        path.write_text(source_text(index, count, seed), encoding="utf-8")
        paths.append(path)
    return paths


def edit_source(folder: Path, file_index: int, notes: int, files: int, edition: int,
                seed: int = DEFAULT_SEED) -> Path:
    """Rewrite one source with its first fact edited (``edition`` 0 restores the original)."""
    count = notes_per_file(notes, files)[file_index]
    path = folder / source_name(file_index)
    path.write_text(source_text(file_index, count, seed, edition), encoding="utf-8")
    return path


def iter_sizes(text: str) -> Iterator[int]:
    for part in text.split(","):
        yield int(part.replace("_", "").strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000, help="notes in all (default: %(default)s)")
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="source files (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path, default=Path("bench/out/sources"), help="folder to write")
    args = parser.parse_args()
    paths = write_sources(args.output, args.notes, args.files, args.seed)
    print(f"wrote {args.notes} notes in {len(paths)} files to {args.output}")


if __name__ == "__main__":
    main()
