"""Networks: one module each, registered through the `social.networks` entry-point group.

The built-in networks register exactly as a third-party package would, in
pyproject.toml, so adding a network never touches the core.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.networks.base import Network

GROUP = "social.networks"


@cache
def _registered() -> dict:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def network_names() -> list[str]:
    """Every registered network name, sorted."""
    return sorted(_registered())


@cache
def network_class(name: str) -> type[Network]:
    """The class registered for `name`; KeyError when there is none."""
    return _registered()[name].load()
