"""What Meta's Graph API answers when something goes wrong, and how close its limits are.

A Graph error has the body `{"error": {"message", "type", "code", "error_subcode",
"error_user_msg", "fbtrace_id", "is_transient"}}`, and most errors come with HTTP
400 whatever went wrong: the code, not the status, says what happened. Throttling
is one of the codes below, rarely a 429. Three headers say how much of a limit is
used, in percent: `X-App-Usage` and `X-Page-Usage` (platform limits, a rolling hour,
no time to wait) and `X-Business-Use-Case-Usage` (per business object, with
`estimated_time_to_regain_access` in minutes); a page access token is counted by
the last. Meta leaves a header out while its usage is near 0 %.

Nothing here is about Pages: Meta's other Graph APIs answer the same shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.networks.delivery import json_body, wait_from_headers

#: throttled: app (4), user (17), page (32), application limit (341), a call's own limit (613),
#: a page's business use case (80001)
RATE_LIMITED = frozenset({4, 17, 32, 341, 613, 80001})
#: "temporarily blocked for policies violations": Meta says to wait and try again
BLOCKED = 368
#: the token expired, was revoked or is not one
AUTH = frozenset({102, 190})
#: a permission or capability the token or the app lacks
PERMISSION = frozenset({3, 10, *range(200, 300)})
#: Meta's own trouble ("unknown error", "service"): may have acted
TRANSIENT = frozenset({1, 2})
#: "Duplicate status message": the same text as the previous post
DUPLICATE = 506
#: with code 100: the object does not exist, or the token may not see it
UNKNOWN_OBJECT = 33
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")


@dataclass(frozen=True)
class GraphError:
    """One error answer, read; `reason` says it the way Meta did, with the numbers to look up."""

    status: int
    code: int | None = None
    subcode: int | None = None
    message: str = ""
    user_message: str = ""
    trace: str = ""
    transient: bool = False

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMITED

    @property
    def reason(self) -> str:
        number = f"#{self.code}" + (f"/{self.subcode}" if self.subcode else "") if self.code else ""
        text = self.message or "no reason given"
        if self.user_message and self.user_message not in text:
            text += f"; {self.user_message}"
        trace = f", fbtrace_id {self.trace}" if self.trace else ""
        return f"{text} ({number or f'HTTP {self.status}'}{trace})"


def graph_error(response: Any) -> GraphError:
    """The Graph error in an answer; a body of another shape keeps its text as the message."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        text = error if isinstance(error, str) else (getattr(response, "text", "") or "").strip()
        return GraphError(response.status_code, message=" ".join(text.split())[:300])
    return GraphError(response.status_code, code=_number(error.get("code")),
                      subcode=_number(error.get("error_subcode")),
                      message=str(error.get("message") or "")[:300],
                      user_message=str(error.get("error_user_msg") or "")[:300],
                      trace=str(error.get("fbtrace_id") or "")[:40],
                      transient=error.get("is_transient") is True)


def usage(headers: Any) -> list[dict]:
    """Every usage entry in the three headers (the business header holds a list per object)."""
    entries: list[dict] = []
    for name in USAGE_HEADERS:
        try:
            value = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        if name == "X-Business-Use-Case-Usage" and isinstance(value, dict):
            entries += [entry for listed in value.values() if isinstance(listed, list)
                        for entry in listed if isinstance(entry, dict)]
        elif isinstance(value, dict):
            entries.append(value)
    return entries


def regain_after(headers: Any, now: datetime) -> float | None:
    """Seconds until Meta lifts a limit, when an answer says (Retry-After, or the business
    header's `estimated_time_to_regain_access`); None when it does not."""
    waits = [float(entry["estimated_time_to_regain_access"]) * 60 for entry in usage(headers)
             if _is_number(entry.get("estimated_time_to_regain_access"))]
    if waits:
        return max(waits)
    return wait_from_headers(headers, None, now)


def _number(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
