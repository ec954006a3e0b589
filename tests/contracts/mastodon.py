"""Mastodon's contract: FakeMastodon (statuses, X-RateLimit-* headers, Idempotency-Key)."""

from __future__ import annotations

import html
import re

from tests.contracts import Contract, ErrorCase
from tests.fakes.mastodon import FakeMastodon


def _text(status: dict) -> str:
    content = re.sub(r"</p><p>", "\n\n", status["content"])
    return html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", content)))


def _parents(server: FakeMastodon) -> dict[str, str | None]:
    by_id = {s["id"]: _text(s).strip() for s in server.ours()}
    return {_text(s).strip(): by_id.get(s["in_reply_to_id"]) for s in server.ours()}


def _rate_limited(server: FakeMastodon, reset: int) -> dict[str, str]:
    from datetime import timedelta
    at = server.clock() + timedelta(seconds=reset)
    return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


CONTRACT = Contract(
    network="mastodon",
    fake=lambda clock, token: FakeMastodon(token, clock=clock),
    channel=lambda server: {"instance": server.url, "credentials": {"token": "MASTODON_TOKEN"}},
    env=lambda server, token: {"MASTODON_TOKEN": token},
    online=lambda server: [_text(s) for s in server.ours()],
    create=("POST", r"/api/v1/statuses"),
    refusal=(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
    rate_limited=_rate_limited,
    act_then_fail=lambda server: server.act_then_fail.append(500),
    parents=_parents,
    max_length=500,
    account="@crumbandco@127.0.0.1",
    errors=(
        ErrorCase("unauthorized", 401, {"error": "The access token is invalid"}, says=("MASTODON_TOKEN",)),
        ErrorCase("forbidden", 403, {"error": "This action is outside the authorized scopes"},
                  says=("scopes",)),
        ErrorCase("unprocessable", 422, {"error": "Validation failed: Text can't be blank"},
                  says=("Text can't be blank",)),
        ErrorCase("gone-instance", 410, {"error": "Gone"}),
    ),
)
