"""LinkedIn's "little text": the markup its `commentary` field is parsed as.

Characters that little text reserves must be backslash-escaped wherever they are
meant as plain text: an unescaped `(` has been seen to cut a post short.
"""

from __future__ import annotations

RESERVED = "|{}@[]()<>#\\*_~"

# One pass over the text, so every character (the backslash included) is escaped once.
_ESCAPES = str.maketrans({char: "\\" + char for char in RESERVED})


def escape_little_text(text: str) -> str:
    """Return `text` with every reserved little-text character backslash-escaped."""
    return text.translate(_ESCAPES)
