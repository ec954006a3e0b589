"""The local outbox: writes each rendered part as a JSON file instead of posting."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Network


class OutboxOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field("outbox", description="Folder (relative to the root) to write to")


class OutboxNetwork(Network):
    name = "outbox"
    max_length = 100_000
    supports_threads = True
    max_images = 10
    engagement = frozenset({"reply_to", "repost", "quote", "like"})
    Options: ClassVar[type[BaseModel]] = OutboxOptions
