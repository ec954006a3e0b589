"""LinkedIn posts for a member or an organization page."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Network


class LinkedInOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    author: str = Field(
        pattern=r"^urn:li:(person|organization):[A-Za-z0-9_-]+$",
        description="urn:li:person:<id> or urn:li:organization:<id>",
    )
    version: str = Field("202511", pattern=r"^\d{6}$", description="LinkedIn-Version header")


class LinkedInNetwork(Network):
    name = "linkedin"
    max_length = 3000
    supports_threads = False
    max_images = 20
    max_alt_length = 4086
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = LinkedInOptions
