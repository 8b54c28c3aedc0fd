"""Rebuild when sources change: a polling loop, so it needs no extra dependency and works on every file system.

Besides the sources, it watches every other file the last build read or looked
for (the images the sources show), so replacing, deleting or adding one
rebuilds its deck too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ankigen.pipeline import discover_sources

Snapshot = dict[str, tuple[int, int, int] | None]


def snapshot(paths: Sequence[str], others: Iterable[Path] = ()) -> Snapshot:
    """Each source file's and each of ``others``' (mtime_ns, size, inode), None if missing: enough to notice a save."""
    files, _ = discover_sources(paths)
    return _stat_each([*files, *others])


def _stat_each(files: Iterable[Path]) -> Snapshot:
    state: Snapshot = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:
            state[path.as_posix()] = None
            continue
        state[path.as_posix()] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return state


def watch(paths: Sequence[str], rebuild: Callable[[], Iterable[Path]], interval: float = 0.5,
          keep_going: Callable[[], bool] = lambda: True) -> None:
    """Call ``rebuild`` once, then again after every change to the sources or to the other files it read.

    ``rebuild`` returns the files the build read or looked for besides the sources.
    """
    previous = snapshot(paths)  # taken before building: a save while it builds is noticed next time
    others = set(rebuild())
    previous.update(_stat_each(others.difference(map(Path, previous))))
    while keep_going():
        time.sleep(interval)
        current = snapshot(paths, others)
        if current != previous:
            previous = current
            others = set(rebuild())
            previous.update(_stat_each(others.difference(map(Path, previous))))
