"""Networks: one module each, registered through the `social.networks` entry-point group.

The built-in networks register exactly as a third-party package would, in
pyproject.toml, so adding a network never touches the core: everything that
needs to know about networks asks this registry.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.networks.base import Network
    from pipeline.text.count import Count

GROUP = "social.networks"


class UnknownNetwork(ValueError):
    """No network of that name is registered."""


@cache
def _registered() -> dict:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def network_names() -> list[str]:
    """Every registered network name, sorted."""
    return sorted(_registered())


@cache
def network_class(name: str) -> type[Network]:
    """The class registered for `name`; UnknownNetwork (a ValueError) when there is none."""
    try:
        entry = _registered()[name]
    except KeyError:
        raise UnknownNetwork(f"unknown network {name!r}; networks: {', '.join(network_names())}") from None
    return entry.load()


def networks() -> list[type[Network]]:
    """Every registered network class, by name."""
    return [network_class(name) for name in network_names()]


def count(network: str, text: str, **options: Any) -> Count:
    """`text` counted as `network` counts it (see `Network.count` for the options)."""
    return network_class(network).count(text, **options)
