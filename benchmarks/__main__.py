"""Every speed figure in one run, side by side, written into docs/benchmarks.md.

    python -m benchmarks                         # 1,000, 10,000 and 100,000 posts (about 15 minutes)
    python -m benchmarks --sizes 1000,10000      # leave out the largest calendar
    python -m benchmarks --quick                 # small calendars, one round: a smoke test
    python -m benchmarks --output /tmp/b.md      # write elsewhere

Generates the calendars (benchmarks/generate.py: five channels, X among them, texts near
the limits, threads, links, images) and measures, as fresh processes: `social validate`
cold, warm and after one post changed, each against the parse floor (validate_speed.py);
cadence alone (cadence_speed.py); `social publish` with nothing due on ledgers of three
lines a post (publish_idle.py); publishing fan-out against a local server with a fixed
latency (publish_fanout.py); the calendar site against plain mkdocs on the same pages,
cold and after one post changed (site_speed.py); `social --help`; and the peak memory
of each. The figures replace what lies between the markers in the output file; the
rest of it (what the figures mean, what holds one back) is written by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import Run, run_once  # noqa: E402
from publish_idle import measure_idle  # noqa: E402
from site_speed import measure_site  # noqa: E402
from validate_speed import CHANGED, COLD, FLOOR, ONE_CORE, WARM, measure_validate  # noqa: E402

BEGIN = "<!-- python -m benchmarks: figures begin -->"
END = "<!-- python -m benchmarks: figures end -->"
DOCS = HERE.parent / "docs" / "benchmarks.md"
FULL = {"sizes": [1_000, 10_000, 100_000], "rounds": 3, "site": [1_000, 10_000], "idle": [10_000, 100_000],
        "fanout": (100, 0.05), "repeat": 3}
QUICK = {"sizes": [100, 400], "rounds": 1, "site": [100], "idle": [400], "fanout": (6, 0.01), "repeat": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Small calendars, one round: that it all runs.")
    parser.add_argument("--sizes", help="Calendar sizes for validate and cadence, e.g. 1000,10000.")
    parser.add_argument("--site-sizes", help="Calendar sizes for the site (default 1000,10000).")
    parser.add_argument("--idle-sizes", help="Calendar sizes for publish with nothing due (default 10000,100000).")
    parser.add_argument("--rounds", type=int, help="Rounds of validate against its floor (default 3).")
    parser.add_argument("--output", type=Path, default=DOCS, help="The Markdown file to write (default: %(default)s).")
    args = parser.parse_args()
    plan = dict(QUICK if args.quick else FULL, quick=args.quick)
    for key, given in (("sizes", args.sizes), ("site", args.site_sizes), ("idle", args.idle_sizes)):
        if given is not None:
            plan[key] = [int(size) for size in given.split(",") if size]
    if args.rounds:
        plan["rounds"] = args.rounds
    started = time.perf_counter()
    figures = measure_all(plan)
    figures["seconds"] = time.perf_counter() - started
    write(args.output, report(figures, plan))
    print(f"wrote {args.output} in {figures['seconds']:.0f} s")


def measure_all(plan: dict) -> dict:
    figures: dict = {"machine": machine(), "validate": {}, "cadence": {}, "idle": {}, "site": {}}
    for size in plan["sizes"]:
        say(f"validate, {size:,} posts")
        figures["validate"][size] = measure_validate(size, plan["rounds"])
        say(f"cadence, {size:,} posts")
        # each repeat loads the calendar three times: once is enough for the largest
        repeat = plan["repeat"] if size <= 10_000 else 1
        figures["cadence"][size] = in_a_process("cadence_speed.py", "--posts", str(size), "--repeat", str(repeat),
                                                "--no-growth", "--no-cli")
    for size in plan["idle"]:
        say(f"publish with nothing due, {size:,} posts")
        figures["idle"][size] = measure_idle(size, 3 * size, plan["repeat"])
    posts, delay = plan["fanout"]
    say(f"publish fan-out, {posts} posts, {delay * 1000:.0f} ms a request")
    figures["fanout"] = in_a_process("publish_fanout.py", "--posts", str(posts), "--delay", str(delay))
    for size in plan["site"]:
        say(f"site, {size:,} posts")
        figures["site"][size] = measure_site(size, max(1, plan["repeat"] - 1))
    say("social --help")
    help_runs = [run_once([sys.executable, "-m", "pipeline", "--help"]) for _ in range(5)]
    figures["help"] = Run(min(r.wall for r in help_runs), min(r.cpu for r in help_runs),
                          max(r.peak_mib for r in help_runs))
    figures["machine"]["load_after"] = os.getloadavg()[0]
    return figures


def in_a_process(script: str, *arguments: str) -> dict:
    """A benchmark that measures inside its own process: its figures (--json), and its peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        run = run_once([sys.executable, str(HERE / script), *arguments, "--json", str(out)])
        found = json.loads(out.read_text(encoding="utf-8"))
    found["peak_mib"] = run.peak_mib
    return found


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    return {"cpu": model or platform.processor() or platform.machine(), "cores": cores, "memory": memory,
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "load_before": os.getloadavg()[0]}


