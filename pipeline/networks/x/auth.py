"""How requests to X are authorized: OAuth 1.0a user context, or an OAuth 2.0 user token.

OAuth 1.0a (`auth: oauth1`, the default) signs every request with the app's API key
and secret and the account's access token and secret (requests-oauthlib's `OAuth1`,
HMAC-SHA1 in the Authorization header). These tokens do not expire, which is what a
scheduled publisher needs.

OAuth 2.0 (`auth: oauth2`) sends a user access token as a bearer token; X's tokens
live two hours. With a refresh token and the app's client id (and its client secret,
for a confidential client) a token X refuses is refreshed once in a run, and the new
one serves the rest of that run only. X answers a refresh with a new refresh token as
well and the old one stops working; the pipeline cannot keep the new one (environment
variables cannot be rewritten, and secrets never go into the ledger or the state
branch), so after a refresh a person must authorize again and store new tokens. The
docs (docs/networks/x.md) say so, and `social channels check` says how long a token lives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pipeline.networks.delivery import DeliveryError, Http, json_body

OAUTH1 = ("api_key", "api_secret", "access_token", "access_secret")
OAUTH2 = ("access_token",)
OAUTH2_OPTIONAL = ("refresh_token", "client_id", "client_secret")
#: X's documented lifetime of an OAuth 2.0 user access token
ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
GUIDE = "docs/networks/x.md"

Secret = Callable[[str], str]
Variable = Callable[[str], str]


def credential_names(auth: str, named: Any = ()) -> tuple[str, ...]:
    """The credentials a channel signing in with `auth` must name, given those it names."""
    if auth == "oauth2":
        return OAUTH2 + (("client_id",) if "refresh_token" in named else ())
    return OAUTH1


class OAuth1Signing:
    """Every request signed with the four OAuth 1.0a credentials (they do not expire)."""

    kind = "oauth1"
    can_refresh = False
    expires_at: datetime | None = None

    def __init__(self, secret: Secret, variable: Variable) -> None:
        from requests_oauthlib import OAuth1  # loaded when a channel is used, not when content is read

        self._auth = OAuth1(*(secret(name) for name in OAUTH1))
        self._variables = [variable(name) for name in OAUTH1]

    def request_arguments(self) -> dict[str, Any]:
        return {"auth": self._auth}

    @property
    def variables(self) -> str:
        """`X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET`, for messages."""
        return ", ".join(self._variables[:-1]) + " and " + self._variables[-1]

    def rejected(self) -> str:
        """What to do when X answers 401."""
        return (f"check {self.variables} (the access token and secret must be generated again after the "
                "app's permissions change, and must belong to the app of the API key)")

    def lifetime_note(self) -> str:
        return "OAuth 1.0a: the access token and secret do not expire; they stop working when revoked"

    def refresh(self) -> None:
        raise AssertionError("OAuth 1.0a tokens are not refreshed")


class OAuth2Bearer:
    """A user access token as a bearer token, refreshed at most once per run."""

    kind = "oauth2"

    def __init__(self, secret: Secret, variable: Variable, named: Any, *, http: Http, token_url: str) -> None:
        self._secret = secret
        self._variable = variable
        self._named = named
        self._http = http
        self._token_url = token_url
        self.token = secret("access_token")
        self.expires_at: datetime | None = None
        self.refreshed = False
        #: what a person must know after this run (a refresh replaced the refresh token)
        self.notes: list[str] = []

    @property
    def can_refresh(self) -> bool:
        return "refresh_token" in self._named and not self.refreshed

    @property
    def variables(self) -> str:
        return self._variable("access_token")

    def request_arguments(self) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {self.token}"}}

    def rejected(self) -> str:
        access = self._variable("access_token")
        if "refresh_token" not in self._named:
            return (f"check {access}: OAuth 2.0 access tokens live 2 hours, then a new one must go into "
                    f"{access}; OAuth 1.0a tokens do not expire ({GUIDE})")
        if self.refreshed:
            return (f"check {access}: X refused even the access token it had just issued for "
                    f"{self._variable('refresh_token')}; authorize the app again ({GUIDE})")
        return f"check {access} ({GUIDE})"

    def lifetime_note(self) -> str:
        access = self._variable("access_token")
        if "refresh_token" not in self._named:
            return (f"OAuth 2.0: an access token lives 2 hours from when it was made; then {access} needs a "
                    "new one. OAuth 1.0a tokens do not expire: prefer them for scheduled publishing")
        refresh = self._variable("refresh_token")
        return (f"OAuth 2.0: an access token lives 2 hours from when it was made. When X refuses the one in "
                f"{access}, a run refreshes it once with {refresh}, and X then replaces the refresh token: "
                f"put new tokens into {access} and {refresh} after such a run ({GUIDE})")

    def refresh(self) -> None:
        """A new access token for the rest of the run; DeliveryError (never ambiguous) when X refuses."""
        refresh_token = self._secret("refresh_token")
        client_id = self._secret("client_id")
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
        extra: dict[str, Any] = {}
        if "client_secret" in self._named:  # a confidential client authenticates itself
            extra["auth"] = (client_id, self._secret("client_secret"))
        variable = self._variable("refresh_token")
        self.refreshed = True
        try:
            # Not repeated blindly: a refresh that reached X may have replaced the refresh token already.
            response = self._http.request("POST", self._token_url, idempotent=False, credential=variable,
                                          what="x: refreshing the OAuth 2.0 access token", ok=(200, 400, 401),
                                          data=form, **extra)
        except DeliveryError as exc:
            raise DeliveryError(f"{exc.message}; nothing was posted", retry_later=exc.retry_later,
                                status=exc.status, code="auth-failed") from None
        body = json_body(response)
        body = body if isinstance(body, dict) else {}
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            reason = self._http.secrets.mask(str(body.get("error_description") or body.get("error")
                                                 or response.status_code))
            raise DeliveryError(
                f"x: X refused the refresh token in {variable} ({reason}): it was used before (X replaces a "
                "refresh token each time it is used, and this pipeline cannot store the new one) or it was "
                f"revoked. Authorize the app again and put the new tokens into {self._variable('access_token')} "
                f"and {variable}, or use OAuth 1.0a tokens, which do not expire ({GUIDE}); nothing was posted",
                status=response.status_code, code="auth-failed")
        self.token = body["access_token"]
        self._http.secrets.add(self.token)
        replacement = body.get("refresh_token")
        if isinstance(replacement, str):
            self._http.secrets.add(replacement)
            if replacement != refresh_token:
                self.notes.append(f"X replaced the refresh token in {variable}: the old one no longer works; "
                                  f"authorize the app again before the next run ({GUIDE})")
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            self.expires_at = self._http.clock() + timedelta(seconds=lifetime)
