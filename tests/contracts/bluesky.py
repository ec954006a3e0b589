"""Bluesky's contract: FakeBluesky (createRecord, RateLimit-* headers, sessions)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.bluesky import FakeBluesky


def _posts(server: FakeBluesky) -> list[dict]:
    return sorted(server.ours().values(), key=lambda r: (r["value"]["createdAt"], r["uri"]))


def _parents(server: FakeBluesky) -> dict[str, str | None]:
    by_uri = {r["uri"]: r["value"]["text"] for r in _posts(server)}
    return {r["value"]["text"]: by_uri.get((r["value"].get("reply") or {}).get("parent", {}).get("uri"))
            for r in _posts(server)}


CONTRACT = Contract(
    network="bluesky",
    fake=lambda clock, token: FakeBluesky(password=token, clock=clock),
    channel=lambda server: {"handle": server.handle, "service": server.url,
                            "credentials": {"password": "BLUESKY_APP_PASSWORD"}},
    env=lambda server, token: {"BLUESKY_APP_PASSWORD": token},
    online=lambda server: [r["value"]["text"] for r in _posts(server)],
    create=("POST", r"/xrpc/com\.atproto\.repo\.createRecord"),
    refusal=(400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record: "
                                                          "Record/text must not be longer than 3000 graphemes"}),
    rate_limited=lambda server, reset: {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
                                        "RateLimit-Reset": str(int(server.clock().timestamp()) + reset)},
    act_then_fail=lambda server: server.act_then_fail.append(500),
    parents=_parents,
    max_length=300,
    account="@bakery.test",
    errors=(
        ErrorCase("invalid-record", 400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"},
                  says=("Invalid app.bsky.feed.post record",)),
        ErrorCase("account-taken-down", 400, {"error": "AccountTakedown", "message": "Account has been taken down"},
                  says=("taken down",)),
    ),
)
