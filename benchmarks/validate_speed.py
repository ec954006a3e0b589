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
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import best_time, generated  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = generated(args.posts)
    command = [sys.executable, "-m", "pipeline", "validate", "--root", str(data), "--now", "2027-01-01 00:00"]
    runs = {
        "parse floor": [sys.executable, str(HERE / "floor_parse.py"), str(data)],
        "validate: content checks": [*command, "--checks", "content"],
        "validate: + rendering": [*command, "--checks", "content,render"],
        "validate: everything": command,
    }
    # The machine's speed drifts (a shared VM): each round runs every command once, one
    # after the other, and a round's ratios compare runs made moments apart. The median
    # of the rounds' ratios is reported, with each command's best time.
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, argv in runs.items():
            # exit 1 only says the generated calendar has findings: still a complete run
            rounds[name].append(best_time(argv, 1, ok=(0, 1)))
    floor = rounds["parse floor"]
    print(f"posts: {args.posts}, {args.repeat} rounds; best times, and the median of each round's "
          "ratio to the floor (wall, cpu)")
    for name, times in rounds.items():
        wall = min(t[0] for t in times)
        cpu = min(t[1] for t in times)
        wall_ratio = statistics.median(t[0] / f[0] for t, f in zip(times, floor, strict=True))
        cpu_ratio = statistics.median(t[1] / f[1] for t, f in zip(times, floor, strict=True))
        print(f"{name:<26} {wall:6.2f} s  {cpu:6.2f} s cpu   {wall_ratio:.2f}x  {cpu_ratio:.2f}x")
    print("targets: content checks at most 1.5x, with rendering at most 2x")


if __name__ == "__main__":
    main()
