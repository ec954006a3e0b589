"""A generic webhook: JSON POST, Idempotency-Key, HMAC-SHA256 signature."""

from __future__ import annotations

from pipeline.networks.base import Network


class WebhookNetwork(Network):
    name = "webhook"
    max_length = 100_000
    hashtags = False
    supports_threads = False
    max_images = 10
    required_credentials = ("url", "secret")
