"""Threads (Meta): posts, carousels and reply chains through the two-step container flow (posts.py),
with Meta's Graph API errors read by their numbers (graph.py)."""

from pipeline.networks.threads.posts import ThreadsNetwork, ThreadsOptions

__all__ = ["ThreadsNetwork", "ThreadsOptions"]
