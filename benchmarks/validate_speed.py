"""`social validate` against the parse floor, in the same run: cold, warm, and after one post changed.

    python benchmarks/validate_speed.py [--posts 10000] [--rounds 5]

The floor reads every post and parses its front matter with libyaml's C loader,
nothing else (benchmarks/floor_parse.py). Each round runs, as fresh processes, one
after the other: the floor; `social validate` cold (no .social-cache/: everything read,
rendered and counted, over every core); the same on one core (`--jobs 1`, up to 10,000
posts: what the workers save); warm (nothing changed); and after one post changed.
The machine's speed drifts (a shared VM), so a round's ratios compare runs made moments
apart, and the median of the rounds' ratios is reported, with each command's best time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Run, generated, run_once  # noqa: E402

NOW = "2027-01-01 00:00"
FLOOR = "parse floor"
COLD, ONE_CORE, WARM, CHANGED = ("validate, cold", "validate, cold, one process", "validate, warm",
                                 "validate, one post changed")


@dataclass
class Figure:
    """A command's runs over the rounds, and each round's floor."""

    runs: list[Run]
    floors: list[Run]

    @property
    def best(self) -> Run:
        return Run(min(r.wall for r in self.runs), min(r.cpu for r in self.runs), max(r.peak_mib for r in self.runs))

    @property
    def ratio(self) -> float:
        """The median over the rounds of the wall-clock ratio to that round's floor."""
        return statistics.median(run.wall / floor.wall for run, floor in zip(self.runs, self.floors, strict=True))

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(run.cpu / floor.cpu for run, floor in zip(self.runs, self.floors, strict=True))


def measure_validate(posts: int, rounds: int, one_core: bool | None = None) -> dict[str, Figure]:
    """Every figure of `social validate` on a generated calendar of `posts` posts."""
    data = generated(posts)
    one_core = posts <= 10_000 if one_core is None else one_core
    command = [sys.executable, "-m", "pipeline", "validate", "--root", str(data), "--now", NOW]
    floor_command = [sys.executable, str(HERE / "floor_parse.py"), str(data)]
    files = sorted((data / "content" / "posts").rglob("*.md"))
    changing = files[len(files) // 2]
    original = changing.read_text(encoding="utf-8")
    names = [FLOOR, COLD, *([ONE_CORE] if one_core else []), WARM, CHANGED]
    runs: dict[str, list[Run]] = {name: [] for name in names}
    # exit 1 only says the generated calendar has findings: still a complete run
    try:
        for number in range(rounds):
            runs[FLOOR].append(run_once(floor_command))
            if one_core:
                shutil.rmtree(data / ".social-cache", ignore_errors=True)
                runs[ONE_CORE].append(run_once([*command, "--jobs", "1"], ok=(0, 1)))
            shutil.rmtree(data / ".social-cache", ignore_errors=True)
            runs[COLD].append(run_once(command, ok=(0, 1)))
            runs[WARM].append(run_once(command, ok=(0, 1)))
            changing.write_text(original.rstrip("\n") + f" Changed in round {number}.\n", encoding="utf-8")
            runs[CHANGED].append(run_once(command, ok=(0, 1)))
    finally:
        changing.write_text(original, encoding="utf-8")
    return {name: Figure(found, runs[FLOOR]) for name, found in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = measure_validate(args.posts, args.rounds)
    print(f"posts: {args.posts}, {args.rounds} rounds; best times, peak memory, and the median of each "
          "round's ratio to the floor (wall, cpu)")
    for name, figure in figures.items():
        best = figure.best
        print(f"{name:<28} {best.wall:6.2f} s  {best.cpu:6.2f} s cpu  {best.peak_mib:6.0f} MiB   "
              f"{figure.ratio:.2f}x  {figure.cpu_ratio:.2f}x")
    print("targets: cold at most 1.5x, warm at most 1.1x, one post changed at most 1.2x")


if __name__ == "__main__":
    main()
