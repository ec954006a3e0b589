"""Threads (Meta): its count. Publishing (container, then publish) comes later.

500 characters, each emoji weighing its UTF-8 bytes; a post with more than five
links is refused.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Capability, Network
from pipeline.text.count import Count
from pipeline.text.facets import LINK, MAYBE_LINK, detect_facets
from pipeline.text.units import graphemes, is_emoji

MAX_LINKS = 5


class ThreadsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = "me"
    public_media_base: str | None = None


class ThreadsNetwork(Network):
    name = "threads"
    title = "Threads"
    capabilities = frozenset({Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.REPLY, Capability.QUOTE, Capability.DELETE})
    max_length = 500
    counted_as = "graphemes, an emoji counting its UTF-8 bytes; at most 5 links"
    max_images = 20
    max_image_bytes = 8 * 1024 * 1024
    image_formats = frozenset({"jpeg", "png"})
    max_alt_length = 1000
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = ThreadsOptions

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """Graphemes, an emoji weighing its UTF-8 bytes; more than five links fail."""
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        length = sum(len(cluster.encode("utf-8")) if is_emoji(cluster) else 1
                     for cluster in graphemes(text))
        links = sum(1 for facet in detect_facets(text) if facet.type == LINK)
        problems = (f"{links} links, at most {MAX_LINKS}",) if links > MAX_LINKS else ()
        return Count(cls.name, text, length, limit, problems=problems)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """A grapheme weighs at most its bytes; each link needs a dot before a letter or `://`."""
        if not text.strip() or len(MAYBE_LINK.findall(text)) > MAX_LINKS:
            return None
        return len(text.encode("utf-8"))
