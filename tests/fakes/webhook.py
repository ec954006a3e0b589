"""A well-behaved webhook receiver, as docs/networks/webhook.md asks receivers to be.

It checks the signature independently of the adapter (the doc's recipe, not the
adapter's code), refuses stale timestamps, stores each Idempotency-Key once and
answers a repeated key with 409 (or, with `replay=True`, its first answer again).
`hold_next_answer()` makes it store the next new event and then stall, so the
client times out after the receiver acted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer

from tests.fakes.server import FakeServer, Request, route


class FakeWebhook(FakeServer):
    """POST {url}/hooks/<token>?t=<query token>; `hook_url` is the whole secret URL."""

    def __init__(self, secret: str, *, token: str = "path-token-0123456789",
                 query_token: str = "query-token-abcdef", clock: Callable[[], float] = time.time,
                 tolerance: float = 300, replay: bool = False) -> None:
        self.secret = secret
        self.token = token
        self.query_token = query_token
        self.clock = clock
        self.tolerance = tolerance
        self.replay = replay
        #: every accepted event, in the order it was stored (one per Idempotency-Key)
        self.stored: list[dict] = []
        #: why requests were refused, in order
        self.refusals: list[str] = []
        #: how many requests carried a key already stored
        self.duplicates = 0
        self._answers: dict[str, dict] = {}
        self._store_lock = threading.Lock()
        self._holds = 0
        self._release = threading.Event()
        super().__init__()
        # Stop within 10 ms instead of serve_forever's default 0.5 s poll: many tests start one.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)
        self.httpd.handle_error = self._handle_error

    def _handle_error(self, request, client_address) -> None:
        # A held answer goes to a client that gave up long ago: expected, not worth a traceback.
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            ThreadingHTTPServer.handle_error(self.httpd, request, client_address)

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hooks/{self.token}?t={self.query_token}"

    def hold_next_answer(self) -> None:
        """Store the next new event, then keep the client waiting (until the fake stops)."""
        self._holds += 1

    def __exit__(self, *exc) -> None:
        self._release.set()
        super().__exit__(*exc)

    def verify(self, request: Request) -> str | None:
        """Why the request is not authentic, or None when it is."""
        timestamp = request.headers.get("x-social-timestamp", "")
        given = request.headers.get("x-social-signature", "")
        if not timestamp.isdigit():
            return "missing timestamp"
        if abs(self.clock() - int(timestamp)) > self.tolerance:
            return "stale timestamp"
        message = timestamp.encode() + b"." + request.body
        expected = "sha256=" + hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "bad signature"
        return None

    def _refuse(self, status: int, reason: str) -> tuple:
        self.refusals.append(reason)
        return status, {"error": reason}

    @route("POST", r"/hooks/(?P<token>[^/]+)")
    def receive(self, request: Request, token: str) -> tuple:
        if token != self.token or request.query.get("t") != [self.query_token]:
            return self._refuse(404, "no such hook")
        problem = self.verify(request)
        if problem:
            return self._refuse(401, problem)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self._refuse(415, "expected application/json")
        key = request.headers.get("idempotency-key", "")
        event = json.loads(request.body)
        if not key or event.get("idempotency_key") != key:
            return self._refuse(400, "Idempotency-Key missing or not the signed idempotency_key")
        with self._store_lock:
            if key in self._answers:
                self.duplicates += 1
                return (200 if self.replay else 409), self._answers[key]
            number = len(self.stored) + 1
            if event["event"] == "post.published":
                answer = {"id": f"evt-{number}", "url": f"https://receiver.example/posts/evt-{number}"}
            else:
                answer = {"id": f"evt-{number}"}
            self._answers[key] = answer
            self.stored.append(event)
            hold = self._holds > 0
            self._holds -= hold
        if hold:
            self._release.wait(10)
        return 201, answer
