"""LinkedIn posts for a member or an organization page. Publishing comes later.

`commentary` is parsed as LinkedIn's "little text": the characters it reserves
must be backslash-escaped wherever they are meant as plain text (an unescaped `(`
has been seen to cut a post short). The count is of the escaped text, in code
points (LinkedIn's own rule is unverified).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Capability, Network
from pipeline.text.count import Count

RESERVED = "|{}@[]()<>#\\*_~"
# One pass over the text, so every character (the backslash included) is escaped once.
_ESCAPES = str.maketrans({char: "\\" + char for char in RESERVED})


def escape_little_text(text: str) -> str:
    """Return `text` with every reserved little-text character backslash-escaped."""
    return text.translate(_ESCAPES)


class LinkedInOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: str = Field(
        pattern=r"^urn:li:(person|organization):[A-Za-z0-9_-]+$",
        description="urn:li:person:<id> or urn:li:organization:<id>",
    )
    version: str = Field("202603", pattern=r"^\d{6}$", description="LinkedIn-Version header (YYYYMM)")


class LinkedInNetwork(Network):
    name = "linkedin"
    title = "LinkedIn"
    capabilities = frozenset({Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE})
    max_length = 3000
    counted_as = ("characters of the escaped text (reserved characters `| { } @ [ ] ( ) < > # \\ * _ ~` "
                  "get a backslash)")
    max_images = 20
    max_alt_length = 4086
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = LinkedInOptions

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        sent = escape_little_text(text)
        return Count(cls.name, sent, len(sent), limit)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """Escaping adds at most one backslash per character."""
        return 2 * len(text) if text.strip() else None
