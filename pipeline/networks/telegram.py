"""Telegram through a bot that posts to a channel or group: text, a photo or an album, reply chains.

The Bot API counts UTF-16 code units: characters outside the Basic Multilingual
Plane count twice. A photo's caption is limited to 1,024 of them.

Plain text: no `parse_mode`, so nothing in a post can break Telegram's Markdown or
HTML parser, and links are linked by Telegram itself. Telegram has no alt text:
the default template writes each image's description into the caption, and
validation refuses a template that leaves one out (`alt_in_text`).

The bot token is part of every URL (`/bot<token>/<method>`): it and its secret half
are masked everywhere, and messages name its variable.

Exactly once without a key: the Bot API has no idempotency key and cannot read a
chat's history, so an attempt whose outcome is unclear is never sent again: it is
left to a person (`social resolve`), and the network does not declare RECONCILE.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import PipelineError
from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.look import About, Approximate, Grid, Identity, Layout, Look
from pipeline.networks.parts import PartRequest, Published, SentPart
from pipeline.text.count import Count
from pipeline.text.units import utf16_units
from pipeline.times import utc_iso

API = "https://api.telegram.org"
CAPTION_LIMIT = 1024
#: Telegram lets a bot delete a message only this long after sending it
DELETE_WINDOW = timedelta(hours=48)
#: answers explained with Telegram's own words; a 429 stays with Http (it waits for
#: `parameters.retry_after`, or leaves the part for a later run)
REFUSALS = (400, 401, 403, 404, 409)

TEMPLATE = """\
{#- Telegram: plain text. It has no alt text, so each image's description is written
    into the caption; validation refuses a template that leaves one out. -#}
{{ text }}
{% if first and link and not link_in_text %}

{{ link }}
{% endif %}
{% if first and images %}

{% for description in images %}
Image: {{ description }}
{% endfor %}
{% endif %}
{% if numbering and parts > 1 %}

{{ part }}/{{ parts }}
{% endif %}
"""


class TelegramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chat_id: str = Field(pattern=r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d+)$",
                         description="@channelusername of a public channel, or the numeric chat id "
                                     "(-100… for channels and supergroups)")
    public_username: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$",
                                        description="The chat's public @username (without @), for links "
                                        "when chat_id is numeric; a private chat has no public links")
    silent: bool = Field(False, description="Send without a notification sound")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of the Bot API")


class TelegramNetwork(Network):
    name = "telegram"
    title = "Telegram"
    # No ALT_TEXT (descriptions go into the caption: alt_in_text) and no RECONCILE (no history).
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.IMAGES, Capability.DELETE})
    max_length = 4096
    counted_as = "UTF-16 code units; a photo's caption at most 1,024"
    hashtags = False
    template = TEMPLATE
    max_images = 10
    max_image_bytes = 10 * 1024 * 1024
    image_formats = frozenset({"jpeg", "png"})
    alt_in_text = True
    required_credentials = ("bot_token",)
    Options: ClassVar[type[BaseModel]] = TelegramOptions
    inbox_note = ("not read: a bot sees comments only in the channel's linked discussion group, as updates "
                  "it would have to poll")
    docs = "networks/telegram.md"
    # A channel post: the album above its caption, hashtags and @usernames as links.
    look = Look(layout=Layout.CHAT, accent="#0f6fa8", accent_dark="#6ab3f3", grid=Grid.MOSAIC, crop="4 / 3",
                media_first=True, approximate=(Approximate(About.IMAGES, "the album's box (4:3) is an observation"),))

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        chat = str(getattr(options, "chat_id", "") or "")
        public = getattr(options, "public_username", None)
        return Identity(handle=chat if chat.startswith("@") else (f"@{public}" if public else None))

    @classmethod
    def text_limit(cls, options: Any = None, *, with_media: bool = False) -> int:
        return CAPTION_LIMIT if with_media else cls.max_length

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return Count(cls.name, text, utf16_units(text), limit)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """At most two UTF-16 code units per code point."""
        return 2 * len(text) if text.strip() else None

    def check_ready(self) -> None:
        super().check_ready()
        self._token()

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        """sendMessage, sendPhoto (one image) or sendMediaGroup (an album); a later part replies to
        the one before it."""
        if request.engagement:
            # Validation refuses these for Telegram; they must never go out as a plain message.
            raise DeliveryError(f"{request.label}: Telegram channels cannot {' or '.join(request.engagement)}; "
                                "nothing was sent", code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        fields: dict[str, Any] = {"chat_id": self.options.chat_id}
        if self.options.silent:
            fields["disable_notification"] = True
        if request.parent is not None:
            if not (request.parent.remote_id or "").isdigit():
                raise DeliveryError(f"{request.label}: the part before it has no Telegram message id in the "
                                    "ledger, so this part cannot answer it; nothing was sent",
                                    code="parent-unknown")
            # Never a loose message: Telegram refuses the reply when the parent is gone.
            fields["reply_parameters"] = {"message_id": int(request.parent.remote_id),
                                          "allow_sending_without_reply": False}
        what = f"posting {request.label}"
        if not request.media:
            result = self._call("sendMessage", what=what, idempotent=False,
                                json={**fields, "text": request.text})
            return self._published([result])
        files = {f"photo{index}": (media.path.name, media.content(request.label), media.content_type)
                 for index, media in enumerate(request.media)}
        form = {key: json.dumps(value) if isinstance(value, dict) else str(value).lower()
                if isinstance(value, bool) else str(value) for key, value in fields.items()}
        if len(request.media) == 1:
            result = self._call("sendPhoto", what=what, idempotent=False, files={"photo": files["photo0"]},
                                data={**form, "caption": request.text})
            return self._published([result])
        album = [{"type": "photo", "media": f"attach://{name}"} for name in files]
        album[0]["caption"] = request.text  # shown under the album
        result = self._call("sendMediaGroup", what=what, idempotent=False, files=files,
                            data={**form, "media": json.dumps(album, ensure_ascii=False)})
        return self._published(result if isinstance(result, list) else [result])

    def _published(self, messages: list) -> Published:
        if not messages or not all(isinstance(m, dict) and isinstance(m.get("message_id"), int) for m in messages):
            raise DeliveryError("telegram: the answer holds no message id", ambiguous=True)
        first = messages[0]
        chat = first.get("chat") if isinstance(first.get("chat"), dict) else {}
        username = chat.get("username") or self.options.public_username or (
            self.options.chat_id[1:] if self.options.chat_id.startswith("@") else None)
        url = f"https://t.me/{username}/{first['message_id']}" if username else None
        data: dict[str, Any] = {"chat_id": chat.get("id", self.options.chat_id)}
        if isinstance(first.get("date"), int):
            data["sent_at"] = utc_iso(datetime.fromtimestamp(first["date"], UTC))
        if len(messages) > 1:
            data["message_ids"] = [m["message_id"] for m in messages]
        return Published(str(first["message_id"]), url, data=data)

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """The Bot API cannot read a chat's history and has no idempotency key: a person must look."""
        when = f" at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if sent_at else ""
        preview = " ".join(request.text.split())[:60]
        raise Uncertain(f"{request.label} was sent to Telegram{when} and may have been posted, but a bot cannot "
                        f"read the chat's history, so sending it again could post it twice. Look in "
                        f"{self.options.chat_id} for a message starting {preview!r}, then run `social resolve "
                        f"{request.post_id} --channel {request.channel_id} --part {request.number}` with "
                        "--published URL (the message's link: right-click, Copy Post Link) or --not-published",
                        code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """deleteMessage for the part's message(s); one that is already gone is fine. Telegram lets a
        bot delete a message only within 48 hours of sending it."""
        data = part.data or {}
        ids = [str(i) for i in data.get("message_ids") or []] or [
            part.remote_id or (part.url or "").rstrip("/").rsplit("/", 1)[-1]]
        if not all(i.isdigit() for i in ids):
            raise DeliveryError(f"telegram: cannot tell which message {part.url or part.remote_id} is (no message "
                                "id in the ledger); delete it by hand", code="post-unknown")
        chat = data.get("chat_id") or self.options.chat_id
        for message_id in reversed(ids):
            try:
                self._call("deleteMessage", what=f"deleting message {message_id}",
                           json={"chat_id": chat, "message_id": int(message_id)})
            except DeliveryError as exc:
                if "message to delete not found" in exc.message:
                    continue
                if "can't be deleted" in exc.message:
                    raise DeliveryError(self._too_old(exc.message, data.get("sent_at")), status=exc.status,
                                        code="delete-refused") from None
                raise

    def _too_old(self, reason: str, sent_at: str | None) -> str:
        age = ""
        if sent_at:
            sent = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
            hours = (self.http.clock() - sent).total_seconds() / 3600
            age = f"; this one was sent {hours:.0f} hours ago" if hours > 0 else ""
        return (f"{reason}. Telegram lets a bot delete its messages only within 48 hours of sending them{age} "
                "(and only where it may post): delete it by hand in Telegram, as an administrator of the chat")

    # -- account --------------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """getMe, getChat, and getChatMember for the bot itself: may it post there?"""
        bot = self._call("getMe", what="reading the bot")
        chat = self._call("getChat", what=f"reading the chat {self.options.chat_id}",
                          json={"chat_id": self.options.chat_id})
        member = self._call("getChatMember", what=f"reading the bot's rights in {self.options.chat_id}",
                            json={"chat_id": self.options.chat_id, "user_id": bot.get("id")})
        kind = chat.get("type", "chat")
        where = f"{chat.get('title') or self.options.chat_id} ({kind})"
        status = member.get("status")
        if kind == "channel" and not (status == "creator" or (status == "administrator"
                                                                and member.get("can_post_messages"))):
            raise DeliveryError(f"telegram: the bot @{bot.get('username')} may not post in {where}: make it an "
                                "administrator of the channel with the right to post messages", code="forbidden")
        if status in ("left", "kicked") or (status == "restricted" and not member.get("can_send_messages")):
            raise DeliveryError(f"telegram: the bot @{bot.get('username')} may not post in {where} (it is "
                                f"{status}): add it to the chat", code="forbidden")
        notes = [f"Telegram lets a bot delete its messages only within {DELETE_WINDOW.days * 24} hours: "
                 "retract later posts by hand"]
        if not (chat.get("username") or self.options.public_username):
            notes.append("a private chat: its messages have no public links (t.me/<username>/<id>)")
        return AccountCheck(account=f"@{bot.get('username')} in {where}", notes=tuple(notes))

    # -- plumbing -------------------------------------------------------------------

    def _token(self) -> str:
        token = self.credential("bot_token")
        if any(c in token for c in "/?#% \t\n"):
            raise PipelineError(f"environment variable {self.variable('bot_token')} does not hold a bot token "
                                "(like 123456789:AAH…, from @BotFather)", code="credential-invalid")
        # The secret half alone may be quoted by a proxy or an error page.
        self.http.secrets.add(token.rpartition(":")[2])
        self.http.secrets.add(f"bot{token}")
        return token

    def _call(self, method: str, *, what: str, idempotent: bool = True, **kwargs: Any) -> Any:
        """One Bot API method; its `result`, or a DeliveryError in Telegram's words."""
        what = f"telegram: {what}"
        url = f"{self.options.api.rstrip('/')}/bot{self._token()}/{method}"
        response = self.http.request("POST", url, idempotent=idempotent, what=what, ok=(200, *REFUSALS),
                                     credential=self.variable("bot_token"), allow_redirects=False, **kwargs)
        body = json_body(response)
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        if response.status_code == 200:
            raise DeliveryError(f"{what}: the answer is not the Bot API's JSON", ambiguous=not idempotent)
        raise self._refused(response, body, what)

    def _refused(self, response: Any, body: Any, what: str) -> DeliveryError:
        status = response.status_code
        body = body if isinstance(body, dict) else {}
        reason = self.http.secrets.mask(str(body.get("description") or response.reason or "no reason given"))[:300]
        variable = self.variable("bot_token")
        migrated = (body.get("parameters") or {}).get("migrate_to_chat_id")
        if migrated:
            return DeliveryError(f"{what}: the group became a supergroup: set chat_id of channel "
                                 f"{self.channel.id!r} to \"{migrated}\" ({reason})", status=status)
        if status in (401, 404):
            return DeliveryError(f"{what}: the bot token was refused: check {variable} (@BotFather shows the "
                                 f"token with /token; a revoked one must be replaced) ({reason})", status=status,
                                 code="auth-failed")
        if status == 403:
            return DeliveryError(f"{what}: refused (403): {reason}; add the bot to {self.options.chat_id} (in a "
                                 "channel: as an administrator allowed to post messages)", status=status,
                                 code="forbidden")
        if "chat not found" in reason:
            return DeliveryError(f"{what}: {reason}: check chat_id ({self.options.chat_id}) of channel "
                                 f"{self.channel.id!r}, and that the bot was added to it", status=status)
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)
