"""A fake X API v2 following NETWORKS.md, X's OpenAPI description and answers others reported.

Authorization, on every request: an OAuth 1.0a signature (HMAC-SHA1 over the method,
URL, query and any form body, checked with oauthlib's reference functions; a nonce used
twice is refused) or an OAuth 2.0 bearer token that expires after `expires_in` seconds of
the shared clock. `POST /2/oauth2/token` refreshes a token and, as X does, replaces the
refresh token: the old one is refused from then on.

What it keeps: our account's posts and a few of other people (to reply to and quote),
with X's quirks in the text it answers: `&`, `<` and `>` as HTML entities, every link
as a t.co link, one more t.co link at the end of a post with images, and a reply to
someone else starting with their @name. Uploaded images (`POST /2/media/upload`,
multipart), their alt text (`POST /2/media/metadata`, at most 1,000 characters), and
every accepted text for the duplicate check: the same text again within
`duplicate_window` answers 403 "duplicate content", even after the post was deleted
(as reported for the real API). Refusals are problem+json bodies.

Rate limits: every answer carries `x-rate-limit-limit`, `-remaining` and `-reset` (epoch
seconds) for its endpoint; `POST /2/tweets` allows 200 per 15 minutes per user
(NETWORKS.md), and past that answers 429 until the reset.

Knobs a test sets: `act_then_fail` (create the post, then answer these statuses),
`hide_from_listing` (new posts missing from the account's listing: it lags),
`stall_after_create` (seconds of real time between creating and answering),
`limits` (per endpoint: [limit, window seconds]), `expires_in` (OAuth 2.0 token lifetime).
"""

from __future__ import annotations

import base64
import hmac
import itertools
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

from oauthlib.oauth1.rfc5849 import signature, utils
from twitter_text import extract_urls_with_indices, parse_tweet

from tests.fakes.server import FakeServer, Request, route

USER_ID = "1460000000000000001"
USERNAME = "crumbandco"
OTHER_ID = "1460000000000000099"
OTHER_NAME = "anna_bakes"
MAX_ALT = 1000
MAX_IMAGE_BYTES = 5 * 1024 * 1024
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
#: endpoint -> (limit, window seconds); X's published numbers where NETWORKS.md has them
LIMITS = {"POST /2/tweets": (200, 900), "DELETE /2/tweets": (50, 900), "GET /2/users/me": (75, 900),
          "GET /2/users/tweets": (900, 900), "POST /2/media/upload": (500, 900),
          "POST /2/media/metadata": (500, 900), "GET /2/tweets": (900, 900), "POST /2/oauth2/token": (100, 900)}


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra) -> tuple[int, dict]:
    return status, {"title": title, "detail": detail, "type": kind, "status": status, **extra}


def invalid(detail: str) -> tuple[int, dict]:
    return 400, {"errors": [{"message": detail}], "title": "Invalid Request",
                 "detail": "One or more parameters to your request was invalid.",
                 "type": "https://api.twitter.com/2/problems/invalid-request"}


