"""A fake Graph API for one Facebook Page, following NETWORKS.md and Meta's Graph API docs.

Every path starts with a version (`/v26.0/...`); the token comes as `Authorization:
Bearer` or `access_token`. Errors have Graph's body `{"error": {"message", "type",
"code", "error_subcode", "fbtrace_id", "is_transient"?}}`, mostly with HTTP 400 as
Graph answers them: an unknown token #190, an expired one #190/463, a missing
permission #200 (403), an object that does not exist #100/33, the same text as the
page's previous post #506, throttling #80001 (or 4, 17, 32, 613) with its usage
header.

What it keeps: the page's posts (ids `<page>_<post>`, times as Graph writes them,
permalinks in Meta's opaque `pfbid` shape, so a post's id is known only from the
API), and photos: published ones (each with its post) and unpublished ones waiting
for a feed post to attach them (`attached_media[n]={"media_fbid": ...}`).

Knobs a test sets: `scopes` (the token's permissions), `token_page` (False: the token
is a person's, and /me answers that person), `expired`, `budget(remaining, ...)`
(throttling with the business or platform usage headers), `act_then_fail` (create
the post, then answer these statuses), `stall_after_create` (real seconds between
creating and answering), `hide_from_listing` (the listing lags), `duplicates`
(whether #506 applies).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qs, urlencode

from tests.fakes.server import FakeServer, Request, route

PAGE_ID = "104857600123456"
PAGE_NAME = "Crumb & Co."
MAX_MESSAGE = 63206
ALL_SCOPES = frozenset({"pages_manage_posts", "pages_read_engagement", "pages_show_list"})
VERSION = r"(?P<version>v\d+\.\d+)"


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def graph_error(status: int, code: int, message: str, *, subcode: int | None = None,
                kind: str = "OAuthException", transient: bool | None = None) -> tuple[int, dict]:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "A" + secrets.token_hex(5)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    return status, {"error": error}


def business_usage(page_id: str, call_count: int, regain_minutes: int) -> dict[str, str]:
    """The X-Business-Use-Case-Usage header a page token's answers carry."""
    return {"X-Business-Use-Case-Usage": json.dumps({page_id: [{
        "type": "pages", "call_count": call_count, "total_cputime": min(call_count, 40),
        "total_time": min(call_count, 45), "estimated_time_to_regain_access": regain_minutes}]})}


