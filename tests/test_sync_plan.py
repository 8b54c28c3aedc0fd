"""The sync plan alone (pure): tags, the record ankigen keeps, and a note nobody wrote."""

from __future__ import annotations

from ankigen.sync.plan import (
    REMOVED_TAG,
    Written,
    decode_state,
    encode_state,
    merged_tags,
    same_fields,
)


def test_the_users_tags_stay_and_ours_follow_the_source() -> None:
    assert merged_tags(("st", "myth", "mine", REMOVED_TAG), ("st", "myth"), ("st2", "myth")) == \
        ("myth", "mine", "st2")


def test_the_record_round_trips_and_a_damaged_one_counts_as_no_record() -> None:
    state = {"g1": Written("deck", "m/i", "a" * 16, "b" * 16, ("t1", "t2"), "Deck::Sub", (5, 7))}
    assert decode_state(encode_state(state)) == state
    for damaged in (None, "x", {"version": 2, "notes": {}}, {"version": 1, "notes": []}):
        assert decode_state(damaged) == {}
    assert decode_state({"version": 1, "notes": {"g2": ["too", "short"], **encode_state(state)["notes"]}}) == state


def test_fields_compare_as_anki_stores_them() -> None:
    assert same_fields(("caf\u00e9",), ("cafe\u0301",))
    assert not same_fields(("cafe",), ("cafe\u0301",))