class FakeX(FakeServer):
    def __init__(self, secret: str = "fake-access-secret", *, clock: Callable[[], datetime] | None = None,
                 api_key: str = "fake-api-key", api_secret: str = "fake-api-secret",
                 access_token: str = f"{USER_ID}-fakeaccesstoken", oauth2_token: str | None = None,
                 refresh_token: str = "fake-refresh-token", client_id: str = "fake-client-id",
                 client_secret: str | None = None) -> None:
        super().__init__()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.api_key, self.api_secret = api_key, api_secret
        self.access_token, self.access_secret = access_token, secret
        # OAuth 2.0: token -> when it expires; the refresh token that works now; the app's client
        self.bearers: dict[str, datetime] = {}
        if oauth2_token:
            self.bearers[oauth2_token] = self.clock() + timedelta(hours=2)
        self.refresh_token = refresh_token
        self.client_id, self.client_secret = client_id, client_secret
        self.expires_in = 7200
        self.nonces: set[str] = set()
        self.posts: dict[str, dict] = {}                 # id -> post as X keeps it (and `_sent`: as we sent it)
        self.media: dict[str, dict] = {}                 # media id -> {owner, content, content_type, alt, ...}
        self.remembered: list[tuple[str, str, datetime]] = []  # (author, text, at) for the duplicate check
        self.duplicate_window = timedelta(hours=24)       # unverified: X does not say
        self.act_then_fail: list[int] = []
        self.hide_from_listing = False
        self.stall_after_create = 0.0
        self.limits = {key: list(value) for key, value in LIMITS.items()}
        self.used: dict[str, tuple[datetime, int]] = {}   # endpoint -> (window start, requests)
        self.creates_handled = 0
        self._ids = itertools.count(1_870_000_000_000_000_001, 7)
        self._codes = itertools.count(1)
        self._state = threading.Lock()

    # -- for tests ------------------------------------------------------------------------

    def ours(self) -> list[dict]:
        """Our account's posts that exist, oldest first."""
        return sorted((p for p in self.posts.values() if p["author_id"] == USER_ID), key=lambda p: p["id"])

    def add_post(self, text: str, *, mine: bool = True, ago: timedelta = timedelta(0),
                 reply_to: str | None = None) -> dict:
        """A post made some other way (by hand, by someone else), `ago` before now."""
        with self._state:
            return self._store(USER_ID if mine else OTHER_ID, text, self.clock() - ago, reply_to=reply_to)

    def issue_bearer(self, token: str, lifetime: timedelta = timedelta(hours=2)) -> None:
        self.bearers[token] = self.clock() + lifetime

    def wait_for_creates(self, count: int, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while self.creates_handled < count and time.monotonic() < deadline:
            time.sleep(0.01)

    # -- plumbing: rate limits and authorization on every request ------------------------

    def _endpoint(self, request: Request) -> str:
        path = re.sub(r"/2/users/\d+/tweets", "/2/users/tweets", request.path)
        path = re.sub(r"/2/tweets/\d+", "/2/tweets", path)
        return f"{request.method} {path}"

    def _dispatch(self, request: Request) -> tuple:
        endpoint = self._endpoint(request)
        headers = {}
        with self._state:
            if endpoint in self.limits:
                limit, window = self.limits[endpoint]
                now = self.clock()
                start, used = self.used.get(endpoint, (now, 0))
                if now >= start + timedelta(seconds=window):
                    start, used = now, 0
                reset = int((start + timedelta(seconds=window)).timestamp())
                if used >= limit:
                    self.used[endpoint] = (start, used)
                    return (*problem(429, "Too Many Requests", "Too Many Requests"),
                            {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": "0",
                             "x-rate-limit-reset": str(reset)})
                self.used[endpoint] = (start, used + 1)
                headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(limit - used - 1),
                           "x-rate-limit-reset": str(reset)}
        if request.path != "/2/oauth2/token" and not self._authorized(request):
            return (*problem(401, "Unauthorized", "Unauthorized"), headers)
        status, body, *extra = super()._dispatch(request)
        return status, body, {**headers, **(extra[0] if extra else {})}

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            expires = self.bearers.get(header.removeprefix("Bearer "))
            return expires is not None and self.clock() < expires
        if not header.startswith("OAuth "):
            return False
        params = dict(utils.parse_authorization_header(header))
        if (params.get("oauth_consumer_key"), params.get("oauth_token")) != (self.api_key, self.access_token):
            return False
        if params.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        query = urlencode([(key, value) for key, values in request.query.items() for value in values])
        form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        collected = signature.collect_parameters(uri_query=query, body=request.body.decode() if form else "",
                                                 headers={"Authorization": header})
        base = signature.signature_base_string(request.method, signature.base_string_uri(self.url + request.path),
                                               signature.normalize_parameters(collected))
        expected = signature.sign_hmac_sha1_with_client(
            base, SimpleNamespace(client_secret=self.api_secret, resource_owner_secret=self.access_secret))
        with self._state:
            if params.get("oauth_nonce") in self.nonces:
                return False  # a signed request sent twice
            self.nonces.add(params.get("oauth_nonce", ""))
        return hmac.compare_digest(expected, utils.unescape(params.get("oauth_signature", "")))

    # -- the account ------------------------------------------------------------------------

    @route("GET", r"/2/users/me")
    def me(self, request: Request):
        return 200, {"data": {"id": USER_ID, "name": "Crumb & Co.", "username": USERNAME}}

    @route("POST", r"/2/oauth2/token")
    def token(self, request: Request):
        form = dict(parse_qsl(request.body.decode()))
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_request", "error_description": "Missing required parameter [client_id]."}
        if self.client_secret is not None:
            basic = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("authorization") != basic:
                return 401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
        with self._state:
            if form.get("refresh_token") != self.refresh_token:
                return 400, {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}
            serial = next(self._codes)
            access, self.refresh_token = f"fresh-access-{serial}", f"fresh-refresh-{serial}"
            self.bearers[access] = self.clock() + timedelta(seconds=self.expires_in)
        return 200, {"token_type": "bearer", "expires_in": self.expires_in, "access_token": access,
                     "scope": "tweet.write users.read tweet.read media.write offline.access",
                     "refresh_token": self.refresh_token}

    # -- posts ----------------------------------------------------------------------------

    @route("POST", r"/2/tweets")
    def create(self, request: Request):
        try:
            return self._create(request)
        finally:
            with self._state:
                self.creates_handled += 1

    def _create(self, request: Request):
        try:
            body = request.json()
        except ValueError:
            return invalid("The request body is not JSON")
        if not isinstance(body, dict):
            return invalid("The request body must be an object")
        text = body.get("text", "")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        quoted = body.get("quote_tweet_id")
        if not isinstance(text, str) or (not text and not media_ids):
            return invalid("$.text: Tweet text is required when no media is attached")
        if text and not parse_tweet(text).valid:
            return invalid("$.text: Tweet text is too long or holds characters X does not accept")
        if quoted and media_ids:
            return invalid("$.media: media is mutually exclusive with quote_tweet_id")
        if len(media_ids) > 4:
            return invalid("$.media.media_ids: there must be a maximum of 4 items in the array")
        with self._state:
            now = self.clock()
            for media_id in media_ids:
                stored = self.media.get(media_id)
                if stored is None or stored["owner"] != USER_ID or now > stored["expires_at"]:
                    return invalid("Your media IDs are invalid.")
            if reply_to and reply_to not in self.posts:
                return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not "
                                                 "visible to you.")
            if quoted and quoted not in self.posts:
                return invalid("$.quote_tweet_id: Could not find the quoted Tweet")
            for author, earlier, at in self.remembered:
                if (author, earlier) == (USER_ID, text) and now - at < self.duplicate_window:
                    return problem(403, "Forbidden", DUPLICATE)
            post = self._store(USER_ID, text, now, reply_to=reply_to, quoted=quoted, media_ids=media_ids)
            if self.hide_from_listing:
                post["_hidden"] = True
            failure = self.act_then_fail.pop(0) if self.act_then_fail else None
        if self.stall_after_create:
            time.sleep(self.stall_after_create)
        if failure:
            return problem(failure, "Internal Server Error" if failure == 500 else "Service Unavailable",
                           "Something went wrong")
        return 201, {"data": {"id": post["id"], "text": post["text"], "edit_history_tweet_ids": [post["id"]]}}

    def _store(self, author: str, text: str, at: datetime, *, reply_to: str | None = None,
               quoted: str | None = None, media_ids: list[str] = ()) -> dict:
        post_id = str(next(self._ids))
        shown = self._shown(text)
        references = []
        if reply_to:
            references.append({"type": "replied_to", "id": reply_to})
            parent = self.posts.get(reply_to)
            if parent and parent["author_id"] != author:
                shown = f"@{OTHER_NAME if parent['author_id'] == OTHER_ID else USERNAME} {shown}"
        if quoted:
            references.append({"type": "quoted", "id": quoted})
        post = {"id": post_id, "text": shown, "author_id": author,
                "created_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
                "edit_history_tweet_ids": [post_id], "_sent": text}
        if references:
            post["referenced_tweets"] = references
        if media_ids:
            post["attachments"] = {"media_keys": [f"3_{media_id}" for media_id in media_ids]}
            post["text"] = f"{shown} https://t.co/{self._code()}".strip()
            post["_alts"] = [self.media[m]["alt"] for m in media_ids]
        self.posts[post_id] = post
        self.remembered.append((author, text, at))
        return post

    def _shown(self, text: str) -> str:
        """The text as X answers it: links as t.co links, then &, < and > as HTML entities."""
        pieces, position = [], 0
        for url in extract_urls_with_indices(text):
            start, end = url["indices"]
            pieces += [text[position:start], f"https://t.co/{self._code()}"]
            position = end
        pieces.append(text[position:])
        return "".join(pieces).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def _code(self) -> str:
        return f"{next(self._codes):010d}"

    @staticmethod
    def view(post: dict) -> dict:
        return {key: value for key, value in post.items() if not key.startswith("_")}

    @route("GET", r"/2/tweets/(?P<post_id>\d+)")
    def get_post(self, request: Request, post_id: str):
        post = self.posts.get(post_id)
        if post is None:
            return 200, {"errors": [{"value": post_id, "detail": f"Could not find tweet with id: [{post_id}].",
                                     "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                                     "resource_id": post_id,
                                     "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
        return 200, {"data": self.view(post)}

    @route("DELETE", r"/2/tweets/(?P<post_id>\d+)")
    def delete(self, request: Request, post_id: str):
        with self._state:
            post = self.posts.get(post_id)
            if post is None:
                return 200, {"data": {"deleted": False}}  # unverified: what X answers for a post that is gone
            if post["author_id"] != USER_ID:
                return problem(403, "Forbidden", "You are not allowed to delete this Tweet.")
            del self.posts[post_id]
        return 200, {"data": {"deleted": True}}

    @route("GET", r"/2/users/(?P<user_id>\d+)/tweets")
    def timeline(self, request: Request, user_id: str):
        query = {key: values[-1] for key, values in request.query.items()}
        size = int(query.get("max_results", "10"))
        if not 5 <= size <= 100:
            return invalid("The `max_results` query parameter value is not between 5 and 100")
        since = query.get("start_time")
        start = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        with self._state:
            listed = [p for p in self.posts.values() if p["author_id"] == user_id and not p.get("_hidden")
                      and (start is None or datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) >= start)]
        listed.sort(key=lambda p: int(p["id"]), reverse=True)
        offset = int(query.get("pagination_token", "0") or 0)
        page = listed[offset:offset + size]
        fields = set((query.get("tweet.fields") or "").split(","))
        shown = [{key: value for key, value in self.view(p).items()
                  if key in ("id", "text", "edit_history_tweet_ids") or key in fields} for p in page]
        meta = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(listed):
            meta["next_token"] = str(offset + size)
        return 200, ({"data": shown, "meta": meta} if page else {"meta": meta})

    # -- images ---------------------------------------------------------------------------

    @route("POST", r"/2/media/upload")
    def upload(self, request: Request):
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return invalid("media upload must be multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
        fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        if "media" not in fields or fields.get("media_category") is None:
            return invalid("media and media_category are required")
        category = fields["media_category"].get_content().strip()
        if category != "tweet_image":
            return invalid(f"media_category {category!r} needs the chunked upload")
        content = fields["media"].get_payload(decode=True) or b""
        if len(content) > MAX_IMAGE_BYTES:
            return invalid("File size exceeds 5242880 bytes.")
        with self._state:
            media_id = str(next(self._ids))
            self.media[media_id] = {"owner": USER_ID, "content": content,
                                    "content_type": fields["media"].get_content_type(), "alt": None,
                                    "expires_at": self.clock() + timedelta(days=1)}
        return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(content),
                              "expires_after_secs": 86400, "image": {"image_type": "image/png", "w": 1, "h": 1}}}

    @route("POST", r"/2/media/metadata")
    def metadata(self, request: Request):
        body = request.json()
        media_id = body.get("id") if isinstance(body, dict) else None
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text") if media_id else None
        stored = self.media.get(media_id or "")
        if stored is None or stored["owner"] != USER_ID:
            return invalid("$.id: media not found")
        if not isinstance(alt, str) or len(alt) > MAX_ALT:
            return invalid(f"$.metadata.alt_text.text: at most {MAX_ALT} characters")
        stored["alt"] = alt
        return 200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}


def sent_texts(server: FakeX) -> list[str]:
    """Our posts as we sent them, oldest first (for the contract's `online`)."""
    return [post["_sent"] for post in server.ours()]


def parents(server: FakeX) -> dict[str, str | None]:
    """text -> the text of the post it replies to, for our posts."""
    texts = {post["id"]: post["_sent"] for post in server.posts.values()}
    return {post["_sent"]: texts.get(next((r["id"] for r in post.get("referenced_tweets", [])
                                           if r["type"] == "replied_to"), None))
            for post in server.ours()}
