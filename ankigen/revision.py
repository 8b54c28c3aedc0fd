"""When our notetypes last changed, and what they were then: constants a build compares without loading them.

Anki only replaces a notetype's look when the incoming one is newer, so
``NOTETYPES_REVISED`` moves forward with every change of a template or its CSS
(notetypes.py says why and how). The fingerprints are ``notetypes_fingerprint()``
and ``translated_fingerprint()`` at that revision; tests/test_notetypes.py and
tests/test_labels.py fail until all three are set again after a change.

They live apart from the notetypes because every deck's inputs digest includes
the fingerprint, and a rebuild with nothing to do should not load the notetypes,
their labels and templates for it (a tenth of such a rebuild).
"""

NOTETYPES_REVISED = 1_796_038_450  # 2026-11-30 11:34 UTC: verdicts from the fields, "Which is NOT true?"
NOTETYPES_FINGERPRINT = "7682bead8804880d"  # notetypes_fingerprint() at that revision
# translated_fingerprint() at that revision: the notetypes of every other language (new after 0.3.0; they
# change nothing of the English ones, so these carry the same revision time).
TRANSLATED_FINGERPRINT = "5b81def1075b0237"
