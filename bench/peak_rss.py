"""Run a command and write its peak memory, worker processes included, as JSON to RESULT_FILE.

    python bench/peak_rss.py RESULT_FILE COMMAND...

Three readings, in bytes:

- ``maxrss``: the kernel's own peak RSS of the largest single process (``wait4``);
- ``rss_sum``: the largest sum of RSS over the process tree, sampled every few
  milliseconds; it counts pages that forked workers share with their parent
  once per process, so it overstates what a parallel build uses;
- ``pss_sum``: the largest sum of PSS (proportional set size: a page shared by
  n processes counts 1/n in each) over the tree, sampled the same way: the
  memory the tree really occupies. The benchmark compares this one.

It also writes ``processes``, the most processes the tree had at once (workers or not).

A small process of its own, because Linux reports at least the forking
process's size as a child's ``maxrss`` (exec keeps its high-water mark), so a
benchmark that has imported a lot would inflate what it measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def _status(pid: int, field: str, name: str) -> int:
    """A ``kB`` field of a /proc file, in bytes (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/{name}", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def main() -> int:
    result, command = sys.argv[1], sys.argv[2:]
    process = subprocess.Popen(command)
    rss_sum = pss_sum = 0
    processes = 1
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        tree = _tree(process.pid)
        processes = max(processes, len(tree))
        rss_sum = max(rss_sum, sum(_status(p, "VmRSS:", "status") for p in tree))
        pss_sum = max(pss_sum, sum(_status(p, "Pss:", "smaps_rollup") for p in tree))
        time.sleep(0.003)
    maxrss = usage.ru_maxrss * 1024
    with open(result, "w", encoding="ascii") as handle:
        json.dump({"maxrss": maxrss, "rss_sum": max(rss_sum, maxrss), "pss_sum": pss_sum or maxrss,
                   "processes": processes}, handle)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
