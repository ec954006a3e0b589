"""The workflows in .github/: their policy (pins, permissions, secrets), and a dry run of each job.

The dry runs (tests/workflow_runner.py says what is real and what is stubbed) run each
job's `run:` steps in a temporary repository cloned from a local bare "origin", with a
fake GITHUB_* environment and a recording `gh`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO, ContentRepo
from workflow_runner import Expressions, FakeRunner, load_workflow

WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("check", "preview-comment", "publish", "site")
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=t@example.com",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


# -- policy -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_actions_are_pinned_to_full_shas_with_their_version(name):
    text = (WORKFLOWS / f"{name}.yml").read_text()
    uses = re.findall(r"uses:\s*(\S+)(.*)", text)
    assert uses
    for action, comment in uses:  # an action, or one in a folder of its repository (actions/cache/save)
        assert re.fullmatch(r"[\w-]+/[\w-]+(?:/[\w-]+)*@[0-9a-f]{40}", action), action
        assert re.match(r"\s+# v\d+\.\d+\.\d+$", comment), f"{action}: say which version the SHA is"


@pytest.mark.parametrize("name", NAMES)
def test_every_workflow_and_job_sets_permissions(name):
    workflow = load_workflow(WORKFLOWS / f"{name}.yml")
    assert "permissions" in workflow
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, job_id


@pytest.mark.parametrize("name", NAMES)
def test_every_workflow_grants_nothing_and_each_job_asks_for_what_it_needs(name):
    assert load_workflow(WORKFLOWS / f"{name}.yml")["permissions"] == {}


@pytest.mark.parametrize("name", NAMES)
def test_no_script_holds_an_expression_values_come_through_env(name):
    for job_id, job in load_workflow(WORKFLOWS / f"{name}.yml")["jobs"].items():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), (job_id, step.get("name"))


def test_the_pull_request_check_gets_no_secret_and_a_read_only_token():
    text = (WORKFLOWS / "check.yml").read_text()
    workflow = load_workflow(WORKFLOWS / "check.yml")
    assert list(workflow["on"]) == ["pull_request"]
    assert "secrets." not in text and "github.token" not in text
    assert workflow["jobs"]["check"]["permissions"] == {"contents": "read"}


def test_the_commenting_workflow_never_checks_out_or_runs_the_pull_requests_code():
    workflow = load_workflow(WORKFLOWS / "preview-comment.yml")
    steps = workflow["jobs"]["comment"]["steps"]
    assert not any("checkout" in step.get("uses", "") for step in steps)
    assert workflow["jobs"]["comment"]["permissions"] == {"actions": "read", "pull-requests": "write"}
    script = steps[-1]["run"]
    commands = {line.split()[0] for line in script.splitlines() if line.strip()}
    assert not re.search(r"\b(social|python|pip|bash|sh|source|eval)\s", script.replace("social-preview", ""))
    assert "preview/" in script and commands


def test_checkouts_keep_no_credentials():
    checkouts = 0
    for name in NAMES:
        for job_id, job in load_workflow(WORKFLOWS / f"{name}.yml")["jobs"].items():
            for step in job["steps"]:
                if "actions/checkout" in step.get("uses", ""):
                    checkouts += 1
                    assert step["with"]["persist-credentials"] is False, (name, job_id)
    assert checkouts == 9  # brands, publish, channels, profiles, stats, inbox, check, site (2)


def test_the_token_reaches_only_the_steps_that_fetch_and_push_the_state_branch_or_call_gh():
    steps = load_workflow(WORKFLOWS / "publish.yml")["jobs"]["publish"]["steps"]
    with_token = {step.get("id") or step["name"] for step in steps if "github.token" in json.dumps(step)}
    assert with_token == {"state", "push", "Stop publishing until the ledger is pushed",
                          "Open, update or close the issue"}
    for step in steps:
        env = step.get("env") or {}
        if "GITHUB_TOKEN" in env:  # what `social state` fetches and pushes with (pipeline.git.TokenAuth)
            assert step["id"] in ("state", "push") and step["run"].startswith("social state ")
        if "GH_TOKEN" in env:
            assert step["run"].split()[0] in ("gh", "set")
    publish = next(step for step in steps if step.get("id") == "publish")
    assert "github.token" not in json.dumps(publish)  # what talks to the networks cannot push


def jobs_with_secrets() -> list[tuple[str, str, dict]]:
    """Every job that names a secret other than GITHUB_TOKEN."""
    found = []
    for name in NAMES:
        for job_id, job in load_workflow(WORKFLOWS / f"{name}.yml")["jobs"].items():
            named = set(re.findall(r"secrets\.(\w+)", json.dumps(job))) - {"GITHUB_TOKEN"}
            if named:
                found.append((name, job_id, job))
    return found


def test_secrets_are_read_only_by_jobs_in_the_publish_environment():
    found = jobs_with_secrets()
    assert [(name, job_id) for name, job_id, _ in found] == [("publish", "publish"), ("publish", "channels"),
                                                               ("publish", "profiles"), ("publish", "stats"),
                                                               ("publish", "inbox")]
    for _, _, job in found:
        environment = job.get("environment")
        # each brand's (`publish`, or `publish-<brand>` with several: tests/test_brands.py)
        assert (environment.get("name") if isinstance(environment, dict) else environment) \
            == "${{ matrix.environment }}"
        assert job["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.brands.outputs.matrix) }}"}
        assert job["strategy"]["fail-fast"] is False
    for name in NAMES:
        assert "secrets." not in json.dumps(load_workflow(WORKFLOWS / f"{name}.yml").get("env") or {})


def test_zizmor_as_an_auditor_finds_nothing():
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is a dev dependency")
    done = subprocess.run([zizmor, "--offline", "--persona=auditor", "--quiet", str(WORKFLOWS)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_publish_schedule_concurrency_and_inputs():
    workflow = load_workflow(WORKFLOWS / "publish.yml")
    assert workflow["on"]["schedule"] == [{"cron": "7,22,37,52 * * * *"}, {"cron": "3 6 * * *"},
                                          {"cron": "17 */3 * * *"}]
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["dry_run"]["type"] == "boolean" and inputs["post"]["type"] == "string"
    # one run per brand at a time (`publish` for the only one, as the workflow's group always was);
    # brands wait for nobody else, and no job is ever cancelled halfway through
    assert "concurrency" not in workflow
    jobs = workflow["jobs"]
    assert jobs["publish"]["concurrency"] == {"group": "${{ matrix.environment }}", "cancel-in-progress": False}
    groups = [job["concurrency"]["group"] for job in jobs.values()]
    assert len(set(groups)) == len(groups) and all(not job["concurrency"]["cancel-in-progress"]
                                                   for job in jobs.values())
    # a group of a job other than publish has a character no brand's name has: it is nobody's publish group
    assert all(":" in group for job_id, group in zip(jobs, groups, strict=True) if job_id != "publish")
    publish = next(s for s in workflow["jobs"]["publish"]["steps"] if s.get("id") == "publish")
    assert set(publish["env"]) - {"ROOT", "DRY_RUN", "POST_ID"} == credential_variables(REPO / "content")
    others = [s for s in workflow["jobs"]["publish"]["steps"] if s is not publish]
    assert not any("secrets." in json.dumps(s) for s in others)  # secrets reach the publish step only
    check = next(s for s in workflow["jobs"]["channels"]["steps"] if s.get("id") == "check")
    assert set(check["env"]) - {"RUN_URL", "ROOT"} == credential_variables(REPO / "content")  # the same secrets
    assert inputs["collect_stats"]["type"] == "boolean"
    collect = next(s for s in workflow["jobs"]["stats"]["steps"] if s.get("id") == "collect")
    assert set(collect["env"]) - {"ROOT"} == credential_variables(REPO / "content")
    assert workflow["jobs"]["stats"]["permissions"] == {"contents": "write"}
    assert inputs["collect_inbox"]["type"] == "boolean"
    collect = next(s for s in workflow["jobs"]["inbox"]["steps"] if s.get("id") == "collect")
    assert set(collect["env"]) - {"ROOT"} == credential_variables(REPO / "content")
    others = [s for s in workflow["jobs"]["inbox"]["steps"] if s is not collect]
    assert not any("secrets." in json.dumps(s) for s in others)


def test_the_publish_step_maps_every_brands_credential_variables_of_the_agency_example():
    # a brand's job gets the union of every brand's names, each filled from its own environment
    workflow = load_workflow(WORKFLOWS / "publish.yml")
    mapped = {job: set(next(s for s in workflow["jobs"][job]["steps"] if s.get("id") == step)["env"])
              for job, step in (("publish", "publish"), ("channels", "check"), ("profiles", "sync"),
                                ("stats", "collect"))}
    for content in sorted((REPO / "examples" / "agency" / "brands").glob("*/content")):
        for job, names in mapped.items():
            assert credential_variables(content) <= names, (content, job)


def credential_variables(content: Path) -> set[str]:
    import yaml

    channels = yaml.safe_load((content / "channels.yml").read_text())["channels"]
    return {v for channel in channels.values() for v in (channel.get("credentials") or {}).values()}


def test_pages_permissions_only_on_the_deploy_job():
    jobs = load_workflow(WORKFLOWS / "site.yml")["jobs"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert all("pages" not in job["permissions"] for name, job in jobs.items() if name != "deploy")


# -- dry runs ---------------------------------------------------------------------------


@pytest.fixture
def origin(tmp_path: Path):
    """A bare origin whose main holds a small content repository (channels of tests/conftest.py)."""
    seed = ContentRepo(tmp_path / "seed")
    git(seed.root, "init", "-q", "-b", "main")
    (seed.root / ".gitignore").write_text("/state/\n/outbox/\n/site/\n")
    shutil.copy(REPO / "mkdocs.yml", seed.root / "mkdocs.yml")  # the check builds the site
    (seed.root / "docs" / "sample-data").mkdir(parents=True)      # with the Growth page's sample (mkdocs.yml)
    shutil.copy(REPO / "docs" / "sample-data" / "metrics.jsonl", seed.root / "docs" / "sample-data")
    seed.write("docs/index.md", "# The calendar\n")
    seed.post("hello", "publish_at: 2030-03-02 10:00\nchannels: [mastodon]", month="2030/03")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "base")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed.root), str(bare)], check=True)
    return bare, seed


def clone(bare: Path, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(bare), str(folder)], check=True)
    git(folder, "config", "user.name", "Runner")
    git(folder, "config", "user.email", "runner@example.com")
    return folder


def listed(runner: FakeRunner, job: str) -> list[dict]:
    """Run publish.yml's job `brands` in `runner` (as Actions does first) and give `job` its entries."""
    run = runner.run("brands")
    assert run.conclusion == "success", run.logs
    runner.context["needs.brands.outputs.matrix"] = run.job_outputs["matrix"]
    return runner.matrix_entries(job)