def say(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


# -- the report ------------------------------------------------------------------------------


def report(figures: dict, plan: dict) -> str:
    lines = [BEGIN, ""]
    m = figures["machine"]
    lines += [f"Measured {m['date']} at commit `{m['commit']}` in {figures['seconds'] / 60:.0f} minutes "
              f"(`python -m benchmarks{' --quick' if plan['quick'] else ''}`): {m['cpu']}, {m['cores']} cores, "
              f"{m['memory']}, {m['system']}, Python {m['python']}; load average {m['load_before']:.1f} before, "
              f"{m['load_after']:.1f} after. Wall-clock seconds are the best of the rounds, ratios the median "
              "of each round's ratio (runs moments apart), peak memory the largest process's.", ""]
    lines += targets(figures)
    lines += validate_table(figures["validate"], plan["rounds"])
    lines += growth_table(figures)
    lines += cadence_table(figures["cadence"])
    lines += idle_table(figures["idle"])
    fan = figures["fanout"]
    lines += ["### Publishing fan-out", "",
              f"{plan['fanout'][0]} posts on 4 webhook channels against a local server that answers each request "
              f"after {plan['fanout'][1] * 1000:.0f} ms: all channels {fan['together']:.2f} s against "
              f"{fan['alone']:.2f} s for the slowest alone, **{fan['together'] / fan['alone']:.2f}x** "
              f"(target: at most 1.3x); peak {fan['peak_mib']:.0f} MiB.", ""]
    lines += site_table(figures["site"])
    help_run = figures["help"]
    lines += ["### `social --help`", "", f"{help_run.wall:.2f} s ({help_run.cpu:.2f} s CPU, "
              f"{help_run.peak_mib:.0f} MiB), best of 5.", "", END]
    return "\n".join(lines) + "\n"


def targets(figures: dict) -> list[str]:
    rows = []
    validate = figures["validate"]
    middle = 10_000 if 10_000 in validate else (sorted(validate)[-1] if validate else None)
    if middle is not None:
        for name, target in ((COLD, 1.5), (WARM, 1.1), (CHANGED, 1.2)):
            figure = validate[middle][name]
            rows.append((f"{name}, {middle:,} posts / parse floor", f"<= {target}x", figure.ratio,
                         f"{figure.ratio:.2f}x (CPU {figure.cpu_ratio:.2f}x)", figure.ratio <= target))
    if 100_000 in validate and 10_000 in validate:
        grown = validate[100_000][COLD].best.wall / validate[10_000][COLD].best.wall
        rows.append(("validate 100,000 / 10,000 posts (cold)", "<= 10.5x", grown, f"{grown:.1f}x", grown <= 10.5))
        peak = validate[100_000][COLD].best.peak_mib
        rows.append(("peak memory, validate 100,000 posts", "< 1 GiB", peak, f"{peak:.0f} MiB", peak < 1024))
    idle = figures["idle"]
    if idle:
        size = max(idle)
        best = idle[size][0]
        rows.append((f"publish, nothing due, {size:,} posts, {idle[size][1]:,} ledger lines", "< 1 s", best.wall,
                     f"{best.wall:.2f} s", best.wall < 1))
    site = figures["site"]
    if site:
        size = 10_000 if 10_000 in site else max(site)
        ratio = site[size]["cold"].wall / site[size]["floor"].wall
        rows.append((f"site {size:,} posts / plain mkdocs on the same pages", "<= 0.5x", ratio, f"{ratio:.2f}x",
                     ratio <= 0.5))
        again = site[size]["changed"].wall / site[size]["cold"].wall
        rows.append(("site rebuild after one post changed / cold build", "<= 0.25x", again, f"{again:.2f}x",
                     again <= 0.25))
    out = ["### Targets", "", "| measure | target | measured | met |", "|---|---|---|---|"]
    out += [f"| {name} | {target} | {shown} | {'yes' if met else '**no**'} |" for name, target, _, shown, met in rows]
    return [*out, ""]


def validate_table(validate: dict, rounds: int) -> list[str]:
    out = ["### `social validate` against the parse floor", "",
           f"{rounds} round(s) a size; each round runs the floor and every variant one after the other.", "",
           "| posts | run | wall s | CPU s | peak MiB | / floor (wall) | / floor (CPU) |",
           "|---:|---|---:|---:|---:|---:|---:|"]
    for size, found in validate.items():
        for name in (FLOOR, COLD, ONE_CORE, WARM, CHANGED):
            if name not in found:
                continue
            figure = found[name]
            best = figure.best
            out.append(f"| {size:,} | {name} | {best.wall:.2f} | {best.cpu:.2f} | {best.peak_mib:.0f} | "
                       f"{figure.ratio:.2f}x | {figure.cpu_ratio:.2f}x |")
    return [*out, ""]


def growth_table(figures: dict) -> list[str]:
    validate = figures["validate"]
    sizes = sorted(validate)
    if len(sizes) < 2:
        return []
    steps = list(itertools.pairwise(sizes))
    header = " | ".join(f"{b // a}x posts: {a:,} to {b:,}" for a, b in steps)
    out = ["### How each grows with the calendar", "",
           "Wall-clock time (CPU time in brackets) of the larger calendar over the smaller one; "
           "linear growth is the factor of posts.", "",
           f"| measure | {header} |", "|---|" + "---:|" * len(steps)]
    for name in (FLOOR, COLD, WARM, CHANGED):
        cells = []
        for a, b in steps:
            small, large = validate[a][name].best, validate[b][name].best
            cells.append(f"{large.wall / small.wall:.1f}x ({large.cpu / small.cpu:.1f}x)")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    cadence = figures["cadence"]
    if all(size in cadence for size in sizes):
        cells = [f"{cadence[b]['cadence'] / max(cadence[a]['cadence'], 1e-9):.1f}x (CPU)" for a, b in steps]
        out.append("| cadence alone | " + " | ".join(cells) + " |")
    idle = figures["idle"]
    idle_sizes = sorted(idle)
    if len(idle_sizes) == 2:
        a, b = idle_sizes
        out.append("")
        out.append(f"Publish with nothing due: {b // a}x posts and ledger lines, "
                   f"{idle[b][0].wall / idle[a][0].wall:.1f}x the time.")
    return [*out, ""]


def cadence_table(cadence: dict) -> list[str]:
    out = ["### Cadence alone", "",
           "CPU seconds in one process after loading, best of the repeats: `validate()` with every check, "
           "and cadence with the generator's four rules and with all ten.", "",
           "| posts | post-channel events | validate() | cadence | share | all 10 rules | peak MiB |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    for size, found in cadence.items():
        out.append(f"| {size:,} | {found['events']:,} | {found['validate']:.2f} s | {found['cadence']:.3f} s | "
                   f"{found['cadence'] / found['validate']:.0%} | {found['cadence_all_rules']:.2f} s | "
                   f"{found['peak_mib']:.0f} |")
    return [*out, ""]


def idle_table(idle: dict) -> list[str]:
    out = ["### `social publish` with nothing due", "",
           "The first run reads the top of every post and the whole ledger and keeps what it found; the runs "
           "after it (best of the repeats) look at the files' times.", "",
           "| posts | ledger lines | wall s | CPU s | peak MiB | first run: wall s | CPU s | peak MiB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, (best, lines, _said, first) in idle.items():
        out.append(f"| {size:,} | {lines:,} | {best.wall:.2f} | {best.cpu:.2f} | {best.peak_mib:.0f} | "
                   f"{first.wall:.2f} | {first.cpu:.2f} | {first.peak_mib:.0f} |")
    return [*out, ""]


def site_table(site: dict) -> list[str]:
    out = ["### The calendar site", "",
           "| posts | pages | plain mkdocs | site, cold | / plain | site, one post changed | / cold | peak MiB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, found in site.items():
        floor, cold, changed = found["floor"], found["cold"], found["changed"]
        out.append(f"| {size:,} | {found['pages']:,} | {floor.wall:.2f} s | {cold.wall:.2f} s | "
                   f"{cold.wall / floor.wall:.2f}x | {changed.wall:.2f} s | {changed.wall / cold.wall:.2f}x | "
                   f"{max(cold.peak_mib, changed.peak_mib):.0f} |")
    return [*out, ""]


def write(path: Path, figures: str) -> None:
    """Replace the figures between the markers; a file without them gets them at its end."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + figures.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + figures
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
