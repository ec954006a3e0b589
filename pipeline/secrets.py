"""The run's secrets, and masking them out of every text that is shown or stored.

A server's error may quote the token it was sent: whole, or encoded the way it saw it
(base64 inside Basic auth, percent-encoded in a URL, escaped in JSON), or cut short by
the server or by us. So a secret is masked in all those forms, and so is any piece of
PIECE characters or more of one of them, anywhere in a text; at the very start and end
of a text (where a cut may have split one) even a piece of EDGE characters is masked.
Texts are masked before they are cut (`excerpt`), and the cut is masked again.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

MASK = "***"


class Secrets:
    """Every secret value this run read; `mask` removes them from any text shown or stored."""

    #: shorter values are not masked: they would match ordinary words
    MIN_LENGTH = 4
    #: a run this long of a secret, or of one of its encodings, is masked wherever it appears
    PIECE = 6
    #: at the start or end of a text, a run this long that begins (or ends) a secret is masked too
    EDGE = 4

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()     # masked where they appear whole
        self._forms: set[str] = set()      # secrets and their encodings, masked in pieces too
        self._pieces: set[str] = set()
        self._heads: set[str] = set()      # their beginnings and ends shorter than PIECE
        self._tails: set[str] = set()
        self._longest = 0
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if not value or len(value) < self.MIN_LENGTH or value in self._values:
            return  # too short to mask, or known (a network reads its credential for every request)
        if "://" not in value:
            self._learn(value)
            return
        # A URL (a webhook's) carries its secret in the path, the query or the user info, and error
        # messages often show only a piece of it. The URL is masked whole; only those pieces are
        # masked in pieces, so that the scheme and host of other URLs stay readable.
        parts = urlsplit(value)
        self._values.update(encoded(value) | encoded(parts.path) | encoded(parts.query))
        # In pieces only what looks like a token: words such as `webhooks` or `services` in a
        # path would otherwise be masked in every message that names them.
        for piece in (parts.password or "", *parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))):
            if _token_like(piece):
                self._learn(piece)

    def _learn(self, secret: str) -> None:
        forms = encoded(secret)
        self._values.update(forms)
        forms |= inside_base64(secret)
        self._forms |= forms
        for form in forms:
            self._longest = max(self._longest, len(form))
            # A run of digits alone is not masked in pieces: tokens often start with a public id
            # (X's `<user id>-…`, Telegram's `<bot id>:…`) that messages rightly show.
            self._pieces.update(piece for piece in (form[i:i + self.PIECE]
                                                    for i in range(len(form) - self.PIECE + 1))
                                if not piece.isdigit())
            self._heads.update(form[:n] for n in range(self.EDGE, min(self.PIECE, len(form))))
            self._tails.update(form[-n:] for n in range(self.EDGE, min(self.PIECE, len(form))))

    def mask(self, text: str | None) -> str:
        """`text` with every secret, encoding and piece of one replaced by ***."""
        if not text:
            return text or ""
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return self._mask_edges(self._mask_pieces(text))

    def excerpt(self, text: str | None, limit: int) -> str:
        """At most `limit` characters of `text`, masked before it is cut (a secret straddling the cut is
        whole when it is masked) and at the cut again."""
        if not text:
            return text or ""
        # A secret that starts before the cut ends within the longest form's length of it.
        window = self.mask(text[:limit + self._longest + len(MASK)])
        return self._mask_edges(window[:limit])

    def _mask_pieces(self, text: str) -> str:
        size = self.PIECE
        if not self._pieces or len(text) < size:
            return text
        covered = bytearray(len(text))
        for start in range(len(text) - size + 1):
            if text[start:start + size] in self._pieces:
                covered[start:start + size] = b"\x01" * size
        if not any(covered):
            return text
        out, start = [], 0
        while start < len(text):
            end = start
            while end < len(text) and covered[end] == covered[start]:
                end += 1
            out.append(MASK if covered[start] else text[start:end])
            start = end
        return "".join(out)

    def _mask_edges(self, text: str) -> str:
        for size in range(min(self.PIECE - 1, len(text)), self.EDGE - 1, -1):
            if text[-size:] in self._heads:
                text = text[:-size] + MASK
                break
        for size in range(min(self.PIECE - 1, len(text)), self.EDGE - 1, -1):
            if text[:size] in self._tails:
                text = MASK + text[size:]
                break
        return text


def _token_like(piece: str) -> bool:
    """Long enough, and not a plain word: holds a digit, or mixes cases, or is long."""
    if len(piece) < 8:
        return False
    return any(c.isdigit() for c in piece) or (piece.lower() != piece and piece.upper() != piece) or len(piece) >= 20


def encoded(secret: str) -> set[str]:
    """The secret and the forms a server may show it in, each long enough to mask."""
    raw = secret.encode("utf-8")
    forms = {secret, html.escape(secret), json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             raw.hex(), raw.hex().upper()}
    for url_form in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms |= {url_form, _lower_escapes(url_form)}
    for b64 in (base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")):
        forms |= {b64, b64.rstrip("=")}
    return {form for form in forms if len(form) >= Secrets.MIN_LENGTH}


def inside_base64(secret: str) -> set[str]:
    """What base64 of a longer text shows of the secret, wherever it starts in that text (Basic auth
    encodes `user:secret`): the characters that depend on the secret's bytes alone."""
    raw = secret.encode("utf-8")
    forms = set()
    for offset in (1, 2):
        bits_before, bits_after = offset * 8, (offset + len(raw)) * 8
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + raw).decode("ascii")
            forms.add(text[-(-bits_before // 6):bits_after // 6])
    return {form for form in forms if len(form) >= Secrets.PIECE}


def _lower_escapes(text: str) -> str:
    """`%2F` written `%2f`: both mean the same to a server."""
    parts = text.split("%")
    return parts[0] + "".join("%" + part[:2].lower() + part[2:] for part in parts[1:])
