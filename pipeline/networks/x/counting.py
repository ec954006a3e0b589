"""How X counts a post: twitter-text v3's weighted length.

Counted as X counts, from twitter-text's v3 configuration: NFC first; code points in
the Latin, general punctuation and a few symbol ranges weigh 1, others 2 (CJK);
every emoji sequence weighs 2; every URL weighs 23, bare domains included. The same
URL rules tell a post with a link (which X prices higher) from one without.
"""

from __future__ import annotations

import re
import unicodedata

import regex

from pipeline.text.count import Count
from pipeline.text.twittertext import twitter_text
from pipeline.text.units import graphemes, is_emoji

URL_WEIGHT = 23
#: twitter-text v3 (config/v3.json): weights scaled by 100
SCALE = 100
DEFAULT_WEIGHT = 200
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: every URL twitter-text finds has a dot before a letter; its URL scan is slow
_DOT_LETTER = regex.compile(r"[.．。｡]\p{L}")
_REFUSED = frozenset("\ufffe\ufeff\uffff")


def upper_bound(text: str) -> int | None:
    """Every code point weighs at most 2, and a URL (it has a dot before a letter) 23."""
    if not text.strip() or _REFUSED.intersection(text):
        return None
    normalized = unicodedata.normalize("NFC", text)
    return 2 * len(normalized) + URL_WEIGHT * len(_DOT_LETTER.findall(normalized))


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text finds in `text` (bare domains too), in order."""
    if not _DOT_LETTER.search(text):
        return []
    return [tuple(url["indices"]) for url in twitter_text().extract_urls_with_indices(text)]


def has_url(text: str) -> bool:
    """Whether X would find a link in `text` (and price the post as one with a URL)."""
    return bool(url_spans(unicodedata.normalize("NFC", text)))


def weighted_count(text: str, limit: int = 280, url_weight: int = URL_WEIGHT) -> Count:
    """The weighted length of `text`; characters X refuses are problems.

    twitter-text-parser finds the URLs; its own emoji table dates from 2019, so emoji
    are found by grapheme cluster and Unicode properties instead.
    """
    normalized = _LINE_BREAK.sub("\n", unicodedata.normalize("NFC", text))
    weight = 0
    position = 0
    for start, end in url_spans(normalized):
        weight += _weight(normalized[position:start]) + url_weight * SCALE
        position = end
    weight += _weight(normalized[position:])
    problems = tuple(f"contains U+{ord(char):04X}, which X does not accept"
                     for char in dict.fromkeys(twitter_text().invalid_chars.findall(normalized)))
    return Count("x", text, weight // SCALE, limit, problems=problems)


def _weight(text: str) -> int:
    if text.isascii():  # all of ASCII is in the first, lightest range
        return len(text) * SCALE
    return sum(DEFAULT_WEIGHT if is_emoji(cluster) else sum(_code_point_weight(char) for char in cluster)
               for cluster in graphemes(text))


def _code_point_weight(char: str) -> int:
    code_point = ord(char)
    for start, end in LIGHT_RANGES:
        if start <= code_point <= end:
            return SCALE
    return DEFAULT_WEIGHT
