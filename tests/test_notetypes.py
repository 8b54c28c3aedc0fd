"""Our notetypes' look and identity, as promised in the README's notetype policy."""

from __future__ import annotations

from ankigen import ids
from ankigen.notetypes import (
    all_notetypes,
    choice_notetype,
    cloze_notetype,
    myth_notetype,
    notetype_for,
    notetypes_fingerprint,
)
from ankigen.revision import NOTETYPES_FINGERPRINT, NOTETYPES_REVISED


def test_a_change_to_templates_or_css_comes_with_a_new_revision_time() -> None:
    # Anki keeps the old look unless the incoming notetype is newer: a changed
    # template or CSS must ship with a later NOTETYPES_REVISED.
    assert notetypes_fingerprint() == NOTETYPES_FINGERPRINT, (
        "the notetypes changed: set NOTETYPES_REVISED to the current Unix time "
        f"and NOTETYPES_FINGERPRINT = {notetypes_fingerprint()!r} in ankigen/revision.py")


def test_field_lists_and_ids_are_the_promised_ones() -> None:
    # Changing a field list needs a new notetype id (README, "Notetype policy").
    assert (myth_notetype().id, myth_notetype().fields) == (ids.MYTH_NOTETYPE_ID, ("Statement", "Fact", "Source"))
    assert (cloze_notetype().id, cloze_notetype().fields) == (ids.CLOZE_NOTETYPE_ID,
                                                              ("Text", "Kind", "Myth", "Source"))
    assert (choice_notetype().id, choice_notetype().fields) == (ids.CHOICE_NOTETYPE_ID,
                                                                ("Options", "Answer", "Myth", "Fact", "Source"))
    # Template names are part of the schema too: renaming one makes Anki copy the notetype.
    assert [notetype.template_name for notetype in all_notetypes()] == ["Myth or fact?", "Cloze", "Which is NOT true?"]
    assert len({notetype.id for notetype in all_notetypes()}) == 3
    assert NOTETYPES_REVISED > 1_700_000_000


def test_myths_and_true_statements_share_one_notetype_whose_template_names_no_verdict() -> None:
    assert notetype_for("myth") is notetype_for("true") is myth_notetype()
    assert notetype_for("choice") is choice_notetype()
    assert notetype_for("technique") is notetype_for("limitation") is cloze_notetype()
    for template in (myth_notetype().front, myth_notetype().back):
        assert "Myth<" not in template and "Fact<" not in template  # the verdict comes from the Fact field


def test_templates_show_every_field() -> None:
    for notetype in all_notetypes():
        shown = notetype.front + notetype.back
        for name in notetype.fields:
            assert "{{" + name + "}}" in shown or "{{cloze:" + name + "}}" in shown
