"""Ask the C allocator to keep the memory a build frees, for the next deck to reuse.

glibc gives freed memory back to the kernel as soon as more than 128 KiB of it
sits at the top of the heap, and serves blocks of 128 KiB or more (a deck's
SQLite database, its sheet) from fresh mappings it unmaps when they are freed.
A build frees most of each deck's memory before the next deck needs as much
again, so the kernel hands the same pages back, zeroed, a page fault each: in a
one-process build of 50,000 notes about 170,000 faults, a tenth of its CPU time
spent in the kernel. Kept instead, the heap stays at the build's peak, which it
reaches anyway (bench/run.py measures both, and peak memory).
"""

from __future__ import annotations

import sys

# Below this much source (bytes) a build makes a few decks, and there is nothing to reuse.
MIN_BYTES = 1024 * 1024

# glibc's mallopt parameters (malloc.h) and the largest mapping threshold it accepts on 64-bit systems.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MAX_MMAP_THRESHOLD = 32 * 1024 * 1024
_KEEP_UP_TO = 1 << 30  # freed memory at the top of the heap is returned to the kernel only past this

_kept = False


def keep_freed_memory() -> bool:
    """Keep freed memory in this process (and the workers it forks) from now on; False where the C library is not
    glibc, whose allocator is left as it is."""
    global _kept
    if _kept:
        return True
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: loading it is a hundredth of a small rebuild

    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: other parameters, or none
            return False
        # Each call returns 1 when glibc took the value. Setting either also stops glibc from moving the
        # mapping threshold by itself, which is why the mapping threshold is set too, to glibc's largest.
        trim_set = libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_UP_TO)
        mmap_set = libc.mallopt(_M_MMAP_THRESHOLD, _MAX_MMAP_THRESHOLD)
        _kept = bool(trim_set and mmap_set)
    except (OSError, AttributeError):
        return False
    return _kept
