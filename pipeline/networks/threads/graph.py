"""What Meta's Graph API answers, as the Threads API speaks it: errors, container states, times.

An error is `{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"fbtrace_id"}}`, whatever the HTTP status: the numbers say what happened (190 a token
that no longer works, 10 and 200-299 a permission missing, 4/17/32/613 throttling), so
they are read before the status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pipeline.networks.delivery import DeliveryError, json_body, wait_from_headers

#: Graph error codes that mean "too many calls": the app's, the user's, or per hour
THROTTLED = frozenset({4, 17, 32, 613})
#: error_subcode of "the account published as many posts as the API allows" (Instagram's
#: content publishing limit; unverified for Threads, whose own limit is read before publishing)
PUBLISHING_LIMIT = frozenset({2207042})
#: the token is invalid, expired or revoked
TOKEN_REJECTED = 190
#: "the media is not ready to be published" (Instagram's code and subcodes; unverified for Threads)
NOT_READY_CODE = 9007
NOT_READY_SUBCODES = frozenset({2207027, 4279009})
#: "object does not exist" (a deleted post, an unknown id)
UNKNOWN_OBJECT_SUBCODE = 33


class ContainerStatus(StrEnum):
    """Where a media container is: Threads publishes it only once it is FINISHED."""

    IN_PROGRESS = "IN_PROGRESS"
    FINISHED = "FINISHED"
    PUBLISHED = "PUBLISHED"
    ERROR = "ERROR"
    EXPIRED = "EXPIRED"  # not published within 24 hours


class GraphError(DeliveryError):
    """A refusal of the Graph API, with its numbers kept for the adapter to decide on."""

    def __init__(self, message: str, *, graph_code: int | None = None, subcode: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.graph_code = graph_code
        self.subcode = subcode

    @property
    def not_ready(self) -> bool:
        """Threads says the container cannot be published yet."""
        return self.graph_code == NOT_READY_CODE or self.subcode in NOT_READY_SUBCODES

    @property
    def gone(self) -> bool:
        """The object does not exist (any more)."""
        return self.status == 404 or self.subcode == UNKNOWN_OBJECT_SUBCODE


def refusal(response: Any, what: str, *, variable: str, permission: str, mask: Any,
            now: datetime) -> GraphError:
    """The error a refused request stands for, saying what to do; `permission` is what the call needs."""
    status = response.status_code
    error = error_object(response)
    code, subcode = _number(error.get("code")), _number(error.get("error_subcode"))
    said = error.get("error_user_msg") or error.get("message") or (response.text or "").strip() or response.reason
    reason = mask(str(said or "no reason given"))[:300]
    numbers = {"graph_code": code, "subcode": subcode, "status": status}
    if code in THROTTLED or subcode in PUBLISHING_LIMIT:
        wait = wait_from_headers(response.headers, None, now)
        when = f" for about {max(1, round(wait / 60))} min" if wait else ""
        return GraphError(f"{what}: Threads is limiting the account{when} ({reason}); it goes out in a "
                          "later run", retry_later=True, code="rate-limited", **numbers)
    if code == TOKEN_REJECTED or status == 401:
        return GraphError(f"{what}: token rejected: check {variable} (a long-lived Threads token lasts 60 "
                          "days unless it is refreshed: docs/networks/threads.md says how) "
                          f"({reason})", code="auth-failed", **numbers)
    if code == 10 or (code is not None and 200 <= code <= 299) or status == 403:
        return GraphError(f"{what}: refused ({status}): the token lacks the permission {permission}, or "
                          f"check {variable} ({reason})", code="forbidden", **numbers)
    return GraphError(f"{what}: refused ({status}): {reason}", **numbers)


def error_object(response: Any) -> dict:
    """The `error` object of an answer, or {}."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def moment(value: Any) -> datetime | None:
    """A Graph timestamp (`2026-12-01T11:30:00+0000`) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
