"""Images in card text: find each one beside its source, check it, and bundle it under a content-hash name.

The rules are a promise to authors (README, "Images"):

- An image's path is relative to the folder of the source file that names it,
  and must stay inside that folder: ``..`` that climbs out of it, absolute
  paths, and symbolic links to files outside it are refused, so a source can
  only ever ship files from its own folder tree, whoever wrote it and wherever
  ``ankigen`` runs.
- Remote images (``https://...``) and ``data:`` URIs are refused: cards and
  sheets load nothing from the web.
- Only PNG, JPEG, GIF and WebP, read from the file's content, of at most
  ``MAX_IMAGE_BYTES``. SVG is refused because it can carry scripts, and Anki
  runs card HTML as a web page.
- A bundled image is named ``ankigen-<first 16 hex digits of its SHA-256>.<ext>``,
  so two decks or two files never collide in Anki's one media folder, and a
  changed image gets a new name (the note changes too, so Anki updates it).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ankigen.errors import Diagnostic, error
from ankigen.model import Location, Text

# A card shows an image at screen size; a bigger file is a photo straight from
# a camera, and it would be copied into every deck and, base64-encoded, every sheet.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# All the images of one deck: the .apkg and the sheet carry each once, and this keeps both a size to share.
MAX_DECK_MEDIA_BYTES = 32 * 1024 * 1024
ALLOWED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
MEDIA_PREFIX = "ankigen-"  # fixed: names already in users' collections depend on it

_SIGNATURES = (  # (magic bytes at offset 0, bytes at offset 8, extension of the bundled name)
    (b"\x89PNG\r\n\x1a\n", b"", "png"),
    (b"\xff\xd8\xff", b"", "jpg"),
    (b"GIF87a", b"", "gif"),
    (b"GIF89a", b"", "gif"),
    (b"RIFF", b"WEBP", "webp"),
)
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
_TYPES_HINT = "use PNG, JPEG, GIF or WebP, which Anki shows on every device"
_PATH_HINT = "write a path relative to the source's folder, such as 'images/diagram.png'"


@dataclass(frozen=True)
class _Problem:
    message: str
    hint: str


@dataclass
class ImageFolder:
    """The images one source refers to: resolved under ``base_dir``, collected into ``media``.

    Pass ``image_src(text)`` to the renderer for each text; every image it meets
    is checked once, and what is wrong with it is reported at that text.
    """

    base_dir: str
    media: dict[str, bytes] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)
    # Every file looked for, by its path relative to ``base_dir`` ('/'-separated): its sha256, or "" when
    # it could not be used. The lock keeps them, so a changed or deleted image rebuilds its deck.
    reads: dict[str, str] = field(default_factory=dict)
    _names: dict[str, str | _Problem] = field(default_factory=dict)  # src as written -> name or problem

    def image_src(self, text: Text, *more: Text) -> Callable[[str], str | None]:
        """The renderer's hook for ``text`` (and ``more`` rendered with it: errors point at the one holding the src)."""
        texts = (text, *more)

        def resolve(src: str) -> str | None:
            outcome = self._names.get(src)
            if outcome is None:
                outcome = self._names[src] = self._bundle(src)
            if isinstance(outcome, str):
                return outcome
            diagnostic = error(_locate(texts, src), outcome.message, outcome.hint)
            if diagnostic not in self.problems:
                self.problems.append(diagnostic)
            return None

        return resolve

    def _bundle(self, src: str) -> str | _Problem:
        found = self._read(src)
        if isinstance(found, _Problem):
            return found
        data, extension, digest = found
        name = f"{MEDIA_PREFIX}{digest[:16]}.{extension}"
        if name not in self.media and sum(map(len, self.media.values())) + len(data) > MAX_DECK_MEDIA_BYTES:
            mib = 1024 * 1024
            return _Problem(f"image '{src}' takes the deck's images past {MAX_DECK_MEDIA_BYTES // mib} MiB",
                            "use smaller images, or split the deck into several source files")
        self.media[name] = data
        return name

    def _read(self, src: str) -> tuple[bytes, str, str] | _Problem:
        path = _relative_path(src)
        if isinstance(path, _Problem):
            return path
        root = Path(self.base_dir or ".").resolve()
        shown = _shown(self.base_dir, path)
        if not Path(os.path.normpath(root / path)).is_relative_to(root):
            return _Problem(f"image path '{src}' leaves the source's folder",
                            f"keep images in {_shown(self.base_dir, '')} or a folder below it")
        relative = Path(os.path.normpath(path)).as_posix()
        self.reads.setdefault(relative, "")
        try:
            target = (root / path).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            return _Problem(f"cannot read image '{src}': {exc}", "")
        if not target.is_relative_to(root):
            return _Problem(f"image '{src}' is a link to a file outside the source's folder",
                            "copy the file into the folder instead of linking to it")
        suffix = target.suffix.lower()
        if suffix == ".svg":
            return _Problem(f"image '{src}' is an SVG, which can carry scripts", "convert it to PNG")
        try:
            info = target.stat()
        except FileNotFoundError:
            return _Problem(f"image '{src}' not found (looked for {shown})",
                            "check the spelling; paths are relative to the source's folder")
        except OSError as exc:
            return _Problem(f"cannot read image '{src}': {exc.strerror or exc}", "")
        if not stat.S_ISREG(info.st_mode):  # a folder, or a pipe that would block the build
            return _Problem(f"image '{src}' is not a file ({shown})", _PATH_HINT)
        if suffix not in ALLOWED_SUFFIXES:
            return _Problem(f"image '{src}' is not a PNG, JPEG, GIF or WebP file", _TYPES_HINT)
        if info.st_size > MAX_IMAGE_BYTES:
            return _too_large(src, info.st_size)
        try:
            with target.open("rb") as file:
                data = file.read(MAX_IMAGE_BYTES + 1)  # the file may have grown since stat()
        except OSError as exc:
            return _Problem(f"cannot read image '{src}': {exc.strerror or exc}", "")
        if len(data) > MAX_IMAGE_BYTES:
            return _too_large(src, len(data))
        extension = image_type(data)
        if extension is None:
            return _Problem(f"image '{src}' is not a PNG, JPEG, GIF or WebP image (its content is not)",
                            _TYPES_HINT)
        digest = self.reads[relative] = hashlib.sha256(data).hexdigest()
        return data, extension, digest


