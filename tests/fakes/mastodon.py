"""A fake Mastodon instance following NETWORKS.md: one account, real HTTP on localhost.

What it keeps: statuses (ours and foreign ones a test registers with `add_remote`),
Idempotency-Keys per account for an hour, media (ready at once, or after some
206 polls), favourites and reblogs, and a rate-limit budget with X-RateLimit-*
headers on every answer. Its clock is injected, so the tests' fake sleep moves
time for the client and the server alike.

Knobs a test sets: `budget(remaining, reset_in)`, `processing_polls`,
`repeat_key_fails` (a repeated key answers 500, as seen on real servers),
`act_then_fail` (create the status, then answer these statuses),
`hide_new_statuses` (the listing lags behind), `null_urls`, `max_characters`, the
account's `followers_count` (in `account`) and each status's counts (`set_counts`).
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP

from tests.fakes.server import FakeServer, Request, route

KEY_WINDOW = timedelta(hours=1)
RATE_WINDOW = timedelta(minutes=5)
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")
_MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]+)(?:@([\w.-]*\w))?")
_TAG = re.compile(r"(?<![\w/&#])#(\w+)")


def iso(moment: datetime) -> str:
    """Mastodon's time format: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeMastodon(FakeServer):
    def __init__(self, token: str = "fake-token", *, clock: Callable[[], datetime] | None = None,
                 username: str = "crumbandco") -> None:
        super().__init__()
        self.token = token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.account = {"id": "1", "username": username, "acct": username,
                        "display_name": "Crumb & Co.", "followers_count": 12,
                        "url": f"{self.url}/@{username}"}
        self.statuses: dict[str, dict] = {}
        self.profile = {"display_name": "Crumb & Co.", "note": "", "fields": [],
                        "avatar": f"{self.url}/avatars/original/missing.png",
                        "header": f"{self.url}/headers/original/missing.png"}
        self.profile_images: dict[str, bytes] = {}
        self.media: dict[str, dict] = {}
        self.favourites: set[str] = set()
        self.remote: dict[str, dict] = {}          # foreign posts search can resolve, by URL
        self.keys: dict[tuple[str, str], tuple[str, datetime]] = {}
        self.max_characters = 500
        self.processing_polls = 0                  # 206 answers before an upload is ready
        self.repeat_key_fails = False
        self.act_then_fail: list[int] = []
        self.hide_new_statuses = False
        self.hidden: set[str] = set()
        self.null_urls = False
        self.creates_handled = 0
        self.limit = 300
        self.remaining = 300
        self.reset_at = self.clock() + RATE_WINDOW
        self._next = 110_000_000_000_000_000
        self._state = threading.Lock()

    # -- for tests ------------------------------------------------------------------------

    def budget(self, remaining: int, reset_in: float) -> None:
        """Requests left in the current rate-limit window, and seconds until it resets."""
        self.remaining = remaining
        self.reset_at = self.clock() + timedelta(seconds=reset_in)

    def add_remote(self, url: str, text: str = "Someone else's post", acct: str = "anna@example.org") -> dict:
        """A foreign post that search with resolve=true can fetch."""
        status = self._status(text, account={"id": "900", "username": acct.split("@")[0], "acct": acct},
                              url=url, uri=url, store=False)
        self.remote[url] = status
        return status

    def add_own(self, text: str) -> dict:
        """A status of our account posted some other way (by hand, another app)."""
        with self._state:
            return self._status(text)

    def set_counts(self, status_id: str, *, likes: int = 0, reposts: int = 0, replies: int = 0) -> None:
        """What others did with a status: favourites, reblogs and replies as the API counts them."""
        with self._state:
            self.statuses[status_id].update(favourites_count=likes, reblogs_count=reposts, replies_count=replies)

    def ours(self) -> list[dict]:
        """Our own statuses (not reblogs), oldest first."""
        return [s for s in self.statuses.values()
                if s["account"]["id"] == self.account["id"] and not s["reblog"]]

    def wait_for_creates(self, count: int, timeout: float = 3.0) -> None:
        """Wait (real time, briefly) until `count` create requests were handled to the end."""
        deadline = time.monotonic() + timeout
        while self.creates_handled < count and time.monotonic() < deadline:
            time.sleep(0.01)

    # -- plumbing: auth and rate limits on every request -----------------------------------

    def _dispatch(self, request: Request) -> tuple:
        with self._state:
            now = self.clock()
            if now >= self.reset_at:
                self.remaining = self.limit
                self.reset_at = now + RATE_WINDOW
            limited = self.remaining <= 0
            if not limited:
                self.remaining -= 1
            headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                       "X-RateLimit-Reset": self.reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        if limited:
            wait = max(0, int((self.reset_at - now).total_seconds() + 0.999))
            return 429, {"error": "Too many requests"}, {**headers, "Retry-After": str(wait)}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}, headers
        status, body, *rest = super()._dispatch(request)
        return status, body, {**headers, **(rest[0] if rest else {})}

    def _status(self, text: str, *, account: dict | None = None, url: str | None = None,
                uri: str | None = None, store: bool = True, **fields) -> dict:
        self._next += 1 << 16
        status_id = str(self._next)
        account = account or self.account
        base = f"{self.url}/users/{account['username']}/statuses/{status_id}"
        status = {"id": status_id, "created_at": iso(self.clock()), "in_reply_to_id": None,
                  "sensitive": False, "spoiler_text": "", "visibility": "public", "language": None,
                  "uri": uri or base, "url": None if self.null_urls else url or
                  f"{self.url}/@{account['username']}/{status_id}",
                  "content": content_html(text, self.url), "account": account, "reblog": None,
                  "media_attachments": [], "favourited": False, "reblogged": False,
                  "favourites_count": 0, "reblogs_count": 0, "replies_count": 0, **fields}
        if store:
            self.statuses[status_id] = status
        return status

    # -- accounts -----------------------------------------------------------------------

    @route("GET", r"/api/v2/instance")
    def instance(self, request: Request):
        """Public: the instance's configuration, as /api/v2/instance describes it."""
        return 200, {"domain": self.url.split("://", 1)[-1], "version": "4.3.0", "configuration": {
            "statuses": {"max_characters": self.max_characters, "max_media_attachments": 4,
                         "characters_reserved_per_url": 23}}}

    @route("GET", r"/api/v1/accounts/verify_credentials")
    def verify_credentials(self, request: Request):
        return 200, self._credential_account()

    def _credential_account(self) -> dict:
        profile = self.profile
        return {**self.account, "display_name": profile["display_name"], "note": f"<p>{profile['note']}</p>",
                "avatar": profile["avatar"], "avatar_static": profile["avatar"], "header": profile["header"],
                "header_static": profile["header"],
                "fields": [{"name": n, "value": v, "verified_at": None} for n, v in profile["fields"]],
                "source": {"privacy": "public", "language": "en", "note": profile["note"],
                           "fields": [{"name": n, "value": v} for n, v in profile["fields"]]}}

    @route("PATCH", r"/api/v1/accounts/update_credentials")
    def update_credentials(self, request: Request):
        """Multipart (or form) fields; fields_attributes[i][name|value]; avatar and header files."""
        if "multipart/form-data" in request.headers.get("content-type", ""):
            parts = multipart(request)
            form = {name: body.decode("utf-8") for name, (filename, body, _) in parts.items() if filename is None}
            files = {name: body for name, (filename, body, _) in parts.items() if filename is not None}
        else:
            form = {name: values[-1] for name, values in request.form().items()}
            files = {}
        profile = self.profile
        if "display_name" in form:
            if len(form["display_name"]) > 30:
                return 422, {"error": "Validation failed: Display name is too long (maximum is 30 characters)"}
            profile["display_name"] = form["display_name"]
        if "note" in form:
            profile["note"] = form["note"]
        indexes = sorted({int(k.split("[")[1].rstrip("]")) for k in form if k.startswith("fields_attributes[")})
        if indexes:
            pairs = [(form.get(f"fields_attributes[{i}][name]", ""), form.get(f"fields_attributes[{i}][value]", ""))
                     for i in indexes]
            profile["fields"] = [(n, v) for n, v in pairs if n or v]
        for key in ("avatar", "header"):
            if key in files:
                self.profile_images[key] = files[key]
                self._next += 1
                profile[key] = f"{self.url}/system/accounts/{key}s/{self._next}/original/{key}.png"
        return 200, self._credential_account()

    @route("GET", r"/api/v1/accounts/(?P<account_id>\d+)/statuses")
    def account_statuses(self, request: Request, account_id: str):
        if account_id != self.account["id"]:
            return 404, {"error": "Record not found"}
        limit = min(40, int(request.query.get("limit", ["20"])[0]))
        max_id = request.query.get("max_id", [None])[0]
        exclude_reblogs = request.query.get("exclude_reblogs", ["false"])[0] == "true"
        with self._state:
            listed = [s for s in self.statuses.values()
                      if s["account"]["id"] == account_id and s["id"] not in self.hidden
                      and not (exclude_reblogs and s["reblog"])
                      and (max_id is None or int(s["id"]) < int(max_id))]
        listed.sort(key=lambda s: int(s["id"]), reverse=True)
        return 200, listed[:limit]

    # -- statuses -----------------------------------------------------------------------

    @route("POST", r"/api/v1/statuses")
    def create_status(self, request: Request):
        try:
            return self._create(request)
        finally:
            with self._state:
                self.creates_handled += 1

    def _create(self, request: Request):
        form = request.form()
        value = {k: v[-1] for k, v in form.items()}
        key = request.headers.get("idempotency-key")
        with self._state:
            now = self.clock()
            if key and (self.account["id"], key) in self.keys:
                status_id, created = self.keys[(self.account["id"], key)]
                if now - created < KEY_WINDOW:
                    if self.repeat_key_fails:
                        return 500, {"error": "We're sorry, but something went wrong on our end."}
                    return 200, self.statuses[status_id]
            text = value.get("status", "")
            media_ids = form.get("media_ids[]", [])
            problem = self._refuse(text, value, media_ids)
            if problem:
                return problem
            reply_to = value.get("in_reply_to_id") or None
            if reply_to and reply_to not in self.statuses:
                return 404, {"error": "Record not found"}
            cw = value.get("spoiler_text", "")
            status = self._status(text, in_reply_to_id=reply_to, spoiler_text=cw,
                                  sensitive=value.get("sensitive") in ("true", "1") or bool(cw),
                                  visibility=value.get("visibility", "public"),
                                  language=value.get("language") or None,
                                  media_attachments=[self.media[m] for m in media_ids])
            for media_id in media_ids:
                self.media[media_id]["attached"] = status["id"]
            if reply_to:
                self.statuses[reply_to]["replies_count"] += 1
            if key:
                self.keys[(self.account["id"], key)] = (status["id"], now)
            if self.hide_new_statuses:
                self.hidden.add(status["id"])
            if self.act_then_fail:
                return self.act_then_fail.pop(0), {"error": "Internal server error"}
            return 200, status

    def _refuse(self, text: str, value: dict, media_ids: list[str]) -> tuple | None:
        if not text.strip() and not media_ids:
            return 422, {"error": "Validation failed: Text can't be blank"}
        if value.get("visibility", "public") not in ("public", "unlisted", "private", "direct"):
            return 422, {"error": "Validation failed: Visibility is not included in the list"}
        if len(media_ids) > 4:
            return 422, {"error": "Validation failed: Media attachments too many"}
        length = len(_URL.sub("x" * 23, text)) + len(value.get("spoiler_text", ""))
        if length > self.max_characters:
            return 422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media.get("attached"):
                return 422, {"error": "Validation failed: Media attachments are invalid"}
            if media["url"] is None:
                return 422, {"error": "Cannot attach files that have not finished processing. "
                                      "Try again in a moment!"}
        return None

    @route("GET", r"/api/v1/statuses/(?P<status_id>\d+)")
    def get_status(self, request: Request, status_id: str):
        status = self.statuses.get(status_id)
        return (200, status) if status else (404, {"error": "Record not found"})

    @route("DELETE", r"/api/v1/statuses/(?P<status_id>\d+)")
    def delete_status(self, request: Request, status_id: str):
        with self._state:
            status = self.statuses.get(status_id)
            if status is None or status["account"]["id"] != self.account["id"]:
                return 404, {"error": "Record not found"}
            del self.statuses[status_id]
        return 200, {**status, "text": html.unescape(re.sub(r"<[^>]+>", "", status["content"]))}

    @route("POST", r"/api/v1/statuses/(?P<status_id>\d+)/reblog")
    def reblog(self, request: Request, status_id: str):
        with self._state:
            original = self.statuses.get(status_id)
            if original is None:
                return 404, {"error": "Record not found"}
            existing = self._reblog_of(status_id)
            if existing:
                return 200, existing
            original["reblogs_count"] += 1
            original["reblogged"] = True
            wrapper = self._status("", reblog=original, uri=f"{original['uri']}/activity")
            return 200, {**wrapper, "url": None}

    @route("POST", r"/api/v1/statuses/(?P<status_id>\d+)/unreblog")
    def unreblog(self, request: Request, status_id: str):
        with self._state:
            original = self.statuses.get(status_id)
            if original is None:
                return 404, {"error": "Record not found"}
            existing = self._reblog_of(status_id)
            if existing:
                del self.statuses[existing["id"]]
                original["reblogs_count"] -= 1
            original["reblogged"] = False
            return 200, original

    def _reblog_of(self, status_id: str) -> dict | None:
        return next((s for s in self.statuses.values() if s["reblog"] and s["reblog"]["id"] == status_id
                     and s["account"]["id"] == self.account["id"]), None)

    @route("POST", r"/api/v1/statuses/(?P<status_id>\d+)/(?P<action>favourite|unfavourite)")
    def favourite(self, request: Request, status_id: str, action: str):
        with self._state:
            status = self.statuses.get(status_id)
            if status is None:
                return 404, {"error": "Record not found"}
            if action == "favourite":
                self.favourites.add(status_id)
            else:
                self.favourites.discard(status_id)
            status["favourited"] = status_id in self.favourites
            status["favourites_count"] = int(status["favourited"])
            return 200, status

    # -- search -------------------------------------------------------------------------

    @route("GET", r"/api/v2/search")
    def search(self, request: Request):
        query = request.query.get("q", [""])[0]
        resolve = request.query.get("resolve", ["false"])[0] == "true"
        with self._state:
            found = [s for s in self.statuses.values() if query in (s["url"], s["uri"])]
            if not found and resolve and query in self.remote:
                found = [self.remote[query]]  # fetched from its server: known here from now on
                self.statuses[found[0]["id"]] = found[0]
        kind = request.query.get("type", [None])[0]
        return 200, {"accounts": [], "hashtags": [], "statuses": found if kind in (None, "statuses") else []}

    # -- media --------------------------------------------------------------------------

    @route("POST", r"/api/v2/media")
    def upload(self, request: Request):
        fields = multipart(request)
        if "file" not in fields:
            return 422, {"error": "Validation failed: File can't be blank"}
        description = fields.get("description", (None, b"", ""))[1].decode("utf-8")
        if len(description) > 1500:
            return 422, {"error": "Validation failed: Description is too long (maximum is 1500 characters)"}
        filename, content, content_type = fields["file"]
        with self._state:
            self._next += 1 << 16
            media_id = str(self._next)
            ready = self.processing_polls == 0
            self.media[media_id] = {"id": media_id, "type": "image", "description": description or None,
                                    "url": f"{self.url}/media/{media_id}.png" if ready else None,
                                    "filename": filename, "content_type": content_type,
                                    "size": len(content), "polls_left": self.processing_polls,
                                    "attached": None}
            answer = self._media_view(media_id)
        return (200 if ready else 202), answer

    @route("GET", r"/api/v1/media/(?P<media_id>\d+)")
    def media_status(self, request: Request, media_id: str):
        with self._state:
            media = self.media.get(media_id)
            if media is None:
                return 404, {"error": "Record not found"}
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                return 206, self._media_view(media_id)
            media["url"] = f"{self.url}/media/{media_id}.png"
            return 200, self._media_view(media_id)

    def _media_view(self, media_id: str) -> dict:
        media = self.media[media_id]
        return {k: media[k] for k in ("id", "type", "url", "description")}


