"""Discord through a channel webhook."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Network


class DiscordOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = None


class DiscordNetwork(Network):
    name = "discord"
    max_length = 2000
    text_style = "markdown"
    hashtags = False
    supports_threads = True
    max_images = 10
    max_image_bytes = 10 * 1024 * 1024
    max_alt_length = 1024
    required_credentials = ("webhook_url",)
    Options: ClassVar[type[BaseModel]] = DiscordOptions
