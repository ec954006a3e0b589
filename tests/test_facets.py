"""Bluesky facets: links, mentions and tags with UTF-8 byte offsets."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from pipeline.networks import count
from pipeline.text.facets import (
    DISPLAY_URL_MAX,
    Facet,
    bluesky_richtext,
    detect_facets,
    display_url,
    grapheme_count,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # 28 bytes
WIKI = "https://en.wikipedia.org/wiki/Python_(programming_language)"


def _found(text: str) -> list[tuple[str, str, str]]:
    """Each facet as (the text it covers, its type, its value)."""
    encoded = text.encode("utf-8")
    return [
        (encoded[f.byte_start : f.byte_end].decode("utf-8"), f.type, f.value) for f in detect_facets(text)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # links
        ("https://example.com", [("https://example.com", "link", "https://example.com")]),
        (
            "see https://example.com/path.",
            [("https://example.com/path", "link", "https://example.com/path")],
        ),
        (
            "Wow https://example.com/a?b=c!!!",
            [("https://example.com/a?b=c", "link", "https://example.com/a?b=c")],
        ),
        (
            "is it https://example.com/x?;",
            [("https://example.com/x", "link", "https://example.com/x")],
        ),
        (
            "(https://example.com/path)",
            [("https://example.com/path", "link", "https://example.com/path")],
        ),
        (WIKI, [(WIKI, "link", WIKI)]),
        (f"(see {WIKI}).", [(WIKI, "link", WIKI)]),
        (
            "“https://example.com/q”",
            [("https://example.com/q", "link", "https://example.com/q")],
        ),
        ("HTTPS://EXAMPLE.COM", [("HTTPS://EXAMPLE.COM", "link", "HTTPS://EXAMPLE.COM")]),
        ("https://bücher.de/x", [("https://bücher.de/x", "link", "https://bücher.de/x")]),
        ("http://例え.jp", [("http://例え.jp", "link", "http://例え.jp")]),
        ("https://", []),
        ("https://.", []),
        ("https:///path", []),
        # bare domains
        ("example.com", [("example.com", "link", "https://example.com")]),
        (
            "Visit example.com/path?",
            [("example.com/path", "link", "https://example.com/path")],
        ),
        ("bücher.de/x", [("bücher.de/x", "link", "https://bücher.de/x")]),
        ("my-site.co.uk", [("my-site.co.uk", "link", "https://my-site.co.uk")]),
        (
            "example.com:8080/x",
            [("example.com:8080/x", "link", "https://example.com:8080/x")],
        ),
        ("line\nexample.org", [("example.org", "link", "https://example.org")]),
        ("node.js and file.txt, e.g. this", []),
        ("mail bob@example.com", []),
        ("a.example.com_x", []),
        # mentions
        ("hi @alice.bsky.social!", [("@alice.bsky.social", "mention", "alice.bsky.social")]),
        ("(@bob.example.com)", [("@bob.example.com", "mention", "bob.example.com")]),
        ("@carol.test", [("@carol.test", "mention", "carol.test")]),
        ("@alice", []),
        ("@alice.notatld", []),
        ("x@alice.bsky.social", []),
        # tags
        ("#tag", [("#tag", "tag", "tag")]),
        ("so #tag.", [("#tag", "tag", "tag")]),
        ("#tag!?", [("#tag", "tag", "tag")]),
        ("#1st", [("#1st", "tag", "1st")]),
        ("#123", []),
        ("#123!", []),
        ("a#tag", []),
        ("＃全角", [("＃全角", "tag", "全角")]),
        ("#日本語", [("#日本語", "tag", "日本語")]),
        ("#\ufe0f\u20e3", []),
        ("#tag\u200bmore", [("#tag", "tag", "tag")]),
        ("#", []),
        ("(#tag)", [("#tag", "tag", "tag")]),
        # right-to-left text and directional marks
        ("\u200fexample.com", [("example.com", "link", "https://example.com")]),
        ("مرحبا \u200f#وسم", [("#وسم", "tag", "وسم")]),
        ("שלום @alice.bsky.social", [("@alice.bsky.social", "mention", "alice.bsky.social")]),
        ('"@alice.bsky.social"', [("@alice.bsky.social", "mention", "alice.bsky.social")]),
        # together
        (
            "日本 https://example.com #tag @alice.bsky.social",
            [
                ("https://example.com", "link", "https://example.com"),
                ("#tag", "tag", "tag"),
                ("@alice.bsky.social", "mention", "alice.bsky.social"),
            ],
        ),
    ],
)
def test_detect_facets(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(text) == expected


def test_facet_offsets_are_utf8_bytes() -> None:
    text = f"日本 https://example.com {FAMILY} #タグ"
    assert detect_facets(text) == (
        Facet(7, 26, "link", "https://example.com"),
        Facet(53, 60, "tag", "タグ"),
    )


def test_facet_offsets_after_right_to_left_text() -> None:
    assert detect_facets("שלום https://example.com") == (Facet(9, 28, "link", "https://example.com"),)


def test_facet_as_dict() -> None:
    assert Facet(1, 5, "tag", "tag").as_dict() == {
        "byteStart": 1,
        "byteEnd": 5,
        "type": "tag",
        "value": "tag",
    }


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("a" * 64, True),
        ("a" * 65, False),
        ("e\u0301" * 64, True),  # 64 graphemes in 128 code points
        ("e\u0301" * 65, False),
        ("日" * 64, True),
    ],
)
def test_tags_hold_at_most_64_graphemes(tag: str, found: bool) -> None:
    expected = [("#" + tag, "tag", tag)] if found else []
    assert _found(f"#{tag} after") == expected


def test_tags_hold_at_most_640_bytes() -> None:
    assert _found("#" + ENGLAND * 22) == [("#" + ENGLAND * 22, "tag", ENGLAND * 22)]  # 616
    assert _found("#" + ENGLAND * 23) == []  # 23 graphemes, 644 bytes


def test_no_facet_starts_or_ends_inside_a_grapheme() -> None:
    # The official client ends a tag at a zero-width joiner, cutting the emoji in two.
    assert _found("#" + FAMILY) == []
    assert _found("@alice.bsky.social\u0301") == []
    assert _found('"\u0e33example.com') == []  # the quote and THAI SARA AM are one grapheme


# Shortened display text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com", "https://example.com"),
        ("https://example.com/abcdefghij", "https://example.com/abcdefghij"),  # 30
        ("https://example.com/abcdefghijk", "example.com/abcdefghijk"),  # 31
        (
            "https://example.com/a-very-long-path/that-goes/on",
            "example.com/a-very-long-pat...",
        ),
        (
            "example.com/a-very-long-path/that-goes/on",
            "example.com/a-very-long-pat...",
        ),
        ("https://例え.jp/" + "日本語" * 10, "例え.jp/" + "日本語" * 7 + "..."),
        ("https://example.com/" + "e\u0301" * 30, "example.com/" + "e\u0301" * 15 + "..."),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert grapheme_count(shown) <= DISPLAY_URL_MAX


def test_bluesky_richtext_shortens_long_links_and_keeps_the_full_uri() -> None:
    long_url = "https://example.com/a-very-long-path/that-goes/on-and-on?x=1"
    text, facets = bluesky_richtext(f"{FAMILY} read {long_url} #tag @alice.bsky.social")
    assert text == f"{FAMILY} read example.com/a-very-long-pat... #tag @alice.bsky.social"
    encoded = text.encode("utf-8")
    assert [(encoded[f.byte_start : f.byte_end].decode(), f.type, f.value) for f in facets] == [
        ("example.com/a-very-long-pat...", "link", long_url),
        ("#tag", "tag", "tag"),
        ("@alice.bsky.social", "mention", "alice.bsky.social"),
    ]
    assert facets[0] == Facet(31, 61, "link", long_url)


def test_bluesky_richtext_leaves_short_links_as_written() -> None:
    text, facets = bluesky_richtext("see example.com/x")
    assert text == "see example.com/x"
    assert facets == (Facet(4, 17, "link", "https://example.com/x"),)


def test_bluesky_richtext_without_facets() -> None:
    assert bluesky_richtext("plain words") == ("plain words", ())


# Properties --------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        " ",
        "\n",
        "(",
        ")",
        ".",
        "!",
        "#",
        "@",
        "＃",
        "\u0301",
        "\u200d",
        FAMILY,
        "日本",
        "example.com",
        "bücher.de/x",
        "https://",
        "https://example.com/a_(b)",
        "https://example.com/" + "x" * 40,
        "@alice.bsky.social",
        "#tag",
        "#" + "a" * 64,
        "＃タグ",
    ]
)
_TEXTS = st.lists(st.one_of(st.text(max_size=8), _FRAGMENTS), max_size=30).map("".join)


def _grapheme_boundaries(text: str) -> set[int]:
    boundaries = {0}
    for cluster in regex.finditer(r"\X", text):
        boundaries.add(len(text[: cluster.end()].encode("utf-8")))
    return boundaries


def _assert_well_formed(text: str, facets: tuple[Facet, ...]) -> None:
    encoded = text.encode("utf-8")
    boundaries = _grapheme_boundaries(text)
    end = 0
    for facet in facets:
        assert end <= facet.byte_start < facet.byte_end <= len(encoded)
        assert {facet.byte_start, facet.byte_end} <= boundaries
        end = facet.byte_end


@given(_TEXTS)
def test_detected_facets_are_sorted_disjoint_and_within_the_text(text: str) -> None:
    _assert_well_formed(text, detect_facets(text))


@given(_TEXTS)
def test_richtext_facets_are_sorted_disjoint_and_within_the_sent_text(text: str) -> None:
    sent, facets = bluesky_richtext(text)
    _assert_well_formed(sent, facets)
    assert len(facets) == len(detect_facets(text))
    assert count("bluesky", text).facets == facets
