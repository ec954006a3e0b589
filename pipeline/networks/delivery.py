"""Delivery over HTTP, shared by every network: timeouts, retries, rate limits, masking.

A network module says what to send; this module decides when to wait, when to
try again, and how to explain a failure. It never retries blindly a request
that may already have had its effect: such a failure is raised as *ambiguous*
and the publish engine reconciles it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from pipeline.errors import PipelineError
from pipeline.secrets import Secrets
from pipeline.times import utc_now

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]
#: how much of a server's reason an error message quotes
REASON_LENGTH = 300


class DeliveryError(PipelineError):
    """A request that did not succeed.

    `ambiguous`: the network may have acted on it (a timeout after sending, a 500 on
    a create); `retry_later`: rate-limited for longer than this run waits.
    """

    def __init__(self, message: str, *, ambiguous: bool = False, retry_later: bool = False,
                 status: int | None = None, code: str = "delivery-failed") -> None:
        super().__init__(message, code=code)
        self.ambiguous = ambiguous
        self.retry_later = retry_later
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one run tries before leaving a part for the next run."""

    attempts: int = 4
    backoff: float = 1.0        # seconds before the first retry, doubled each time
    max_backoff: float = 30.0
    max_wait: float = 120.0     # longest rate-limit wait this run accepts
    jitter: float = 0.25        # +- fraction, so parallel runs do not retry in step


