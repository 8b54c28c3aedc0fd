"""ids.py's shortcuts must make every GUID and id it made before: each is checked against the simple way.

GUIDs and ids are promised to users (Anki matches notes, decks and notetypes by them), so the
simple versions here are the ones genanki and earlier releases computed: ``hashlib.sha256``,
``int.from_bytes(digest[:8])`` and genanki's base-91 digit loop.
"""

from __future__ import annotations

import hashlib
import importlib
from types import ModuleType

import pytest
from genanki.util import BASE91_TABLE, guid_for
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import ids

# Keys as authors write them, and any text too (the functions promise the same results for every string).
keys = st.one_of(st.from_regex(ids._KEY_PATTERN, fullmatch=True), st.text(max_size=80))


def _genanki_digits(digest: bytes) -> str:
    """genanki.util.guid_for's base-91 digits of the first 8 bytes of a digest (its loop, as it is written)."""
    hash_int = 0
    for byte in digest[:8]:
        hash_int <<= 8
        hash_int += byte
    digits = []
    while hash_int > 0:
        digits.append(BASE91_TABLE[hash_int % len(BASE91_TABLE)])
        hash_int //= len(BASE91_TABLE)
    return "".join(reversed(digits))


def _simple_hash_int(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:8], "big")


def _edge(number: int) -> bytes:
    return number.to_bytes(8, "big") + bytes(24)


@settings(max_examples=3000, deadline=None)
@given(st.binary(min_size=8, max_size=32))
@example(_edge(0))
@example(_edge(1))
@example(_edge(90))
@example(_edge(91))
@example(_edge(91 * 91 - 1))
@example(_edge(91 * 91))
@example(_edge(91**9 - 1))
@example(_edge(91**9))
@example(_edge(2**64 - 1))
def test_unrolled_base91_writes_genankis_digits(digest: bytes) -> None:
    assert ids._base91(digest) == _genanki_digits(digest)


def test_base91_edges_read_as_genanki_writes_them() -> None:
    assert ids._base91(_edge(0)) == ""
    assert ids._base91(_edge(1)) == "b"
    assert ids._base91(_edge(90)) == "~"
    assert ids._base91(_edge(91)) == "ba"
    assert len(ids._base91(_edge(2**64 - 1))) == 10


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=200))
def test_the_short_input_sha256_makes_hashlibs_digests(data: bytes) -> None:
    assert ids.short_input_sha256(data).digest() == hashlib.sha256(data).digest()


def test_the_short_input_sha256_is_hashlibs_where_python_has_none_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_builtin_hashes(name: str) -> ModuleType:
        if name in ("_sha2", "_sha256"):
            raise ImportError(name)
        return importlib.import_module(name)

    monkeypatch.setattr(ids.importlib, "import_module", no_builtin_hashes)
    assert ids._sha256_of_short_input() is hashlib.sha256


@settings(max_examples=500, deadline=None)
@given(keys, keys, st.none() | keys)
@example("deck", "myth", None)
@example("deck", "myth", "item")
@example("d", "m" * 60, "i" * 60)  # more than one block of SHA-256
def test_guids_are_the_ones_made_before(deck: str, myth: str, item: str | None) -> None:
    parts = ["ankigen", deck, myth] + ([item] if item is not None else [])
    assert ids.note_guid(deck, myth, item) == guid_for(*parts)
    tagged = ("ankigen-true", deck, myth) + ((item,) if item is not None else ())
    assert ids.true_statement_guid(deck, myth, item) == _genanki_digits(
        hashlib.sha256("\x1f".join(tagged).encode("utf-8")).digest())
    assert ids.choice_guid(deck, myth) == _genanki_digits(
        hashlib.sha256(f"ankigen-not-true\x1f{deck}\x1f{myth}".encode()).digest())


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["en", "de", "fr", "x" * 70]))
def test_note_deck_and_notetype_ids_are_the_ones_made_before(text: str, lang: str) -> None:
    assert ids.note_id(text) == (ids.FIRST_NOTE_ID
                                 + _simple_hash_int("ankigen-note", text) % (1 << 33) * ids.CARD_IDS_PER_NOTE)
    assert ids.deck_id(text) == (1 << 40) + _simple_hash_int("ankigen-deck", text) % (1 << 50)
    assert ids.notetype_id(ids.CHOICE_NOTETYPE_ID, lang) == (
        ids.CHOICE_NOTETYPE_ID if lang == "en"
        else (1 << 51) + _simple_hash_int("ankigen-notetype", str(ids.CHOICE_NOTETYPE_ID), lang) % (1 << 51))


def _simple_unique_ids(preferred: dict[str, int]) -> dict[str, int]:
    taken: set[int] = set()
    chosen: dict[str, int] = {}
    for guid, wanted in sorted(preferred.items(), key=lambda item: (item[1], item[0])):
        candidate = wanted
        while candidate in taken:
            candidate += ids.CARD_IDS_PER_NOTE
            if candidate >= ids.LAST_NOTE_ID:
                candidate = ids.FIRST_NOTE_ID
        taken.add(candidate)
        chosen[guid] = candidate
    return chosen


_BLOCK_NEAR_THE_ENDS = st.sampled_from([0, 1, 2, 3, (1 << 33) - 2, (1 << 33) - 1]).map(
    lambda block: ids.FIRST_NOTE_ID + block * ids.CARD_IDS_PER_NOTE)


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.text("abc", max_size=3), _BLOCK_NEAR_THE_ENDS, max_size=8))
def test_unique_ids_are_the_ones_made_before_with_or_without_a_clash(preferred: dict[str, int]) -> None:
    chosen = ids.unique_ids(preferred)
    assert chosen == _simple_unique_ids(preferred)
    assert len(set(chosen.values())) == len(chosen)
