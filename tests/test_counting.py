"""Counting text as each network counts it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from twitter_text import parse_tweet

from pipeline.networks import count, network_class, network_names
from pipeline.networks.mastodon import MastodonOptions
from pipeline.networks.mastodon.counting import url_pattern, urls
from pipeline.networks.x import counting as x_counting
from pipeline.networks.x import weighted_count
from pipeline.text.count import Count
from pipeline.text.twittertext import twitter_text
from pipeline.text.units import graphemes, is_emoji

CONFORMANCE = Path(__file__).parent / "data" / "twitter-text" / "twitter-text-validate.yml"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
FLAG_DE = "\U0001f1e9\U0001f1ea"  # 🇩🇪
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
SHAKING_FACE = "\U0001fae8"  # 🫨, Unicode 15
PHOENIX = "\U0001f426\u200d\U0001f525"  # 🐦‍🔥, Unicode 15.1
HANDSHAKE_TONES = "\U0001faf1\U0001f3fb\u200d\U0001faf2\U0001f3ff"  # 🫱🏻‍🫲🏿, Unicode 14
FAMILY_ADULTS_CHILD = "\U0001f9d1\u200d\U0001f9d1\u200d\U0001f9d2"  # 🧑‍🧑‍🧒, Unicode 15.1
HEAD_SHAKING = "\U0001f642\u200d\u2194\ufe0f"  # 🙂‍↔️, Unicode 15.1
TRANSGENDER_FLAG = "\U0001f3f3\ufe0f\u200d\u26a7\ufe0f"  # 🏳️‍⚧️, Unicode 13
HEART_ON_FIRE = "\u2764\ufe0f\u200d\U0001f525"  # ❤️‍🔥
E_ACUTE_COMBINING = "e\u0301"  # é as two code points; NFC makes it one
WIKI = "https://en.wikipedia.org/wiki/Python_(programming_language)"


def _conformance(section: str) -> list:
    cases = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"][section]
    return [pytest.param(case["text"], case["expected"], id=case["description"]) for case in cases]


# X ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), _conformance("WeightedTweetsWithDiscountedEmojiCounterTest"))
def test_x_matches_twitter_text_v3_conformance(text: str, expected: dict) -> None:
    counted = count("x", text)
    assert counted.length == expected["weightedLength"]
    assert counted.ok is expected["valid"]


# These cases hold no emoji, so they read the same under v2 and v3 rules.
@pytest.mark.parametrize(("text", "expected"), _conformance("UnicodeDirectionalMarkerCounterTest"))
def test_x_matches_twitter_text_directional_marker_conformance(text: str, expected: dict) -> None:
    counted = count("x", text)
    assert counted.length == expected["weightedLength"]
    assert counted.ok is expected["valid"]


@pytest.mark.parametrize(
    ("text", "length"),
    [
        (SHAKING_FACE, 2),
        (PHOENIX, 2),
        (HANDSHAKE_TONES, 2),
        (FAMILY_ADULTS_CHILD, 2),
        (HEAD_SHAKING, 2),
        (TRANSGENDER_FLAG, 2),
        (HEART_ON_FIRE, 2),
        (FAMILY, 2),
        (FLAG_DE, 2),
        ("\U0001f1fa\U0001f1e6" + FLAG_DE, 4),
        (THUMBS_MEDIUM, 2),
        ("#\ufe0f\u20e3", 2),
        ("1\u20e3", 2),
        ("\u00a9", 2),
        (f"Hello {PHOENIX}!", 9),
        (f"{SHAKING_FACE} {HANDSHAKE_TONES} {FAMILY_ADULTS_CHILD}", 8),
    ],
)
def test_x_counts_every_emoji_sequence_as_two(text: str, length: int) -> None:
    assert count("x", text).length == length


def test_x_corrects_twitter_text_parsers_2019_emoji_table() -> None:
    # The library over-counts emoji newer than its table, code point by code point.
    assert parse_tweet(PHOENIX).weightedLength == 5
    assert parse_tweet(HANDSHAKE_TONES).weightedLength == 9
    assert count("x", PHOENIX).length == 2
    assert count("x", HANDSHAKE_TONES).length == 2


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("日本語", 6),  # CJK weighs 2
        ("مرحبا", 5),  # Arabic is in the weight-1 range
        (E_ACUTE_COMBINING, 1),  # NFC first
        ("q\u0307\u0323", 3),  # no precomposed form: each code point counts
        ("abc\u200f", 5),  # RIGHT-TO-LEFT MARK is outside the weight-1 ranges
        ("\u200fשלום", 6),
        ("a\r\nb", 3),  # a CRLF counts as one line break
        ("https://example.com/a/very/long/path/that/goes/on/and/on", 23),
        ("example.com", 23),  # bare domains are URLs too
        ("see https://example.com.", 28),
        (WIKI, 23),
        (f"(see {WIKI})", 29),
        ("https://bücher.de/x", 23),
        ("", 0),
    ],
)
def test_x_weighted_length(text: str, length: int) -> None:
    assert count("x", text).length == length


def test_x_url_weight_is_a_parameter() -> None:
    assert weighted_count("go https://example.com", url_weight=24).length == 27


def test_x_limit_and_validity() -> None:
    assert count("x", "a" * 280).ok
    too_long = count("x", "a" * 281)
    assert not too_long.ok
    assert too_long.over == 1
    assert not count("x", "").ok
    assert count("x", "a" * 300, limit=300).ok


def test_x_reports_invalid_characters() -> None:
    counted = count("x", "ok\ufffe")
    assert counted.length == 4
    assert counted.problems == ("contains U+FFFE, which X does not accept",)
    assert not counted.ok


# Texts made only of what twitter-text-parser's 2019 emoji table knows.
_KNOWN_TO_TWITTER_TEXT = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            "\n",
            "\r\n",
            ".",
            "(",
            ")",
            "日",
            "é",
            E_ACUTE_COMBINING,
            "\u200f",
            "\u2014",
            "😷",
            FAMILY,
            "example.com",
            "https://x.org/p_(q)",
            "@user",
            "#tag",
        ]
    ),
    max_size=40,
).map("".join)


@given(_KNOWN_TO_TWITTER_TEXT)
def test_x_agrees_with_twitter_text_parser_where_its_emoji_table_is_current(text: str) -> None:
    expected = parse_tweet(text)
    counted = count("x", text)
    assert counted.length == expected.weightedLength
    assert counted.ok is expected.valid


# The fast X count against the plain way: twitter-text's URL expression over the whole
# text, and every grapheme cluster weighed one by one (what counting.py did before).

def _x_urls_by_scanning(text: str) -> list[tuple[int, int]]:
    return [tuple(url["indices"]) for url in twitter_text().extract_urls_with_indices(text)]


def _x_weight_cluster_by_cluster(text: str) -> int:
    return sum(x_counting.DEFAULT_WEIGHT if is_emoji(cluster)
               else sum(x_counting._code_point_weight(char) for char in cluster) for cluster in graphemes(text))


def _x_count_the_plain_way(text: str) -> int:
    normalized = re.sub(r"\r\n|\r|\n", "\n", unicodedata.normalize("NFC", text))
    weight, position = 0, 0
    for start, end in _x_urls_by_scanning(normalized):
        weight += _x_weight_cluster_by_cluster(normalized[position:start]) + 23 * x_counting.SCALE
        position = end
    return (weight + _x_weight_cluster_by_cluster(normalized[position:])) // x_counting.SCALE


# Pieces that make and break URLs: every space twitter-text knows (and one it does not), what may
# and may not come before a URL, dots of every width, schemes, paths, queries, ports, t.co, IDN.
_URLISH = st.lists(st.sampled_from([
    " ", "\n", "\r\n", "\t", "\xa0", "\u2003", "\u3000", "\u2028", "\u200b", "\u202a", "\u200e", "\ufeff",
    "a", "Z", "9", "-", "_", ".", "/", "@", "$", "#", "＃", "(", ")", "!", ",", ":", "?", "=", "&", "~", "'",
    "https://", "http://", "ftp://", "example.com", "x.co", "t.co/abc", "t.co/" + "a" * 41, "www.", "a.b",
    "bücher.de", "日本語.jp", "xn--bcher-kva.de", ".com", ".ly", "．com", "。jp", "｡org", ":8080", "/path",
    "/p_(q)", "?q=1&r=2", "#frag", "é", "東京", "🍞", "\u00a9", "1\u20e3", FLAG_DE, FAMILY, "e\u0301",
]), max_size=30).map("".join)


@given(_URLISH)
def test_x_url_spans_match_a_scan_of_the_whole_text(text: str) -> None:
    assert x_counting.url_spans(text) == _x_urls_by_scanning(text)


@given(_URLISH)
def test_x_weighted_count_matches_the_plain_way(text: str) -> None:
    assert weighted_count(text).length == _x_count_the_plain_way(text)


@given(st.text(max_size=60))
def test_x_weighted_count_matches_the_plain_way_on_any_text(text: str) -> None:
    assert weighted_count(text).length == _x_count_the_plain_way(text)


@pytest.mark.parametrize(
    ("cluster", "emoji"),
    [(SHAKING_FACE, True), (FLAG_DE, True), ("1\u20e3", True), ("1", False), ("#", False)],
)
def test_is_emoji(cluster: str, emoji: bool) -> None:
    assert is_emoji(cluster) is emoji


# Mastodon --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        (FAMILY, 1),
        (FLAG_DE, 1),
        (THUMBS_MEDIUM, 1),
        (PHOENIX, 1),
        (E_ACUTE_COMBINING, 1),  # graphemes, not code points
        ("日本語", 3),
        ("\u200fשלום", 5),
        ("https://example.com/" + "a" * 100, 23),
        ("check https://example.com.", 30),
        ("http://example.com", 23),
        ("example.com", 11),  # without a scheme it is plain text
        ("https://ja.wikipedia.org/wiki/東京", 23),  # Mastodon's paths take any non-space
        (WIKI, 23),
        (f"(see {WIKI})", 29),
        ("https://bücher.de/x", 23),
        ("@alice@mastodon.social hi", 9),  # counts as "@alice hi"
        ("@alice hi", 9),
        ("mail bob@example.com", 20),  # not a mention
        ("https://mastodon.social/@alice", 23),  # a mention inside a URL is the URL's
        ("   ", 0),
        ("", 0),
    ],
)
def test_mastodon_length(text: str, length: int) -> None:
    assert count("mastodon", text).length == length


def test_mastodon_content_warning_counts_toward_the_limit() -> None:
    counted = count("mastodon", "hello", content_warning="CW: food")
    assert counted.length == 13
    assert counted.text == "hello"
    assert count("mastodon", "a" * 495, content_warning="b" * 5).ok
    assert count("mastodon", "a" * 495, content_warning="b" * 6).over == 1


def test_mastodon_limit_and_url_length_are_per_instance() -> None:
    instance = MastodonOptions(instance="https://big.example", max_characters=1000, characters_reserved_per_url=30)
    counted = count("mastodon", "x https://example.com", options=instance)
    assert (counted.length, counted.limit) == (32, 1000)
    assert count("mastodon", "x https://example.com", limit=600, options=instance).limit == 600


def test_mastodon_limit() -> None:
    assert count("mastodon", THUMBS_MEDIUM * 500).ok
    assert count("mastodon", THUMBS_MEDIUM * 501).over == 1


# Bluesky ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        (FAMILY, 1),
        (FLAG_DE, 1),
        (THUMBS_MEDIUM, 1),
        (E_ACUTE_COMBINING, 1),
        ("日本語", 3),
        ("\u200fשלום", 5),
        ("https://example.com", 19),  # no URL weighting
    ],
)
def test_bluesky_counts_graphemes(text: str, length: int) -> None:
    assert count("bluesky", text).length == length


def test_bluesky_byte_limit_is_a_problem() -> None:
    at_limit = count("bluesky", FAMILY * 120)  # 120 graphemes, 3000 bytes
    assert (at_limit.length, at_limit.ok) == (120, True)
    over = count("bluesky", FAMILY * 121)
    assert over.length == 121
    assert over.problems == ("3025 UTF-8 bytes, at most 3000",)
    assert not over.ok
    assert over.over == 0


def test_bluesky_grapheme_limit() -> None:
    assert count("bluesky", "a" * 300).ok
    assert count("bluesky", "a" * 301).over == 1


def test_bluesky_shortens_long_links_and_counts_the_shortened_text() -> None:
    counted = count("bluesky", "read https://example.com/a-very-long-path/that-goes/on?x=1 now")
    assert counted.text == "read example.com/a-very-long-pat... now"
    assert counted.length == 39
    (link,) = counted.facets
    assert link.value == "https://example.com/a-very-long-path/that-goes/on?x=1"
    assert counted.text.encode()[link.byte_start : link.byte_end].decode() == (
        "example.com/a-very-long-pat..."
    )


# Threads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("\U0001f44d", 4),  # an emoji weighs its UTF-8 bytes
        ("\u2764\ufe0f", 6),
        (FAMILY, 25),
        (FLAG_DE, 8),
        (THUMBS_MEDIUM, 8),
        ("日本語", 3),
        (E_ACUTE_COMBINING, 1),
        ("\u200fשלום", 5),
        ("https://example.com", 19),
    ],
)
def test_threads_length(text: str, length: int) -> None:
    assert count("threads", text).length == length


def test_threads_allows_five_links() -> None:
    links = " ".join(f"https://example.com/{n}" for n in range(5))
    assert count("threads", links).ok
    counted = count("threads", links + " example.org")
    assert counted.problems == ("6 links, at most 5",)
    assert not counted.ok


def test_threads_counts_each_link_once_however_often_it_appears() -> None:
    # Threads counts "all unique URLs found in the text field" (its text-attachment docs).
    repeated = " ".join(f"https://example.com/{n % 3}" for n in range(9))
    assert count("threads", repeated).ok
    assert count("threads", repeated + " bakery.org shop.org news.org").problems == ("6 links, at most 5",)


# LinkedIn --------------------------------------------------------------------------


def test_linkedin_counts_the_escaped_commentary() -> None:
    counted = count("linkedin", "a (b) #c")
    assert (counted.text, counted.wire_text) == ("a (b) #c", "a \\(b\\) \\#c")
    assert counted.length == 11
    assert count("linkedin", FAMILY).length == 7  # code points
    assert count("linkedin", "a" * 3000).ok
    assert count("linkedin", "a" * 2999 + "(").over == 1


# Code point networks and Telegram ----------------------------------------------------


@pytest.mark.parametrize("network", ["facebook", "discord", "slack", "webhook", "outbox"])
@pytest.mark.parametrize(
    ("text", "length"),
    [("hello", 5), (FAMILY, 7), (E_ACUTE_COMBINING, 2), ("日本", 2), (FLAG_DE, 2)],
)
def test_code_point_networks(network: str, text: str, length: int) -> None:
    counted = count(network, text)
    assert (counted.network, counted.text, counted.length) == (network, text, length)


@pytest.mark.parametrize(
    ("text", "length"),
    [("hello", 5), ("\U0001f600", 2), (FAMILY, 11), ("日本", 2), (E_ACUTE_COMBINING, 2)],
)
def test_telegram_counts_utf16_code_units(text: str, length: int) -> None:
    assert count("telegram", text).length == length


def test_telegram_caption_limit() -> None:
    assert count("telegram", "a").limit == 4096
    assert count("telegram", "a", with_media=True).limit == 1024
    assert count("telegram", "\U0001f600" * 512, with_media=True).ok
    assert count("telegram", "\U0001f600" * 513, with_media=True).over == 2
    assert count("telegram", "a", with_media=True, limit=10).limit == 10


def test_default_limits() -> None:
    assert {network: count(network, "a").limit for network in network_names()} == {
        "x": 280,
        "mastodon": 500,
        "bluesky": 300,
        "linkedin": 3000,
        "threads": 500,
        "facebook": 63206,
        "discord": 2000,
        "slack": 40000,
        "telegram": 4096,
        "webhook": 100_000,
        "outbox": 100_000,
    }


def test_discord_limit() -> None:
    assert count("discord", "a" * 2000).ok
    assert count("discord", "a" * 2001).over == 1


def test_unknown_network_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown network 'myspace'.*bluesky, discord"):
        count("myspace", "hi")


# The Count itself -------------------------------------------------------------------


def test_count_as_dict_is_the_social_count_json() -> None:
    counted = count("bluesky", "hi #tag")
    assert counted.as_dict() == {
        "network": "bluesky",
        "text": "hi #tag",
        "wire_text": "hi #tag",
        "length": 7,
        "limit": 300,
        "ok": True,
        "facets": [{"byteStart": 3, "byteEnd": 7, "type": "tag", "value": "tag"}],
        "problems": [],
    }


@pytest.mark.parametrize(
    ("length", "limit", "problems", "ok", "over"),
    [
        (0, 10, (), False, 0),
        (1, 10, (), True, 0),
        (10, 10, (), True, 0),
        (11, 10, (), False, 1),
        (5, 10, ("6 links, at most 5",), False, 0),
    ],
)
def test_count_ok_and_over(length: int, limit: int, problems: tuple[str, ...], ok: bool, over: int) -> None:
    counted = Count("x", "text", length, limit, problems=problems)
    assert (counted.ok, counted.over) == (ok, over)


def _mastodon_urls_by_scanning(text: str) -> list[tuple[int, int]]:
    """The plain way: scan the whole text with Mastodon's expression (slow, obviously right)."""
    return [match.span("url") for match in url_pattern().finditer(text) if match["protocol"]]


