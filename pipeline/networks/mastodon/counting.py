"""How Mastodon counts a status: graphemes, each URL as a fixed length, remote mentions short.

From Mastodon's StatusLengthValidator: the content warning counts too; every URL
with a scheme counts as `characters_reserved_per_url` (23 by default, per
instance); a mention `@user@domain` counts as `@user`. The URL expression is
twitter-text's, with Mastodon's patches.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pipeline.text.count import Count
from pipeline.text.twittertext import twitter_text
from pipeline.text.units import grapheme_count

URL_LENGTH = 23


def count_status(text: str, content_warning: str = "", limit: int = 500, url_length: int = URL_LENGTH) -> Count:
    """Graphemes of the content warning plus the text, URLs and mentions as Mastodon counts them."""
    countable = content_warning + countable_text(text, url_length)
    return Count("mastodon", text, grapheme_count(countable), limit)


def upper_bound(text: str, content_warning: str = "", url_length: int = URL_LENGTH) -> int | None:
    """Graphemes are at most code points; each URL with a scheme becomes `url_length`."""
    if not text.strip():
        return None
    return len(content_warning) + len(text) + url_length * text.count("://")


_PATH_CHAR = r"[^\s<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"""(?:[^\s()?!*"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"""
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:{_PATH_CHAR}+/))"
_UCHARS = r"\u00a0-\ud7ff\ue000-\uf8ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    rf"\U{plane:04x}{0x1000 if plane == 0xE else 0:04x}-\U{plane:04x}fffd" for plane in range(1, 17)
)


@cache
def _mention() -> Any:
    import regex  # the regex module costs milliseconds to load: only once a status is counted

    return regex.compile(r"(?<![=/\w])@(?P<username>(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@\w+(?:[.-]+\w+)*)?")


@cache
def _mention_end() -> Any:
    import regex

    return regex.compile(rf"[@＠{twitter_text().latin_accent_chars.pattern}]|://")


@cache
def url_pattern() -> re.Pattern:
    tt = twitter_text()
    return re.compile(
        rf"(?:{tt.valid_url_preceding_chars.pattern})"
        r"(?P<url>(?P<protocol>(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?"
        rf"(?P<domain>{tt.valid_domain.pattern})"
        rf"(?::{tt.valid_port_number.pattern})?"
        rf"(?:/{_PATH}*)?"
        rf"(?:\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_UCHARS}]*[a-z0-9_&=#/\-{_UCHARS}])?)",
        re.IGNORECASE,
    )


_SCHEME_AT = re.compile(r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://", re.IGNORECASE)


#: no URL match holds ASCII white space, so the text falls apart into independent stretches there
_ASCII_SPACE = re.compile(r"[ \t\n\r\f\v]")


def urls(text: str) -> list[re.Match]:
    """Mastodon's URL matches that carry a scheme, scanning only the stretches that hold one.

    Scanning the whole text with the expression costs far more than the text's length
    suggests. A match never holds ASCII white space, so the scan of a stretch between
    two spaces is independent of the rest: only the stretches with a scheme in them are
    scanned, each from the space before it (which the expression's first group takes as
    the character before a URL), exactly as a scan of the whole text would find them.
    A URL without a scheme does not count, but it still takes up its text: a scheme
    inside it is not a URL.
    """
    if "://" not in text:
        return []
    pattern = url_pattern()
    found = []
    scanned_to = 0
    for scheme in _SCHEME_AT.finditer(text):
        if scheme.start() < scanned_to:
            continue
        space = max(text.rfind(c, 0, scheme.start()) for c in " \t\n\r\f\v")
        after = _ASCII_SPACE.search(text, scheme.end())
        scanned_to = after.start() if after else len(text)
        for match in pattern.finditer(text, max(space, 0)):
            if match.start() >= scanned_to:
                break
            if match["protocol"]:
                found.append(match)
    return found


def countable_text(text: str, url_length: int = URL_LENGTH) -> str:
    """The text with each URL as `url_length` x's and each mention as `@user`."""
    if not text.strip():
        return ""
    entities = [
        (match.start("url"), match.end("url"), "x" * url_length)
        for match in urls(text)
        if match["protocol"] and twitter_text().is_valid_url(match["url"], match["protocol"], match["domain"])
    ]
    if "@" in text:
        entities += [
            (match.start(), match.end(), "@" + match["username"])
            for match in _mention().finditer(text)
            if not _mention_end().match(text, match.end())
        ]
    if not entities:
        return text
    pieces = []
    position = 0
    for start, end, replacement in sorted(entities):
        if start < position:
            continue  # overlaps an earlier entity: Mastodon drops it
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
