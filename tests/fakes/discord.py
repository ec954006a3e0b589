"""A fake Discord webhook API following NETWORKS.md and Discord's webhook docs.

`<url>/api/webhooks/<id>/<token>`: GET answers the webhook object, POST executes it
(JSON, or multipart with `payload_json` and `files[n]`; `?wait=true` answers the
message, without it 204 and no id), DELETE `/messages/<id>` deletes a message. A
wrong token answers 401 `Invalid Webhook Token` (50027), an unknown webhook 404
`Unknown Webhook` (10015), a bad body 400 `Invalid Form Body` (50035) with its
`errors`. Every answer carries the `X-RateLimit-*` headers; `budget()` makes the
webhook's bucket run dry: then 429 with `retry_after` (seconds, a float) in the
body, `Retry-After` and `X-RateLimit-Scope`, and `X-RateLimit-Global` when global.

Webhooks have no idempotency key and cannot list messages: a repeated execute is
a second message, as on Discord.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.fakes.server import FakeServer, Request, route

WEBHOOK_ID = "1187654321098765432"
GUILD_ID = "1100000000000000001"
CHANNEL_ID = "1100000000000000002"
MAX_CONTENT = 2000
MAX_FILES = 10
MAX_DESCRIPTION = 1024
BUCKET_SIZE = 5


def error(status: int, message: str, code: int, **extra) -> tuple[int, dict]:
    return status, {"message": message, "code": code, **extra}


class FakeDiscord(FakeServer):
    def __init__(self, token: str = "fake-webhook-token", *, clock: Callable[[], datetime] | None = None,
                 name: str = "Crumb & Co.") -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.name = name
        #: message id -> message, as the API answers it, with `_files`: [(filename, bytes)]
        self.messages: dict[str, dict] = {}
        self.remaining: int | None = None
        self.reset_after = 1.0
        self.global_limit = False
        self.limited_until: datetime | None = None
        self._ids = itertools.count(1300000000000000001)
        self._state = threading.Lock()

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/api/webhooks/{WEBHOOK_ID}/{self.token}"

    def budget(self, remaining: int, reset_after: float = 1.0, *, global_limit: bool = False) -> None:
        """Requests left in the webhook's bucket; it refills `reset_after` seconds after running dry."""
        self.remaining = remaining
        self.reset_after = reset_after
        self.global_limit = global_limit
        self.limited_until = None

    def ours(self) -> list[dict]:
        """Messages that exist, oldest first."""
        return sorted(self.messages.values(), key=lambda m: int(m["id"]))

    # -- plumbing ------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> tuple:
        with self._state:
            now = self.clock()
            if self.limited_until is not None and now >= self.limited_until:
                self.remaining, self.limited_until = None, None
            if self.remaining is not None and self.remaining <= 0:
                if self.limited_until is None:
                    self.limited_until = now + timedelta(seconds=self.reset_after)
                wait = (self.limited_until - now).total_seconds()
                headers = {**self._limit_headers(0, wait), "Retry-After": str(math.ceil(wait)),
                           "X-RateLimit-Scope": "shared" if self.global_limit else "user"}
                if self.global_limit:
                    headers["X-RateLimit-Global"] = "true"
                return 429, {"message": "You are being rate limited.", "retry_after": round(wait, 3),
                             "global": self.global_limit}, headers
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining == 0:
                    self.limited_until = now + timedelta(seconds=self.reset_after)
            left = BUCKET_SIZE if self.remaining is None else self.remaining
        status, body, *rest = super()._dispatch(request)
        headers = rest[0] if rest else {}
        return status, body, {**self._limit_headers(left, self.reset_after), **headers}

    def _limit_headers(self, remaining: int, reset_after: float) -> dict[str, str]:
        reset = self.clock().timestamp() + reset_after
        return {"X-RateLimit-Limit": str(BUCKET_SIZE), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": f"{reset:.3f}", "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": "a06de9e3e8e5b0b1"}

    def _known(self, webhook: str, token: str) -> tuple | None:
        if webhook != WEBHOOK_ID:
            return error(404, "Unknown Webhook", 10015)
        if token != self.token:
            return error(401, "Invalid Webhook Token", 50027)
        return None

    # -- the webhook --------------------------------------------------------------------

    @route("GET", r"/api/webhooks/(?P<webhook>\d+)/(?P<token>[^/]+)")
    def get_webhook(self, request: Request, webhook: str, token: str):
        refused = self._known(webhook, token)
        if refused:
            return refused
        return 200, {"application_id": None, "avatar": None, "channel_id": CHANNEL_ID, "guild_id": GUILD_ID,
                     "id": WEBHOOK_ID, "name": self.name, "type": 1, "token": self.token}

    @route("POST", r"/api/webhooks/(?P<webhook>\d+)/(?P<token>[^/]+)")
    def execute(self, request: Request, webhook: str, token: str):
        refused = self._known(webhook, token)
        if refused:
            return refused
        files: list[tuple[str, bytes, str | None]] = []
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            fields = request.multipart()
            payload = json.loads(fields.pop("payload_json", (None, None, b"{}"))[2] or b"{}")
            for name, (filename, content_type, data) in sorted(fields.items()):
                if not name.startswith("files["):
                    return error(400, "Invalid Form Body", 50035, errors={name: "unknown field"})
                files.append((filename or name, data, content_type))
        else:
            payload = request.json()
        if not isinstance(payload, dict):
            return error(400, "Invalid Form Body", 50035)
        content = payload.get("content") or ""
        if len(content) > MAX_CONTENT:
            return error(400, "Invalid Form Body", 50035, errors={"content": {"_errors": [{
                "code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {MAX_CONTENT} or fewer in length."}]}})
        if not content.strip() and not files:
            return error(400, "Cannot send an empty message", 50006)
        if len(files) > MAX_FILES:
            return error(400, "Invalid Form Body", 50035, errors={"files": "too many"})
        attachments = []
        for index, meta in enumerate(payload.get("attachments") or []):
            description = meta.get("description") or ""
            if len(description) > MAX_DESCRIPTION:
                return error(400, "Invalid Form Body", 50035, errors={"attachments": {str(index): {
                    "description": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}}}})
            if not 0 <= int(meta.get("id", -1)) < len(files):
                return error(400, "Invalid Form Body", 50035, errors={"attachments": "unknown file id"})
            attachments.append(meta)
        with self._state:
            message_id = str(next(self._ids))
            message = {
                "id": message_id, "type": 0, "content": content, "channel_id":
                request.query.get("thread_id", [CHANNEL_ID])[0], "webhook_id": WEBHOOK_ID,
                "author": {"id": WEBHOOK_ID, "username": payload.get("username") or self.name, "bot": True},
                "timestamp": self.clock().isoformat(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "pinned": False, "embeds": [], "flags": 0,
                "allowed_mentions": payload.get("allowed_mentions"),
                "attachments": [{"id": str(next(self._ids)), "filename": files[int(m["id"])][0],
                                 "description": m.get("description"), "size": len(files[int(m["id"])][1]),
                                 "content_type": files[int(m["id"])][2]} for m in attachments],
                "_files": [(name, data) for name, data, _ in files],
            }
            self.messages[message_id] = message
        if request.query.get("wait") != ["true"]:
            return 204, b""
        return 200, self._view(message)

    @route("DELETE", r"/api/webhooks/(?P<webhook>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>\d+)")
    def delete_message(self, request: Request, webhook: str, token: str, message_id: str):
        refused = self._known(webhook, token)
        if refused:
            return refused
        with self._state:
            if self.messages.pop(message_id, None) is None:
                return error(404, "Unknown Message", 10008)
        return 204, b""

    @staticmethod
    def _view(message: dict) -> dict:
        return {key: value for key, value in message.items() if not key.startswith("_")}
