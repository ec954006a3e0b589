"""A fake Telegram Bot API following NETWORKS.md and the Bot API docs.

`POST <url>/bot<token>/<method>` with JSON, a form or multipart (files for
sendPhoto / sendMediaGroup, `attach://<name>` in `media`). Answers are
`{"ok": true, "result": ...}`; errors `{"ok": false, "error_code", "description"}`
with the HTTP status equal to `error_code`: 401 `Unauthorized` for a wrong token,
400 `Bad Request: chat not found`, 403 `Forbidden: bot is not a member of the
channel chat`, 400 `Bad Request: message to delete not found` and `message can't be
deleted` (older than 48 hours). A 429 carries `parameters.retry_after` in the body
and no header, as Telegram's do.

One chat (a public channel `@crumbandco` by default) with the bot as an
administrator that may post; messages keep their reply parent. No method lists a
chat's messages: the real API has none for bots.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.fakes.server import FakeServer, Request, route

BOT = {"id": 7012345678, "is_bot": True, "first_name": "Crumb & Co.", "username": "crumbandco_bot"}
CHAT_ID = -1001234567890
MAX_TEXT = 4096
MAX_CAPTION = 1024
DELETE_WINDOW = timedelta(hours=48)


def failure(status: int, description: str, **parameters) -> tuple[int, dict]:
    body = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123456:fake-token", *, clock: Callable[[], datetime] | None = None,
                 username: str | None = "crumbandco", kind: str = "channel") -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.chat = {"id": CHAT_ID, "title": "Crumb & Co.", "type": kind}
        if username:
            self.chat["username"] = username
        #: the bot's membership in the chat, as getChatMember answers it
        self.member = {"status": "administrator", "user": BOT, "can_post_messages": True,
                       "can_delete_messages": False, "can_be_edited": False}
        #: message id -> message, with `_files`: [(name, bytes)]
        self.messages: dict[int, dict] = {}
        self.remaining: int | None = None
        self.retry_after = 5
        self.limited_until: datetime | None = None
        self._ids = itertools.count(101)
        self._albums = itertools.count(13_000_000_000_000_001)
        self._state = threading.Lock()

    def budget(self, remaining: int, retry_after: int = 5) -> None:
        """Requests left before 429 answers; the limit lifts `retry_after` seconds after the first."""
        self.remaining, self.retry_after, self.limited_until = remaining, retry_after, None

    def ours(self) -> list[dict]:
        """Messages that exist, oldest first."""
        return [self.messages[key] for key in sorted(self.messages)]

    # -- plumbing ------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> tuple:
        with self._state:
            now = self.clock()
            if self.limited_until is not None and now >= self.limited_until:
                self.remaining = self.limited_until = None
            if self.remaining is not None:
                if self.remaining <= 0:
                    if self.limited_until is None:
                        self.limited_until = now + timedelta(seconds=self.retry_after)
                    wait = max(1, int((self.limited_until - now).total_seconds()))
                    return failure(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
                self.remaining -= 1
        return super()._dispatch(request)

    @staticmethod
    def _fields(request: Request) -> tuple[dict, dict[str, tuple[str, bytes]]]:
        """The method's parameters (JSON, form or multipart) and the files sent with it."""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            return request.json() or {}, {}
        if content_type.startswith("multipart/form-data"):
            fields, files = {}, {}
            for name, (filename, _, data) in request.multipart().items():
                if filename is None:
                    fields[name] = data.decode("utf-8")
                else:
                    files[name] = (filename, data)
            return fields, files
        return {key: values[-1] for key, values in request.form().items()}, {}

    @staticmethod
    def _object(value):
        """A JSON-serialized parameter of a form, as Telegram reads it."""
        return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

    @route("POST", r"/bot(?P<token>[^/]+)/(?P<method>\w+)")
    def method(self, request: Request, token: str, method: str):
        if token != self.token:
            return failure(401, "Unauthorized")
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return failure(404, "Not Found")
        fields, files = self._fields(request)
        if method not in ("getMe",) and str(fields.get("chat_id")) not in (str(CHAT_ID), "@" + str(
                self.chat.get("username"))):
            return failure(400, "Bad Request: chat not found")
        return handler(fields, files)

    def _ok(self, result) -> tuple[int, dict]:
        return 200, {"ok": True, "result": result}

    # -- methods ------------------------------------------------------------------------

    def _getMe(self, fields, files):
        return self._ok(BOT)

    def _getChat(self, fields, files):
        return self._ok({**self.chat, "description": "Fresh bread, daily."})

    def _getChatMember(self, fields, files):
        if int(fields.get("user_id") or 0) != BOT["id"]:
            return failure(400, "Bad Request: user not found")
        return self._ok(self.member)

    def _may_post(self) -> tuple | None:
        if self.member["status"] in ("left", "kicked"):
            return failure(403, "Forbidden: bot is not a member of the channel chat")
        if self.chat["type"] == "channel" and not self.member.get("can_post_messages"):
            return failure(400, "Bad Request: need administrator rights in the channel chat")
        return None

    def _reply_to(self, fields) -> tuple[int | None, tuple | None]:
        reply = self._object(fields.get("reply_parameters"))
        if not reply:
            return None, None
        parent = int(reply["message_id"])
        if parent not in self.messages and not reply.get("allow_sending_without_reply"):
            return None, failure(400, "Bad Request: message to be replied not found")
        return parent, None

    def _store(self, fields, parent: int | None, **content) -> dict:
        message = {"message_id": next(self._ids), "date": int(self.clock().timestamp()),
                   "chat": dict(self.chat), "sender_chat": dict(self.chat), **content}
        if parent is not None:
            message["reply_to_message"] = {key: value for key, value in self.messages[parent].items()
                                           if not key.startswith("_") and key != "reply_to_message"}
        if str(fields.get("disable_notification")).lower() == "true":
            message["_silent"] = True
        self.messages[message["message_id"]] = message
        return message

    @staticmethod
    def _view(message: dict) -> dict:
        return {key: value for key, value in message.items() if not key.startswith("_")}

    def _sendMessage(self, fields, files):
        text = fields.get("text") or ""
        if not text.strip():
            return failure(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            return failure(400, "Bad Request: message is too long")
        with self._state:
            refused = self._may_post()
            parent, problem = self._reply_to(fields)
            if refused or problem:
                return refused or problem
            return self._ok(self._view(self._store(fields, parent, text=text)))

    def _photo(self, data: bytes) -> list[dict]:
        unique = f"AQAD{len(self.messages)}x{len(data)}"
        return [{"file_id": f"AgACAgQAAxk{unique}", "file_unique_id": unique, "width": 90, "height": 67,
                 "file_size": len(data)}]

    def _sendPhoto(self, fields, files):
        caption = fields.get("caption") or ""
        if len(caption.encode("utf-16-le")) // 2 > MAX_CAPTION:
            return failure(400, "Bad Request: message caption is too long")
        if "photo" not in files:
            return failure(400, "Bad Request: there is no photo in the request")
        with self._state:
            refused = self._may_post()
            parent, problem = self._reply_to(fields)
            if refused or problem:
                return refused or problem
            name, data = files["photo"]
            message = self._store(fields, parent, photo=self._photo(data), _files=[(name, data)])
            if caption:
                message["caption"] = caption
            return self._ok(self._view(message))

    def _sendMediaGroup(self, fields, files):
        media = self._object(fields.get("media"))
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            return failure(400, "Bad Request: wrong number of media in the group (2 to 10)")
        for item in media:
            attached = str(item.get("media", "")).removeprefix("attach://")
            if item.get("type") != "photo" or attached not in files:
                return failure(400, f"Bad Request: wrong file identifier/HTTP URL specified ({attached})")
            if len(str(item.get("caption") or "").encode("utf-16-le")) // 2 > MAX_CAPTION:
                return failure(400, "Bad Request: message caption is too long")
        with self._state:
            refused = self._may_post()
            parent, problem = self._reply_to(fields)
            if refused or problem:
                return refused or problem
            group = str(next(self._albums))
            sent = []
            for item in media:
                name, data = files[item["media"].removeprefix("attach://")]
                message = self._store(fields, parent, media_group_id=group, photo=self._photo(data),
                                      _files=[(name, data)])
                if item.get("caption"):
                    message["caption"] = item["caption"]
                sent.append(self._view(message))
            return self._ok(sent)

    def _deleteMessage(self, fields, files):
        with self._state:
            message = self.messages.get(int(fields.get("message_id") or 0))
            if message is None:
                return failure(400, "Bad Request: message to delete not found")
            if self.clock().timestamp() - message["date"] > DELETE_WINDOW.total_seconds():
                return failure(400, "Bad Request: message can't be deleted")
            del self.messages[message["message_id"]]
        return self._ok(True)
