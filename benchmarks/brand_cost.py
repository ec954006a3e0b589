"""What one more brand costs per publish run.

    python benchmarks/brand_cost.py [--brands 1,4,16] [--posts 300] [--repeat 3]

Builds repositories of several brands (each `--posts` generated posts, every one already
published, with its ledger on its own state branch of a local "origin") and one repository
of one brand with the same posts, then runs the real `.github/workflows/publish.yml` on
this machine with the workflow dry runner of the tests (tests/workflow_runner.py: each
`run:` step for real, the actions stubbed): the job that lists the brands, then every
brand's publish job, each on a fresh clone as a runner starts. Each job is timed alone,
best of --repeat. A scheduled run with nothing due is the run that happens 96 times a day.

It reports, per repository, the listing job, one brand's job and the whole run (the
listing plus every brand's job), then what one more brand adds to a run: one job, and
that job against the job of a repository of one brand (the ratio; target: at most 1.1x,
a brand costs what a repository of its own would). What GitHub adds to each job (a
runner, the checkout, Python and the install) is not measured here: docs/brands.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from generate import generate  # noqa: E402
from publish_idle import write_ledger  # noqa: E402
from workflow_runner import FakeRunner  # noqa: E402

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
#: what the publish job reads from GitHub's context on a scheduled run
CONTEXT = {
    "github.event.repository.default_branch": "main", "inputs.dry_run": None, "inputs.post": "",
    "github.event_name": "schedule", "inputs.check_channels": None, "github.event.schedule": "7,22,37,52 * * * *",
    "github.run_id": 1, "github.token": "benchmark-token", "github.repository": "agency/social",
    "github.server_url": "https://github.com",
    **{f"secrets.{name}": "" for name in ("MASTODON_TOKEN", "BLUESKY_APP_PASSWORD", "LINKEDIN_TOKEN",
                                          "TELEGRAM_BOT_TOKEN")},
}


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=Bench", "-c", "user.email=bench@example.com",
                    *args], check=True, capture_output=True)


def content_root(root: Path, posts: int, seed: int) -> str:
    """`posts` posts under `root`, the last a day ago; returns their ledger (every part published)."""
    days = posts // 6 + 2
    generate(posts, root, seed=seed, start=(datetime.now() - timedelta(days=days)).replace(hour=8, minute=0))
    write_ledger(root, lines=posts * 3)
    ledger = (root / "state" / "ledger.jsonl").read_text(encoding="utf-8")
    shutil.rmtree(root / "state")
    return ledger


def repository(folder: Path, brands: int, posts: int) -> Path:
    """A bare origin: main holds `brands` brands in brands/ (0: one brand at the top), each with its
    ledger on its own state branch."""
    seed = folder / "seed"
    if folder.exists():
        shutil.rmtree(folder)
    names = [f"brand-{number:03d}" for number in range(brands)]
    ledgers = {}
    if brands:
        for number, name in enumerate(names):
            ledgers[f"state-{name}"] = content_root(seed / "brands" / name, posts, seed=number)
    else:
        ledgers["state"] = content_root(seed, posts, seed=0)
    (seed / ".gitignore").write_text("state/\noutbox/\nsite/\n")
    shutil.copy(ROOT / "pyproject.toml", seed / "pyproject.toml")  # what the job's install step names
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "content")
    for branch, ledger in ledgers.items():
        git(seed, "checkout", "-q", "--orphan", branch)
        git(seed, "rm", "-rqf", "--cached", ".")
        (seed / "ledger.jsonl").write_text(ledger, encoding="utf-8")
        git(seed, "add", "ledger.jsonl")
        git(seed, "commit", "-qm", "ledger")
        (seed / "ledger.jsonl").unlink()
        git(seed, "checkout", "-q", "-f", "main")
    bare = folder / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    shutil.rmtree(seed)
    return bare


def timed_job(bare: Path, work: Path, job: str, context: dict, matrix: dict | None = None):
    """One job on a fresh clone (as a runner starts); the CPU seconds of its steps, and its run."""
    if work.exists():
        shutil.rmtree(work)
    subprocess.run(["git", "clone", "-q", str(bare), str(work / "workspace")], check=True)
    runner = FakeRunner(WORKFLOW, work / "workspace", work / "runner", context,
                        gh_responses=[[["issue", "list"], {"stdout": ""}]])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = runner.run(job, matrix=matrix)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.conclusion != "success":
        failed = {step: log[-2000:] for step, log in run.logs.items() if run.outcomes.get(step) == "failure"}
        raise SystemExit(f"the {job} job failed: {json.dumps(failed, indent=1)}")
    return seconds, run


def idle(log: str) -> bool:
    """Whether the Publish step's report (its JSON first, then anything on stderr) says nothing went out."""
    report, _ = json.JSONDecoder().raw_decode(log.lstrip())
    return report["ok"] and report["outcomes"] == []


def one_round(bare: Path, work: Path) -> tuple[float, list[float]]:
    """The listing job's seconds, and each brand's publish job's seconds."""
    listing, run = timed_job(bare, work / "list", "brands", dict(CONTEXT))
    entries = json.loads(run.job_outputs["matrix"])
    context = {**CONTEXT, "needs.brands.outputs.matrix": json.dumps(entries)}
    jobs = []
    for entry in entries:
        seconds, run = timed_job(bare, work / "job", "publish", context, matrix=entry)
        if not idle(run.logs["publish"]):
            raise SystemExit(f"{entry['brand'] or 'the brand'}: the run was not idle:\n{run.logs['publish']}")
        jobs.append(seconds)
    return listing, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brands", default="1,4,16", help="numbers of brands, comma-separated")
    parser.add_argument("--posts", type=int, default=300, help="posts per brand")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.brands.split(",")})
    data = HERE / ".data" / "brand-cost"
    origins = {brands: repository(data / f"brands-{brands}", brands, args.posts) for brands in [0, *counts]}
    best: dict[int, tuple[float, list[float]]] = {}
    # in rounds, every repository in each: a slow minute of a shared machine hits them all alike
    for _ in range(args.repeat):
        for brands, bare in origins.items():
            listing, jobs = one_round(bare, data / "work")
            if brands in best:
                listing = min(listing, best[brands][0])
                jobs = [min(a, b) for a, b in zip(jobs, best[brands][1], strict=True)]
            best[brands] = listing, jobs
    rows = []
    for brands, (listing, jobs) in best.items():
        label = "one brand (content/ at the top)" if brands == 0 else f"{brands} brand(s) in brands/"
        rows.append((brands, label, listing, sum(jobs) / len(jobs), listing + sum(jobs)))
    print(f"A scheduled publish run with nothing due; {args.posts} posts per brand, all published, each "
          f"brand's ledger on its state branch. CPU seconds of each job's own steps on this machine, "
          f"best of {args.repeat}:")
    print(f"{'repository':34} {'listing':>8} {'a brand':>8} {'the run':>8}")
    for _, label, listing, job, total in rows:
        print(f"{label:34} {listing:8.2f} {job:8.2f} {total:8.2f}")
    alone = rows[0][3]
    (low, _, low_listing, _, low_total), (high, _, high_listing, _, high_total) = rows[1], rows[-1]
    if high > low:
        added = (high_total - low_total) / (high - low)
        per_listing = (high_listing - low_listing) / (high - low) * 1000
        print(f"one more brand adds one job to the run: {added:.2f} CPU seconds of steps, {added / alone:.2f}x "
              f"the job of a repository of one brand (target: at most 1.1x); the listing job "
              f"{per_listing:+.1f} ms a brand")


if __name__ == "__main__":
    main()