class FakeFacebook(FakeServer):
    def __init__(self, token: str = "fake-page-token", *, clock: Callable[[], datetime] | None = None,
                 page_id: str = PAGE_ID, page_name: str = PAGE_NAME) -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.page_id = page_id
        self.page_name = page_name
        self.scopes = set(ALL_SCOPES)
        self.token_page = True
        self.expired = False
        self.duplicates = True
        self.posts: dict[str, dict] = {}     # post id -> post (created_time a datetime)
        self.photos: dict[str, dict] = {}    # photo id -> {content, content_type, alt_text_custom, ...}
        self.act_then_fail: list[int] = []
        self.stall_after_create = 0.0
        self.hide_from_listing = False
        self.creates_handled = 0
        self.versions: set[str] = set()
        self.remaining: int | None = None
        self.limit_code = 80001
        self.regain_minutes: int | None = None
        self.limited_until: datetime | None = None
        self._ids = itertools.count(1_200_000_000_000_001)
        self._state = threading.Lock()

    # -- for tests ------------------------------------------------------------------------

    def budget(self, remaining: int, *, regain_minutes: int | None = None, code: int = 80001) -> None:
        """Requests left before Graph answers error `code`; with `regain_minutes` the business header
        says when the limit lifts (and it does); without, only the platform header says 100 %."""
        self.remaining = remaining
        self.limit_code = code
        self.regain_minutes = regain_minutes
        self.limited_until = None

    def ours(self) -> list[dict]:
        """Posts that exist, oldest first."""
        return sorted(self.posts.values(), key=lambda p: (p["created_time"], p["id"]))

    def add_post(self, message: str, *, ago: timedelta = timedelta(0)) -> dict:
        """A post made some other way (by hand, another tool), `ago` before now."""
        with self._state:
            return self._store(message, self.clock() - ago)

    def wait_for_creates(self, count: int, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while self.creates_handled < count and time.monotonic() < deadline:
            time.sleep(0.01)

    # -- every request: throttling, then the token ------------------------------------------

    def _dispatch(self, request: Request) -> tuple:
        throttled = self._throttle()
        if throttled:
            return throttled
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or \
            (request.query.get("access_token") or [""])[-1]
        if token != self.token:
            return (*graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token"), {})
        if self.expired:
            return (*graph_error(400, 190, "Error validating access token: Session has expired on Sunday, "
                                           "29-Nov-26 10:00:00 PST.", subcode=463), {})
        found = FakeServer._dispatch(self, request)
        with self._state:
            usage = self._usage_headers()
        return (*found[:2], {**(found[2] if len(found) > 2 else {}), **usage})

    def _throttle(self) -> tuple | None:
        with self._state:
            if self.limited_until is not None and self.clock() >= self.limited_until:
                self.remaining = self.limited_until = None
            if self.remaining is None:
                return None
            if self.remaining > 0:
                self.remaining -= 1
                return None
            if self.regain_minutes is not None and self.limited_until is None:
                self.limited_until = self.clock() + timedelta(minutes=self.regain_minutes)
            messages = {4: "(#4) Application request limit reached", 17: "(#17) User request limit reached",
                        32: "(#32) Page request limit reached", 613: "(#613) Calls to this api have exceeded "
                        "the rate limit.", 80001: "There have been too many calls to this Page account. "
                        "Wait a bit and try again."}
            return (*graph_error(400, self.limit_code, messages.get(self.limit_code, "limit reached"),
                                 transient=True), self._usage_headers())

    def _usage_headers(self) -> dict[str, str]:
        """Meta leaves the headers out while usage is near 0 %."""
        if self.remaining is None:
            return {}
        used = 100 if self.remaining <= 0 else max(1, 100 - self.remaining)
        if self.limit_code == 80001:
            left = (self.limited_until - self.clock()) if self.limited_until else None
            minutes = 0 if used < 100 else (max(1, round(left.total_seconds() / 60)) if left else
                                            self.regain_minutes or 0)
            return business_usage(self.page_id, used, minutes)
        name = "X-Page-Usage" if self.limit_code == 32 else "X-App-Usage"
        return {name: json.dumps({"call_count": used, "total_cputime": min(used, 30), "total_time": min(used, 35)})}

    def _version(self, version: str) -> None:
        with self._state:
            self.versions.add(version)

    # -- who the token is -----------------------------------------------------------------

    @route("GET", rf"/{VERSION}/me")
    def me(self, request: Request, version: str):
        self._version(version)
        if self.token_page:
            return 200, {"name": self.page_name, "id": self.page_id}
        return 200, {"name": "Anna Baker", "id": "10160000000000042"}

    # -- posting ----------------------------------------------------------------------------

    @route("POST", rf"/{VERSION}/(?P<page>\d+)/feed")
    def create_post(self, request: Request, version: str, page: str):
        try:
            return self._create(request, version, page)
        finally:
            with self._state:
                self.creates_handled += 1

    def _create(self, request: Request, version: str, page: str):
        self._version(version)
        refused = self._may_post(page)
        if refused:
            return refused
        fields = {key: values[-1] for key, values in request.form().items()}
        message = fields.get("message", "")
        if len(message) > MAX_MESSAGE:
            return graph_error(400, 100, "(#100) The message is too long")
        media = []
        for index in itertools.count():
            raw = fields.get(f"attached_media[{index}]")
            if raw is None:
                break
            try:
                photo = str(json.loads(raw)["media_fbid"])
            except (ValueError, KeyError, TypeError):
                return graph_error(400, 100, f"(#100) param attached_media[{index}] must be a JSON object "
                                             "with media_fbid")
            stored = self.photos.get(photo)
            if stored is None or stored["published"] or stored["post_id"]:
                return graph_error(400, 100, f"(#100) {photo} is not an unpublished photo of the page")
            media.append(photo)
        if not message.strip() and not media and not fields.get("link"):
            return graph_error(400, 100, "(#100) Missing message or attachment")
        with self._state:
            if self.duplicates and message.strip() and self.posts:
                latest = max(self.posts.values(), key=lambda p: (p["created_time"], p["id"]))
                if latest["message"] == message:
                    return graph_error(400, 506, "(#506) Duplicate status message")
            post = self._store(message, self.clock(), link=fields.get("link"), photos=media)
            for photo in media:
                self.photos[photo]["post_id"] = post["id"]
            failure = self.act_then_fail.pop(0) if self.act_then_fail else None
        return self._answer_create(failure, {"id": post["id"]})

    @route("POST", rf"/{VERSION}/(?P<page>\d+)/photos")
    def upload_photo(self, request: Request, version: str, page: str):
        self._version(version)
        refused = self._may_post(page)
        if refused:
            return refused
        fields, files = _multipart(request)
        if "source" not in files:
            return graph_error(400, 324, "(#324) Requires upload file")
        content, content_type = files["source"]
        published = fields.get("published", "true").lower() != "false"
        caption = fields.get("caption", fields.get("message", ""))
        with self._state:
            photo = str(next(self._ids))
            self.photos[photo] = {"content": content, "content_type": content_type, "published": published,
                                  "alt_text_custom": fields.get("alt_text_custom"), "caption": caption,
                                  "post_id": None}
            if not published:
                return 200, {"id": photo}
            post = self._store(caption, self.clock(), photos=[photo], post_id=f"{self.page_id}_{photo}")
            self.photos[photo]["post_id"] = post["id"]
            failure = self.act_then_fail.pop(0) if self.act_then_fail else None
            self.creates_handled += 1
        return self._answer_create(failure, {"id": photo, "post_id": post["id"]})

    def _answer_create(self, failure: int | None, answer: dict):
        if self.stall_after_create:
            time.sleep(self.stall_after_create)
        if failure:
            return graph_error(failure, 1, "An unknown error has occurred.", kind="OAuthException",
                               transient=True)
        return 200, answer

    def _may_post(self, page: str) -> tuple | None:
        if page != self.page_id or not self.token_page:
            return graph_error(403, 200, "(#200) If posting to a page, requires both pages_read_engagement and "
                                         "pages_manage_posts as an admin with sufficient administrative "
                                         "permission")
        if "pages_manage_posts" not in self.scopes:
            return graph_error(403, 200, "(#200) The user hasn't authorized the application to perform this "
                                         "action; requires pages_manage_posts")
        return None

    def _store(self, message: str, at: datetime, *, link: str | None = None, photos: list[str] | None = None,
               post_id: str | None = None) -> dict:
        post_id = post_id or f"{self.page_id}_{next(self._ids)}"
        photos = photos or []
        permalink = (f"https://www.facebook.com/photo.php?fbid={photos[0]}&set=a.{self.page_id}&type=3"
                     if len(photos) == 1 and post_id.endswith(photos[0])
                     else f"https://www.facebook.com/{self.page_id}/posts/pfbid0{secrets.token_hex(16)}")
        post = {"id": post_id, "message": message, "created_time": at, "permalink_url": permalink,
                "link": link, "photos": photos, "_hidden": self.hide_from_listing}
        self.posts[post_id] = post
        return post

    # -- reading ----------------------------------------------------------------------------

    @route("GET", rf"/{VERSION}/(?P<page>\d+)/posts")
    def list_posts(self, request: Request, version: str, page: str):
        self._version(version)
        if page != self.page_id or "pages_read_engagement" not in self.scopes:
            return graph_error(403, 10, "(#10) This endpoint requires the 'pages_read_engagement' permission "
                                        "or the 'Page Public Content Access' feature")
        query = {key: values[-1] for key, values in request.query.items()}
        limit = min(100, int(query.get("limit", "25")))
        offset = int(query.get("after", "0") or 0)
        since = datetime.fromtimestamp(int(query["since"]), UTC) if "since" in query else None
        fields = query.get("fields", "id,created_time,message").split(",")
        with self._state:
            listed = [p for p in self.posts.values() if not p["_hidden"]
                      and (since is None or p["created_time"] >= since)]
        listed.sort(key=lambda p: (p["created_time"], p["id"]), reverse=True)
        data = [self._view(p, fields) for p in listed[offset:offset + limit]]
        paging: dict = {"cursors": {"before": str(offset), "after": str(offset + len(data))}}
        if offset + limit < len(listed):
            # Graph repeats the token in its paging links.
            paging["next"] = (f"{self.url}/{version}/{page}/posts?" + urlencode(
                {"access_token": self.token, **{k: v for k, v in query.items() if k != "access_token"},
                 "after": str(offset + limit)}))
        return 200, {"data": data, "paging": paging}

    @route("GET", rf"/{VERSION}/(?P<object_id>\d+(?:_\d+)?)")
    def read_object(self, request: Request, version: str, object_id: str):
        self._version(version)
        fields = (request.query.get("fields") or ["id"])[-1].split(",")
        if object_id == self.page_id:
            return 200, {"id": self.page_id, "name": self.page_name}
        post = self.posts.get(object_id)
        if post is None:
            return _unknown("get", object_id)
        return 200, self._view(post, fields)

    @route("DELETE", rf"/{VERSION}/(?P<object_id>\d+(?:_\d+)?)")
    def delete_object(self, request: Request, version: str, object_id: str):
        self._version(version)
        with self._state:
            post = self.posts.get(object_id)
            if post is None:
                return _unknown("delete", object_id)
            if "pages_manage_posts" not in self.scopes:
                return graph_error(403, 200, "(#200) Permissions error")
            del self.posts[object_id]
        return 200, {"success": True}

    @staticmethod
    def _view(post: dict, fields: list[str]) -> dict:
        shown = {"id": post["id"]}
        for name in fields:
            if name == "created_time":
                shown[name] = graph_time(post["created_time"])
            elif name in ("message", "permalink_url") and post.get(name):
                shown[name] = post[name]
        return shown


def _unknown(method: str, object_id: str) -> tuple:
    return graph_error(400, 100, f"Unsupported {method} request. Object with ID '{object_id}' does not exist, "
                                 "cannot be loaded due to missing permissions, or does not support this "
                                 "operation.", subcode=33, kind="GraphMethodException")


def _multipart(request: Request) -> tuple[dict[str, str], dict[str, tuple[bytes, str]]]:
    """(fields, files) of a multipart/form-data body; a form-encoded one has fields only."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}, {}
    message = BytesParser(policy=policy.default).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[bytes, str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files[name] = (part.get_payload(decode=True), part.get_content_type())
        else:
            fields[name] = part.get_payload(decode=True).decode("utf-8")
    return fields, files
