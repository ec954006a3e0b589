"""Facebook Pages: posts through Meta's Graph API (pages.py), its error answers and usage headers
(graph.py), and which API versions Meta serves until when (versions.py)."""

from pipeline.networks.facebook.pages import FacebookNetwork, FacebookOptions

__all__ = ["FacebookNetwork", "FacebookOptions"]
