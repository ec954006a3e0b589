"""Telegram's contract: FakeTelegram (a bot in a public channel; no idempotency key, no history)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.telegram import FakeTelegram


def _parents(server: FakeTelegram) -> dict[str, str | None]:
    return {m["text"]: (m.get("reply_to_message") or {}).get("text") for m in server.ours()}


CONTRACT = Contract(
    network="telegram",
    fake=lambda clock, token: FakeTelegram(token, clock=clock),
    channel=lambda server: {"chat_id": "@crumbandco", "api": server.url,
                            "credentials": {"bot_token": "TELEGRAM_BOT_TOKEN"}},
    env=lambda server, token: {"TELEGRAM_BOT_TOKEN": token},
    online=lambda server: [m.get("text") or m.get("caption") or "" for m in server.ours()],
    create=("POST", r"/bot[^/]+/send\w+"),
    refusal=(400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}),
    rate_limited=lambda server, reset: {},
    rate_limited_body=lambda reset: {"ok": False, "error_code": 429,
                                     "description": f"Too Many Requests: retry after {reset}",
                                     "parameters": {"retry_after": reset}},
    parents=_parents,
    max_length=4096,
    account="@crumbandco_bot in Crumb & Co. (channel)",
    errors=(
        ErrorCase("unauthorized", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"},
                  says=("TELEGRAM_BOT_TOKEN",)),
        ErrorCase("not-a-member", 403, {"ok": False, "error_code": 403,
                                        "description": "Forbidden: bot is not a member of the channel chat"},
                  says=("add the bot",)),
        ErrorCase("chat-not-found", 400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: chat not found"}, says=("chat_id",)),
        ErrorCase("migrated", 400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                                    "parameters": {"migrate_to_chat_id": -1009876543210}},
                  says=("-1009876543210",)),
    ),
)