def run_the_only_brand(runner: FakeRunner, job: str):
    """A repository of one brand: the job's one matrix entry, the names it always had."""
    entries = listed(runner, job)
    assert [(e["brand"], e["root"], e["environment"], e["state_branch"]) for e in entries] == [
        ("", ".", "publish", "state")]
    return runner.run(job, matrix=entries[0])


def test_the_check_reads_the_ledger_and_refuses_a_reused_id(origin, tmp_path):
    bare, seed = origin
    # The state branch: "spring" went out in February from a file that is gone since.
    git(seed.root, "checkout", "-q", "--orphan", "state")
    git(seed.root, "rm", "-rq", "--cached", ".")
    (seed.root / "ledger.jsonl").write_text(
        '{"post":"spring","channel":"mastodon","part":1,"state":"published","at":"2030-02-01T09:00:00Z",'
        '"remote_id":"1","url":"https://mastodon.example/@b/1","file":"content/posts/2030/02/spring.md"}\n')
    git(seed.root, "add", "ledger.jsonl")
    git(seed.root, "commit", "-qm", "ledger")
    git(seed.root, "push", "-q", str(bare), "state")
    (seed.root / "ledger.jsonl").unlink()
    git(seed.root, "checkout", "-q", "-f", "main")
    git(seed.root, "checkout", "-q", "-b", "reuse")
    seed.post("spring", "publish_at: 2030-03-05 10:00\nchannels: [mastodon]", body="A new spring post.",
              month="2030/03")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "a post named like an old one")
    git(seed.root, "push", "-q", str(bare), "reuse")
    workspace = clone(bare, tmp_path / "workspace")
    git(workspace, "checkout", "-q", "--detach", "origin/main")
    git(workspace, "merge", "-q", "--no-ff", "origin/reuse", "-m", "Merge 8 into main")
    context = {"github.base_ref": "main", "github.event.pull_request.number": 8,
               "github.event": {"pull_request": {"number": 8}}}
    run = FakeRunner(WORKFLOWS / "check.yml", workspace, tmp_path / "runner", context).run("check")
    assert run.outcomes["ledger"] == "success" and "to read only" in run.logs["ledger"]
    assert run.outcomes["Validate"] == "failure"
    assert "title=id-reused::id 'spring' already went out" in run.logs["Validate"]
    # detached: nothing there can be pushed
    assert git(workspace / "state", "status", "--porcelain", "--branch").startswith("## HEAD (no branch)")


