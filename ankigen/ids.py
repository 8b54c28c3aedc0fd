"""Identity: the numbers and keys that Anki uses to recognise our decks, notetypes and notes.

Everything here is a promise to users. Anki matches an imported note to the one
already in a collection by its GUID, a notetype by its id and a deck by its id;
change any of them and a re-import duplicates what users have already studied.
So identities derive only from stable keys the author controls (never from the
text, never at random), and the constants below never change.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import cast

# Fixed forever: Anki matches notetypes by id. A change to a notetype's field
# list needs a new id (see README, "Notetype policy").
MYTH_NOTETYPE_ID = 1_732_406_400_101
CLOZE_NOTETYPE_ID = 1_732_406_400_102
# Fixed forever, like the two above: the "Which of these is NOT true?" notetype (new in 0.3.0).
CHOICE_NOTETYPE_ID = 1_732_406_400_103

_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_SLUG_MAX = 48


def is_valid_key(key: str) -> bool:
    """Keys are what authors write as ``id:``: letters, digits, '-', '_' and '.'."""
    return bool(_KEY_PATTERN.match(key))


# GUIDs join keys with this (see note_guid); a key holding it could make another
# note's GUID (myth 'a__b' and item 'b' of myth 'a'), so keys never hold it. No
# key starts with '_', so the joined string names its keys one way only.
KEY_JOINER = "__"


def slugify(text: str) -> str:
    """A readable default key from text: lower case, words joined by '-', at most 48 chars."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _SLUG_MAX:
            break
        slug = candidate
    if not slug:
        slug = "x" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return slug


def _sha256_of_short_input() -> Callable[[bytes], hashlib._Hash]:
    """CPython's own SHA-256 (module ``_sha256``, ``_sha2`` from 3.12 on) where it has one, else hashlib's.

    Both make the same digests (tests/test_fast_ids.py checks it); they differ in speed. hashlib's is
    OpenSSL's, whose every new hash costs some 0.8 us of set-up before one 64-byte block is hashed;
    CPython's hashes such a block, whatever fits in 55 bytes, in 0.5 us (it has no SHA instructions,
    so longer input, in more blocks, is faster with hashlib's). GUIDs and ranks hash a few keys or two GUIDs.
    """
    for name in ("_sha2", "_sha256"):
        try:
            return cast("Callable[[bytes], hashlib._Hash]", importlib.import_module(name).sha256)
        except ImportError:  # a Python built without its own hashes (made to use only OpenSSL's)
            continue
    return hashlib.sha256


# hashlib.sha256, faster for the short input it is given here: see ``_sha256_of_short_input``.
short_input_sha256 = _sha256_of_short_input()
# The number in the first 8 bytes of a digest, most significant first: int.from_bytes(digest[:8], "big").
_FIRST_8_BYTES = struct.Struct(">Q").unpack_from


def _hash_int(*parts: str) -> int:
    return cast(int, _FIRST_8_BYTES(short_input_sha256("\x1f".join(parts).encode("utf-8")).digest())[0])


def deck_id(deck_key: str) -> int:
    """Anki deck id for a deck key: stable, positive, within JavaScript's safe integers."""
    return (1 << 40) + _hash_int("ankigen-deck", deck_key) % (1 << 50)


# The digits of a GUID, as genanki's guid_for writes them. GUIDs already in users'
# collections were made with these: they never change.
_BASE91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"


def note_guid(deck_key: str, myth_key: str, item_key: str | None = None) -> str:
    """The note GUID: from keys only, so editing a note's text keeps its identity.

    It is genanki's ``guid_for("ankigen", deck, myth[, item])``, computed here
    at a fifth of the cost (tests/test_fast_paths.py checks that they agree).
    """
    joined = f"ankigen{KEY_JOINER}{deck_key}{KEY_JOINER}{myth_key}"
    if item_key is not None:
        joined = f"{joined}{KEY_JOINER}{item_key}"
    return _base91(short_input_sha256(joined.encode("utf-8")).digest())


def true_statement_guid(deck_key: str, myth_key: str, statement_key: str | None = None) -> str:
    """The GUID of a true-statement note: a myth's ``fact`` (no key) or one of its ``true_statements``.

    Its keys are hashed after a first part that no ``note_guid`` can have (those
    hash text that starts "ankigen__"; keys cannot hold "\\x1f"), so it never
    meets the GUID of a myth, technique or limitation, whatever the keys.
    """
    if statement_key is None:
        return _tagged_guid("ankigen-true", deck_key, myth_key)
    return _tagged_guid("ankigen-true", deck_key, myth_key, statement_key)


def choice_guid(deck_key: str, myth_key: str) -> str:
    """The GUID of a myth's "Which of these is NOT true?" note (apart from every other GUID, as above)."""
    return _tagged_guid("ankigen-not-true", deck_key, myth_key)


