"""Facebook Page posts through Meta's Graph API: text, a link, photos with alt text.

Exactly once without an idempotency key: Graph has none. A create whose outcome
is unclear (a timeout after sending, a 500, 502 or 504, Graph's "unknown error")
is never sent again blindly: `reconcile` reads the page's posts since the
attempt and looks for ours by its text. Facebook also refuses the same text twice
in a row (#506): after an earlier attempt at the part, that answer is settled by
the same look (a person decides when it finds nothing); without one, the previous
post is someone else's and the part fails, asking for another text.

Throttling comes as Graph error codes, mostly with HTTP 400, rarely as a 429, so
`Http` cannot see it: `_call` reads the code and the usage headers (graph.py)
and either waits the time Meta states, when it is short, or leaves the channel's
parts for a later run.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.facebook import graph
from pipeline.networks.facebook.versions import DEFAULT_VERSION, version_findings
from pipeline.networks.look import About, Approximate, Fold, Grid, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart

API = "https://graph.facebook.com"
WEB = "https://www.facebook.com"
#: 4xx answers this module reads itself: Graph says in the body what they mean
REFUSALS = (400, 401, 403, 404, 409, 410, 413, 422, 429)
#: the page's posts read per page of the listing, and pages at most, newest first
PAGE_SIZE = 100
MAX_PAGES = 5
#: how far a post's created_time may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
PERMISSIONS = "pages_manage_posts, pages_read_engagement and pages_show_list"
DOCS = "docs/networks/facebook.md"
#: what a rejected token's subcode means (Graph's error handling guide)
TOKEN_PROBLEMS = {
    458: "the app was removed from the account that made the token",
    459: "the account that made the token must log in to facebook.com and fix a checkpoint",
    460: "the password of the account that made the token changed, which ends its page tokens",
    463: "the token expired",
    464: "the account that made the token must log in to facebook.com and confirm itself",
    467: "the token is not valid (revoked, or made for another app)",
    492: "the account that made the token no longer has a role on the page",
}
_POST_ID = re.compile(r"^\d+_\d+$")
#: a post's web address with its number: /<page id or name>/posts/<number>
_POST_PATH = re.compile(r"^/[^/]+/posts/(\d+)/?$")


class FacebookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(pattern=r"^[0-9]+$", description="The page's numeric id (the `id` beside its token in "
                         "`GET /me/accounts`, or the page's About → Page transparency)",
                         json_schema_extra={"type": ["string", "integer"]})
    api_version: str = Field(DEFAULT_VERSION, pattern=r"^v\d+\.\d+$", description="Graph API version in "
                             "every path; Meta serves each until two years after the next one's release, "
                             "and validation warns 90 days before")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of the Graph API")
    token_expires: date | None = Field(None, description="When the page token expires, if it does (one "
                                       "made from a long-lived user token never does); `social channels "
                                       "check` warns two weeks ahead")

    @field_validator("page_id", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        """YAML reads an unquoted id as a number: it is the same page."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class FacebookNetwork(Network):
    name = "facebook"
    title = "Facebook Page"
    capabilities = frozenset({Capability.PUBLISH, Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE,
                              Capability.RECONCILE})
    max_length = 63206
    max_images = 10                      # photos attached to one post; unverified
    max_image_bytes = 4 * 1024 * 1024    # "less than 4 MB" in one Meta page, 10 MB in another
    max_alt_length = 1000                # a photo's alt_text_custom; its limit is unverified
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = FacebookOptions
    inbox_note = "not read yet: a Page's comments need the pages_read_user_content permission, not tried here"
    docs = "networks/facebook.md"
    # The feed: "… See more" after about 480 characters or five lines, the first image large.
    look = Look(accent="#385898", accent_dark="#7ca6f4", marks=frozenset({"link", "tag"}),
                fold=Fold(480, lines=5, label="… See more"), grid=Grid.FEATURE, crop=None,
                approximate=(Approximate(About.FOLD,
                                          "the fold after about 480 characters or 5 lines (the desktop feed)"),))

    @classmethod
    def channel_findings(cls, options: Any, today: date) -> list[tuple[str, str, str]]:
        version = getattr(options, "api_version", None)
        return version_findings(version, today) if version else []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (key, image index) -> unpublished photo id: a part sent again reuses its uploads
        self._uploaded: dict[tuple[str, int], str] = {}
        # when Meta said a limit lifts: no request goes out before
        self._resume_at: datetime | None = None
        # key -> when the part's first attempt known to this run was sent
        self._attempts: dict[str, datetime] = {}

    # -- publish --------------------------------------------------------------------

    def publish(self, request: PartRequest) -> Published:
        if request.engagement:
            # Validation refuses these for Facebook; a reply must never go out as a plain post.
            raise DeliveryError(f"{request.label}: Facebook Page channels cannot "
                                f"{' or '.join(request.engagement)}; nothing was sent",
                                code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        if len(request.media) > self.max_images:
            raise DeliveryError(f"{request.label}: {len(request.media)} images, Facebook takes at most "
                                f"{self.max_images} in a post; nothing was sent", code="too-many-images")
        earlier = self._attempts.get(request.key)
        try:
            post_id = self._create(request)
        except DeliveryError as exc:
            if exc.code != "duplicate-post":
                raise
            return self._duplicate(request, earlier, exc.message)
        return self._read_back(post_id)

    def _create(self, request: PartRequest) -> str:
        """The new post's id: one photo goes to /photos with its caption, anything else to /feed."""
        what = f"posting {request.label}"
        page = self.options.page_id
        fields: dict[str, str] = {}
        if len(request.media) == 1:
            media = request.media[0]
            content = media.content(request.label)
            if request.text.strip():
                fields["caption"] = request.text
            if media.alt:
                fields["alt_text_custom"] = media.alt
            self._attempted(request.key, self.http.clock())
            answer = self._json(self._call("POST", f"/{page}/photos", what=what, idempotent=False,
                                           data=fields, files={"source": (media.path.name, content,
                                                                          media.content_type)}), what)
            post_id = answer.get("post_id")
        else:
            if request.text.strip():
                fields["message"] = request.text
            for index, media in enumerate(request.media):
                fields[f"attached_media[{index}]"] = json.dumps({"media_fbid": self._unpublished(request,
                                                                                                 index, media)})
            if request.link and request.number == 1 and not request.media:
                fields["link"] = request.link  # the preview card; photos leave no room for one
            self._attempted(request.key, self.http.clock())
            post_id = self._json(self._call("POST", f"/{page}/feed", what=what, idempotent=False,
                                            data=fields), what).get("id")
        if not isinstance(post_id, str) or not _POST_ID.match(post_id):
            raise DeliveryError(f"facebook: {what}: Facebook answered but named no post ({post_id!r})",
                                ambiguous=True)
        return post_id

    def _unpublished(self, request: PartRequest, index: int, media: MediaFile) -> str:
        """An uploaded photo no one sees until a post attaches it: uploading one again is harmless."""
        cached = self._uploaded.get((request.key, index))
        if cached:
            return cached
        name = media.path.name
        fields = {"published": "false"}
        if media.alt:
            fields["alt_text_custom"] = media.alt
        answer = self._json(self._call("POST", f"/{self.options.page_id}/photos", what=f"uploading {name}",
                                       data=fields, files={"source": (name, media.content(request.label),
                                                                      media.content_type)}),
                            f"uploading {name}")
        photo = answer.get("id")
        if not isinstance(photo, str) or not photo.isdigit():
            raise DeliveryError(f"facebook: uploading {name}: the answer names no photo")
        self._uploaded[(request.key, index)] = photo
        return photo

    def _read_back(self, post_id: str) -> Published:
        """The post with its permalink; when it cannot be read, with the link every post id has."""
        try:
            answer = self._json(self._call("GET", f"/{post_id}", params={"fields": "id,permalink_url"},
                                           what=f"reading {post_id} back"), f"reading {post_id} back")
        except DeliveryError:
            return self._published(post_id, None)  # it is out: how it is linked matters less
        return self._published(post_id, answer.get("permalink_url"))

    def _duplicate(self, request: PartRequest, earlier: datetime | None, refusal: str) -> Published:
        """#506: the page's previous post has this text: the earlier attempt's, if there was one."""
        if earlier is None:
            raise DeliveryError(f"{refusal}: Facebook takes no text twice in a row, and the page's previous "
                                f"post has the text of {request.label}; nothing was posted. Change the text, "
                                "or delete that post", code="duplicate-post")
        found = self._find(request, earlier - CLOCK_SKEW, earlier)
        if found is None:
            raise self._cannot_tell(request, earlier, "Facebook now refuses it as the same text as the page's "
                                    f"previous post ({refusal}), which may be that attempt, and the page's "
                                    "posts since do not show it (yet)")
        return found

    def _attempted(self, key: str, at: datetime) -> None:
        """Note an attempt at the part that may reach Facebook (the earliest one counts)."""
        self._attempts[key] = min(at, self._attempts.get(key, at))

    # -- reconcile ------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Find the part among the page's posts since it was sent; None when it is surely not there.
        Raise Uncertain when the token may not read them, or there are too many to read."""
        sent_at = sent_at or self.http.clock()
        self._attempted(request.key, sent_at)
        return self._find(request, sent_at - CLOCK_SKEW, sent_at)

    def _find(self, request: PartRequest, since: datetime, sent_at: datetime) -> Published | None:
        wanted = comparable(request.text)
        url = f"/{self.options.page_id}/posts"
        params: dict[str, Any] = {"fields": "id,message,created_time,permalink_url",
                                  "since": int(since.timestamp()), "limit": PAGE_SIZE}
        found: list[dict] = []
        for _ in range(MAX_PAGES):
            try:
                response = self._call("GET", url, params=params, what="reading the page's recent posts")
            except DeliveryError as exc:
                if exc.code == "forbidden":
                    raise self._cannot_tell(request, sent_at, "the token may not read the page's posts "
                                            "(that needs pages_read_engagement)") from None
                raise
            body = self._json(response, "reading the page's recent posts")
            posts = body.get("data")
            if not isinstance(posts, list):
                raise DeliveryError("facebook: reading the page's recent posts: the answer holds no data")
            # A post another part already went out as is never taken for this one.
            found += [post for post in posts if isinstance(post, dict) and _same_part(post, wanted, since)
                      and post["id"] not in request.claimed]
            following = (body.get("paging") or {}).get("next") if isinstance(body.get("paging"), dict) else None
            oldest = _moment(posts[-1].get("created_time")) if posts and isinstance(posts[-1], dict) else None
            # Newest first: past `since`, nothing of ours can follow.
            if not posts or not following or (oldest is not None and oldest < since):
                break
            url, params = self._following(following, request, sent_at)
        else:
            raise self._cannot_tell(request, sent_at, f"more than {PAGE_SIZE * MAX_PAGES} posts of the page "
                                    "were made since, and only those were read")
        if len(found) > 1:
            ids = ", ".join(post["id"] for post in found[:3])
            raise self._cannot_tell(request, sent_at, f"{len(found)} of the page's posts could be it ({ids})")
        return self._published(found[0]["id"], found[0].get("permalink_url")) if found else None

    def _following(self, link: str, request: PartRequest, sent_at: datetime) -> tuple[str, dict]:
        """The listing's next page, asked of our own API only and with the token in its header."""
        ours, theirs = urlsplit(self.options.api), urlsplit(link)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise self._cannot_tell(request, sent_at, "the page's listing goes on at another address "
                                    f"({theirs.netloc}), which is not asked")
        # Graph repeats the token in its paging links; it goes in the header, never in a URL.
        params = dict(pair for pair in parse_qsl(theirs.query) if pair[0] != "access_token")
        return urlunsplit((theirs.scheme, theirs.netloc, theirs.path, "", "")), params

    def _cannot_tell(self, request: PartRequest, sent_at: datetime, why: str) -> Uncertain:
        preview = " ".join(request.text.split())[:60]
        return Uncertain(f"{request.label} was sent to Facebook at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
                         f"and may have been published, but {why}, so sending it again could post it twice. "
                         f"Look at {WEB}/{self.options.page_id} for a post starting {preview!r}, then run "
                         f"`social resolve {request.post_id} --channel {request.channel_id} --part "
                         f"{request.number}` with --published URL (the post's link) or --not-published",
                         code="uncertain")

    # -- delete ---------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete the post; one that is already gone is fine."""
        post_id = post_id_of(part, self.options.page_id)
        if post_id is None:
            raise DeliveryError(f"facebook: cannot tell which post {part.url or part.remote_id} is (the "
                                "ledger holds no post id like 123_456); delete it by hand",
                                code="post-unknown")
        try:
            self._call("DELETE", f"/{post_id}", what=f"deleting {post_id}")
        except DeliveryError as exc:
            # #100/33 says "does not exist, or you may not see it": only a post that cannot be
            # read back either counts as gone.
            if exc.code != "object-missing" or self._exists(post_id):
                raise

    def _exists(self, post_id: str) -> bool:
        try:
            self._call("GET", f"/{post_id}", params={"fields": "id"}, what=f"reading {post_id}")
        except DeliveryError as exc:
            if exc.code == "object-missing":
                return False
            raise
        return True

    # -- the account ----------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """The page the token speaks for: a page access token's /me is the page itself."""
        page = self.options.page_id
        me = self._json(self._call("GET", "/me", params={"fields": "id,name"},
                                   what="reading whom the token speaks for"), "reading /me")
        if str(me.get("id")) != page:
            raise DeliveryError(f"facebook: {self.variable('token')} is not the Page access token of page "
                                f"{page}: it speaks for {me.get('name') or 'someone'} ({me.get('id')}). Put "
                                f"that page's token into {self.variable('token')} (see {DOCS}), or set "
                                "`page_id:` to the page it belongs to", code="auth-failed")
        expires = (datetime.combine(self.options.token_expires, datetime.min.time(), UTC)
                   if self.options.token_expires else None)
        notes = () if expires else (
            "Facebook does not tell a page token when it expires; one made from a long-lived user token "
            "never does (Meta's Access Token Debugger shows it). If yours does, set `token_expires:`",)
        return AccountCheck(account=f"{me.get('name') or 'the page'} (page {page})", expires_at=expires,
                            notes=notes)

    # -- plumbing -------------------------------------------------------------------

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True, ok: tuple[int, ...] = (200,),
              **kwargs: Any):
        """One Graph request with the token in its header; throttling waits or is left for a later
        run, and a refusal raises, explained."""
        token = self.credential("token")
        url = path if "://" in path else f"{self.options.api.rstrip('/')}/{self.options.api_version}{path}"
        what = f"facebook: {what}"
        policy = self.http.policy
        attempt = 0
        while True:
            attempt += 1
            self._respect_throttle(what)
            response = self.http.request(method, url, idempotent=idempotent, credential=self.variable("token"),
                                         what=what, ok=ok + REFUSALS, **kwargs,
                                         headers={"Authorization": f"Bearer {token}"})
            self._note_usage(response.headers)
            if response.status_code in ok:
                return response
            error = graph.graph_error(response)
            if error.rate_limited:
                # A throttled request was not acted on: sending it again is safe, even a create.
                wait = graph.regain_after(response.headers, self.http.clock())
                if wait is None or wait > policy.max_wait or attempt >= policy.attempts:
                    raise self._throttled(error, what, wait)
                self.http.sleep(max(wait, policy.backoff))
                continue
            if error.code in graph.TRANSIENT or error.transient:
                if not idempotent:
                    raise DeliveryError(f"{what}: Facebook failed ({self._mask(error.reason)}); it may have "
                                        "acted on it", ambiguous=True, status=error.status)
                if attempt < policy.attempts:
                    self.http.sleep(min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1)))
                    continue
            raise self._refused(error, what)

    def _respect_throttle(self, what: str) -> None:
        if self._resume_at is None:
            return
        wait = (self._resume_at - self.http.clock()).total_seconds()
        if wait > self.http.policy.max_wait:
            raise DeliveryError(f"{what}: Facebook lifts its limit in {wait / 60:.0f} min; it will go out in "
                                "a later run", retry_later=True, code="rate-limited")
        self._resume_at = None
        if wait > 0:
            self.http.sleep(wait)

    def _note_usage(self, headers: Any) -> None:
        """Meta says in any answer when a limit lifts; until then nothing is sent."""
        wait = graph.regain_after(headers, self.http.clock()) if graph.usage(headers) else None
        if wait:
            self._resume_at = self.http.clock() + timedelta(seconds=wait)

    def _throttled(self, error: graph.GraphError, what: str, wait: float | None) -> DeliveryError:
        when = f"for about {wait / 60:.0f} min more" if wait else "for up to an hour (Meta names no time)"
        return DeliveryError(f"{what}: Facebook is throttling the page or app {when} ({self._mask(error.reason)}); "
                             "it will go out in a later run", retry_later=True, status=error.status,
                             code="rate-limited")

    def _refused(self, error: graph.GraphError, what: str) -> DeliveryError:
        reason, variable, status = self._mask(error.reason), self.variable("token"), error.status
        if error.code in graph.AUTH or status == 401:
            problem = TOKEN_PROBLEMS.get(error.subcode or 0, "it expired, was revoked or is not a token")
            return DeliveryError(f"{what}: token rejected: check {variable}: {problem}; make a new Page access "
                                 f"token and put it into {variable} (see {DOCS}) ({reason})", status=status,
                                 code="auth-failed")
        if error.code in graph.PERMISSION or status == 403:
            return DeliveryError(f"{what}: refused: the token lacks a permission: it must be the Page access "
                                 f"token of page {self.options.page_id} with {PERMISSIONS}, made by someone who "
                                 f"may create content on the page; check {variable} ({reason})",
                                 status=status, code="forbidden")
        if error.code == graph.BLOCKED:
            return DeliveryError(f"{what}: Facebook blocks posting from the page for a while (against its "
                                 f"policies, or too fast); a later run tries again; see the page's notifications "
                                 f"({reason})", status=status, retry_later=True, code="blocked")
        if error.code == graph.DUPLICATE:
            return DeliveryError(f"{what}: refused as a duplicate ({reason})", status=status, code="duplicate-post")
        if error.code == 100 and error.subcode == graph.UNKNOWN_OBJECT:
            return DeliveryError(f"{what}: Facebook knows no such object, or the token may not see it ({reason})",
                                 status=status, code="object-missing")
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)

    def _mask(self, text: str) -> str:
        return self.http.secrets.mask(text)

    def _json(self, response: Any, what: str) -> dict:
        body = json_body(response)
        if isinstance(body, dict):
            return body
        raise DeliveryError(f"facebook: {what}: the answer ({response.status_code}) is not the JSON the "
                            "Graph API describes")

    def _published(self, post_id: str, permalink: Any) -> Published:
        return Published(post_id, permalink if _is_web_link(permalink) else post_link(post_id))


