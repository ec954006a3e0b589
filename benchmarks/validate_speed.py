"""`social validate` on 10,000 posts against the parse floor, in the same run.

    python benchmarks/validate_speed.py [--posts 10000] [--repeat 3]

Four runs: the floor, then `social validate` with the content checks only (the
schema, times, media: issue 2's figure), with rendering and counting for every
channel (issue 3's), and with everything (cadence and the ledger too).
The floor reads every post and parses its front matter with libyaml's C loader,
nothing else (benchmarks/floor_parse.py). Both run as fresh processes, best of
--repeat, so interpreter start-up is in both. Prints wall-clock and CPU time
(user + system of the child process, steadier on a busy machine) and the ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import best_time, generated  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = generated(args.posts)
    command = [sys.executable, "-m", "pipeline", "validate", "--root", str(data), "--now", "2027-01-01 00:00"]
    runs = {
        "parse floor": [sys.executable, str(HERE / "floor_parse.py"), str(data)],
        "validate: content checks": [*command, "--checks", "content"],
        "validate: + rendering": [*command, "--checks", "content,render"],
        "validate: everything": command,
    }
    # exit 1 only says the generated calendar has findings: still a complete run
    times = {name: best_time(argv, args.repeat, ok=(0, 1)) for name, argv in runs.items()}
    floor = times["parse floor"]
    print(f"posts: {args.posts}, best of {args.repeat}; ratios against the floor (wall, cpu)")
    for name, (wall, cpu) in times.items():
        print(f"{name:<26} {wall:6.2f} s  {cpu:6.2f} s cpu   {wall / floor[0]:.2f}x  {cpu / floor[1]:.2f}x")
    print("targets: content checks at most 1.5x, with rendering at most 2x")

if __name__ == "__main__":
    main()
