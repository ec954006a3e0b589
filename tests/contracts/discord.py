"""Discord's contract: FakeDiscord (a channel webhook; no idempotency key, no listing)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.discord import FakeDiscord

CONTRACT = Contract(
    network="discord",
    fake=lambda clock, token: FakeDiscord(token, clock=clock),
    channel=lambda server: {"credentials": {"webhook_url": "DISCORD_WEBHOOK_URL"}},
    env=lambda server, token: {"DISCORD_WEBHOOK_URL": server.webhook_url},
    online=lambda server: [message["content"] for message in server.ours()],
    create=("POST", r"/api/webhooks/\d+/[^/]+"),
    refusal=(400, {"message": "Invalid Form Body", "code": 50035,
                   "errors": {"content": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}}}),
    rate_limited=lambda server, reset: {"Retry-After": str(reset), "X-RateLimit-Limit": "5",
                                        "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user",
                                        "X-RateLimit-Reset-After": f"{reset}.000"},
    max_length=2000,
    account="Crumb & Co. (a webhook of channel 1100000000000000002)",
    errors=(
        ErrorCase("wrong-token", 401, {"message": "Invalid Webhook Token", "code": 50027},
                  says=("DISCORD_WEBHOOK_URL",)),
        ErrorCase("webhook-deleted", 404, {"message": "Unknown Webhook", "code": 10015},
                  says=("DISCORD_WEBHOOK_URL", "deleted")),
        ErrorCase("missing-permissions", 403, {"message": "Missing Permissions", "code": 50013},
                  says=("Missing Permissions",)),
    ),
)
