"""Links, mentions and hashtags in a text, as Bluesky facets with UTF-8 byte offsets.

Bluesky's server detects nothing: the client sends every facet. The rules follow the
official client library (`@atproto/api` `detectFacets`), with a few deliberate
improvements: unicode and hyphenated bare domains, repeated trailing punctuation,
balanced brackets kept in URLs, facets inside brackets, quotes and right-to-left text,
tags measured in graphemes, and facets that never overlap nor split a grapheme cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from pipeline.text.twittertext import twitter_text
from pipeline.text.units import grapheme_count, grapheme_pattern, graphemes

LINK = "link"
MENTION = "mention"
TAG = "tag"

DISPLAY_URL_MAX = 30  # graphemes of a link's visible text, ellipsis included
ELLIPSIS = "..."
TAG_MAX_GRAPHEMES = 64
TAG_MAX_BYTES = 640  # the lexicon's maxLength for a tag

_OPENERS = "([{\"'“‘«"
_DIRECTIONAL_MARKS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_TRAILING_PUNCTUATION = ".,;:!?\"'”’»"
_CLOSERS = {")": "(", "]": "[", "}": "{"}

# A facet starts the text or follows whitespace, a directional mark (right-to-left
# text), an opening bracket or an opening quote.
_START = rf"(?<![^\s{_DIRECTIONAL_MARKS}{regex.escape(_OPENERS)}])"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?"
_LINK = regex.compile(
    _START
    + r"(?:(?P<url>https?://\S+)"
    + rf"|(?P<domain>{_LABEL}(?:\.{_LABEL})+)(?![@\w])(?P<rest>[/?#:]\S*)?)",
    regex.IGNORECASE,
)
_MENTION = regex.compile(_START + r"@(?P<handle>[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?![a-zA-Z0-9_-])")
_HANDLE = regex.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
)
# As the official client: `#` or full-width `＃`; not `#️⃣`; not only digits and
# punctuation; zero-width characters end a tag.
_NOT_IN_TAG = r"\s\u00AD\u2060\u200A-\u200D\u20E2"
_TAG = regex.compile(
    _START + rf"[#＃](?P<tag>(?!\uFE0F)[^{_NOT_IN_TAG}]*"
    rf"[^0-9\p{{P}}{_NOT_IN_TAG}]+[^{_NOT_IN_TAG}]*)"
)
_TAG_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_SCHEME = regex.compile(r"^https?://", regex.IGNORECASE)

# Every link has a dot before a letter or digit (a domain) or a scheme; most sentences do not.
MAYBE_LINK = re.compile(r"[.．。｡]\w|://")


@dataclass(frozen=True, order=True)
class Facet:
    """A link, mention or tag: UTF-8 byte offsets into the text as sent, end exclusive."""

    byte_start: int
    byte_end: int
    type: str  # LINK | MENTION | TAG
    value: str  # the full URI, the handle without `@`, or the tag without `#`

    def as_dict(self) -> dict:
        return {
            "byteStart": self.byte_start,
            "byteEnd": self.byte_end,
            "type": self.type,
            "value": self.value,
        }


@dataclass(frozen=True)
class _Span:
    """A facet located by code point indices, before conversion to bytes."""

    start: int
    end: int
    type: str
    value: str


def detect_facets(text: str) -> tuple[Facet, ...]:
    """Links, mentions and tags in `text` as written, sorted and never overlapping."""
    return tuple(_to_facet(text, span) for span in _spans(text))


def bluesky_richtext(text: str) -> tuple[str, tuple[Facet, ...]]:
    """The text to send to Bluesky, long links shortened for display, and its facets.

    A link's facet keeps the full URI while its visible text is shortened; offsets
    index the UTF-8 bytes of the returned text.
    """
    pieces: list[str] = []
    shifted: list[_Span] = []
    position = 0
    length = 0
    for span in _spans(text):
        pieces.append(text[position : span.start])
        length += span.start - position
        shown = text[span.start : span.end]
        if span.type == LINK:
            shown = display_url(shown)
        pieces.append(shown)
        shifted.append(_Span(length, length + len(shown), span.type, span.value))
        length += len(shown)
        position = span.end
    pieces.append(text[position:])
    sent = "".join(pieces)
    return sent, tuple(_to_facet(sent, span) for span in shifted)


def display_url(url: str) -> str:
    """A link's visible text: unchanged when short, else without scheme and cut with `...`."""
    if grapheme_count(url) <= DISPLAY_URL_MAX:
        return url
    bare = _SCHEME.sub("", url)
    clusters = graphemes(bare)
    if len(clusters) <= DISPLAY_URL_MAX:
        return bare
    return "".join(clusters[: DISPLAY_URL_MAX - len(ELLIPSIS)]) + ELLIPSIS


