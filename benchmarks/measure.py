"""What the benchmarks share: timing a command as a fresh process, and the generated repository."""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

from generate import generate

HERE = Path(__file__).resolve().parent


def best_time(command: list[str], repeat: int, *, ok: tuple[int, ...] = (0,), cwd: Path | None = None,
              env: dict | None = None) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (user + system of the child) over `repeat` runs.

    A run that exits with a status outside `ok` stops the benchmark: a broken run is no figure.
    """
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def generated(posts: int) -> Path:
    """benchmarks/.data/posts-N, generated on first use."""
    data = HERE / ".data" / f"posts-{posts}"
    if not (data / "content" / "posts").is_dir():
        generate(posts, data)
    return data
