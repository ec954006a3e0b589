"""A fake Threads API following NETWORKS.md and Meta's Threads docs, with the public site beside it.

Paths are `/v1.0/...`; the token comes as `Authorization: Bearer`. Errors have the Graph
API's shape, `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`:
190 for a token that is wrong or expired (with subcode 463), 10 for a permission
missing, 100 (subcode 33) for an object that does not exist, 4 for throttling (with
`X-Business-Use-Case-Usage`).

Containers (`POST /{user}/threads`, form fields) are IN_PROGRESS until `processing`
seconds of the shared clock have passed (text: 0 by default, images: 8), then
FINISHED; EXPIRED 24 hours after creation when unpublished; PUBLISHED once published.
An image container whose `image_url` the site does not serve ends in ERROR with
FAILED_DOWNLOADING_IMAGE, as Meta's crawler would. Publishing a container that is not
FINISHED answers 500 "An unknown error occurred" (what peers saw when publishing too
early) and publishes nothing. Posts are listed newest first by `/{user}/threads`
(top-level) and `/{user}/replies`, with cursor paging and `since`; the publishing
limit counts posts and replies of the last 24 hours.

The site (`/site/...`, filled through `site`) stands for the GitHub Pages site that
serves content/media/: `GET` and `HEAD` answer its files.

Knobs a test sets: `scopes`, `token_expires_at`, `tester` (whether /debug_token
answers), `processing` (per media type), `container_error` (the next container ends
in ERROR with this message), `act_then_fail` (publish, then answer these statuses),
`stall_after_publish` (seconds of real time between publishing and answering),
`before_publish` (a hook run as a publish arrives, faults aside),
`throttle_after` (answer code 4 once this many requests went through), `quota`,
`hide_from_listing` (the listing lags).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from tests.fakes.server import FakeServer, Request, route

VERSION = "v1.0"
USER_ID = "17841400008460056"
USERNAME = "crumbandco"
ALL_SCOPES = frozenset({"threads_basic", "threads_content_publish", "threads_manage_replies",
                        "threads_read_replies", "threads_delete"})
MAX_TEXT = 500
MAX_LINKS = 5
EXPIRY = timedelta(hours=24)
LISTED_TYPE = {"TEXT": "TEXT_POST", "IMAGE": "IMAGE", "CAROUSEL": "CAROUSEL_ALBUM"}


def graph_error(status: int, message: str, code: int, subcode: int | None = None, **extra) -> tuple:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfGh123", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeThreads(FakeServer):
    def __init__(self, token: str = "fake-token", *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.scopes = set(ALL_SCOPES)
        self.token_expires_at: datetime | None = None
        self.tester = True
        self.processing = {"TEXT": 0.0, "IMAGE": 8.0, "CAROUSEL": 0.0}
        self.container_error: str | None = None
        self.act_then_fail: list[int] = []
        self.stall_after_publish = 0.0
        self.before_publish: Callable[[Request], None] | None = None
        self.throttle_after: int | None = None
        self.regain_minutes = 60
        self.quota = {"posts": 250, "replies": 1000}
        self.hide_from_listing = False
        self.site: dict[str, bytes] = {}            # path under /site/ -> bytes
        self.containers: dict[str, dict] = {}
        self.posts: dict[str, dict] = {}            # media id -> post, as the listing shows it
        self.published_at: list[tuple[datetime, bool]] = []  # (when, is a reply), deleted or not
        self._ids = itertools.count(18_000_000_000_000_001)
        self._state = threading.Lock()

    # -- for tests ------------------------------------------------------------------------

    @property
    def site_url(self) -> str:
        return f"{self.url}/site/"

    def ours(self) -> list[dict]:
        """Posts that exist (top-level and replies), oldest first."""
        return sorted(self.posts.values(), key=lambda p: (p["_at"], p["id"]))

    def add_post(self, text: str, *, reply_to: str | None = None, ago: timedelta = timedelta(0),
                 media_type: str = "TEXT") -> dict:
        """A post made some other way (by hand, another tool), `ago` before now."""
        with self._state:
            return self._store(text, media_type, reply_to, self.clock() - ago, children=[])

    def used(self, posts: int = 0, replies: int = 0) -> None:
        """Pretend the account published this many posts and replies in the last hour."""
        at = self.clock() - timedelta(hours=1)
        self.published_at += [(at, False)] * posts + [(at, True)] * replies

    # -- plumbing: throttling and the token on every API request ---------------------------

    def _dispatch(self, request: Request) -> tuple:
        if request.path.startswith("/site/"):
            return super()._dispatch(request)
        with self._state:
            if self.throttle_after is not None:
                if self.throttle_after <= 0:
                    usage = {USER_ID: [{"type": "threads", "call_count": 100, "total_cputime": 20,
                                        "total_time": 30, "estimated_time_to_regain_access": self.regain_minutes}]}
                    return (*graph_error(400, "Application request limit reached", 4, is_transient=True),
                            {"X-Business-Use-Case-Usage": json.dumps(usage)})
                self.throttle_after -= 1
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return (*graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190), {})
        if self.token_expires_at is not None and self.clock() >= self.token_expires_at:
            return (*graph_error(400, "Error validating access token: Session has expired on "
                                      f"{self.token_expires_at:%A, %d-%b-%y %H:%M:%S} PST.", 190, 463), {})
        if not request.path.startswith(f"/{VERSION}/"):
            return graph_error(400, "Unknown path components: " + request.path, 2500)
        return super()._dispatch(request)

    def _user(self, user: str) -> bool:
        return user in ("me", USER_ID)

    def _denied(self, scope: str) -> tuple:
        return graph_error(403, f"Application does not have permission for this action ({scope})", 10)

    def _unknown(self, object_id: str) -> tuple:
        return graph_error(400, f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot "
                                "be loaded due to missing permissions, or does not support this operation",
                           100, 33)

    @staticmethod
    def _fields(request: Request) -> dict[str, str]:
        """Form fields, else query parameters: Meta takes either."""
        source = parse_qs(request.body.decode("utf-8"), keep_blank_values=True) if request.body else request.query
        return {key: values[-1] for key, values in source.items()}

    @staticmethod
    def _wanted(request: Request, default: str) -> list[str]:
        return (request.query.get("fields") or [default])[-1].split(",")

    # -- the site that serves content/media/ ------------------------------------------

    @route("GET", r"/site/(?P<path>.+)")
    def site_get(self, request: Request, path: str):
        content = self.site.get(path)
        return (200, content, {"Content-Type": "image/png"}) if content is not None else (404, "Not Found", {})

    @route("HEAD", r"/site/(?P<path>.+)")
    def site_head(self, request: Request, path: str):
        return self.site_get(request, path)

    # -- the account --------------------------------------------------------------------

    @route("GET", rf"/{VERSION}/me")
    def me(self, request: Request):
        values = {"id": USER_ID, "username": USERNAME, "name": "Crumb & Co."}
        return 200, {key: values[key] for key in self._wanted(request, "id") if key in values}

    @route("GET", rf"/{VERSION}/debug_token")
    def debug_token(self, request: Request):
        if not self.tester:
            return graph_error(400, "(#100) You must provide a user access token of a tester of the app", 100)
        if (request.query.get("input_token") or [""])[-1] != self.token:
            return graph_error(400, "Invalid input_token", 190)
        expires = int(self.token_expires_at.timestamp()) if self.token_expires_at else 0
        return 200, {"data": {"type": "USER", "application": "Crumb & Co. publisher", "is_valid": True,
                              "issued_at": int((self.clock() - timedelta(days=3)).timestamp()),
                              "expires_at": expires, "data_access_expires_at": expires,
                              "scopes": sorted(self.scopes), "user_id": USER_ID}}

    @route("GET", rf"/{VERSION}/(?P<user>[^/]+)/threads_publishing_limit")
    def publishing_limit(self, request: Request, user: str):
        if not self._user(user):
            return self._unknown(user)
        wanted = self._wanted(request, "quota_usage")
        if ("reply_quota_usage" in wanted or "reply_config" in wanted) and "threads_manage_replies" not in self.scopes:
            return self._denied("threads_manage_replies")
        since = self.clock() - EXPIRY
        used = [reply for at, reply in self.published_at if at > since]
        values = {"quota_usage": used.count(False),
                  "config": {"quota_total": self.quota["posts"], "quota_duration": 86400},
                  "reply_quota_usage": used.count(True),
                  "reply_config": {"quota_total": self.quota["replies"], "quota_duration": 86400}}
        return 200, {"data": [{key: values[key] for key in wanted if key in values}]}

    # -- containers and publishing ----------------------------------------------------------

    @route("POST", rf"/{VERSION}/(?P<user>[^/]+)/threads")
    def create_container(self, request: Request, user: str):
        if not self._user(user):
            return self._unknown(user)
        if "threads_content_publish" not in self.scopes:
            return self._denied("threads_content_publish")
        fields = self._fields(request)
        media_type = fields.get("media_type")
        text = fields.get("text", "")
        if media_type not in ("TEXT", "IMAGE", "CAROUSEL"):
            return graph_error(400, "Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}", 100)
        if media_type == "TEXT" and not text.strip():
            return graph_error(400, "Param text is required for media_type TEXT", 100)
        if len(text) > MAX_TEXT:
            return graph_error(400, f"Param text must be at most {MAX_TEXT} characters long", 100)
        if len(set(_links(text))) > MAX_LINKS:
            return graph_error(400, "THREADS_API__LINK_LIMIT_EXCEEDED: the post holds more than 5 links", 100)
        reply_to = fields.get("reply_to_id")
        if reply_to is not None:
            if "threads_manage_replies" not in self.scopes:
                return self._denied("threads_manage_replies")
            if reply_to not in self.posts:
                return graph_error(400, "Invalid parameter reply_to_id: the post does not exist", 100, 33)
        children: list[str] = []
        if media_type == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 20:
                return graph_error(400, "A carousel holds 2 to 20 items", 100)
            for child in children:
                item = self.containers.get(child)
                if item is None or not item["carousel_item"]:
                    return graph_error(400, f"Invalid parameter children: {child} is not a carousel item", 100)
                if self._status(item) != "FINISHED":
                    return graph_error(400, f"Carousel item {child} is not ready", 100)
        with self._state:
            container = str(next(self._ids))
            error = None
            if media_type == "IMAGE" and not self._fetchable(fields.get("image_url", "")):
                error = "FAILED_DOWNLOADING_IMAGE"
            if self.container_error:
                error, self.container_error = self.container_error, None
            self.containers[container] = {
                "id": container, "media_type": media_type, "text": text, "reply_to": reply_to,
                "image_url": fields.get("image_url"), "alt_text": fields.get("alt_text"),
                "carousel_item": fields.get("is_carousel_item") == "true", "children": children,
                "created": self.clock(), "error": error, "published": None}
        return 200, {"id": container}

    def _fetchable(self, url: str) -> bool:
        return url.startswith(self.site_url) and url.removeprefix(self.site_url) in self.site

    def _status(self, container: dict) -> str:
        if container["published"]:
            return "PUBLISHED"
        if self.clock() - container["created"] > EXPIRY:
            return "EXPIRED"
        if self.clock() - container["created"] < timedelta(seconds=self.processing[container["media_type"]]):
            return "IN_PROGRESS"
        return "ERROR" if container["error"] else "FINISHED"

    @route("POST", rf"/{VERSION}/(?P<user>[^/]+)/threads_publish")
    def publish(self, request: Request, user: str):
        if not self._user(user):
            return self._unknown(user)
        if "threads_content_publish" not in self.scopes:
            return self._denied("threads_content_publish")
        creation_id = self._fields(request).get("creation_id", "")
        if self.before_publish:
            self.before_publish(request)
        with self._state:
            container = self.containers.get(creation_id)
            if container is None or container["carousel_item"]:
                return graph_error(400, f"Invalid parameter creation_id: {creation_id}", 100, 33)
            status = self._status(container)
            if status == "PUBLISHED":
                return graph_error(400, "The media container has already been published", 100)
            if status != "FINISHED":
                return graph_error(500, "An unknown error occurred", 1, is_transient=False)
            reply = container["reply_to"] is not None
            since = self.clock() - EXPIRY
            used = sum(1 for at, was_reply in self.published_at if at > since and was_reply == reply)
            if used >= self.quota["replies" if reply else "posts"]:
                return graph_error(400, "The user has reached the publishing limit", 9, 2207042)
            post = self._store(container["text"], container["media_type"], container["reply_to"], self.clock(),
                               children=container["children"], alt_text=container["alt_text"],
                               image_url=container["image_url"])
            container["published"] = post["id"]
            self.published_at.append((self.clock(), reply))
            failure = self.act_then_fail.pop(0) if self.act_then_fail else None
        if self.stall_after_publish:
            time.sleep(self.stall_after_publish)
        if failure:
            return graph_error(failure, "An unknown error occurred", 1, is_transient=True)
        return 200, {"id": post["id"]}

    def _store(self, text: str, media_type: str, reply_to: str | None, at: datetime, *, children: list[str],
               **extra) -> dict:
        media_id = str(next(self._ids))
        shortcode = f"C{media_id[-9:]}x"
        post = {"id": media_id, "media_product_type": "THREADS", "media_type": LISTED_TYPE[media_type],
                "text": text, "timestamp": stamp(at), "shortcode": shortcode, "username": USERNAME,
                "permalink": f"https://www.threads.com/@{USERNAME}/post/{shortcode}", "is_quote_post": False,
                "_at": at, "_children": children, "_hidden": self.hide_from_listing, **extra}
        if reply_to:
            post["replied_to"] = {"id": reply_to}
            root = self.posts[reply_to].get("root_post", {"id": reply_to})
            post["root_post"] = root
            post["is_reply"] = True
        self.posts[media_id] = post
        return post

    # -- reading ----------------------------------------------------------------------------

    @route("GET", rf"/{VERSION}/(?P<object_id>\d+)")
    def read(self, request: Request, object_id: str):
        container = self.containers.get(object_id)
        if container is not None:
            body = {"id": object_id, "status": self._status(container)}
            if body["status"] == "ERROR":
                body["error_message"] = container["error"]
            return 200, {key: body[key] for key in ["id", *self._wanted(request, "id")] if key in body}
        post = self.posts.get(object_id)
        if post is None:
            return self._unknown(object_id)
        return 200, self._view(post, self._wanted(request, "id"))

    @route("GET", rf"/{VERSION}/(?P<user>[^/]+)/(?P<edge>threads|replies)")
    def listing(self, request: Request, user: str, edge: str):
        if not self._user(user):
            return self._unknown(user)
        if edge == "replies" and "threads_read_replies" not in self.scopes:
            return self._denied("threads_read_replies")
        query = {key: values[-1] for key, values in request.query.items()}
        limit = min(100, int(query.get("limit", "25")))
        since = datetime.fromtimestamp(int(query["since"]), UTC) if "since" in query else None
        start = int(query.get("after", "0"))
        with self._state:
            listed = [p for p in self.posts.values() if not p["_hidden"] and ("replied_to" in p) == (edge == "replies")
                      and (since is None or p["_at"] >= since)]
        listed.sort(key=lambda p: (p["_at"], p["id"]), reverse=True)
        page = listed[start:start + limit]
        body: dict = {"data": [self._view(p, self._wanted(request, "id")) for p in page]}
        if page:
            body["paging"] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
            if start + limit < len(listed):
                body["paging"]["next"] = f"{self.url}/{VERSION}/{user}/{edge}?after={start + len(page)}"
        return 200, body

    @staticmethod
    def _view(post: dict, fields: list[str]) -> dict:
        return {key: post[key] for key in ["id", *fields] if key in post and not key.startswith("_")}

    @route("DELETE", rf"/{VERSION}/(?P<object_id>\d+)")
    def delete(self, request: Request, object_id: str):
        if "threads_delete" not in self.scopes:
            return self._denied("threads_delete")
        with self._state:
            if self.posts.pop(object_id, None) is None:
                return self._unknown(object_id)
        return 200, {"success": True, "deleted_id": object_id}


def _links(text: str) -> list[str]:
    return [word for word in text.split() if word.startswith(("http://", "https://"))]