def wait_from_headers(headers: Any, body: Any, now: datetime) -> float | None:
    """Seconds to wait before the next request, from Retry-After or a rate-limit reset."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        seconds = _seconds(retry_after, now)
        if seconds is not None:
            return seconds
    regain = _regain_access(headers.get("X-Business-Use-Case-Usage"))
    if regain is not None:
        return regain
    if isinstance(body, dict):
        for holder in (body, body.get("parameters") or {}):
            if isinstance(holder, dict) and isinstance(holder.get("retry_after"), int | float):
                return float(holder["retry_after"])
    for name in ("X-RateLimit-Reset", "RateLimit-Reset", "x-rate-limit-reset"):
        value = headers.get(name)
        if value:
            seconds = _seconds(value, now, epoch_or_delta=True)
            if seconds is not None:
                return seconds
    return None


def _regain_access(usage: str | None) -> float | None:
    """Seconds from Meta's `X-Business-Use-Case-Usage` header: its longest
    `estimated_time_to_regain_access` (minutes), when it names one above zero."""
    if not usage:
        return None
    try:
        parsed = json.loads(usage)
    except ValueError:
        return None
    entries = [entry for group in parsed.values() if isinstance(group, list) for entry in group
               if isinstance(entry, dict)] if isinstance(parsed, dict) else []
    minutes = [entry.get("estimated_time_to_regain_access") for entry in entries]
    longest = max((m for m in minutes if isinstance(m, int | float) and not isinstance(m, bool)), default=0)
    return longest * 60.0 if longest > 0 else None


def _seconds(value: str, now: datetime, epoch_or_delta: bool = False) -> float | None:
    value = str(value).strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if epoch_or_delta and number > 1e9:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            moment = parse(value.replace("Z", "+00:00"))
        except (ValueError, TypeError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - now).total_seconds())
    return None


def exhausted(headers: Any) -> bool:
    for name in ("X-RateLimit-Remaining", "RateLimit-Remaining", "x-rate-limit-remaining"):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) <= 0
            except ValueError:
                return False
    return False


class Http:
    """A requests session with the project's delivery rules. Tests inject `sleep` and `clock`."""

    def __init__(self, *, secrets: Secrets, sleep: Sleep = time.sleep, clock: Clock = utc_now,
                 policy: RetryPolicy | None = None, timeout: tuple[float, float] = (5.0, 30.0),
                 rng: random.Random | None = None, session: Any = None) -> None:
        import requests

        self.requests = requests
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "social-media-as-code/0.1 (+https://github.com)"
        self.secrets = secrets
        self.sleep = sleep
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.rng = rng or random.Random()
        self._resume_at: dict[str, datetime] = {}
        #: requests not safe to repeat that may have reached a server: while it stays the same,
        #: nothing a failure left behind can have been published
        self.unsafe_sent = 0

    def request(self, method: str, url: str, *, idempotent: bool, credential: str = "",
                what: str = "", ok: Iterable[int] = (200, 201, 202, 204), **kwargs: Any):
        """Send with retries; returns the response, or raises DeliveryError explaining why not.

        `idempotent`: sending it twice does no harm (reads, deletes, creates that carry an
        idempotency key the server honours), so an unclear failure may be retried.
        `credential` names the environment variable behind the token, for messages.
        """
        ok = tuple(ok)
        what = what or f"{method} {self._host(url)}"
        attempt = 0
        while True:
            attempt += 1
            self._respect_rate_limit(url, what)
            if not idempotent:
                self.unsafe_sent += 1  # taken back below when it surely never left
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except self.requests.exceptions.ConnectTimeout:
                self.unsafe_sent -= not idempotent
                self._retry_or_raise(attempt, what, "could not connect (timeout)", ambiguous=False)
                continue
            except self.requests.exceptions.ConnectionError as exc:
                sent = not _never_connected(exc)
                if not sent:
                    self.unsafe_sent -= not idempotent
                if sent and not idempotent:
                    raise DeliveryError(f"{what}: the connection broke after sending; the network "
                                        "may have received it", ambiguous=True) from None
                self._retry_or_raise(attempt, what, "connection failed", ambiguous=sent and not idempotent)
                continue
            except self.requests.exceptions.Timeout:
                if not idempotent:
                    raise DeliveryError(f"{what}: no answer within {self.timeout[1]:.0f} s after "
                                        "sending; the network may have received it",
                                        ambiguous=True) from None
                self._retry_or_raise(attempt, what, "timed out", ambiguous=False)
                continue
            self._note_rate_limit(url, response)
            status = response.status_code
            if status in ok:
                return response
            if status == 429:
                wait = wait_from_headers(response.headers, json_body(response), self.clock())
                wait = self.policy.backoff * 2 ** (attempt - 1) if wait is None else wait
                if wait > self.policy.max_wait or attempt >= self.policy.attempts:
                    raise DeliveryError(f"{what}: rate limited for {wait:.0f} s more; it will go out "
                                        "in a later run", retry_later=True, status=429)
                self.sleep(wait)
                continue
            if status >= 500:
                # 503 says the request was not taken; a 500, or a gateway's 502/504, may hide a
                # backend that acted. Only requests safe to repeat are retried on those.
                if not idempotent and status != 503:
                    raise DeliveryError(f"{what}: server error {status}; the network may have "
                                        f"acted on it: {self._reason(response)}",
                                        ambiguous=True, status=status)
                self._retry_or_raise(attempt, what, f"server error {status}", ambiguous=False,
                                     status=status)
                continue
            raise self._client_error(response, what, credential)

    # -- helpers ------------------------------------------------------------------

    def _retry_or_raise(self, attempt: int, what: str, reason: str, *, ambiguous: bool,
                        status: int | None = None) -> None:
        if attempt >= self.policy.attempts:
            raise DeliveryError(f"{what}: {reason}, {attempt} attempts", ambiguous=ambiguous,
                                status=status)
        delay = min(self.policy.max_backoff, self.policy.backoff * 2 ** (attempt - 1))
        delay *= 1 + self.rng.uniform(-self.policy.jitter, self.policy.jitter)
        self.sleep(max(0.0, delay))

    def _note_rate_limit(self, url: str, response: Any) -> None:
        if exhausted(response.headers):
            wait = wait_from_headers(response.headers, None, self.clock())
            if wait:
                self._resume_at[self._host(url)] = self.clock().fromtimestamp(
                    self.clock().timestamp() + wait, UTC)

    def _respect_rate_limit(self, url: str, what: str) -> None:
        resume = self._resume_at.pop(self._host(url), None)
        if resume is None:
            return
        wait = (resume - self.clock()).total_seconds()
        if wait <= 0:
            return
        if wait > self.policy.max_wait:
            self._resume_at[self._host(url)] = resume
            raise DeliveryError(f"{what}: the rate limit resets in {wait:.0f} s; it will go out "
                                "in a later run", retry_later=True)
        self.sleep(wait)

    def _client_error(self, response: Any, what: str, credential: str) -> DeliveryError:
        status = response.status_code
        reason = self._reason(response)
        if status == 401:
            hint = f": check {credential}" if credential else ""
            return DeliveryError(f"{what}: token rejected{hint} ({reason})", status=status,
                                 code="auth-failed")
        if status == 403:
            hint = f" or check {credential}" if credential else ""
            return DeliveryError(f"{what}: refused (403): the token lacks a permission{hint} "
                                 f"({reason})", status=status, code="forbidden")
        return DeliveryError(f"{what}: refused ({status}): {reason}", status=status)

    def _reason(self, response: Any) -> str:
        body = json_body(response)
        if isinstance(body, dict):
            for key in ("error_description", "error", "message", "description", "detail"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    extra = body.get("message") if key == "error" and body.get("message") else ""
                    return self.secrets.excerpt(f"{value}: {extra}" if extra else value, REASON_LENGTH)
        text = (getattr(response, "text", "") or "").strip().replace("\n", " ")
        return self.secrets.excerpt(text, REASON_LENGTH) or response.reason or "no reason given"

    @staticmethod
    def _host(url: str) -> str:
        return url.split("://", 1)[-1].split("/", 1)[0]


def _never_connected(exc: Exception) -> bool:
    """Whether a ConnectionError happened before any byte of the request was sent."""
    text = repr(exc)
    return any(mark in text for mark in ("NewConnectionError", "NameResolutionError",
                                         "Connection refused", "ConnectTimeout"))


def json_body(response: Any) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None
