"""Mastodon: statuses on any instance (limits can differ per instance).

Exactly once: every create carries `Idempotency-Key: <ledger key>`. The instance
remembers a key for about an hour per account, so a repeat inside that hour
returns the first status instead of a second one. Real servers have answered
such a repeat with 500, and the key is forgotten after the hour, so an unclear
outcome is settled by reading the account's recent statuses (`reconcile`), and
the create is never retried blindly by the HTTP layer (`idempotent=False`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import (
    AccountCheck,
    Capability,
    InboxItem,
    InboxKind,
    LiveProfile,
    Metrics,
    Network,
    PostCounts,
    ProfileSupport,
    ProfileUpdate,
    Uncertain,
    count_of,
)
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.look import Avatar, Identity, Look
from pipeline.networks.mastodon import counting
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.text.count import Count

#: the instance keeps an Idempotency-Key for 60 minutes after the status was created; the
#: status is created after our `pending` line was written, and 5 minutes cover clock skew
KEY_WINDOW = timedelta(minutes=55)
#: how far a status's created_at may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
#: statuses read back per page (the API's maximum) and pages at most
PAGE_SIZE = 40
MAX_PAGES = 5
#: an upload answered 202 is polled this many times, this many seconds apart
MEDIA_POLLS = 20
MEDIA_POLL_SECONDS = 2.0
#: gateway errors: the instance behind the proxy may have created the status
GATEWAY_ERRORS = (502, 504)
#: notifications read per page, and pages at most per collection
INBOX_PAGE = 40
INBOX_PAGES = 20
#: the notification types that address us with a status (quotes since Mastodon 4.5; older
#: instances leave the type out)
INBOX_TYPES = {"mention": InboxKind.MENTION, "quote": InboxKind.QUOTE}


class MastodonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: str = Field(pattern=r"^https?://", description="Base URL, e.g. https://mastodon.social")
    account: str | None = Field(None, pattern=r"^@?[A-Za-z0-9_]{1,30}$", description="The account's "
                                "username on the instance, e.g. crumbandco: the handle the calendar site's "
                                "previews show (`social channels check` tells it)")
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    language: str | None = None
    max_characters: int = Field(500, ge=1, description="The instance's configured status limit")
    characters_reserved_per_url: int = Field(
        counting.URL_LENGTH, ge=1, description="What one link counts as on the instance (its "
        "configuration.statuses.characters_reserved_per_url)")


class MastodonNetwork(Network):
    name = "mastodon"
    title = "Mastodon"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.REPLY, Capability.REPOST, Capability.LIKE, Capability.DELETE,
                              Capability.RECONCILE, Capability.METRICS, Capability.INBOX})
    max_length = 500
    counted_as = ("graphemes; every `http(s)://` link counts 23 (the instance's "
                  "`characters_reserved_per_url`); `@user@domain` counts as `@user`; the content warning "
                  "counts too")
    max_images = 4
    max_image_bytes = 16 * 1024 * 1024
    max_alt_length = 1500
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = MastodonOptions
    docs = "networks/mastodon.md"
    inbox_note = ("read: mentions (replies to the channel's posts among them) and quotes (Mastodon 4.5 and "
                  "later), from GET /api/v1/notifications; nothing is dismissed")
    # a reply without the author's @handle reaches their server, but is no notification there
    reply_mentions_author = True
    # avatar and header: 2 MB each is Mastodon's long-standing limit (unverified for every version)
    profile = ProfileSupport(display_name=30, bio=500, fields=4, field_name=255, field_value=255,
                             avatar=True, header=True, image_bytes=2 * 1024 * 1024,
                             image_formats=frozenset({"jpeg", "png", "gif", "webp"}))
    # The web app: links show 30 characters without the scheme (its "ellipsis" span), no fold
    # (a content warning hides the whole text instead), up to four images in a 16:9 box.
    look = Look(accent="#5a4fcf", accent_dark="#a5a3ff", link_chars=30, avatar=Avatar.ROUNDED,
                content_warning=True)

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        host = urlsplit(getattr(options, "instance", "") or "").hostname
        account = (getattr(options, "account", None) or "").lstrip("@")
        if not host:
            return Identity()
        return Identity(handle=f"@{account}@{host}" if account else host)

    @classmethod
    def text_limit(cls, options: Any = None, *, with_media: bool = False) -> int:
        return getattr(options, "max_characters", cls.max_length)

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """Graphemes of the content warning and the text; URLs and remote mentions as the instance counts."""
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return counting.count_status(text, content_warning or "", limit, _url_length(options))

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        return counting.upper_bound(text, content_warning or "", _url_length(options))

    @classmethod
    def hosts_post(cls, url: str, options: Any) -> bool:
        """A status on the channel's instance, or one on any server of the fediverse (the instance
        fetches it when answering), told by the shape of its address."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        instance = urlsplit(getattr(options, "instance", "") or "").netloc.lower()
        return parts.netloc.lower() == instance or bool(_STATUS_PATH.match(parts.path))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._account_id: str | None = None
        # (key, image index) -> media id: a retry of the same part reuses its uploads
        self._uploaded: dict[tuple[str, int], str] = {}

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        engagement = request.engagement
        targets = {key: self._resolve(url, key) for key, url in engagement.items()}
        data = _undo_data(engagement)
        if "like" in targets:
            # Before the status: a favourite is harmless to repeat, a status is not.
            self._call("POST", f"/api/v1/statuses/{targets['like']['id']}/favourite",
                       what=f"liking {engagement['like']}")
        if "repost" in targets:
            if request.text.strip():
                raise DeliveryError(f"{request.post_id}: a repost carries no text and Mastodon "
                                    "cannot quote; remove the text for this channel",
                                    code="repost-with-text")
            original = targets["repost"]
            reblog = self._json(self._call("POST", f"/api/v1/statuses/{original['id']}/reblog",
                                           what=f"reposting {engagement['repost']}"), "reblog", kind=dict)
            return Published(_text_id(reblog.get("id")), _link(original), data)
        if not request.text.strip() and not request.media:
            if "like" in targets:
                return Published(None, _link(targets["like"]), data)
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)",
                                code="part-empty")
        if "reply_to" in targets:
            reply_to = _text_id(targets["reply_to"]["id"])
        elif request.number > 1:
            reply_to = self._parent_id(request)
        else:
            reply_to = None
        status = self._create(request, reply_to)
        return Published(_text_id(status["id"]), _link(status), data)

    def _create(self, request: PartRequest, reply_to: str | None) -> dict:
        media_ids = [self._upload(request, index, media) for index, media in enumerate(request.media)]
        form: list[tuple[str, str]] = [("status", request.text),
                                       ("visibility", self.options.visibility)]
        language = request.language or self.options.language
        if language:
            form.append(("language", language))
        if reply_to:
            form.append(("in_reply_to_id", reply_to))
        if request.content_warning:
            form += [("spoiler_text", request.content_warning), ("sensitive", "true")]
        form += [("media_ids[]", media_id) for media_id in media_ids]
        what = f"posting {request.label}"
        try:
            response = self._call("POST", "/api/v1/statuses", what=what, idempotent=False, data=form,
                                  headers={"Idempotency-Key": request.key})
        except DeliveryError as exc:
            if exc.status in GATEWAY_ERRORS and not exc.ambiguous:
                # Http retried these with the same key; after the last one nobody knows.
                raise DeliveryError(f"{exc.message}; the instance may have posted it",
                                    ambiguous=True, status=exc.status) from None
            if exc.status == 422 and "character limit" in exc.message.lower():
                raise DeliveryError(f"{exc.message}; set max_characters of channel "
                                    f"{self.channel.id!r} in content/channels.yml to the "
                                    "instance's limit (docs/networks/mastodon.md)",
                                    status=422) from None
            raise
        status = self._json(response, what, kind=dict, ambiguous=True)
        if not status.get("id"):
            raise DeliveryError(f"mastodon {what}: the answer names no status id", ambiguous=True)
        return status

    def _parent_id(self, request: PartRequest) -> str:
        parent = request.parent
        if parent is None or not parent.remote_id:
            # Without it the part would go out as a post of its own, outside the thread.
            raise DeliveryError(f"{request.label}: the ledger holds no id for part "
                                f"{request.number - 1}, so this part cannot reply to it; nothing "
                                "was sent", code="thread-parent-unknown")
        return parent.remote_id

    def _resolve(self, url: str, purpose: str) -> dict:
        """The instance's copy of someone else's post (search with resolve fetches it)."""
        found = self._find_foreign(url)
        if found is None:
            consequence = {"reply_to": "a reply must never go out as a plain post, so nothing "
                                       "was sent", "repost": "nothing was reposted",
                           "like": "nothing was liked"}.get(purpose, "nothing was sent")
            raise DeliveryError(f"mastodon: {self._host} cannot find the post {url}; {consequence}. "
                                "Check the URL, and that the post is public and its server "
                                "reachable from the instance", code="engagement-unresolved")
        return found

    def _find_foreign(self, url: str) -> dict | None:
        response = self._call("GET", "/api/v2/search", what=f"looking up {url}",
                              params={"q": url, "resolve": "true", "type": "statuses", "limit": 5})
        statuses = [s for s in self._json(response, "search", kind=dict).get("statuses") or []
                    if isinstance(s, dict) and s.get("id")]
        exact = [s for s in statuses if url in (s.get("url"), s.get("uri"))]
        return (exact or statuses or [None])[0]

    # -- media ----------------------------------------------------------------------

    def _upload(self, request: PartRequest, index: int, media: MediaFile) -> str:
        cached = self._uploaded.get((request.key, index))
        if cached:
            return cached
        content = media.content(request.label)
        # An upload the instance never attaches is cleaned up by it: repeating one is harmless.
        response = self._call("POST", "/api/v2/media", what=f"uploading {media.path.name}",
                              ok=(200, 202), files={"file": (media.path.name, content, media.content_type)},
                              data={"description": media.alt} if media.alt else {})
        media_id = _text_id(self._json(response, "upload", kind=dict).get("id"))
        if not media_id:
            raise DeliveryError(f"mastodon: uploading {media.path.name}: the answer names no media id")
        if response.status_code == 202:
            self._wait_until_processed(media_id, media.path.name)
        self._uploaded[(request.key, index)] = media_id
        return media_id

    def _wait_until_processed(self, media_id: str, name: str) -> None:
        for _ in range(MEDIA_POLLS):
            self.http.sleep(MEDIA_POLL_SECONDS)
            response = self._call("GET", f"/api/v1/media/{media_id}", ok=(200, 206),
                                  what=f"checking {name}")
            if response.status_code == 200:
                return
        raise DeliveryError(f"mastodon: {self._host} was still processing {name} after "
                            f"{MEDIA_POLLS * MEDIA_POLL_SECONDS:.0f} s; nothing was posted, the next "
                            "run tries again", code="media-processing")

    # -- reconcile ------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Find the part among the account's recent statuses; None when sending again is safe."""
        if "repost" in request.engagement or (not request.text.strip() and not request.media):
            return self._engaged(request)
        now = self.http.clock()
        sent_at = sent_at or now
        status = self._find_own(request, since=sent_at - CLOCK_SKEW)
        if status is not None:
            return Published(_text_id(status["id"]), _link(status), _undo_data(request.engagement))
        if now - sent_at < KEY_WINDOW:
            return None
        preview = " ".join(request.text.split())[:60]
        raise Uncertain(f"{request.label} was sent at {sent_at:%Y-%m-%d %H:%M} UTC and is not among the "
                        f"account's statuses since, but {self._host} forgets the Idempotency-Key "
                        "after an hour, so sending it again could post it twice. Look at the "
                        f"account for a status starting {preview!r}, then run `social resolve "
                        f"{request.post_id} --channel {request.channel_id} --part {request.number}` "
                        "with --published URL or --not-published", code="uncertain")

    def _engaged(self, request: PartRequest) -> Published | None:
        """A repost or a like alone: the instance marks the post as reblogged or favourited by us."""
        kind, flag = ("repost", "reblogged") if "repost" in request.engagement else ("like", "favourited")
        url = request.engagement.get(kind)
        target = self._find_foreign(url) if url else None
        if target is None or not target.get(flag):
            return None
        return Published(None, _link(target), _undo_data(request.engagement))

    def _find_own(self, request: PartRequest, *, since: datetime) -> dict | None:
        """Our status for this part among the account's recent ones; Uncertain when two could be it.

        A status another part already went out as (`request.claimed`) is never taken for this one:
        two posts with the same text would otherwise share one status.
        """
        account = self._account()
        wanted = comparable(request.text)
        params: dict[str, Any] = {"limit": PAGE_SIZE, "exclude_reblogs": "true"}
        found: list[dict] = []
        for _ in range(MAX_PAGES):
            page = self._json(self._call("GET", f"/api/v1/accounts/{account}/statuses", params=params,
                                         what="reading the account's recent statuses"), "statuses",
                              kind=list)
            if not page:
                break
            found += [status for status in page if isinstance(status, dict)
                      and _text_id(status.get("id")) not in request.claimed
                      and self._same_part(status, request, wanted, since)]
            oldest = _parse_time(page[-1].get("created_at"))
            if len(page) < PAGE_SIZE or oldest is None or oldest < since:
                break
            params["max_id"] = page[-1]["id"]
        if len(found) > 1:
            urls = ", ".join(_link(status) or str(status.get("id")) for status in found[:3])
            raise Uncertain(f"{request.label}: several statuses of the account could be this part ({urls}); "
                            "look at the account, then run `social resolve "
                            f"{request.post_id} --channel {request.channel_id} --part {request.number}` "
                            "with --published URL or --not-published", code="uncertain")
        return found[0] if found else None

    def _same_part(self, status: dict, request: PartRequest, wanted: str, since: datetime) -> bool:
        created = _parse_time(status.get("created_at"))
        if status.get("reblog") or created is None or created < since:
            return False
        if comparable(status_text(status.get("content") or "")) != wanted:
            return False
        if (status.get("spoiler_text") or "").strip() != (request.content_warning or "").strip():
            return False
        attached = [(m.get("description") or "") for m in status.get("media_attachments") or []]
        if attached != [m.alt for m in request.media]:
            return False
        replied_to = _text_id(status.get("in_reply_to_id"))
        if request.number > 1:
            return bool(request.parent) and replied_to == request.parent.remote_id
        if "reply_to" in request.engagement:
            return replied_to is not None
        return replied_to is None

    def _account(self) -> str:
        if self._account_id is None:
            response = self._call("GET", "/api/v1/accounts/verify_credentials",
                                  what="reading the account")
            self._account_id = _text_id(self._json(response, "account", kind=dict).get("id"))
            if not self._account_id:
                raise DeliveryError(f"mastodon: {self._host} named no account id for the token")
        return self._account_id

    # -- the profile ----------------------------------------------------------------

    def read_profile(self) -> LiveProfile:
        """The account as verify_credentials shows it: `source` holds the note and fields as typed."""
        account = self._json(self._call("GET", "/api/v1/accounts/verify_credentials",
                                        what="reading the profile"), "account", kind=dict)
        return _live_profile(account)

    def write_profile(self, update: ProfileUpdate, live: LiveProfile) -> LiveProfile:
        """PATCH update_credentials with the changed fields only (multipart)."""
        data: list[tuple[str, str]] = []
        if update.display_name is not None:
            data.append(("display_name", update.display_name))
        if update.bio is not None:
            data.append(("note", update.bio))
        if update.fields is not None:
            for index in range(max(len(update.fields), len(live.fields))):
                name, value = update.fields[index] if index < len(update.fields) else ("", "")
                data += [(f"fields_attributes[{index}][name]", name),
                         (f"fields_attributes[{index}][value]", value)]
        files = {key: (image.path.name, image.content(f"the profile's {key}"), image.content_type)
                 for key, image in (("avatar", update.avatar), ("header", update.header)) if image}
        response = self._call("PATCH", "/api/v1/accounts/update_credentials", what="writing the profile",
                              data=data, files=files or None)
        return _live_profile(self._json(response, "account", kind=dict))

    # -- the inbox ------------------------------------------------------------------

    def read_inbox(self, since: str | None, oldest: datetime) -> list[InboxItem]:
        """Mentions (replies to us among them) and quotes from GET /api/v1/notifications.

        After `since` (a notification id) the pages go forward with `min_id`, following the
        Link header's `prev`; a first read goes back from the newest with `max_id` (its `next`)
        until `oldest`. Only the ids are taken from a Link header, never its host: the token
        goes to the instance alone.
        """
        account = self._account()
        params: dict[str, Any] = {"types[]": list(INBOX_TYPES), "limit": INBOX_PAGE}
        if since:
            params["min_id"] = since
        found: dict[str, InboxItem] = {}
        for _ in range(INBOX_PAGES):
            response = self._call("GET", "/api/v1/notifications", params=params,
                                  what="reading the notifications")
            page = self._json(response, "notifications", kind=list)
            items = [item for item in (_inbox_item(n, account, self._host) for n in page if isinstance(n, dict))
                     if item is not None]
            for item in items:
                found.setdefault(item.cursor or item.remote_id, item)
            turn = _link_id(response, "prev", "min_id") if since else _link_id(response, "next", "max_id")
            if len(page) < INBOX_PAGE or turn is None:
                break
            if not since and any((_parse_time(n.get("created_at")) or oldest) < oldest
                                 for n in page if isinstance(n, dict)):
                break
            params = {**{k: v for k, v in params.items() if k not in ("min_id", "max_id")},
                      ("min_id" if since else "max_id"): turn}
        items = [item for item in found.values() if since or item.at >= oldest]
        return sorted(items, key=lambda item: _id_order(item.cursor or ""))

    # -- the account ----------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """Who the token posts as, and the instance's own limits beside the channel's."""
        response = self._call("GET", "/api/v1/accounts/verify_credentials", what="reading the account")
        account = self._json(response, "account", kind=dict)
        name = f"@{account.get('acct') or account.get('username')}@{self._host}"
        answer = self._call("GET", "/api/v2/instance", what="reading the instance's limits", ok=(200, 404))
        statuses = {}
        if answer.status_code == 200:
            configuration = self._json(answer, "instance", kind=dict).get("configuration") or {}
            statuses = configuration.get("statuses") or {}
        suggested, notes = {}, []
        username = account.get("username")
        configured = (self.options.account or "").lstrip("@")
        if configured and isinstance(username, str) and username.lower() != configured.lower():
            suggested["account"] = username
        for key in ("max_characters", "characters_reserved_per_url"):
            real = statuses.get(key)
            if isinstance(real, int) and real > 0 and real != getattr(self.options, key):
                suggested[key] = real
        images = statuses.get("max_media_attachments")
        if isinstance(images, int) and images != self.max_images:
            notes.append(f"the instance takes {images} images per post; validation assumes {self.max_images}")
        if not statuses:
            notes.append("the instance does not say its limits (/api/v2/instance); the channel's are assumed")
        return AccountCheck(account=name, notes=tuple(notes), suggested=suggested)

    # -- metrics --------------------------------------------------------------------

    def read_metrics(self, parts: Sequence[SentPart]) -> Metrics:
        """followers_count of verify_credentials, then one `GET /api/v1/statuses/:id` per status.

        Mastodon has no quotes to count. A repost or a like alone is no status of ours, and a
        status deleted in the app answers 404: both are left out.
        """
        account = self._json(self._call("GET", "/api/v1/accounts/verify_credentials",
                                        what="reading the follower count"), "account", kind=dict)
        counts: dict[tuple[str, int], PostCounts] = {}
        notes = []
        for part in parts:
            if not part.remote_id or "reposted" in (part.data or {}):
                continue
            response = self._call("GET", f"/api/v1/statuses/{part.remote_id}", ok=(200, 404),
                                  what=f"reading the counts of {part.post_id} part {part.number}")
            if response.status_code == 404:
                notes.append(f"{part.post_id} part {part.number}: the status is gone (deleted in the app?)")
                continue
            status = self._json(response, "status", kind=dict)
            counts[(part.post_id, part.number)] = PostCounts(
                likes=count_of(status.get("favourites_count")), reposts=count_of(status.get("reblogs_count")),
                replies=count_of(status.get("replies_count")))
        return Metrics(count_of(account.get("followers_count")), counts, tuple(notes))

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete our status, undo a repost or like; what is already gone is fine."""
        data = part.data or {}
        if part.remote_id and "reposted" not in data:
            self._call("DELETE", f"/api/v1/statuses/{part.remote_id}", ok=(200, 404),
                       what=f"deleting {part.url or part.remote_id}")
        for key, action in (("reposted", "unreblog"), ("liked", "unfavourite")):
            url = data.get(key)
            target = self._find_foreign(url) if url else None
            if target is not None:  # a deleted original takes its reblogs and likes with it
                self._call("POST", f"/api/v1/statuses/{target['id']}/{action}", ok=(200, 404),
                           what=f"{action} {url}")

    # -- plumbing -------------------------------------------------------------------

    @property
    def _host(self) -> str:
        return self.options.instance.split("://", 1)[-1].rstrip("/")

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True,
              headers: dict[str, str] | None = None, ok: tuple[int, ...] = (200,), **kwargs: Any):
        token = self.credential("token")
        return self.http.request(method, self.options.instance.rstrip("/") + path,
                                 idempotent=idempotent, credential=self.variable("token"),
                                 what=f"mastodon {self._host}: {what}", ok=ok,
                                 headers={"Authorization": f"Bearer {token}", **(headers or {})},
                                 **kwargs)

    def _json(self, response: Any, what: str, *, kind: type, ambiguous: bool = False) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, kind):
            return body
        raise DeliveryError(f"mastodon {self._host}: {what}: the answer ({response.status_code}) "
                            "is not the JSON the API describes", ambiguous=ambiguous)


# -- reading statuses back -------------------------------------------------------------


class _StatusText(HTMLParser):
    """A status's `content` HTML as the plain text it was written as."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.pieces.append("\n")
        elif tag == "p" and self.pieces:
            self.pieces.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def _live_profile(account: dict) -> LiveProfile:
    source = account.get("source") if isinstance(account.get("source"), dict) else {}
    fields = source.get("fields") if isinstance(source.get("fields"), list) else account.get("fields") or []
    return LiveProfile(display_name=str(account.get("display_name") or ""),
                       bio=str(source.get("note") if "note" in source else status_text(account.get("note") or "")),
                       fields=tuple((str(f.get("name", "")), str(f.get("value", ""))) for f in fields
                                    if isinstance(f, dict)),
                       avatar=account.get("avatar_static") or account.get("avatar"),
                       header=account.get("header_static") or account.get("header"))


