"""`social validate` on 10,000 posts against the parse floor, in the same run.

    python benchmarks/validate_speed.py [--posts 10000] [--repeat 3]

The floor reads every post and parses its front matter with libyaml's C loader,
nothing else (benchmarks/floor_parse.py). Both run as fresh processes, best of
--repeat, so interpreter start-up is in both. Prints the times and the ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def best_time(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


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
    print(f"parse floor:      {floor:.2f} s")
    print(f"social validate:  {validate:.2f} s")
    print(f"ratio:            {validate / floor:.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main()
