"""Bluesky over the AT Protocol (see network.py)."""

from pipeline.networks.bluesky.records import BlueskyNetwork, BlueskyOptions

__all__ = ["BlueskyNetwork", "BlueskyOptions"]
