"""X (formerly Twitter): its weighted count (twitter-text v3). Publishing comes later.

Counted as X counts, from twitter-text's v3 configuration: NFC first; code points in
the Latin, general punctuation and a few symbol ranges weigh 1, others 2 (CJK);
every emoji sequence weighs 2; every URL weighs 23, bare domains included.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

import regex
from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Capability, Network
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


class XOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = None


class XNetwork(Network):
    name = "x"
    title = "X"
    capabilities = frozenset({Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.REPLY, Capability.QUOTE, Capability.DELETE})
    max_length = 280
    counted_as = ("twitter-text v3 weights after NFC: most scripts 1, CJK and emoji 2, every link 23 "
                  "(bare domains too)")
    max_images = 4
    max_image_bytes = 5 * 1024 * 1024
    max_image_side = 8192
    max_alt_length = 1000
    required_credentials = ("api_key", "api_secret", "access_token", "access_secret")
    Options: ClassVar[type[BaseModel]] = XOptions

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return weighted_count(text, limit)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """Every code point weighs at most 2, and a URL (it has a dot before a letter) 23."""
        if not text.strip() or _REFUSED.intersection(text):
            return None
        normalized = unicodedata.normalize("NFC", text)
        return 2 * len(normalized) + URL_WEIGHT * len(_DOT_LETTER.findall(normalized))


def weighted_count(text: str, limit: int = 280, url_weight: int = URL_WEIGHT) -> Count:
    """The weighted length of `text`; characters X refuses are problems.

    twitter-text-parser finds the URLs; its own emoji table dates from 2019, so emoji
    are found by grapheme cluster and Unicode properties instead.
    """
    normalized = _LINE_BREAK.sub("\n", unicodedata.normalize("NFC", text))
    weight = 0
    position = 0
    tt = twitter_text()
    urls = tt.extract_urls_with_indices(normalized) if _DOT_LETTER.search(normalized) else ()
    for url in urls:
        start, end = url["indices"]
        weight += _weight(normalized[position:start]) + url_weight * SCALE
        position = end
    weight += _weight(normalized[position:])
    problems = tuple(f"contains U+{ord(char):04X}, which X does not accept"
                     for char in dict.fromkeys(tt.invalid_chars.findall(normalized)))
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
