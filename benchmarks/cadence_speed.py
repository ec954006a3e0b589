"""Cadence over 10,000 posts on 5 channels: its time, its share of `social validate`, its growth.

    python benchmarks/cadence_speed.py [--posts 10000] [--repeat 3]

1. On benchmarks/generate.py's repository (its rules: max_per_day, min_gap,
   max_silence, hours), CPU seconds, best of --repeat: `social validate` as a
   fresh process, and in one process validate() and cadence_findings() alone.
   The share is cadence over validate.
2. The same posts with every rule on (duplicates and mix included).
3. Growth: all ten rules over synthetic events, doubling n; the time per
   n log2 n stays flat when cadence is O(n log n).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import CHANNELS_YML, NETWORKS, TAGS, WORDS  # noqa: E402
from measure import best_time, generated  # noqa: E402

from pipeline.cadence.events import Event  # noqa: E402
from pipeline.cadence.similarity import normalize  # noqa: E402
from pipeline.content.channels import load_config  # noqa: E402
from pipeline.content.load import load_content  # noqa: E402
from pipeline.planning.evaluation import evaluate  # noqa: E402
from pipeline.planning.findings import cadence_findings  # noqa: E402
from pipeline.validation import validate  # noqa: E402

NOW = datetime(2026, 11, 25, tzinfo=UTC)  # before the generated posts: all of them count
ALL_RULES = ('{max_per_day: 3, max_per_week: 15, min_gap: 2h, max_silence: 4d, runway: 14d, '
             'hours: "08:00-20:00", days: "mon-sat", blackout: ["2027-12-24..2027-12-26", '
             '"2028-12-24"], duplicates: 30d, mix: {promo: 20%, window: 30d}}')


def best_cpu(work: Callable[[object], object], repeat: int,
             setup: Callable[[], object] = lambda: None) -> float:
    """Best CPU time of work(setup()); each run starts cold, as a fresh `social validate` does, and
    without the cyclic garbage collector, as `social validate` runs (its passes over a large
    calendar's objects would make the figure grow faster than the work)."""
    best = float("inf")
    for _ in range(repeat):
        prepared = setup()
        normalize.cache_clear()
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            work(prepared)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def all_rules_config():
    text = CHANNELS_YML.replace(
        '{max_per_day: 6, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}', ALL_RULES)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "content").mkdir()
        (Path(folder) / "content" / "channels.yml").write_text(text, encoding="utf-8")
        config, findings = load_config(Path(folder))
    assert config is not None, findings
    return config


def synthetic_events(count: int, seed: int = 7) -> dict[str, list[Event]]:
    """`count` events on five channels, about six posts a day, like generate.py's."""
    rng = random.Random(seed)
    events: dict[str, list[Event]] = {name: [] for name in NETWORKS}
    start = datetime(2027, 1, 4, 7, tzinfo=UTC)
    for index in range(count):
        at = start + timedelta(days=index // 6, hours=(index % 6) * 2, minutes=rng.choice((0, 15, 30)))
        text = " ".join(rng.choices(WORDS, k=rng.randint(6, 30)))
        tags = frozenset(rng.sample(TAGS, k=rng.randint(0, 2)))
        events[NETWORKS[index % 5]].append(Event(f"post-{index}", at, tags, text))
    return events


def measure_cadence(posts: int, repeat: int) -> dict[str, float]:
    """CPU seconds, best of `repeat`, each run cold: validate() after loading, and cadence alone
    with the generator's rules and with all ten."""
    data = generated(posts)
    rules = all_rules_config()

    def loaded():  # fresh posts: where a finding's line is has not been looked up yet
        return load_content(data)

    content = loaded()
    return {
        "events": sum(len(post.channels) for post in content.usable_posts()),
        "channels": len(content.config.channels),
        "validate": best_cpu(lambda fresh: validate(fresh, now=NOW), repeat, loaded),
        "cadence": best_cpu(lambda fresh: cadence_findings(fresh, now=NOW, published={}), repeat, loaded),
        "cadence_all_rules": best_cpu(lambda fresh: cadence_findings(fresh, now=NOW, published={}), repeat,
                                      lambda: replace(loaded(), config=rules)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--growth", action=argparse.BooleanOptionalAction, default=True,
                        help="Also time all ten rules over synthetic events as their number doubles.")
    parser.add_argument("--cli", action=argparse.BooleanOptionalAction, default=True,
                        help="Also time `social validate` as a fresh process (no cache, one process).")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file, as JSON.")
    args = parser.parse_args()
    data = generated(args.posts)
    cli = best_time([sys.executable, "-m", "pipeline", "validate", "--root", str(data), "--no-cache", "--jobs", "1",
                     "--now", NOW.isoformat()], args.repeat, ok=(0, 1))[1] if args.cli else float("nan")
    figures = measure_cadence(args.posts, args.repeat)
    whole, cadence, cadence_all = figures["validate"], figures["cadence"], figures["cadence_all_rules"]
    print(f"posts: {args.posts} ({figures['events']} post-channel events on {figures['channels']} "
          f"channels); CPU seconds, best of {args.repeat}")
    print(f"social validate, fresh process:     {cli:6.2f} s (no cache, one process)")
    print(f"validate() in one process:          {whole:6.2f} s (after loading the content)")
    print(f"cadence, the generator's 4 rules:   {cadence:6.2f} s  = {cadence / whole:5.1%} of "
          f"validate(), {cadence / cli:5.1%} of the process")
    print(f"cadence, all 10 rules:              {cadence_all:6.2f} s  = {cadence_all / whole:5.1%} "
          f"of validate(), {cadence_all / cli:5.1%} of the process")
    if args.json:
        args.json.write_text(json.dumps(figures), encoding="utf-8")
    if not args.growth:
        return
    print("growth, all 10 rules over synthetic events:")
    print("  events   seconds   ns per n log2 n")
    config = all_rules_config()
    for count in (5_000, 10_000, 20_000, 40_000):
        synthetic = synthetic_events(count)
        seconds = best_cpu(lambda events: evaluate(config, events, NOW), args.repeat,
                           lambda synthetic=synthetic: synthetic)
        print(f"  {count:6d}  {seconds:8.3f}   {seconds / (count * math.log2(count)) * 1e9:8.1f}")


if __name__ == "__main__":
    main()