def test_the_check_keeps_what_validation_read_and_rendered_for_the_pull_requests_next_run(origin, tmp_path):
    bare, seed = origin
    git(seed.root, "checkout", "-q", "-b", "more")
    seed.post("a", "publish_at: 2030-03-05 10:00\nchannels: [mastodon]", body="x" * 600, month="2030/03")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "a post too long")
    git(seed.root, "push", "-q", str(bare), "more")
    runs = []
    for attempt in (1, 2):
        workspace = clone(bare, tmp_path / f"workspace-{attempt}")
        git(workspace, "checkout", "-q", "--detach", "origin/main")
        git(workspace, "merge", "-q", "--no-ff", "origin/more", "-m", "Merge 9 into main")
        context = {"github.base_ref": "main", "github.event.pull_request.number": 9, "github.run_id": 40 + attempt,
                   "github.event": {"pull_request": {"number": 9}}}
        runner = FakeRunner(WORKFLOWS / "check.yml", workspace, tmp_path / "runner", context)
        runs.append(runner.run("check"))
    first, second = runs
    # saved although validation failed; the second run restores it and finds the same
    assert first.outcomes["Validate"] == "failure" and first.outcomes["Keep what validation read and rendered"] == \
        "success"
    assert first.outputs["validation-cache"]["cache-matched-key"] == ""
    assert second.outputs["validation-cache"]["cache-matched-key"] == "social-validate-41-1"
    assert sorted(path.name for path in (tmp_path / "runner" / "caches").iterdir()) == \
        ["social-validate-41-1", "social-validate-42-1"]
    assert "too long for mastodon" in first.logs["Validate"]
    assert second.logs["Validate"] == first.logs["Validate"]


def test_check_and_preview_comment_dry_run(origin, tmp_path):
    bare, seed = origin
    git(seed.root, "checkout", "-q", "-b", "new-posts")
    seed.post("a", "publish_at: 2030-03-05 10:00\nchannels: [mastodon, outbox]\ntitle: Spring", month="2030/03")
    seed.post("b", "publish_at: 2030-03-06 10:00\nchannels: [bluesky]\nthread: off", body="x" * 400, month="2030/03")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "two posts")
    git(seed.root, "push", "-q", str(bare), "new-posts")
    workspace = clone(bare, tmp_path / "workspace")
    # what actions/checkout checks out for a pull request: refs/pull/7/merge
    git(workspace, "checkout", "-q", "--detach", "origin/main")
    git(workspace, "merge", "-q", "--no-ff", "origin/new-posts", "-m", "Merge 7 into main")

    context = {"github.base_ref": "main", "github.event.pull_request.number": 7,
               "github.event": {"pull_request": {"number": 7}}}
    check = FakeRunner(WORKFLOWS / "check.yml", workspace, tmp_path / "runner", context)
    run = check.run("check")
    assert run.outcomes == {
        "Check out the pull request (merged into its base)": "success", "Set up Python": "success",
        "install": "success", "brands": "success", "ledger": "success", "validation-cache": "success",
        "Validate": "failure", "Keep what validation read and rendered": "success", "site": "success",
        "Upload the calendar site of the change": "success",
        "Cadence against the base branch": "success", "preview": "success",
        "Upload the preview for the comment": "success"}
    assert "the ledger is empty" in run.logs["ledger"]  # no state branch yet
    assert run.conclusion == "failure"  # the too-long post fails the check ...
    assert ("::error file=content/posts/2030/03/b.md,line=6,col=1,title=too-long::too long for bluesky"
            in run.logs["Validate"])
    summary = check.summary.read_text()  # ... and the preview still shows every post
    assert summary.startswith("## Preview of the posts: 2 added\n")
    assert "### Added `a`: Spring" in summary and "Text: **400** of 300 ❌ 100 over" in summary
    artifact = check.artifacts / "preview"
    assert (artifact / "pr-number").read_text() == "7\n"
    assert (artifact / "comment.md").read_text() == summary  # small enough to be the same
    assert "Against origin/main:" in run.logs["Cadence against the base branch"]
    # the calendar as it will be after the merge, with the two new posts, for the reviewer
    site = check.artifacts / "calendar-site"
    assert (site / "index.html").is_file() and (site / "calendar" / "posts" / "a.html").is_file()
    assert "Spring" in (site / "calendar" / "2030-03.html").read_text(encoding="utf-8")

    # preview-comment.yml, in another (trusted) runner, with the check's artifact
    runner_home = tmp_path / "comment-runner"
    shutil.copytree(check.artifacts, runner_home / "artifacts")
    pulls = [["api", "repos/bakery/social/pulls/7"], {"stdout": HEAD_SHA + "\n"}]
    comment_space = tmp_path / "comment-workspace"
    comment_space.mkdir()
    commenter = FakeRunner(WORKFLOWS / "preview-comment.yml", comment_space, runner_home, COMMENT_CONTEXT,
                           gh_responses=[pulls, site_artifacts(4711), [["api", "--paginate"], {"stdout": ""}]])
    assert commenter.run("comment").conclusion == "success"
    calls = commenter.gh_calls()
    assert calls[-1]["args"][:4] == ["api", "--method", "POST", "repos/bakery/social/issues/7/comments"]
    body = json.loads(calls[-1]["files"]["--input"])["body"]
    assert body == ("<!-- social-preview -->\n"
                    "**[The calendar after this change](https://github.com/bakery/social/actions/runs/99/artifacts/"
                    "4711)**: download it, unzip it and open `index.html` (kept for 7 days).\n\n" + summary)
    assert calls[1]["args"][:2] == ["api", "repos/bakery/social/actions/runs/99/artifacts?name=calendar-site"]
    listing = calls[2]["args"]
    assert listing[:3] == ["api", "--paginate", "repos/bakery/social/issues/7/comments"]

    # the next push updates the same comment
    commenter.gh_responses = [pulls, site_artifacts(4711), [["api", "--paginate"], {"stdout": "555\n"}]]
    assert commenter.run("comment").conclusion == "success"
    assert commenter.gh_calls()[-1]["args"][:4] == ["api", "--method", "PATCH",
                                                    "repos/bakery/social/issues/comments/555"]

    # a pull request that names another one's number gets no comment
    commenter.gh_responses = [[["api", "repos/bakery/social/pulls/7"], {"stdout": "f" * 40 + "\n"}]]
    before = len(commenter.gh_calls())
    assert commenter.run("comment").conclusion == "success"
    assert len(commenter.gh_calls()) == before + 1  # only the look-up
    # and a number that is not one is refused before anything is asked
    (comment_space / "preview" / "pr-number").write_text("7; rm -rf /\n")
    shutil.copy(comment_space / "preview" / "pr-number", runner_home / "artifacts" / "preview" / "pr-number")
    before = len(commenter.gh_calls())
    refused = commenter.run("comment")
    assert refused.conclusion == "failure" and "not a number" in refused.logs["Post or update the comment"]
    assert len(commenter.gh_calls()) == before


