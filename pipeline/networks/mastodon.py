"""Mastodon: statuses on any instance (limits can differ per instance)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Network


class MastodonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: str = Field(pattern=r"^https?://", description="Base URL, e.g. https://mastodon.social")
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    language: str | None = None
    max_characters: int = Field(500, ge=1, description="The instance's configured status limit")


class MastodonNetwork(Network):
    name = "mastodon"
    max_length = 500
    supports_threads = True
    max_images = 4
    max_image_bytes = 16 * 1024 * 1024
    max_alt_length = 1500
    engagement = frozenset({"reply_to", "repost", "like"})
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = MastodonOptions
