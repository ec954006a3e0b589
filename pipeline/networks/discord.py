"""Discord through a channel webhook: a message per post, images as attachments with descriptions.

The webhook URL is the whole credential (its last segment is a token): it is never
shown, and each of its pieces is masked. A message is created with `?wait=true` so
Discord answers the message and its id, which retraction needs.

Exactly once without a key: executing a webhook has no idempotency key (the
`nonce` / `enforce_nonce` pair that de-duplicates a bot's channel messages is not
supported for webhooks) and a webhook cannot list the channel's messages. So an
attempt whose outcome is unclear is never sent again: `reconcile` leaves it to a
person (`social resolve`), and the network does not declare RECONCILE.

No threads: a webhook cannot answer a message, so the parts of a long text would
be loose messages, not a reply chain. A text longer than 2,000 characters is
refused by validation instead; give Discord a shorter text in `overrides`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import PipelineError
from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.look import About, Approximate, Grid, Identity, Layout, Look
from pipeline.networks.parts import PartRequest, Published, SentPart
from pipeline.text.markdown import TextStyle

#: Discord shows Markdown: bold, italics, code and [label](url) are kept
DISCORD_MARKDOWN = TextStyle("markdown", strong="**", emphasis="*", code="`", bullet="- ",
                             link=lambda label, href: f"[{label}]({href})")

TEMPLATE = """\
{#- Discord shows Markdown: the title in bold, then the text. -#}
{% if first and title %}
**{{ title }}**

{% endif %}
{{ text }}
{% if first and link and not link_in_text %}

{{ link }}
{% endif %}
"""

#: where people open a message: /channels/<guild>/<channel>/<message>
APP = "https://discord.com"
#: the path of a webhook URL: .../webhooks/<id>/<token> (discord.com/api/webhooks/..., or /api/v10/...)
WEBHOOK_PATH = re.compile(r"/webhooks/(?P<id>\d+)/(?P<token>[A-Za-z0-9._-]+)/?$")
#: answers explained with Discord's own words; a 429 stays with Http (it waits or leaves the part)
REFUSALS = (400, 401, 403, 404, 413)
#: Discord's JSON error codes that mean the webhook itself is gone or the URL is wrong
UNKNOWN_WEBHOOK, INVALID_TOKEN, UNKNOWN_MESSAGE = 10015, 50027, 10008


class DiscordOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, max_length=80, description="The name shown on the messages "
                                 "instead of the webhook's own (Discord refuses names containing "
                                 "'discord' or 'clyde')")
    thread_id: str | None = Field(None, pattern=r"^\d+$", description="Post into this existing thread "
                                  "(or forum post) of the webhook's channel instead of the channel itself")


class DiscordNetwork(Network):
    name = "discord"
    title = "Discord"
    # No THREADS (a webhook cannot reply) and no RECONCILE (a webhook cannot list messages).
    capabilities = frozenset({Capability.PUBLISH, Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE})
    max_length = 2000
    text_style = DISCORD_MARKDOWN
    hashtags = False
    template = TEMPLATE
    max_images = 10
    max_image_bytes = 10 * 1024 * 1024
    max_alt_length = 1024
    required_credentials = ("webhook_url",)
    Options: ClassVar[type[BaseModel]] = DiscordOptions
    inbox_note = 'not read: a webhook cannot read messages'
    docs = "networks/discord.md"
    # A chat message from the webhook (marked APP): Markdown shown as Markdown, only links are links.
    look = Look(layout=Layout.CHAT, accent="#005fc8", accent_dark="#00a8fc", marks=frozenset({"link"}),
                grid=Grid.MOSAIC, badge="APP",
                approximate=(Approximate(About.IMAGES, "several images cropped into a 16:9 box: an observation"),))

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        return Identity(name=getattr(options, "username", None))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._webhook: dict | None = None

    def check_ready(self) -> None:
        super().check_ready()
        self._url()

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        """Execute the webhook with `wait=true`; the answer is the message."""
        if request.engagement or request.parent is not None:
            # Validation refuses these for Discord; they must never go out as a loose message.
            raise DeliveryError(f"{request.label}: a Discord webhook cannot reply, quote or repost; nothing "
                                "was sent", code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        webhook = self._about()  # before sending: a deleted webhook fails here, safely
        payload: dict[str, Any] = {"content": request.text,
                                   # The text is ours, but @everyone in a post must not ping a server.
                                   "allowed_mentions": {"parse": []}}
        if self.options.username:
            payload["username"] = self.options.username
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.media:
            payload["attachments"] = []
            for index, media in enumerate(request.media):
                filename = f"image{index + 1}.{(media.format or 'jpeg').replace('jpeg', 'jpg')}"
                files[f"files[{index}]"] = (filename, media.content(request.label), media.content_type)
                attachment = {"id": index, "filename": filename}
                if media.alt:
                    attachment["description"] = media.alt
                payload["attachments"].append(attachment)
        body = json.dumps(payload, ensure_ascii=False)
        sending = ({"files": files, "data": {"payload_json": body}} if files else
                   {"data": body.encode("utf-8"), "headers": {"Content-Type": "application/json"}})
        response = self._call("POST", "", what=f"posting {request.label}", idempotent=False,
                              params={"wait": "true"}, **sending)
        message = json_body(response)
        if not isinstance(message, dict) or not str(message.get("id", "")).isdigit():
            raise DeliveryError(f"discord: posting {request.label}: Discord answered {response.status_code} "
                                "without the message (was `wait=true` dropped by a proxy?)", ambiguous=True)
        channel = str(message.get("channel_id") or webhook.get("channel_id") or "")
        guild = str(webhook.get("guild_id") or "")
        url = f"{APP}/channels/{guild}/{channel}/{message['id']}" if guild and channel else None
        return Published(str(message["id"]), url, data={"channel_id": channel} if channel else {})

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """A webhook cannot list messages and has no idempotency key: a person must look."""
        when = f" at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if sent_at else ""
        preview = " ".join(request.text.split())[:60]
        raise Uncertain(f"{request.label} was sent to Discord{when} and may have been posted, but a webhook "
                        "cannot list the channel's messages, so sending it again could post it twice. Look in "
                        f"the channel for a message starting {preview!r}, then run `social resolve "
                        f"{request.post_id} --channel {request.channel_id} --part {request.number}` with "
                        "--published URL (the message's link: right-click, Copy Message Link) or "
                        "--not-published", code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete the message through the webhook that sent it; one that is already gone is fine."""
        message_id = part.remote_id or (part.url or "").rstrip("/").rsplit("/", 1)[-1]
        if not message_id.isdigit():
            raise DeliveryError(f"discord: cannot tell which message {part.url or part.remote_id} is (no "
                                "message id in the ledger); delete it by hand", code="post-unknown")
        what = f"deleting message {message_id}"
        response = self._call("DELETE", f"/messages/{message_id}", ok=(204, 404), what=what)
        body = json_body(response)
        if response.status_code == 404 and not (isinstance(body, dict) and body.get("code") == UNKNOWN_MESSAGE):
            raise self._refused(response, f"discord: {what}")

    # -- account --------------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """GET the webhook: its name and channel (the token in the URL authenticates it)."""
        webhook = self._about()
        notes = ((f"posts into thread {self.options.thread_id} of that channel",)
                 if self.options.thread_id else ())
        return AccountCheck(account=f"{webhook.get('name') or 'the webhook'} (a webhook of channel "
                            f"{webhook.get('channel_id')})", notes=notes)

    # -- plumbing -------------------------------------------------------------------

    def _url(self) -> str:
        """The webhook URL without query, its token registered for masking."""
        url = self.credential("webhook_url")
        parts = urlsplit(url)
        found = WEBHOOK_PATH.search(parts.path)
        if parts.scheme not in ("http", "https") or not parts.hostname or found is None:
            raise PipelineError(f"environment variable {self.variable('webhook_url')} does not hold a Discord "
                                "webhook URL (https://discord.com/api/webhooks/<id>/<token>; copy it from the "
                                "channel's Integrations > Webhooks)", code="credential-invalid")
        self.http.secrets.add(found.group("token"))
        return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))

    def _about(self) -> dict:
        """The webhook object (name, channel_id, guild_id), read once."""
        if self._webhook is None:
            body = json_body(self._call("GET", "", what="reading the webhook"))
            if not isinstance(body, dict):
                raise DeliveryError("discord: reading the webhook: the answer is not the webhook object")
            body.pop("token", None)  # Discord echoes the token: keep it out of everything
            self._webhook = body
        return self._webhook

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True,
              ok: tuple[int, ...] = (200, 204), params: dict | None = None, **kwargs: Any):
        """One request to the webhook URL (+ path); a refusal not in `ok` raises, explained."""
        params = dict(params or {})
        if self.options.thread_id:
            params["thread_id"] = self.options.thread_id
        what = f"discord: {what}"
        response = self.http.request(method, self._url() + path, idempotent=idempotent, what=what,
                                     credential=self.variable("webhook_url"), ok=ok + REFUSALS, params=params,
                                     allow_redirects=False, **kwargs)
        if response.status_code not in ok:
            raise self._refused(response, what)
        return response

    def _refused(self, response: Any, what: str) -> DeliveryError:
        status = response.status_code
        body = json_body(response)
        body = body if isinstance(body, dict) else {}
        code = body.get("code")
        message = str(body.get("message") or (response.text or "").strip()[:200] or response.reason
                      or "no reason given")
        details = json.dumps(body["errors"], ensure_ascii=False)[:300] if body.get("errors") else ""
        reason = self.http.secrets.mask(f"{message} ({code})" if code else message)
        if details:
            reason += f": {self.http.secrets.mask(details)}"
        variable = self.variable("webhook_url")
        if status == 404 and code == UNKNOWN_WEBHOOK:
            return DeliveryError(f"{what}: the webhook was deleted or never existed ({reason}); make a new one "
                                 f"(channel settings > Integrations > Webhooks) and put its URL in {variable}",
                                 status=status, code="auth-failed")
        if status == 401 or code == INVALID_TOKEN:
            return DeliveryError(f"{what}: the token in the webhook URL was refused ({reason}); copy the URL "
                                 f"again into {variable}", status=status, code="auth-failed")
        if status == 403:
            return DeliveryError(f"{what}: refused (403): {reason}; the webhook's channel may not allow it "
                                 "(attachments, or a thread the webhook cannot post in)", status=status,
                                 code="forbidden")
        if status == 413:
            return DeliveryError(f"{what}: the images are too large for this server ({reason}); make them "
                                 "smaller", status=status)
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)
