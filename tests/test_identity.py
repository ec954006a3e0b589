"""A post keeps its identity through renames and moves; a reused or changed id never goes out silently.

Each case is a real git repository edited the way a team edits one between two
publish runs; the network counts every text it receives.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.identity import body_digest
from pipeline.networks.base import Capability, Network
from pipeline.networks.parts import Published
from pipeline.publish.service import publish
from pipeline.state.ledger import Ledger
from tests.netreg import registered

CHANNELS = """\
timezone: Europe/Berlin
channels:
  tally:
    network: tally
"""


class TallyNetwork(Network):
    """Counts every text it is sent; reconciles by key."""

    name = "tally"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.RECONCILE})
    sent: ClassVar[list[str]] = []
    keys: ClassVar[dict[str, str]] = {}

    def publish(self, request):
        TallyNetwork.sent.append(request.text)
        TallyNetwork.keys[request.key] = request.text
        return Published(request.key, f"https://tally.example/{request.key}")

    def reconcile(self, request, sent_at):
        return Published(request.key, None) if request.key in TallyNetwork.keys else None


@pytest.fixture
def team(repo):
    TallyNetwork.sent, TallyNetwork.keys = [], {}
    repo.write("content/channels.yml", CHANNELS)
    git(repo, "init", "-q", "-b", "main")
    with registered("tally", TallyNetwork):
        yield repo


def git(repo, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def commit(repo, message="edit") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def run(repo, now="2026-12-01 12:00"):
    moment = datetime.fromisoformat(now).replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    return publish(repo.root, now_text=now, env={}, sleep=lambda s: None, clock=lambda: moment)


def validate(repo) -> dict:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json",
                                      "--now", "2026-12-01 12:00"])
    return json.loads(result.output)


def codes(report: dict) -> list[tuple[str, str]]:
    return sorted((e["file"].rsplit("/", 1)[-1], e["code"]) for e in report["errors"])


def test_renaming_a_published_file_does_not_post_it_again(team):
    team.post("post1", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="Rye is back.")
    commit(team)
    assert run(team).ok and TallyNetwork.sent == ["Rye is back."]
    git(team, "mv", "content/posts/2026/12/post1.md", "content/posts/2026/12/post1-renamed.md")
    assert validate(team)["ok"]  # staged: git knows the rename
    commit(team)
    assert validate(team)["ok"]
    assert run(team).result.outcomes == [] and TallyNetwork.sent == ["Rye is back."]


def test_moving_a_published_file_without_git_is_known_by_its_text(team):
    team.post("post1", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="Rye is back.")
    run(team)
    (team.root / "content/posts/2026/12/post1.md").rename(team.root / "content/posts/2026/12/rye.md")
    assert validate(team)["ok"]
    assert run(team).result.outcomes == [] and TallyNetwork.sent == ["Rye is back."]


RYE = """Rye is back.

Every loaf is baked with our own sourdough, as always, and rests overnight.

The dark rye with caraway, the light rye with honey, and the rye rolls on Saturdays.