# -- ids, links and texts -------------------------------------------------------------


def post_link(post_id: str) -> str:
    """The web address every page post id has: `<page>_<post>` → facebook.com/<page>/posts/<post>."""
    page, _, post = post_id.partition("_")
    return f"{WEB}/{page}/posts/{post}" if post else f"{WEB}/{post_id}"


def post_id_of(part: SentPart, page_id: str) -> str | None:
    """The Graph id of a page's sent part: the ledger's, or one read from a link that holds the
    post's number (a link with an opaque `pfbid…` names no id)."""
    if part.remote_id and _POST_ID.match(part.remote_id):
        return part.remote_id
    link = urlsplit(part.url or "")
    found = _POST_PATH.match(link.path)
    if found:
        return f"{page_id}_{found[1]}"
    query = dict(parse_qsl(link.query))
    if query.get("story_fbid", "").isdigit() and query.get("id") == page_id:
        return f"{page_id}_{query['story_fbid']}"
    return None


def comparable(text: str) -> str:
    """Text reduced to what a reader sees, for matching ours with Facebook's copy."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _same_part(post: dict, wanted: str, since: datetime) -> bool:
    created = _moment(post.get("created_time"))
    return (isinstance(post.get("id"), str) and created is not None and created >= since
            and comparable(str(post.get("message") or "")) == wanted)


def _moment(value: Any) -> datetime | None:
    """Graph's times: `2026-12-01T11:30:05+0000`."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_web_link(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://www.facebook.com/", "https://facebook.com/"))
