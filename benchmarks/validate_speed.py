"""`social validate` on 10,000 posts against the parse floor, in the same run.

    python benchmarks/validate_speed.py [--posts 10000] [--repeat 3]

The floor reads every post and parses its front matter with libyaml's C loader,
nothing else (benchmarks/floor_parse.py). Both run as fresh processes, best of
--repeat, so interpreter start-up is in both. Prints wall-clock and CPU time
(user + system of the child process, steadier on a busy machine) and the ratios.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def best_time(command: list[str], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `command` over `repeat` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        if done.returncode not in (0, 1):  # 1: findings; anything else is a broken run
            raise SystemExit(f"{' '.join(command)} exited with {done.returncode}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = HERE / ".data" / f"posts-{args.posts}"
    if not (data / "content" / "posts").is_dir():
        generate(args.posts, data)
    floor = best_time([sys.executable, str(HERE / "floor_parse.py"), str(data)], args.repeat)
    validate = best_time([sys.executable, "-m", "pipeline", "validate", "--root", str(data)],
                         args.repeat)
    print(f"posts:            {args.posts}")
    print("                  wall      cpu")
    print(f"parse floor:      {floor[0]:.2f} s    {floor[1]:.2f} s")
    print(f"social validate:  {validate[0]:.2f} s    {validate[1]:.2f} s")
    print(f"ratio:            {validate[0] / floor[0]:.2f}x     {validate[1] / floor[1]:.2f}x")


if __name__ == "__main__":
    main()