def _is_known_tld(tld: str) -> bool:
    """Whether `tld` (without the dot) is a top-level domain in twitter-text's list."""
    tld = tld.lower()
    lists = twitter_text()
    return bool(lists.valid_gtld.fullmatch(tld) or lists.valid_cctld.fullmatch(tld))


def _spans(text: str) -> list[_Span]:
    # A facet never starts or ends inside a grapheme cluster (at a ZWJ within an emoji,
    # or on a letter that a preceding quote carries as a combining mark).
    # Each entity needs its marker character; the regexes cost more than these checks.
    candidates = [
        *(_links(text) if MAYBE_LINK.search(text) else ()),
        *(_mentions(text) if "@" in text else ()),
        *(_tags(text) if "#" in text or "＃" in text else ()),
    ]
    if not candidates:
        return []
    if text.isascii() and "\r" not in text:
        found = candidates
    else:
        boundaries = {0, *(cluster.end() for cluster in grapheme_pattern().finditer(text))}
        found = [span for span in candidates if span.start in boundaries and span.end in boundaries]
    found.sort(key=lambda span: (span.start, -span.end))
    kept: list[_Span] = []
    for span in found:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def _links(text: str) -> list[_Span]:
    links = []
    for match in _LINK.finditer(text):
        written = _strip_trailing(match[0])
        if match["url"] is not None:
            if not _has_host(written):
                continue
            uri = written
        else:
            if not _is_known_tld(match["domain"].rsplit(".", 1)[1]):
                continue
            uri = "https://" + written
        links.append(_Span(match.start(), match.start() + len(written), LINK, uri))
    return links


def _strip_trailing(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing brackets, as a reader would."""
    while url:
        last = url[-1]
        opener = _CLOSERS.get(last)
        if last in _TRAILING_PUNCTUATION or (opener is not None and url.count(last) > url.count(opener)):
            url = url[:-1]
        else:
            break
    return url


def _has_host(url: str) -> bool:
    rest = _SCHEME.sub("", url)
    return bool(rest) and rest[0] not in "/?#:"


def _mentions(text: str) -> list[_Span]:
    mentions = []
    for match in _MENTION.finditer(text):
        handle = match["handle"]
        if not _HANDLE.fullmatch(handle):
            continue
        tld = handle.rsplit(".", 1)[1]
        if not (_is_known_tld(tld) or tld.lower() == "test"):
            continue
        mentions.append(_Span(match.start(), match.end(), MENTION, handle))
    return mentions


def _tags(text: str) -> list[_Span]:
    tags = []
    for match in _TAG.finditer(text):
        tag = _TAG_TRAILING_PUNCTUATION.sub("", match["tag"])
        if not tag or grapheme_count(tag) > TAG_MAX_GRAPHEMES:
            continue
        if len(tag.encode("utf-8")) > TAG_MAX_BYTES:
            continue
        start = match.start()
        tags.append(_Span(start, start + 1 + len(tag), TAG, tag))
    return tags


def _to_facet(text: str, span: _Span) -> Facet:
    byte_start = len(text[: span.start].encode("utf-8"))
    byte_end = byte_start + len(text[span.start : span.end].encode("utf-8"))
    return Facet(byte_start, byte_end, span.type, span.value)
