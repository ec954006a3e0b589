"""The Bluesky inbox against a REAL local network: PLC, PDS and the bsky AppView (with PostgreSQL).

A PDS alone answers app.bsky.notification.listNotifications with 502 UpstreamFailure: the
notifications are the AppView's. scripts/pds/network.mjs starts the whole network, and
tests/pds.py a private PostgreSQL for its index. Bob mentions, answers, quotes and likes
alice's posts through the PDS; alice's channel reads them as `social inbox collect` does,
through her PDS, which asks the AppView. The AppView indexes in the background, so the
tests wait (for real, briefly) until it has seen what they made.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pipeline.content.model import Channel
from pipeline.networks.base import InboxKind
from pipeline.networks.bluesky import BlueskyNetwork, BlueskyOptions
from pipeline.networks.delivery import Http, Secrets
from pipeline.publish.collect import collect_inbox
from pipeline.state.inbox import Inbox
from tests.pds import LocalNetwork, start_network

POST = "app.bsky.feed.post"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> LocalNetwork:
    network = start_network(tmp_path_factory.mktemp("bsky-network"))
    yield network
    network.stop()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def until(what: str, found, timeout: float = 30.0):
    """Wait until `found()` is true (the AppView indexes in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"the AppView did not show {what} within {timeout:.0f} s", pytrace=False)


def indexed(net: LocalNetwork, uri: str) -> bool:
    answer = requests.get(f"{net.appview}/xrpc/app.bsky.feed.getPosts", params={"uris": uri}, timeout=10)
    return answer.ok and bool(answer.json().get("posts"))


def post(net: LocalNetwork, who: str, text: str, **fields) -> dict:
    made = net.create(who, {"$type": POST, "text": text, "createdAt": now(), **fields})
    until(f"{who}'s post {text!r}", lambda: indexed(net, made["uri"]))
    return made


def mention(net: LocalNetwork, who: str, whom: str, text: str) -> dict:
    handle = f"@{net.accounts[whom].handle}"
    start = len(text.encode())
    facet = {"index": {"byteStart": start, "byteEnd": start + len(handle.encode())},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": net.accounts[whom].did}]}
    return post(net, who, text + handle, facets=[facet])


def alice(net: LocalNetwork) -> BlueskyNetwork:
    who = net.accounts["alice"]
    channel = Channel(id="bluesky", network="bluesky", credentials={"password": "BLUESKY_APP_PASSWORD"},
                      options=BlueskyOptions(handle=who.handle, service=net.service), cadence={}, slots=(),
                      template=None, max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=pytest.fail, clock=lambda: datetime.now(UTC), rng=random.Random(3))
    return BlueskyNetwork(channel, env={"BLUESKY_APP_PASSWORD": who.app_password}, http=http, root=Path("."))


def notifications(net: LocalNetwork, count: int) -> None:
    token = net.token("alice")

    def enough() -> bool:
        answer = requests.get(f"{net.service}/xrpc/app.bsky.notification.listNotifications",
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        return answer.ok and len(answer.json().get("notifications") or []) >= count

    until(f"{count} notifications for alice", enough)


def test_mentions_replies_and_quotes_come_through_the_pds_from_the_appview(net):
    mine = post(net, "alice", "Rye from the stone oven, ready at nine.")
    ref = {"uri": mine["uri"], "cid": mine["cid"]}
    answer = post(net, "bob", "Saving me one?", reply={"root": ref, "parent": ref})
    quote = post(net, "bob", "The best rye in town", embed={"$type": "app.bsky.embed.record", "record": ref})
    named = mention(net, "bob", "alice", "Ask ")
    net.create("bob", {"$type": "app.bsky.feed.like", "subject": ref, "createdAt": now()},
               collection="app.bsky.feed.like")
    notifications(net, 4)  # the like too: it is there, and must be left out

    network = alice(net)
    items = network.read_inbox(None, LONG_AGO)

    bob = net.accounts["bob"]
    assert [(i.kind, i.remote_id, i.author, i.in_reply_to) for i in items] == [
        (InboxKind.REPLY, answer["uri"], f"@{bob.handle}", mine["uri"]),
        (InboxKind.QUOTE, quote["uri"], f"@{bob.handle}", mine["uri"]),
        (InboxKind.MENTION, named["uri"], f"@{bob.handle}", None),
    ]
    assert items[2].text == "Ask @alice.test"
    assert items[0].url == f"https://bsky.app/profile/{bob.handle}/post/{answer['uri'].rsplit('/', 1)[1]}"
    assert BlueskyNetwork.post_identity(items[0].url) != BlueskyNetwork.post_identity(items[0].remote_id)

    later = mention(net, "bob", "alice", "Again, ")
    notifications(net, 5)
    assert [i.remote_id for i in network.read_inbox(items[-1].cursor, LONG_AGO)] == [later["uri"]]


def test_collect_writes_the_inbox_once(net, repo):
    who = net.accounts["alice"]
    repo.write("content/channels.yml", f"""\
        timezone: Europe/Berlin
        channels:
          bluesky:
            network: bluesky
            service: {net.service}
            handle: {who.handle}
            credentials: {{password: BLUESKY_APP_PASSWORD}}
        """)
    mention(net, "bob", "alice", "Hello ")
    env = {"BLUESKY_APP_PASSWORD": who.app_password}
    first = collect_inbox(repo.root, env=env, sleep=pytest.fail)
    assert first.ok and first.channels[0].added >= 1
    assert collect_inbox(repo.root, env=env, sleep=pytest.fail).channels[0].added == 0
    records = Inbox.of(repo.root).records()
    assert len(records) == first.channels[0].added
    assert records[-1].text == "Hello @alice.test" and records[-1].channel == "bluesky"
    assert who.app_password not in (repo.root / "state/inbox.jsonl").read_text(encoding="utf-8")
