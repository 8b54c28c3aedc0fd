"""Rebuild when sources change: a polling loop, so it needs no extra dependency and works on every file system."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ankigen.pipeline import discover_sources

Snapshot = dict[str, tuple[int, int]]


def snapshot(paths: Sequence[str]) -> Snapshot:
    """Each source file's (mtime_ns, size): enough to notice a save."""
    files, _ = discover_sources(paths)
    state: Snapshot = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            continue
        state[path.as_posix()] = (info.st_mtime_ns, info.st_size)
    return state


def watch(paths: Sequence[str], rebuild: Callable[[], object], interval: float = 0.5,
          keep_going: Callable[[], bool] = lambda: True) -> None:
    """Call ``rebuild`` once, then again after every change to the sources, until ``keep_going`` says stop."""
    previous = snapshot(paths)
    rebuild()
    while keep_going():
        time.sleep(interval)
        current = snapshot(paths)
        if current != previous:
            previous = current
            rebuild()
