"""X posts through API v2: text, threads, replies, quotes, images with alt text, deletion.

Exactly once without an idempotency key: X has none. A create whose outcome is
unclear (a timeout after sending, a broken connection, a 500, 502, 503 or 504) is
never repeated blindly; `reconcile` reads the account's posts since the attempt
(`GET /2/users/:id/tweets` with `start_time`) and looks for ours: the same text
(links compared as links, since X shortens them to t.co), the same post replied to
or quoted, the same number of images, and not a post another part already went
out as. Two candidates leave the part to a person.

X also refuses an identical text from the same account for a while (403 "duplicate
content", without naming the post). For a part that was attempted before, that
answer means the earlier attempt probably went out: the account's posts are read
again, and if ours is still not among them the part is `uncertain`. For a part never
attempted, it is a refusal: an older post of the account holds the same text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import AccountCheck, Capability, Network, Uncertain
from pipeline.networks.cost import CostEstimate, PostCost
from pipeline.networks.delivery import DeliveryError, json_body
from pipeline.networks.look import About, Approximate, Identity, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.networks.x import auth
from pipeline.networks.x.counting import has_url, lower_bound, upper_bound, url_spans, weighted_count
from pipeline.text.count import Count

API = "https://api.x.com"
POST_PAGE = "https://x.com/i/web/status/"
#: answers explained here in X's own words; 429 stays with Http (it waits, or leaves the part for later)
REFUSALS = (400, 401, 402, 403, 404, 409, 422)
#: the account's posts read per page (the API's maximum) and pages at most
PAGE_SIZE = 100
MAX_PAGES = 5
#: how far a post's created_at may lie before our `pending` time (clocks differ)
CLOCK_SKEW = timedelta(minutes=10)
DUPLICATE = "duplicate content"
#: a post's page on X or Twitter: /<user>/status/<id>, /i/web/status/<id>, with or without a tail
POST_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:i/web|[A-Za-z0-9_]{1,15})"
                      r"/status(?:es)?/(?P<id>\d{1,19})(?:[/?#].*)?$", re.IGNORECASE)
#: X's prices, from its pricing page as NETWORKS.md records it (checked 2026-12-01)
PRICES_SOURCE = ("X's pay-per-use prices as of 2026-12-01; prices: under the channel in content/channels.yml "
                 "changes them")
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")


class XPrices(BaseModel):
    """What X charges per post (pay-per-use credits); keep it in step with X's pricing page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    post: float = Field(0.015, ge=0, description="A post without a link")
    post_with_url: float = Field(0.20, ge=0, description="A post whose text holds a link")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the prices")


class XOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, pattern=r"^@?[A-Za-z0-9_]{1,15}$",
                                 description="The account's @name: links name it, and `social channels check` "
                                             "makes sure the credentials post as it")
    auth: Literal["oauth1", "oauth2"] = Field("oauth1", description="oauth1: API key and secret with the "
                                              "account's access token and secret (they do not expire); oauth2: "
                                              "a user access token (2 hours), optionally refreshed once per run")
    api: str = Field(API, pattern=r"^https?://", description="Base URL of X's API")
    prices: XPrices = Field(XPrices(), description="What X charges per post, for the estimates of `social "
                            "render` and `social preview` (USD; defaults from X's pricing page, 2026)")