COMMENT_CONTEXT = {
    "github.event.workflow_run.event": "pull_request", "github.event.workflow_run.conclusion": "failure",
    "github.event.workflow_run.id": 99, "github.event.workflow_run.head_sha": HEAD_SHA,
    "github.token": "fake-token", "github.repository": "bakery/social", "github.server_url": "https://github.com",
}


def site_artifacts(*ids, expired: bool = False) -> list:
    """The answer of GitHub's API to the list of the check run's artifacts named calendar-site."""
    artifacts = [{"id": artifact_id, "name": "calendar-site", "expired": expired, "size_in_bytes": 123456}
                 for artifact_id in ids]
    return [["api", "repos/bakery/social/actions/runs/99/artifacts?name=calendar-site"],
            {"json": {"total_count": len(artifacts), "artifacts": artifacts}}]


@pytest.mark.parametrize("artifacts", [site_artifacts(), site_artifacts(4711, expired=True)])
def test_the_comment_says_so_when_the_check_made_no_calendar(tmp_path, artifacts):
    runner_home = tmp_path / "runner"
    preview = runner_home / "artifacts" / "preview"
    preview.mkdir(parents=True)
    (preview / "pr-number").write_text("7\n")
    (preview / "comment.md").write_text("## Preview of the posts: 1 added\n")
    space = tmp_path / "workspace"
    space.mkdir()
    pulls = [["api", "repos/bakery/social/pulls/7"], {"stdout": HEAD_SHA + "\n"}]
    commenter = FakeRunner(WORKFLOWS / "preview-comment.yml", space, runner_home, COMMENT_CONTEXT,
                           gh_responses=[pulls, artifacts, [["api", "--paginate"], {"stdout": ""}]])
    assert commenter.run("comment").conclusion == "success"
    body = json.loads(commenter.gh_calls()[-1]["files"]["--input"])["body"]
    assert body == ("<!-- social-preview -->\n"
                    "The calendar site of this change did not build, or has expired: see "
                    "[the check run](https://github.com/bakery/social/actions/runs/99).\n\n"
                    "## Preview of the posts: 1 added\n")


def test_preview_comment_skips_runs_that_were_not_pull_requests(tmp_path):
    context = {"github.event.workflow_run.event": "push", "github.event.workflow_run.conclusion": "success"}
    runner = FakeRunner(WORKFLOWS / "preview-comment.yml", tmp_path, tmp_path / "runner", context)
    assert runner.run("comment").conclusion == "skipped"


def publish_context(dry_run=None, post="") -> dict:
    return {
        "github.event.repository.default_branch": "main", "inputs.dry_run": dry_run, "inputs.post": post,
        "github.event_name": "schedule", "inputs.check_channels": None, "github.event.schedule": "7,22,37,52 * * * *",
        "secrets.MASTODON_TOKEN": "", "secrets.BLUESKY_APP_PASSWORD": "", "secrets.LINKEDIN_TOKEN": "",
        "secrets.TELEGRAM_BOT_TOKEN": "",
        "github.run_id": 4242, "github.token": "fake-token", "github.repository": "bakery/social",
        "github.server_url": "https://github.com", "github.ref_name": "main",
    }


def state_file(bare: Path, name: str) -> str:
    return subprocess.run(["git", "--git-dir", str(bare), "show", f"state:{name}"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize("ref", ["main", "other"])
def test_publish_keeps_its_records_between_runs_of_the_default_branch_only(origin, tmp_path, ref):
    bare, _ = origin
    runs = []
    for number in (1, 2):
        context = {**publish_context(), "github.run_id": 500 + number, "github.ref_name": ref}
        runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / f"run{number}"), tmp_path / "runner",
                            context, gh_responses=[[["issue", "list"], {"stdout": ""}]])
        runs.append(run_the_only_brand(runner, "publish"))
    first, second = runs
    assert first.outcomes["publish"] == "success"
    assert first.outputs["publish-cache"]["cache-matched-key"] == ""
    saved = sorted(path.name for path in (tmp_path / "runner" / "caches").iterdir()) \
        if (tmp_path / "runner" / "caches").is_dir() else []
    if ref == "main":
        assert saved == ["social-publish-publish.501-1", "social-publish-publish.502-1"]
        assert second.outputs["publish-cache"]["cache-matched-key"] == "social-publish-publish.501-1"
    else:
        assert saved == [] and second.outputs["publish-cache"]["cache-matched-key"] == ""


def test_publish_dry_run(origin, tmp_path):
    bare, seed = origin
    due = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M+00:00")
    seed.post("now", f"publish_at: {due}\nchannels: [outbox, mastodon]\ntitle: Due now", month="2026/01")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "a due post")
    git(seed.root, "push", "-q", str(bare), "main")

    # first run: no state branch yet; the outbox part goes out, mastodon lacks its token
    first = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run1"), tmp_path / "runner1",
                       publish_context(), gh_responses=[[["issue", "list"], {"stdout": ""}]])
    run = run_the_only_brand(first, "publish")
    # the token was handed to `social state` and is nowhere to be seen or found
    assert not any("fake-token" in log for log in run.logs.values())
    assert "fake-token" not in (tmp_path / "run1" / ".git" / "config").read_text()
    assert run.outcomes["state"] == "success" and run.outcomes["publish"] == "failure"
    assert run.outcomes["push"] == "success"
    assert run.outcomes["Keep the unpushed ledger"] == "skipped"
    ledger = [json.loads(line) for line in state_file(bare, "ledger.jsonl").splitlines()]
    assert ("outbox", "published") in {(e["channel"], e["state"]) for e in ledger}
    assert '"channel": "mastodon"' in run.logs["publish"] and "MASTODON_TOKEN" in run.logs["publish"]
    assert (first.artifacts / "publish-result" / "ledger-changed").read_text() == "true\n"
    created = first.gh_calls()[-1]
    assert created["args"][:4] == ["issue", "create", "--title", "Publishing needs attention"]
    body = created["files"]["--body-file"]
    assert body.startswith("<!-- social-publish-failures -->\n## Publishing needs attention")
    assert "| mastodon | now | 1 | `environment variable MASTODON_TOKEN is not set" in body
    assert "https://github.com/bakery/social/actions/runs/4242" in body

    # second run, on a fresh runner: the failure is still there, the same issue is updated
    second = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run2"), tmp_path / "runner2",
                        publish_context(), gh_responses=[[["issue", "list"], {"stdout": "12\n"}]])
    run_the_only_brand(second, "publish")
    assert second.gh_calls()[-1]["args"][:3] == ["issue", "edit", "12"]
    assert len([e for e in state_file(bare, "ledger.jsonl").splitlines() if '"outbox"' in e]) == 2  # not resent

    # the post leaves mastodon: all is well, the issue is closed, the ledger did not change
    post = seed.root / "content/posts/2026/01/now.md"
    post.write_text(post.read_text().replace("[outbox, mastodon]", "[outbox]"))
    git(seed.root, "commit", "-qam", "outbox only")
    git(seed.root, "push", "-q", str(bare), "main")
    third = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run3"), tmp_path / "runner3",
                       publish_context(), gh_responses=[[["issue", "list"], {"stdout": "12\n"}]])
    run = run_the_only_brand(third, "publish")
    assert run.conclusion == "success", run.logs
    assert third.gh_calls()[-1]["args"][:3] == ["issue", "close", "12"]
    assert (third.artifacts / "publish-result" / "ledger-changed").read_text() == "false\n"

    # a manual dry run of one post sends nothing, pushes nothing and leaves the issue alone
    dry = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run4"), tmp_path / "runner4",
                     publish_context(dry_run=True, post="now"))
    run = run_the_only_brand(dry, "publish")
    assert run.outcomes["push"] == "skipped" and run.outcomes["Open, update or close the issue"] == "skipped"
    assert '"dry_run": true' in run.logs["publish"]
    assert dry.gh_calls() == []


