"""A scheduled run with nothing due must be cheap.

    python benchmarks/publish_idle.py [--posts 10000] [--lines 30000] [--repeat 3]

Generates 10,000 posts (benchmarks/generate.py) and a ledger of 30,000 lines that
has every post already published, then times `social publish` as a fresh process:
once after the calendar and the ledger were written (it reads the top of every post and
the whole ledger, and keeps what it found in .social-cache/publish/), then the best of
--repeat runs after it, as scheduled runs minutes apart find them (wall-clock, CPU and
peak memory). A file changed less than two seconds before a run is not kept by it, so
the first run waits that long. The posts end a day before the clock (a real run happens
at the real time). Target: under 1 s.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from measure import DATA, Run, run_once  # noqa: E402

_CHANNELS = re.compile(r"^channels: \[(.*)\]$", re.MULTILINE)


def write_ledger(root: Path, lines: int) -> int:
    """Published lines for every part of every post, padded with earlier pending lines."""
    entries = []
    for path in sorted((root / "content" / "posts").rglob("*.md")):
        channels = _CHANNELS.search(path.read_text(encoding="utf-8"))[1].split(", ")
        for channel in channels:
            entries.append({"post": path.stem, "channel": channel, "part": 1, "state": "published",
                            "at": "2027-01-01T00:00:00Z", "key": f"k-{path.stem}-{channel}",
                            "remote_id": "1", "url": "https://example.com/1"})
    pending = [dict(e, state="pending", url=None, remote_id=None) for e in entries]
    rows = (pending + entries)[-lines:] if len(pending + entries) > lines else pending[: lines - len(entries)] + entries
    state = root / "state"
    state.mkdir(exist_ok=True)
    with open(state / "ledger.jsonl", "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n")
    return len(rows)


def measure_idle(posts: int, lines: int, repeat: int) -> tuple[Run, int, str, Run]:
    """The best run of `social publish` with nothing due, the ledger's lines, what it said, and the
    first run (nothing kept yet)."""
    root = DATA / f"idle-{posts}"
    days = posts // 6 + 2  # six posts a day, the last a day before now
    generate(posts, root, start=(datetime.now() - timedelta(days=days)).replace(hour=8, minute=0))
    written = write_ledger(root, lines)
    command = [sys.executable, "-m", "pipeline", "publish", "--root", str(root)]
    shutil.rmtree(root / ".social-cache", ignore_errors=True)
    time.sleep(2.1)  # what changed within two seconds is not kept: a scheduled run comes minutes later
    first = run_once(command)
    runs = [run_once(command) for _ in range(repeat)]
    said = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    best = Run(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.peak_mib for r in runs))
    return best, written, said, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best, lines, said, first = measure_idle(args.posts, args.lines, args.repeat)
    print(f"posts: {args.posts}, ledger lines: {lines}")
    print(f"output: {said}")
    print(f"first run (reads every post's top and the ledger, keeps what it found): {first.wall:.2f} s "
          f"({first.cpu:.2f} s cpu, {first.peak_mib:.0f} MiB)")
    print(f"social publish with nothing due: {best.wall:.2f} s ({best.cpu:.2f} s cpu, {best.peak_mib:.0f} MiB; "
          "target: under 1 s)")


if __name__ == "__main__":
    main()
