"""A fake Bluesky PDS following NETWORKS.md: the XRPC methods the adapter calls, over real HTTP.

The real PDS (tests/pds.py) is the reference; this fake exists for what a real one
will not do on demand: expire a session, fail after acting, rate-limit. It keeps
repositories (records by collection and rkey, a second create under a taken rkey
answers 500 as a real PDS does), blobs, handles, and sessions whose tokens a test
can expire with `expire_access()` / `expire_refresh()`.

Knobs: `act_then_fail` (create the record, then answer these statuses instead),
and every `FakeServer.fail` fault (429 with RateLimit-Reset, dropped connections).

The AppView reads a PDS proxies for a signed-in account (app.bsky.actor.getProfile,
app.bsky.feed.getPosts) answer from `followers` and `counts` (by post URI).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime

from tests.fakes.server import FakeServer, Request, route


class FakeBluesky(FakeServer):
    def __init__(self, handle: str = "bakery.test", password: str = "app-pass-1234",
                 *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.handle = handle
        self.password = password
        self.handles: dict[str, str] = {}
        self.did = self.add_account(handle)
        self.records: dict[tuple[str, str, str], dict] = {}  # (did, collection, rkey) -> record
        self.blobs: dict[str, bytes] = {}
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.expired: set[str] = set()
        self.act_then_fail: list[int] = []
        self.followers = 7
        #: at:// URI -> {"likeCount", "repostCount", "replyCount", "quoteCount"}
        self.counts: dict[str, dict[str, int]] = {}
        self._serial = itertools.count(1)

    def add_account(self, handle: str) -> str:
        did = f"did:plc:{hashlib.sha256(handle.encode()).hexdigest()[:24]}"
        self.handles[handle] = did
        return did

    def add_post(self, handle: str, rkey: str, text: str, reply: dict | None = None) -> dict:
        """Someone else's post, for likes, reposts, quotes and replies."""
        did = self.handles.get(handle) or self.add_account(handle)
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-30T10:00:00.000Z"}
        if reply:
            record["reply"] = reply
        return self._store(did, "app.bsky.feed.post", rkey, record)

    def ours(self, collection: str = "app.bsky.feed.post") -> dict[str, dict]:
        """Our records of a collection by rkey: {uri, cid, value}."""
        return {rkey: stored for (did, coll, rkey), stored in self.records.items()
                if did == self.did and coll == collection}

    def expire_access(self) -> None:
        self.expired |= self.access

    def expire_refresh(self) -> None:
        self.expired |= self.refresh

    # -- sessions ---------------------------------------------------------------------

    def _session(self) -> dict:
        serial = next(self._serial)
        access, refresh = f"access-jwt-{serial}-x7", f"refresh-jwt-{serial}-y8"
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "did": self.did, "handle": self.handle}

    def _token(self, request: Request, kind: set[str]) -> tuple | None:
        """An error answer when the bearer token is not a live one of `kind`, else None."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.expired:
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}
        if token not in kind:
            return 401, {"error": "AuthenticationRequired", "message": "Authentication Required"}
        return None

    @route("POST", r"/xrpc/com\.atproto\.server\.createSession")
    def create_session(self, request: Request):
        body = request.json()
        if body.get("identifier") not in (self.handle, self.did) or body.get("password") != self.password:
            return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        return 200, self._session()

    @route("POST", r"/xrpc/com\.atproto\.server\.refreshSession")
    def refresh_session(self, request: Request):
        problem = self._token(request, self.refresh)
        if problem:
            return problem
        self.refresh.discard(request.headers["authorization"].removeprefix("Bearer "))
        return 200, self._session()

    # -- repositories -----------------------------------------------------------------

    def _store(self, did: str, collection: str, rkey: str, record: dict) -> dict:
        cid = "bafyrei" + hashlib.sha256(repr((did, collection, rkey, record)).encode()).hexdigest()[:40]
        stored = {"uri": f"at://{did}/{collection}/{rkey}", "cid": cid, "value": record}
        self.records[(did, collection, rkey)] = stored
        return stored

    @route("POST", r"/xrpc/com\.atproto\.repo\.createRecord")
    def create_record(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        body = request.json()
        if body["repo"] != self.did:
            return 400, {"error": "InvalidRequest", "message": "Invalid repo"}
        rkey = body.get("rkey") or f"3fake{next(self._serial):08d}"
        if (self.did, body["collection"], rkey) in self.records:
            return 500, {"error": "InternalServerError", "message": "Internal Server Error"}
        stored = self._store(self.did, body["collection"], rkey, body["record"])
        if self.act_then_fail:
            return self.act_then_fail.pop(0), {"error": "InternalServerError"}
        return 200, {"uri": stored["uri"], "cid": stored["cid"], "validationStatus": "valid"}

    @route("GET", r"/xrpc/com\.atproto\.repo\.getRecord")
    def get_record(self, request: Request):
        repo = request.query["repo"][0]
        did = self.handles.get(repo, repo)
        key = (did, request.query["collection"][0], request.query["rkey"][0])
        if key not in self.records:
            return 400, {"error": "RecordNotFound", "message": f"Could not locate record: {key}"}
        return 200, self.records[key]

    @route("POST", r"/xrpc/com\.atproto\.repo\.putRecord")
    def put_record(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        body = request.json()
        key = (body["repo"], body["collection"], body["rkey"])
        current = self.records.get(key)
        if "swapRecord" in body and (current or {}).get("cid") != body["swapRecord"]:
            return 400, {"error": "InvalidSwap", "message": f"Record was at {(current or {}).get('cid')}"}
        stored = self._store(*key, body["record"])
        return 200, {"uri": stored["uri"], "cid": stored["cid"]}

    @route("POST", r"/xrpc/com\.atproto\.repo\.deleteRecord")
    def delete_record(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        body = request.json()
        self.records.pop((body["repo"], body["collection"], body["rkey"]), None)
        return 200, {}

    @route("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob")
    def upload_blob(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        # a blob's CID as a PDS makes it: CIDv1, raw codec, sha2-256, base32
        ref = "b" + base64.b32encode(b"\x01\x55\x12\x20" + hashlib.sha256(request.body).digest()
                                     ).decode().lower().rstrip("=")
        self.blobs[ref] = request.body
        return 200, {"blob": {"$type": "blob", "ref": {"$link": ref},
                              "mimeType": request.headers.get("content-type"), "size": len(request.body)}}

    @route("GET", r"/xrpc/com\.atproto\.identity\.resolveHandle")
    def resolve_handle(self, request: Request):
        handle = request.query["handle"][0]
        if handle not in self.handles:
            return 400, {"error": "HandleNotFound", "message": "Unable to resolve handle"}
        return 200, {"did": self.handles[handle]}


    # -- AppView reads, proxied by the PDS -----------------------------------------------

    @route("GET", r"/xrpc/app\.bsky\.actor\.getProfile")
    def get_profile(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        actor = request.query["actor"][0]
        did = self.handles.get(actor, actor)
        if did not in self.handles.values():
            return 400, {"error": "InvalidRequest", "message": "Profile not found"}
        handle = next(h for h, d in self.handles.items() if d == did)
        return 200, {"did": did, "handle": handle, "followersCount": self.followers if did == self.did else 0,
                     "followsCount": 3, "postsCount": len(self.ours())}

    @route("GET", r"/xrpc/app\.bsky\.feed\.getPosts")
    def get_posts(self, request: Request):
        problem = self._token(request, self.access)
        if problem:
            return problem
        uris = request.query.get("uris", [])
        if len(uris) > 25:
            return 400, {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"}
        posts = []
        for uri in uris:
            did, collection, rkey = uri.removeprefix("at://").split("/")
            stored = self.records.get((did, collection, rkey))
            if stored is None or collection != "app.bsky.feed.post":
                continue  # the AppView leaves out what it does not have
            counts = {"likeCount": 0, "repostCount": 0, "replyCount": 0, "quoteCount": 0, **self.counts.get(uri, {})}
            posts.append({"uri": uri, "cid": stored["cid"], "record": stored["value"],
                          "indexedAt": stored["value"].get("createdAt"), **counts})
        return 200, {"posts": posts}


class FakeWebsite(FakeServer):
    """Pages and images on localhost, for link cards: `site.page("/p", body, "text/html")`."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, tuple[int, bytes, dict[str, str]]] = {}

    def page(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", *,
             status: int = 200, headers: dict[str, str] | None = None) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = (status, data, {"Content-Type": content_type, **(headers or {})})
        return self.url + path

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        self.pages[path] = (status, b"", {"Location": to})
        return self.url + path

    @route("GET", r"/.*")
    def serve(self, request: Request):
        if request.path not in self.pages:
            return 404, b"not here", {"Content-Type": "text/plain"}
        return self.pages[request.path]


def og_page(title: str, description: str, image: str | None = None) -> str:
    image_tag = f'<meta property="og:image" content="{image}">' if image else ""
    return (f'<!doctype html><html><head><title>Plain title</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="og:description" content="{description}">{image_tag}'
            f'</head><body><p>Hello</p></body></html>')