def test_the_daily_channel_check_keeps_one_issue_open_until_every_channel_can_post(origin, tmp_path):
    bare, _ = origin
    context = {**publish_context(), "github.event.schedule": "3 6 * * *", "inputs.check_channels": None}
    workflow = load_workflow(WORKFLOWS / "publish.yml")
    assert workflow["jobs"]["channels"]["environment"] == "${{ matrix.environment }}"
    runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run1"), tmp_path / "runner1",
                        context, gh_responses=[[["issue", "list"], {"stdout": ""}]])
    run = run_the_only_brand(runner, "channels")
    assert run.outcomes["check"] == "success", run.logs  # a broken channel is news, not a failed job
    created = runner.gh_calls()[-1]
    assert created["args"][:4] == ["issue", "create", "--title", "Channels need attention"]
    body = created["files"]["--body-file"]
    assert body.startswith("<!-- social-channels-check -->")
    assert "**mastodon** cannot post: `environment variable MASTODON_TOKEN is not set" in body
    # the next day, with the issue open: updated, not opened twice
    again = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run2"), tmp_path / "runner2",
                       context, gh_responses=[[["issue", "list"], {"stdout": "31\n"}]])
    run_the_only_brand(again, "channels")
    assert again.gh_calls()[-1]["args"][:3] == ["issue", "edit", "31"]


def test_a_merged_profile_change_is_synced_and_recorded_on_the_state_branch(origin, tmp_path):
    bare, seed = origin
    seed.write("content/profiles/outbox.yml", "bio: hi\n")  # outbox has no profile: the sync says so
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "a profile")
    git(seed.root, "push", "-q", str(bare), "main")
    context = {**publish_context(), "github.event_name": "push", "github.ref_name": "main",
               "github.event.schedule": None}
    workflow = load_workflow(WORKFLOWS / "publish.yml")
    assert workflow["on"]["push"] == {"paths": ["content/profiles/**", "brands/*/content/profiles/**"]}
    runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run"), tmp_path / "runner", context)
    run = run_the_only_brand(runner, "profiles")
    assert run.outcomes["state"] == "success"
    assert run.outcomes["sync"] == "failure" and "profile" in run.logs["sync"]  # refused, with the reason
    assert run.outcomes["Push what was synced to the state branch"] == "success"


def test_the_daily_stats_job_appends_the_metrics_to_the_state_branch(origin, tmp_path):
    """On the daily schedule: followers read from the (fake) instance, pushed in state/metrics.jsonl;
    a channel that cannot be read fails the step, and what the others read is pushed all the same."""
    from tests.fakes.mastodon import FakeMastodon

    bare, seed = origin
    with FakeMastodon("stats-token") as mastodon:
        mastodon.account["followers_count"] = 321
        channels = (seed.root / "content/channels.yml").read_text()
        seed.write("content/channels.yml", channels.replace("https://mastodon.example", mastodon.url))
        git(seed.root, "commit", "-qam", "the fake instance")
        git(seed.root, "push", "-q", str(bare), "main")
        context = {**publish_context(), "github.event.schedule": "3 6 * * *",
                   "secrets.MASTODON_TOKEN": "stats-token"}
        runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run"), tmp_path / "runner", context)
        run = run_the_only_brand(runner, "stats")
    assert run.outcomes["state"] == "success"
    assert run.outcomes["collect"] == "failure"              # bluesky has no password here
    assert "BLUESKY_APP_PASSWORD" in run.logs["collect"] and "stats-token" not in run.logs["collect"]
    assert run.outcomes["Push the metrics to the state branch"] == "success"
    metrics = [json.loads(line) for line in state_file(bare, "metrics.jsonl").splitlines()]
    assert [(m["channel"], m["kind"], m["followers"]) for m in metrics] == [("mastodon", "account", 321)]
    assert "stats-token" not in state_file(bare, "metrics.jsonl")


@pytest.mark.parametrize("inputs, jobs", [
    ({"inputs.collect_stats": True}, {"stats"}),
    ({"inputs.collect_inbox": True}, {"inbox"}),
    ({"github.event_name": "schedule", "github.event.schedule": "17 */3 * * *"}, {"inbox"}),
    ({"github.event_name": "schedule", "github.event.schedule": "3 6 * * *"},
     {"publish", "channels", "profiles", "stats"}),
    ({"inputs.check_channels": True}, {"channels"}),
    ({}, {"publish"}),
])
def test_a_manual_run_does_what_it_was_asked_and_nothing_else(inputs, jobs):
    context = {**publish_context(), "github.event_name": "workflow_dispatch", "github.event.schedule": None,
               "inputs.collect_stats": None, "inputs.collect_inbox": None, **inputs}
    status = {"success": True, "failure": False, "cancelled": False, "always": True}
    ran = {job_id for job_id, job in load_workflow(WORKFLOWS / "publish.yml")["jobs"].items()
           if Expressions(context).evaluate(str(job.get("if", "true")), status)}
    assert ran == {"brands", *jobs}  # the brands are listed first, whatever the run does


