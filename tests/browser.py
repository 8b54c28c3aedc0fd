"""Test helpers that print HTML to PDF in *real* headless Chromium and read the PDF back with poppler.

A study sheet is only right if it prints right, so the tests do what a user
does: open the file in Chromium and print it. ``print_pdfs`` runs a few
prints at once (each Chromium gets its own profile folder), and returns what
the pages logged to the console: a blocked or failed load shows up there.

Chromium and poppler-utils (``pdftotext``, ``pdfinfo``) are Debian packages.
Tests that need them call ``require_browser()``: without them the test is
skipped with a message saying what is missing, except when
``ANKIGEN_REQUIRE_CHROMIUM=1`` (``.ci/run`` sets it), where it fails instead,
so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRE_ENV = "ANKIGEN_REQUIRE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
POPPLER_TOOLS = ("pdftotext", "pdfinfo", "pdfimages")
# A private, quiet browser: no first-run UI, no background or component downloads, no QUIC probing.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-pdf-header-footer",
    "--enable-logging=stderr", "--v=0",
)
PRINT_TIMEOUT = 60  # seconds for one print
_CONSOLE = "INFO:CONSOLE"


def chromium_path() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def missing_tools() -> list[str]:
    missing = [] if chromium_path() else ["chromium"]
    return missing + [tool for tool in POPPLER_TOOLS if not shutil.which(tool)]


def require_browser() -> None:
    """Skip the calling test when Chromium or poppler is missing, or fail when CI requires them."""
    missing = missing_tools()
    if not missing:
        return
    why = (f"{', '.join(missing)} not found: these tests print study sheets in headless Chromium; "
           "install the Debian packages chromium and poppler-utils (.ci/run does)")
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{why}; {REQUIRE_ENV}=1 forbids skipping them", pytrace=False)
    pytest.skip(why)


@dataclass(frozen=True)
class Printed:
    pdf: Path
    console: tuple[str, ...]  # what the page logged: CSP violations, failed loads, errors


def print_pdfs(jobs: Sequence[tuple[Path, Path]]) -> list[Printed]:
    """Print each (html, pdf) pair with headless Chromium, a few at a time; fail the test on any error."""
    chromium = chromium_path()
    assert chromium, "call require_browser() first"
    with tempfile.TemporaryDirectory(prefix="ankigen-chromium-") as profiles, \
            ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        runs = [pool.submit(_print_one, chromium, html_path, pdf_path, Path(profiles) / str(index))
                for index, (html_path, pdf_path) in enumerate(jobs)]
        return [run.result() for run in runs]


def _print_one(chromium: str, html_path: Path, pdf_path: Path, profile: Path) -> Printed:
    pdf_path.unlink(missing_ok=True)
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}",
               html_path.resolve().as_uri()]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                              timeout=PRINT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not print {html_path.name} within {PRINT_TIMEOUT} s", pytrace=False)
    if done.returncode != 0 or not pdf_path.is_file():
        pytest.fail(f"chromium failed to print {html_path.name} (exit {done.returncode}):\n{done.stderr[-2000:]}",
                    pytrace=False)
    return Printed(pdf_path, tuple(line for line in done.stderr.splitlines() if _CONSOLE in line))


def with_page_size(document: str, size: str) -> str:
    """The document with ``@page { size: ... }`` added last, as if the printer had that paper (A4, letter)."""
    return document.replace("</head>", f"<style>@page {{ size: {size}; }}</style>\n</head>", 1)


def with_policy(document: str, policy: str) -> str:
    """The document with a Content-Security-Policy of the test's own, in force before anything else in <head>."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return document.replace("<head>", f"<head>\n{meta}", 1)


def pdf_info(pdf: Path) -> dict[str, str]:
    output = _run(["pdfinfo", str(pdf)])
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in output.splitlines())}


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page in the order Chromium drew it (pdftotext separates pages with form feeds).

    ``-raw`` keeps drawing order, which is document order; pdftotext's layout
    analysis would move words around blanks and join hyphenated line breaks.
    """
    pages = _run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"]).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


@dataclass(frozen=True)
class PdfPage:
    width: float  # points
    height: float
    words: tuple[Word, ...]


def pdf_words(pdf: Path) -> list[PdfPage]:
    """Every word of every page with its box in points, from ``pdftotext -bbox``."""
    root = ET.fromstring(_run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"]))
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        words = tuple(Word(word.text or "", *(float(word.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax")))
                      for word in page.iter("{http://www.w3.org/1999/xhtml}word"))
        pages.append(PdfPage(float(page.attrib["width"]), float(page.attrib["height"]), words))
    return pages


def _run(command: list[str]) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, encoding="utf-8").stdout