def note_key_guid(deck_key: str, note_key: str) -> str:
    """The GUID a note's key makes (cards.py writes the keys; ids hold neither ':', '/' nor '#').

    'myth' and 'myth/item' make ``note_guid``; 'myth:fact' and 'myth:true:<id>'
    make ``true_statement_guid``; 'myth:not-true' makes ``choice_guid``. Text
    after a '#' (identity.py's "another GUID for this place") makes a GUID of its own.
    """
    if ":" not in note_key:
        return note_guid(deck_key, *note_key.split("/"))
    base, mark, attempt = note_key.partition("#")
    myth_key, kind, *statement = base.split(":")
    if kind == "not-true":
        return choice_guid(deck_key, myth_key + mark + attempt)
    return true_statement_guid(deck_key, myth_key + mark + attempt, *statement)


def _tagged_guid(*parts: str) -> str:
    return _base91(short_input_sha256("\x1f".join(parts).encode("utf-8")).digest())


# Two base-91 digits at a time: half the divisions.
_BASE91_PAIRS = [a + b for a in _BASE91 for b in _BASE91]
_PAIR = len(_BASE91_PAIRS)


def _base91(digest: bytes) -> str:
    """The first 8 bytes of ``digest`` as a number in genanki's base-91 digits, most significant first.

    Unrolled, with no loop: a 64-bit number has at most ten base-91 digits (91**10 > 2**64), made
    here as five pairs by four divisions; genanki writes no leading zero digit ('a'), so they are
    stripped (and 0 is ""). tests/test_fast_ids.py checks it against genanki's digit loop.
    """
    number, fifth = divmod(_FIRST_8_BYTES(digest)[0], _PAIR)
    number, fourth = divmod(number, _PAIR)
    number, third = divmod(number, _PAIR)
    first, second = divmod(number, _PAIR)  # number < 2**64 / 91**6 < 91**4: first is a pair too
    pairs = _BASE91_PAIRS
    return "".join((pairs[first], pairs[second], pairs[third], pairs[fourth], pairs[fifth])).lstrip("a")


# Each note owns a block of ids: the note id, then one card id per card.
CARD_IDS_PER_NOTE = 64
# To Anki, note and card ids are the times they were made, in milliseconds. Its .apkg importer
# first renumbers every id of a package later than tomorrow (rslib's maybe_fix_invalid_ids), at
# a third of the import's time, and Check Database does the same to a collection. So our ids are
# blocks from a hash of the GUID (no clock, no lock: the same note has the same ids in every build)
# in a range long past: from 2004-11-03 (2**40 ms) to 2022-04-04.
FIRST_NOTE_ID = 1 << 40
_BLOCKS = 1 << 33
LAST_NOTE_ID = FIRST_NOTE_ID + _BLOCKS * CARD_IDS_PER_NOTE  # no id reaches it


def note_id(guid: str) -> int:
    """The id a note's GUID asks for; ``note_ids`` gives it unless another note of the package has it."""
    return FIRST_NOTE_ID + (_hash_int("ankigen-note", guid) % _BLOCKS) * CARD_IDS_PER_NOTE


def note_ids(guids: Iterable[str]) -> dict[str, int]:
    """The note ids of one package's notes: ``note_id``'s, made unique (see ``unique_ids``)."""
    return unique_ids({guid: note_id(guid) for guid in guids})


def unique_ids(preferred: Mapping[str, int]) -> dict[str, int]:
    """Each GUID's preferred block, or the next free one when a GUID before it (by id, then GUID) took it.

    Two notes ask for the same block about once in 17,000 packages of 1,000
    notes (once in 7 packages of 50,000): what each gets depends only on the
    package's GUIDs, so rebuilds still write the same bytes.
    """
    if len(set(preferred.values())) == len(preferred):  # the usual package: every GUID gets the block it asks for
        return dict(preferred)
    taken: set[int] = set()
    chosen: dict[str, int] = {}
    for guid, wanted in sorted(preferred.items(), key=lambda item: (item[1], item[0])):
        candidate = wanted
        while candidate in taken:
            candidate += CARD_IDS_PER_NOTE
            if candidate >= LAST_NOTE_ID:
                candidate = FIRST_NOTE_ID
        taken.add(candidate)
        chosen[guid] = candidate
    return chosen


def notetype_id(english_id: int, lang: str) -> int:
    """The id of an English notetype's counterpart in another language (a key of labels.LANGUAGES).

    English keeps the fixed ids above; every other language's ids come from the
    English id and the language tag, so they are fixed forever too (tests/test_labels.py
    pins them), and lie far above every English id and below JavaScript's safe integers.
    """
    if lang == "en":
        return english_id
    return (1 << 51) + _hash_int("ankigen-notetype", str(english_id), lang) % (1 << 51)
