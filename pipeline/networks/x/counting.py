"""How X counts a post: twitter-text v3's weighted length.

Counted as X counts, from twitter-text's v3 configuration: NFC first; code points in
the Latin, general punctuation and a few symbol ranges weigh 1, others 2 (CJK);
every emoji sequence weighs 2; every URL weighs 23, bare domains included. The same
URL rules tell a post with a link (which X prices higher) from one without.

Fast at the limits, where validation and thread splitting count the same texts again
and again: twitter-text's URL expression is run only over the words that can hold a
URL (a dot before a letter), and code points are weighed by one expression over the
whole text, cluster by cluster only where an emoji can be. Both are property-tested
against the plain way (tests/test_counting.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from pipeline.text.count import Count
from pipeline.text.twittertext import twitter_text
from pipeline.text.units import graphemes, is_emoji

URL_WEIGHT = 23
#: twitter-text v3 (config/v3.json): weights scaled by 100
SCALE = 100
DEFAULT_WEIGHT = 200
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: code points outside LIGHT_RANGES: they weigh DEFAULT_WEIGHT
_HEAVY = re.compile("[^\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
#: what twitter-text's `invalid_chars` finds
_REFUSED = frozenset("\ufffe\ufeff\uffff")


@cache
def _expressions():
    """What needs the regex module's Unicode properties, compiled on the first count of a text
    that is not ASCII (loading it costs every run that reads channels.yml otherwise).

    A dot before a letter (every URL twitter-text finds has one; its URL scan is slow), and
    a code point without which no grapheme cluster is an emoji (see units.is_emoji; U+20E3:
    keycaps)."""
    import regex

    return (regex.compile(r"[.．。｡]\p{L}"),
            regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}\u20e3]"))


def upper_bound(text: str) -> int | None:
    """Every code point weighs at most 2 (ASCII 1), and each URL (it has a dot before a letter)
    at most 23 more than its characters."""
    if text.isascii():
        return len(text) + URL_WEIGHT * len(_dots_before_letters(text)) if text.strip() else None
    if not text.strip() or not _REFUSED.isdisjoint(text):
        return None
    normalized = unicodedata.normalize("NFC", text)
    return 2 * len(normalized) + URL_WEIGHT * len(_expressions()[0].findall(normalized))


def lower_bound(text: str) -> int | None:
    """ASCII: each character weighs 1 (a CRLF is one line break), but a URL weighs 23 whatever its
    length, so a word that may hold one may weigh as little as 23."""
    if not text.isascii():
        return None
    length = len(text) - text.count("\r\n")
    end = 0
    for at in _dots_before_letters(text):
        if at < end:
            continue
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
        ends = [found for found in (text.find(" ", at), text.find("\n", at)) if found >= 0]
        end = min(ends) if ends else len(text)
        length -= max(0, end - start - URL_WEIGHT)
    return length


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text finds in `text` (bare domains too), in order.

    twitter-text's expression matches one preceding character, then a URL that holds
    none of its spaces (a space or a line break among them). So each URL lies within one
    word, and a scan of that word, from the space before it, finds what a scan of the
    whole text finds there, at a fraction of the cost: the expression is tried at every
    position it is given, and only words with a dot before a letter can hold a URL.
    """
    spans: list[tuple[int, int]] = []
    end = 0
    for at in _dots_before_letters(text):
        if at < end:
            continue  # in the word just scanned
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at), 0)
        ends = [found for found in (text.find(" ", at), text.find("\n", at)) if found >= 0]
        end = min(ends) if ends else len(text)
        spans.extend((start + first, start + last) for first, last in _urls_in(text[start:end]))
    return spans


@lru_cache(maxsize=64)  # a text's bounds and its count each ask, one after the other
def _dots_before_letters(text: str) -> list[int]:
    """Where a dot before a letter is: str.find is quicker than an expression over the text."""
    if not text.isascii():
        return [match.start() for match in _expressions()[0].finditer(text)]
    found = []
    at = text.find(".")
    while at >= 0:
        if text[at + 1:at + 2].isalpha():
            found.append(at)
        at = text.find(".", at + 1)
    return found


@lru_cache(maxsize=4096)  # a thread's candidate parts hold the same words again and again
def _urls_in(word: str) -> tuple[tuple[int, int], ...]:
    return tuple(tuple(url["indices"]) for url in twitter_text().extract_urls_with_indices(word))


def has_url(text: str) -> bool:
    """Whether X would find a link in `text` (and price the post as one with a URL)."""
    return bool(url_spans(unicodedata.normalize("NFC", text)))


def weighted_count(text: str, limit: int = 280, url_weight: int = URL_WEIGHT) -> Count:
    """The weighted length of `text`; characters X refuses are problems.

    twitter-text-parser finds the URLs; its own emoji table dates from 2019, so emoji
    are found by grapheme cluster and Unicode properties instead.
    """
    normalized = text if text.isascii() else unicodedata.normalize("NFC", text)
    if "\r" in normalized:
        normalized = _LINE_BREAK.sub("\n", normalized)
    weight = 0
    position = 0
    for start, end in url_spans(normalized):
        weight += _weight(normalized[position:start]) + url_weight * SCALE
        position = end
    weight += _weight(normalized[position:])
    problems = () if _REFUSED.isdisjoint(normalized) else tuple(
        f"contains U+{ord(char):04X}, which X does not accept"
        for char in dict.fromkeys(char for char in normalized if char in _REFUSED))
    return Count("x", text, weight // SCALE, limit, problems=problems)


def _weight(text: str) -> int:
    """Each code point by its range, except that each emoji cluster weighs DEFAULT_WEIGHT whole."""
    if text.isascii():  # all of ASCII is in the first, lightest range
        return len(text) * SCALE
    weight = (len(text) + len(_HEAVY.findall(text))) * SCALE
    emoji_part = _expressions()[1]
    if emoji_part.search(text) is None:
        return weight
    for cluster in graphemes(text):
        if (len(cluster) > 1 or emoji_part.match(cluster)) and is_emoji(cluster):
            weight += DEFAULT_WEIGHT - sum(_code_point_weight(char) for char in cluster)
    return weight


def _code_point_weight(char: str) -> int:
    code_point = ord(char)
    for start, end in LIGHT_RANGES:
        if start <= code_point <= end:
            return SCALE
    return DEFAULT_WEIGHT
