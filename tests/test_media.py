"""Images: bundled into the .apkg under content-hash names and shown by Anki; every unsafe path refused."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen.cli import cli
from ankigen.media import MAX_IMAGE_BYTES, image_type
from tests.anki_collection import Collection, import_apkg, rendered_cards

SOURCE = """\
deck: Pictures
id: pictures
myths:
  - id: eyes
    myth: "Neural networks see like we do: ![a cat](images/cat.png)"
    fact: "They match textures, as this saliency map shows: <img src=\\"images/map.png\\" alt=\\"map\\">"
    techniques:
      - id: saliency
        name: Saliency maps
        text: "Highlight the input regions {{that matter most}}: ![cat again](images/cat.png)"
"""


def png(width: int = 1, colour: bytes = b"\xff\x00\x00") -> bytes:
    """A valid PNG of ``width`` x 1 pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + colour * width)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def bundled_name(data: bytes, extension: str = "png") -> str:
    return f"ankigen-{hashlib.sha256(data).hexdigest()[:16]}.{extension}"


def write_pictures(folder: Path) -> None:
    """cards/pictures.yaml in ``folder``, with the two images it shows beside it."""
    images = folder / "cards" / "images"
    images.mkdir(parents=True)
    (images / "cat.png").write_bytes(png(1))
    (images / "map.png").write_bytes(png(2, b"\x00\x00\xff"))
    (folder / "cards" / "pictures.yaml").write_text(SOURCE, "utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the working directory) with cards/pictures.yaml and two images beside it."""
    monkeypatch.chdir(tmp_path)
    write_pictures(tmp_path)
    return tmp_path


def check(*paths: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", *paths])
    return result.exit_code, result.stderr.splitlines()


def with_fact(project: Path, fact: str) -> None:
    """Replace the first myth's fact (line 6, text from column 11) with ``fact``."""
    source = project / "cards" / "pictures.yaml"
    lines = source.read_text("utf-8").splitlines(keepends=True)
    lines[5] = f"    fact: {fact}\n"
    source.write_text("".join(lines), "utf-8")


def test_images_are_bundled_into_the_apkg_and_anki_shows_them(project: Path, collection: Collection) -> None:
    result = CliRunner().invoke(cli, ["build", "-o", "decks", "--format", "apkg"])
    assert result.exit_code == 0, result.output
    summary = import_apkg(collection, project / "decks" / "pictures.apkg")
    assert summary.new == 3  # the myth, its fact as a true statement, the cloze note

    cat, saliency_map = png(1), png(2, b"\x00\x00\xff")
    media = Path(collection.media.dir())
    assert sorted(p.name for p in media.iterdir()) == sorted([bundled_name(cat), bundled_name(saliency_map)])
    assert (media / bundled_name(cat)).read_bytes() == cat
    assert (media / bundled_name(saliency_map)).read_bytes() == saliency_map

    cards = {(card.notetype_name, card.ord): card for card in rendered_cards(collection)}
    myth, fact = sorted((card for card in rendered_cards(collection) if card.notetype_name == "ankigen: Myth or Fact"),
                        key=lambda card: 'class="verdict myth"' not in card.answer_html)
    assert f'<img alt="a cat" src="{bundled_name(cat)}">' in myth.question_html
    assert f'<img src="{bundled_name(saliency_map)}" alt="map">' in myth.answer_html
    assert f'<img src="{bundled_name(saliency_map)}" alt="map">' in fact.question_html  # the fact, asked in its turn
    cloze_name, cloze_text = cards[("ankigen: Cloze", 0)], cards[("ankigen: Cloze", 1)]
    assert f'<img alt="cat again" src="{bundled_name(cat)}">' in cloze_name.question_html
    assert f'src="{bundled_name(cat)}"' in cloze_text.answer_html
    assert "images/" not in myth.answer_html + cloze_text.answer_html


def test_the_same_image_is_one_media_file_whichever_deck_or_path_uses_it(project: Path) -> None:
    from ankigen.cards import derive_deck
    from ankigen.loader import load_source

    other = project / "other"
    other.mkdir()
    (other / "copy-of-cat.png").write_bytes(png(1))
    (other / "o.yaml").write_text(SOURCE.replace("id: pictures", "id: other")
                                  .replace("images/cat.png", "copy-of-cat.png")
                                  .replace("images/map.png", "copy-of-cat.png"), "utf-8")
    decks = []
    for path in ("cards/pictures.yaml", "other/o.yaml"):
        source, problems = load_source(Path(path))
        assert source is not None and not problems
        deck, problems = derive_deck(source)
        assert not problems
        decks.append(deck)
    assert list(decks[1].media) == [bundled_name(png(1))]
    assert decks[1].media[bundled_name(png(1))] == png(1)
    assert set(decks[0].media) == {bundled_name(png(1)), bundled_name(png(2, b"\x00\x00\xff"))}


@pytest.mark.parametrize(("fact", "column", "message"), [
    ('"![gone](images/gone.png)"', 20,
     "image 'images/gone.png' not found (looked for cards/images/gone.png) "
     "(check the spelling; paths are relative to the source's folder)"),
    ('"See ![up](../secret.png)"', 22,
     "image path '../secret.png' leaves the source's folder (keep images in cards/ or a folder below it)"),
    ('"See ![up](images/../../secret.png)"', 22,
     "image path 'images/../../secret.png' leaves the source's folder (keep images in cards/ or a folder below it)"),
    ('"See ![abs](/etc/hostname)"', 23,
     "image path '/etc/hostname' is absolute "
     "(write a path relative to the source's folder, such as 'images/diagram.png')"),
    ("'See <img src=\"C:\\pics\\x.png\">'", 26,
     "image path 'C:\\pics\\x.png' is absolute "
     "(write a path relative to the source's folder, such as 'images/diagram.png')"),
    ('"See ![web](https://example.com/cat.png)"', 23,
     "remote image 'https://example.com/cat.png' is not allowed (cards and sheets load nothing from the web: "
     "download the image into the source's folder and write its path, such as 'images/diagram.png')"),
    ('"See <img src=\'//example.com/cat.png\'>"', 26,
     "remote image '//example.com/cat.png' is not allowed (cards and sheets load nothing from the web: "
     "download the image into the source's folder and write its path, such as 'images/diagram.png')"),
    ('"See ![inline](data:image/png;base64,iVBORw0KGgo=)"', 26,
     "embedded image data ('data:image/png;base64,iVBORw0KGgo=') is not allowed "
     "(save the image as a file in the source's folder and write its path)"),
    ('"See <img src=\'javascript:alert(1)\'>"', 26,
     "image source 'javascript:alert(1)' is not a file path "
     "(write a path relative to the source's folder, such as 'images/diagram.png')"),
    ('"See ![folder](images)"', 26,
     "image 'images' is not a file (cards/images) "
     "(write a path relative to the source's folder, such as 'images/diagram.png')"),
    ('"See ![v](images/cat.png?v=2)"', 21,
     "image path 'images/cat.png?v=2' has a '?' or '#' part "
     "(write only the file's path; a '#' or '?' in a file name is written '%23' or '%3F')"),
])
def test_an_image_that_is_not_a_file_in_the_source_folder_is_an_error_at_its_path(
        project: Path, fact: str, column: int, message: str) -> None:
    (project / "secret.png").write_bytes(png(1))
    with_fact(project, fact)
    code, lines = check()
    assert code == 1
    assert lines == [f"cards/pictures.yaml:6:{column}: error: {message}"]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("big.png", png(1) + b"\x00" * MAX_IMAGE_BYTES,
     "image 'images/big.png' is too large (2.1 MiB; the limit is 2 MiB) "
     "(shrink or compress it: cards show images at screen size)"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "image 'images/logo.svg' is an SVG, which can carry scripts (convert it to PNG)"),
    ("scan.bmp", b"BM" + b"\x00" * 60,
     "image 'images/scan.bmp' is not a PNG, JPEG, GIF or WebP file "
     "(use PNG, JPEG, GIF or WebP, which Anki shows on every device)"),
    ("fake.png", b"<html>not an image</html>",
     "image 'images/fake.png' is not a PNG, JPEG, GIF or WebP image (its content is not) "
     "(use PNG, JPEG, GIF or WebP, which Anki shows on every device)"),
])
def test_an_image_too_big_or_of_a_type_anki_cannot_show_is_an_error(project: Path, name: str, data: bytes,
                                                                    message: str) -> None:
    (project / "cards" / "images" / name).write_bytes(data)
    with_fact(project, f'"Look: ![it](images/{name})"')
    code, lines = check()
    assert code == 1
    assert lines == [f"cards/pictures.yaml:6:24: error: {message}"]


