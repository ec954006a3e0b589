"""Channel settings that go stale with the calendar (a LinkedIn API version near retirement)."""

from __future__ import annotations

from datetime import datetime

from pipeline.content.channels import CONFIG_FILE
from pipeline.content.model import Config
from pipeline.errors import Finding
from pipeline.networks import network_class


def channel_date_findings(config: Config | None, now: datetime) -> list[Finding]:
    """Each network's findings about its channels' settings as of `now` (in the configured zone)."""
    if config is None:
        return []
    today = now.astimezone(config.zone).date()
    return [Finding(CONFIG_FILE, channel.line, 1, level, code, f"channel {channel.id!r}: {message}")
            for channel in config.channels.values()
            for level, code, message in network_class(channel.network).channel_findings(channel.options, today)]
