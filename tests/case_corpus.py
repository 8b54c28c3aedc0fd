"""The case corpus under tests/cases/: one source per file, its expected outcome written at its top.

A case's leading comment lines say what must happen, in the words a user sees:

    # expect: cases/unknown-key-typo.yaml:6:5: error: unknown key 'myht' in a myth (did you mean 'myth'?)

one ``# expect:`` line per diagnostic, in the order ankigen prints them (paths are
as shown when the case is copied to ``cases/`` under the working directory), or

    # expect: builds
    # expect-Fact: "<p>Before  after.</p>"      (a note field as Anki stores it, as a JSON string)
    # expect-cards: 1                          (cards Anki makes from the deck)
    # warn: cases/x.yaml:9:11: warning: ...      (each warning the build prints, in order)

for a case that must build. ``# args: PATH...`` replaces the case's own path on
the command line (for paths that do not exist). A case whose bytes cannot hold
a comment (an empty file, UTF-16) keeps these lines in ``<case>.expect`` beside it.
Other comment lines are notes for the reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CASES = Path(__file__).resolve().parent / "cases"
BUILDS = "builds"


@dataclass(frozen=True)
class Case:
    name: str  # the file name, such as "unknown-key-typo.yaml"
    data: bytes
    expected: tuple[str, ...]  # the diagnostics, or (BUILDS,)
    args: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # for cases that build: note field -> HTML
    cards: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def builds(self) -> bool:
        return self.expected == (BUILDS,)

    @property
    def shown_path(self) -> str:
        return f"cases/{self.name}"

    @property
    def command_paths(self) -> list[str]:
        return list(self.args) or [self.shown_path]


def read_case(path: Path) -> Case:
    data = path.read_bytes()
    sidecar = path.with_name(path.name + ".expect")
    header = sidecar.read_bytes() if sidecar.exists() else data
    expected: list[str] = []
    args: tuple[str, ...] = ()
    fields: dict[str, str] = {}
    cards = None
    warnings: list[str] = []
    for line in header.decode("utf-8", "replace").removeprefix("\ufeff").splitlines():
        if not line.startswith("#"):
            break
        directive, _, value = line.removeprefix("# ").partition(": ")
        if directive == "expect":
            expected.append(value)
        elif directive == "args":
            args = tuple(value.split())
        elif directive == "warn":
            warnings.append(value)
        elif directive == "expect-cards":
            cards = int(value)
        elif directive.startswith("expect-"):
            fields[directive.removeprefix("expect-")] = json.loads(value)
    assert expected, f"{path.name} says nothing about what to expect"
    return Case(path.name, data, tuple(expected), args, fields, cards, tuple(warnings))


def corpus(builds: bool) -> list[Case]:
    """The cases that must fail (``builds=False``) or must build (``builds=True``), by name."""
    cases = [read_case(path) for path in sorted(CASES.iterdir()) if path.suffix.lower() in (".yaml", ".yml")]
    return [case for case in cases if case.builds == builds]


def place(case: Case, folder: Path) -> None:
    """Copy the case to ``folder/cases/``, byte for byte."""
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    (folder / "cases" / case.name).write_bytes(case.data)
