"""The printable study sheet: its HTML, and what it looks like printed by real headless Chromium.

The browser tests print the shipped deck on A4 and on Letter, in both layouts,
and read the PDFs back with poppler: page counts, every myth, every answer in
the key, the answers *not* on the sheet itself, and flashcard fronts and backs
that land on each other after long-edge duplex printing.
"""

from __future__ import annotations

import dataclasses
import html
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ankigen.cards import DeckCards
from ankigen.pipeline import load_decks
from ankigen.sheet import (
    CARDS_PER_PAGE,
    Gap,
    flashcards,
    group_myths,
    parse_anki_cloze,
    render_sheet,
    true_or_false,
)
from tests.browser import (
    PdfPage,
    Printed,
    pdf_info,
    pdf_page_texts,
    pdf_words,
    print_pdfs,
    require_browser,
    with_page_size,
    with_policy,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "cards" / "deep-learning-myths.yaml"
PAPER = {"A4": "A4", "letter": "letter"}  # the name in CSS -> the name pdfinfo reports
# A policy of the tests' own, stricter than "nothing from elsewhere" needs: inline style and data: images only.
NOTHING_FROM_ELSEWHERE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
VARIANTS = [(answers, layout) for answers, layout in (("key", "sheet"), ("inline", "sheet"), ("key", "cards"))]
HOSTILE_YAML = """\
deck: '</title></style><script>alert(1)</script> "Quotes" & <b>bold</b>'
id: hostile
description: "A *description* with <script>alert(2)</script> and a [link](https://example.com/a?b=1&c=2)."
source:
  title: Source </cite> & more
  url: https://example.com/source
myths:
  - id: first
    myth: "The <i>myth</i> & its `code`"
    fact: "The fact."
    techniques:
      - name: "A <name> & co"
        text: "Uses {{x < y && z::a hint & more}} and {{the c3 answer}}."
"""


# -- fixtures ------------------------------------------------------------------------------------------------------


def load_deck(path: Path) -> DeckCards:
    loaded, diagnostics = load_decks([str(path)], lint=False)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    return loaded[0].deck


@pytest.fixture(scope="module")
def shipped() -> DeckCards:
    return load_deck(SHIPPED)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> DeckCards:
    path = tmp_path_factory.mktemp("hostile") / "hostile.yaml"
    path.write_text(HOSTILE_YAML, encoding="utf-8")
    deck = load_deck(path)
    # Images as the loader leaves them (sanitised <img>, the file in deck.media), whatever their source said.
    myth, *rest = deck.notes
    fact = '<p>The fact, with an image: <img alt="a diagram" src="diagram.png"> and a missing one: ' \
           '<img alt="gone" src="missing.png"></p>'
    myth = dataclasses.replace(myth, fields=(myth.fields[0], fact, myth.fields[2]))
    return dataclasses.replace(deck, notes=(myth, *rest), media={"diagram.png": tiny_png()})


def tiny_png() -> bytes:
    """A valid 2 x 2 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def plain(fragment: str) -> str:
    """HTML as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


def squash(text: str) -> str:
    """Text for comparing what was printed: all whitespace gone (line breaks fall anywhere)."""
    return re.sub(r"\s+", "", text)


def all_gaps(deck: DeckCards) -> list[Gap]:
    return [gap for note in deck.notes if note.is_cloze for gap in parse_anki_cloze(note.fields[0])[1]]


# -- the cloze markup ----------------------------------------------------------------------------------------------


def test_parse_anki_cloze_splits_text_answers_and_hints() -> None:
    pieces, gaps = parse_anki_cloze("<p><strong>{{c1::Name}}</strong>: a {{c2::<em>b</em>::hint}} c {{c2::d}}.</p>")
    assert pieces == ("<p><strong>", "</strong>: a ", " c ", ".</p>")
    assert gaps == (Gap(1, "Name", ""), Gap(2, "<em>b</em>", "hint"), Gap(2, "d", ""))


def test_parse_anki_cloze_keeps_escaped_double_colons_in_the_answer() -> None:
    _, gaps = parse_anki_cloze("{{c2::C++:&#58;vector::a type}} and {{c3::}&#125;}}")
    assert gaps == (Gap(2, "C++:&#58;vector", "a type"), Gap(3, "}&#125;", ""))


def test_parse_anki_cloze_leaves_text_without_deletions_alone() -> None:
    assert parse_anki_cloze("<p>{{not a cloze}} {c1::x}</p>") == (("<p>{{not a cloze}} {c1::x}</p>",), ())


_TEXT = st.text(st.characters(blacklist_characters="{}:", blacklist_categories=("Cs",)), max_size=12)


@given(st.lists(st.tuples(_TEXT, st.integers(1, 50), _TEXT.filter(str.strip), _TEXT), max_size=5), _TEXT)
def test_parse_anki_cloze_round_trips(parts: list[tuple[str, int, str, str]], tail: str) -> None:
    text = "".join(f"{before}{{{{c{n}::{answer}{'::' + hint if hint else ''}}}}}" for before, n, answer, hint in parts)
    pieces, gaps = parse_anki_cloze(text + tail)
    assert pieces == (*(before for before, _, _, _ in parts), tail)
    assert gaps == tuple(Gap(n, answer, hint) for _, n, answer, hint in parts)


# -- the HTML ------------------------------------------------------------------------------------------------------


class _Document(HTMLParser):
    """Collects what a document would load or link to, and checks that its elements nest."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "action", "formaction", "poster", "data", "background", "ping"}:
                self.urls.append((tag, name, value or ""))
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=...>")
        if tag not in self.VOID:
            self.open.append(tag)
        self.in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
        else:
            self.open.pop()
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.styles.append(data)


def parse_document(document: str) -> _Document:
    parsed = _Document()
    parsed.feed(document)
    parsed.close()
    return parsed


@pytest.mark.parametrize(("answers", "layout"), VARIANTS)
def test_sheet_is_one_well_formed_html5_document(shipped: DeckCards, answers: str, layout: str) -> None:
    document = render_sheet(shipped, answers=answers, layout=layout)
    assert document.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta charset="utf-8">' in document
    parsed = parse_document(document)
    assert parsed.problems == []
    assert parsed.open == []
    assert parsed.tags.count("style") == 1


@pytest.mark.parametrize(("answers", "layout"), VARIANTS)
@pytest.mark.parametrize("deck_name", ["shipped", "hostile"])
def test_sheet_loads_nothing_and_runs_nothing(request: pytest.FixtureRequest, deck_name: str, answers: str,
                                              layout: str) -> None:
    deck: DeckCards = request.getfixturevalue(deck_name)
    document = render_sheet(deck, answers=answers, layout=layout)
    parsed = parse_document(document)
    assert "script" not in parsed.tags and "<script" not in document.lower()
    assert "javascript:" not in document.lower()
    assert all(value.startswith(("data:", "#")) for _, _, value in parsed.urls), parsed.urls
    css = "".join(parsed.styles)
    assert "@import" not in css
    assert all(url.startswith('"data:image/') for url in re.findall(r"url\(([^)]*)\)", css)), css  # images, once
    assert "Content-Security-Policy" in document and "default-src 'none'" in document


def test_sheet_escapes_the_deck_name_everywhere(hostile: DeckCards) -> None:
    document = render_sheet(hostile)
    escaped = "&lt;/title&gt;&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;Quotes&quot; &amp; &lt;b&gt;"
    assert f"<title>{escaped}bold&lt;/b&gt;</title>" in document
    assert f"<h1>{escaped}bold&lt;/b&gt;</h1>" in document
    assert document.count("</style>") == 1 and document.count("</title>") == 1
    # The running title is a CSS string: nothing in it can end the string or the <style>.
    running = re.search(r"@top-left \{ content: (\"[^\"]*\"); \}", document)
    assert running and "<" not in running.group(1) and "\\3c \\2f title\\3e " in running.group(1)


def test_fields_keep_their_sanitised_markup(hostile: DeckCards) -> None:
    document = render_sheet(hostile)
    assert "<span class=\"statement\">The <i>myth</i> &amp; its <code>code</code></span>" in document
    assert "alert(2)" not in document


def test_images_are_embedded_and_missing_ones_never_loaded(hostile: DeckCards) -> None:
    document = render_sheet(hostile)
    assert '<span class="image media-1" role="img" aria-label="a diagram"></span>' in document
    assert document.count("data:image/png;base64,") == 1
    assert '<span class="missing-image">[gone]</span>' in document
    assert "missing.png" not in document and "diagram.png" not in document


def test_links_are_printed_as_text_not_followed(hostile: DeckCards) -> None:
    document = render_sheet(hostile)
    assert "<a " not in document
    assert '<span class="link">link</span> <span class="url">(https://example.com/a?b=1&amp;c=2)</span>' in document
    assert '<span class="url">(https://example.com/source)</span>' in document


def test_sheet_is_deterministic(shipped: DeckCards) -> None:
    again = load_deck(SHIPPED)
    for answers, layout in VARIANTS:
        assert render_sheet(shipped, answers=answers, layout=layout) == render_sheet(again, answers=answers,
                                                                                        layout=layout)


def test_unknown_options_are_refused(shipped: DeckCards) -> None:
    with pytest.raises(ValueError, match="answers must be one of key, inline"):
        render_sheet(shipped, answers="none")
    with pytest.raises(ValueError, match="layout must be one of sheet, cards"):
        render_sheet(shipped, layout="poster")


def test_key_sheet_blanks_every_deletion_with_its_hint(shipped: DeckCards) -> None:
    document = render_sheet(shipped)
    gaps = all_gaps(shipped)
    assert document.count('<span class="gap">') == len(gaps)
    assert '<span class="gap"><span class="gap-answer">ImageNet</span><span class="gap-hint">a dataset</span></span>' \
        in document
    assert '<section class="key">' in document
    key_myths = "".join(re.findall(r'<div class="key-myth">.*?</div>', document, re.DOTALL))
    assert key_myths.count('<span class="answer">') == len(gaps)


def test_key_sheet_numbers_sentences_one_after_another(shipped: DeckCards) -> None:
    body, key = render_sheet(shipped).split('<section class="key">')
    lists = re.findall(r'<ol class="items" start="(\d+)">(.*?)</ol>', body, re.DOTALL)
    starts = [int(start) for start, _ in lists]
    sizes = [items.count("<li>") for _, items in lists]
    assert starts == [1 + sum(sizes[:i]) for i in range(len(lists))]
    key_myths = "".join(re.findall(r'<div class="key-myth">.*?</div>', key, re.DOTALL))
    assert sum(sizes) == key_myths.count("<li>") == sum(1 for note in shipped.notes if note.is_cloze)


def test_inline_sheet_fills_in_every_deletion_and_has_no_key(shipped: DeckCards) -> None:
    document = render_sheet(shipped, answers="inline")
    myths = document[:document.index('<section class="quiz')]
    assert myths.count('<mark class="filled">') == len(all_gaps(shipped))
    assert 'class="gap"' not in document and '<section class="key">' not in document


def test_myths_group_their_items_in_order(shipped: DeckCards) -> None:
    groups = group_myths(shipped.notes)
    assert [group.key for group in groups] == list(dict.fromkeys(note.myth_key for note in shipped.notes))
    assert all(group.myth is not None and group.myth.myth_key == group.key for group in groups)
    assert [note for group in groups
            for note in ((group.myth,) if group.myth else ()) + group.true_statements +
            ((group.choice,) if group.choice else ()) + group.items] == list(shipped.notes)
    assert all(note.kind == "true" for group in groups for note in group.true_statements)
    assert all(group.choice is not None and group.choice.kind == "choice" for group in groups)


def test_cards_layout_has_one_flashcard_per_anki_card(shipped: DeckCards) -> None:
    cards = flashcards(group_myths(shipped.notes))
    assert [card.number for card in cards] == list(range(1, shipped.card_count + 1))
    document = render_sheet(shipped, layout="cards")
    pages = re.split(r'<div class="page (?=fronts|backs)', document)[1:]
    fronts = [page for page in pages if page.startswith("fronts")]
    backs = [page for page in pages if page.startswith("backs")]
    assert len(fronts) == len(backs) == -(-shipped.card_count // CARDS_PER_PAGE)
    for front, back in zip(fronts, backs, strict=True):
        front_numbers = re.findall(r'class="card-no">#(\d+)<', front)
        back_numbers = re.findall(r'class="card-no">#(\d+)<', back)
        # Row by row, the back page lists the same cards right to left (empty slots included).
        slots_front = re.findall(r'class="card-no">#(\d+)<|class="card empty"', front)
        slots_back = re.findall(r'class="card-no">#(\d+)<|class="card empty"', back)
        rows = [slots_front[row:row + 2] for row in range(0, CARDS_PER_PAGE, 2)]
        assert slots_back == [slot for row in rows for slot in reversed(row)]
        assert sorted(front_numbers) == sorted(back_numbers)


def test_cloze_flashcards_blank_only_their_own_deletion(shipped: DeckCards) -> None:
    cards = flashcards(group_myths(shipped.notes))
    first_cloze = next(index for index, card in enumerate(cards) if card.css_class == "cloze-card")
    name, pre_trained, imagenet = cards[first_cloze:first_cloze + 3]  # the first item's c1 to c3
    assert [card.front.count('class="gap"') for card in (name, pre_trained, imagenet)] == [1, 1, 1]
    assert '<span class="gap-answer">ImageNet</span><span class="gap-hint">a dataset</span>' in imagenet.front
    assert "<strong>Transfer learning</strong>: Fine-tunes a pre-trained model" in imagenet.front
    assert '<div class="answer">ImageNet</div>' in imagenet.back
    assert '<mark class="filled">ImageNet</mark>' in imagenet.back
    assert '<div class="answer">Transfer learning</div>' in name.back


def test_true_or_false_mixes_every_myth_and_true_statement_once_in_a_fixed_order(shipped: DeckCards) -> None:
    quiz = true_or_false(group_myths(shipped.notes))
    statements = [note for note in shipped.notes if note.kind in ("myth", "true")]
    assert sorted(note.guid for note in quiz) == sorted(note.guid for note in statements)
    kinds = "".join("M" if note.kind == "myth" else "T" for note in quiz)
    assert "MM" not in kinds, kinds  # the myths are not grouped together...
    assert kinds != "".join("M" if note.kind == "myth" else "T" for note in statements)  # ...nor in deck order
    again = true_or_false(group_myths(list(reversed(shipped.notes))))
    assert [note.guid for note in again] == [note.guid for note in quiz]  # fixed by the notes, not their order


def test_a_deck_with_fewer_true_statements_than_myths_still_quizzes_them_all(shipped: DeckCards) -> None:
    myths = [note for note in shipped.notes if note.kind == "myth"]
    one_fact = next(note for note in shipped.notes if note.kind == "true")
    quiz = true_or_false(group_myths([*myths, one_fact]))
    assert sorted(note.guid for note in quiz) == sorted(note.guid for note in [*myths, one_fact])


def quiz_section(document: str, name: str) -> str:
    return document[document.index(f'<section class="quiz {name}">'):].split("</section>", 1)[0]


def test_both_quizzes_are_on_the_sheet_and_answered_in_the_key(shipped: DeckCards) -> None:
    document = render_sheet(shipped)
    quiz = true_or_false(group_myths(shipped.notes))
    choices = [note for note in shipped.notes if note.kind == "choice"]
    asked = quiz_section(document, "true-or-false")
    assert re.findall(r'<span class="statement">(.*?)</span> <span class="tick">T / F</span>', asked) == \
        [note.fields[0] for note in quiz]
    questions = quiz_section(document, "not-true")
    assert questions.count('<ol class="choices">') == len(choices) == 5
    assert "filled" not in asked + questions  # no answers on the sheet itself
    key = document[document.index('<section class="key">'):]
    true_false, which = re.findall(r'<div class="key-quiz">(.*?)</div>', key, re.DOTALL)
    assert re.findall(r'<span class="answer">(.*?)</span>', true_false) == \
        ["False: a myth" if note.kind == "myth" else "True" for note in quiz]
    assert re.findall(r'<span class="answer">(.*?)</span>', which) == [note.fields[1] for note in choices]
    assert "19 true-or-false statements, 5 multiple-choice questions to answer" in document


def test_inline_sheet_answers_both_quizzes_in_place(shipped: DeckCards) -> None:
    document = render_sheet(shipped, answers="inline")
    quiz = true_or_false(group_myths(shipped.notes))
    assert re.findall(r'<mark class="filled">([^<]*)</mark></li>', quiz_section(document, "true-or-false")) == \
        ["False: a myth" if note.kind == "myth" else "True" for note in quiz]
    assert re.findall(r'Not true: <mark class="filled">([A-D])</mark>', quiz_section(document, "not-true")) == \
        [note.fields[1] for note in shipped.notes if note.kind == "choice"]


def test_flashcards_put_true_statements_and_myths_on_the_same_kind_of_front(shipped: DeckCards) -> None:
    cards = flashcards(group_myths(shipped.notes))
    myth_or_fact = [card for card in cards if card.kind == "Myth or fact?"]
    assert len(myth_or_fact) == sum(1 for note in shipped.notes if note.kind in ("myth", "true"))
    assert {card.css_class for card in myth_or_fact} == {"myth-card"}
    assert {re.sub(r'(<div class="statement">).*(</div>)', r"\1\2", card.front) for card in myth_or_fact} == \
        {'<div class="statement"></div>'}
    verdicts = [re.search(r'<div class="verdict (myth|fact)">', card.back) for card in myth_or_fact]
    assert all(verdicts) and {v.group(1) for v in verdicts if v} == {"myth", "fact"}
    choices = [card for card in cards if card.kind == "Which is NOT true?"]
    assert len(choices) == 5 and all(card.front.count('<span class="letter">') == 4 for card in choices)
    assert all(re.search(r'<div class="verdict">Not true: [A-D]</div>', card.back) for card in choices)


# -- printed by Chromium -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def printed(shipped: DeckCards, hostile: DeckCards, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:
    """Every variant printed once, all Chromium runs at the same time (keeps these tests to a few seconds)."""
    require_browser()
    folder = tmp_path_factory.mktemp("printed")
    documents: dict[str, str] = {}
    for answers, layout in VARIANTS:
        document = with_policy(render_sheet(shipped, answers=answers, layout=layout), NOTHING_FROM_ELSEWHERE)
        for paper in PAPER:
            documents[f"{layout}-{answers}-{paper}"] = with_page_size(document, paper)
    documents["hostile"] = with_policy(render_sheet(hostile), NOTHING_FROM_ELSEWHERE)
    # The control: proves that a load the policy blocks is reported, so "no report" means "nothing loaded".
    documents["control"] = with_policy(render_sheet(hostile), NOTHING_FROM_ELSEWHERE).replace(
        "</body>", '<img alt="" src="https://example.invalid/x.png">\n</body>', 1)
    assert "example.invalid" in documents["control"]
    jobs = []
    for name, document in documents.items():
        (folder / f"{name}.html").write_text(document, encoding="utf-8")
        jobs.append((folder / f"{name}.html", folder / f"{name}.pdf"))
    return dict(zip(documents, print_pdfs(jobs), strict=True))


def texts(printed: dict[str, Printed], name: str) -> list[str]:
    return pdf_page_texts(printed[name].pdf)


@pytest.mark.parametrize("paper", PAPER)
@pytest.mark.parametrize(("answers", "layout"), VARIANTS)
def test_printed_on_the_paper_asked_for(printed: dict[str, Printed], paper: str, answers: str, layout: str) -> None:
    info = pdf_info(printed[f"{layout}-{answers}-{paper}"].pdf)
    assert info["Page size"].endswith(f"({PAPER[paper]})")


@pytest.mark.parametrize("paper", PAPER)
def test_sheet_page_count_is_sane(printed: dict[str, Printed], paper: str) -> None:
    # 5 myths and 20 sentences, 24 true-or-false statements and 5 questions: 3 to 5 pages, then the key.
    assert 4 <= len(texts(printed, f"sheet-key-{paper}")) <= 7
    assert 3 <= len(texts(printed, f"sheet-inline-{paper}")) <= 6


@pytest.mark.parametrize("paper", PAPER)
def test_every_page_has_the_running_title_and_its_number(printed: dict[str, Printed], shipped: DeckCards,
                                                         paper: str) -> None:
    for variant in ("sheet-key", "cards-key"):
        pages = texts(printed, f"{variant}-{paper}")
        for number, page in enumerate(pages, start=1):
            assert shipped.name in page
            assert f"Page {number} of {len(pages)}" in page


@pytest.mark.parametrize("paper", PAPER)
@pytest.mark.parametrize("answers", ["key", "inline"])
def test_every_myth_fact_and_sentence_is_printed(printed: dict[str, Printed], shipped: DeckCards, paper: str,
                                                 answers: str) -> None:
    text = squash("".join(texts(printed, f"sheet-{answers}-{paper}")))
    for note in shipped.notes:
        if note.is_cloze:
            pieces, _ = parse_anki_cloze(note.fields[0])
            expected = [plain(piece) for piece in pieces if plain(piece).strip(" :.")]
        elif note.kind == "myth":  # the statement, and the fact after the verdict
            expected = [plain(note.fields[0]), plain(note.fields[1]).removeprefix("Myth ")]
        elif note.kind == "true":
            expected = [plain(note.fields[0])]
        else:  # a "which is NOT true?" question: every option
            expected = [plain(option) for option in re.findall(r'<span class="choice">(.*?)</span>', note.fields[0])]
        for part in expected:
            assert squash(part) in text, f"{note.key}: {part!r} is not on the printed sheet"


@pytest.mark.parametrize("paper", PAPER)
def test_every_answer_is_in_the_key_and_not_on_the_sheet(printed: dict[str, Printed], shipped: DeckCards,
                                                         paper: str) -> None:
    pages = texts(printed, f"sheet-key-{paper}")
    key_start = next(i for i, page in enumerate(pages) if "Answer key" in page)
    sheet, key = squash("".join(pages[:key_start])), squash("".join(pages[key_start:]))
    visible = squash(plain(" ".join(
        "".join(parse_anki_cloze(note.fields[0])[0]) if note.is_cloze else " ".join(note.fields)
        for note in shipped.notes)))
    for gap in all_gaps(shipped):
        answer = squash(plain(gap.answer))
        assert answer in key, f"{answer!r} is not in the answer key"
        if answer not in visible:  # words that also appear in the text can't tell us anything
            assert answer not in sheet, f"{answer!r} shows through its blank"
    assert squash("a dataset") in sheet  # hints are printed in their blanks


@pytest.mark.parametrize("paper", PAPER)
def test_printed_sheet_shows_both_quizzes_and_their_answers_in_the_key(printed: dict[str, Printed],
                                                                       shipped: DeckCards, paper: str) -> None:
    pages = texts(printed, f"sheet-key-{paper}")
    key_start = next(i for i, page in enumerate(pages) if "Answer key" in page)
    sheet, key = squash("".join(pages[:key_start])), "".join(pages[key_start:])
    quiz = true_or_false(group_myths(shipped.notes))
    choices = [note for note in shipped.notes if note.kind == "choice"]
    asked = sheet[sheet.index(squash("True or false?")):]
    for number, note in enumerate(quiz, start=1):  # every statement, numbered, with a box for T or F
        assert squash(f"{number}. {plain(note.fields[0])} T / F") in asked, note.key
    questions = asked[asked.index(squash("Which of these is NOT true?")):]
    for number, note in enumerate(choices, start=1):
        options = [(letter, plain(text)) for letter, text in
                   re.findall(r'<span class="letter">([A-D])</span> <span class="choice">(.*?)</span>', note.fields[0])]
        assert len(options) == 4
        assert squash(f"{number}. " + " ".join(f"{letter} {text}" for letter, text in options)) in questions
    assert "Answer key" not in "".join(pages[:key_start]) and "False: a myth" not in "".join(pages[:key_start])
    # The key, read in print order: each quiz's answers, numbered like its questions.
    key_lines = [line.strip() for line in subprocess.run(
        ["pdftotext", "-raw", str(printed[f"sheet-key-{paper}"].pdf), "-"], check=True, capture_output=True,
        text=True).stdout.split("Answer key", 1)[1].splitlines()]
    true_false = [line for line in key_lines if re.fullmatch(r"\d+\. (True|False: a myth)", line)]
    assert true_false == [f"{number}. {'False: a myth' if note.kind == 'myth' else 'True'}"
                          for number, note in enumerate(quiz, start=1)]
    letters = [line for line in key_lines if re.fullmatch(r"\d+\. [A-D]", line)]
    assert letters == [f"{number}. {note.fields[1]}" for number, note in enumerate(choices, start=1)]
    assert "TRUE OR FALSE?" in key and "WHICH OF THESE IS NOT TRUE?" in key


@pytest.mark.parametrize("paper", PAPER)
def test_inline_sheet_prints_the_quiz_answers_in_place(printed: dict[str, Printed], shipped: DeckCards,
                                                       paper: str) -> None:
    text = squash("".join(texts(printed, f"sheet-inline-{paper}")))
    for number, note in enumerate(true_or_false(group_myths(shipped.notes)), start=1):
        verdict = "False: a myth" if note.kind == "myth" else "True"
        assert squash(f"{number}. {plain(note.fields[0])} {verdict}") in text, note.key
    for note in shipped.notes:
        if note.kind == "choice":
            assert squash(f"{plain(note.fields[0])} Not true: {note.fields[1]}") in text, note.key


@pytest.mark.parametrize("paper", PAPER)
def test_inline_sheet_prints_the_answers_in_place(printed: dict[str, Printed], shipped: DeckCards,
                                                  paper: str) -> None:
    text = squash("".join(texts(printed, f"sheet-inline-{paper}")))
    for note in shipped.notes:
        if note.is_cloze:
            pieces, gaps = parse_anki_cloze(note.fields[0])
            filled = pieces[0] + "".join(gap.answer + piece for gap, piece in zip(gaps, pieces[1:], strict=True))
            assert squash(plain(filled)) in text, f"{note.key} is not printed filled in"


@pytest.mark.parametrize("paper", PAPER)
def test_no_myth_is_split_across_pages(printed: dict[str, Printed], shipped: DeckCards, paper: str) -> None:
    pages = [squash(page) for page in texts(printed, f"sheet-key-{paper}")]
    for group in group_myths(shipped.notes):
        last = plain(parse_anki_cloze(group.items[-1].fields[0])[0][-1]) if group.items else plain(group.statement)
        first_page = next(i for i, page in enumerate(pages) if squash(plain(group.statement)) in page)
        assert squash(last) in pages[first_page], f"myth {group.key} runs over to the next page"


def card_numbers(page: PdfPage) -> dict[int, tuple[float, float, float]]:
    """Card number -> (left, right, top) of its label, in points."""
    found = {}
    for word in page.words:
        match = re.fullmatch(r"#(\d+)", word.text)
        if match:
            found[int(match.group(1))] = (word.x_min, word.x_max, word.y_min)
    return found


@pytest.mark.parametrize("paper", PAPER)
def test_flashcard_backs_land_behind_their_fronts(printed: dict[str, Printed], shipped: DeckCards,
                                                  paper: str) -> None:
    pages = pdf_words(printed[f"cards-key-{paper}"].pdf)
    assert len(pages) == 2 * -(-shipped.card_count // CARDS_PER_PAGE)
    seen: list[int] = []
    for front, back in zip(pages[::2], pages[1::2], strict=True):
        assert any(word.text == "FRONTS" for word in front.words)
        assert any(word.text == "BACKS" for word in back.words)
        fronts, backs = card_numbers(front), card_numbers(back)
        assert sorted(fronts) == sorted(backs) and 0 < len(fronts) <= CARDS_PER_PAGE
        for number, (_, right, top) in fronts.items():
            back_left, _, back_top = backs[number]
            # Long-edge duplex mirrors left and right: the label's right edge becomes its left edge.
            assert back_left == pytest.approx(front.width - right, abs=1.5), f"card #{number} is not mirrored"
            assert back_top == pytest.approx(top, abs=1.5), f"card #{number} is not at the same height"
        seen += sorted(fronts)
    assert seen == list(range(1, shipped.card_count + 1))


@pytest.mark.parametrize("paper", PAPER)
def test_flashcards_keep_their_text_inside_their_cells(printed: dict[str, Printed], paper: str) -> None:
    # 90 x 58 mm cells in a 2 x 4 grid: every word of a card lies inside the cell its number is in.
    cell_w, cell_h = 90 / 25.4 * 72, 58 / 25.4 * 72
    for page in pdf_words(printed[f"cards-key-{paper}"].pdf):
        cells = [(left, top) for left, right, top in card_numbers(page).values()]
        grid_left = (page.width - 2 * cell_w) / 2
        grid_top = min(top for _, top in cells) - 12
        for word in page.words:
            if not grid_top <= word.y_min <= grid_top + 4 * cell_h:
                continue  # the page head, the running title, the page number
            column = int((word.x_min - grid_left) // cell_w)
            row = int((word.y_min - grid_top) // cell_h)
            assert 0 <= column < 2 and 0 <= row < 4, f"{word.text!r} is outside the grid"
            assert word.x_max <= grid_left + (column + 1) * cell_w + 1, f"{word.text!r} runs out of its card"
            assert word.y_max <= grid_top + (row + 1) * cell_h + 1, f"{word.text!r} runs out of its card"


def test_printing_loads_nothing_from_elsewhere(printed: dict[str, Printed]) -> None:
    for name, result in printed.items():
        if name != "control":
            assert result.console == (), f"{name}: {result.console}"
    assert any("example.invalid" in line for line in printed["control"].console), \
        "the control load was not reported: this test could not see a load if there were one"


def test_embedded_image_is_printed(printed: dict[str, Printed]) -> None:
    listing = subprocess.run(["pdfimages", "-list", str(printed["hostile"].pdf)], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    assert [(width, height) for *_, width, height in (row[:5] for row in images)] == [("2", "2")]

