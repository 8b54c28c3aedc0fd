"""Write files so that readers see the old bytes or the new ones, never a part; and a build's files all or none.

New content goes to a temporary file in the target's own folder (so the
rename cannot cross file systems), is flushed to disk, and then replaces the
target with ``os.replace``, which is atomic. A build stages every output (and
the lock) this way before it renames any of them, so a full disk or a
read-only folder stops it with every old file in place; a build that fails
removes its temporary files, and the next build removes any a killed one left
(see ``build_folder``).

A problem of the file system (no space, no permission, a file where a folder
should be) is raised as ``OutputError``, naming the file: the environment, not
a bug, and not a mistake in a source.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Generic, TypeVar, cast

T = TypeVar("T")

TEMP_PREFIX = ".ankigen-tmp-"
# A temp file this old (seconds) is left over from a killed build, not one in progress. Only used where
# the folder cannot be locked (see build_folder): elsewhere a killed build's files are removed at once.
STALE_TEMP_AGE = 3600

_HINTS = {
    errno.ENOSPC: "free some space on that disk, then build again",
    errno.EDQUOT: "free some space within your disk quota, then build again",
    errno.EROFS: "that file system is mounted read-only; build into another folder with -o",
    errno.EACCES: "you may not write there: check its permissions, or build into another folder with -o",
    errno.EPERM: "you may not write there: check its permissions, or build into another folder with -o",
    errno.ENOTDIR: "part of that path is a file, not a folder; build into another folder with -o",
    errno.EISDIR: "a folder is in the way: move it, or build into another folder with -o",
    errno.ENAMETOOLONG: "the name is too long for that file system; use a shorter deck id or output folder",
}


class OutputError(Exception):
    """The output folder or a file in it cannot be read or written: a problem of the environment.

    ``written`` says whether any output had already been replaced when it happened.
    """

    def __init__(self, path: str, action: str, code: int, reason: str, written: bool = False) -> None:
        super().__init__(path, action, code, reason, written)  # as args, so it crosses processes intact
        self.path, self.action, self.code, self.reason, self.written = path, action, code, reason, written

    @classmethod
    def of(cls, path: Path, action: str, exc: OSError) -> OutputError:
        reason = exc.strerror or str(exc)
        return cls(os.fspath(path), action, exc.errno or 0, reason)

    def describe(self, shown: str) -> str:
        """One line for the user, with the path as ``shown``."""
        outcome = "some outputs were replaced and the lock was not; build again to finish" if self.written \
            else "nothing was written"
        hint = _HINTS.get(self.code, "")
        return f"cannot {self.action} {shown}: {self.reason}; {outcome}" + (f" ({hint})" if hint else "")


def stage_bytes(target: Path, data: bytes, token: str = "", flush: bool = True) -> Path:
    """Write ``data`` to a new temporary file beside ``target``, flushed to disk, for ``os.replace`` later.

    Outputs made in worker processes are staged in parallel and put in place
    (or removed) by the main process once the whole build is known to be good.
    ``token`` names the build the file belongs to (see ``build_folder``).
    With ``flush=False`` the caller must have ``flush_staged`` flush it before the rename.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where the folder should be
        raise OutputError(os.fspath(target.parent), "create the folder", errno.ENOTDIR,
                          os.strerror(errno.ENOTDIR)) from exc
    except OSError as exc:
        raise OutputError.of(target.parent, "create the folder", exc) from exc
    try:
        fd, temp = _new_file(target.parent, f"{TEMP_PREFIX}{token}-", target.suffix)
    except OSError as exc:
        raise OutputError.of(target, "write", exc) from exc
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if flush:
                os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError.of(target, "write", exc) from exc
        raise
    return temp


def _new_file(folder: Path, prefix: str, suffix: str) -> tuple[int, Path]:
    """A new file in ``folder`` with a random name no other file has, open for writing: as tempfile.mkstemp
    makes one, without loading tempfile and random for the one call (with importlib.resources, 0.7% of the
    instructions of rebuilding one edited deck of 100)."""
    for _ in range(100):
        path = folder / f"{prefix}{os.urandom(6).hex()}{suffix}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free name for a temporary file", os.fspath(folder))


def flush_staged(temp: Path, target: Path) -> Path:
    """Flush to disk a temp file that ``stage_bytes(..., flush=False)`` wrote, maybe in another process.

    A worker process that waited for the disk would leave its core idle; the
    main process, idle while workers build, waits instead. fsync flushes the
    file's data whichever descriptor wrote it, and reports a failed write-back
    that no one has seen yet (Linux 4.16+), so nothing is renamed unflushed.
    """
    try:
        _fsync_path(temp, os.O_RDWR)  # Windows flushes only what it may write
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError.of(target, "write", exc) from exc
    return temp


