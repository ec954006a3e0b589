"""Facebook Pages through the Graph API: its limits. Publishing comes later."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Capability, Network


class FacebookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_id: str
    api_version: str = Field("v25.0", pattern=r"^v\d+\.\d+$")


class FacebookNetwork(Network):
    name = "facebook"
    title = "Facebook Page"
    capabilities = frozenset({Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE})
    max_length = 63206
    max_images = 10
    max_image_bytes = 4 * 1024 * 1024
    max_alt_length = 1000  # a photo's alt_text_custom; its limit is unverified
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = FacebookOptions
