"""Telegram through a bot that posts to a chat or channel: its count. Publishing comes later.

The Bot API counts UTF-16 code units: characters outside the Basic Multilingual
Plane count twice. A photo's caption is limited to 1,024 of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Capability, Network
from pipeline.text.count import Count
from pipeline.text.units import utf16_units

CAPTION_LIMIT = 1024


class TelegramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chat_id: str
    public_username: str | None = None


class TelegramNetwork(Network):
    name = "telegram"
    title = "Telegram"
    capabilities = frozenset({Capability.THREADS, Capability.IMAGES, Capability.DELETE})
    max_length = 4096
    counted_as = "UTF-16 code units; a photo's caption at most 1,024"
    hashtags = False
    max_images = 1
    max_image_bytes = 10 * 1024 * 1024
    required_credentials = ("bot_token",)
    Options: ClassVar[type[BaseModel]] = TelegramOptions

    @classmethod
    def text_limit(cls, options: Any = None, *, with_media: bool = False) -> int:
        return CAPTION_LIMIT if with_media else cls.max_length

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return Count(cls.name, text, utf16_units(text), limit)

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """At most two UTF-16 code units per code point."""
        return 2 * len(text) if text.strip() else None
