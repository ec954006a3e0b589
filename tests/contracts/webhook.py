"""The webhook's contract: FakeWebhook (signed events, Idempotency-Key, 409 for a repeat)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.webhook import FakeWebhook


def _online(server: FakeWebhook) -> list[str]:
    retracted = {e["key"] for e in server.stored if e["event"] == "post.retracted"}
    return [e["text"] for e in server.stored
            if e["event"] == "post.published" and e["idempotency_key"] not in retracted]


CONTRACT = Contract(
    network="webhook",
    fake=lambda clock, token: FakeWebhook(token, clock=clock.epoch),
    channel=lambda server: {"credentials": {"url": "HOOK_URL", "secret": "HOOK_SECRET"}},
    env=lambda server, token: {"HOOK_URL": server.hook_url, "HOOK_SECRET": token},
    online=_online,
    create=("POST", r"/hooks/.*"),
    refusal=(400, {"error": "post rejected: text is empty"}),
    rate_limited=lambda server, reset: {"Retry-After": str(reset)},
    max_length=100_000,
    account="the receiver in HOOK_URL",
    errors=(
        ErrorCase("unauthorized", 401, {"error": "bad signature"}, says=("HOOK_SECRET",)),
        ErrorCase("not-found", 404, {"error": "no such hook"}, says=("HOOK_URL",)),
    ),
)