Find us on Weserstraße from seven in the morning."""


def test_a_renamed_file_whose_text_changed_asks_a_person(team):
    team.post("post1", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body=RYE)
    commit(team)
    run(team)
    git(team, "mv", "content/posts/2026/12/post1.md", "content/posts/2026/12/rye.md")
    path = team.root / "content/posts/2026/12/rye.md"
    path.write_text(path.read_text().replace("as always", "as ever"))
    commit(team)
    assert codes(validate(team)) == [("rye.md", "id-unclear")]
    report = run(team)
    assert not report.ok and TallyNetwork.sent == [RYE]
    # The person says which post it is: the same one. Nothing goes out again.
    path.write_text(path.read_text().replace("---\n", "---\nid: post1\n", 1))
    assert validate(team)["ok"] and run(team).ok and len(TallyNetwork.sent) == 1


def test_changing_the_id_of_a_published_post_is_refused_by_validate_and_publish(team):
    team.post("stollen", "id: stollen\npublish_at: 2026-12-01 10:00\nchannels: [tally]", body="Stollen.")
    run(team)
    path = team.root / "content/posts/2026/12/stollen.md"
    path.write_text(path.read_text().replace("id: stollen", "id: stollen-2026"))
    assert codes(validate(team)) == [("stollen.md", "id-changed")]
    report = run(team)
    assert [(o.post, o.state) for o in report.result.outcomes] == [("stollen-2026", "failed")]
    assert TallyNetwork.sent == ["Stollen."]


def test_reusing_the_name_of_a_deleted_published_post_is_an_error_not_a_silent_drop(team):
    team.post("weekly-specials", "publish_at: 2026-11-30 10:00\nchannels: [tally]", body="November specials.",
              month="2026/11")
    run(team, now="2026-11-30 10:05")
    commit(team)
    git(team, "rm", "-q", "content/posts/2026/11/weekly-specials.md")
    team.post("weekly-specials", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="December specials.")
    commit(team)
    report = validate(team)
    assert codes(report) == [("weekly-specials.md", "id-reused")]
    assert "content/posts/2026/11/weekly-specials.md" in report["errors"][0]["message"]
    published = run(team)
    assert [(o.post, o.state) for o in published.result.outcomes] == [("weekly-specials", "failed")]
    assert TallyNetwork.sent == ["November specials."]
    # Given its own id, it goes out.
    path = team.root / "content/posts/2026/12/weekly-specials.md"
    path.write_text(path.read_text().replace("---\n", "---\nid: weekly-specials-december\n", 1))
    assert validate(team)["ok"]
    assert run(team).ok and TallyNetwork.sent == ["November specials.", "December specials."]


def test_a_file_deleted_and_added_again_with_new_text_is_a_new_post(team):
    team.post("weekly", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="This week: rye.")
    commit(team)
    run(team)
    git(team, "rm", "-q", "content/posts/2026/12/weekly.md")
    commit(team, "done with it")
    team.post("weekly", "publish_at: 2026-12-01 11:00\nchannels: [tally]", body="This week: spelt.")
    commit(team, "a new weekly post")
    report = validate(team)
    assert codes(report) == [("weekly.md", "id-reused")]
    assert not run(team).ok and TallyNetwork.sent == ["This week: rye."]


def test_editing_a_published_post_changes_nothing_and_says_so(team):
    post = team.post("weekly", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="This week: rye.")
    commit(team)
    run(team)
    post.write_text(post.read_text().replace("rye", "rye bread"))
    commit(team, "typo")
    report = validate(team)
    assert report["ok"] and [w["code"] for w in report["warnings"]] == ["published-edited"]
    assert run(team).result.outcomes == [] and TallyNetwork.sent == ["This week: rye."]


def test_an_explicit_id_copied_from_a_published_post_is_an_error(team):
    team.post("a", "id: launch\npublish_at: 2026-12-01 10:00\nchannels: [tally]", body="The launch.")
    run(team)
    (team.root / "content/posts/2026/12/a.md").unlink()
    team.post("b", "id: launch\npublish_at: 2026-12-01 11:00\nchannels: [tally]", body="Another post.")
    assert codes(validate(team)) == [("b.md", "id-reused")]
    assert not run(team).ok and TallyNetwork.sent == ["The launch."]


def test_a_repository_without_git_still_keeps_ids(team):
    (team.root / ".git").rename(team.root / "not-git")
    team.post("post1", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="Rye is back.")
    run(team)
    (team.root / "content/posts/2026/12/post1.md").rename(team.root / "content/posts/2026/12/rye.md")
    assert validate(team)["ok"] and run(team).result.outcomes == []


def test_social_new_writes_the_id(team):
    result = CliRunner().invoke(cli, ["new", "Rye week", "--at", "2026-12-05 10:00", "--now", "2026-12-01 08:00",
                                      "--channels", "tally", "--root", str(team.root)])
    assert result.exit_code == 0, result.output
    assert "\nid: rye-week\n" in (team.root / result.output.strip()).read_text()


def test_the_ledger_records_the_text_fingerprint(team):
    team.post("post1", "publish_at: 2026-12-01 10:00\nchannels: [tally]", body="Rye is back.")
    run(team)
    assert {entry.digest for entry in Ledger(team.root).entries} == {body_digest("Rye is back.")}