def test_the_inbox_job_collects_on_its_own_schedule_and_pushes_to_the_state_branch(origin, tmp_path):
    from tests.fakes.mastodon import FakeMastodon

    bare, seed = origin
    with FakeMastodon("inbox-token-7781") as instance:
        seed.write("content/channels.yml", f"""\
            timezone: Europe/Berlin
            channels:
              mastodon:
                network: mastodon
                instance: {instance.url}
                credentials: {{token: MASTODON_TOKEN}}
              outbox:
                network: outbox
            """)
        git(seed.root, "add", "-A")
        git(seed.root, "commit", "-qm", "a reachable instance")
        git(seed.root, "push", "-q", str(bare), "main")
        instance.notify("mention", "@crumbandco open on Sunday?")
        context = {**publish_context(), "github.event.schedule": "17 */3 * * *",
                   "secrets.MASTODON_TOKEN": "inbox-token-7781"}
        workflow = load_workflow(WORKFLOWS / "publish.yml")
        assert workflow["jobs"]["inbox"]["environment"] == "${{ matrix.environment }}"
        runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run"), tmp_path / "runner", context)
        entry = listed(runner, "inbox")[0]
        assert runner.run("publish", matrix=entry).conclusion == "skipped"
        assert runner.run("channels", matrix=entry).conclusion == "skipped"
        run = run_the_only_brand(runner, "inbox")
        assert run.outcomes["collect"] == "success", run.logs
        assert "1 new" in run.logs["collect"]
        assert run.outcomes["push"] == "success"
        lines = state_file(bare, "inbox.jsonl").splitlines()
        assert [json.loads(line)["text"] for line in lines] == ["@crumbandco open on Sunday?"]
        assert "inbox-token-7781" not in json.dumps(run.logs)
        # site.yml rebuilds the inbox page after a run that brought something, and only then
        assert (runner.artifacts / "publish-result" / "ledger-changed").read_text() == "true\n"
        again = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "again"), tmp_path / "runner2", context)
        assert run_the_only_brand(again, "inbox").outcomes["collect"] == "success"
        assert (again.artifacts / "publish-result" / "ledger-changed").read_text() == "false\n"


def test_publish_stops_itself_when_the_ledger_cannot_be_pushed(origin, tmp_path):
    bare, seed = origin
    due = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M+00:00")
    seed.post("now", f"publish_at: {due}\nchannels: [outbox]", month="2026/01")
    git(seed.root, "add", "-A")
    git(seed.root, "commit", "-qm", "a due post")
    git(seed.root, "push", "-q", str(bare), "main")
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/heads/state ] && exit 1; done\n"
                    "exit 0\n")
    hook.chmod(0o755)
    workspace = clone(bare, tmp_path / "run")
    runner = FakeRunner(WORKFLOWS / "publish.yml", workspace, tmp_path / "runner", publish_context(),
                        gh_responses=[[["issue", "list"], {"stdout": ""}]])
    run = run_the_only_brand(runner, "publish")
    assert run.outcomes["push"] == "failure"
    assert run.outcomes["Keep the unpushed ledger"] == "success"
    assert '"state":"published"' in (runner.artifacts / "unpushed-ledger" / "ledger.jsonl").read_text()
    calls = [c["args"] for c in runner.gh_calls()]
    assert ["workflow", "disable", "publish.yml"] in calls
    assert "publishing is disabled until the ledger" in runner.gh_calls()[-1]["files"]["--body-file"]


def site_context(event: str, changed: str | None = None) -> dict:
    context = {"github.event_name": event, "github.event.repository.default_branch": "main",
               "vars.SITE_URL": "", "github.repository_owner": "Bakery",
               "github.event.repository.name": "social", "github.event.workflow_run.id": 5,
               "github.token": "fake-token", "github.repository": "bakery/social",
               # the publish run that triggered this one: the default branch's own, on its schedule
               "github.event.workflow_run.event": "schedule", "github.event.workflow_run.head_branch": "main",
               "github.event.workflow_run.head_repository.full_name": "bakery/social"}
    if changed is not None:
        context["needs.ledger-changed.outputs.changed"] = changed
    return context


@pytest.mark.parametrize("written, changed", [("true\n", "true"), ("false\n", "false"), ("yes; rm\n", "false")])
def test_site_builds_after_a_publish_run_only_when_the_ledger_changed(tmp_path, written, changed):
    runner = FakeRunner(WORKFLOWS / "site.yml", tmp_path, tmp_path / "runner", site_context("workflow_run"))
    (runner.artifacts / "publish-result").mkdir(parents=True)
    (runner.artifacts / "publish-result" / "ledger-changed").write_text(written)
    run = runner.run("ledger-changed")
    assert run.outputs["read"] == {"changed": changed}
    build = FakeRunner(WORKFLOWS / "site.yml", tmp_path, tmp_path / "runner", site_context("workflow_run", changed))
    assert (build.run("build").conclusion == "skipped") is (changed == "false")


def test_a_publish_run_that_wrote_no_record_leaves_the_site_alone_without_failing(tmp_path):
    """A run of only the channels check or the metrics collection uploads no record: nothing changed."""
    runner = FakeRunner(WORKFLOWS / "site.yml", tmp_path, tmp_path / "runner", site_context("workflow_run"))
    run = runner.run("ledger-changed")
    assert run.conclusion == "success"
    assert run.outputs["read"] == {"changed": "false"}


@pytest.mark.parametrize("run, why", [
    ({"event": "pull_request"}, "a pull request's run of a workflow named publish"),
    ({"event": "pull_request_target"}, "a workflow named publish on another trigger"),
    ({"event": "push"}, "a workflow named publish on another trigger"),
    ({"head_branch": "feature"}, "another branch's run"),
    ({"head_repository.full_name": "mallory/social"}, "a fork's run"),
])
def test_site_ignores_runs_that_are_not_the_default_branchs_own_publish_runs(tmp_path, run, why):
    context = site_context("workflow_run")
    for key, value in run.items():
        context[f"github.event.workflow_run.{key}"] = value
    runner = FakeRunner(WORKFLOWS / "site.yml", tmp_path, tmp_path / "runner", context)
    assert runner.run("ledger-changed").conclusion == "skipped", why
    assert runner.run("build").conclusion == "skipped", why


def committed(path: str) -> bool:
    return subprocess.run(["git", "-C", str(REPO), "ls-files", "--error-unmatch", path],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None or not committed("mkdocs.yml"),
                    reason="needs the site extra and a committed mkdocs.yml")
def test_site_build_dry_run_builds_the_calendar_strictly(tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD", "mkdocs.yml", "docs", "content",
                              "templates"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(workspace)], input=archive, check=True)  # what is committed

    def checkout(with_: dict) -> None:
        if with_.get("ref") == "state":
            raise RuntimeError("no state branch yet")  # the build goes on with an empty ledger

    runner = FakeRunner(WORKFLOWS / "site.yml", workspace, tmp_path / "runner", site_context("push"),
                        checkout=checkout)
    run = runner.run("build")
    assert run.outcomes["state"] == "failure" and run.conclusion == "success", run.logs.get("Build")
    assert (workspace / "site" / "index.html").is_file()
    runner.context["needs.build.result"] = "success"
    deploy = runner.run("deploy")
    assert deploy.outputs["deployment"] == {"page_url": "https://example.github.io/site/"}


