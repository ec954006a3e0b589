"""The inbox: reading mentions, replies and quotes from the fakes, and `social inbox collect`.

Mastodon's notifications page with Link headers (`next` back, `prev` forward); Bluesky's
listNotifications with an opaque cursor, never marked as seen. Collection appends to
state/inbox.jsonl once per item, goes on from the last item, survives a torn last line
and a collector killed (SIGKILL) mid-read or mid-write, and skips networks that read no
inbox with their reason.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.model import Channel
from pipeline.networks.base import InboxKind
from pipeline.networks.bluesky import BlueskyNetwork, BlueskyOptions
from pipeline.networks.delivery import Http, Secrets
from pipeline.networks.mastodon import MastodonNetwork, MastodonOptions
from pipeline.publish.collect import collect_inbox
from pipeline.state.inbox import Inbox, InboxRecord
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import route

TOKEN = "tok-inbox-5e1c9a77d2"
PASSWORD = "app-pass-inbox-41f0"
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
OLDEST = NOW - timedelta(days=14)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def mastodon(clock):
    with FakeMastodon(TOKEN, clock=clock) as fake:
        yield fake


@pytest.fixture
def bluesky(clock):
    with FakeBluesky(password=PASSWORD, clock=clock) as fake:
        yield fake


def http(clock: FakeClock) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, rng=random.Random(5))


def channel(network: str, options, credentials: dict[str, str]) -> Channel:
    return Channel(id=network, network=network, credentials=credentials, options=options, cadence={},
                   slots=(), template=None, max_lateness=timedelta(hours=6))


def mastodon_network(server: FakeMastodon, clock: FakeClock) -> MastodonNetwork:
    return MastodonNetwork(channel("mastodon", MastodonOptions(instance=server.url), {"token": "MASTODON_TOKEN"}),
                           env={"MASTODON_TOKEN": TOKEN}, http=http(clock), root=Path("."))


def bluesky_network(server: FakeBluesky, clock: FakeClock) -> BlueskyNetwork:
    options = BlueskyOptions(handle=server.handle, service=server.url)
    return BlueskyNetwork(channel("bluesky", options, {"password": "BLUESKY_APP_PASSWORD"}),
                          env={"BLUESKY_APP_PASSWORD": PASSWORD}, http=http(clock), root=Path("."))


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


# -- Mastodon ----------------------------------------------------------------------------


def test_mastodon_reads_mentions_replies_and_quotes_and_nothing_else(mastodon, clock):
    ours = mastodon.add_own("Fresh rye today.")
    mastodon.notify("mention", "@crumbandco do you deliver?", acct="anna@example.org", at=ago(hours=5))
    mastodon.notify("mention", "@crumbandco lovely!", acct="ben", reply_to=ours, at=ago(hours=4))
    mastodon.notify("quote", "Look at this rye", acct="cem@social.example", quote_of=ours, at=ago(hours=3))
    mastodon.notify("favourite", "", acct="dora@example.org", at=ago(hours=2))
    mastodon.notify("follow", "", acct="emil@example.org", at=ago(hours=1))

    items = mastodon_network(mastodon, clock).read_inbox(None, OLDEST)

    assert [(i.kind, i.author, i.text, i.in_reply_to) for i in items] == [
        (InboxKind.MENTION, "@anna@example.org", "@crumbandco do you deliver?", None),
        (InboxKind.REPLY, f"@ben@{mastodon.url.split('://')[1]}", "@crumbandco lovely!", ours["id"]),
        (InboxKind.QUOTE, "@cem@social.example", "Look at this rye", ours["id"]),
    ]
    assert items[0].url.startswith("https://example.org/@anna/") and items[0].at == ago(hours=5)
    (request,) = mastodon.calls("GET", r"/api/v1/notifications")
    assert request.query["types[]"] == ["mention", "quote"]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_mastodon_first_read_follows_next_links_back_to_the_oldest_wanted(mastodon, clock):
    for n in range(95):  # three pages of 40; those older than two weeks begin in the second
        mastodon.notify("mention", f"hello {n}", at=ago(days=20) + timedelta(hours=4 * n))
    items = mastodon_network(mastodon, clock).read_inbox(None, OLDEST)
    expected = [f"hello {n}" for n in range(95) if ago(days=20) + timedelta(hours=4 * n) >= OLDEST]
    assert [i.text for i in items] == expected
    pages = mastodon.calls("GET", r"/api/v1/notifications")
    assert len(pages) == 2  # the third page holds only older ones: never asked for
    assert "max_id" not in pages[0].query and pages[1].query["max_id"]


def test_mastodon_goes_on_forward_from_the_cursor_with_prev_links(mastodon, clock):
    network = mastodon_network(mastodon, clock)
    mastodon.notify("mention", "old one", at=ago(days=1))
    (first,) = network.read_inbox(None, OLDEST)
    for n in range(45):
        mastodon.notify("mention", f"new {n}", at=ago(hours=20) + timedelta(minutes=n))
    items = network.read_inbox(first.cursor, OLDEST)
    assert [i.text for i in items] == [f"new {n}" for n in range(45)]
    pages = mastodon.calls("GET", r"/api/v1/notifications")[1:]
    assert pages[0].query["min_id"] == [first.cursor]
    assert pages[1].query["min_id"][0] > first.cursor and "max_id" not in pages[1].query
    assert network.read_inbox(items[-1].cursor, OLDEST) == []


def test_mastodon_takes_only_ids_from_a_link_header_never_its_host(mastodon, clock):
    with FakeMastodon(TOKEN, clock=clock) as elsewhere:
        mastodon.link_base = elsewhere.url  # a hostile instance points its Link header away
        for n in range(41):
            mastodon.notify("mention", f"hello {n}", at=ago(hours=41 - n))
        items = mastodon_network(mastodon, clock).read_inbox(None, OLDEST)
        assert len(items) == 41
        assert elsewhere.requests == []
        assert len(mastodon.calls("GET", r"/api/v1/notifications")) == 2


# -- Bluesky -----------------------------------------------------------------------------


def test_bluesky_reads_mentions_replies_and_quotes_page_by_page_and_never_marks_them_seen(bluesky, clock):
    ours = bluesky._store(bluesky.did, "app.bsky.feed.post", "3ourpost00001", {"text": "Rye!"})
    parent = {"uri": ours["uri"], "cid": ours["cid"]}
    bluesky.notify("mention", "anna.test", "@bakery.test hi", indexed_at="2026-12-09T10:00:00.000Z")
    bluesky.notify("reply", "ben.test", "Looks great", parent=parent, indexed_at="2026-12-09T11:00:00.000Z")
    bluesky.notify("quote", "cem.test", "This!", subject=ours["uri"], indexed_at="2026-12-09T12:00:00.000Z")
    bluesky.notify("like", "dora.test", "", indexed_at="2026-12-09T13:00:00.000Z")
    for n in range(60):
        bluesky.notify("mention", "emil.test", f"ping {n}", indexed_at=f"2026-12-08T00:{n:02d}:00.000Z")

    items = bluesky_network(bluesky, clock).read_inbox(None, OLDEST)

    assert [i.text for i in items[:60]] == [f"ping {n}" for n in range(60)]
    assert [(i.kind, i.author, i.text, i.in_reply_to) for i in items[60:]] == [
        (InboxKind.MENTION, "@anna.test", "@bakery.test hi", None),
        (InboxKind.REPLY, "@ben.test", "Looks great", ours["uri"]),
        (InboxKind.QUOTE, "@cem.test", "This!", ours["uri"]),
    ]
    assert items[60].url.startswith("https://bsky.app/profile/anna.test/post/")
    assert items[60].remote_id.startswith(f"at://{bluesky.handles['anna.test']}/app.bsky.feed.post/")
    pages = bluesky.calls("GET", r"/xrpc/app\.bsky\.notification\.listNotifications")
    assert len(pages) == 2 and pages[1].query["cursor"] == ["page-50"]
    assert pages[0].query["reasons"] == ["mention", "reply", "quote"]
    assert bluesky.calls("POST", r"/xrpc/app\.bsky\.notification\.updateSeen") == []


def test_bluesky_stops_at_what_it_read_last_time(bluesky, clock):
    network = bluesky_network(bluesky, clock)
    bluesky.notify("mention", "anna.test", "first", indexed_at="2026-12-09T10:00:00.000Z")
    (first,) = network.read_inbox(None, OLDEST)
    for n in range(55):
        bluesky.notify("mention", "ben.test", f"later {n}", indexed_at=f"2026-12-09T11:{n:02d}:00.000Z")
    calls = len(bluesky.calls("GET", r"/xrpc/app\.bsky\.notification\.listNotifications"))
    items = network.read_inbox(first.cursor, OLDEST)
    assert [i.text for i in items] == [f"later {n}" for n in range(55)]
    assert len(bluesky.calls("GET", r"/xrpc/app\.bsky\.notification\.listNotifications")) - calls == 2


def test_bluesky_refreshes_an_expired_session_while_reading(bluesky, clock):
    network = bluesky_network(bluesky, clock)
    network.check_ready()
    bluesky.expire_access()
    bluesky.notify("mention", "anna.test", "hello", indexed_at="2026-12-09T10:00:00.000Z")
    assert [i.text for i in network.read_inbox(None, OLDEST)] == ["hello"]


# -- social inbox collect ----------------------------------------------------------------


@pytest.fixture
def site(repo, mastodon, bluesky):
    repo.write("content/channels.yml", f"""\
        timezone: Europe/Berlin
        channels:
          mastodon:
            network: mastodon
            instance: {mastodon.url}
            credentials: {{token: MASTODON_TOKEN}}
          bluesky:
            network: bluesky
            service: {bluesky.url}
            handle: {bluesky.handle}
            credentials: {{password: BLUESKY_APP_PASSWORD}}
          linkedin:
            network: linkedin
            author: urn:li:organization:42
            credentials: {{token: LINKEDIN_TOKEN}}
          notes:
            network: outbox
        """)
    return repo


ENV = {"MASTODON_TOKEN": TOKEN, "BLUESKY_APP_PASSWORD": PASSWORD}


def collect(site, clock, **kwargs):
    return collect_inbox(site.root, env=ENV, clock=clock, sleep=clock.sleep, **kwargs)


def lines(site) -> list[dict]:
    path = site.root / "state/inbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_collect_appends_each_item_once_and_goes_on_from_the_last(site, mastodon, bluesky, clock):
    mastodon.notify("mention", "@crumbandco hello", at=ago(hours=3))
    bluesky.notify("mention", "anna.test", "@bakery.test hi", indexed_at="2026-12-10T07:00:00.000Z")
    result = collect(site, clock)
    assert result.ok
    assert {c.channel: (c.read, c.added, c.skipped is not None) for c in result.channels} == {
        "mastodon": (1, 1, False), "bluesky": (1, 1, False), "linkedin": (0, 0, True), "notes": (0, 0, True)}
    first = lines(site)
    assert [(line["channel"], line["kind"], line["text"]) for line in first] == [
        ("mastodon", "mention", "@crumbandco hello"), ("bluesky", "mention", "@bakery.test hi")]
    assert set(first[0]) == {"at", "channel", "remote_id", "url", "kind", "author", "text", "cursor"}

    mastodon.notify("mention", "@crumbandco again", at=ago(hours=1))
    again = collect(site, clock)
    assert [c.added for c in again.channels[:2]] == [1, 0]
    assert [line["text"] for line in lines(site)] == ["@crumbandco hello", "@bakery.test hi", "@crumbandco again"]
    forward = mastodon.calls("GET", r"/api/v1/notifications")[-1]
    assert forward.query["min_id"] == [first[0]["cursor"]]


def test_collect_skips_networks_without_an_inbox_with_their_reason(site, clock):
    result = collect(site, clock)
    skipped = {c.channel: c.skipped for c in result.channels if c.skipped}
    assert set(skipped) == {"linkedin", "notes"}
    assert "Community Management API" in skipped["linkedin"]
    assert "linkedin  skipped: not read" in result.as_text()


def test_a_channel_that_fails_writes_nothing_and_the_others_are_collected(site, mastodon, bluesky, clock):
    mastodon.notify("mention", "@crumbandco hello", at=ago(hours=3))
    bluesky.notify("mention", "anna.test", "hi", indexed_at="2026-12-10T07:00:00.000Z")
    mastodon.fail("GET", r"/api/v1/notifications", status=401, body={"error": "The access token is invalid"})
    result = collect(site, clock)
    assert not result.ok
    (failed,) = [c for c in result.channels if c.problem]
    assert failed.channel == "mastodon" and "MASTODON_TOKEN" in failed.problem
    assert TOKEN not in json.dumps(result.as_dict())
    assert [line["channel"] for line in lines(site)] == ["bluesky"]
    assert collect(site, clock).ok
    assert [line["channel"] for line in lines(site)] == ["bluesky", "mastodon"]


def test_hostile_text_is_kept_as_data(site, mastodon, clock):
    hostile = "<script>alert(1)</script>\n---\nid: evil\u2028\x1b[31m {{ 7*7 }} \u202e"
    mastodon.notify("mention", hostile, acct="eve\u202e@example.org", at=ago(hours=1))
    collect(site, clock, channel_id="mastodon")
    raw = (site.root / "state/inbox.jsonl").read_bytes()
    assert raw.count(b"\n") == 1 and "\u2028".encode() not in raw
    (record,) = Inbox.of(site.root).records()
    assert record.text.startswith("<script>alert(1)</script>") and "{{ 7*7 }}" in record.text


def test_a_torn_last_line_is_skipped_and_the_next_collection_appends_after_it(site, mastodon, clock):
    mastodon.notify("mention", "@crumbandco first", at=ago(hours=3))
    collect(site, clock, channel_id="mastodon")
    path = site.root / "state/inbox.jsonl"
    whole = path.read_bytes()
    torn = json.dumps({"at": "2026-12-10T08:00:00Z", "channel": "mastodon", "remote_id": "999"}).encode()
    path.write_bytes(whole + torn[:30])  # a collector killed in the middle of its write

    mastodon.notify("mention", "@crumbandco second", at=ago(hours=1))
    result = collect(site, clock, channel_id="mastodon")

    assert result.ok and result.channels[0].added == 1
    assert any("cannot be read" in warning for warning in result.warnings)
    assert path.read_bytes().startswith(whole + torn[:30] + b"\n")
    inbox = Inbox.of(site.root)
    assert [r.text for r in inbox.records()] == ["@crumbandco first", "@crumbandco second"]
    assert len(inbox.warnings) == 1


class KillingMastodon(FakeMastodon):
    """Answers the first notifications page, then kills the collector before it can write."""

    victim: int | None = None

    @route("GET", r"/api/v1/notifications")
    def list_notifications(self, request):
        answer = super().list_notifications(request)
        if self.victim:
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
        return answer


def test_a_collector_killed_while_reading_loses_nothing(repo):
    with KillingMastodon(TOKEN) as server:
        repo.write("content/channels.yml", f"""\
            timezone: Europe/Berlin
            channels:
              mastodon:
                network: mastodon
                instance: {server.url}
                credentials: {{token: MASTODON_TOKEN}}
            """)
        for n in range(3):
            server.notify("mention", f"hello {n}")
        env = {**os.environ, "MASTODON_TOKEN": TOKEN, "NO_COLOR": "1"}
        command = [sys.executable, "-m", "pipeline", "inbox", "collect", "--root", str(repo.root)]
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        server.victim = first.pid
        first.communicate(timeout=60)
        assert first.returncode == -signal.SIGKILL
        assert Inbox.of(repo.root).records() == []
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stdout + second.stderr
        assert [r.text for r in Inbox.of(repo.root).records()] == ["hello 0", "hello 1", "hello 2"]
        assert TOKEN not in second.stdout + second.stderr


def test_the_command_reports_in_json_and_exits_1_when_a_channel_failed(site, mastodon, monkeypatch):
    monkeypatch.setenv("MASTODON_TOKEN", "wrong-token-123456")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", PASSWORD)
    result = CliRunner().invoke(cli, ["inbox", "collect", "--root", str(site.root), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False and report["added"] == 0
    assert [c["channel"] for c in report["channels"] if c["problem"]] == ["mastodon"]
    assert "wrong-token-123456" not in result.output


# A collector that appends two items, then is killed by SIGKILL halfway through its next write.
KILLED_MID_WRITE = """
import os, signal, sys
from datetime import datetime, timezone
from pipeline.state import journal
from pipeline.state.inbox import Inbox, InboxRecord

