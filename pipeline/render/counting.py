"""How long a text is, counted exactly as each network counts it.

`count(network, text)` answers with a `Count`: the text as it would be sent, its
length, the network's limit and any other rule it breaks. The rules come from
NETWORKS.md; X's from twitter-text v3, Mastodon's from its StatusLengthValidator,
Bluesky's from the lexicon and the official client.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

import regex

from pipeline.render.littletext import escape_little_text
from pipeline.text.facets import LINK, Facet, bluesky_richtext, detect_facets, grapheme_count
from pipeline.text.twittertext import twitter_text

NETWORK_LIMITS: dict[str, int] = {
    "x": 280,
    "mastodon": 500,
    "bluesky": 300,
    "linkedin": 3000,
    "threads": 500,
    "facebook": 63206,
    "discord": 2000,
    "slack": 40000,
    "telegram": 4096,
    "webhook": 100_000,  # no standard: only a guard against runaway text
    "outbox": 100_000,
    "characters": 1_000_000,  # any other network: code points against its own declared limit
}
TELEGRAM_CAPTION_LIMIT = 1024
BLUESKY_MAX_BYTES = 3000
THREADS_MAX_LINKS = 5
URL_LENGTH = 23  # X's transformed URL length, Mastodon's characters_reserved_per_url


@dataclass(frozen=True)
class Count:
    """A text as one network would count it."""

    network: str
    text: str  # as it would be sent (Bluesky: long URLs shortened for display)
    length: int  # in the network's own unit
    limit: int
    facets: tuple[Facet, ...] = ()
    problems: tuple[str, ...] = ()  # rules broken besides the length limit

    @property
    def ok(self) -> bool:
        """Whether the network would accept the text: not empty, not too long, no problem."""
        return 0 < self.length <= self.limit and not self.problems

    @property
    def over(self) -> int:
        """How far the text is over the limit (0 when it fits)."""
        return max(0, self.length - self.limit)

    def as_dict(self) -> dict:
        """The JSON shape of `social count` (DESIGN.md), plus `problems`."""
        return {
            "network": self.network,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "ok": self.ok,
            "facets": [facet.as_dict() for facet in self.facets],
            "problems": list(self.problems),
        }


def count(
    network: str,
    text: str,
    *,
    limit: int | None = None,
    url_length: int = URL_LENGTH,
    photo_caption: bool = False,
) -> Count:
    """Count `text` as `network` does; `limit` overrides the network's default limit.

    `url_length` is what one URL weighs on X and Mastodon; `photo_caption` selects
    Telegram's caption limit. Raises ValueError for an unknown network.
    """
    if network not in NETWORK_LIMITS:
        known = ", ".join(NETWORK_LIMITS)
        raise ValueError(f"unknown network {network!r}; known networks: {known}")
    if limit is None:
        photo = network == "telegram" and photo_caption
        limit = TELEGRAM_CAPTION_LIMIT if photo else NETWORK_LIMITS[network]
    counter = _COUNTERS.get(network, partial(_count_code_points, network))
    if network == "characters":
        counter = partial(_count_code_points, network)
    return counter(text, limit, url_length)


def count_mastodon(
    text: str, spoiler_text: str = "", limit: int = 500, url_length: int = URL_LENGTH
) -> Count:
    """Count a Mastodon status: graphemes of the content warning plus the text.

    Each URL counts as `url_length` and a mention `@user@domain` as `@user`.
    """
    countable = spoiler_text + _mastodon_countable_text(text, url_length)
    return Count("mastodon", text, grapheme_count(countable), limit)


# X: twitter-text v3 weighted length ------------------------------------------------

X_WEIGHTS = {  # twitter-text v3 (config/v3.json): weights scaled by 100
    "scale": 100,
    "default_weight": 200,
    "ranges": (
        {"start": 0, "end": 4351, "weight": 100},
        {"start": 8192, "end": 8205, "weight": 100},
        {"start": 8208, "end": 8223, "weight": 100},
        {"start": 8242, "end": 8247, "weight": 100},
    ),
}
_X_CONFIG = X_WEIGHTS
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DOT_LETTER = regex.compile(r"[.．。｡]\p{L}")
_EMOJI = regex.compile(
    r"\p{Extended_Pictographic}|\p{Emoji_Presentation}|\p{Regional_Indicator}"
    r"|^[#*0-9]\uFE0F?\u20E3"
)


def _count_x(text: str, limit: int, url_length: int) -> Count:
    """Weighted length: NFC, URLs weigh `url_length`, emoji sequences 2, CJK 2, Latin 1.

    twitter-text-parser finds the URLs and holds the weights; its own emoji table dates
    from 2019, so emoji are found by grapheme cluster and Unicode properties instead.
    """
    normalized = _LINE_BREAK.sub("\n", unicodedata.normalize("NFC", text))
    scale = _X_CONFIG["scale"]
    weight = 0
    position = 0
    # Every URL twitter-text finds has a dot before a letter; its URL scan is slow.
    tt = twitter_text()
    urls = tt.extract_urls_with_indices(normalized) if _DOT_LETTER.search(normalized) else ()
    for url in urls:
        start, end = url["indices"]
        weight += _x_weight(normalized[position:start]) + url_length * scale
        position = end
    weight += _x_weight(normalized[position:])
    problems = tuple(
        f"contains U+{ord(char):04X}, which X does not accept"
        for char in dict.fromkeys(tt.invalid_chars.findall(normalized))
    )
    return Count("x", text, weight // scale, limit, problems=problems)


def _x_weight(text: str) -> int:
    if text.isascii():  # all of ASCII is in the first, lightest range
        return len(text) * _X_CONFIG["ranges"][0]["weight"]
    return sum(
        _X_CONFIG["default_weight"]
        if is_emoji(cluster)
        else sum(_x_code_point_weight(char) for char in cluster)
        for cluster in regex.findall(r"\X", text)
    )


def _x_code_point_weight(char: str) -> int:
    code_point = ord(char)
    for weighted in _X_CONFIG["ranges"]:
        if weighted["start"] <= code_point <= weighted["end"]:
            return weighted["weight"]
    return _X_CONFIG["default_weight"]


def is_emoji(cluster: str) -> bool:
    """Whether a grapheme cluster is an emoji (ZWJ sequence, flag, keycap, modifier...)."""
    return _EMOJI.search(cluster) is not None


# Mastodon: its URL regex (twitter-text's, with Mastodon's patches) and mentions --------

_PATH_CHAR = r"[^\s<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"""(?:[^\s()?!*"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"""
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:{_PATH_CHAR}+/))"
_UCHARS = r"\u00a0-\ud7ff\ue000-\uf8ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    rf"\U{plane:04x}{0x1000 if plane == 0xE else 0:04x}-\U{plane:04x}fffd" for plane in range(1, 17)
)
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@(?P<username>(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*))(?:@\w+(?:[.-]+\w+)*)?"
)


