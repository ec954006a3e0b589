"""Bluesky over the AT Protocol, against the account's PDS."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Network


class BlueskyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: str = Field(description="The account's handle or DID, e.g. crumbandco.bsky.social")
    service: str = Field("https://bsky.social", pattern=r"^https?://", description="The PDS")
    language: str | None = None


class BlueskyNetwork(Network):
    name = "bluesky"
    counting = "bluesky"
    max_length = 300
    supports_threads = True
    max_images = 4
    max_image_bytes = 1_000_000
    max_alt_length = 2000
    engagement = frozenset({"reply_to", "repost", "quote", "like"})
    required_credentials = ("password",)
    Options: ClassVar[type[BaseModel]] = BlueskyOptions
