"""Each channel's account, on its fake server (tests/contracts) or on the real PDS behind a proxy.

What the year test needs of an account, beside its contract: what is online (`items`:
the text, the id and the link a person would copy), removing a post by hand (what a
person does with a second copy), someone else's posts to reply to, quote, repost and
like, and the faults of the network (aimed at the request that makes a post, as the
contract tests aim them). Faults last one run: `calm` clears what a run left unused.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from pipeline.networks.linkedin.posts import POST_PAGE
from tests.contracts import Contract, all_contracts
from tests.contracts.linkedin import _plain
from tests.contracts.mastodon import _text as mastodon_text
from tests.fakes.server import FakeServer, Fault, Request
from tests.fakes.x import OTHER_NAME, USERNAME

CONTRACTS = {contract.network: contract for contract in all_contracts()}
TOKEN = "year-token-5b2f9c1e7d"
MARKER = re.compile(r"\byr(\d+)p(\d+)\b")
#: the faults a network throws at a create; each is a way a real run goes wrong
FAULTS = ("refusal", "rate-limit", "acted-then-failed", "dropped-after-acting", "gateway-timeout",
          "unavailable")


@dataclass(frozen=True)
class Item:
    """One of our posts online, as a person sees it on the account."""

    text: str
    remote_id: str
    url: str
    #: the remote id of what it replies to, where the network threads
    parent: str | None = None

    def markers(self) -> list[tuple[int, int]]:
        return [(int(serial), int(part)) for serial, part in MARKER.findall(self.text)]


class Account:
    """A channel's account on a fake server started from the network's contract."""

    def __init__(self, channel: str, network: str, clock, *, max_lateness: timedelta | None = None) -> None:
        self.channel = channel
        self.network = network
        self.contract: Contract = CONTRACTS[network]
        self.server: Any = self.contract.fake(clock, TOKEN)
        self.max_lateness = max_lateness
        self._serial = itertools.count(1)

    def __enter__(self) -> Account:
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    def settings(self) -> dict:
        extra = {"max_lateness": f"{int(self.max_lateness.total_seconds() // 60)}m"} if self.max_lateness else {}
        return {"network": self.network, **self.contract.channel(self.server), **extra}

    def env(self) -> dict[str, str]:
        return self.contract.env(self.server, TOKEN)

    # -- what is online ---------------------------------------------------------------

    def items(self) -> list[Item]:
        server = self.server
        if self.network == "mastodon":
            return [Item(mastodon_text(s), s["id"], s["url"], s["in_reply_to_id"]) for s in server.ours()]
        if self.network == "linkedin":
            return [Item(_plain(p["commentary"]), p["id"], POST_PAGE + p["id"]) for p in server.ours()]
        if self.network == "x":
            return [Item(p["_sent"], p["id"], f"https://x.com/{USERNAME}/status/{p['id']}",
                         next((r["id"] for r in p.get("referenced_tweets", []) if r["type"] == "replied_to"), None))
                    for p in server.ours()]
        if self.network == "telegram":
            return [Item(m.get("text") or m.get("caption") or "", str(m["message_id"]),
                         f"https://t.me/crumbandco/{m['message_id']}",
                         str(m["reply_to_message"]["message_id"]) if m.get("reply_to_message") else None)
                    for m in server.ours()]
        if self.network == "webhook":
            retracted = {e["key"] for e in server.stored if e["event"] == "post.retracted"}
            answers = server._answers
            return [Item(e["text"], answers[e["idempotency_key"]]["id"], answers[e["idempotency_key"]]["url"])
                    for e in server.stored if e["event"] == "post.published" and e["idempotency_key"] not in retracted]
        raise AssertionError(f"no reading of {self.network} accounts")

    def remove_by_hand(self, item: Item) -> None:
        """A person deletes a post in the app (a second copy)."""
        server = self.server
        if self.network == "mastodon":
            server.statuses.pop(item.remote_id, None)
        elif self.network in ("linkedin", "x"):
            server.posts.pop(item.remote_id, None)
        elif self.network == "telegram":
            album = server.messages[int(item.remote_id)].get("media_group_id")
            for number in [n for n, m in server.messages.items()
                           if n == int(item.remote_id) or (album and m.get("media_group_id") == album)]:
                del server.messages[number]
        elif self.network == "webhook":
            server.stored[:] = [e for e in server.stored if server._answers.get(e.get("idempotency_key"), {})
                                .get("id") != item.remote_id]

    # -- someone else's posts ---------------------------------------------------------

    def foreign_post(self, kind: str) -> str:
        """The URL of someone else's post to reply to, quote, repost or like."""
        number = next(self._serial)
        if self.network == "mastodon":
            url = f"https://elsewhere.example/@anna/{1000 + number}"
            self.server.add_remote(url, text=f"Anna's loaf number {number}")
            return url
        if self.network == "x":
            post = self.server.add_post(f"Anna's loaf number {number}", mine=False)
            return f"https://x.com/{OTHER_NAME}/status/{post['id']}"
        raise AssertionError(f"no foreign posts on {self.network}")

    def target_id(self, url: str) -> str | None:
        """The id by which a reply to someone else's post at `url` names it."""
        if self.network == "mastodon":
            return next((s["id"] for s in self.server.statuses.values() if s["url"] == url), None)
        return url.rsplit("/", 1)[1]

    def engaged(self, url: str, kind: str) -> bool:
        """Whether our account likes or reposts the post at `url` now."""
        status = next((s for s in self.server.statuses.values() if s["url"] == url), None)
        if status is None:
            return False
        return bool(status["favourited"] if kind == "like" else status["reblogged"])

    # -- faults -----------------------------------------------------------------------

    def inject(self, kind: str, rng: random.Random) -> str:
        """Make the next create go wrong in the way `kind` names; returns a description."""
        method, path = self.contract.create
        server = self.server
        if kind == "refusal":
            status, body = self.contract.refusal
            server.faults.append(Fault(method, path, status=status, body=body))
        elif kind == "rate-limit":
            reset = rng.choice([20, 90, 600, 3600, 4 * 3600])
            server.faults.append(Fault(method, path, status=429, body=self.contract.rate_limited_body(reset),
                                       headers=self.contract.rate_limited(server, reset),
                                       times=rng.randint(1, 3)))
            kind = f"{kind} {reset}s"
        elif kind == "acted-then-failed":
            self.contract.act_then_fail(server)
        elif kind == "dropped-after-acting":
            server.faults.append(Fault(method, path, drop_after_handling=True))
        elif kind == "gateway-timeout":
            server.faults.append(Fault(method, path, status=504, body={"error": "Gateway Timeout"}))
        elif kind == "unavailable":
            server.faults.append(Fault(method, path, status=503, body={"error": "Service Unavailable"},
                                       times=rng.randint(1, 5)))
        return f"{self.channel}: {kind}"

    def calm(self) -> None:
        """Faults last one run."""
        self.server.faults.clear()
        if hasattr(self.server, "act_then_fail"):
            self.server.act_then_fail.clear()