@cache
def _mention_end() -> regex.Pattern:
    return regex.compile(rf"[@＠{twitter_text().latin_accent_chars.pattern}]|://")


@cache
def _mastodon_url() -> re.Pattern:
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


def _mastodon_urls(text: str) -> list[re.Match]:
    """Mastodon's URL matches that carry a scheme, trying the big expression only where a scheme is.

    Scanning the whole text with it costs far more than the text's length suggests; only URLs
    with a scheme count, so it is tried at each scheme (and the character before it, which
    its first group consumes), skipping schemes inside a URL already found.
    """
    if "://" not in text:
        return []
    pattern = _mastodon_url()
    found = []
    end = 0
    for scheme in _SCHEME_AT.finditer(text):
        start = scheme.start()
        if start < end:
            continue
        match = pattern.match(text, start - 1) if start else pattern.match(text)
        if match and match["protocol"] and match.start("url") == start:
            found.append(match)
            end = match.end()
    return found


def _mastodon_countable_text(text: str, url_length: int) -> str:
    """The text with each URL as `url_length` x's and each mention as `@user`."""
    if not text.strip():
        return ""
    entities = [
        (match.start("url"), match.end("url"), "x" * url_length)
        for match in _mastodon_urls(text)
        if match["protocol"] and twitter_text().is_valid_url(match["url"], match["protocol"], match["domain"])
    ]
    if "@" in text:
        entities += [
            (match.start(), match.end(), "@" + match["username"])
            for match in _MASTODON_MENTION.finditer(text)
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


# The other networks --------------------------------------------------------------------


def _count_bluesky(text: str, limit: int, url_length: int) -> Count:
    sent, facets = bluesky_richtext(text)
    size = len(sent.encode("utf-8"))
    problems = ()
    if size > BLUESKY_MAX_BYTES:
        problems = (f"{size} UTF-8 bytes, at most {BLUESKY_MAX_BYTES}",)
    return Count("bluesky", sent, grapheme_count(sent), limit, facets, problems)


def _count_threads(text: str, limit: int, url_length: int) -> Count:
    """Graphemes, an emoji weighing its UTF-8 bytes; more than five links fail."""
    length = sum(
        len(cluster.encode("utf-8")) if is_emoji(cluster) else 1 for cluster in regex.findall(r"\X", text)
    )
    links = sum(1 for facet in detect_facets(text) if facet.type == LINK)
    problems = ()
    if links > THREADS_MAX_LINKS:
        problems = (f"{links} links, at most {THREADS_MAX_LINKS}",)
    return Count("threads", text, length, limit, problems=problems)


def _count_linkedin(text: str, limit: int, url_length: int) -> Count:
    """Code points of the escaped commentary (LinkedIn's own rule is unverified)."""
    sent = escape_little_text(text)
    return Count("linkedin", sent, len(sent), limit)


def _count_telegram(text: str, limit: int, url_length: int) -> Count:
    """UTF-16 code units, as the Bot API counts: astral characters count twice."""
    return Count("telegram", text, len(text.encode("utf-16-le")) // 2, limit)


def _count_code_points(network: str, text: str, limit: int, url_length: int) -> Count:
    return Count(network, text, len(text), limit)


def _count_mastodon(text: str, limit: int, url_length: int) -> Count:
    return count_mastodon(text, limit=limit, url_length=url_length)


_COUNTERS: dict[str, Callable[[str, int, int], Count]] = {
    "x": _count_x,
    "mastodon": _count_mastodon,
    "bluesky": _count_bluesky,
    "threads": _count_threads,
    "linkedin": _count_linkedin,
    "telegram": _count_telegram,
}


# Upper bounds: a verdict without the exact count -------------------------------------

_X_REFUSED = frozenset("\ufffe\ufeff\uffff")


def upper_bound(network: str, text: str, spoiler_text: str = "") -> int | None:
    """A cheap number that the network's count of `text` never exceeds, or None if there is none.

    Validation needs only the verdict: when the bound is within the limit (and the text is
    not empty), the exact count would be too, and its regular expressions can be skipped.
    The exact count is still taken whenever the bound is over the limit.
    """
    if not text.strip():
        return None
    if network in ("characters", "facebook", "discord", "slack", "webhook", "outbox"):
        return len(text)
    if network == "mastodon":  # graphemes <= code points; each URL with a scheme becomes 23
        return len(spoiler_text) + len(text) + 23 * text.count("://")
    if network == "bluesky":  # shortening links only shortens; the byte rule is checked as well
        encoded = len(text.encode("utf-8"))
        return len(text) if encoded <= BLUESKY_MAX_BYTES else None
    if network == "x":  # every code point weighs at most 2; a URL (it has a dot and a letter) 23
        if _X_REFUSED.intersection(text):
            return None
        normalized = unicodedata.normalize("NFC", text)
        return 2 * len(normalized) + 23 * len(_DOT_LETTER.findall(normalized))
    if network == "threads":  # a grapheme weighs at most its bytes; each link needs a dot or ://
        from pipeline.text.facets import _MAYBE_LINK

        if len(_MAYBE_LINK.findall(text)) > THREADS_MAX_LINKS:
            return None
        return len(text.encode("utf-8"))
    if network == "linkedin":  # escaping adds at most one backslash per character
        return 2 * len(text)
    if network == "telegram":  # UTF-16 code units, at most two per code point
        return 2 * len(text)
    return None
