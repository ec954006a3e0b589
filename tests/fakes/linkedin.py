"""A fake LinkedIn REST API following NETWORKS.md and LinkedIn's Posts and Images API docs.

Checked on every request to /rest/: `Authorization: Bearer <token>`, a
`LinkedIn-Version` the fake still serves (426 NONEXISTENT_VERSION for a retired
or unknown one, 400 VERSION_MISSING without one) and `X-Restli-Protocol-Version:
2.0.0`. URNs in paths must be percent-encoded, as Rest.li wants. Answers and
error bodies have the shapes LinkedIn's docs and reported answers show.

What it keeps: posts (times in epoch milliseconds), images (initialized, then
uploaded by PUT to their upload URL), and every accepted create's author and
commentary for the duplicate check: the same author and commentary again within
`duplicate_window` answers 422 DUPLICATE_POST naming the first post, even after
that post was deleted (as reported for the real API).

Knobs a test sets: `scopes` (the token's permissions), `budget(remaining,
retry_after)`, `act_then_fail` (create the post, then answer these statuses),
`vanish` (answer 201 for this many creates that are never stored nor remembered:
the page post that never appeared), `stall_after_create` (seconds of real time
between creating a post and answering), `hide_from_listing` (the listing lags).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from tests.fakes.server import FakeServer, Request, route

OLDEST_VERSION = "202512"   # 202511 was retired on 2026-11-16
NEWEST_VERSION = "202612"
MAX_COMMENTARY = 3000
ALL_SCOPES = frozenset({"w_member_social", "r_member_social", "w_organization_social", "r_organization_social"})
VISIBILITIES = ("PUBLIC", "CONNECTIONS", "LOGGED_IN")
REQUIRED = ("author", "commentary", "visibility", "distribution", "lifecycleState")


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def error(status: int, message: str, code: str | None = None, **extra) -> tuple[int, dict]:
    body = {"status": status, "message": message, **extra}
    if code:
        body["code"] = code
    return status, body


class FakeLinkedIn(FakeServer):
    def __init__(self, token: str = "fake-token", *, clock: Callable[[], datetime] | None = None,
                 author: str = "urn:li:organization:42",
                 scopes: frozenset[str] = frozenset({"w_member_social", "w_organization_social",
                                                     "r_organization_social"})) -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.authors = {author}
        self.scopes = set(scopes)
        self.posts: dict[str, dict] = {}                 # urn -> post, as GET answers it
        self.images: dict[str, dict] = {}                # image urn -> {owner, upload id, content, ...}
        self.uploads: dict[str, str] = {}                # upload id -> image urn
        self.remembered: list[tuple[str, str, str, datetime]] = []  # (author, commentary, urn, at)
        self.duplicate_window = timedelta(hours=24)      # unverified: LinkedIn does not say
        self.act_then_fail: list[int] = []
        self.vanish = 0
        self.stall_after_create = 0.0
        self.hide_from_listing = False
        self.creates_handled = 0
        self.remaining: int | None = None
        self.retry_after: int | None = None
        self.limited_until: datetime | None = None
        self._ids = itertools.count(7_400_000_000_000_000_001)
        self._state = threading.Lock()

    # -- for tests ------------------------------------------------------------------------

    def budget(self, remaining: int, retry_after: int | None = None) -> None:
        """Requests left before 429 answers, and the Retry-After those carry (None: no header, and
        the limit never lifts). Once Retry-After has passed, requests are unlimited again."""
        self.remaining = remaining
        self.retry_after = retry_after
        self.limited_until = None

    def ours(self) -> list[dict]:
        """Posts that exist, oldest first."""
        return sorted(self.posts.values(), key=lambda p: (p["createdAt"], p["id"]))

    def add_post(self, commentary: str, *, author: str | None = None, ago: timedelta = timedelta(0)) -> dict:
        """A post made some other way (by hand, another tool), `ago` before now."""
        with self._state:
            return self._store(author or next(iter(self.authors)), commentary, None, self.clock() - ago)

    def wait_for_creates(self, count: int, timeout: float = 3.0) -> None:
        """Wait (real time, briefly) until `count` creates were handled to the end."""
        deadline = time.monotonic() + timeout
        while self.creates_handled < count and time.monotonic() < deadline:
            time.sleep(0.01)

    # -- plumbing: rate limit, token, version and protocol on every request ------------

    def _dispatch(self, request: Request) -> tuple:
        with self._state:
            if self.limited_until is not None and self.clock() >= self.limited_until:
                self.remaining = self.limited_until = None
            if self.remaining is not None:
                if self.remaining <= 0:
                    headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
                    if self.retry_after is not None and self.limited_until is None:
                        self.limited_until = self.clock() + timedelta(seconds=self.retry_after)
                    return (*error(429, "Resource level throttle APPLICATION DAY limit for calls to this "
                                        "resource is reached."), headers)
                self.remaining -= 1
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return (*error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", serviceErrorCode=65600), {})
        if request.path.startswith("/rest/"):
            version = request.headers.get("linkedin-version")
            if not version:
                return (*error(400, "A version must be present. Please specify a version by adding the "
                                    "LinkedIn-Version header.", "VERSION_MISSING"), {})
            if not (OLDEST_VERSION <= version[:6] <= NEWEST_VERSION) or not version[:6].isdigit():
                return (*error(426, f"Requested version {version[:6]}01 is not active", "NONEXISTENT_VERSION"), {})
            if request.headers.get("x-restli-protocol-version") != "2.0.0":
                return (*error(400, "Rest.li protocol 2.0.0 is required (X-Restli-Protocol-Version)"), {})
        return super()._dispatch(request)

    def _may(self, access: str, author: str) -> bool:
        kind = "organization" if author.startswith("urn:li:organization:") else "member"
        return f"{access}_{kind}_social" in self.scopes

    def _denied(self, resource: str) -> tuple:
        return (*error(403, f"Not enough permissions to access: {resource}.{NEWEST_VERSION}01",
                       "ACCESS_DENIED", serviceErrorCode=100), {})

    def _store(self, author: str, commentary: str, content: dict | None, at: datetime,
               **fields) -> dict:
        urn = f"urn:li:share:{next(self._ids)}"
        post = {"id": urn, "author": author, "commentary": commentary, "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                 "thirdPartyDistributionChannels": []},
                "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False,
                "createdAt": millis(at), "lastModifiedAt": millis(at), "publishedAt": millis(at),
                "lifecycleStateInfo": {"isEditedByAuthor": False}, **fields}
        if content:
            post["content"] = content
        self.posts[urn] = post
        self.remembered.append((author, commentary, urn, at))
        return post

    @staticmethod
    def _urn(raw: str) -> str | None:
        """The URN of a path segment, None when it was not percent-encoded."""
        return None if ":" in raw else unquote(raw)

    # -- who the token is -----------------------------------------------------------------

    @route("GET", r"/v2/userinfo")
    def userinfo(self, request: Request):
        people = sorted(a for a in self.authors if a.startswith("urn:li:person:"))
        if not people:
            return error(403, "Not enough permissions to access: userinfo.GET.NO_VERSION")
        return 200, {"sub": people[0].rsplit(":", 1)[-1], "name": "Anna Baker", "email_verified": True}

    @route("GET", r"/rest/organizations/(?P<number>\d+)")
    def organization(self, request: Request, number: str):
        if f"urn:li:organization:{number}" not in self.authors:
            return error(403, f"Not enough permissions to access: organizations.GET.20251101 ({number})")
        return 200, {"id": int(number), "localizedName": "Crumb & Co.", "vanityName": "crumb-and-co"}

    # -- posts --------------------------------------------------------------------------

    @route("POST", r"/rest/posts")
    def create_post(self, request: Request):
        try:
            return self._create(request)
        finally:
            with self._state:
                self.creates_handled += 1

    def _create(self, request: Request):
        post = request.json()
        if not isinstance(post, dict):
            return error(400, "Request body is not a JSON object")
        for key in REQUIRED:
            if key not in post:
                return error(422, f"ERROR :: /{key} :: field is required but not found and has no default value")
        author, commentary = post["author"], post["commentary"]
        if author not in self.authors or not self._may("w", author):
            return self._denied("partnerApiPostsExternal.CREATE")
        problem = self._refuse(post)
        if problem:
            return problem
        with self._state:
            now = self.clock()
            for earlier_author, earlier, urn, at in self.remembered:
                if (earlier_author, earlier) == (author, commentary) and now - at < self.duplicate_window:
                    return 422, {"errorDetailType": "com.linkedin.common.error.BadRequest",
                                 "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                                            f"Content is a duplicate of {urn}",
                                 "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected",
                                                                   "input": {}, "code": "DUPLICATE_POST"}]},
                                 "status": 422}
            if self.vanish:
                self.vanish -= 1
                return 201, b"", {"x-restli-id": f"urn:li:share:{next(self._ids)}"}
            stored = self._store(author, commentary, post.get("content"), now,
                                 visibility=post["visibility"], distribution=post["distribution"],
                                 lifecycleState=post["lifecycleState"],
                                 isReshareDisabledByAuthor=post.get("isReshareDisabledByAuthor", False))
            if self.hide_from_listing:
                stored["_hidden"] = True
            failure = self.act_then_fail.pop(0) if self.act_then_fail else None
        if self.stall_after_create:
            time.sleep(self.stall_after_create)
        if failure:
            return error(failure, "Internal Server Error")
        return 201, b"", {"x-restli-id": stored["id"]}

    def _refuse(self, post: dict) -> tuple | None:
        if not isinstance(post["commentary"], str):
            return error(422, "ERROR :: /commentary :: not a string")
        if len(post["commentary"]) > MAX_COMMENTARY:
            return error(422, f"ERROR :: /commentary :: length of {len(post['commentary'])} exceeds the "
                              f"maximum of {MAX_COMMENTARY}")
        if post["visibility"] not in VISIBILITIES:
            return error(422, f"ERROR :: /visibility :: \"{post['visibility']}\" is not an enum symbol")
        distribution = post["distribution"]
        if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in ("MAIN_FEED", "NONE"):
            return error(422, "ERROR :: /distribution/feedDistribution :: field is required")
        if post["lifecycleState"] != "PUBLISHED":
            return error(422, f"ERROR :: /lifecycleState :: {post['lifecycleState']} is not allowed here")
        content = post.get("content")
        if content is None:
            return None if post["commentary"].strip() else error(422, "ERROR :: /commentary :: empty post")
        images = ([content["media"]] if "media" in content
                  else (content.get("multiImage") or {}).get("images"))
        if not isinstance(images, list) or not images or ("multiImage" in content and not 2 <= len(images) <= 20):
            return error(422, "ERROR :: /content :: a multiImage post holds 2 to 20 images")
        for image in images:
            stored = self.images.get(image.get("id", ""))
            if stored is None or stored["owner"] != post["author"]:
                return error(422, f"ERROR :: /content :: {image.get('id')} is not an image of the author")
            if stored["content"] is None:
                return error(422, f"ERROR :: /content :: {image['id']} was never uploaded")
        return None

    @route("GET", r"/rest/posts")
    def find_posts(self, request: Request):
        query = {key: values[-1] for key, values in request.query.items()}
        if query.get("q") != "author" or "author" not in query:
            return error(400, "q=author and author are required")
        author = query["author"]
        if not self._may("r", author):
            return self._denied("partnerApiPostsExternal.FINDER-author")
        count = min(100, int(query.get("count", "10")))
        start = int(query.get("start", "0"))
        order = "lastModifiedAt" if query.get("sortBy", "LAST_MODIFIED") == "LAST_MODIFIED" else "createdAt"
        with self._state:
            listed = [p for p in self.posts.values() if p["author"] == author and not p.get("_hidden")]
        listed.sort(key=lambda p: (p[order], p["id"]), reverse=True)
        elements = [self._view(p) for p in listed[start:start + count]]
        links = []
        if start + count < len(listed):
            links.append({"type": "application/json", "rel": "next",
                          "href": f"/rest/posts?author={author}&count={count}&q=author&start={start + count}"})
        return 200, {"paging": {"start": start, "count": count, "links": links, "total": len(listed)},
                     "elements": elements}

    @route("GET", r"/rest/posts/(?P<raw>[^/]+)")
    def get_post(self, request: Request, raw: str):
        urn = self._urn(raw)
        if urn is None:
            return error(400, "Syntax exception in path variables: the URN must be encoded")
        post = self.posts.get(urn)
        if post is None:
            return error(404, f"Post {urn} does not exist", "NOT_FOUND")
        if not self._may("r", post["author"]):
            return self._denied("partnerApiPostsExternal.GET")
        return 200, self._view(post)

    @route("DELETE", r"/rest/posts/(?P<raw>[^/]+)")
    def delete_post(self, request: Request, raw: str):
        urn = self._urn(raw)
        if urn is None:
            return error(400, "Syntax exception in path variables: the URN must be encoded")
        with self._state:
            post = self.posts.get(urn)
            if post is None:
                return error(404, f"Post {urn} does not exist", "NOT_FOUND")
            if not self._may("w", post["author"]):
                return self._denied("partnerApiPostsExternal.DELETE")
            del self.posts[urn]
        return 204, b""

    @staticmethod
    def _view(post: dict) -> dict:
        return {key: value for key, value in post.items() if not key.startswith("_")}

    # -- images -------------------------------------------------------------------------

    @route("POST", r"/rest/images")
    def initialize_upload(self, request: Request):
        if request.query.get("action") != ["initializeUpload"]:
            return error(400, "action=initializeUpload is required")
        owner = ((request.json() or {}).get("initializeUploadRequest") or {}).get("owner")
        if owner not in self.authors or not self._may("w", owner):
            return self._denied("partnerApiImages.ACTION-initializeUpload")
        with self._state:
            serial = next(self._ids)
            image = f"urn:li:image:C4E10AQ{serial}"
            upload = f"up{serial}"
            self.images[image] = {"owner": owner, "content": None, "content_type": None}
            self.uploads[upload] = image
        expires = millis(self.clock() + timedelta(hours=1))
        return 200, {"value": {"uploadUrlExpiresAt": expires, "uploadUrl": f"{self.url}/dms-uploads/{upload}",
                               "image": image}}

    @route("PUT", r"/dms-uploads/(?P<upload>\w+)")
    def upload(self, request: Request, upload: str):
        image = self.uploads.get(upload)
        if image is None:
            return error(404, "Not Found")
        with self._state:
            self.images[image].update(content=request.body, content_type=request.headers.get("content-type"))
        return 201, b""
