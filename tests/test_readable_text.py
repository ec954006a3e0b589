"""Every preview shows what readers will see; a network's wire format (LinkedIn's escaped "little
text") appears only as `wire_text` in JSON and the outbox, and in the request the adapter builds.

The text is hostile to LinkedIn on purpose: a link with `utm_source`, hashtags, parentheses,
an at sign, a literal backslash before a reserved character.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.networks import count
from pipeline.networks.linkedin import escape_little_text
from pipeline.publish.service import publish
from tests.fakes.clock import FakeClock

#: Markdown: `\\` is one backslash, so a reader sees "a literal \#."
BODY = "Stollen (fresh) at 5 * 2 = 10_000 crumbs, say hi @Anna <3 and a literal \\\\#."
SHOWN = ["Stollen (fresh) at 5 * 2 = 10_000 crumbs", "a literal \\#.", "utm_source=linkedin", "#launch #cake"]
FRONT = ("publish_at: 2026-12-01 09:00\nchannels: [linkedin, mastodon]\ntags: [launch, cake]\n"
         "link: https://shop.example/cakes")


def backslashes_only_of_the_body(text: str) -> None:
    """The only backslash a reader sees is the one the author wrote."""
    assert text.count("\\") == 1, text
    for shown in SHOWN:
        assert shown in text, (shown, text)


def cli_run(repo, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_count_shows_the_text_and_counts_and_gives_the_escaped_body_apart():
    counted = count("linkedin", "a (b) #c")
    assert counted.text == "a (b) #c"
    assert counted.wire_text == "a \\(b\\) \\#c"
    assert counted.length == 11  # LinkedIn's limit is held against what is sent (its rule is unverified)
    data = counted.as_dict()
    assert (data["text"], data["wire_text"]) == ("a (b) #c", "a \\(b\\) \\#c")
    assert count("mastodon", "a (b) #c").as_dict()["wire_text"] == "a (b) #c"


def test_social_count_prints_readable_text_and_json_has_wire_text(repo):
    text = CliRunner().invoke(cli, ["count", "--network", "linkedin", "a (b) #c"]).output
    assert "a (b) #c" in text and "\\" not in text
    data = json.loads(CliRunner().invoke(cli, ["count", "--network", "linkedin", "a (b) #c",
                                               "--format", "json"]).output)
    assert data["text"] == "a (b) #c" and data["wire_text"] == "a \\(b\\) \\#c"


def test_social_render_shows_readable_text_and_json_gives_the_wire_text(repo):
    repo.post("launch", FRONT, body=BODY)
    text = cli_run(repo, "render", "launch", "--channel", "linkedin")
    backslashes_only_of_the_body(text)
    data = json.loads(cli_run(repo, "render", "launch", "--channel", "linkedin", "--format", "json"))
    (part,) = data[0]["parts"] if isinstance(data, list) else data["renderings"][0]["parts"]
    backslashes_only_of_the_body(part["text"])
    assert part["wire_text"] == escape_little_text(part["text"])
    assert "utm\\_source=linkedin" in part["wire_text"] and "\\#launch" in part["wire_text"]


def test_a_dry_run_outbox_file_holds_the_readable_text_and_the_wire_body(repo):
    repo.post("launch", FRONT, body=BODY)
    clock = FakeClock(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    report = publish(repo.root, dry_run=True, now_text="2026-12-01 09:30", env={}, sleep=clock.sleep, clock=clock)
    assert report.ok, report.result.outcomes
    written = json.loads((repo.root / "outbox/linkedin/launch.1.json").read_text(encoding="utf-8"))
    backslashes_only_of_the_body(written["text"])
    assert written["wire_text"] == escape_little_text(written["text"])
    mastodon = json.loads((repo.root / "outbox/mastodon/launch.1.json").read_text(encoding="utf-8"))
    assert mastodon["wire_text"] == mastodon["text"]


def test_the_pull_request_preview_shows_readable_text(repo):
    def git(*args):
        subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=T", "-c", "user.email=t@example.com",
                        *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    repo.post("launch", FRONT, body=BODY)
    git("add", "-A")
    git("commit", "-qm", "a post")
    result = CliRunner().invoke(cli, ["preview", "--root", str(repo.root), "--now", "2026-11-20 12:00",
                                      "--changed", "HEAD~1..HEAD"])
    assert result.exit_code == 0, result.output
    linkedin = result.output[result.output.index("#### linkedin"):result.output.index("#### mastodon")]
    for shown in SHOWN[2:]:
        assert shown in linkedin
    assert "utm\\_source" not in linkedin and "\\#launch" not in linkedin


def test_the_site_post_page_shows_readable_text(repo):
    pytest.importorskip("mkdocs")
    from sitebuild import build_repo_site

    repo.post("launch", FRONT, body=BODY)
    site = build_repo_site(repo.root, now="2026-11-20 08:00")
    html = (site / "calendar" / "posts" / "launch.html").read_text(encoding="utf-8")
    assert "utm_source=linkedin" in html and "utm\\_source" not in html
    assert "\\#launch" not in html and "\\(" not in html
