"""What posting costs, on a network that charges per post (X): plain data for render and review.

A network that charges answers `Network.estimate_cost` with a `CostEstimate`; `social
render` shows each part's price and `social preview` the total a change adds per
channel. The prices are the channel's (X: `prices:` in channels.yml), so a team can keep
them in step with the network's price list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: how each kind of post is named in messages
KINDS = {"post": "a post", "post_with_url": "a post with a link"}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: float, currency: str = "USD") -> str:
    """`$0.23`, `$0.015`, `12.50 CHF`: two decimals, three where a price needs them."""
    rounded = round(amount, 3)
    text = f"{rounded:.3f}" if round(rounded, 2) != rounded else f"{rounded:.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@dataclass(frozen=True)
class PostCost:
    """The price of one post (one part of a thread)."""

    #: the key of the price in the channel's `prices:` ("post", "post_with_url")
    kind: str
    amount: float
    currency: str = "USD"

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind.replace("_", " "))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "amount": self.amount, "currency": self.currency}

    def describe(self) -> str:
        """`about $0.20 (a post with a link)`."""
        return f"about {money(self.amount, self.currency)} ({self.label})"


@dataclass(frozen=True)
class CostEstimate:
    """What sending some posts costs, and where the prices come from."""

    posts: tuple[PostCost, ...]
    #: for people: whose prices, as of when, and where to change them
    source: str = ""

    @property
    def currency(self) -> str:
        return self.posts[0].currency if self.posts else "USD"

    @property
    def total(self) -> float:
        return sum(post.amount for post in self.posts)

    @property
    def with_url(self) -> int:
        return sum(post.kind == "post_with_url" for post in self.posts)

    def summary(self) -> str:
        """`3 posts, 1 with a link: about $0.23`."""
        count = len(self.posts)
        links = f", {self.with_url} with a link" if self.with_url else ""
        return f"{count} post{'s' * (count != 1)}{links}: about {money(self.total, self.currency)}"

    def as_dict(self) -> dict:
        return {"total": round(self.total, 6), "currency": self.currency, "posts": len(self.posts),
                "with_url": self.with_url, "source": self.source}

    @staticmethod
    def combine(estimates: Iterable[CostEstimate]) -> CostEstimate | None:
        """Several estimates of one channel as one (None when there are none)."""
        estimates = list(estimates)
        if not estimates:
            return None
        return CostEstimate(tuple(post for estimate in estimates for post in estimate.posts),
                            estimates[0].source)