def image_type(data: bytes) -> str | None:
    """The extension for ``data`` if it is an image type we bundle (by its content), else None."""
    for magic, at_eight, extension in _SIGNATURES:
        if data.startswith(magic) and data[8:8 + len(at_eight)] == at_eight:
            return extension
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels from an image's header (PNG, GIF, JPEG, WebP), or None if they can't be read."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"GIF") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        return None
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data) and data[index] == 0xFF:
            marker, length = data[index + 1], int.from_bytes(data[index + 2:index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                width, height = data[index + 7:index + 9], data[index + 5:index + 7]
                return int.from_bytes(width, "big"), int.from_bytes(height, "big")
            index += 2 + length
    return None


def _relative_path(src: str) -> str | _Problem:
    """The file path ``src`` names, if it is a plain relative path; else why not."""
    short = src if len(src) <= 60 else src[:57] + "..."
    if not src.strip():
        return _Problem("image has no path", _PATH_HINT)
    if src.lower().startswith("data:"):
        return _Problem(f"embedded image data ('{short}') is not allowed",
                        "save the image as a file in the source's folder and write its path")
    if _WINDOWS_DRIVE.match(src) or (src.startswith(("/", "\\")) and not src.startswith(("//", "\\\\"))):
        return _Problem(f"image path '{short}' is absolute", _PATH_HINT)
    parts = urlsplit(src)
    if parts.scheme in ("http", "https", "ftp") or src.startswith(("//", "\\\\")):
        return _Problem(f"remote image '{short}' is not allowed",
                        "cards and sheets load nothing from the web: download the image into the "
                        "source's folder and write its path, such as 'images/diagram.png'")
    if parts.scheme:
        return _Problem(f"image source '{short}' is not a file path", _PATH_HINT)
    if "\\" in src:
        return _Problem(f"image path '{short}' contains '\\'", "separate folders with '/'")
    if parts.query or parts.fragment or src.endswith(("?", "#")):
        return _Problem(f"image path '{short}' has a '?' or '#' part",
                        "write only the file's path; a '#' or '?' in a file name is written '%23' or '%3F'")
    path = unquote(parts.path)
    if any(ord(char) < 32 or char == "\x7f" for char in path):
        return _Problem(f"image path {path!r} contains a control character", _PATH_HINT)
    if path.startswith("/"):  # '%2F...' decodes to an absolute path
        return _Problem(f"image path '{short}' is absolute", _PATH_HINT)
    return path


def _too_large(src: str, size: int) -> _Problem:
    mib = 1024 * 1024
    shown = math.ceil(size * 10 / mib) / 10  # rounded up, so a file just over the limit never reads as the limit
    return _Problem(f"image '{src}' is too large ({shown:.1f} MiB; the limit is {MAX_IMAGE_BYTES // mib} MiB)",
                    "shrink or compress it: cards show images at screen size")


def _shown(base_dir: str, path: str) -> str:
    """A path for messages, as the user named the source's folder, with '/'."""
    joined = os.path.normpath(os.path.join(base_dir, path)) if base_dir or path else "."
    shown = Path(joined).as_posix()
    return shown + "/" if not path and not shown.endswith("/") else shown


def _locate(texts: tuple[Text, ...], src: str) -> Location:
    """Where ``src`` is written in the first text that contains it (the text's start if none does)."""
    for text in texts:
        offset = text.source.find(src)
        if offset >= 0:
            return text.at(offset)
    return texts[0].location
