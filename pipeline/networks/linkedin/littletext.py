"""LinkedIn's "little text": the format of a post's `commentary`.

The characters it reserves must be backslash-escaped wherever they are meant as
plain text (an unescaped `(` has been seen to cut a post short). Rendering and every
preview keep the text as readers see it; `LinkedInNetwork.wire_text` escapes it for
the request (and for counting), and commentary read back goes through
`unescape_little_text`.
"""

from __future__ import annotations

import re

RESERVED = "|{}@[]()<>#\\*_~"
# One pass over the text, so every character (the backslash included) is escaped once.
_ESCAPES = str.maketrans({char: "\\" + char for char in RESERVED})
_ESCAPED = re.compile(r"\\([" + re.escape(RESERVED) + r"])")


def escape_little_text(text: str) -> str:
    """Return `text` with every reserved little-text character backslash-escaped."""
    return text.translate(_ESCAPES)


def unescape_little_text(text: str) -> str:
    """The plain text a reader sees: each escaped reserved character without its backslash."""
    return _ESCAPED.sub(r"\1", text)
