"""A deck's language: every label in every language, how a tag picks one, and each language's notetypes."""

from __future__ import annotations

import dataclasses
import json
import string
from pathlib import Path

import pytest

from ankigen import ids, labels, loader
from ankigen.labels import ENGLISH, LANGUAGES, Counted, Labels
from ankigen.notetypes import (
    all_notetypes,
    every_notetype,
    translated_fingerprint,
)
from ankigen.revision import NOTETYPES_REVISED, TRANSLATED_FINGERPRINT

TEXT_LABELS = [field.name for field in dataclasses.fields(Labels) if field.type == "str" and field.name != "name"]
COUNTED_LABELS = [field.name for field in dataclasses.fields(Labels) if field.type == "Counted"]


def _placeholders(pattern: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_language_has_every_label_with_the_same_placeholders_as_english(lang: str) -> None:
    words = LANGUAGES[lang]
    for name in TEXT_LABELS:
        text, english = getattr(words, name), getattr(ENGLISH, name)
        assert text.strip(), f"{lang}: {name} is empty"
        assert text == text.strip() or name == "list_separator", f"{lang}: {name} is padded"
        assert _placeholders(text) == _placeholders(english), f"{lang}: {name} has other placeholders than English"
        assert not set(text) & set("<>&\"'"), f"{lang}: {name} holds HTML or quote characters"
    for name in COUNTED_LABELS:
        counted: Counted = getattr(words, name)
        forms = {words.plural(number) for number in range(0, 1200)}
        assert len(counted.forms) == max(forms) + 1 == len(forms), f"{lang}: {name} needs a form per plural form"
        for number in (0, 1, 2, 3, 11, 100, 101):
            shown = words.count(number, counted)
            assert shown.strip() and "{" not in shown
            # Every form but the words for one and two says the number.
            assert str(number) in shown or number in (1, 2), f"{lang}: {name} {number} -> {shown!r}"
    assert len(words.letters) == len(set(words.letters)) == 4
    assert words.direction == ("rtl" if lang in ("ar", "he") else "ltr")


def test_arabic_and_hebrew_labels_are_in_their_own_scripts() -> None:
    def in_script(text: str, low: int, high: int) -> bool:
        letters = [char for char in text if char.isalpha()]
        return bool(letters) and all(low <= ord(char) <= high for char in letters)

    for name in ("myth_or_fact", "myth", "fact", "technique", "limitation", "true_or_false", "answer_key"):
        assert in_script(getattr(labels.ARABIC, name), 0x0600, 0x06FF), name
        assert in_script(getattr(labels.HEBREW, name), 0x0590, 0x05FF), name
    assert in_script(labels.ARABIC.letters, 0x0600, 0x06FF) and in_script(labels.HEBREW.letters, 0x0590, 0x05FF)


def test_plural_forms_follow_each_languages_rule() -> None:
    assert [ENGLISH.count(n, ENGLISH.myths) for n in (0, 1, 2)] == ["0 myths", "1 myth", "2 myths"]
    assert [labels.FRENCH.count(n, labels.FRENCH.myths) for n in (0, 1, 2)] == ["0 mythe", "1 mythe", "2 mythes"]
    assert [labels.GERMAN.count(n, labels.GERMAN.sentences) for n in (1, 4)] == ["1 Lückensatz", "4 Lückensätze"]
    assert [labels.HEBREW.count(n, labels.HEBREW.myths) for n in (1, 2, 7)] == \
        ["מיתוס אחד", "שני מיתוסים", "7 מיתוסים"]
    assert [labels.ARABIC.count(n, labels.ARABIC.cards) for n in (1, 2, 5, 11, 100)] == \
        ["بطاقة واحدة", "بطاقتان", "5 بطاقات", "11 بطاقة", "100 بطاقة"]
    assert labels.JAPANESE.count(3, labels.JAPANESE.cards) == "カード3枚"


@pytest.mark.parametrize(("tag", "lang"), [
    ("en", "en"), ("en-GB", "en"), ("de", "de"), ("de-AT", "de"), ("DE-ch", "de"), ("fr-CA", "fr"),
    ("es-419", "es"), ("pt", "pt"), ("pt-BR", "pt"), ("pt-PT", "pt-PT"), ("pt-AO", "pt-PT"), ("it", "it"),
    ("nl-BE", "nl"), ("ja-JP", "ja"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-Hans", "zh-Hans"),
    ("zh-hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-Hans-HK", "zh-Hans"),
    ("zh-Hant-CN", "zh-Hant"), ("ar", "ar"), ("ar-EG", "ar"), ("he", "he"), ("he-IL", "he"), ("iw", "he"),
    ("de-x-hant", "de"), ("sv", None), ("sv-SE", None), ("tlh", None),
])
def test_a_tag_picks_its_language_or_falls_back_to_its_primary_language(tag: str, lang: str | None) -> None:
    assert labels.is_tag(tag)
    assert labels.resolve(tag) == lang


@pytest.mark.parametrize("text", ["", "de_DE", "deutsch!", "d", "-de", "de-", "de--AT", "english language",
                                  "true", "de-ATT-1", "x-private", "zh-Hans-Hant", "12"])
def test_what_is_not_a_language_tag(text: str) -> None:
    assert not labels.is_tag(text)


def test_the_schema_checks_lang_with_the_loaders_pattern_and_names_every_language() -> None:
    schema = json.loads(loader.json_schema())["properties"]["lang"]
    assert schema["pattern"] == labels.TAG_PATTERN.pattern
    assert labels.supported() in schema["description"]


# Fixed forever, as ids.py promises: each language's notetype ids (myth, cloze, choice). A change here means
# every learner of that language gets new notetypes and loses nothing only by luck.
PINNED_IDS = {
    "en": (1_732_406_400_101, 1_732_406_400_102, 1_732_406_400_103),
    "de": (3_157_178_402_393_209, 2_779_931_204_247_980, 4_373_058_558_863_891),
    "fr": (2_830_589_001_220_085, 2_698_004_742_053_804, 4_143_440_468_420_584),
    "es": (3_458_816_118_284_897, 4_151_961_011_431_820, 2_718_141_876_893_970),
    "pt": (3_438_278_608_226_873, 4_396_744_488_729_044, 3_285_210_239_916_590),
    "pt-PT": (3_065_653_699_471_388, 2_292_764_966_835_909, 2_776_150_508_272_897),
    "it": (4_022_014_113_723_144, 3_689_803_479_585_338, 3_310_545_253_972_614),
    "nl": (3_956_838_281_064_352, 3_475_083_970_586_200, 3_271_670_134_730_995),
    "ja": (3_846_720_783_430_501, 3_814_752_296_484_338, 2_378_234_021_034_134),
    "zh-Hans": (4_333_004_592_803_571, 2_738_201_475_798_052, 2_901_792_284_846_748),
    "zh-Hant": (3_550_972_434_427_332, 3_032_390_317_172_201, 3_659_450_459_403_860),
    "ar": (4_223_201_043_274_676, 4_046_428_090_413_367, 2_704_181_190_718_712),
    "he": (2_837_347_972_612_213, 2_725_359_752_471_419, 4_490_412_544_953_927),
}


def test_each_language_has_its_own_notetypes_and_english_keeps_its_own() -> None:
    english = all_notetypes("en")
    assert [(n.id, n.name, n.template_name) for n in english] == [
        (ids.MYTH_NOTETYPE_ID, "ankigen: Myth or Fact", "Myth or fact?"),
        (ids.CLOZE_NOTETYPE_ID, "ankigen: Cloze", "Cloze"),
        (ids.CHOICE_NOTETYPE_ID, "ankigen: Which Is NOT True", "Which is NOT true?")]
    everything = every_notetype()
    assert len(everything) == 3 * len(LANGUAGES)
    assert len({n.id for n in everything}) == len({n.name for n in everything}) == len(everything)
    assert all(0 < n.id < 2**53 for n in everything)  # Anki's ids are JavaScript-safe integers
    for lang in LANGUAGES:
        assert tuple(n.id for n in all_notetypes(lang)) == PINNED_IDS[lang]
        for notetype, english_one in zip(all_notetypes(lang), english, strict=True):
            assert notetype.fields == english_one.fields  # the same notes, only the labels differ
            if lang != "en":
                assert notetype.name == f"{english_one.name} ({lang})"
                assert f'<div class="ankigen" lang="{lang}"' in notetype.front
                assert ('dir="rtl"' in notetype.front) == (LANGUAGES[lang].direction == "rtl")
                assert notetype.css.startswith(english_one.css)


def test_a_change_to_a_translated_notetype_comes_with_a_new_revision_time() -> None:
    assert translated_fingerprint() == TRANSLATED_FINGERPRINT, (
        "the translated notetypes changed: set NOTETYPES_REVISED to the current Unix time and "
        f"TRANSLATED_FINGERPRINT = {translated_fingerprint()!r} in ankigen/revision.py")
    assert NOTETYPES_REVISED > 1_700_000_000


def test_an_english_tag_builds_the_very_bytes_of_a_deck_without_lang(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ankigen.cli import cli

    text = (Path(__file__).resolve().parent / "fixtures" / "languages" / "deep-learning-de.yaml").read_text("utf-8")
    outputs = []
    for name, lang in (("plain", ""), ("tagged", "lang: en-GB\n")):
        source = tmp_path / name / "deck.yaml"
        source.parent.mkdir()
        source.write_text(text.replace("lang: de\n", lang), "utf-8")
        out = tmp_path / name / "decks"
        result = CliRunner().invoke(cli, ["build", "-o", str(out), str(source)],
                                    env={"SOURCE_DATE_EPOCH": "1700000000"})
        assert result.exit_code == 0, result.output
        outputs.append([(out / f"deep-learning-de.{kind}").read_bytes() for kind in ("apkg", "html")])
    assert outputs[0] == outputs[1]
    assert b'lang="en">' in outputs[0][1] and b"Myth or fact?" in outputs[0][0]
