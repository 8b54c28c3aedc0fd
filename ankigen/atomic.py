"""Write a file so that readers see the old bytes or the new ones, never a part.

The new content goes to a temporary file in the target's own folder (so the
rename cannot cross file systems), is flushed to disk, and then replaces the
target with ``os.replace``, which is atomic. A build that fails or is killed
leaves the previous output as it was, plus at worst a stray temp file, which
a later build removes once it is old enough not to belong to a build still
running.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = ".ankigen-tmp-"
# A temp file this old (seconds) is left over from a killed build, not one in progress.
STALE_TEMP_AGE = 3600


def stage_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``target``, flushed to disk, for ``os.replace`` later.

    Outputs made in worker processes are staged in parallel and put in place
    (or removed) by the main process once the whole build is known to be good.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    temp = Path(name)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def write_bytes_atomic(target: Path, data: bytes) -> None:
    temp = stage_bytes(target, data)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_stale_temps(folder: Path, now: float | None = None) -> list[Path]:
    """Delete temp files that killed builds left in ``folder``; returns what it removed."""
    cutoff = (time.time() if now is None else now) - STALE_TEMP_AGE
    removed = []
    for path in folder.glob(TEMP_PREFIX + "*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove: leave it
    return removed
