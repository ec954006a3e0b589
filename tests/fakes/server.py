"""A tiny real HTTP server on 127.0.0.1 for fake network APIs.

A fake subclasses `FakeServer` and registers routes with `@route(METHOD, regex)`.
Handlers get a `Request` and return `(status, body, headers)`; body may be a dict
(sent as JSON), bytes or str. Every request is recorded, so tests can assert what
was sent, and `faults` lets a test make the next matching requests fail (status,
delay, or a dropped connection after the handler ran: "the server acted, the
client never heard").
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def multipart(self) -> dict[str, tuple[str | None, str | None, bytes]]:
        """A multipart/form-data body: field name -> (filename, content type, bytes)."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return {}
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + self.body)
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_filename(), part.get_content_type() if part.get_filename() else None,
                            part.get_payload(decode=True) or b"")
        return fields


@dataclass
class Fault:
    """Make requests matching (method, path regex) misbehave, `times` times."""

    method: str
    pattern: str
    status: int | None = None          # answer this status instead of running the handler
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_handling: bool = False  # run the handler, then close without answering
    delay: float = 0.0                 # seconds before answering (real time: keep tiny)
    times: int = 1


Handler = Callable[..., tuple]


def route(method: str, pattern: str):
    def decorate(func):
        func.route = (method, re.compile(pattern))
        return func
    return decorate


class FakeServer:
    """Start with `with FakeMastodon() as server:`; `server.url` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.routes = [(*getattr(self, name).route, getattr(self, name))
                       for name in dir(self) if hasattr(getattr(self, name, None), "route")]
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, method: str, pattern: str, **kwargs) -> Fault:
        fault = Fault(method, pattern, **kwargs)
        self.faults.append(fault)
        return fault

    def calls(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.fullmatch(r.path)]

    # -- plumbing ------------------------------------------------------------------------

    def _take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and re.fullmatch(fault.pattern, request.path):
                    fault.times -= 1
                    return fault
        return None

    def _dispatch(self, request: Request) -> tuple:
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                return handler(request, **match.groupdict())
        return 404, {"error": f"no route for {request.method} {request.path}"}, {}

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with server.lock:
                    server.requests.append(request)
                fault = server._take_fault(request)
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.status is not None:
                    self._answer(fault.status, fault.body if fault.body is not None else {"error": "fault"},
                                 fault.headers)
                    return
                status, payload, headers = ((*server._dispatch(request), {}))[:3]
                if fault and fault.drop_after_handling:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._answer(status, payload, headers)

            def _answer(self, status: int, payload, headers: dict) -> None:
                if isinstance(payload, dict | list):
                    data = json.dumps(payload).encode()
                    headers = {"Content-Type": "application/json", **headers}
                elif isinstance(payload, str):
                    data = payload.encode()
                    headers = {"Content-Type": "text/plain", **headers}
                else:
                    data = payload or b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, str(value))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":  # a HEAD answer says the length and sends no body
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler
