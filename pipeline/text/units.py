"""The units networks count text in: graphemes, UTF-16 code units, emoji clusters."""

from __future__ import annotations

import regex

GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(
    r"\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Regional_Indicator}"
    r"|^[#*0-9]\uFE0F?\u20E3"
)


def grapheme_count(text: str) -> int:
    """User-perceived characters (extended grapheme clusters) in `text`."""
    if text.isascii():  # each ASCII character is a cluster, except CR LF together
        return len(text) - text.count("\r\n")
    return len(GRAPHEME.findall(text))


def utf16_units(text: str) -> int:
    """UTF-16 code units: characters outside the Basic Multilingual Plane count twice."""
    return len(text.encode("utf-16-le")) // 2


def is_emoji(cluster: str) -> bool:
    """Whether a grapheme cluster is an emoji (ZWJ sequence, flag, keycap, modifier...)."""
    return _EMOJI.search(cluster) is not None