def item(n):
    return InboxRecord("mastodon", str(n), None, "mention", datetime(2026, 12, 1, 9, n, tzinfo=timezone.utc),
                       "@anna@example.org", f"hello {n} " + "x" * 4000, cursor=str(n))

inbox = Inbox.of(sys.argv[1])
inbox.add([item(1), item(2)])
real_write = os.write

def half_then_die(fd, data):
    real_write(fd, bytes(data[:len(data) // 3]))  # in the middle of the first line
    os.kill(os.getpid(), signal.SIGKILL)

journal.os.write = half_then_die
inbox.add([item(3), item(4)])
"""


def test_a_collector_killed_mid_write_leaves_a_readable_inbox_and_the_next_one_goes_on(tmp_path):
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(tmp_path)], capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    inbox = Inbox.of(tmp_path)
    records = inbox.records()
    assert [r.remote_id for r in records] == ["1", "2"]
    assert inbox.since("mastodon") == records[-1].cursor, "the next collection goes on after the last whole item"
    assert len(inbox.warnings) == 1 and "cannot be read" in inbox.warnings[0]

    again = [InboxRecord("mastodon", str(n), None, "mention", datetime(2026, 12, 1, 9, n, tzinfo=UTC),
                         "@anna@example.org", f"hello {n}", cursor=str(n)) for n in (3, 4)]
    inbox.add(again)
    after = Inbox.of(tmp_path)
    assert [r.remote_id for r in after.records()] == ["1", "2", "3", "4"]
    assert len(after.warnings) == 1, "the torn line stays one skipped line; nothing is glued to it"
