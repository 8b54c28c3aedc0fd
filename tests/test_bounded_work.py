"""Bounded work on any input: rendering grows linearly with the text, a sheet carries each image once.

Timing here is CPU time of this process, the least of three tries, and the
bound is generous: a text four times as long may take at most ten times as
long (linear work takes four, quadratic sixteen). The sizes stay under the
loader's limit on one text (MAX_TEXT_CHARACTERS).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ankigen.cards import derive_deck
from ankigen.loader import MAX_TEXT_CHARACTERS, parse_source
from ankigen.media import MAX_DECK_MEDIA_BYTES
from ankigen.sheet import render_sheet

# What made python-markdown, the math search or the TeX check slow before: each repeated to fill a text.
PATTERNS = ["[a", "![a", "[a](", "![a](b", "[a]", "*a", "_a", "`a", "**a", "<a", "<b>", "</b>", "\\(a", "\\[a",
            "\\(a{", "{a}", "&#92;(", "*[a]: b\n", "[^a]", "a_b ", "|a", "<!--", "\n\n- a\n  ", "~~~\n", "> ",
            "::", "&a", "x\\)"]
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
                    "0000001049444154789c63f8cfc000440c300a001fee03fd8b5f14d40000000049454e44ae426082")


def _fact_source(fact: str) -> bytes:
    quoted = fact.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'deck: Big\nid: big\nmyths:\n  - id: m\n    myth: A myth.\n    fact: "{quoted}"\n'.encode()


def _cpu_seconds(fact: str) -> float:
    source, problems = parse_source(_fact_source(fact), "cards/big.yaml")
    assert source is not None, problems
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        derive_deck(source)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("pattern", PATTERNS)
def test_rendering_a_text_takes_time_linear_in_its_length(pattern: str) -> None:
    long_size = MAX_TEXT_CHARACTERS - 10
    short, long = ("x " + pattern * (size // len(pattern)) for size in (long_size // 4, long_size))
    short_time, long_time = _cpu_seconds(short), _cpu_seconds(long)
    assert long_time <= 10 * short_time + 0.05, f"{pattern!r}: {short_time:.3f}s -> {long_time:.3f}s"


def test_a_text_past_the_limit_is_an_error_at_its_line() -> None:
    source, problems = parse_source(_fact_source("a" * (MAX_TEXT_CHARACTERS + 1)), "cards/big.yaml")
    assert source is None
    assert [(p.location.line, p.location.column, p.message) for p in problems] == [
        (6, 11, f"'fact' is {MAX_TEXT_CHARACTERS + 1} characters long; the limit is {MAX_TEXT_CHARACTERS}")]


def test_markdown_nested_past_what_it_can_render_is_an_error_not_a_crash() -> None:
    source, _ = parse_source(_fact_source("a\n: b\n" * 1500), "cards/big.yaml")
    assert source is not None
    _, problems = derive_deck(source)
    assert [(p.location.line, p.message) for p in problems] == [(6, "the Markdown is nested too deeply to render")]


def _deck_with_images(tmp_path: Path, count: int, files: int = 1, size: int = 0) -> tuple[Path, bytes]:
    (tmp_path / "images").mkdir()
    for index in range(files):
        data = PNG + bytes(size) if size else PNG
        (tmp_path / "images" / f"i{index}.png").write_bytes(data if not size else data + index.to_bytes(4, "big"))
    myths = "".join(f"  - id: m{n}\n    myth: Myth {n}.\n    fact: 'See ![pic](images/i{n % files}.png).'\n"
                    for n in range(count))
    path = tmp_path / "deck.yaml"
    path.write_text(f"deck: Pictures\nid: pictures\nmyths:\n{myths}", "utf-8")
    return path, path.read_bytes()


def test_an_image_shown_on_many_cards_is_in_the_sheet_once(tmp_path: Path) -> None:
    path, data = _deck_with_images(tmp_path, 300, size=200_000)
    source, problems = parse_source(data, str(path), base_dir=str(tmp_path))
    assert source is not None, problems
    deck, problems = derive_deck(source)
    assert problems == []
    sheet = render_sheet(deck)
    assert sheet.count("base64,") == 1
    # Used once per place its fact is printed: under its myth, in the "True or false?" quiz, and as the one
    # fact option of a "Which is NOT true?" question (all facts read alike, "See .", so each is offered once).
    assert sheet.count('class="image media-1"') == 3 * 300
    assert len(sheet) < 2 * 200_000 + 300 * 1_000


def test_a_deck_whose_images_pass_the_cap_is_an_error_at_the_image_that_passes_it(tmp_path: Path) -> None:
    per_image = 2 * 1024 * 1024 - 1024
    files = MAX_DECK_MEDIA_BYTES // per_image + 1
    path, data = _deck_with_images(tmp_path, files, files=files, size=per_image - len(PNG) - 4)
    source, _ = parse_source(data, str(path), base_dir=str(tmp_path))
    assert source is not None
    _, problems = derive_deck(source)
    assert [p.message for p in problems] == [
        f"image 'images/i{files - 1}.png' takes the deck's images past {MAX_DECK_MEDIA_BYTES // 2 ** 20} MiB"]


def test_many_tags_that_never_close_are_an_error_not_a_slow_build() -> None:
    source, _ = parse_source(_fact_source("<a href='" * 100), "cards/big.yaml")
    assert source is not None
    _, problems = derive_deck(source)
    assert [(p.location.line, p.message) for p in problems] == [
        (6, "more than 64 '<' that start a tag and never close it")]
