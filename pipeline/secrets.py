"""The secrets a command read, and masking them out of every text it shows or stores.

Below everything that handles a secret: the networks' delivery (tokens, webhook URLs)
and git (the token that pushes the state branch) mask with the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable


class Secrets:
    """Every secret value this run read; `mask` removes them from any text shown or stored."""

    MIN_LENGTH = 4

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if not value or len(value) < self.MIN_LENGTH:
            return
        self._values.add(value)
        if "://" in value:
            # Webhook URLs carry their secret in the path, the query or the user info, and
            # error messages often show only a piece of the URL.
            from urllib.parse import parse_qsl, urlsplit

            parts = urlsplit(value)
            pieces = [parts.path, parts.query, parts.password or "", *parts.path.split("/"),
                      *(v for _, v in parse_qsl(parts.query))]
            for piece in pieces:
                if len(piece) >= 8:
                    self._values.add(piece)

    def mask(self, text: str | None) -> str:
        if not text:
            return text or ""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, "***")
        return text