class PdsProxy(FakeServer):
    """The real PDS behind a proxy that can misbehave as the fakes do (faults, act_then_fail)."""

    def __init__(self, target: str, clock) -> None:
        super().__init__()
        self.target = target
        self.clock = clock
        self.act_then_fail: list[int] = []
        self.session = requests.Session()

    def _dispatch(self, request: Request) -> tuple:
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        headers = {k: v for k, v in request.headers.items() if k in ("authorization", "content-type")}
        answer = self.session.request(request.method, f"{self.target}{request.path}{'?' + query if query else ''}",
                                      headers=headers, data=request.body, timeout=30)
        if self.act_then_fail and request.path.endswith("createRecord") and answer.ok:
            return self.act_then_fail.pop(0), {"error": "InternalServerError", "message": "Internal Server Error"}, {}
        kept = {k: v for k, v in answer.headers.items() if k.lower().startswith(("content-type", "ratelimit"))}
        return answer.status_code, answer.content, kept


class PdsAccount(Account):
    """A channel on the real PDS (tests/pds.py), alice posting, bob the someone else."""

    def __init__(self, channel: str, pds, clock, *, max_lateness: timedelta | None = None) -> None:
        self.channel = channel
        self.network = "bluesky"
        self.contract = CONTRACTS["bluesky"]
        self.pds = pds
        self.alice, self.bob = pds.accounts["alice"], pds.accounts["bob"]
        self.server = PdsProxy(pds.service, clock)
        self.max_lateness = max_lateness
        self._serial = itertools.count(1)

    def settings(self) -> dict:
        extra = {"max_lateness": f"{int(self.max_lateness.total_seconds() // 60)}m"} if self.max_lateness else {}
        return {"network": "bluesky", "service": self.server.url, "handle": self.alice.handle,
                "credentials": {"password": "BLUESKY_APP_PASSWORD"}, **extra}

    def env(self) -> dict[str, str]:
        return {"BLUESKY_APP_PASSWORD": self.alice.app_password}

    def items(self) -> list[Item]:
        found = []
        for record in self.pds.records("alice"):
            value, rkey = record["value"], record["uri"].rsplit("/", 1)[1]
            parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
            found.append(Item(value.get("text", ""), record["uri"],
                              f"https://bsky.app/profile/{self.alice.handle}/post/{rkey}", parent))
        return found

    def remove_by_hand(self, item: Item) -> None:
        repo, collection, rkey = item.remote_id.removeprefix("at://").split("/")
        self.pds.xrpc("POST", "com.atproto.repo.deleteRecord", account="alice",
                      json={"repo": repo, "collection": collection, "rkey": rkey}).raise_for_status()

    def foreign_post(self, kind: str) -> str:
        number = next(self._serial)
        made = self.pds.create("bob", {"$type": "app.bsky.feed.post", "text": f"Bob's loaf number {number}",
                                       "createdAt": "2027-01-01T08:00:00.000Z"})
        return f"https://bsky.app/profile/{self.bob.handle}/post/{made['uri'].rsplit('/', 1)[1]}"

    def target_id(self, url: str) -> str | None:
        return f"at://{self.bob.did}/app.bsky.feed.post/{url.rsplit('/', 1)[1]}"

    def engaged(self, url: str, kind: str) -> bool:
        collection = {"like": "app.bsky.feed.like", "repost": "app.bsky.feed.repost"}[kind]
        rkey = url.rsplit("/", 1)[1]
        return any(r["value"]["subject"]["uri"].endswith(f"/{rkey}") for r in self.pds.records("alice", collection))


def first_seen_times(now: datetime, seen: dict, accounts: list[Account]) -> list[tuple[str, int, int]]:
    """Record in `seen` when each (channel, serial, part) was first online; returns the new ones."""
    new = []
    for account in accounts:
        for item in account.items():
            for serial, part in item.markers():
                if (account.channel, serial, part) not in seen:
                    seen[(account.channel, serial, part)] = now
                    new.append((account.channel, serial, part))
    return new