def status_text(html: str) -> str:
    """Plain text of a status's HTML: tags stripped, entities unescaped, breaks as newlines."""
    parser = _StatusText()
    parser.feed(html)
    parser.close()
    return "".join(parser.pieces).strip()


# Where servers of the fediverse keep a post: /@anna/123 (Mastodon), /users/anna/statuses/123
# (Mastodon's ActivityPub id), /notice/Ab12 (Pleroma, Akkoma), /notes/9abc (Misskey)
_STATUS_PATH = re.compile(r"^/(?:@[^/]+/\d+|users/[^/]+/statuses/\d+|notice/\w+|notes/\w+)/?$")

# The instance shows a remote mention `@user@domain` as `@user` unless two share a name.
_MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9_][A-Za-z0-9_.-]*)@[\w.-]*\w")


def comparable(text: str) -> str:
    """Text reduced to what survives the instance's formatting, for matching ours with theirs."""
    text = _MENTION.sub(r"@\1", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def _url_length(options: Any) -> int:
    return getattr(options, "characters_reserved_per_url", counting.URL_LENGTH)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _inbox_item(notification: dict, account: str, host: str) -> InboxItem | None:
    """A mention or quote notification as an inbox item; None for anything else."""
    kind = INBOX_TYPES.get(str(notification.get("type")))
    status = notification.get("status")
    if kind is None or not isinstance(status, dict) or not status.get("id"):
        return None
    at = _parse_time(status.get("created_at")) or _parse_time(notification.get("created_at"))
    if at is None:
        return None
    author = status.get("account") if isinstance(status.get("account"), dict) else {}
    acct = str(author.get("acct") or author.get("username") or "someone")
    in_reply_to = None
    if kind == InboxKind.QUOTE:
        quote = status.get("quote") if isinstance(status.get("quote"), dict) else {}
        quoted = quote.get("quoted_status") if isinstance(quote.get("quoted_status"), dict) else {}
        in_reply_to = _text_id(quoted.get("id"))
    elif _text_id(status.get("in_reply_to_account_id")) == account:
        kind, in_reply_to = InboxKind.REPLY, _text_id(status.get("in_reply_to_id"))
    text = status_text(status.get("content") or "")
    if status.get("spoiler_text"):
        text = f"[{status['spoiler_text']}] {text}"
    return InboxItem(remote_id=str(status["id"]), url=_link(status), kind=kind, at=at,
                     author="@" + (acct if "@" in acct else f"{acct}@{host}"), text=text,
                     in_reply_to=in_reply_to, cursor=_text_id(notification.get("id")))


def _link_id(response: Any, rel: str, key: str) -> str | None:
    """The `key` (min_id or max_id) of the Link header's `rel` link, or None when there is none."""
    link = (getattr(response, "links", None) or {}).get(rel) or {}
    values = parse_qs(urlsplit(str(link.get("url") or "")).query).get(key)
    return values[0] if values and values[0] else None


def _id_order(value: str) -> tuple[int, str]:
    """Mastodon's ids are numbers as strings: a longer one is a later one."""
    return len(value), value


def _text_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _undo_data(engagement: Mapping[str, str]) -> dict[str, str]:
    """What a retraction must undo besides deleting the status: the liked and reposted URLs."""
    names = {"like": "liked", "repost": "reposted"}
    return {names[key]: url for key, url in engagement.items() if key in names}


def _link(status: dict) -> str | None:
    return status.get("url") or status.get("uri")