@given(st.lists(st.sampled_from(["https://", "http://", "gemini://", "example.com", "/path", "(x)", "?q=1",
                                 "&a=b", " ", ".", ",", "@", "#", "x", "é", "東京", "\n", ")", "!", "https://a.b/"]),
                max_size=14).map("".join))
def test_mastodon_urls_tried_at_schemes_match_a_full_scan(text) -> None:
    assert [m.span("url") for m in urls(text)] == _mastodon_urls_by_scanning(text)


TEXTS = st.lists(st.sampled_from([
    "a", "Bread", " ", ".", "\n", "é", "e\u0301", "東京", "🍞", FAMILY, FLAG_DE, SHAKING_FACE, "\u200f",
    "https://", "http://x.co/", "example.com", "bücher.de", "@anna@social.example", "@bob.bsky.social",
    "#tag", "(", ")", "*", "\\", "_", "\ufeff", "ｘ", "www.", "a.b", "1.5",
]), min_size=1, max_size=40).map("".join)


@given(TEXTS, st.sampled_from(network_names()))
def test_upper_bound_is_never_below_the_exact_count(text, network) -> None:
    bound = network_class(network).upper_bound(text)
    exact = count(network, text, limit=10**9)
    if bound is None:
        return
    assert exact.length <= bound
    assert exact.problems == ()  # a bound is only given where no other rule can fail


@given(TEXTS, st.sampled_from(network_names()))
def test_lower_bound_is_never_above_the_exact_count(text, network) -> None:
    bound = network_class(network).lower_bound(text)
    if bound is not None:
        assert bound <= count(network, text, limit=10**9).length


@given(_URLISH, st.sampled_from(["x", "bluesky"]))
def test_lower_bound_is_never_above_the_exact_count_with_links(text, network) -> None:
    bound = network_class(network).lower_bound(text)
    if bound is not None:
        assert bound <= count(network, text, limit=10**9).length


def upper_bound(network: str, text: str) -> int | None:
    return network_class(network).upper_bound(text)


def test_upper_bound_leaves_the_hard_cases_to_the_exact_count() -> None:
    assert upper_bound("x", "a\ufeffb") is None          # X refuses the character
    assert upper_bound("bluesky", "é" * 1600) is None     # over 3,000 bytes
    assert upper_bound("threads", "a.b c.d e.f g.h i.j k.l") is None  # maybe six links
    assert upper_bound("mastodon", "   ") is None         # empty is never ok
    assert upper_bound("mastodon", "see https://x.co") == 16 + 23
