"""A text as a network counts it: what `Network.count` answers and `social count` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the facet detector's expressions are compiled only where facets are found
    from pipeline.text.facets import Facet


@dataclass(frozen=True)
class Count:
    """A text as one network would count it."""

    network: str
    text: str  # as it would be sent (Bluesky: long URLs shortened for display; LinkedIn: escaped)
    length: int  # in the network's own unit
    limit: int
    facets: tuple[Facet, ...] = ()
    problems: tuple[str, ...] = ()  # rules broken besides the length limit

    @property
    def ok(self) -> bool:
        """Whether the network would accept the text: not empty, not too long, no problem."""
        return 0 < self.length <= self.limit and not self.problems

    @property
    def over(self) -> int:
        """How far the text is over the limit (0 when it fits)."""
        return max(0, self.length - self.limit)

    def as_dict(self) -> dict:
        """The JSON shape of `social count` (DESIGN.md), plus `problems`."""
        return {
            "network": self.network,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "ok": self.ok,
            "facets": [facet.as_dict() for facet in self.facets],
            "problems": list(self.problems),
        }
