"""LinkedIn posts for a member or an organization page, through the versioned REST API.

Exactly once without an idempotency key: LinkedIn has none, but it refuses a
second post by the same author with the same commentary for a while (422
DUPLICATE_POST, naming the first post's URN), and that answer is taken as
"already published". A create whose outcome is unclear (a timeout after sending,
a 500, 502 or 504) is never retried blindly: `reconcile` reads the author's
recent posts and looks for ours. A peer saw LinkedIn answer success for a page
post that never appeared, so every new post is read back; when LinkedIn says it
does not exist, the outcome counts as unclear and is reconciled the same way.

`commentary` is little text: the part arrives as readers will see it (every preview
shows that), and the request escapes it here, once (`wire_text`). The limit is held
against the escaped text, which is never shorter than what readers see.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import REASON_LENGTH, DeliveryError, json_body
from pipeline.networks.linkedin.littletext import escape_little_text, unescape_little_text
from pipeline.networks.look import About, Approximate, Avatar, Fold, Grid, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.text.count import Count

API = "https://api.linkedin.com"
POST_PAGE = "https://www.linkedin.com/feed/update/"
RESTLI_PROTOCOL = "2.0.0"
#: 4xx answers explained here with LinkedIn's own words; a 429 stays with Http (it waits, or
#: leaves the part for a later run)
REFUSALS = (400, 401, 403, 404, 409, 410, 422, 426)
#: the author's posts read per page, and pages at most, newest change first
PAGE_SIZE = 50
MAX_PAGES = 4
#: how far a post's createdAt may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
#: a post's URN, as in the x-restli-id header and in the message of a DUPLICATE_POST answer
POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d+")
ORGANIZATION = "urn:li:organization:"


def version_retirement(version: str) -> date:
    """When LinkedIn is expected to retire a YYYYMM version: the 16th of its month a year on.

    An estimate (202511 went on 2026-11-16); LinkedIn announces each retirement itself.
    """
    return date(int(version[:4]) + 1, min(max(int(version[4:6]), 1), 12), 16)


class LinkedInOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: str = Field(
        pattern=r"^urn:li:(person|organization):[A-Za-z0-9_-]+$",
        description="urn:li:person:<id> or urn:li:organization:<id>",
    )
    version: str = Field("202611", pattern=r"^\d{6}$", description="LinkedIn-Version header (YYYYMM); "
                         "LinkedIn retires a version about a year after its release")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of LinkedIn's REST API")
    token_expires: date | None = Field(None, description="When the token expires (LinkedIn shows it "
                                       "when the token is made, about 60 days on); `social channels "
                                       "check` warns two weeks ahead")


class LinkedInNetwork(Network):
    name = "linkedin"
    title = "LinkedIn"
    capabilities = frozenset({Capability.PUBLISH, Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE,
                              Capability.RECONCILE})
    max_length = 3000
    counted_as = ("characters of the escaped text (reserved characters `| { } @ [ ] ( ) < > # \\ * _ ~` "
                  "get a backslash)")
    max_images = 20
    max_alt_length = 4086
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = LinkedInOptions
    inbox_note = "not read: comments and mentions need LinkedIn's restricted Community Management API"
    docs = "networks/linkedin.md"
    # The feed: a company page's square logo, "…see more" after about three lines, the first image
    # large and the next ones in a row beneath; a mention is an annotation, not text, so only links
    # and hashtags are links.
    look = Look(accent="#0a66c2", accent_dark="#71b7fb", marks=frozenset({"link", "tag"}),
                fold=Fold(210, lines=3), grid=Grid.FEATURE, crop=None, avatar=Avatar.SQUARE,
                approximate=(Approximate(About.FOLD, "the fold after about 210 characters or 3 lines (the "
                                                      "desktop feed; phones fold sooner)"),))

    @classmethod
    def look_for(cls, options: Any = None) -> Look:
        """A person's round photo; a company page's square logo."""
        if str(getattr(options, "author", "")).startswith("urn:li:person:"):
            return replace(cls.look, avatar=Avatar.CIRCLE)
        return cls.look

    @classmethod
    def channel_findings(cls, options: Any, today: date) -> list[tuple[str, str, str]]:
        version = getattr(options, "version", None)
        if not version:
            return []
        retires = version_retirement(version)
        advice = ("set `version:` to the newest YYYYMM in LinkedIn's API documentation (after a look at "
                  "its migration notes)")
        if today > retires + timedelta(days=31):
            return [("error", "linkedin-version-retired", f"LinkedIn API version {version} was due to "
                     f"retire on {retires.isoformat()}: every request will be refused; {advice}")]
        if today >= retires - timedelta(days=61):
            return [("warning", "linkedin-version-retiring", f"LinkedIn API version {version} is "
                     f"expected to retire about {retires.isoformat()}; {advice}")]
        return []

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """Code points of the escaped commentary (LinkedIn's own rule is unverified), so a text that
        fits is within 3,000 whether LinkedIn counts what it is sent or what it shows."""
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        sent = cls.wire_text(text)
        return Count(cls.name, text, len(sent), limit, wire=sent)

    @classmethod
    def wire_text(cls, text: str) -> str:
        """The commentary as sent: little text, every reserved character escaped."""
        return escape_little_text(text)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """Escaping adds at most one backslash per character."""
        return 2 * len(text) if text.strip() else None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (key, image index) -> image URN: a part sent again reuses its uploads
        self._uploaded: dict[tuple[str, int], str] = {}

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        if request.engagement:
            # Validation refuses these for LinkedIn; a reply must never go out as a plain post.
            raise DeliveryError(f"{request.label}: LinkedIn channels cannot "
                                f"{' or '.join(request.engagement)}; nothing was sent",
                                code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        post: dict[str, Any] = {
            "author": self.options.author,
            "commentary": self.wire_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = self._content(request)
        if content:
            post["content"] = content
        urn, duplicate = self._create(request, post)
        return self._confirmed(request, urn, duplicate=duplicate)

    def _create(self, request: PartRequest, post: dict) -> tuple[str, bool]:
        """The new post's URN, or the one LinkedIn says ours repeats (then True)."""
        what = f"posting {request.label}"
        response = self._call("POST", "/rest/posts", what=what, idempotent=False, ok=(201, 422), json=post)
        if response.status_code == 422:
            body = json_body(response)
            if "DUPLICATE_POST" not in json.dumps(body):
                raise self._refused(response, what)
            named = POST_URN.search(json.dumps(body))
            if named is None:
                raise DeliveryError(f"linkedin: {what}: LinkedIn says an identical post exists but names "
                                    "no post; looking for it among the author's posts", ambiguous=True,
                                    status=422)
            return named.group(0), True
        urn = response.headers.get("x-restli-id") or ""
        if not urn.startswith("urn:li:"):
            raise DeliveryError(f"linkedin: {what}: LinkedIn answered {response.status_code} but named no "
                                "post (no x-restli-id header)", ambiguous=True)
        return urn, False

    def _confirmed(self, request: PartRequest, urn: str, *, duplicate: bool) -> Published:
        """The post, unless LinkedIn says it does not exist."""
        try:
            exists = self._exists(urn)
        except DeliveryError:
            # The token may not read posts (403) or LinkedIn is busy: the create's answer is the
            # best word there is.
            return _published(urn)
        if exists:
            return _published(urn)
        if duplicate:
            raise DeliveryError(f"linkedin: {request.label}: LinkedIn refuses the text as a duplicate of "
                                f"{urn}, but that post does not exist (LinkedIn remembers deleted and lost "
                                "posts for a while); nothing was posted. Change the text, or let a later "
                                "run try again", code="duplicate-of-missing")
        raise DeliveryError(f"linkedin: {request.label}: LinkedIn answered that it created {urn}, but "
                            "reading it back says it does not exist", ambiguous=True)

    def _exists(self, urn: str) -> bool:
        response = self._call("GET", f"/rest/posts/{_quoted(urn)}", ok=(200, 404), what=f"reading {urn} back")
        return response.status_code == 200

    # -- images ---------------------------------------------------------------------

    def _content(self, request: PartRequest) -> dict | None:
        images = []
        for index, media in enumerate(request.media):
            image = {"id": self._upload(request, index, media)}
            if media.alt:
                image["altText"] = media.alt
            images.append(image)
        if not images:
            return None
        if len(images) == 1:
            return {"media": images[0]}
        return {"multiImage": {"images": images}}

    def _upload(self, request: PartRequest, index: int, media: MediaFile) -> str:
        cached = self._uploaded.get((request.key, index))
        if cached:
            return cached
        name = media.path.name
        content = media.content(request.label)
        # An image no post uses is never shown: preparing or uploading one again is harmless.
        response = self._call("POST", "/rest/images", what=f"preparing the upload of {name}",
                              params={"action": "initializeUpload"},
                              json={"initializeUploadRequest": {"owner": self.options.author}})
        value = self._json(response, f"preparing the upload of {name}").get("value") or {}
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not isinstance(upload_url, str) or not isinstance(image, str):
            raise DeliveryError(f"linkedin: preparing the upload of {name}: the answer names no upload "
                                "URL or image")
        self._call("PUT", upload_url, what=f"uploading {name}", ok=(200, 201), data=content,
                   headers={"Content-Type": media.content_type})
        self._uploaded[(request.key, index)] = image
        return image

    # -- reconcile ------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Find the part among the author's posts changed since it was sent; None when it is surely
        not there. Raise Uncertain when the token may not read them."""
        sent_at = sent_at or self.http.clock()
        since = sent_at - CLOCK_SKEW
        params: dict[str, Any] = {"q": "author", "author": self.options.author, "count": PAGE_SIZE,
                                  "sortBy": "LAST_MODIFIED"}
        found: list[str] = []
        for _ in range(MAX_PAGES):
            try:
                response = self._call("GET", "/rest/posts", what="reading the author's recent posts",
                                      params=params)
            except DeliveryError as exc:
                if exc.status == 403:
                    raise self._cannot_tell(request, sent_at, "the token may not read the author's posts "
                                            f"(that needs {self._permission('r')})") from None
                raise
            page = self._json(response, "reading the author's recent posts").get("elements")
            if not isinstance(page, list):
                raise DeliveryError("linkedin: reading the author's recent posts: the answer holds no "
                                    "elements")
            # A post another part already went out as is never taken for this one.
            found += [post["id"] for post in page if isinstance(post, dict)
                      and self._same_part(post, request, since) and post["id"] not in request.claimed]
            # Sorted by the last change, and a post changes no earlier than it is created: past
            # `since`, nothing of ours can follow.
            oldest = _moment(page[-1].get("lastModifiedAt")) if page else None
            if len(page) < PAGE_SIZE or (oldest is not None and oldest < since):
                if len(found) > 1:
                    raise self._cannot_tell(request, sent_at, f"{len(found)} of the author's posts could "
                                            f"be it ({', '.join(found[:3])})")
                return _published(found[0]) if found else None
            params["start"] = params.get("start", 0) + len(page)
        raise self._cannot_tell(request, sent_at, f"more than {PAGE_SIZE * MAX_PAGES} of the author's "
                                "posts changed since, and only those were read")

    def _same_part(self, post: dict, request: PartRequest, since: datetime) -> bool:
        created = _moment(post.get("createdAt"))
        return (isinstance(post.get("id"), str) and post.get("author") == self.options.author
                and created is not None and created >= since
                and same_text(str(post.get("commentary") or ""), request.text)
                and image_count(post.get("content")) == len(request.media))

    def _cannot_tell(self, request: PartRequest, sent_at: datetime, why: str) -> Uncertain:
        author = self.options.author
        where = (f"https://www.linkedin.com/company/{author.removeprefix(ORGANIZATION)}/"
                 if author.startswith(ORGANIZATION) else "your profile's activity on LinkedIn")
        preview = " ".join(request.text.split())[:60]
        return Uncertain(f"{request.label} was sent to LinkedIn at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} "
                         f"UTC and may have been published, but {why}, so sending it again could post it "
                         f"twice. Look at {where} for a post starting {preview!r}, then run `social resolve "
                         f"{request.post_id} --channel {request.channel_id} --part {request.number}` with "
                         f"--published URL (its link, {POST_PAGE}urn:li:share:…) or --not-published",
                         code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete the post; one that is already gone is fine."""
        found = POST_URN.search(part.remote_id or "") or POST_URN.search(unquote(part.url or ""))
        if found is None:
            raise DeliveryError(f"linkedin: cannot tell which post {part.url or part.remote_id} is (no "
                                "urn:li:share or urn:li:ugcPost in the ledger); delete it by hand",
                                code="post-unknown")
        urn = found.group(0)
        self._call("DELETE", f"/rest/posts/{_quoted(urn)}", ok=(200, 204, 404), what=f"deleting {urn}")

    # -- plumbing -------------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """The author the token posts as: a member from /v2/userinfo, a page from /rest/organizations."""
        author = self.options.author
        expires = (datetime.combine(self.options.token_expires, datetime.min.time(), UTC)
                   if self.options.token_expires else None)
        notes = () if expires else ("LinkedIn does not say when a token expires: set `token_expires:` "
                                    "to the date shown when it was made",)
        if author.startswith(ORGANIZATION):
            page = self._call("GET", f"/rest/organizations/{author.removeprefix(ORGANIZATION)}",
                              what=f"reading the page {author}").json()
            name = page.get("localizedName") if isinstance(page, dict) else None
            return AccountCheck(account=f"{name or 'the page'} ({author})", expires_at=expires, notes=notes)
        member = self._call("GET", "/v2/userinfo", what="reading the member the token belongs to").json()
        sub = member.get("sub") if isinstance(member, dict) else None
        if sub and f"urn:li:person:{sub}" != author:
            raise DeliveryError(f"linkedin: the token belongs to urn:li:person:{sub}, not to the channel's "
                                f"author {author}; set `author:` or use that member's token",
                                code="auth-failed")
        return AccountCheck(account=f"{member.get('name') or 'the member'} ({author})", expires_at=expires,
                            notes=notes)

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True,
              ok: tuple[int, ...] = (200,), headers: dict[str, str] | None = None, **kwargs: Any):
        """One request with LinkedIn's headers; a refusal not in `ok` raises, explained."""
        token = self.credential("token")
        url = path if "://" in path else self.options.api.rstrip("/") + path
        what = f"linkedin: {what}"
        response = self.http.request(method, url, idempotent=idempotent, credential=self.variable("token"),
                                     what=what, ok=ok + REFUSALS, **kwargs,
                                     headers={"Authorization": f"Bearer {token}",
                                              "LinkedIn-Version": self.options.version,
                                              "X-Restli-Protocol-Version": RESTLI_PROTOCOL, **(headers or {})})
        if response.status_code not in ok:
            raise self._refused(response, what)
        return response

    def _refused(self, response: Any, what: str) -> DeliveryError:
        status = response.status_code
        body = json_body(response)
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        reason = self.http.secrets.excerpt(str(message or (response.text or "").strip()), REASON_LENGTH) \
            or response.reason or "no reason given"
        variable = self.variable("token")
        if status == 426 or code == "NONEXISTENT_VERSION":
            return DeliveryError(f"{what}: LinkedIn does not serve version {self.options.version} of its "
                                 f"API ({reason}). Set `version:` of channel {self.channel.id!r} in "
                                 "content/channels.yml to a current YYYYMM (LinkedIn retires a version "
                                 "about a year after its release; see docs/networks/linkedin.md)",
                                 status=status, code="version-retired")
        if status == 401:
            return DeliveryError(f"{what}: token rejected: check {variable} (LinkedIn access tokens last 60 "
                                 f"days; then a new one must go into {variable}) ({reason})",
                                 status=status, code="auth-failed")
        if status == 403:
            page = " and an administrator's role on the page" if self._page else ""
            return DeliveryError(f"{what}: refused (403): the token lacks the permission "
                                 f"{self._permission('w')}{page} to post as {self.options.author}, or "
                                 f"check {variable} ({reason})", status=status, code="forbidden")
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)

    @property
    def _page(self) -> bool:
        return self.options.author.startswith(ORGANIZATION)

    def _permission(self, access: str) -> str:
        """The OAuth scope to read ('r') or write ('w') the author's posts."""
        return f"{access}_{'organization' if self._page else 'member'}_social"

    def _json(self, response: Any, what: str) -> dict:
        body = json_body(response)
        if isinstance(body, dict):
            return body
        raise DeliveryError(f"linkedin: {what}: the answer ({response.status_code}) is not the JSON the "
                            "API describes")


# -- reading posts back ----------------------------------------------------------------


def same_text(commentary: str, text: str) -> bool:
    """Whether LinkedIn's copy of a post's commentary is `text` (as readers see it). LinkedIn may
    answer it escaped as sent or as shown; spacing and Unicode normalization aside."""
    wanted = comparable(text)
    return comparable(unescape_little_text(commentary)) == wanted or comparable(commentary) == wanted


def comparable(text: str) -> str:
    """Text reduced for matching: NFC, and every run of white space one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def image_count(content: Any) -> int:
    """How many images a post's `content` holds."""
    if not isinstance(content, dict):
        return 0
    if isinstance(content.get("multiImage"), dict):
        return len(content["multiImage"].get("images") or [])
    media = content.get("media")
    return 1 if isinstance(media, dict) and str(media.get("id", "")).startswith("urn:li:image:") else 0


def _published(urn: str) -> Published:
    return Published(urn, POST_PAGE + urn)


def _quoted(urn: str) -> str:
    """A URN as one path segment (Rest.li wants its colons encoded)."""
    return quote(urn, safe="")


def _moment(millis: Any) -> datetime | None:
    if not isinstance(millis, int | float) or isinstance(millis, bool):
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)