# -- the agency example: several brands, one job per brand ------------------------------------

AGENCY = REPO / "examples" / "agency"
SECRETS = {"publish-bakery": {"MASTODON_TOKEN": "bakery-mastodon", "BLUESKY_APP_PASSWORD": "bakery-bluesky"},
           "publish-cafe": {"MASTODON_TOKEN": "cafe-mastodon", "TELEGRAM_BOT_TOKEN": "cafe-telegram"},
           # the flower shop's Bluesky password was never set: its job fails, and only its job
           "publish-flowers": {"LINKEDIN_TOKEN": "flowers-linkedin"}}


@pytest.fixture
def agency_origin(tmp_path: Path):
    """A bare origin whose main holds the agency example (its posts moved to 2030: none is due or
    past, whatever today is; a test adds what is due)."""
    seed = tmp_path / "agency-seed"
    shutil.copytree(AGENCY, seed, ignore=shutil.ignore_patterns("site", "outbox", "state"))
    for post in seed.glob("brands/*/content/posts/**/*.md"):
        post.write_text(re.sub(r"^publish_at: 2026-", "publish_at: 2030-", post.read_text(), flags=re.M))
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "the agency")
    bare = tmp_path / "agency.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    return bare, seed


def brand_post(seed: Path, brand: str, slug: str, front: str, body: str = "Fresh today.") -> None:
    path = seed / "brands" / brand / "content" / "posts" / "2026" / "01" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")


def branch_file(bare: Path, branch: str, name: str) -> str | None:
    done = subprocess.run(["git", "--git-dir", str(bare), "show", f"{branch}:{name}"], capture_output=True,
                          text=True)
    return done.stdout if done.returncode == 0 else None


def test_the_agency_check_validates_and_previews_each_brand_the_change_touches(agency_origin, tmp_path):
    bare, seed = agency_origin
    git(seed, "checkout", "-q", "-b", "cafe-posts")
    brand_post(seed, "cafe", "long-read", "publish_at: 2030-03-05 10:00\nchannels: [mastodon]\nthread: off\n"
               "title: A long read", body="Coffee. " * 80)
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "a café post")
    git(seed, "push", "-q", str(bare), "cafe-posts")
    workspace = clone(bare, tmp_path / "workspace")
    git(workspace, "checkout", "-q", "--detach", "origin/main")
    git(workspace, "merge", "-q", "--no-ff", "origin/cafe-posts", "-m", "Merge 9 into main")
    context = {"github.base_ref": "main", "github.event.pull_request.number": 9,
               "github.event": {"pull_request": {"number": 9}}}
    check = FakeRunner(WORKFLOWS / "check.yml", workspace, tmp_path / "runner", context)
    run = check.run("check")
    assert run.outputs["brands"] == {"roots": "brands/bakery brands/cafe brands/flowers"}
    assert run.logs["ledger"].count("the ledger is empty") == 3  # each brand's, none pushed yet
    assert run.outcomes["Validate"] == "failure" and run.outcomes["site"] == "success", run.logs
    # the annotation names the file from the repository's top, where GitHub shows it
    assert "::error file=brands/cafe/content/posts/2026/01/long-read.md,line=" in run.logs["Validate"]
    assert "title=too-long::too long for mastodon" in run.logs["Validate"]
    assert run.outcomes["Cadence against the base branch"] == "success"
    summary = check.summary.read_text()
    assert summary.startswith("# cafe\n\n## Preview of the posts: 1 added\n")
    assert "# bakery" not in summary and "# flowers" not in summary  # the brands the change leaves alone
    assert (check.artifacts / "preview" / "comment.md").read_text() == summary


def test_the_agency_check_fails_on_a_folder_in_brands_that_is_no_brand(agency_origin, tmp_path):
    bare, seed = agency_origin
    (seed / "brands" / "Shop" / "content").mkdir(parents=True)
    shutil.copy(seed / "brands" / "cafe" / "content" / "channels.yml", seed / "brands" / "Shop" / "content")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "a brand named with a capital")
    git(seed, "push", "-q", str(bare), "main")
    workspace = clone(bare, tmp_path / "workspace")
    context = {"github.base_ref": "main", "github.event.pull_request.number": 9,
               "github.event": {"pull_request": {"number": 9}}}
    run = FakeRunner(WORKFLOWS / "check.yml", workspace, tmp_path / "runner", context).run("check")
    assert run.outcomes["brands"] == "failure" and "brands/Shop is not a brand" in run.logs["brands"]


def test_a_brand_added_in_a_pull_request_gets_its_job_without_a_change_to_the_workflow(agency_origin, tmp_path):
    bare, seed = agency_origin
    shutil.copytree(seed / "brands" / "flowers", seed / "brands" / "garden-centre")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "a fourth brand")
    git(seed, "push", "-q", str(bare), "main")
    runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "run"), tmp_path / "runner",
                        publish_context())
    entries = listed(runner, "publish")
    assert [(e["brand"], e["root"], e["environment"], e["state_branch"]) for e in entries] == [
        ("bakery", "brands/bakery", "publish-bakery", "state-bakery"),
        ("cafe", "brands/cafe", "publish-cafe", "state-cafe"),
        ("flowers", "brands/flowers", "publish-flowers", "state-flowers"),
        ("garden-centre", "brands/garden-centre", "publish-garden-centre", "state-garden-centre")]
    assert listed(runner, "channels") == listed(runner, "profiles") == entries


