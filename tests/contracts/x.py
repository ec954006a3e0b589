"""X's contract: FakeX (/2/tweets, OAuth 1.0a signatures, x-rate-limit-* headers, 403 duplicates)."""

from __future__ import annotations

from tests.contracts import Contract, ErrorCase
from tests.fakes.x import DUPLICATE, USERNAME, FakeX, parents, sent_texts

ENV = {"X_API_KEY": "fake-api-key", "X_API_SECRET": "fake-api-secret",
       "X_ACCESS_TOKEN": "1460000000000000001-fakeaccesstoken"}
CREDENTIALS = {"api_key": "X_API_KEY", "api_secret": "X_API_SECRET", "access_token": "X_ACCESS_TOKEN",
               "access_secret": "X_ACCESS_SECRET"}


def _problem(status: int, title: str, detail: str, kind: str = "about:blank") -> dict:
    return {"title": title, "detail": detail, "type": kind, "status": status}


CONTRACT = Contract(
    network="x",
    # The canary is the access secret: it signs every request and never travels.
    fake=lambda clock, token: FakeX(token, clock=clock),
    channel=lambda server: {"username": USERNAME, "api": server.url, "credentials": CREDENTIALS},
    env=lambda server, token: {**ENV, "X_ACCESS_SECRET": token},
    online=sent_texts,
    create=("POST", r"/2/tweets"),
    refusal=(400, {"errors": [{"message": "$.text: something X does not take"}], "title": "Invalid Request",
                   "detail": "One or more parameters to your request was invalid.",
                   "type": "https://api.twitter.com/2/problems/invalid-request"}),
    rate_limited=lambda server, reset: {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0",
                                        "x-rate-limit-reset": str(int(server.clock().timestamp()) + reset)},
    act_then_fail=lambda server: server.act_then_fail.append(500),
    parents=parents,
    max_length=280,
    account=f"@{USERNAME}",
    errors=(
        ErrorCase("unauthorized", 401, _problem(401, "Unauthorized", "Unauthorized"), says=("X_ACCESS_SECRET",)),
        ErrorCase("read-only-app", 403, _problem(403, "Forbidden", "Your client app is not configured with the "
                                                 "appropriate oauth1 app permissions for this endpoint.",
                                                 "https://api.twitter.com/2/problems/oauth1-permissions"),
                  says=("Read and write",)),
        ErrorCase("credits-used-up", 402, _problem(402, "Payment Required", "Your enrolled account does not "
                                                   "have any credits"), says=("credits",)),
        ErrorCase("duplicate-of-an-older-post", 403, _problem(403, "Forbidden", DUPLICATE),
                  says=("duplicate", "social resolve rye --channel net --part 1")),
    ),
)
