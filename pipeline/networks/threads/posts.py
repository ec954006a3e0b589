"""Threads posts, carousels and reply chains through Meta's Threads API.

Publishing takes two steps: `POST /{user}/threads` makes a media container (TEXT,
IMAGE, or a CAROUSEL of image containers), `POST /{user}/threads_publish` publishes it.
A container is only published once Threads has it ready (status FINISHED); publishing
earlier is the commonest failure peers report, so the status is read, and waited for,
first. Images are not uploaded: Threads fetches each from a public URL, the channel's
`media_base_url` (the address of content/media/) plus the image's path below it.

Exactly once without an idempotency key: a container nobody publishes is never shown
(it expires after 24 hours), so making one again is harmless; only `threads_publish`
is not safe to repeat. The container's id goes into the ledger (`record_progress`)
before it is published, so an unclear outcome is settled by asking Threads about that
container: not PUBLISHED means nothing went out and a retry publishes the same
container; PUBLISHED means the post is out, and it is found among the account's
threads (or replies) by its text and time. A part with no container recorded was never
published.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.look import About, Approximate, Grid, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.networks.threads.graph import ContainerStatus, GraphError, moment, refusal
from pipeline.text.count import Count
from pipeline.text.facets import LINK, MAYBE_LINK, detect_facets
from pipeline.text.units import graphemes, is_emoji

API = "https://graph.threads.net"
VERSION = "v1.0"
MAX_LINKS = 5
#: answers the adapter explains itself with Meta's words; a 429 stays with Http (it waits, or leaves
#: the part for a later run), a 5xx too (retried when safe, else an unclear outcome)
REFUSALS = (400, 401, 403, 404, 409, 410, 422)
#: seconds between reads of a container's status: Meta suggests about 30 s for media and at most
#: 5 minutes of polling; a text container is usually FINISHED at the first read
POLL_DELAYS = (2, 3, 5, 10, 10, 30, 60, 60, 60, 60)
#: a publish answered "not ready" despite FINISHED: tries, and seconds between them
PUBLISH_TRIES = 3
NOT_READY_WAIT = 10.0
#: how far a post's timestamp may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
#: threads read per page of the account's listing, and pages at most
PAGE_SIZE = 50
MAX_PAGES = 4
#: how long a post Threads says is published may be missing from the listing before a person decides
LISTING_PATIENCE = timedelta(hours=1)
#: the media_type the listing shows for a post with this many images
LISTED_TYPE = {0: "TEXT_POST", 1: "IMAGE"}
CAROUSEL = "CAROUSEL_ALBUM"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ThreadsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field("me", pattern=r"^(me|[0-9]+)$", description="The Threads user id the token "
                         "belongs to (a number), or `me`")
    media_base_url: str | None = Field(None, description="The public https:// address of content/media/ "
                                       "(Threads fetches each image from there); with the site: "
                                       "`<site_url>/calendar/media/`")
    version: str = Field(VERSION, pattern=r"^v\d+\.\d+$", description="Threads API version in the path")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of the Threads API")
    token_expires: date | None = Field(None, description="When the token expires, where Threads does not "
                                       "say (it does for a tester of the app); `social channels check` "
                                       "warns two weeks ahead")

    @field_validator("media_base_url")
    @classmethod
    def _public_https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        local = parts.hostname in LOCAL_HOSTS and parts.scheme == "http"  # a test's fake site
        if not parts.hostname or (parts.scheme != "https" and not local):
            raise ValueError("must be an https:// address: Threads fetches images only from public HTTPS URLs")
        if parts.query or parts.fragment:
            raise ValueError("must be the address of the folder, without ?query or #fragment")
        return value if value.endswith("/") else value + "/"


class ThreadsNetwork(Network):
    name = "threads"
    title = "Threads"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.DELETE, Capability.RECONCILE})
    max_length = 500
    counted_as = "graphemes, an emoji counting its UTF-8 bytes; at most 5 different links"
    max_images = 20
    max_image_bytes = 8 * 1024 * 1024
    image_formats = frozenset({"jpeg", "png"})
    max_alt_length = 1000
    max_hashtags = 1
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = ThreadsOptions
    inbox_note = ("not read yet: Threads lists replies and mentions only with further permissions "
                  "(threads_read_replies, threads_manage_mentions), not tried here")
    docs = "networks/threads.md"
    # The app: no fold within its 500 characters, images in a row to swipe, the one topic tag a link.
    look = Look(accent="#0064c8", accent_dark="#5ab0ff", grid=Grid.CAROUSEL, crop=None,
                approximate=(Approximate(About.FOLD, "no fold within 500 characters: an observation"),
                             Approximate(About.TAGS, "the topic tag shown as a link: an observation")))

    # -- counting and settings ------------------------------------------------------

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """Graphemes, an emoji weighing its UTF-8 bytes; more than five different links fail."""
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        length = sum(len(cluster.encode("utf-8")) if is_emoji(cluster) else 1
                     for cluster in graphemes(text))
        links = len({facet.value for facet in detect_facets(text) if facet.type == LINK})
        problems = (f"{links} links, at most {MAX_LINKS}",) if links > MAX_LINKS else ()
        return Count(cls.name, text, length, limit, problems=problems)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """A grapheme weighs at most its bytes; each link needs a dot before a letter or `://`."""
        if not text.strip() or len(MAYBE_LINK.findall(text)) > MAX_LINKS:
            return None
        return len(text.encode("utf-8"))

    @classmethod
    def media_problem(cls, options: Any, path: str) -> str | None:
        """Threads fetches each image from `media_base_url` plus its path below content/media/."""
        if PurePosixPath(path).parts[:1] != ("media",):
            return (f"{path} is outside content/media/, and Threads fetches images from the public address "
                    "of content/media/ (media_base_url): move it into content/media/")
        if not getattr(options, "media_base_url", None):
            return ("Threads fetches each image from a public URL: set media_base_url of the channel to the "
                    "public https:// address of content/media/ (with the site: <site_url>/calendar/media/), "
                    "or leave the channel out of posts with images")
        return None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ledger key -> the container made for that part in this run (a retry publishes it)
        self._containers: dict[str, str] = {}
        self._online: set[str] = set()  # image URLs seen online in this run

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        if request.engagement:
            # Validation refuses these for Threads; a reply must never go out as a plain post.
            raise DeliveryError(f"{request.label}: Threads channels cannot {' or '.join(request.engagement)}; "
                                "nothing was sent", code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        reply_to = self._parent_id(request) if request.number > 1 else None
        earlier = self._earlier_container(request)
        status = self._status(earlier)[0] if earlier else None
        if status == ContainerStatus.PUBLISHED:
            raise _out_already(request, earlier)
        self._check_quota(request)
        usable = earlier is not None and status in (ContainerStatus.FINISHED, ContainerStatus.IN_PROGRESS)
        container = earlier if usable else self._create(request, reply_to)
        self._wait_until_finished(container, request)
        return self._publish_container(container, request)

    def _parent_id(self, request: PartRequest) -> str:
        parent = request.parent
        if parent is None or not parent.remote_id:
            # Without it the part would go out as a post of its own, outside the thread.
            raise DeliveryError(f"{request.label}: the ledger holds no id for part {request.number - 1}, so "
                                "this part cannot reply to it; nothing was sent", code="thread-parent-unknown")
        return parent.remote_id

    def _earlier_container(self, request: PartRequest) -> str | None:
        """The container an earlier attempt at this part made (this run's, or the ledger's)."""
        recorded = request.progress.get("container")
        return self._containers.get(request.key) or (recorded if isinstance(recorded, str) else None)

    def _create(self, request: PartRequest, reply_to: str | None) -> str:
        """A new container for the part, recorded in the ledger before anything can publish it."""
        urls = [self._public_url(media, request) for media in request.media]
        fields: dict[str, str] = {}
        if len(urls) > 1:
            children = [self._new_container(_image(url, media.alt, carousel_item=True), f"preparing image "
                                            f"{n} of {request.label}")
                        for n, (url, media) in enumerate(zip(urls, request.media, strict=True), 1)]
            for child in children:
                self._wait_until_finished(child, request)
            fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
        elif urls:
            fields = _image(urls[0], request.media[0].alt)
        else:
            fields = {"media_type": "TEXT"}
        if request.text.strip():
            fields["text"] = request.text
        if reply_to:
            fields["reply_to_id"] = reply_to
        container = self._new_container(fields, f"preparing {request.label}",
                                        permission="threads_manage_replies" if reply_to else None)
        self._containers[request.key] = container
        if request.record_progress is not None:
            request.record_progress({"container": container})
        return container

    def _new_container(self, fields: dict[str, str], what: str, permission: str | None = None) -> str:
        # A container is never shown until published: making one again is harmless.
        response = self._call("POST", f"/{self.options.user_id}/threads", what=what, data=fields,
                              permission=permission or "threads_content_publish")
        container = _text_id(self._json(response, what).get("id"))
        if not container:
            raise DeliveryError(f"threads: {what}: the answer names no container id")
        return container

    def _status(self, container: str) -> tuple[ContainerStatus | None, str]:
        """(status, error_message) of a container; status None when Threads no longer knows it."""
        try:
            response = self._call("GET", f"/{container}", what=f"reading the status of container {container}",
                                  params={"fields": "status,error_message"})
        except GraphError as exc:
            if exc.gone:
                return None, exc.message
            raise
        body = self._json(response, f"reading the status of container {container}")
        try:
            status = ContainerStatus(body.get("status"))
        except ValueError:
            return None, f"unknown status {body.get('status')!r}"
        return status, str(body.get("error_message") or "")

    def _wait_until_finished(self, container: str, request: PartRequest) -> None:
        """Until Threads has the container ready; a container it cannot make fails the part."""
        for delay in (0, *POLL_DELAYS):
            if delay:
                self.http.sleep(delay)
            status, error = self._status(container)
            if status == ContainerStatus.FINISHED:
                return
            if status == ContainerStatus.PUBLISHED:
                raise _out_already(request, container)
            if status == ContainerStatus.IN_PROGRESS:
                continue
            fetched = ("; Threads fetches the images from " + ", ".join(self._public_url(m, request)
                                                                      for m in request.media)
                       if request.media else "")
            what = {ContainerStatus.ERROR: f"Threads could not prepare it ({error or 'no reason given'})",
                    ContainerStatus.EXPIRED: "its container expired (24 hours unpublished)"}.get(
                        status, f"Threads no longer knows its container {container} ({error})")
            raise DeliveryError(f"threads: {request.label}: {what}{fetched}; nothing was published, the next "
                                "run tries again", code="container-failed")
        raise DeliveryError(f"threads: {request.label}: Threads was still preparing it after "
                            f"{sum(POLL_DELAYS)} s; nothing was published, the next run tries again",
                            code="container-not-ready")

    def _publish_container(self, container: str, request: PartRequest) -> Published:
        what = f"publishing {request.label}"
        for attempt in range(1, PUBLISH_TRIES + 1):
            try:
                response = self._call("POST", f"/{self.options.user_id}/threads_publish", what=what,
                                      idempotent=False, data={"creation_id": container})
                break
            except GraphError as exc:
                # Refused, unless an earlier publish of the container went through late: then the
                # post is out, and a failure would make the next run post it again.
                if self._status(container)[0] == ContainerStatus.PUBLISHED:
                    raise _out_already(request, container) from None
                if not exc.not_ready or attempt == PUBLISH_TRIES:
                    raise
                self.http.sleep(NOT_READY_WAIT)
        media_id = _text_id(self._json(response, what, ambiguous=True).get("id"))
        if not media_id:
            raise DeliveryError(f"threads: {what}: Threads answered {response.status_code} but named no post",
                                ambiguous=True)
        return Published(media_id, self._permalink(media_id))

    def _permalink(self, media_id: str) -> str | None:
        """The post's link; None when Threads withholds it (it does for flagged media) or cannot say now."""
        try:
            response = self._call("GET", f"/{media_id}", what=f"reading the link of {media_id}",
                                  params={"fields": "permalink"})
        except DeliveryError:
            return None
        link = json_body(response)
        return link.get("permalink") if isinstance(link, dict) else None

    # -- images ---------------------------------------------------------------------

    def _public_url(self, media: MediaFile, request: PartRequest) -> str:
        """Where Threads fetches the image; it must be online there (a HEAD says so) before it asks."""
        base = self.options.media_base_url
        media_dir = (self.root / "content" / "media").resolve()
        try:
            relative = media.path.resolve().relative_to(media_dir)
        except ValueError:
            relative = None
        if not base or relative is None:
            raise DeliveryError(f"threads: {request.label}: {media.path.name} has no public address "
                                "(media_base_url unset, or the image outside content/media/); nothing was "
                                "sent", code="media-url-unknown")
        url = base + quote(relative.as_posix())
        if url not in self._online:
            self._check_online(url, f"content/media/{relative.as_posix()}", media, request)
            self._online.add(url)
        return url

    def _check_online(self, url: str, shown: str, media: MediaFile, request: PartRequest) -> None:
        size = len(media.content(request.label))
        advice = ("the site that serves content/media/ must be deployed with it before Threads can fetch it; "
                  "nothing was sent, the next run tries again")
        try:
            # No token goes to the site; its refusals are read here, not as an API's.
            response = self.http.request("HEAD", url, idempotent=True, what=f"threads: checking {url}",
                                         ok=(200, 401, 403, 404, 410), allow_redirects=True)
            problem = None if response.status_code == 200 else f"it answers {response.status_code}"
        except DeliveryError as exc:
            problem = exc.message
        if problem:
            raise DeliveryError(f"threads: {request.label}: {shown} is not online at {url} ({problem}): "
                                f"{advice}", code="media-not-online")
        served = response.headers.get("Content-Length")
        if served and served.isdigit() and int(served) != size:
            raise DeliveryError(f"threads: {request.label}: {url} serves {int(served):,} bytes, but "
                                f"{media.path.name} has {size:,}: the site holds another version of it; "
                                f"{advice}", code="media-not-online")

    # -- the publishing quota ---------------------------------------------------------

    def _check_quota(self, request: PartRequest) -> None:
        """Refuse to try when the account used up its posts (or replies) of the last 24 hours."""
        reply = request.number > 1
        usage_key, config_key = ("reply_quota_usage", "reply_config") if reply else ("quota_usage", "config")
        try:
            response = self._call("GET", f"/{self.options.user_id}/threads_publishing_limit",
                                  what="reading the publishing quota", params={"fields": f"{usage_key},{config_key}"})
        except DeliveryError as exc:
            if exc.code == "auth-failed" or exc.retry_later:
                raise
            return  # Threads enforces its limit itself when publishing
        used, total = _quota(response, usage_key, config_key)
        if isinstance(used, int) and isinstance(total, int) and used >= total:
            kind = "replies" if reply else "posts"
            raise DeliveryError(f"threads: {request.label}: the account has published {used} of the {total} "
                                f"{kind} Threads allows through its API in 24 hours; nothing was sent, it "
                                "goes out in a later run", retry_later=True, code="quota-used")

    # -- reconcile ------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Ask Threads about the container the attempt recorded; None when nothing went out."""
        container = self._earlier_container(request)
        if container is None:
            return None  # the container is recorded before anything may publish it
        sent_at = sent_at or self.http.clock()
        status, _ = self._status(container)
        if status is None:
            # Threads no longer knows the container: look for the post itself.
            return self._search(request, sent_at, published=False)
        if status != ContainerStatus.PUBLISHED:
            return None
        found = self._search(request, sent_at, published=True)
        if found is not None:
            return found
        if self.http.clock() - sent_at > LISTING_PATIENCE:
            raise self._cannot_tell(request, sent_at, "it is not among the account's posts", published=True)
        raise DeliveryError(f"threads: {request.label}: Threads says it was published, but it is not among the "
                            "account's posts yet", code="published-not-listed")

    def _search(self, request: PartRequest, sent_at: datetime, *, published: bool) -> Published | None:
        """The part among the account's threads (or replies) made since `sent_at`, by its text;
        `published`: Threads said it went out (for what a person is told)."""
        since = sent_at - CLOCK_SKEW
        reply = request.number > 1
        edge, permission = ("replies", "threads_read_replies") if reply else ("threads", "threads_basic")
        fields = "id,text,timestamp,permalink,media_type" + (",replied_to" if reply else "")
        params: dict[str, Any] = {"fields": fields, "since": int(since.timestamp()), "limit": PAGE_SIZE}
        wanted = comparable(request.text)
        found: list[dict] = []
        for _ in range(MAX_PAGES):
            try:
                response = self._call("GET", f"/{self.options.user_id}/{edge}", params=params,
                                      what=f"reading the account's recent {edge}", permission=permission)
            except GraphError as exc:
                if exc.code == "forbidden":
                    raise self._cannot_tell(request, sent_at, f"the token may not read the account's {edge} "
                                            f"(that needs {permission})", published=published) from None
                raise
            body = self._json(response, f"reading the account's recent {edge}")
            page = [post for post in body.get("data") or [] if isinstance(post, dict)]
            found += [post for post in page if self._same_part(post, request, wanted, since)]
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            after = (paging.get("cursors") or {}).get("after")
            if not page or not after or not paging.get("next"):
                break
            params["after"] = after
        else:
            raise self._cannot_tell(request, sent_at, f"more than {PAGE_SIZE * MAX_PAGES} {edge} were made "
                                    "since, and only those were read", published=published)
        if len(found) > 1:
            raise self._cannot_tell(request, sent_at, f"{len(found)} of the account's {edge} could be it "
                                    f"({', '.join(str(p.get('permalink') or p['id']) for p in found[:3])})",
                                    published=published)
        return Published(str(found[0]["id"]), found[0].get("permalink")) if found else None

    def _same_part(self, post: dict, request: PartRequest, wanted: str, since: datetime) -> bool:
        created = moment(post.get("timestamp"))
        listed_type = LISTED_TYPE.get(len(request.media), CAROUSEL)
        if not post.get("id") or str(post["id"]) in request.claimed or created is None or created < since:
            return False
        if comparable(str(post.get("text") or "")) != wanted or post.get("media_type", listed_type) != listed_type:
            return False
        if request.number > 1:
            replied_to = (post.get("replied_to") or {}).get("id")
            return request.parent is not None and str(replied_to) == request.parent.remote_id
        return True

    def _cannot_tell(self, request: PartRequest, sent_at: datetime, why: str, *, published: bool) -> Uncertain:
        preview = " ".join(request.text.split())[:60]
        when = f"{sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        command = f"social resolve {request.post_id} --channel {request.channel_id} --part {request.number}"
        if published:
            return Uncertain(f"{request.label} was published on Threads after {when} (Threads says its container "
                             f"was), but {why}, so its link is unknown. Look at the account for a post starting "
                             f"{preview!r}, then run `{command} --published URL`", code="uncertain")
        return Uncertain(f"{request.label} was sent to Threads at {when} and may have been published, but {why}, "
                         f"so sending it again could post it twice. Look at the account for a post starting "
                         f"{preview!r}, then run `{command}` with --published URL or --not-published",
                         code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete the post; one that is already gone is fine."""
        media_id = part.remote_id
        if not media_id or not media_id.isdigit():
            raise DeliveryError(f"threads: cannot tell which post {part.url or media_id} is (no Threads media id "
                                "in the ledger); delete it by hand", code="post-unknown")
        try:
            self._call("DELETE", f"/{media_id}", what=f"deleting {part.url or media_id}", permission="threads_delete")
        except GraphError as exc:
            if not exc.gone:
                raise

    # -- the account ----------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """Who the token posts as; when it expires; what it may do; the quota used."""
        me = self._json(self._call("GET", "/me", what="reading the account",
                                   params={"fields": "id,username"}), "reading the account")
        user, name = _text_id(me.get("id")), me.get("username")
        if self.options.user_id != "me" and user and user != self.options.user_id:
            raise DeliveryError(f"threads: the token belongs to the Threads user {user} (@{name}), not to "
                                f"{self.options.user_id}; set `user_id:` or use that account's token",
                                code="auth-failed")
        notes: list[str] = []
        expires, scopes = self._token_facts()
        if expires is None and self.options.token_expires:
            expires = datetime.combine(self.options.token_expires, datetime.min.time(), UTC)
        if expires is None:
            notes.append("Threads did not say when the token expires (only a tester of the app may ask): set "
                         "`token_expires:` to the date 60 days after it was made or last refreshed")
        else:
            notes.append("refresh the token before it expires: docs/networks/threads.md says how")
        missing = [s for s in ("threads_content_publish", "threads_manage_replies", "threads_read_replies",
                               "threads_delete") if scopes is not None and s not in scopes]
        if missing:
            notes.append(f"the token lacks {', '.join(missing)}: see docs/networks/threads.md for what each is for")
        notes += self._quota_note()
        return AccountCheck(account=f"@{name or 'the account'} (Threads user {user})", expires_at=expires,
                            notes=tuple(notes))

    def _token_facts(self) -> tuple[datetime | None, list[str] | None]:
        """(expiry, permissions) from /debug_token, which answers a tester of the app; else (None, None)."""
        try:
            response = self._call("GET", "/debug_token", what="reading the token's expiry",
                                  params={"input_token": self.credential("token")})
        except DeliveryError as exc:
            if exc.code == "auth-failed":
                raise
            return None, None
        data = (json_body(response) or {}).get("data") if isinstance(json_body(response), dict) else None
        if not isinstance(data, dict):
            return None, None
        expires_at = data.get("expires_at")
        expiry = (datetime.fromtimestamp(expires_at, UTC)
                  if isinstance(expires_at, int) and not isinstance(expires_at, bool) and expires_at > 0 else None)
        scopes = data.get("scopes")
        return expiry, [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else None

    def _quota_note(self) -> list[str]:
        try:
            response = self._call("GET", f"/{self.options.user_id}/threads_publishing_limit",
                                  what="reading the publishing quota", params={"fields": "quota_usage,config"})
        except DeliveryError:
            return []
        used, total = _quota(response, "quota_usage", "config")
        if isinstance(used, int) and isinstance(total, int):
            return [f"{used} of {total} posts through the API used in the last 24 hours"]
        return []

    # -- plumbing -------------------------------------------------------------------

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True, ok: tuple[int, ...] = (200,),
              permission: str = "threads_content_publish", **kwargs: Any):
        """One request with the token in the Authorization header; a refusal raises GraphError, explained."""
        token = self.credential("token")
        url = f"{self.options.api.rstrip('/')}/{self.options.version}{path}"
        what = f"threads: {what}"
        response = self.http.request(method, url, idempotent=idempotent, credential=self.variable("token"),
                                     what=what, ok=ok + REFUSALS, headers={"Authorization": f"Bearer {token}"},
                                     **kwargs)
        if response.status_code not in ok:
            raise refusal(response, what, variable=self.variable("token"), permission=permission,
                          mask=self.http.secrets.mask, now=self.http.clock())
        return response

    def _json(self, response: Any, what: str, *, ambiguous: bool = False) -> dict:
        body = json_body(response)
        if isinstance(body, dict):
            return body
        raise DeliveryError(f"threads: {what}: the answer ({response.status_code}) is not the JSON the API "
                            "describes", ambiguous=ambiguous)


def _out_already(request: PartRequest, container: str) -> DeliveryError:
    """The container went out after all (an earlier publish Threads acted on late): unclear, so that the
    engine looks for the post, knowing when the attempt was made."""
    return DeliveryError(f"threads: {request.label}: its container {container} is published already; looking "
                         "for the post", ambiguous=True)


def _quota(response: Any, usage_key: str, config_key: str) -> tuple[Any, Any]:
    """(used, total) from a threads_publishing_limit answer: `{"data": [{usage, config: {quota_total}}]}`."""
    body = json_body(response)
    rows = body.get("data") if isinstance(body, dict) else None
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
    config = row.get(config_key)
    return row.get(usage_key), config.get("quota_total") if isinstance(config, dict) else None


def _image(url: str, alt: str, *, carousel_item: bool = False) -> dict[str, str]:
    fields = {"media_type": "IMAGE", "image_url": url}
    if alt:
        fields["alt_text"] = alt
    if carousel_item:
        fields["is_carousel_item"] = "true"
    return fields


def comparable(text: str) -> str:
    """Text reduced to what survives Threads, for matching ours with its copy: spacing aside, and a
    hashtag's `#` (Threads turns one into a topic tag)."""
    return " ".join(unicodedata.normalize("NFC", text).replace("#", " ").split())


def _text_id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
