"""Telegram through a bot that posts to a chat or channel."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Network


class TelegramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chat_id: str
    public_username: str | None = None


class TelegramNetwork(Network):
    name = "telegram"
    max_length = 4096
    hashtags = False
    supports_threads = True
    max_images = 1
    max_image_bytes = 10 * 1024 * 1024
    max_alt_length = None
    alt_required = False
    required_credentials = ("bot_token",)
    Options: ClassVar[type[BaseModel]] = TelegramOptions
