"""Slack: a bot that posts with chat.postMessage, or an incoming webhook.

A **bot** (`channel:` set, `credentials.token`) gets each message's `ts`, so its
posts thread (`thread_ts`: a Slack thread is a real reply chain under the first
part), link (chat.getPermalink), retract (chat.delete) and can be found again after
an unclear failure (conversations.history / conversations.replies, compared by text,
never one another part already went out as). An **incoming webhook** (no `channel:`,
`credentials.webhook_url`) answers `ok` and no id: its posts cannot be retracted,
threaded, linked or looked for, so validation refuses those and an unclear failure
is left to a person.

Slack's Web API answers errors with HTTP 200 and `{"ok": false, "error": "..."}`;
rate limits are 429 with Retry-After (Http waits or leaves the part).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import PipelineError
from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.look import About, Approximate, Avatar, Grid, Layout, Look
from pipeline.networks.parts import PartRequest, Published, SentPart
from pipeline.text.markdown import TextStyle

API = "https://slack.com/api"
#: how far a message's ts may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
PAGE_SIZE = 100
MAX_PAGES = 5
#: `ok: false` errors after which the message may exist all the same (Slack: "it's possible some
#: aspect of the operation succeeded before the error was raised")
MAYBE_DONE = frozenset({"fatal_error", "internal_error", "request_timeout", "service_unavailable"})
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                         "not_allowed_token_type", "no_permission"})
#: an incoming webhook's refusals (its answer is plain text), and what they mean
WEBHOOK_ERRORS = {
    "invalid_token": "the webhook URL's token was refused", "no_service": "the webhook was removed or "
    "disabled", "no_team": "the workspace is gone", "team_disabled": "the workspace is disabled",
    "channel_not_found": "the webhook's channel is gone", "channel_is_archived": "the webhook's channel "
    "is archived", "action_prohibited": "an administrator restricted posting to the channel",
    "posting_to_general_channel_denied": "only administrators may post in that channel",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Slack's mrkdwn: *bold*, _italic_, <url|label>; &, < and > escaped in text
SLACK_MRKDWN = TextStyle("slack", strong="*", emphasis="_", code="`", bullet="- ",
                         link=lambda label, href: f"<{href}|{label}>", escape=_escape)

TEMPLATE = """\
{#- Slack mrkdwn: the title in bold, then the text and the link. -#}
{% if first and title %}
*{{ title }}*

{% endif %}
{{ text }}
{% if first and link and not link_in_text %}

<{{ link }}>
{% endif %}
"""


class SlackOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(None, pattern=r"^[CGD][A-Z0-9]{6,}$", description="The conversation id "
                                "(C0…) a bot posts to with credentials.token; leave it out to post through "
                                "an incoming webhook (credentials.webhook_url), which cannot thread or "
                                "retract")
    unfurl_links: bool = Field(True, description="Let Slack show a preview of the first link")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of Slack's Web API")


def bot_mode(options: Any) -> bool:
    return bool(getattr(options, "channel", None))


class SlackNetwork(Network):
    name = "slack"
    title = "Slack"
    # A bot's channel; an incoming webhook's can only publish (channel_capabilities).
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.DELETE, Capability.RECONCILE})
    max_length = 40000
    text_style = SLACK_MRKDWN
    template = TEMPLATE
    hashtags = False
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = SlackOptions
    inbox_note = 'not read: an incoming webhook cannot read messages'
    docs = "networks/slack.md"
    # A chat message from an app: mrkdwn shown as Slack shows it, images one under the other.
    look = Look(layout=Layout.CHAT, accent="#1264a3", accent_dark="#5db5ee", marks=frozenset({"link"}),
                grid=Grid.STACK, crop=None, avatar=Avatar.ROUNDED, badge="APP",
                approximate=(Approximate(About.FOLD, "long messages are not folded here; Slack folds very long ones"),))

    @classmethod
    def channel_capabilities(cls, options: Any) -> frozenset[Capability]:
        return cls.capabilities if bot_mode(options) else frozenset({Capability.PUBLISH})

    @classmethod
    def credential_names(cls, options: Any = None, named: Collection[str] = ()) -> tuple[str, ...]:
        if options is None:
            return ("token",)
        return ("token",) if bot_mode(options) else ("webhook_url",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._identity: dict | None = None

    def check_ready(self) -> None:
        super().check_ready()
        if not bot_mode(self.options):
            self._webhook_url()

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        if request.engagement:
            raise DeliveryError(f"{request.label}: Slack channels cannot {' or '.join(request.engagement)}; "
                                "nothing was sent", code="engagement-unsupported")
        if not request.text.strip():
            raise DeliveryError(f"{request.label}: nothing to post", code="part-empty")
        if not bot_mode(self.options):
            return self._through_webhook(request)
        message: dict[str, Any] = {"channel": self.options.channel, "text": request.text, "mrkdwn": True,
                                   "unfurl_links": self.options.unfurl_links, "unfurl_media": True}
        if request.root is not None:
            if not request.root.remote_id:
                raise DeliveryError(f"{request.label}: the thread's first part has no Slack ts in the ledger, "
                                    "so this part cannot join its thread; nothing was sent", code="parent-unknown")
            message["thread_ts"] = request.root.remote_id
        answer = self._call("chat.postMessage", what=f"posting {request.label}", idempotent=False, json=message)
        ts, channel = answer.get("ts"), answer.get("channel") or self.options.channel
        if not isinstance(ts, str) or not ts:
            raise DeliveryError(f"slack: posting {request.label}: Slack answered ok but named no message (ts)",
                                ambiguous=True)
        return Published(ts, self._permalink(channel, ts), data={"channel": channel})

    def _permalink(self, channel: str, ts: str) -> str | None:
        """The message's link; a message without one is still out, so a failure is no failure."""
        try:
            answer = self._call("chat.getPermalink", what="reading the message's link", method="GET",
                                params={"channel": channel, "message_ts": ts})
        except DeliveryError:
            return None
        link = answer.get("permalink")
        return link if isinstance(link, str) and link.startswith("https://") else None

    # -- reconcile ------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Find the part among the bot's messages since it was sent (in its thread, for a later part);
        None when it is surely not there."""
        if not bot_mode(self.options):
            raise self._cannot_tell(request, sent_at, "an incoming webhook cannot be asked what it posted")
        sent_at = sent_at or self.http.clock()
        bot = self._whoami().get("bot_id")
        params: dict[str, Any] = {"channel": self.options.channel, "limit": PAGE_SIZE, "inclusive": "true",
                                  "oldest": f"{(sent_at - CLOCK_SKEW).timestamp():.6f}"}
        method = "conversations.history"
        if request.root is not None and request.root.remote_id:
            method, params["ts"] = "conversations.replies", request.root.remote_id
        wanted = comparable(request.text)
        found: list[str] = []
        for _ in range(MAX_PAGES):
            try:
                answer = self._call(method, what="reading the channel's recent messages", method="GET",
                                    params=params)
            except DeliveryError as exc:
                if exc.code in ("forbidden", "auth-failed"):
                    raise self._cannot_tell(request, sent_at, f"the channel cannot be read ({exc.message})") from None
                raise
            messages = answer.get("messages")
            if not isinstance(messages, list):
                raise DeliveryError("slack: reading the channel's recent messages: the answer holds no messages")
            found += [m["ts"] for m in messages if isinstance(m, dict) and isinstance(m.get("ts"), str)
                      and (bot is None or m.get("bot_id") == bot) and m["ts"] != params.get("ts")
                      and comparable(str(m.get("text") or "")) == wanted and m["ts"] not in request.claimed]
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                break
            params["cursor"] = cursor
        else:
            raise self._cannot_tell(request, sent_at, f"more than {PAGE_SIZE * MAX_PAGES} messages came since, "
                                    "and only those were read")
        if len(found) > 1:
            raise self._cannot_tell(request, sent_at, f"{len(found)} of the bot's messages could be it")
        if not found:
            return None
        return Published(found[0], self._permalink(self.options.channel, found[0]),
                         data={"channel": self.options.channel})

    def _cannot_tell(self, request: PartRequest, sent_at: datetime | None, why: str) -> Uncertain:
        when = f" at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if sent_at else ""
        preview = " ".join(request.text.split())[:60]
        return Uncertain(f"{request.label} was sent to Slack{when} and may have been posted, but {why}, so "
                         f"sending it again could post it twice. Look in the channel for a message starting "
                         f"{preview!r}, then run `social resolve {request.post_id} --channel "
                         f"{request.channel_id} --part {request.number}` with --published URL (the message's "
                         "link: Copy link) or --not-published", code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """chat.delete; a message that is already gone is fine."""
        if not bot_mode(self.options):
            raise PipelineError("slack: an incoming webhook cannot delete its posts: delete it by hand in "
                                "Slack", code="delete-unsupported")
        ts = part.remote_id or _ts_from_permalink(part.url or "")
        if not ts:
            raise DeliveryError(f"slack: cannot tell which message {part.url or part.remote_id} is (no ts in the "
                                "ledger); delete it by hand", code="post-unknown")
        channel = (part.data or {}).get("channel") or self.options.channel
        try:
            self._call("chat.delete", what=f"deleting message {ts}", json={"channel": channel, "ts": ts})
        except DeliveryError as exc:
            if "message_not_found" not in exc.message:
                raise

    # -- account --------------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """auth.test (team, user, bot) and conversations.info: is the bot in the channel?"""
        if not bot_mode(self.options):
            url = self._webhook_url()
            return AccountCheck(account=f"the incoming webhook in {self.variable('webhook_url')} "
                                f"({urlsplit(url).hostname})",
                                notes=("not called: an incoming webhook has no request that changes nothing; "
                                       "the next publish run is the real test",
                                       "an incoming webhook cannot thread, retract, or link its posts"))
        me = self._whoami()
        info = self._call("conversations.info", what=f"reading the channel {self.options.channel}", method="GET",
                          params={"channel": self.options.channel}).get("channel") or {}
        where = f"#{info.get('name') or self.options.channel}"
        if info.get("is_archived"):
            raise DeliveryError(f"slack: {where} is archived: unarchive it or set `channel:` to another",
                                code="forbidden")
        if info.get("is_member") is False:
            raise DeliveryError(f"slack: the bot {me.get('user')} is not in {where}: type `/invite @"
                                f"{me.get('user')}` in the channel", code="forbidden")
        return AccountCheck(account=f"{me.get('user')} (bot {me.get('bot_id')}) in {where} of "
                            f"{me.get('team')}")

    # -- plumbing -------------------------------------------------------------------

    def _whoami(self) -> dict:
        if self._identity is None:
            self._identity = self._call("auth.test", what="reading who the token is")
        return self._identity

    def _call(self, name: str, *, what: str, idempotent: bool = True, method: str = "POST",
              **kwargs: Any) -> dict:
        """One Web API method; the answer when `ok`, else a DeliveryError in Slack's words."""
        token = self.credential("token")
        what = f"slack: {what}"
        response = self.http.request(method, f"{self.options.api.rstrip('/')}/{name}", idempotent=idempotent,
                                     what=what, credential=self.variable("token"), allow_redirects=False,
                                     headers={"Authorization": f"Bearer {token}"}, **kwargs)
        answer = json_body(response)
        if not isinstance(answer, dict):
            raise DeliveryError(f"{what}: the answer is not the Web API's JSON", ambiguous=not idempotent)
        if answer.get("ok") is True:
            return answer
        raise self._refused(answer, what, idempotent)

    def _refused(self, answer: dict, what: str, idempotent: bool) -> DeliveryError:
        error = str(answer.get("error") or "unknown_error")
        reason = self.http.secrets.mask(error)
        variable = self.variable("token")
        if error in AUTH_ERRORS:
            return DeliveryError(f"{what}: the token was refused ({reason}): check {variable} (the bot's "
                                 "token, xoxb-…, from the app's OAuth & Permissions page)", code="auth-failed")
        if error == "missing_scope":
            needed = self.http.secrets.mask(str(answer.get("needed") or "a scope"))
            return DeliveryError(f"{what}: the token lacks the scope {needed} ({reason}): add it under OAuth & "
                                 f"Permissions, reinstall the app, and put the new token in {variable}",
                                 code="forbidden")
        if error in ("not_in_channel", "channel_not_found"):
            return DeliveryError(f"{what}: {reason}: invite the bot to the channel (`/invite @<bot>`) and check "
                                 f"`channel:` ({self.options.channel}) of channel {self.channel.id!r}",
                                 code="forbidden")
        if error in MAYBE_DONE and not idempotent:
            return DeliveryError(f"{what}: Slack failed ({reason}) and may have posted it", ambiguous=True)
        details = answer.get("errors") or (answer.get("response_metadata") or {}).get("messages")
        extra = f": {self.http.secrets.mask(json.dumps(details)[:200])}" if details else ""
        return DeliveryError(f"{what}: refused: {reason}{extra}")

    # -- an incoming webhook -----------------------------------------------------------

    def _webhook_url(self) -> str:
        url = self.credential("webhook_url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PipelineError(f"environment variable {self.variable('webhook_url')} does not hold an incoming "
                                "webhook URL (https://hooks.slack.com/services/T…/B…/…)", code="credential-invalid")
        return url

    def _through_webhook(self, request: PartRequest) -> Published:
        """POST {text}; the answer is plain `ok` and no id: nothing to link, thread or delete."""
        if request.root is not None:
            raise DeliveryError(f"{request.label}: an incoming webhook cannot thread; nothing was sent",
                                code="thread-unsupported")
        variable = self.variable("webhook_url")
        what = f"slack: posting {request.label} (the webhook in {variable})"
        response = self.http.request("POST", self._webhook_url(), idempotent=False, what=what, credential=variable,
                                     ok=(200, 400, 403, 404, 410), allow_redirects=False,
                                     json={"text": request.text, "mrkdwn": True,
                                           "unfurl_links": self.options.unfurl_links})
        answer = (response.text or "").strip()
        if response.status_code == 200:
            return Published(None, None)
        reason = self.http.secrets.mask(answer[:100]) or str(response.status_code)
        meaning = WEBHOOK_ERRORS.get(answer, f"refused ({response.status_code})")
        fix = (f"; make a new incoming webhook and put its URL in {variable}"
               if answer in ("invalid_token", "no_service") else "")
        raise DeliveryError(f"{what}: {meaning} ({reason}){fix}", status=response.status_code,
                            code="auth-failed" if fix else "delivery-failed")


def comparable(text: str) -> str:
    """A message's text as a reader sees it, for matching ours with Slack's copy."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _ts_from_permalink(url: str) -> str | None:
    """`…/archives/C123/p1700000000123456` -> `1700000000.123456`."""
    last = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if last.startswith("p") and last[1:].isdigit() and len(last) > 7:
        return f"{last[1:-6]}.{last[-6:]}"
    return None
