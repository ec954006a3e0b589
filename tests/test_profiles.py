"""Profiles as code: validation against each network, diff and sync against the fakes, conflicts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.publish.profilesync import diff_lines, profile_diffs
from pipeline.state.journal import Journal
from pipeline.validation.profiles import past_dates
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon

START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
TOKEN = "profile-canary-9c2e71"


def validate(repo, now="2026-12-01 12:00") -> list[dict]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--now", now])
    report = json.loads(result.output)
    return [f for f in report["errors"] + report["warnings"] if f["file"].startswith("content/profiles/")]


def image(path, size=(64, 64), kind="PNG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, kind)


def test_a_profile_within_each_networks_limits_is_clean(repo):
    image(repo.root / "content/media/profile/avatar.png")
    repo.write("content/profiles/mastodon.yml", """\
        display_name: Crumb & Co.
        bio: Sourdough and rye from Neukölln.
        avatar: media/profile/avatar.png
        fields:
          - {name: Website, value: https://crumbandco.example}
        """)
    repo.write("content/profiles/bluesky.yml", "display_name: Crumb & Co.\nbio: Sourdough and rye.\n")
    assert validate(repo) == []


def test_limits_are_the_networks_own_and_named_at_the_line(repo):
    repo.write("content/profiles/bluesky.yml", "display_name: Crumb\nbio: " + "🍞" * 257 + "\nfields:\n"
               "  - {name: Web, value: x}\n")
    repo.write("content/profiles/mastodon.yml", "display_name: " + "C" * 31 + "\nfields:\n"
               + "".join(f"  - {{name: f{n}, value: v}}\n" for n in range(5)))
    repo.write("content/profiles/outbox.yml", "bio: hi\n")
    repo.write("content/profiles/nosuch.yml", "bio: hi\n")
    found = {(f["file"].rsplit("/", 1)[-1], f["line"], f["code"]) for f in validate(repo)}
    assert found == {
        ("bluesky.yml", 2, "profile-too-long"),            # 257 graphemes, though 1028 bytes
        ("bluesky.yml", 3, "profile-field-unsupported"),   # Bluesky has no fields
        ("mastodon.yml", 1, "profile-too-long"),
        ("mastodon.yml", 2, "profile-too-long"),           # five fields, four allowed
        ("outbox.yml", 1, "profile-unsupported"),
        ("nosuch.yml", 1, "profile-channel-unknown"),
    }


def test_a_network_without_profiles_takes_a_name_and_avatar_for_the_previews(repo):
    """LinkedIn's page cannot be set from here, but the calendar's previews show its name and logo."""
    image(repo.root / "content/media/logo.png")
    repo.write("content/profiles/linkedin.yml", "display_name: Crumb & Co.\navatar: media/logo.png\n")
    assert validate(repo) == []
    repo.write("content/profiles/linkedin.yml", "display_name: Crumb & Co.\nbio: Bakery\nheader: media/logo.png\n")
    assert {(f["line"], f["code"]) for f in validate(repo)} == {(2, "profile-unsupported"), (3, "profile-unsupported")}


def test_a_preview_only_profile_is_left_out_of_diff_and_sync(repo):
    repo.write("content/profiles/linkedin.yml", "display_name: Crumb & Co.\n")
    assert profile_diffs(repo.root, env={}) == []


def test_a_bio_for_a_network_without_profiles_is_refused_by_sync(repo):
    """What only the previews use is left out; what someone meant to set on the live profile is refused."""
    repo.write("content/profiles/linkedin.yml", "display_name: Crumb & Co.\nbio: Bakery\n")
    [diff] = profile_diffs(repo.root, env={})
    assert diff.channel == "linkedin" and not diff.changes
    assert "cannot be set by this tool" in diff.problem and "remove bio" in diff.problem


def test_an_image_too_large_or_of_a_wrong_kind_is_refused(repo):
    image(repo.root / "content/media/big.png", size=(1200, 1200))
    (repo.root / "content/media/big.png").write_bytes((repo.root / "content/media/big.png").read_bytes()
                                                        + b"\0" * 1_000_000)
    image(repo.root / "content/media/anim.gif", kind="GIF")
    repo.write("content/profiles/bluesky.yml", "avatar: media/big.png\nheader: media/anim.gif\n")
    codes = {(f["line"], f["code"]) for f in validate(repo)}
    assert codes == {(1, "profile-image-too-large"), (2, "profile-image-format")}


def test_past_dates_in_the_bio_and_a_stale_profile_are_warned(repo):
    repo.write("content/profiles/mastodon.yml", "bio: Christmas hours until 24 Dec, back on 2027-01-07.\n")
    assert validate(repo, now="2026-12-01 12:00") == []
    late = validate(repo, now="2026-12-27 12:00")
    assert [(f["code"], "24 Dec" in f["message"]) for f in late] == [("profile-date-past", True)]
    assert past_dates("Open 3. Januar and Jan 5th, also 06.01.2027", date(2027, 1, 10)) == \
        ["3. Januar", "Jan 5th", "06.01.2027"]
    assert past_dates("Summer hours from 1 July", date(2027, 1, 10)) == []  # next July, not last


def test_a_profile_unchanged_in_git_past_its_max_age_is_warned(repo, monkeypatch):
    import pipeline.git as git

    repo.write("content/profiles/mastodon.yml", "bio: Bread.\n")
    monkeypatch.setattr(git, "last_changed", lambda root, file: datetime(2026, 3, 1, tzinfo=UTC))
    (stale,) = validate(repo)
    assert stale["code"] == "profile-stale" and "2026-03-01" in stale["message"] and "180 days" in stale["message"]


@pytest.fixture
def fakes(repo):
    clock = FakeClock(START)
    with FakeMastodon(TOKEN, clock=clock) as mastodon, FakeBluesky(password=TOKEN, clock=clock) as bluesky:
        repo.write("content/channels.yml", yaml.safe_dump({"timezone": "Europe/Berlin", "channels": {
            "mastodon": {"network": "mastodon", "instance": mastodon.url, "credentials": {"token": "M_TOKEN"}},
            "bluesky": {"network": "bluesky", "handle": bluesky.handle, "service": bluesky.url,
                        "credentials": {"password": "B_PASSWORD"}}}}))
        image(repo.root / "content/media/profile/avatar.png")
        repo.write("content/profiles/mastodon.yml", """\
            display_name: Crumb & Co.
            bio: Sourdough and rye from Neukölln.
            avatar: media/profile/avatar.png
            fields:
              - {name: Website, value: https://crumbandco.example}
              - {name: Hours, value: Tue-Sat 7-18}
            """)
        repo.write("content/profiles/bluesky.yml", "display_name: Crumb & Co.\nbio: Sourdough and rye.\n"
                   "avatar: media/profile/avatar.png\n")
        yield repo, mastodon, bluesky, clock


def run(repo, clock, **kwargs):
    return {d.channel: d for d in profile_diffs(repo.root, env={"M_TOKEN": TOKEN, "B_PASSWORD": TOKEN},
                                                clock=clock, **kwargs)}


def test_diff_then_sync_then_nothing_left_to_do(fakes):
    repo, mastodon, bluesky, clock = fakes
    diffs = run(repo, clock)
    assert {c.key for c in diffs["mastodon"].changes} == {"bio", "fields", "avatar"}  # the name is the same
    assert {c.key for c in diffs["bluesky"].changes} == {"display_name", "bio", "avatar"}
    assert mastodon.profile["note"] == ""  # a diff writes nothing
    synced = run(repo, clock, apply=True)
    assert all(d.synced and not d.problem for d in synced.values())
    assert mastodon.profile["note"] == "Sourdough and rye from Neukölln."
    assert mastodon.profile["fields"] == [("Website", "https://crumbandco.example"), ("Hours", "Tue-Sat 7-18")]
    assert mastodon.profile_images["avatar"] == (repo.root / "content/media/profile/avatar.png").read_bytes()
    record = bluesky.records[(bluesky.did, "app.bsky.actor.profile", "self")]["value"]
    assert record["displayName"] == "Crumb & Co." and record["avatar"]["ref"]["$link"].startswith("bafkrei")
    assert all(not d.changes for d in run(repo, clock).values())
    assert len(Journal(repo.root, "profiles.jsonl").records()) == 2
    assert TOKEN not in (repo.root / "state/profiles.jsonl").read_text()


def test_a_change_made_in_the_app_is_reported_not_overwritten(fakes):
    repo, mastodon, _bluesky, clock = fakes
    run(repo, clock, apply=True)
    mastodon.profile["note"] = "Closed for holidays until 6 Jan."  # someone edits the bio in the app
    repo.write("content/profiles/mastodon.yml", (repo.root / "content/profiles/mastodon.yml").read_text()
               .replace("Sourdough and rye", "Sourdough, rye and stollen"))
    diffs = run(repo, clock, apply=True)
    (change,) = diffs["mastodon"].changes
    assert change.key == "bio" and change.conflict and not diffs["mastodon"].synced
    assert mastodon.profile["note"] == "Closed for holidays until 6 Jan."
    assert "changed in the app since the last sync" in "\n".join(diff_lines(list(diffs.values())))
    forced = run(repo, clock, apply=True, force=True)
    assert forced["mastodon"].synced and mastodon.profile["note"].startswith("Sourdough, rye and stollen")


def test_bluesky_refuses_a_write_over_a_profile_changed_meanwhile(fakes, monkeypatch):
    repo, _mastodon, bluesky, clock = fakes
    from pipeline.networks.bluesky.records import BlueskyNetwork

    original = BlueskyNetwork.read_profile

    def read_then_someone_edits(self):
        live = original(self)
        bluesky._store(bluesky.did, "app.bsky.actor.profile", "self",
                       {"$type": "app.bsky.actor.profile", "displayName": "Edited in the app"})
        return live

    monkeypatch.setattr(BlueskyNetwork, "read_profile", read_then_someone_edits)
    diffs = run(repo, clock, apply=True, channel_id="bluesky")
    assert "changed in the app while it was being synced" in diffs["bluesky"].problem
    record = bluesky.records[(bluesky.did, "app.bsky.actor.profile", "self")]["value"]
    assert record["displayName"] == "Edited in the app"


def test_the_commands(fakes, monkeypatch):
    repo, _mastodon, _bluesky, _clock = fakes
    monkeypatch.setenv("M_TOKEN", TOKEN)
    monkeypatch.setenv("B_PASSWORD", TOKEN)
    diff = CliRunner().invoke(cli, ["profiles", "diff", "--root", str(repo.root), "mastodon"])
    assert diff.exit_code == 0 and "~ mastodon: would change:" in diff.output and TOKEN not in diff.output
    sync = CliRunner().invoke(cli, ["profiles", "sync", "--root", str(repo.root)])
    assert sync.exit_code == 0 and "✓ mastodon: synced:" in sync.output and "✓ bluesky: synced:" in sync.output
    again = CliRunner().invoke(cli, ["profiles", "diff", "--root", str(repo.root)])
    assert "the live profile matches content/profiles/mastodon.yml" in again.output
    monkeypatch.setenv("M_TOKEN", "wrong")
    broken = CliRunner().invoke(cli, ["profiles", "sync", "--root", str(repo.root), "mastodon"])
    assert broken.exit_code == 1 and "M_TOKEN" in broken.output
