"""Slack's contract: FakeSlack with a bot token (chat.postMessage, thread_ts, history to reconcile)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.slack import CHANNEL, FakeSlack


def _parents(server: FakeSlack) -> dict[str, str | None]:
    """A reply follows the message before it in its thread, as a reader sees it."""
    messages = server.ours()
    parents: dict[str, str | None] = {}
    for message in messages:
        thread = [m for m in messages if m.get("thread_ts") == message.get("thread_ts")
                  and float(m["ts"]) < float(message["ts"])] if message.get("thread_ts") else []
        parents[message["text"]] = thread[-1]["text"] if thread else None
    return parents


CONTRACT = Contract(
    network="slack",
    fake=lambda clock, token: FakeSlack(token, clock=clock),
    channel=lambda server: {"channel": CHANNEL, "api": f"{server.url}/api",
                            "credentials": {"token": "SLACK_BOT_TOKEN"}},
    env=lambda server, token: {"SLACK_BOT_TOKEN": token},
    online=lambda server: [m["text"] for m in server.ours()],
    create=("POST", r"/api/chat\.postMessage"),
    refusal=(200, {"ok": False, "error": "msg_too_long"}),
    rate_limited=lambda server, reset: {"Retry-After": str(reset)},
    parents=_parents,
    max_length=40000,
    account="crumbbot (bot B0BAKERY1) in #bakery-news of Crumb & Co.",
    errors=(
        ErrorCase("invalid-auth", 200, {"ok": False, "error": "invalid_auth"}, says=("SLACK_BOT_TOKEN",)),
        ErrorCase("token-revoked", 200, {"ok": False, "error": "token_revoked"}, says=("SLACK_BOT_TOKEN",)),
        ErrorCase("missing-scope", 200, {"ok": False, "error": "missing_scope", "needed": "chat:write",
                                         "provided": "channels:read"}, says=("chat:write", "reinstall")),
        ErrorCase("not-in-channel", 200, {"ok": False, "error": "not_in_channel"}, says=("/invite",)),
    ),
)
