"""X (formerly Twitter): posts through API v2 (posts.py), authorized with OAuth 1.0a or an
OAuth 2.0 user token (auth.py), counted as twitter-text v3 counts (counting.py)."""

from pipeline.networks.x.counting import URL_WEIGHT, has_url, weighted_count
from pipeline.networks.x.posts import XNetwork, XOptions, XPrices, comparable, post_id_of

__all__ = ["URL_WEIGHT", "XNetwork", "XOptions", "XPrices", "comparable", "has_url", "post_id_of", "weighted_count"]
