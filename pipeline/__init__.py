"""Social media as code: posts in git, validated, rendered and published exactly once."""

__version__ = "0.1.0"
