"""LinkedIn little-text escaping."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.networks.linkedin import RESERVED, escape_little_text


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def test_reserved_characters_are_exactly_linkedins() -> None:
    assert sorted(RESERVED) == sorted("|{}@[]()<>#\\*_~")


@pytest.mark.parametrize("char", list("|{}@[]()<>#\\*_~"))
def test_each_reserved_character_is_escaped(char: str) -> None:
    assert escape_little_text(char) == "\\" + char


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("", ""),
        ("Plain text, 100% fine! é 👍 日本 $5 ^ + = - / : ; ' \" ? .", None),
        ("a (b) c", "a \\(b\\) c"),
        ("\\", "\\\\"),
        ("\\(", "\\\\\\("),
        ("C:\\temp\\new", "C:\\\\temp\\\\new"),
        ("#launch @crumb", "\\#launch \\@crumb"),
        ("snake_case *bold* ~tilde~", "snake\\_case \\*bold\\* \\~tilde\\~"),
        ("<b>|x|</b>", "\\<b\\>\\|x\\|\\</b\\>"),
        ("[link](url) {x}", "\\[link\\]\\(url\\) \\{x\\}"),
        (
            "@[Name](urn:li:organization:123)",
            "\\@\\[Name\\]\\(urn:li:organization:123\\)",
        ),
        ("{hashtag|\\#|Tag}", "\\{hashtag\\|\\\\\\#\\|Tag\\}"),
    ],
)
def test_escape_little_text(text: str, escaped: str | None) -> None:
    assert escape_little_text(text) == (text if escaped is None else escaped)


def test_escaping_is_applied_once_per_character() -> None:
    # Already-escaped text is escaped again, backslash included: callers escape once.
    assert escape_little_text("\\(") == "\\\\\\("
    assert escape_little_text(escape_little_text("(")) == "\\\\\\("
    assert len(escape_little_text("((((")) == 8


@given(st.text())
def test_escaping_round_trips_and_adds_one_backslash_per_reserved_character(text: str) -> None:
    escaped = escape_little_text(text)
    assert _unescape(escaped) == text
    assert len(escaped) == len(text) + sum(char in RESERVED for char in text)


@given(st.text())
def test_no_reserved_character_is_left_unescaped(text: str) -> None:
    escaped = escape_little_text(text)
    position = 0
    while position < len(escaped):
        if escaped[position] == "\\":
            assert escaped[position + 1] in RESERVED
            position += 2
        else:
            assert escaped[position] not in RESERVED
            position += 1
