"""What the benchmarks share: timing a command as a fresh process, and the generated repository."""

from __future__ import annotations

import compileall
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from generate import generate

HERE = Path(__file__).resolve().parent
#: where generated calendars are kept between runs (git-ignored)
DATA = Path(os.environ.get("SOCIAL_BENCHMARK_DATA") or HERE / ".data")


@dataclass(frozen=True)
class Run:
    """One run of a command: wall-clock and CPU seconds (its processes', workers included), and the
    peak memory of its largest process in MiB."""

    wall: float
    cpu: float
    peak_mib: float


_compiled = False


def _compile_package() -> None:
    """Write the package's bytecode once, before the first timed run. With PYTHONDONTWRITEBYTECODE
    set (as on the development machine) or after a change, every fresh process would otherwise
    compile the changed modules again, a cost no installed copy pays."""
    global _compiled
    if not _compiled:
        compileall.compile_dir(HERE.parent / "pipeline", quiet=2)
        _compiled = True


def run_once(command: list[str], *, ok: tuple[int, ...] = (0,), cwd: Path | None = None,
             env: dict | None = None) -> Run:
    """Run `command` once as a fresh process. A run that exits with a status outside `ok` stops the
    benchmark: a broken run is no figure."""
    _compile_package()
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=devnull, stderr=errors)
        # wait4, not wait: the resources of this child alone (and of the workers it waited for)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ok:
            errors.seek(0)
            text = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} exited with {process.returncode}:\n{text[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def best_time(command: list[str], repeat: int, *, ok: tuple[int, ...] = (0,), cwd: Path | None = None,
              env: dict | None = None) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (user + system of the child) over `repeat` runs."""
    runs = [run_once(command, ok=ok, cwd=cwd, env=env) for _ in range(repeat)]
    return min(run.wall for run in runs), min(run.cpu for run in runs)


def generated(posts: int) -> Path:
    """benchmarks/.data/posts-N (or under $SOCIAL_BENCHMARK_DATA), generated on first use."""
    data = DATA / f"posts-{posts}"
    if not (data / "content" / "posts").is_dir():
        generate(posts, data)
    return data
