"""Facebook's contract: FakeFacebook (Graph API errors with HTTP 400, throttling as error codes with
usage headers, no idempotency key, #506 for the same text twice)."""

from __future__ import annotations

import json

from tests.contracts import Contract, ErrorCase
from tests.fakes.facebook import PAGE_ID, FakeFacebook, business_usage


def _error(code: int, message: str, **extra) -> dict:
    return {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC12dEf",
                      **extra}}


CONTRACT = Contract(
    network="facebook",
    fake=lambda clock, token: FakeFacebook(token, clock=clock),
    channel=lambda server: {"page_id": PAGE_ID, "api": server.url,
                            "credentials": {"token": "FACEBOOK_PAGE_TOKEN"}},
    env=lambda server, token: {"FACEBOOK_PAGE_TOKEN": token},
    online=lambda server: [post["message"] for post in server.ours()],
    create=("POST", r"/v\d+\.\d+/\d+/(feed|photos)"),
    refusal=(400, _error(100, "(#100) Invalid parameter")),
    # Minutes in Meta's header: the reset rounded up to whole minutes.
    rate_limited=lambda server, reset: business_usage(PAGE_ID, 100, -(-reset // 60)),
    act_then_fail=lambda server: server.act_then_fail.append(500),
    max_length=63206,
    account=f"Crumb & Co. (page {PAGE_ID})",
    errors=(
        ErrorCase("token-invalid", 400, _error(190, "Invalid OAuth access token - Cannot parse access token"),
                  says=("token rejected: check FACEBOOK_PAGE_TOKEN",)),
        ErrorCase("token-expired", 400, _error(190, "Error validating access token: Session has expired",
                                               error_subcode=463),
                  says=("token expired", "FACEBOOK_PAGE_TOKEN")),
        ErrorCase("permission", 403, _error(200, "(#200) If posting to a page, requires both "
                                                 "pages_read_engagement and pages_manage_posts"),
                  says=("pages_manage_posts", "FACEBOOK_PAGE_TOKEN")),
        ErrorCase("page-throttled", 400, _error(32, "(#32) Page request limit reached", is_transient=True),
                  says=("throttling", "later run"),
                  headers={"X-Page-Usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 25})}),
        ErrorCase("business-throttled", 400, _error(80001, "There have been too many calls to this Page account. "
                                                           "Wait a bit and try again.", is_transient=True),
                  says=("about 30 min", "later run"), headers=business_usage(PAGE_ID, 100, 30)),
        ErrorCase("app-throttled", 403, _error(4, "(#4) Application request limit reached", is_transient=True),
                  says=("throttling", "later run"),
                  headers={"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 9, "total_time": 9})}),
        ErrorCase("blocked", 400, _error(368, "It looks like you were misusing this feature by going too fast."),
                  says=("blocks posting",)),
        ErrorCase("duplicate", 400, _error(506, "(#506) Duplicate status message"),
                  says=("the page's previous post has the text of rye", "Change the text")),
    ),
)
