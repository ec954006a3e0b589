"""Threads' contract: FakeThreads (containers, then threads_publish; Graph errors; Meta's usage header)."""

from __future__ import annotations

import json
import math

from tests.contracts import Contract, ErrorCase
from tests.fakes.threads import USER_ID, FakeThreads, graph_error


def _parents(server: FakeThreads) -> dict[str, str | None]:
    by_id = {post["id"]: post["text"] for post in server.ours()}
    return {post["text"]: by_id.get((post.get("replied_to") or {}).get("id")) for post in server.ours()}


def _rate_limited(server: FakeThreads, reset: int) -> dict[str, str]:
    usage = {USER_ID: [{"type": "threads", "call_count": 100, "total_cputime": 12, "total_time": 20,
                        "estimated_time_to_regain_access": math.ceil(reset / 60)}]}
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


CONTRACT = Contract(
    network="threads",
    fake=lambda clock, token: FakeThreads(token, clock=clock),
    channel=lambda server: {"api": server.url, "credentials": {"token": "THREADS_TOKEN"}},
    env=lambda server, token: {"THREADS_TOKEN": token},
    online=lambda server: [post["text"] for post in server.ours()],
    create=("POST", r"/v1\.0/[^/]+/threads_publish"),
    refusal=graph_error(400, "Invalid parameter", 100, error_user_msg="The post could not be published"),
    rate_limited=_rate_limited,
    act_then_fail=lambda server: server.act_then_fail.append(500),
    parents=_parents,
    max_length=500,
    account="@crumbandco",
    errors=(
        ErrorCase("token-invalid", 401, graph_error(401, "Invalid OAuth access token", 190)[1],
                  says=("token rejected: check THREADS_TOKEN", "60 days")),
        ErrorCase("token-expired", 400, graph_error(400, "Error validating access token: Session has expired",
                                                    190, 463)[1], says=("THREADS_TOKEN", "60 days")),
        ErrorCase("permission-missing", 403, graph_error(403, "Application does not have permission for this "
                                                              "action", 10)[1],
                  says=("threads_content_publish",)),
        ErrorCase("permission-missing-as-400", 400, graph_error(400, "(#200) Permissions error", 200)[1],
                  says=("threads_content_publish",)),
        ErrorCase("throttled-as-400", 400, graph_error(400, "Application request limit reached", 4)[1],
                  says=("later run",)),
        ErrorCase("publishing-limit", 400, graph_error(400, "The user has reached the publishing limit", 9,
                                                       2207042)[1], says=("later run",)),
        ErrorCase("refused-with-reason", 400, graph_error(400, "Invalid parameter", 100,
                                                          error_user_msg="The text is not allowed")[1],
                  says=("The text is not allowed",)),
    ),
)
