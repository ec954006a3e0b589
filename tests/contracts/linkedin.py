"""LinkedIn's contract: FakeLinkedIn (/rest/posts, little text, Retry-After, 422 duplicates)."""

from __future__ import annotations

import re

from tests.contracts import Contract, ErrorCase
from tests.fakes.linkedin import FakeLinkedIn


def _plain(commentary: str) -> str:
    """What a reader sees of little text: the escapes removed."""
    return re.sub(r"\\(.)", r"\1", commentary)


CONTRACT = Contract(
    network="linkedin",
    fake=lambda clock, token: FakeLinkedIn(token, clock=clock),
    channel=lambda server: {"author": "urn:li:organization:42", "api": server.url,
                            "credentials": {"token": "LINKEDIN_TOKEN"}},
    env=lambda server, token: {"LINKEDIN_TOKEN": token},
    online=lambda server: [_plain(p["commentary"]) for p in server.ours()],
    create=("POST", r"/rest/posts"),
    refusal=(422, {"status": 422, "message": "ERROR :: /commentary :: is not valid", "serviceErrorCode": 100}),
    rate_limited=lambda server, reset: {"Retry-After": str(reset)},
    act_then_fail=lambda server: server.act_then_fail.append(500),
    max_length=3000,
    account="Crumb & Co. (urn:li:organization:42)",
    errors=(
        ErrorCase("unauthorized", 401, {"status": 401, "serviceErrorCode": 65600,
                                        "message": "Invalid access token"}, says=("LINKEDIN_TOKEN",)),
        ErrorCase("forbidden", 403, {"status": 403, "serviceErrorCode": 100,
                                     "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE"},
                  says=("w_organization_social",)),
        ErrorCase("version-retired", 426, {"status": 426, "code": "NONEXISTENT_VERSION",
                                           "message": "Requested version 20240101 is not active"},
                  says=("version",)),
    ),
)
