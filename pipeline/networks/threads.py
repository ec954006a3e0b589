"""Threads (Meta): two-step container then publish."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Network


class ThreadsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = "me"
    public_media_base: str | None = None


class ThreadsNetwork(Network):
    name = "threads"
    max_length = 500
    supports_threads = True
    max_images = 20
    max_image_bytes = 8 * 1024 * 1024
    image_formats = frozenset({"jpeg", "png"})
    max_alt_length = 1000
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = ThreadsOptions
