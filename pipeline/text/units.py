"""The units networks count text in: graphemes, UTF-16 code units, emoji clusters."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def grapheme_pattern() -> Any:
    """`\\X`: one extended grapheme cluster (the regex module loads on first use: it costs milliseconds)."""
    import regex

    return regex.compile(r"\X")


@cache
def _emoji() -> Any:
    import regex

    return regex.compile(r"\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Regional_Indicator}"
                         r"|^[#*0-9]\uFE0F?\u20E3")


def graphemes(text: str) -> list[str]:
    """The grapheme clusters of `text`."""
    return grapheme_pattern().findall(text)


def grapheme_count(text: str) -> int:
    """User-perceived characters (extended grapheme clusters) in `text`."""
    if text.isascii():  # each ASCII character is a cluster, except CR LF together
        return len(text) - text.count("\r\n")
    return len(grapheme_pattern().findall(text))


def utf16_units(text: str) -> int:
    """UTF-16 code units: characters outside the Basic Multilingual Plane count twice."""
    return len(text.encode("utf-16-le")) // 2


def is_emoji(cluster: str) -> bool:
    """Whether a grapheme cluster is an emoji (ZWJ sequence, flag, keycap, modifier...)."""
    return _emoji().search(cluster) is not None
