"""Run a command and print its peak memory (RSS) in bytes, worker processes included.

    python bench/peak_rss.py RESULT_FILE COMMAND...

A small process of its own, because Linux reports at least the parent's size
as a child's peak (exec keeps the high-water mark of the process that forked),
so a benchmark that has imported a lot would inflate what it measures. Two
readings, the larger one wins: the kernel's peak (``wait4``'s ru_maxrss, the
largest single process), and the largest sum over the process tree sampled
every few milliseconds (worker processes side by side).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants now (0 once it is gone)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def main() -> int:
    result, command = sys.argv[1], sys.argv[2:]
    process = subprocess.Popen(command)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.002)
    with open(result, "w", encoding="ascii") as handle:
        handle.write(str(max(peak, usage.ru_maxrss * 1024)))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
