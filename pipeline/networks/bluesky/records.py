"""Bluesky over the AT Protocol, against the account's PDS.

Exactly once: every record is created with a record key chosen before sending (a
TID, saved in the ledger's `pending` line), and a repository refuses a second
record under the same key (a real PDS answers 500). So after any unclear outcome
`getRecord` on that key decides: there, the part is out; absent, sending again
cannot make a duplicate. A like or repost that goes with a part uses the same key
in its own collection, so it is exactly-once too.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

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
    ProfileConflict,
    ProfileSupport,
    ProfileUpdate,
    count_of,
)
from pipeline.networks.delivery import REASON_LENGTH, DeliveryError, json_body
from pipeline.networks.linkcard import read_link_card
from pipeline.networks.look import About, Approximate, Identity, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.text.count import Count

POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile"
#: what a part with engagement creates besides its post, and the data key naming it
ENGAGEMENT_RECORDS = {"like": LIKE, "repost": REPOST}
FACET_FEATURES = {"link": ("#link", "uri"), "tag": ("#tag", "tag"), "mention": ("#mention", "did")}

S32 = "234567abcdefghijklmnopqrstuvwxyz"
#: errors of a create that may hide a record already there under our key
CREATE_UNCLEAR = (400, 409, 500)
#: XRPC errors (HTTP 400) that mean "there is no such record, repository or handle"
NOT_FOUND = frozenset({"RecordNotFound", "RepoNotFound", "HandleNotFound", "InvalidRequest"})

#: posts one app.bsky.feed.getPosts asks for at most (the lexicon's limit)
GET_POSTS_MAX = 25

#: the lexicon's limit on `text`, besides 300 graphemes
MAX_BYTES = 3000

#: listNotifications: reasons that address us with a post, per page, and pages at most per collection
INBOX_REASONS = {"mention": InboxKind.MENTION, "reply": InboxKind.REPLY, "quote": InboxKind.QUOTE}
INBOX_PAGE = 50
INBOX_PAGES = 20

#: where people read Bluesky posts
WEB_HOSTS = frozenset({"bsky.app", "www.bsky.app"})
_PROFILE_POST = re.compile(r"^/profile/(?P<actor>[^/]+)/post/(?P<rkey>[^/]+)/?$")
_AT_URI = re.compile(r"^at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)$")


class BlueskyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: str = Field(description="The account's handle or DID, e.g. crumbandco.bsky.social")
    service: str = Field("https://bsky.social", pattern=r"^https?://", description="The PDS")
    language: str | None = None


class BlueskyNetwork(Network):
    name = "bluesky"
    title = "Bluesky"
    capabilities = frozenset(Capability)  # the inbox: through the account's PDS, from the AppView
    max_length = 300
    counted_as = ("graphemes of the text as sent (long links shortened for display, the link facet "
                  "keeps the whole URI), and at most 3,000 UTF-8 bytes")
    max_images = 4
    max_image_bytes = 1_000_000
    max_alt_length = 2000
    required_credentials = ("password",)
    Options: ClassVar[type[BaseModel]] = BlueskyOptions
    docs = "networks/bluesky.md"
    inbox_note = ("read: mentions, replies and quotes from app.bsky.notification.listNotifications, which the "
                  "account's PDS asks the AppView for; never marked as seen")
    profile = ProfileSupport(display_name=64, bio=256, unit="graphemes", avatar=True, header=True,
                             image_bytes=1_000_000, image_formats=frozenset({"jpeg", "png"}))
    # The app: exactly the facets sent are links (their text shortened already), no fold, four
    # images in a 2x2 grid; its brand blue darkened for contrast on white.
    look = Look(accent="#0a6ad6", accent_dark="#4ea2ff", crop="3 / 2",
                approximate=(Approximate(About.IMAGES,
                                          "the images' box (3:2 for two to four images) is an observation"),))

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        handle = getattr(options, "handle", None)
        return Identity(handle=f"@{handle}" if handle and not handle.startswith("did:") else handle)

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """Graphemes of the text as sent (long links shortened for display), its facets, and the
        lexicon's byte limit."""
        from pipeline.text.facets import bluesky_richtext  # compiled on the first count only
        from pipeline.text.units import grapheme_count

        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        sent, facets = bluesky_richtext(text)
        size = len(sent.encode("utf-8"))
        problems = (f"{size} UTF-8 bytes, at most {MAX_BYTES}",) if size > MAX_BYTES else ()
        return Count(cls.name, sent, grapheme_count(sent), limit, facets, problems)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """Shortening links only shortens, so code points bound it; the byte rule must hold too."""
        if not text.strip() or len(text.encode("utf-8")) > MAX_BYTES:
            return None
        return len(text)

    @classmethod
    def lower_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """ASCII: the characters (a CRLF is one grapheme) outside every word that may hold a link,
        whose shown text may be shortened."""
        if not text.isascii():
            return None
        from pipeline.text.facets import MAYBE_LINK

        length = len(text) - text.count("\r\n")
        if MAYBE_LINK.search(text):
            length -= sum(len(word) for word in text.split() if MAYBE_LINK.search(word))
        return length

    @classmethod
    def engagement_problem(cls, key: str, url: str) -> str | None:
        if not cls.hosts_post(url, None):
            return f"{url} is not a post on Bluesky (https://bsky.app/profile/<handle>/post/<id>)"
        return None

    @classmethod
    def hosts_post(cls, url: str, options: Any) -> bool:
        at = _AT_URI.match(url.strip())
        if at:
            return at["collection"] == POST
        parts = urlsplit(url.strip())
        return parts.netloc.lower() in WEB_HOSTS and bool(_PROFILE_POST.match(parts.path))

    @classmethod
    def post_identity(cls, address: str) -> str:
        """`at://<handle or did>/app.bsky.feed.post/<rkey>` for a bsky.app URL and an at:// URI alike."""
        text = address.strip()
        at = _AT_URI.match(text)
        if at:
            return f"at://{at['repo'].lower()}/{at['collection']}/{at['rkey']}"
        parts = urlsplit(text)
        web = _PROFILE_POST.match(parts.path) if parts.netloc.lower() in WEB_HOSTS else None
        if web:
            return f"at://{web['actor'].lower()}/{POST}/{web['rkey']}"
        return super().post_identity(address)

    _tid_lock = threading.Lock()
    _tid_last = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth: dict[str, str] | None = None
        self._dids: dict[str, str | None] = {}
        self._blobs: dict[tuple[str, str], dict] = {}
        self._profile_record: dict | None = None

    # -- keys -----------------------------------------------------------------------

    def new_key(self, post_id: str, number: int) -> str:
        """A fresh TID: the record key the part will be created under."""
        with BlueskyNetwork._tid_lock:
            # The real time (not the run's clock, which tests stop), strictly increasing
            # within the process, so two parts never share a key.
            micros = max(time.time_ns() // 1000, BlueskyNetwork._tid_last + 1)
            BlueskyNetwork._tid_last = micros
        return tid(micros, secrets.randbelow(1024))

    # -- session --------------------------------------------------------------------

    def check_ready(self) -> None:
        """Sign in once before anything is sent: a wrong password fails the channel early."""
        super().check_ready()
        self._session()

    def _session(self) -> dict[str, str]:
        if self._auth is None:
            body = self._xrpc("POST", "com.atproto.server.createSession", auth=False,
                              what=f"signing in as {self.options.handle}",
                              json={"identifier": self.options.handle,
                                    "password": self.credential("password")})
            self._auth = self._keep_session(body)
        return self._auth

    def _refresh(self) -> None:
        refresh = self._session()["refreshJwt"]
        try:
            body = self._xrpc("POST", "com.atproto.server.refreshSession", auth=False,
                              what="refreshing the session",
                              headers={"Authorization": f"Bearer {refresh}"})
        except DeliveryError as exc:
            if exc.code != "auth-failed":
                raise
            self._auth = None  # the refresh token expired too: sign in again
            self._session()
            return
        self._auth = self._keep_session(body)

    def _keep_session(self, body: dict) -> dict[str, str]:
        session = {key: str(body.get(key) or "") for key in ("accessJwt", "refreshJwt", "did", "handle")}
        for key in ("accessJwt", "refreshJwt"):
            self.http.secrets.add(session[key])
        if not session["accessJwt"] or not session["did"]:
            raise DeliveryError(f"bluesky {self._host}: signing in: the answer holds no session")
        return session

    @property
    def did(self) -> str:
        return self._session()["did"]

    # -- the profile ----------------------------------------------------------------

    @classmethod
    def image_id(cls, content: bytes) -> str | None:
        return blob_cid(content)

    def read_profile(self) -> LiveProfile:
        """The `app.bsky.actor.profile/self` record, kept to merge into when writing."""
        found = self._get_record(self.did, PROFILE, "self")
        self._profile_record = found
        if found is None:
            return LiveProfile()
        value = found.get("value") or {}
        return LiveProfile(display_name=value.get("displayName") or "", bio=value.get("description") or "",
                           avatar=_blob_cid(value.get("avatar")), header=_blob_cid(value.get("banner")),
                           version=found.get("cid"))

    def write_profile(self, update: ProfileUpdate, live: LiveProfile) -> LiveProfile:
        """putRecord over the record read, with swapRecord: a change made meanwhile is refused, not lost."""
        record = dict(((self._profile_record or {}).get("value")) or {"$type": PROFILE})
        if update.display_name is not None:
            record["displayName"] = update.display_name
        if update.bio is not None:
            record["description"] = update.bio
        for field, image in (("avatar", update.avatar), ("banner", update.header)):
            if image is not None:
                record[field] = self._upload(image.content(f"the profile's {field}"), image.content_type,
                                             image.path.name)
        # swapRecord null: the record must not exist yet (a profile made meanwhile is not overwritten)
        body = {"repo": self.did, "collection": PROFILE, "rkey": "self", "record": record,
                "swapRecord": live.version}
        try:
            self._xrpc("POST", "com.atproto.repo.putRecord", what="writing the profile", json=body)
        except DeliveryError as exc:
            if "InvalidSwap" in exc.message:
                raise ProfileConflict("bluesky: the profile changed in the app while it was being "
                                      "synced; run `social profiles diff` and sync again",
                                      code="profile-conflict") from None
            raise
        return self.read_profile()

    def check_account(self) -> AccountCheck:
        """Signing in is the check: the app password, the handle and the PDS in one call."""
        session = self._session()
        return AccountCheck(account=f"@{session.get('handle') or self.options.handle} ({session['did']})")

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        engagement = request.engagement
        if "repost" in engagement and (request.text.strip() or request.media):
            raise DeliveryError(f"{request.label}: a repost carries no text or images; use "
                                "`quote:` to repost with words of your own", code="repost-with-text")
        targets = {key: self._foreign_post(url, key) for key, url in engagement.items()}
        created: dict[str, dict] = {}
        for key, collection in ENGAGEMENT_RECORDS.items():
            if key in targets:
                record = {"$type": collection, "subject": _ref(targets[key]), "createdAt": self._now()}
                created[key] = self._create(collection, request.key, record,
                                            what=f"{'liking' if key == 'like' else 'reposting'} "
                                                 f"{engagement[key]}")
        if not self._makes_post(request):
            if not created or "reply_to" in engagement:
                raise DeliveryError(f"{request.label}: nothing to post (no text, no image)",
                                    code="part-empty")
            key = "repost" if "repost" in created else "like"
            return self._published(request, created[key], created, url=engagement[key])
        record = self._post_record(request, targets)
        result = self._create(POST, request.key, record, what=f"posting {request.label}")
        published = self._published(request, result, created, root=record.get("reply", {}).get("root"))
        external = record.get("embed", {}).get("external")
        if external:  # kept for the calendar site's preview, which never fetches the page itself
            card = {key: external[key] for key in ("uri", "title", "description")}
            return replace(published, data={**published.data, "card": card})
        return published

    def _post_record(self, request: PartRequest, targets: dict[str, dict]) -> dict:
        record: dict[str, Any] = {"$type": POST, "text": request.text, "createdAt": self._now()}
        language = request.language or self.options.language
        if language:
            record["langs"] = [language]
        facets = self._facets(request)
        if facets:
            record["facets"] = facets
        reply = self._reply(request, targets.get("reply_to"))
        if reply:
            record["reply"] = reply
        embed = self._embed(request, targets.get("quote"))
        if embed:
            record["embed"] = embed
        return record

    @staticmethod
    def _makes_post(request: PartRequest) -> bool:
        """Whether the part is a post; a like or repost alone is only that record."""
        return bool(request.text.strip() or request.media or "quote" in request.engagement)

    def _facets(self, request: PartRequest) -> list[dict]:
        facets = []
        for facet in request.facets:
            kind, field = FACET_FEATURES[facet.type]
            value = facet.value
            if facet.type == "mention":
                value = self._resolve_handle(facet.value)
                if value is None:
                    continue  # an unknown handle stays plain text, as the official client does
            facets.append({"index": {"byteStart": facet.byte_start, "byteEnd": facet.byte_end},
                           "features": [{"$type": f"app.bsky.richtext.facet{kind}", field: value}]})
        return facets

    def _reply(self, request: PartRequest, foreign: dict | None) -> dict | None:
        """root and parent of a reply: the thread's previous part, or someone else's post."""
        if request.number > 1:
            if request.root is None or request.parent is None:
                raise self._parent_unknown(request)
            parent = self._part_ref(request.parent, request)
            root = (request.root.data or {}).get("root") or self._part_ref(request.root, request)
            return {"root": root, "parent": parent}
        if foreign is not None:
            root = (foreign.get("value") or {}).get("reply", {}).get("root")
            return {"root": root or _ref(foreign), "parent": _ref(foreign)}
        return None

    def _part_ref(self, part: SentPart, request: PartRequest) -> dict:
        """{uri, cid} of one of our parts, as kept when it went out (or, if a person settled it, read
        from the network)."""
        data = part.data or {}
        if data.get("uri") and data.get("cid"):
            return {"uri": data["uri"], "cid": data["cid"]}
        for where in (part.remote_id, part.url):
            if where and (_AT_URI.match(where) or _PROFILE_POST.match(urlsplit(where).path)):
                return _ref(self._foreign_post(where, "reply_to"))
        raise self._parent_unknown(request)

    def _parent_unknown(self, request: PartRequest) -> DeliveryError:
        # Without it the part would go out as a post of its own, outside the thread.
        return DeliveryError(f"{request.label}: part {request.number - 1} is not known well enough "
                             "to reply to it; settle it with `social resolve --published URL` "
                             "(its bsky.app URL)", code="thread-parent-unknown")

    def _embed(self, request: PartRequest, quoted: dict | None) -> dict | None:
        images = None
        if request.media:
            images = {"$type": "app.bsky.embed.images",
                      "images": [self._image(request, index, media)
                                 for index, media in enumerate(request.media)]}
        if quoted is not None:
            record = {"$type": "app.bsky.embed.record", "record": _ref(quoted)}
            if images is None:
                return record
            return {"$type": "app.bsky.embed.recordWithMedia", "record": record, "media": images}
        if images is not None:
            return images
        if request.link and request.number == 1:
            return self._link_card(request)
        return None

    def _image(self, request: PartRequest, index: int, media: MediaFile) -> dict:
        content = media.content(request.label)
        image: dict[str, Any] = {"image": self._upload(content, media.content_type, media.path.name),
                                 "alt": media.alt}
        if media.width and media.height:
            image["aspectRatio"] = {"width": media.width, "height": media.height}
        return image

    def _upload(self, content: bytes, content_type: str, name: str) -> dict:
        # Blobs are addressed by their content: uploading one again is harmless, but slow.
        cache_key = (content_type, hashlib.sha256(content).hexdigest())
        if cache_key not in self._blobs:
            body = self._xrpc("POST", "com.atproto.repo.uploadBlob", what=f"uploading {name}",
                              data=content, headers={"Content-Type": content_type})
            if not isinstance(body.get("blob"), dict):
                raise DeliveryError(f"bluesky {self._host}: uploading {name}: the answer holds no blob")
            self._blobs[cache_key] = body["blob"]
        return self._blobs[cache_key]

    # -- records --------------------------------------------------------------------

    def _create(self, collection: str, rkey: str, record: dict, *, what: str) -> dict:
        """Create a record under our key; when the outcome is unclear, the key tells."""
        try:
            return self._xrpc("POST", "com.atproto.repo.createRecord", what=what, idempotent=False,
                              json={"repo": self.did, "collection": collection, "rkey": rkey,
                                    "record": record})
        except DeliveryError as exc:
            if not (exc.ambiguous or exc.status in CREATE_UNCLEAR):
                raise
            found = self._get_record(self.did, collection, rkey)
            if found is None:
                raise
            return found

    def _get_record(self, repo: str, collection: str, rkey: str) -> dict | None:
        return self._xrpc("GET", "com.atproto.repo.getRecord", missing_ok=True,
                          what=f"reading {collection} {rkey}",
                          params={"repo": repo, "collection": collection, "rkey": rkey})

    def _published(self, request: PartRequest, result: dict, created: dict[str, dict], *,
                   url: str | None = None, root: dict | None = None) -> Published:
        uri = str(result.get("uri") or "")
        if not uri or not result.get("cid"):
            raise DeliveryError(f"bluesky {self._host}: {request.label}: the answer names no "
                                "record", ambiguous=True)
        data: dict[str, Any] = {"uri": uri, "cid": result["cid"]}
        if root:
            data["root"] = root
        for key, record in created.items():
            data[key] = record["uri"]
        return Published(uri, url or self._post_url(uri), data)

    def _post_url(self, uri: str) -> str:
        return f"https://bsky.app/profile/{self._session()['handle'] or self.did}/post/{uri.rsplit('/', 1)[-1]}"

    # -- someone else's post --------------------------------------------------------

    def _foreign_post(self, url: str, purpose: str) -> dict:
        """{uri, cid, value} of a post named by its bsky.app URL or at:// URI."""
        actor = rkey = None
        at = _AT_URI.match(url)
        if at and at["collection"] == POST:
            actor, rkey = at["repo"], at["rkey"]
        elif url.startswith(("http://", "https://")):
            web = _PROFILE_POST.match(urlsplit(url).path)
            if web:
                actor, rkey = web["actor"], web["rkey"]
        consequence = ("a reply must never go out as a plain post, so nothing was sent"
                       if purpose == "reply_to" else f"nothing was sent ({purpose})")
        if actor is None:
            raise DeliveryError(f"bluesky: {url} is not a post's bsky.app URL "
                                f"(https://bsky.app/profile/HANDLE/post/ID); {consequence}",
                                code="engagement-unresolved")
        did = actor if actor.startswith("did:") else self._resolve_handle(actor)
        found = self._get_record(did, POST, rkey) if did else None
        if found is None or not found.get("cid"):
            raise DeliveryError(f"bluesky {self._host}: cannot find the post {url}; {consequence}. "
                                "Check the URL and that the post still exists",
                                code="engagement-unresolved")
        return found

    def _resolve_handle(self, handle: str) -> str | None:
        if handle not in self._dids:
            body = self._xrpc("GET", "com.atproto.identity.resolveHandle", missing_ok=True,
                              what=f"resolving @{handle}", params={"handle": handle})
            self._dids[handle] = (body or {}).get("did") or None
        return self._dids[handle]

    # -- reconcile and delete ---------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Look for the part under its key; None when it is not there (sending again is safe)."""
        key = request.key
        created = {}
        for name, collection in ENGAGEMENT_RECORDS.items():
            if name in request.engagement:
                found = self._get_record(self.did, collection, key)
                if found is not None:
                    created[name] = found
        if not self._makes_post(request):
            name = "repost" if "repost" in request.engagement else "like"
            if name not in created:
                return None
            return self._published(request, created[name], created, url=request.engagement[name])
        found = self._get_record(self.did, POST, key)
        if found is None:
            return None
        root = (found.get("value") or {}).get("reply", {}).get("root")
        return self._published(request, found, created, root=root)

    def delete(self, part: SentPart) -> None:
        """Delete the part's post and the like or repost it made; what is gone already is fine."""
        data = part.data or {}
        uris = [data.get(key) for key in ("uri", *ENGAGEMENT_RECORDS)]
        if not any(uris) and part.url:
            web = _PROFILE_POST.match(urlsplit(part.url).path)
            if web:  # settled by a person with its bsky.app URL
                uris.append(f"at://{self.did}/{POST}/{web['rkey']}")
        for uri in dict.fromkeys(u for u in uris if u):
            match = _AT_URI.match(uri)
            if not match or match["repo"] != self.did:
                continue  # only records in our own repository
            self._xrpc("POST", "com.atproto.repo.deleteRecord", what=f"deleting {uri}",
                       json={"repo": self.did, "collection": match["collection"], "rkey": match["rkey"]})

    # -- metrics --------------------------------------------------------------------

    def read_metrics(self, parts: Sequence[SentPart]) -> Metrics:
        """followersCount of app.bsky.actor.getProfile, then app.bsky.feed.getPosts, 25 posts a call.

        Both are AppView reads; the PDS proxies them for a signed-in account. A like or a
        repost alone is no post of ours; a post the AppView does not return was deleted.
        """
        profile = self._xrpc("GET", "app.bsky.actor.getProfile", what="reading the follower count",
                             params={"actor": self.did})
        wanted: dict[str, tuple[str, int]] = {}
        for part in parts:
            uri = self._post_uri(part)
            if uri:
                wanted[uri] = (part.post_id, part.number)
        counts: dict[tuple[str, int], PostCounts] = {}
        uris = list(wanted)
        for start in range(0, len(uris), GET_POSTS_MAX):
            batch = uris[start:start + GET_POSTS_MAX]
            body = self._xrpc("GET", "app.bsky.feed.getPosts", what=f"reading the counts of {len(batch)} posts",
                              params={"uris": batch})
            for view in body.get("posts") or []:
                if isinstance(view, dict) and view.get("uri") in wanted:
                    counts[wanted[view["uri"]]] = PostCounts(
                        likes=count_of(view.get("likeCount")), reposts=count_of(view.get("repostCount")),
                        replies=count_of(view.get("replyCount")), quotes=count_of(view.get("quoteCount")))
        notes = tuple(f"{post} part {number}: the post is gone (deleted in the app?)"
                      for uri, (post, number) in wanted.items() if (post, number) not in counts)
        return Metrics(count_of(profile.get("followersCount")), counts, notes)

    def _post_uri(self, part: SentPart) -> str | None:
        """The at:// URI of the part's post in our repository; None for a like or a repost alone."""
        for candidate in ((part.data or {}).get("uri"), part.remote_id):
            match = _AT_URI.match(candidate or "")
            if match:
                return candidate if match["collection"] == POST else None
        web = _PROFILE_POST.match(urlsplit(part.url or "").path)
        if web and urlsplit(part.url or "").netloc == "bsky.app":  # settled by a person with its URL
            return f"at://{self.did}/{POST}/{web['rkey']}"
        return None

    # -- the inbox --------------------------------------------------------------------

    def read_inbox(self, since: str | None, oldest: datetime) -> list[InboxItem]:
        """Mentions, replies and quotes from app.bsky.notification.listNotifications (the PDS asks the
        AppView for us), newest first page by page, back to `since` (an indexedAt) or `oldest`.

        The list is never marked as seen (updateSeen): the people using the app still see it new.
        """
        since_at = _parse_time(since) if since else None
        bound = since_at or oldest
        params: dict[str, Any] = {"limit": INBOX_PAGE, "reasons": list(INBOX_REASONS)}
        found: dict[str, InboxItem] = {}
        for _ in range(INBOX_PAGES):
            body = self._xrpc("GET", "app.bsky.notification.listNotifications", params=params,
                              what="reading the notifications")
            page = [n for n in body.get("notifications") or [] if isinstance(n, dict)]
            reached = False
            for notification in page:
                indexed = _parse_time(notification.get("indexedAt"))
                if indexed is None:
                    continue  # not a notification as the lexicon has it
                if indexed <= bound if since_at else indexed < bound:
                    reached = True
                    continue
                item = self._inbox_item(notification)
                if item is not None:
                    found.setdefault(item.remote_id, item)
            cursor = body.get("cursor")
            if reached or not page or not isinstance(cursor, str) or not cursor:
                break
            params = {**params, "cursor": cursor}
        return sorted(found.values(), key=lambda item: (_parse_time(item.cursor) or item.at, item.remote_id))

    def _inbox_item(self, notification: dict) -> InboxItem | None:
        kind = INBOX_REASONS.get(str(notification.get("reason")))
        record = notification.get("record") if isinstance(notification.get("record"), dict) else {}
        uri = str(notification.get("uri") or "")
        at_uri = _AT_URI.match(uri)
        if kind is None or not at_uri or at_uri["collection"] != POST:
            return None
        author = notification.get("author") if isinstance(notification.get("author"), dict) else {}
        handle = str(author.get("handle") or author.get("did") or at_uri["repo"])
        in_reply_to = None
        if kind == InboxKind.REPLY:
            parent = ((record.get("reply") or {}).get("parent") or {}) if isinstance(record.get("reply"), dict) \
                else {}
            in_reply_to = parent.get("uri") if isinstance(parent, dict) else None
        elif kind == InboxKind.QUOTE:
            in_reply_to = notification.get("reasonSubject")
        at = _parse_time(record.get("createdAt")) or _parse_time(notification.get("indexedAt"))
        return InboxItem(remote_id=uri, url=f"https://bsky.app/profile/{quote(handle, safe=':.')}/post/"
                                          f"{quote(at_uri['rkey'], safe='')}",
                         kind=kind, at=at, author=f"@{handle}", text=str(record.get("text") or ""),
                         in_reply_to=str(in_reply_to) if in_reply_to else None,
                         cursor=str(notification.get("indexedAt")))

    # -- the link card ------------------------------------------------------------------

    def _link_card(self, request: PartRequest) -> dict | None:
        """An external embed from the link's Open Graph data; None when the page cannot be read."""
        card = read_link_card(self.http, _card_uri(request), request.title)
        if card is None:
            return None
        external: dict[str, Any] = {"uri": card.uri, "title": card.title, "description": card.description}
        if card.image is not None:
            with contextlib.suppress(DeliveryError):  # a card without its picture is still a card
                external["thumb"] = self._upload(card.image, card.image_type, "the link card's image")
        return {"$type": "app.bsky.embed.external", "external": external}

    # -- plumbing -------------------------------------------------------------------

    @property
    def _host(self) -> str:
        return self.options.service.split("://", 1)[-1].rstrip("/")

    def _now(self) -> str:
        moment = self.http.clock().astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def _xrpc(self, method: str, nsid: str, *, what: str, auth: bool = True, idempotent: bool = True,
              missing_ok: bool = False, **kwargs: Any) -> Any:
        """Call one XRPC method; an expired session is refreshed and the call made once more."""
        what = f"bluesky {self._host}: {what}"
        response, body = self._send(method, nsid, what, auth, idempotent, **kwargs)
        error = body.get("error") if isinstance(body, dict) else None
        if auth and error == "ExpiredToken":
            self._refresh()
            response, body = self._send(method, nsid, what, auth, idempotent, **kwargs)
            error = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 200:
            if not isinstance(body, dict):
                raise DeliveryError(f"{what}: the answer is not the JSON the lexicon describes",
                                    ambiguous=not idempotent)
            return body
        if missing_ok and response.status_code == 400 and error in NOT_FOUND:
            return None
        raise self._refused(response, body, what)

    def _send(self, method: str, nsid: str, what: str, auth: bool, idempotent: bool, *,
              headers: dict[str, str] | None = None, **kwargs: Any) -> tuple[Any, Any]:
        url = self.options.service.rstrip("/") + "/xrpc/" + nsid
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = f"Bearer {self._session()['accessJwt']}"
        # 400 and 401 come back here: their XRPC error name decides what they mean.
        response = self.http.request(method, url, idempotent=idempotent, what=what,
                                     credential=self.variable("password"), ok=(200, 400, 401),
                                     headers=headers, **kwargs)
        return response, json_body(response)

    def _refused(self, response: Any, body: Any, what: str) -> DeliveryError:
        error = body.get("error") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        reason = self.http.secrets.excerpt(": ".join(str(p) for p in (error, message) if p)
                                           or response.text or "", REASON_LENGTH) or "no reason given"
        status = response.status_code
        if status == 401 or error in ("AuthenticationRequired", "AuthMissing", "InvalidToken", "ExpiredToken"):
            return DeliveryError(f"{what}: app password rejected for {self.options.handle}: check "
                                 f"{self.variable('password')} (an app password of that account) "
                                 f"and the channel's handle ({reason})", status=status, code="auth-failed")
        if error in ("AccountTakedown", "AccountDeactivated"):
            return DeliveryError(f"{what}: the account cannot post ({reason})", status=status,
                                 code="account-unavailable")
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)


def blob_cid(content: bytes) -> str:
    """The CID a PDS gives a blob of these bytes (CIDv1, raw codec, sha2-256, base32): to tell, without
    asking, whether the profile already shows this image."""
    digest = b"\x01\x55\x12\x20" + hashlib.sha256(content).digest()
    return "b" + base64.b32encode(digest).decode("ascii").lower().rstrip("=")


def _parse_time(value: Any) -> datetime | None:
    """An AT Protocol datetime (RFC 3339, with Z or an offset) in UTC; None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _blob_cid(blob: Any) -> str | None:
    ref = blob.get("ref") if isinstance(blob, dict) else None
    return ref.get("$link") if isinstance(ref, dict) else None


def tid(micros: int, clock_id: int) -> str:
    """A timestamp identifier: 13 base32-sortable characters of (microseconds << 10 | clock id)."""
    value = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _ref(record: dict) -> dict:
    return {"uri": record["uri"], "cid": record["cid"]}


def _card_uri(request: PartRequest) -> str:
    """The post's link as it appears in the text (with tracking parameters, if any were added)."""
    link = request.link or ""
    for facet in request.facets:
        if facet.type == "link" and facet.value.startswith(link):
            return facet.value
    return link
