"""Work over many post files spread over every core, when there is enough of it to pay.

A cold `social validate` reads, renders and counts every post: the work of one post
needs nothing of another's, so it is spread over a pool of worker processes, one per
core this process may use. Starting the pool and sending the results back costs about
as much as a few hundred posts (docs/benchmarks.md measures it), so below
`THRESHOLD` posts the work stays in this process.

The workers are forked: they start with everything this process has loaded (the
configuration, the files' bytes, the compiled expressions), so a task is only a range
of indices and only the results travel back. Where the system cannot fork (Windows,
and macOS, where forking is unsafe), the work stays in this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

#: below this many posts to read or render, starting workers costs more than it saves (measured
#: on the 2-core development machine: docs/benchmarks.md, "Where the pool starts to pay")
THRESHOLD = 2000
#: tasks per worker: small enough to even out, large enough that sending them costs little
TASKS_PER_WORKER = 4

# What the workers work on: set before they fork, so they inherit it instead of receiving it.
_JOB: tuple[Callable[[int], object], Sequence[int]] | None = None


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    import multiprocessing  # only where there is enough work to fork for

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def workers_for(count: int, jobs: int | None = None, threshold: int = THRESHOLD) -> int:
    """How many worker processes `count` items are worth: 0 for none (work in this process)."""
    jobs = available_cores() if jobs is None else jobs
    if jobs < 2 or count < threshold or not can_fork():
        return 0
    return min(jobs, max(1, count // max(threshold // 2, 1)))


def run_each(work: Callable[[int], object], items: Sequence[int], workers: int) -> list:
    """work(item) for each item, in order: in `workers` forked processes, or here when 0."""
    global _JOB
    if workers < 1 or not items:
        return [work(item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = max(1, -(-len(items) // (workers * TASKS_PER_WORKER)))
    spans = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    # Output still in a buffer would be written again by each worker as it exits.
    sys.stdout.flush()
    sys.stderr.flush()
    _JOB = (work, items)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [result for chunk in pool.map(_run_span, spans) for result in chunk]
    except BrokenProcessPool:  # a worker was killed (out of memory?): the work is done here instead
        return [work(item) for item in items]
    finally:
        _JOB = None


def _run_span(span: range) -> list:
    work, items = _JOB
    return [work(items[index]) for index in span]