class XNetwork(Network):
    name = "x"
    title = "X"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.REPLY, Capability.QUOTE, Capability.DELETE, Capability.RECONCILE})
    max_length = 280
    counted_as = ("twitter-text v3 weights after NFC: most scripts 1, CJK and emoji 2, every link 23 "
                  "(bare domains too)")
    max_images = 4
    max_image_bytes = 5 * 1024 * 1024
    max_image_side = 8192
    max_alt_length = 1000
    # Animated GIFs need X's chunked upload with processing, which this module does not do.
    image_formats = frozenset({"jpeg", "png", "webp"})
    required_credentials = auth.OAUTH1
    credentials_note = ("with `auth: oauth2`: `access_token`, and optionally `refresh_token` with `client_id` "
                        "(and `client_secret` for a confidential client)")
    quote_takes_images = False
    Options: ClassVar[type[BaseModel]] = XOptions
    inbox_note = ("not read: X's mentions timeline (GET /2/users/:id/mentions) is charged per post read; "
                  "answer from the app")
    docs = "networks/x.md"
    # The web app: links as t.co shows them, four images in a 16:9 box; the blue darkened for contrast.
    look = Look(accent="#0b6fb3", accent_dark="#1d9bf0", link_chars=23,
                approximate=(Approximate(About.LINKS, "links shown with about 23 characters, then …"),))

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        username = getattr(options, "username", None)
        return Identity(handle="@" + username.lstrip("@") if username else None)

    # -- what validation and rendering ask ------------------------------------------------

    @classmethod
    def credential_names(cls, options: Any = None, named: Collection[str] = ()) -> tuple[str, ...]:
        return auth.credential_names(getattr(options, "auth", "oauth1"), named)

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return weighted_count(text, limit)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        return upper_bound(text)

    @classmethod
    def lower_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        return lower_bound(text)

    @classmethod
    def engagement_problem(cls, key: str, url: str) -> str | None:
        if post_id_of(url) is None:
            return f"{url} is not a post on X (https://x.com/<name>/status/<number>)"
        return None

    @classmethod
    def hosts_post(cls, url: str, options: Any) -> bool:
        return post_id_of(url) is not None

    @classmethod
    def estimate_cost(cls, parts: Sequence[str], options: Any = None) -> CostEstimate | None:
        """Each part is a post X charges for: more when its text holds a link."""
        prices = getattr(options, "prices", None) or XPrices()
        posts = tuple(PostCost("post_with_url", prices.post_with_url, prices.currency) if has_url(text)
                      else PostCost("post", prices.post, prices.currency) for text in parts)
        return CostEstimate(posts, PRICES_SOURCE)

    # -- the transport ----------------------------------------------------------------------

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth: auth.OAuth1Signing | auth.OAuth2Bearer | None = None
        self._user: dict[str, str] | None = None
        # (key, image index) -> media id: a part sent again reuses its uploads
        self._uploaded: dict[tuple[str, int], str] = {}
        # key -> when this part was first attempted or looked for (this run, or the run that left it pending)
        self._attempted: dict[str, datetime] = {}

    def publish(self, request: PartRequest) -> Published:
        unsupported = sorted(set(request.engagement) - {"reply_to", "quote"})
        if unsupported:
            # Validation refuses these for X; a reply must never go out as a plain post.
            raise DeliveryError(f"{request.label}: X channels cannot {' or '.join(unsupported)}; nothing was "
                                "sent", code="engagement-unsupported")
        if not request.text.strip() and not request.media:
            raise DeliveryError(f"{request.label}: nothing to post (no text, no image)", code="part-empty")
        # A post of images alone carries no text at all: X refuses an empty one.
        body: dict[str, Any] = {"text": request.text} if request.text.strip() else {}
        replying_to = self._reply_target(request)
        if replying_to:
            body["reply"] = {"in_reply_to_tweet_id": replying_to}
        quoted = self._target(request, "quote")
        if quoted:
            if request.media:
                raise DeliveryError(f"{request.label}: X takes no images beside a quote; nothing was sent",
                                    code="quote-with-images")
            body["quote_tweet_id"] = quoted
        if request.media:
            body["media"] = {"media_ids": [self._upload(request, index, media)
                                           for index, media in enumerate(request.media)]}
        return self._create(request, body)

    def _create(self, request: PartRequest, body: dict) -> Published:
        what = f"posting {request.label}"
        earlier = self._attempted.get(request.key)
        self._attempted.setdefault(request.key, self.http.clock())
        response = self._call("POST", "/2/tweets", what=what, idempotent=False, ok=(201, 200, 503), json=body,
                              refusals={403: lambda r: self._duplicate(request, r, earlier)})
        if isinstance(response, Published):
            return response
        if response.status_code == 503:
            # X has been seen to create posts it answered 503 for: never sent again blindly.
            raise DeliveryError(f"x: {what}: X is over capacity (503); it may have posted it", ambiguous=True,
                                status=503)
        data = _data(response)
        post_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(post_id, str) or not post_id.isdigit():
            raise DeliveryError(f"x: {what}: X answered {response.status_code} but named no post", ambiguous=True)
        return Published(post_id, self._link(post_id))

    def _duplicate(self, request: PartRequest, response: Any, earlier: datetime | None) -> Published | None:
        """A 403 for duplicate content: the earlier attempt at this part, or a refusal. None: not a duplicate."""
        reason = _reason(response, self.http.secrets.mask)
        if DUPLICATE not in reason.lower():
            return None
        if earlier is None:
            raise DeliveryError(
                f"x: posting {request.label}: X refuses the text as a duplicate of a recent post of the account "
                f"({reason}); nothing was posted. If that post is this part (sent by hand, or by a run "
                f"whose record was lost), run `social resolve {request.post_id} --channel {request.channel_id} "
                f"--part {request.number} --published URL`; otherwise change the text", status=403,
                code="duplicate-content")
        try:
            found = self._find(request, earlier - CLOCK_SKEW)
        except DeliveryError as exc:
            # The earlier attempt is probably out: the part stays pending and the next run looks again.
            raise DeliveryError(f"x: posting {request.label}: X refuses the text as a duplicate of an earlier "
                                f"attempt, which may be online, and its posts cannot be read now: {exc.message}",
                                ambiguous=True, status=403) from None
        if found is not None:
            return found
        raise self._cannot_tell(request, earlier, "X refuses the text as a duplicate, and the account's posts since "
                                "then do not show it (X's listing may lag behind)")

    def _reply_target(self, request: PartRequest) -> str | None:
        if request.number > 1:
            parent = request.parent
            if parent is None or not parent.remote_id:
                # Without it the part would go out as a post of its own, outside the thread.
                raise DeliveryError(f"{request.label}: the ledger holds no id for part {request.number - 1}, so "
                                    "this part cannot reply to it; nothing was sent", code="thread-parent-unknown")
            return parent.remote_id
        return self._target(request, "reply_to")

    def _target(self, request: PartRequest, key: str) -> str | None:
        url = request.engagement.get(key)
        if not url:
            return None
        post_id = post_id_of(url)
        if post_id is None:
            raise DeliveryError(f"{request.label}: {url} is not a post on X, so it cannot be the {key}; "
                                "nothing was sent", code="engagement-unresolved")
        return post_id

    # -- images -----------------------------------------------------------------------------

    def _upload(self, request: PartRequest, index: int, media: MediaFile) -> str:
        cached = self._uploaded.get((request.key, index))
        if cached:
            return cached
        name = media.path.name
        content = media.content(request.label)
        # An upload no post uses expires unseen: repeating one is harmless.
        response = self._call("POST", "/2/media/upload", what=f"uploading {name}",
                              files={"media": (name, content, media.content_type)},
                              data={"media_category": "tweet_image"})
        data = _data(response)
        media_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise DeliveryError(f"x: uploading {name}: the answer names no media id")
        if media.alt:
            self._call("POST", "/2/media/metadata", what=f"adding the alt text of {name}",
                       json={"id": media_id, "metadata": {"alt_text": {"text": media.alt}}})
        self._uploaded[(request.key, index)] = media_id
        return media_id

    # -- reconcile --------------------------------------------------------------------------

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """Find the part among the account's posts since it was sent; None when it is surely not there."""
        sent_at = sent_at or self.http.clock()
        self._attempted[request.key] = min(sent_at, self._attempted.get(request.key, sent_at))
        return self._find(request, sent_at - CLOCK_SKEW)

    def _find(self, request: PartRequest, since: datetime) -> Published | None:
        user = self._whoami()
        params: dict[str, Any] = {"max_results": PAGE_SIZE, "start_time": _iso(since), "exclude": "retweets",
                                  "tweet.fields": "created_at,referenced_tweets,attachments"}
        found: list[str] = []
        for _ in range(MAX_PAGES):
            response = self._call("GET", f"/2/users/{user['id']}/tweets", what="reading the account's recent posts",
                                  params=params)
            body = json_body(response)
            page = body.get("data") if isinstance(body, dict) else None
            if page is None and isinstance(body, dict) and isinstance(body.get("meta"), dict):
                page = []  # X leaves `data` out when nothing matches
            if not isinstance(page, list):
                raise DeliveryError("x: reading the account's recent posts: the answer holds no posts")
            # A post another part already went out as is never taken for this one.
            found += [post["id"] for post in page if isinstance(post, dict) and self._same_part(post, request, since)
                      and post["id"] not in request.claimed]
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                if len(found) > 1:
                    raise self._cannot_tell(request, since + CLOCK_SKEW, f"{len(found)} of the account's posts "
                                            f"could be it ({', '.join(self._link(i) for i in found[:3])})")
                return Published(found[0], self._link(found[0])) if found else None
            params["pagination_token"] = token
        raise self._cannot_tell(request, since + CLOCK_SKEW, f"more than {PAGE_SIZE * MAX_PAGES} posts of the "
                                "account were made since, and only those were read")

    def _same_part(self, post: dict, request: PartRequest, since: datetime) -> bool:
        created = _moment(post.get("created_at"))
        if not isinstance(post.get("id"), str) or created is None or created < since:
            return False
        references = {ref.get("type"): ref.get("id") for ref in post.get("referenced_tweets") or []
                      if isinstance(ref, dict)}
        if references.get("replied_to") != self._expected_reply(request):
            return False
        if references.get("quoted") != post_id_of(request.engagement.get("quote") or ""):
            return False
        media_keys = (post.get("attachments") or {}).get("media_keys") or []
        if len(media_keys) != len(request.media):
            return False
        theirs = comparable(str(post.get("text") or ""), from_x=True, with_media=bool(media_keys))
        ours = comparable(request.text)
        if theirs == ours:
            return True
        # X puts the @names of the people replied to before a reply's text.
        return bool(references.get("replied_to")) and _without_mentions(theirs) == _without_mentions(ours)

    def _expected_reply(self, request: PartRequest) -> str | None:
        if request.number > 1:
            return request.parent.remote_id if request.parent else None
        return post_id_of(request.engagement.get("reply_to") or "")

    def _cannot_tell(self, request: PartRequest, sent_at: datetime, why: str) -> Uncertain:
        name = self.options.username or (self._user or {}).get("username")
        where = f"https://x.com/{name.lstrip('@')}" if name else "the account on X"
        preview = " ".join(request.text.split())[:60]
        return Uncertain(f"{request.label} was sent to X at {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC and may "
                         f"have been published, but {why}, so sending it again could post it twice. Look at {where} "
                         f"for a post starting {preview!r}, then run `social resolve {request.post_id} --channel "
                         f"{request.channel_id} --part {request.number}` with --published URL (its link, "
                         "https://x.com/<name>/status/<number>) or --not-published", code="uncertain")

    # -- delete -----------------------------------------------------------------------------

    def delete(self, part: SentPart) -> None:
        """Delete the post; one that is already gone is fine."""
        post_id = part.remote_id if (part.remote_id or "").isdigit() else post_id_of(part.url or "")
        if not post_id:
            raise DeliveryError(f"x: cannot tell which post {part.url or part.remote_id} is (no number in the "
                                "ledger); delete it by hand", code="post-unknown")
        response = self._call("DELETE", f"/2/tweets/{post_id}", ok=(200, 404), what=f"deleting {self._link(post_id)}")
        data = _data(response)
        if response.status_code == 404 or (isinstance(data, dict) and data.get("deleted") is True):
            return
        # X answered without deleting: gone already, or still there?
        check = self._call("GET", f"/2/tweets/{post_id}", ok=(200, 404), what=f"reading {self._link(post_id)}")
        if check.status_code == 200 and isinstance(_data(check), dict):
            raise DeliveryError(f"x: X did not delete {self._link(post_id)} and it is still online; delete it by "
                                "hand or let the next run try again")

    # -- the account --------------------------------------------------------------------------

    def check_account(self) -> AccountCheck:
        """Who the credentials post as (`GET /2/users/me`), and how long they last."""
        user = self._whoami()
        wanted = (self.options.username or "").lstrip("@")
        if wanted and wanted.lower() != user["username"].lower():
            raise DeliveryError(f"x: the credentials post as @{user['username']}, not @{wanted}; set `username:` "
                                f"of channel {self.channel.id!r} or use @{wanted}'s tokens", code="auth-failed")
        signing = self._signing()
        notes = [signing.lifetime_note(), *getattr(signing, "notes", [])]
        return AccountCheck(account=f"@{user['username']} ({user['id']})", expires_at=signing.expires_at,
                            notes=tuple(notes))

    def _whoami(self) -> dict[str, str]:
        if self._user is None:
            response = self._call("GET", "/2/users/me", what="reading the account the credentials belong to")
            data = _data(response)
            if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data.get("username"):
                raise DeliveryError("x: reading the account: the answer names no user")
            self._user = {"id": data["id"], "username": str(data["username"])}
        return self._user

    # -- plumbing ---------------------------------------------------------------------------

    def _signing(self) -> auth.OAuth1Signing | auth.OAuth2Bearer:
        if self._auth is None:
            if self.options.auth == "oauth2":
                self._auth = auth.OAuth2Bearer(self.credential, self.variable, self.channel.credentials,
                                               http=self.http, token_url=self._url("/2/oauth2/token"))
            else:
                self._auth = auth.OAuth1Signing(self.credential, self.variable)
        return self._auth

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = True, ok: tuple[int, ...] = (200,),
              refusals: dict | None = None, headers: dict[str, str] | None = None, **kwargs: Any):
        """One request, authorized; a refusal not in `ok` raises, explained.

        `refusals` maps a status to a handler that may answer for it (a Published) or return None.
        An OAuth 2.0 token X refuses is refreshed once and the request sent again: a 401 means
        X did nothing with it.
        """
        what = f"x: {what}"
        signing = self._signing()
        while True:
            arguments = signing.request_arguments()
            response = self.http.request(method, self._url(path), idempotent=idempotent,
                                         credential=signing.variables, what=what, ok=ok + REFUSALS, **kwargs,
                                         headers={**(headers or {}), **arguments.pop("headers", {})}, **arguments)
            if response.status_code == 401 and signing.can_refresh:
                signing.refresh()
                continue
            break
        if response.status_code in ok:
            return response
        handler = (refusals or {}).get(response.status_code)
        answer = handler(response) if handler else None
        if answer is not None:
            return answer
        raise self._refused(response, what)

    def _refused(self, response: Any, what: str) -> DeliveryError:
        status = response.status_code
        reason = _reason(response, self.http.secrets.mask)
        kind = _problem_type(response)
        signing = self._signing()
        if status == 401:
            return DeliveryError(f"{what}: X refused the credentials: {signing.rejected()} ({reason})", status=status,
                                 code="auth-failed")
        if status == 402:
            return DeliveryError(f"{what}: X asks for payment (402): the app's credits are used up or its plan does "
                                 f"not include this; buy credits in X's developer console ({reason})", status=status,
                                 code="payment-required")
        if status == 403 and kind.endswith("oauth1-permissions"):
            return DeliveryError(f"{what}: refused (403): the app may only read. Set its permissions to \"Read and "
                                 "write\" in X's developer console, then generate the access token and secret again "
                                 f"and put them into {signing.variables} ({reason})", status=status, code="forbidden")
        if status == 403 and kind.endswith("client-forbidden"):
            return DeliveryError(f"{what}: refused (403): the app has no access to this part of X's API (it must "
                                 f"belong to a project with API access in X's developer console) ({reason})",
                                 status=status, code="forbidden")
        if status == 403:
            scopes = " or the token lacks a scope (tweet.write, media.write)" if signing.kind == "oauth2" else ""
            return DeliveryError(f"{what}: refused (403){scopes}: {reason}", status=status, code="forbidden")
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)

    def _url(self, path: str) -> str:
        return self.options.api.rstrip("/") + path

    def _link(self, post_id: str) -> str:
        name = (self.options.username or "").lstrip("@") or (self._user or {}).get("username")
        return f"https://x.com/{name}/status/{post_id}" if name else POST_PAGE + post_id


