"""Facebook Pages through the Graph API."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Network


class FacebookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_id: str
    api_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")


class FacebookNetwork(Network):
    name = "facebook"
    max_length = 63206
    supports_threads = False
    max_images = 10
    max_image_bytes = 4 * 1024 * 1024
    max_alt_length = None
    alt_required = False
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = FacebookOptions