def test_a_symlink_to_a_file_outside_the_source_folder_is_refused(project: Path) -> None:
    (project / "secret.png").write_bytes(png(1))
    (project / "cards" / "images" / "inside.png").symlink_to(project / "secret.png")
    with_fact(project, '"![x](images/inside.png)"')
    assert check() == (1, ["cards/pictures.yaml:6:17: error: image 'images/inside.png' is a link to a file "
                           "outside the source's folder (copy the file into the folder instead of linking to it)"])


def test_a_symlink_inside_the_source_folder_is_followed(project: Path) -> None:
    (project / "cards" / "images" / "alias.png").symlink_to("cat.png")
    with_fact(project, '"![x](images/alias.png)"')
    assert check() == (0, [])


def test_a_named_pipe_is_refused_without_blocking_the_build(project: Path) -> None:
    os.mkfifo(project / "cards" / "images" / "pipe.png")
    with_fact(project, '"![x](images/pipe.png)"')
    code, lines = check()
    assert code == 1
    assert lines == ["cards/pictures.yaml:6:17: error: image 'images/pipe.png' is not a file (cards/images/pipe.png) "
                     "(write a path relative to the source's folder, such as 'images/diagram.png')"]


def test_a_broken_image_fails_the_build_before_anything_is_written(project: Path) -> None:
    with_fact(project, '"![x](images/gone.png)"')
    result = CliRunner().invoke(cli, ["build", "-o", "decks"])
    assert result.exit_code == 1
    assert not (project / "decks").exists()


def test_the_same_missing_image_twice_in_a_text_is_one_error(project: Path) -> None:
    with_fact(project, '"![x](images/gone.png) and again ![y](images/gone.png)"')
    code, lines = check()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("cards/pictures.yaml:6:17: error: image")


def test_image_type_is_read_from_the_content() -> None:
    assert image_type(png(1)) == "png"
    assert image_type(b"\xff\xd8\xff\xe0" + b"\x00" * 20) == "jpg"
    assert image_type(b"GIF89a" + b"\x00" * 20) == "gif"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert image_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert image_type(b"<svg>") is None
