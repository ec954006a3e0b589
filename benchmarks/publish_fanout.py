"""Channels publish in parallel: 100 posts on 4 channels against a server answering in 50 ms.

    python benchmarks/publish_fanout.py [--posts 100] [--delay 0.05]

Each channel is a webhook channel pointing at one local server that waits `--delay`
before each answer. Times a full run on all channels, and each channel alone (a fresh
ledger each time); reports the full run against the slowest single channel.
Target: at most 1.3x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.publish.service import publish  # noqa: E402

CHANNELS = ["alpha", "beta", "gamma", "delta"]
#: the run's clock (a real run happens at its clock's time)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def slow_server(delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            body = json.dumps({"id": self.headers.get("Idempotency-Key")}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_repo(folder: Path, posts: int) -> None:
    (folder / "content" / "posts").mkdir(parents=True)
    shutil.copytree(ROOT / "templates", folder / "templates")
    lines = ["timezone: UTC", "channels:"]
    for name in CHANNELS:
        lines += [f"  {name}:", "    network: webhook",
                  f"    credentials: {{url: HOOK_{name.upper()}, secret: HOOK_SECRET}}"]
    (folder / "content" / "channels.yml").write_text("\n".join(lines) + "\n")
    for index in range(posts):
        minute = index % 60
        (folder / "content" / "posts" / f"post-{index:03d}.md").write_text(
            f"---\npublish_at: 2026-12-01 10:{minute:02d}\nchannels: [{', '.join(CHANNELS)}]\n---\n"
            f"Post number {index}: fresh bread at the corner bakery.\n")


def timed_run(repo: Path, env: dict, channel: str | None) -> float:
    shutil.rmtree(repo / "state", ignore_errors=True)
    start = time.perf_counter()
    report = publish(repo, now_text="2026-12-01 12:00", env=env, channel_id=channel, clock=lambda: NOW)
    elapsed = time.perf_counter() - start
    if not report.ok:
        raise SystemExit(f"run failed: {[o for o in report.result.outcomes if o.state != 'published'][:3]}")
    return elapsed


def measure_fanout(posts: int, delay: float) -> dict[str, float]:
    """Seconds of a run on each channel alone, and on all of them together."""
    server = slow_server(delay)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    env = {"HOOK_SECRET": "benchmark-secret"}
    env.update({f"HOOK_{name.upper()}": f"{base}/hooks/{name}" for name in CHANNELS})
    try:
        with tempfile.TemporaryDirectory() as folder:
            repo = Path(folder)
            make_repo(repo, posts)
            seconds = {name: timed_run(repo, env, name) for name in CHANNELS}
            seconds["together"] = timed_run(repo, env, None)
    finally:
        server.shutdown()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--json", type=Path, help="Also write the figures to this file, as JSON.")
    args = parser.parse_args()
    seconds = measure_fanout(args.posts, args.delay)
    together = seconds.pop("together")
    slowest = max(seconds.values())
    for name, alone in seconds.items():
        print(f"{name:<6} alone:       {alone:.2f} s")
    print(f"all {len(CHANNELS)} channels:  {together:.2f} s")
    print(f"ratio to the slowest channel alone: {together / slowest:.2f}x (target: at most 1.3x)")
    if args.json:
        args.json.write_text(json.dumps({"alone": slowest, "together": together}), encoding="utf-8")


if __name__ == "__main__":
    main()
