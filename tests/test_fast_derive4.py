"""derive4's shortcuts in the derive stage, each against the simple way it replaces.

render.py: ``plain_paragraph`` tags a plain text's spans by ``str.split`` (``_tagged_spans``, against the
``_SPAN_MARKS`` substitution).
"""

from __future__ import annotations

import html

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ankigen import render
from tests.test_fast_paths import any_text, mostly_plain_text, span_text

_PIECES = ["word", " ", "`", "*", "**", "(", ")", ".", ",", "<", "< ", "&", "\u3000", "\xa0", "é", "1",
           "\ufdd20\ufdd3"]


@settings(max_examples=5000, deadline=None)
@given(st.one_of(mostly_plain_text, span_text, any_text,
                 st.lists(st.sampled_from(_PIECES), max_size=16).map("".join)))
@example("Plain words, `code <b>` and **strong** (*em*).")
@example("`a*b` and `c**d` then **e** *f*")
@example("*a* **b** `c` *d*.")
@example("**a**")
def test_spans_tagged_by_split_are_the_substitutions(text: str) -> None:
    if not text or not render._PLAIN_WITH_SPANS.match(text):
        return  # (plain_paragraph tags spans only in the texts this takes)
    escaped = html.escape(text, quote=False)
    assert render._tagged_spans(escaped) == render._SPAN_MARKS.sub(render._span_tag, escaped)
