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
    text: str  # as readers will see it (Bluesky: long URLs shortened for display)
    length: int  # in the network's own unit
    limit: int
    facets: tuple[Facet, ...] = ()
    problems: tuple[str, ...] = ()  # rules broken besides the length limit
    #: the text as the request carries it, where that differs from `text` (LinkedIn: escaped)
    wire: str | None = None

    @property
    def wire_text(self) -> str:
        """The text as the network's request carries it (for most networks, `text` itself)."""
        return self.text if self.wire is None else self.wire

    @property
    def ok(self) -> bool:
        """Whether the network would accept the text: not empty, not too long, no problem."""
        return 0 < self.length <= self.limit and not self.problems

    @property
    def over(self) -> int:
        """How far the text is over the limit (0 when it fits)."""
        return max(0, self.length - self.limit)

    def as_dict(self) -> dict:
        """The JSON shape of `social count` (DESIGN.md), plus `problems` and `wire_text`."""
        return {
            "network": self.network,
            "text": self.text,
            "wire_text": self.wire_text,
            "length": self.length,
            "limit": self.limit,
            "ok": self.ok,
            "facets": [facet.as_dict() for facet in self.facets],
            "problems": list(self.problems),
        }