# -- reading posts back ------------------------------------------------------------------


def post_id_of(url: str) -> str | None:
    """The number of a post on X from its link (x.com or twitter.com), None for anything else."""
    match = POST_URL.match(url.strip())
    return match["id"] if match else None


def comparable(text: str, *, from_x: bool = False, with_media: bool = False) -> str:
    """Text reduced to what survives X's handling, for matching ours with X's copy.

    X answers a post's text with `&`, `<` and `>` as HTML entities, every link as a
    t.co link, and a post with images with one more t.co link at its end: each link
    becomes one mark, and that last one goes.
    """
    if from_x:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    spans = url_spans(text)
    if from_x and with_media and spans and spans[-1][1] == len(text.rstrip()):
        text, spans = text[:spans[-1][0]], spans[:-1]
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], " \u2192link "]
        position = end
    pieces.append(text[position:])
    return " ".join("".join(pieces).split())


def _without_mentions(text: str) -> str:
    return _LEADING_MENTIONS.sub("", text)


def _data(response: Any) -> Any:
    body = json_body(response)
    return body.get("data") if isinstance(body, dict) else None


def _reason(response: Any, mask: Any = None) -> str:
    """X's words for a refusal: a problem's detail and title, or its errors' messages."""
    body = json_body(response)
    words = ""
    if isinstance(body, dict):
        detail, title = body.get("detail"), body.get("title")
        errors = [e.get("message") or e.get("detail") for e in body.get("errors") or [] if isinstance(e, dict)]
        words = "; ".join(str(w) for w in [detail or title, *errors] if w)
        if not words:
            words = str(body.get("error_description") or body.get("error") or "")
    if not words:
        words = (getattr(response, "text", "") or "").strip().replace("\n", " ")[:300] or "no reason given"
    words = words[:300]
    return mask(words) if mask else words


def _problem_type(response: Any) -> str:
    body = json_body(response)
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