def multipart(request: Request) -> dict[str, tuple[str | None, bytes, str]]:
    """Fields of a multipart/form-data body: name -> (filename, bytes, content type)."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"", part.get_content_type())
    return fields


def content_html(text: str, instance: str) -> str:
    """A status's text as Mastodon renders it: paragraphs, <br />, linked URLs, mentions, tags."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{'<br />'.join(_inline(line, instance) for line in p.split(chr(10)))}</p>"
                   for p in paragraphs)


def _inline(line: str, instance: str) -> str:
    pieces, last = [], 0
    for match in _URL.finditer(line):
        pieces.append(_words(line[last:match.start()], instance))
        url = match.group(0)
        scheme, rest = url.split("://", 1)
        shown, hidden = rest[:30], rest[30:]
        pieces.append(f'<a href="{html.escape(url)}" rel="nofollow noopener noreferrer" target="_blank">'
                      f'<span class="invisible">{scheme}://</span>'
                      f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                      f'<span class="invisible">{html.escape(hidden)}</span></a>')
        last = match.end()
    pieces.append(_words(line[last:], instance))
    return "".join(pieces)


def _words(text: str, instance: str) -> str:
    text = html.escape(text, quote=False)
    text = _MENTION.sub(lambda m: f'<span class="h-card" translate="no"><a href="https://'
                        f'{m.group(2) or instance.split("://")[-1]}/@{m.group(1)}" class="u-url mention">'
                        f'@<span>{m.group(1)}</span></a></span>', text)
    return _TAG.sub(lambda m: f'<a href="{instance}/tags/{m.group(1).lower()}" class="mention hashtag" '
                    f'rel="tag">#<span>{m.group(1)}</span></a>', text)
