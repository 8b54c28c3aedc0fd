"""Run independent jobs (one per deck) on every core, when there is enough work to pay for the workers.

Workers are forked where that is safe and cheap (Linux): they start in
milliseconds with everything already imported. Elsewhere the platform's
default start method imports ankigen again in each worker, so more work is
needed before they pay. ``ANKIGEN_JOBS=1`` keeps everything in one process
(for debugging, or to compare with a parallel build: the output is the same).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

C = TypeVar("C")
J = TypeVar("J")
R = TypeVar("R")

JOBS_ENV = "ANKIGEN_JOBS"
# Below this much source (bytes) a build takes a fraction of a second and
# starting workers costs more than it saves.
MIN_PARALLEL_BYTES = 256 * 1024 if sys.platform == "linux" else 4 * 1024 * 1024


def worker_count(jobs: int, weight: int) -> int:
    """How many processes to use for ``jobs`` jobs of ``weight`` bytes in all: 1 means in this one."""
    wanted = os.environ.get(JOBS_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        cores = int(wanted)
    elif weight < MIN_PARALLEL_BYTES:
        return 1
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, jobs))


def run_jobs(function: Callable[[C, J], R], context: C, jobs: Sequence[J], weights: Sequence[int],
             done: Callable[[int, R], R] | None = None) -> list[R]:
    """``function(context, job)`` for every job; the results in the jobs' order.

    ``context`` is sent to each worker once, not with every job. As each job
    finishes, ``done`` is called in this process with the number finished so far
    and the job's result, and what it returns is kept as the result.
    """
    workers = worker_count(len(jobs), sum(weights))
    results: list[Any] = [None] * len(jobs)
    if workers == 1:
        for index, job in enumerate(jobs):
            results[index] = function(context, job)
            if done:
                results[index] = done(index + 1, results[index])
        return results
    import multiprocessing  # here: a build that runs in one process never needs it

    method = "fork" if sys.platform == "linux" else None
    order = sorted(range(len(jobs)), key=lambda index: -weights[index])  # the biggest first: the cores end together
    with multiprocessing.get_context(method).Pool(workers, _start_worker, (function, context)) as pool:
        for finished, (index, result) in enumerate(pool.imap_unordered(_run, [(i, jobs[i]) for i in order]), 1):
            results[index] = done(finished, result) if done else result
    return results


# In a worker process: the function and context that every job is run with.
_worker: tuple[Callable[[Any, Any], Any], Any] | None = None


def _start_worker(function: Callable[[Any, Any], Any], context: Any) -> None:
    global _worker
    _worker = (function, context)


def _run(indexed: tuple[int, Any]) -> tuple[int, Any]:
    assert _worker is not None
    function, context = _worker
    index, job = indexed
    return index, function(context, job)


def map_in_threads(function: Callable[[J], R], jobs: Sequence[J], threads: int) -> list[R]:
    """``[function(job) for job in jobs]`` on up to ``threads`` threads (this one included), for work that
    reads or hashes files (which lets go of the GIL); the first error a job raised is raised here.

    concurrent.futures would do it, but loads logging, 8% of the instructions of a rebuild with nothing to do.
    """
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    next_index = iter(range(len(jobs))).__next__  # one C call: no two threads are given the same job

    def work() -> None:
        while not errors:
            try:
                index = next_index()
            except StopIteration:
                return
            try:
                results[index] = function(jobs[index])
            except BaseException as exc:
                errors.append(exc)

    helpers = [threading.Thread(target=work, daemon=True) for _ in range(min(threads, len(jobs)) - 1)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
    return results
