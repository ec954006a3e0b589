"""Write the sample metrics history that the demo and the calendar site show as "sample data".

Half a year of what `social stats collect` would have appended for the example
bakery's Mastodon and Bluesky channels: a follower count each morning, and each
post's likes, reposts, replies and quotes whenever they changed, re-read for 60
days after it went out. Made up, deterministically (a seeded random generator, no
clock), so running it again reproduces the file byte for byte:

    python tools/make_sample_metrics.py                 # writes docs/sample-data/metrics.jsonl
    python tools/make_sample_metrics.py --out FILE      # somewhere else
    python tools/make_sample_metrics.py --weeks 52 --out FILE   # a year, for benchmarks

The posts are invented ids, not the example posts in content/: the example calendar
starts where this history ends. Engagement is drawn so that some hours and weekdays
do better than others, which is what `social stats suggest-slots` looks for.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "sample-data" / "metrics.jsonl"
#: the last reading: the morning before the example calendar starts (2026-12-01)
END = datetime(2026, 11, 30, 6, 3, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
WINDOW = timedelta(days=60)
TOPICS = ("rye", "sourdough", "stollen", "cardamom-buns", "pretzels", "spelt", "starter-tips", "oven-news",
          "flour-delivery", "apprentice", "market-stall", "seeded-loaf", "crumb-shot", "baker-at-dawn")

# (local time, weekdays it is used on, how well it does): the Mastodon account posts on its
# slots and tries a few other times; Bluesky posts at looser times
CHANNELS = {
    "mastodon": {"followers": 840, "growth": 2.2, "reach": 1.0, "quotes": False, "times": [
        ("09:00", range(5), 1.5), ("15:30", (1, 3), 1.0), ("12:15", (0, 2, 4), 0.6), ("18:30", (0, 3), 1.2),
        ("10:00", (5,), 1.3)]},
    "bluesky": {"followers": 310, "growth": 1.6, "reach": 0.8, "quotes": True, "times": [
        ("08:30", range(5), 0.9), ("13:00", (1, 2, 3), 0.7), ("17:30", range(5), 1.6), ("20:00", (4, 5), 1.1)]},
}
#: some weekdays simply do better
WEEKDAY = (1.0, 1.15, 1.0, 1.2, 0.85, 0.7, 0.6)
#: the share of its final counts a post has after n days
ACCRUED = (0.55, 0.85, 0.95, 1.0)


def sample_records(*, end: datetime = END, weeks: int = 26, seed: int = 2026) -> list[dict]:
    """Every line of the sample, in the order `social stats collect` would have written them."""
    rng = random.Random(seed)
    start = end - timedelta(weeks=weeks)
    posts = {name: _posts(name, spec, start, end, rng) for name, spec in CHANNELS.items()}
    followers = {name: float(spec["followers"]) for name, spec in CHANNELS.items()}
    last: dict[tuple[str, str], tuple] = {}
    records = []
    reading = start
    while reading <= end:
        for name, spec in CHANNELS.items():
            followers[name] += max(-3.0, rng.gauss(spec["growth"], 2.0))
            at = _iso(reading)
            records.append({"at": at, "channel": name, "followers": round(followers[name]), "kind": "account"})
            for post in posts[name]:
                age = reading - post["published"]
                if age < timedelta(0) or age > WINDOW:
                    continue
                share = ACCRUED[min(age.days, len(ACCRUED) - 1)]
                counts = {key: int(value * share) for key, value in post["final"].items()}
                if last.get((name, post["id"])) == tuple(counts.values()):
                    continue
                last[(name, post["id"])] = tuple(counts.values())
                records.append({"at": at, "channel": name, "kind": "post", "part": 1, "post": post["id"],
                                "published": _iso(post["published"]), **counts})
        reading += timedelta(days=1)
    return records


def _posts(name: str, spec: dict, start: datetime, end: datetime, rng: random.Random) -> list[dict]:
    found = []
    day = start.astimezone(ZONE).date()
    while day <= end.astimezone(ZONE).date():
        for clock, weekdays, appeal in spec["times"]:
            if day.weekday() not in weekdays or rng.random() < 0.45:
                continue
            hour, minute = map(int, clock.split(":"))
            published = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)
            if published >= end:
                continue
            grown = 1 + (published - start).days / 365
            mean = 6 * appeal * WEEKDAY[day.weekday()] * spec["reach"] * grown
            likes = max(0, round(rng.gauss(mean, mean / 3)))
            final = {"likes": likes, "replies": rng.randint(0, max(1, likes // 4)),
                     "reposts": rng.randint(0, max(1, likes // 3))}
            if spec["quotes"]:
                final["quotes"] = rng.randint(0, 1) if likes > 6 else 0
            found.append({"id": f"{rng.choice(TOPICS)}-{day:%Y-%m-%d}-{hour:02d}{minute:02d}",
                          "published": published, "final": final})
        day += timedelta(days=1)
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sample_text(**kwargs) -> str:
    """The file's text: one JSON object a line, written as `Journal.append` writes them."""
    return "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
                   for record in sample_records(**kwargs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default: %(default)s)")
    parser.add_argument("--weeks", type=int, default=26, help="how long a history (default: %(default)s)")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(sample_text(weeks=args.weeks), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
