"""LinkedIn: posts for a member or an organization page (posts.py), written in little text
(littletext.py)."""

from pipeline.networks.linkedin.littletext import RESERVED, escape_little_text, unescape_little_text
from pipeline.networks.linkedin.posts import LinkedInNetwork, LinkedInOptions

__all__ = ["RESERVED", "LinkedInNetwork", "LinkedInOptions", "escape_little_text", "unescape_little_text"]
