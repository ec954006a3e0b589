"""Mastodon: statuses on any instance (see network.py), counted as the instance counts (counting.py)."""

from pipeline.networks.mastodon.statuses import MastodonNetwork, MastodonOptions

__all__ = ["MastodonNetwork", "MastodonOptions"]
