"""Slack through an incoming webhook (no message ids: nothing can be deleted or linked)."""

from __future__ import annotations

from pipeline.networks.base import Network


class SlackNetwork(Network):
    name = "slack"
    max_length = 40000
    text_style = "slack"
    hashtags = False
    supports_threads = False
    max_images = 0
    max_alt_length = None
    alt_required = False
    required_credentials = ("webhook_url",)
