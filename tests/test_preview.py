"""`social preview --changed BASE..HEAD` on a real temporary git repository."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.review.formatting import Block, fit, md_code, md_fenced, md_text

NOW = "2026-11-20 12:00"


def git(root, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), "-c", "user.name=Test", "-c", "user.email=test@example.com",
                           *args], check=True, capture_output=True, text=True)
    return done.stdout


def commit(root, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def preview(root, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["preview", "--root", str(root), "--now", NOW, *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def pull_request(repo):
    """main: 3 posts; the branch adds 50 (one with an image, one too long, one a thread), changes,
    renames and removes one each."""
    git(repo.root, "init", "-q", "-b", "main")
    repo.post("keep", "publish_at: 2026-12-01 09:00\nchannels: [mastodon]\ntitle: Kept")
    repo.post("moved", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]", body="Moving house.")
    repo.post("gone", "publish_at: 2026-12-03 09:00\nchannels: [mastodon]\ntitle: Gone soon")
    commit(repo.root, "base")
    git(repo.root, "checkout", "-q", "-b", "posts")
    (repo.root / "content/media").mkdir(parents=True)
    Image.new("RGB", (800, 600), "wheat").save(repo.root / "content/media/loaf.png")
    for n in range(50):
        day, hour = 1 + n // 3, 9 + 3 * (n % 3)
        front = f"publish_at: 2026-12-{day:02d} {hour:02d}:00\nchannels: [mastodon, bluesky]\ntitle: Post {n}"
        body = f"Fresh bread number {n}."
        if n == 0:
            front += "\nmedia:\n  - path: media/loaf.png\n    alt: A round rye loaf on a board"
        if n == 1:
            front = front.replace("[mastodon, bluesky]", "[bluesky]\nthread: off")
            body = "x" * 400
        if n == 2:
            body = "First part.\n---\nSecond part with ```backticks```."
        repo.post(f"new-{n:02d}", front, body=body)
    repo.post("keep", "publish_at: 2026-12-01 10:30\nchannels: [mastodon, bluesky]\ntitle: Kept")
    git(repo.root, "mv", "content/posts/2026/12/moved.md", "content/posts/2026/12/moved-again.md")
    git(repo.root, "rm", "-q", "content/posts/2026/12/gone.md")
    commit(repo.root, "fifty posts")
    return repo


def test_a_pull_request_adding_50_posts_shows_every_text_count_medium_finding_and_removal(pull_request):
    text = preview(pull_request.root, "--changed", "main..posts")
    assert len(text.encode()) < 1_000_000
    assert text.startswith("## Preview of the posts: ")
    assert text.splitlines()[0] == "## Preview of the posts: 50 added, 1 changed, 1 renamed, 1 removed"
    for n in range(50):
        assert f"### Added `new-{n:02d}`: Post {n}" in text
        assert f"Fresh bread number {n}." in text or n in (1, 2)
    assert "Truncated" not in text
    # counts against each channel's limit, the exact text in a fence
    assert "Text: **21** of 500 ✅\n\n```text\nFresh bread number 0.\n```" in text
    assert "- 🖼 `media/loaf.png` 800×600, alt: A round rye loaf on a board" in text
    assert "Text: **400** of 300 ❌ 100 over" in text
    assert "❌ error `too-long`" in text
    # every thread part, shown exactly even with backticks in it
    assert "Part 1 of 2" in text and "Part 2 of 2" in text
    assert "Part 2 of 2: **27** of 500 ✅\n\n```text\nSecond part with backticks.\n```" in text
    # changed, renamed, removed
    assert "### Changed `keep`: Kept" in text
    assert "Before this change: publish_at was 2026-12-01 09:00+01:00; channels were mastodon." in text
    assert "### Renamed `moved-again`" in text
    assert "renamed from `content/posts/2026/12/moved.md`; id changes from `moved` to `moved-again`" in text
    assert "### Removed\n- `gone`: Gone soon (`content/posts/2026/12/gone.md`)" in text
    # the cadence impact, as `social cadence --against` finds it
    cadence = text.split("### Cadence\n")[1].split("\n### ")[0]
    assert "| Tue Dec 1 | bluesky | 0 | 4 ❌ |" in cadence
    assert "**New findings**" in cadence and "`max_per_day`" in cadence


def test_a_small_budget_truncates_whole_posts_with_a_note_and_counts(pull_request):
    text = preview(pull_request.root, "--changed", "main..posts", "--max-bytes", "8000")
    assert len(text.encode()) <= 8000
    shown = text.count("\n### Added ") + text.count("\n### Changed ") + text.count("\n### Renamed ")
    note = text.strip().splitlines()[-1]
    assert note.startswith("**Truncated to stay under 8,000 bytes: ")
    hidden = int(re.search(r" (\d+) posts", note).group(1))
    assert shown + hidden == 52 and shown > 5
    assert "### Cadence" in text  # the cadence comes before the posts, so it always fits
    assert "Run `social preview --changed main..posts` to see everything." in note


def test_fit_keeps_huge_previews_under_the_job_summary_limit():
    blocks = [Block("### post\n" + "x" * 30_000 + "\n", "post") for _ in range(200)]  # 6 MB
    text = fit("## head", blocks, 1_000_000, "See all.")
    assert len(text.encode()) <= 1_000_000
    assert "167 posts not shown" in text
    assert text.count("### post") == 33
    assert fit("## head", [Block("small")], 1000, "x") == "## head\nsmall\n"


def test_text_and_json(pull_request):
    text = preview(pull_request.root, "--changed", "main..posts", "--format", "text")
    assert text.startswith("Preview of main..posts: 50 added, 1 changed, 1 renamed, 1 removed;")
    assert "added: content/posts/2026/12/new-00.md" in text
    assert "== mastodon (mastodon)" in text and "removed:\n  content/posts/2026/12/gone.md (gone)" in text
    data = json.loads(preview(pull_request.root, "--changed", "main..posts", "--format", "json"))
    assert len(data["posts"]) == 52 and data["removed"] == [{"file": "content/posts/2026/12/gone.md",
                                                             "id": "gone"}]
    long = next(p for p in data["posts"] if p["id"] == "new-01")
    assert long["renderings"][0]["parts"][0]["length"] == 400
    assert "too-long" in [f["code"] for f in long["findings"]]
    assert data["cadence"]["days"][0]["date"] == "2026-12-01"


def test_a_three_dot_range_previews_only_what_the_branch_did(pull_request):
    root = pull_request.root
    git(root, "checkout", "-q", "main")
    pull_request.post("on-main", "publish_at: 2026-12-20 09:00\nchannels: [mastodon]")
    commit(root, "meanwhile on main")
    two = json.loads(preview(root, "--changed", "main..posts", "--format", "json"))
    three = json.loads(preview(root, "--changed", "main...posts", "--format", "json"))
    assert {r["id"] for r in two["removed"]} == {"gone", "on-main"}
    assert {r["id"] for r in three["removed"]} == {"gone"}


def test_a_content_root_inside_a_folder_and_other_files(repo):
    top = repo.root
    git(top, "init", "-q", "-b", "main")
    site = top / "social"
    site.mkdir()
    for name in ("content", "templates"):
        (top / name).rename(site / name)
    commit(top, "base")
    (site / "content/channels.yml").write_text((site / "content/channels.yml").read_text() + "\n")
    post = site / "content/posts/2026/12/hello.md"
    post.parent.mkdir(parents=True)
    post.write_text("---\npublish_at: 2026-12-01 09:00\nchannels: [outbox]\n---\nHello @everyone <b>\n")
    commit(top, "change")
    text = preview(site, "--changed", "HEAD~1..HEAD")
    assert "### Added `hello`" in text
    assert "### Other files\n- `content/channels.yml` changed" in text
    assert "every post may render differently" in text


def test_bad_ranges_are_usage_errors(pull_request, tmp_path_factory):
    assert "give BASE..HEAD" in preview(pull_request.root, "--changed", "main", code=2)
    assert "'nope' is no commit" in preview(pull_request.root, "--changed", "main..nope", code=2)
    assert "is no commit" in preview(pull_request.root, "--changed", "--output=x..main", code=2)
    elsewhere = tmp_path_factory.mktemp("plain")
    assert "not in a git repository" in preview(elsewhere, "--changed", "a..b", code=2)


def test_markdown_helpers_show_text_exactly_and_never_mention_or_inject():
    assert md_text("@everyone <img src=x> [a](b) *b*") == (
        "@\u2060everyone \\<img src=x\\> \\[a\\]\\(b\\) \\*b\\*")
    assert md_code("a `b` c") == "``a `b` c``"
    assert md_code("`x") == "`` `x ``"
    assert md_fenced("a\n```\nb") == "````text\na\n```\nb\n````"


def test_a_profile_change_is_shown_as_it_will_look(repo):
    git(repo.root, "init", "-q", "-b", "main")
    repo.write("content/profiles/mastodon.yml", "display_name: Crumb & Co.\nbio: Bread.\n")
    commit(repo.root, "base")
    repo.write("content/profiles/mastodon.yml", "display_name: Crumb & Co.\nbio: Bread, rye and stollen.\n"
               "fields:\n  - {name: Hours, value: Tue-Sat 7-18}\n")
    commit(repo.root, "new bio")
    shown = preview(repo.root, "--changed", "HEAD~1..HEAD", "--format", "markdown")
    assert "### Profile of `mastodon` (`content/profiles/mastodon.yml`)" in shown
    assert "| bio | `Bread.` | `Bread, rye and stollen.` |" in shown
    assert "| fields | – | `Hours: Tue-Sat 7-18` |" in shown and "display_name" not in shown.split("Profile of")[1]
    data = json.loads(preview(repo.root, "--changed", "HEAD~1..HEAD", "--format", "json"))
    assert [c["field"] for c in data["profiles"][0]["changes"]] == ["bio", "fields"]
