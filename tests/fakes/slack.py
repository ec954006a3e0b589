"""A fake Slack Web API and incoming webhook following NETWORKS.md and Slack's method docs.

Web API methods at `<url>/api/<method>` with `Authorization: Bearer <token>`. Like
Slack, every error is HTTP 200 with `{"ok": false, "error": "..."}` (a wrong token:
`invalid_auth`; a bot not in the channel: `not_in_channel`); a rate limit is 429 with
Retry-After. Messages have a `ts` (seconds.micro) that is also their id; a reply has
`thread_ts` of the thread's first message. conversations.history lists a channel's
top-level messages newest first, conversations.replies a thread oldest first, both
paged by `cursor`.

An incoming webhook at `<url>/services/T…/B…/<token>` answers plain `ok`, or a word
such as `no_service` (404) or `invalid_payload` (400), and never an id.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from tests.fakes.server import FakeServer, Request, route

CHANNEL = "C0CRUMB01"
BOT_ID, BOT_USER = "B0BAKERY1", "U0BAKERY1"
MAX_TEXT = 40000


def fail(error: str, **extra) -> tuple[int, dict]:
    return 200, {"ok": False, "error": error, **extra}


class FakeSlack(FakeServer):
    def __init__(self, token: str = "xoxb-fake", *, clock: Callable[[], datetime] | None = None,
                 hook_token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.hook_token = hook_token or token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.scopes = {"chat:write", "channels:history", "channels:read"}
        self.member = True
        #: ts -> message (the bot's and others'), with `_channel`
        self.messages: dict[str, dict] = {}
        #: what the incoming webhook received
        self.hooked: list[dict] = []
        self.retry_after: int | None = None
        self._serial = itertools.count(1)
        self._state = threading.Lock()

    @property
    def hook_url(self) -> str:
        return f"{self.url}/services/T0CRUMB/B0HOOK/{self.hook_token}"

    def ours(self) -> list[dict]:
        """Messages in the channel, oldest first."""
        return [self.messages[ts] for ts in sorted(self.messages, key=float)]

    def add_message(self, text: str, *, bot: bool = True, thread_ts: str | None = None) -> dict:
        """A message posted some other way (by hand, or an earlier run)."""
        with self._state:
            return self._store(text, BOT_ID if bot else None, thread_ts)

    def _store(self, text: str, bot_id: str | None, thread_ts: str | None) -> dict:
        ts = f"{int(self.clock().timestamp())}.{next(self._serial):06d}"
        message = {"type": "message", "text": text, "ts": ts, "user": BOT_USER if bot_id else "U0HUMAN01",
                   "team": "T0CRUMB", "_channel": CHANNEL}
        if bot_id:
            message.update(bot_id=bot_id, app_id="A0APP", subtype=None)
            message.pop("subtype")
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self.messages[thread_ts]
            parent.setdefault("thread_ts", thread_ts)
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        self.messages[ts] = message
        return message

    @staticmethod
    def _view(message: dict) -> dict:
        return {key: value for key, value in message.items() if not key.startswith("_")}

    # -- plumbing ------------------------------------------------------------------------

    @route("POST", r"/api/(?P<method>[\w.]+)")
    def post_method(self, request: Request, method: str):
        return self._method(request, method, request.json() if "json" in request.headers.get(
            "content-type", "") else {k: v[-1] for k, v in request.form().items()})

    @route("GET", r"/api/(?P<method>[\w.]+)")
    def get_method(self, request: Request, method: str):
        return self._method(request, method, {k: v[-1] for k, v in request.query.items()})

    def _method(self, request: Request, method: str, args: dict):
        if self.retry_after is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.retry_after)}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return fail("invalid_auth")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return fail("unknown_method")
        return handler(args)

    def _need(self, scope: str) -> tuple | None:
        return None if scope in self.scopes else fail("missing_scope", needed=scope,
                                                       provided=",".join(sorted(self.scopes)))

    def _channel(self, args: dict) -> tuple | None:
        if args.get("channel") != CHANNEL:
            return fail("channel_not_found")
        return None

    # -- methods ------------------------------------------------------------------------

    def _auth_test(self, args):
        return 200, {"ok": True, "url": "https://crumbandco.slack.com/", "team": "Crumb & Co.",
                     "user": "crumbbot", "team_id": "T0CRUMB", "user_id": BOT_USER, "bot_id": BOT_ID,
                     "is_enterprise_install": False}

    def _conversations_info(self, args):
        refused = self._need("channels:read") or self._channel(args)
        if refused:
            return refused
        return 200, {"ok": True, "channel": {"id": CHANNEL, "name": "bakery-news", "is_channel": True,
                                             "is_archived": False, "is_member": self.member}}

    def _chat_postMessage(self, args):
        refused = self._need("chat:write") or self._channel(args)
        if refused:
            return refused
        if not self.member:
            return fail("not_in_channel")
        text = args.get("text") or ""
        if not text.strip():
            return fail("no_text")
        if len(text) > MAX_TEXT:
            return fail("msg_too_long")
        with self._state:
            thread = args.get("thread_ts")
            if thread and thread not in self.messages:
                return fail("thread_not_found")
            message = self._store(text, BOT_ID, thread)
        return 200, {"ok": True, "channel": CHANNEL, "ts": message["ts"], "message": self._view(message)}

    def _chat_getPermalink(self, args):
        refused = self._channel(args)
        ts = args.get("message_ts", "")
        if refused or ts not in self.messages:
            return refused or fail("message_not_found")
        return 200, {"ok": True, "channel": CHANNEL,
                     "permalink": f"https://crumbandco.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"}

    def _chat_delete(self, args):
        refused = self._need("chat:write") or self._channel(args)
        if refused:
            return refused
        with self._state:
            message = self.messages.get(args.get("ts", ""))
            if message is None:
                return fail("message_not_found")
            if message.get("bot_id") != BOT_ID:
                return fail("cant_delete_message")
            del self.messages[message["ts"]]
        return 200, {"ok": True, "channel": CHANNEL, "ts": message["ts"]}

    def _page(self, listed: list[dict], args: dict) -> tuple:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = listed[start:start + limit]
        more = start + limit < len(listed)
        return 200, {"ok": True, "messages": [self._view(m) for m in page], "has_more": more,
                     "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _oldest(self, args: dict) -> float:
        return float(args.get("oldest") or 0)

    def _conversations_history(self, args):
        refused = self._need("channels:history") or self._channel(args)
        if refused:
            return refused
        with self._state:
            listed = [m for m in self.messages.values() if float(m["ts"]) >= self._oldest(args)
                      and m.get("thread_ts", m["ts"]) == m["ts"]]
        return self._page(sorted(listed, key=lambda m: float(m["ts"]), reverse=True), args)

    def _conversations_replies(self, args):
        refused = self._need("channels:history") or self._channel(args)
        if refused:
            return refused
        with self._state:
            root = args.get("ts", "")
            if root not in self.messages:
                return fail("thread_not_found")
            listed = [m for m in self.messages.values() if m.get("thread_ts") == root
                      and (m["ts"] == root or float(m["ts"]) >= self._oldest(args))]
        return self._page(sorted(listed, key=lambda m: float(m["ts"])), args)

    # -- the incoming webhook -----------------------------------------------------------

    @route("POST", r"/services/(?P<team>\w+)/(?P<hook>\w+)/(?P<token>[^/]+)")
    def incoming(self, request: Request, team: str, hook: str, token: str):
        if token != self.hook_token:
            return 404, "no_service"
        body = request.json()
        if not isinstance(body, dict) or not str(body.get("text") or "").strip():
            return 400, "invalid_payload"
        with self._state:
            self.hooked.append(body)
        return 200, "ok"
