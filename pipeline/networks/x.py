"""X (formerly Twitter), API v2."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Network


class XOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = None


class XNetwork(Network):
    name = "x"
    max_length = 280
    supports_threads = True
    max_images = 4
    max_image_bytes = 5 * 1024 * 1024
    max_image_side = 8192
    max_alt_length = 1000
    required_credentials = ("api_key", "api_secret", "access_token", "access_secret")
    Options: ClassVar[type[BaseModel]] = XOptions