def test_the_agency_publishes_each_brand_in_its_own_job_with_its_own_secrets_ledger_and_issue(
        agency_origin, tmp_path):
    bare, seed = agency_origin
    due = (datetime.now(UTC) - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M+00:00")
    brand_post(seed, "bakery", "rolls", f"publish_at: {due}\nchannels: [outbox]\ntitle: Rolls")
    brand_post(seed, "cafe", "melange", f"publish_at: {due}\nchannels: [outbox]\ntitle: Melange")
    brand_post(seed, "flowers", "tulips", f"publish_at: {due}\nchannels: [outbox, bluesky]\ntitle: Tulips")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "a due post for each brand")
    git(seed, "push", "-q", str(bare), "main")
    # GitHub holds an open failure issue of the café's, from an earlier run, and another brand's
    # issue of another kind: each job finds its own issue by its marker (gh's --jq, run for real)
    issues = [{"number": 3, "body": "<!-- social-publish-failures cafe -->\n## Publishing needs attention"},
              {"number": 4, "body": "<!-- social-channels-check bakery -->\n## Channels need attention"}]
    gh = [[["issue", "list"], {"issues": issues}]]
    entries = listed(FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / "list"), tmp_path / "lister",
                                publish_context()), "publish")
    runs, runners = {}, {}
    for entry in entries:  # each its own job, on its own runner, in no particular order
        brand = entry["brand"]
        runner = FakeRunner(WORKFLOWS / "publish.yml", clone(bare, tmp_path / f"run-{brand}"),
                            tmp_path / f"runner-{brand}", {**publish_context(),
                                                           "needs.brands.outputs.matrix": json.dumps(entries)},
                            gh_responses=gh, environments=SECRETS)
        runs[brand], runners[brand] = runner.run("publish", matrix=entry), runner

    # the flower shop's failure is the flower shop's: the other brands published and are well
    assert {brand: run.conclusion for brand, run in runs.items()} == {
        "bakery": "success", "cafe": "success", "flowers": "failure"}
    assert "BLUESKY_APP_PASSWORD" in runs["flowers"].logs["publish"]
    # each brand's secrets reached its own Publish step, and no other step or brand
    for brand, run in runs.items():
        mine = set(SECRETS[f"publish-{brand}"].values())
        given = {key: {value for value in env.values() if value.endswith(("-mastodon", "-bluesky", "-telegram",
                                                                            "-linkedin"))}
                 for key, env in run.env.items()}
        assert given.pop("publish") == mine, brand
        assert not any(given.values()), (brand, given)
    # each brand's ledger on its own state branch; no branch of one brand's name
    for brand, slug in (("bakery", "rolls"), ("cafe", "melange"), ("flowers", "tulips")):
        ledger = [json.loads(line) for line in branch_file(bare, f"state-{brand}", "ledger.jsonl").splitlines()]
        assert {(e["post"], e["channel"], e["state"]) for e in ledger} >= {(slug, "outbox", "published")}
        assert {e["post"] for e in ledger} == {slug}
        record = runners[brand].artifacts / f"publish-result-{brand}" / f"ledger-changed-{brand}"
        assert record.read_text() == "true\n"
    assert branch_file(bare, "state", "ledger.jsonl") is None
    # the café's issue is closed, the bakery's channel issue left alone, the flower shop's opened
    calls = {brand: [c["args"][:4] for c in runner.gh_calls() if c["args"][:2] != ["issue", "list"]]
             for brand, runner in runners.items()}
    assert calls["bakery"] == []
    assert calls["cafe"] == [["issue", "close", "3", "--comment"]]
    assert calls["flowers"] == [["issue", "create", "--title", "Publishing needs attention: flowers"]]
    body = runners["flowers"].gh_calls()[-1]["files"]["--body-file"]
    assert body.startswith("<!-- social-publish-failures flowers -->\n")
    assert "| bluesky | tulips | 1 | `environment variable BLUESKY_APP_PASSWORD is not set" in body
    assert "update the secret in the `publish-flowers` environment" in body

    # site.yml, after that run: one record per brand, merged; one changed ledger is enough
    def checkout(with_: dict) -> None:
        if with_.get("ref") == "state":
            raise RuntimeError("no branch state")  # a repository of several brands has none

    site = FakeRunner(WORKFLOWS / "site.yml", clone(bare, tmp_path / "site"), tmp_path / "site-runner",
                      site_context("workflow_run"), checkout=checkout)
    for runner in runners.values():
        shutil.copytree(runner.artifacts, site.artifacts, dirs_exist_ok=True)
    assert site.run("ledger-changed").outputs["read"] == {"changed": "true"}
    site.context["needs.ledger-changed.outputs.changed"] = "true"
    build = site.run("build")
    assert build.outcomes["state"] == "failure"
    assert build.outcomes["brand-states"] == "success" and build.conclusion == "success", build.logs
    for brand in ("bakery", "cafe", "flowers"):
        assert (tmp_path / "site" / "brands" / brand / "state" / "ledger.jsonl").is_file()
    page = (tmp_path / "site" / "site" / "calendar" / "cafe" / "posts" / "melange.html").read_text()
    assert "published" in page.lower()


def test_site_reads_the_records_of_every_brand(tmp_path):
    runner = FakeRunner(WORKFLOWS / "site.yml", tmp_path, tmp_path / "runner", site_context("workflow_run"))
    for brand, written in (("bakery", "false\n"), ("cafe", "false\n")):
        (runner.artifacts / f"publish-result-{brand}").mkdir(parents=True)
        (runner.artifacts / f"publish-result-{brand}" / f"ledger-changed-{brand}").write_text(written)
    assert runner.run("ledger-changed").outputs["read"] == {"changed": "false"}
    (runner.artifacts / "publish-result-cafe" / "ledger-changed-cafe").write_text("true\n")
    assert runner.run("ledger-changed").outputs["read"] == {"changed": "true"}


def test_the_agency_site_goes_on_past_one_brand_whose_ledger_cannot_be_checked_out(agency_origin, tmp_path):
    bare, seed = agency_origin
    for brand in ("bakery", "cafe", "flowers"):
        git(seed, "checkout", "-q", "--orphan", f"state-{brand}")
        git(seed, "rm", "-rqf", "--cached", ".")
        (seed / "ledger.jsonl").write_text("")
        git(seed, "add", "ledger.jsonl")
        git(seed, "commit", "-qm", "ledger")
        git(seed, "push", "-q", str(bare), f"state-{brand}")
        (seed / "ledger.jsonl").unlink()
        git(seed, "checkout", "-q", "-f", "main")
    workspace = clone(bare, tmp_path / "site")
    (workspace / "brands" / "bakery" / "state").mkdir()  # left behind by hand: not a checkout
    (workspace / "brands" / "bakery" / "state" / "notes.txt").write_text("a note\n")

    def checkout(with_: dict) -> None:
        if with_.get("ref") == "state":
            raise RuntimeError("no branch state")

    runner = FakeRunner(WORKFLOWS / "site.yml", workspace, tmp_path / "runner", site_context("push"),
                        checkout=checkout)
    run = runner.run("build")
    assert run.outcomes["brand-states"] == "failure"
    assert "state/ exists and is not a checkout of the state-bakery branch" in run.logs["brand-states"]
    for brand in ("cafe", "flowers"):  # after the bakery's, in name order
        assert (workspace / "brands" / brand / "state" / "ledger.jsonl").is_file(), run.logs["brand-states"]
    assert run.conclusion == "success", run.logs.get("Build")
    assert (workspace / "site" / "calendar" / "cafe" / "index.html").is_file()
