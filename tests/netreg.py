"""Registering a test-only network class for the duration of a test, as an entry point would."""

from __future__ import annotations

from contextlib import contextmanager

import pipeline.networks as networks


class _EntryPoint:
    def __init__(self, name: str, cls) -> None:
        self.name = name
        self._cls = cls

    def load(self):
        return self._cls


@contextmanager
def registered(name: str, cls):
    """Make `network: <name>` in channels.yml use `cls` (the registry is cached per process)."""
    table = networks._registered()
    table[name] = _EntryPoint(name, cls)
    networks.network_class.cache_clear()
    try:
        yield
    finally:
        table.pop(name, None)
        networks.network_class.cache_clear()