class Stager:
    """Stages outputs (``stage_bytes``) in a thread of their own while the build goes on.

    Writing and flushing to disk wait on the disk, not on the CPU: a build in one
    process renders the next deck meanwhile, and keeps no deck's bytes longer than
    it takes to write them. Leaving the ``with`` block waits for every write, so
    ``build_folder`` finds every temp file there is to remove.
    """

    def __init__(self, token: str) -> None:
        self.token = token  # names the temp files, as build_folder expects
        self._queue: queue.SimpleQueue[Pending[Path] | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None  # started by the first write: a no-op build has none

    def stage(self, target: Path, data: bytes) -> Pending[Path]:
        """The temp file ``data`` will be in; its ``result()`` raises ``OutputError`` if it cannot be written."""
        return self._submit(Pending(lambda: stage_bytes(target, data, self.token)))

    def flush(self, temp: Path, target: Path) -> Pending[Path]:
        """``temp`` (``target``'s new bytes, staged by a worker without flushing) once it is on disk."""
        return self._submit(Pending(lambda: flush_staged(temp, target)))

    def _submit(self, write: Pending[Path]) -> Pending[Path]:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_each, name="ankigen-stage", daemon=True)
            self._writer.start()
        self._queue.put(write)
        return write

    def _write_each(self) -> None:
        while (write := self._queue.get()) is not None:
            write.run()

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._writer is not None:  # wait for every write: a failed one has removed its own temp file
            self._queue.put(None)
            self._writer.join()


class Pending(Generic[T]):
    """What another thread is making: ``result()`` waits for it, then returns it or raises what making it raised.

    The part of concurrent.futures.Future that builds use; that module loads
    logging, 8% of the instructions of a rebuild with nothing to do.
    """

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._made = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        """Make it (in the thread that calls this); ``make`` and what it holds are let go of once done."""
        make, self._make = self._make, None
        assert make is not None, "run twice"
        try:
            self._value = make()
        except BaseException as exc:
            self._error = exc
        finally:
            self._made.set()

    def result(self) -> T:
        self._made.wait()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)

    def exception(self) -> BaseException | None:
        self._made.wait()
        return self._error


def write_bytes_atomic(target: Path, data: bytes, flush: bool = True) -> None:
    """Replace ``target`` with ``data`` in one rename; ``flush=False`` for a cache, which a crash may leave
    torn (its reader must then find it damaged) but never half-replaced."""
    temp = stage_bytes(target, data, flush=flush)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def replace_all(staged: list[tuple[Path, Path]], written: bool = False) -> None:
    """Rename each staged temp file onto its target, in order, then make the renames durable.

    Nothing but renames happens here, so a crash can only leave some targets new
    and the rest old with their temp files beside them (the lock goes last).
    ``written`` says whether other outputs were already put in place.
    """
    done = 0
    try:
        for temp, target in staged:
            os.replace(temp, target)
            done += 1
    except OSError as exc:
        raise OutputError(os.fspath(staged[done][1]), "write", exc.errno or 0, exc.strerror or str(exc),
                          written=written or done > 0) from exc
    for folder in {target.parent for _, target in staged}:
        with contextlib.suppress(OSError):  # not every file system can sync a folder
            _fsync_path(folder, os.O_RDONLY)


def _fsync_path(path: Path, flags: int) -> None:
    """Flush to disk what is written to the file or folder at ``path``, opened with ``flags``."""
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def build_folder(folder: Path) -> Iterator[str]:
    """Write a build into ``folder``: yields the token its temp files are named with, and removes them at the end.

    The build holds a shared lock (``flock``) on the folder while it runs. A
    build that can take it exclusively first knows no other build is writing
    there, so every temp file in the folder is left over from a killed build
    and is removed, whatever its age (on a full disk, at once). Where the
    folder cannot be locked, only temp files older than STALE_TEMP_AGE are.
    """
    token = os.urandom(6).hex()
    descriptor = _lock_alone(folder)
    try:
        remove_stale_temps(folder, everything=descriptor is not None and descriptor[1])
        yield token
    finally:
        with contextlib.suppress(OSError):
            for path in folder.glob(f"{TEMP_PREFIX}{token}-*"):
                path.unlink(missing_ok=True)
        if descriptor is not None:
            os.close(descriptor[0])  # releases the lock


def _lock_alone(folder: Path) -> tuple[int, bool] | None:
    """An open descriptor of ``folder`` holding a shared lock, and whether no other build held one; or None."""
    try:
        import fcntl
    except ImportError:  # not on this platform
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # lets other builds run, and tells them this one is running
    except OSError:
        os.close(descriptor)
        return None
    return descriptor, alone


def remove_stale_temps(folder: Path, now: float | None = None, everything: bool = False) -> list[Path]:
    """Delete temp files that killed builds left in ``folder`` (all of them with ``everything``); returns them."""
    cutoff = (time.time() if now is None else now) - STALE_TEMP_AGE
    removed = []
    try:
        found = list(folder.glob(TEMP_PREFIX + "*"))
    except OSError:
        return []
    for path in found:
        try:
            if path.is_file() and (everything or path.stat().st_mtime < cutoff):
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove: leave it
    return removed
