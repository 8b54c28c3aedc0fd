"""Every file a deck reads decides whether it is rebuilt: an edited, deleted or added image is noticed
by `build`, `build --check` and `watch`, and a no-op rebuild still reads nothing it need not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankigen import loader
from ankigen.cli import cli
from tests.anki_collection import Collection, import_apkg
from tests.test_media import bundled_name, png, write_pictures
from tests.test_watch import wait_for

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """cards/pictures.yaml with its two images, built once into decks/ (the working directory is the project)."""
    monkeypatch.chdir(tmp_path)
    write_pictures(tmp_path)
    assert run("build").exit_code == 0
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), env=EPOCH)


def outcome(*args: str) -> tuple[int, list[str], list[str]]:
    result = CliRunner().invoke(cli, list(args), env=EPOCH)
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_the_lock_records_every_image_a_deck_read_with_its_sha256(project: Path) -> None:
    import hashlib

    lock = json.loads((project / "decks" / "ankigen.lock").read_text("utf-8"))
    assert lock["decks"]["pictures"]["reads"] == {
        "images/cat.png": hashlib.sha256(png(1)).hexdigest(),
        "images/map.png": hashlib.sha256(png(2, b"\x00\x00\xff")).hexdigest()}


def test_a_replaced_image_makes_check_stale_and_build_rebuild_its_deck(project: Path,
                                                                       collection: Collection) -> None:
    new_cat = png(3, b"\x00\xff\x00")
    (project / "cards" / "images" / "cat.png").write_bytes(new_cat)

    assert outcome("build", "--check") == (1, [
        "pictures: stale (decks/pictures.apkg, decks/pictures.html would change; "
        "added 0, changed 3, removed 0, unchanged 0)"],  # the cat is on the myth's, its fact's and the item's cards
        ["error: decks are out of date with their sources; run this and commit the result: ankigen build"])
    code, out, _ = outcome("build", "--format", "apkg,html")
    assert code == 0 and "changed 3" in out[0] and "; wrote decks/pictures.apkg" in out[0]
    assert outcome("build", "--check")[0] == 0

    import_apkg(collection, project / "decks" / "pictures.apkg")
    media = Path(collection.media.dir())
    assert (media / bundled_name(new_cat)).read_bytes() == new_cat
    assert bundled_name(png(1)) not in {path.name for path in media.iterdir()}


def test_a_deleted_image_is_an_error_where_it_is_used_and_nothing_is_written(project: Path) -> None:
    before = files(project / "decks")
    (project / "cards" / "images" / "cat.png").unlink()
    missing = ("error: image 'images/cat.png' not found (looked for cards/images/cat.png) "
               "(check the spelling; paths are relative to the source's folder)")
    expected = [f"cards/pictures.yaml:5:53: {missing}", f"cards/pictures.yaml:10:79: {missing}"]

    assert outcome("build") == (1, [], [*expected, "error: 2 error(s); nothing was written"])
    assert outcome("build", "--check") == (1, [], [*expected, "error: 2 error(s); nothing was written"])
    assert files(project / "decks") == before


def test_a_no_op_rebuild_neither_parses_the_source_nor_reads_its_images(project: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ankigen import digests

    monkeypatch.setattr(digests, "SETTLED_NS", 0)
    assert outcome("build")[0] == 0  # remembers every digest
    before = files(project / "decks")
    read_bytes = Path.read_bytes

    def refuse_images(self: Path) -> bytes:
        if self.suffix == ".png":
            raise AssertionError(f"{self} was read")
        return read_bytes(self)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged deck was parsed")

    monkeypatch.setattr(Path, "read_bytes", refuse_images)
    monkeypatch.setattr(loader, "parse_source", refuse)
    monkeypatch.setattr(loader, "load_source", refuse)
    code, out, _ = outcome("build")
    assert code == 0 and "added 0, changed 0, removed 0, unchanged 3; unchanged" in out[0]
    assert files(project / "decks") == before


def test_a_lock_from_before_reads_were_kept_is_read_and_its_deck_rebuilt_once(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = project / "decks" / "ankigen.lock"
    lock.write_text("".join(line for line in lock.read_text("utf-8").splitlines(keepends=True)
                            if not line.startswith('   "reads": ')), "utf-8")
    outputs = {name: data for name, data in files(project / "decks").items() if name != "ankigen.lock"}
    parsed = []
    real_parse = loader.parse_source

    def counting(*args: object, **kwargs: object) -> object:
        parsed.append(args[1])
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "parse_source", counting)
    assert outcome("build", "--check")[0] == 1  # the lock would gain the reads
    assert outcome("build")[0] == 0 and parsed == ["cards/pictures.yaml"] * 2
    assert '   "reads": {"images/cat.png": ' in lock.read_text("utf-8")
    assert {name: data for name, data in files(project / "decks").items() if name != "ankigen.lock"} == outputs
    assert outcome("build")[0] == 0 and len(parsed) == 2  # skipped from now on


def test_watch_rebuilds_when_an_image_is_replaced_deleted_or_restored(project: Path) -> None:
    log = project / "watch.log"
    apkg = project / "decks" / "pictures.apkg"
    first = apkg.read_bytes()
    with open(log, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "ankigen", "watch", "--interval", "0.1"],
                                   cwd=project, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "watching cards for changes" in log.read_text(), "the first build")
        cat = project / "cards" / "images" / "cat.png"
        cat.write_bytes(png(3, b"\x00\xff\x00"))
        wait_for(lambda: apkg.read_bytes() != first, "the rebuild after replacing an image")
        second = apkg.read_bytes()

        cat.unlink()
        wait_for(lambda: "image 'images/cat.png' not found" in log.read_text(), "the error for a deleted image")
        assert process.poll() is None and apkg.read_bytes() == second

        cat.write_bytes(png(4, b"\x00\xff\x00"))  # restored, as the build that failed had looked for it
        wait_for(lambda: apkg.read_bytes() not in (first, second), "the rebuild after restoring the image")
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Traceback" not in log.read_text()
