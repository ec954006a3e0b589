"""The parts of twitter-text-parser this project uses, without its package start-up.

Importing any `twitter_text` module runs the package's `__init__`, which builds a
2019 emoji table through the deprecated `pkg_resources` (a quarter of a second,
and an import error where setuptools is too new or absent). We use only its URL
rules and domain lists, so a stand-in package object is put in place while those
submodules load, then removed again: a later plain `import twitter_text` runs
the real `__init__` as usual and finds these submodules already loaded.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from functools import cache


def _package_without_init() -> bool:
    """Put a stand-in package in sys.modules; True when it must be removed afterwards."""
    if "twitter_text" in sys.modules:
        return False
    spec = importlib.util.find_spec("twitter_text")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("twitter-text-parser is not installed (pip install twitter-text-parser)")
    package = types.ModuleType("twitter_text")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    sys.modules["twitter_text"] = package
    return True


@cache
def twitter_text() -> types.SimpleNamespace:
    """The pieces of twitter-text, loaded on first use (compiling its URL rules takes a while)."""
    stand_in = _package_without_init()
    try:
        return _load()
    finally:
        if stand_in:
            del sys.modules["twitter_text"]


def _load() -> types.SimpleNamespace:
    from twitter_text.config import config
    from twitter_text.extract_urls import extract_urls_with_indices, is_valid_url
    from twitter_text.regexp.invalid_chars import invalid_chars
    from twitter_text.regexp.latin_accent_chars import latin_accent_chars
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_domain import valid_domain
    from twitter_text.regexp.valid_gtld import valid_gtld
    from twitter_text.regexp.valid_port_number import valid_port_number
    from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

    return types.SimpleNamespace(
        config=config, extract_urls_with_indices=extract_urls_with_indices,
        is_valid_url=is_valid_url, invalid_chars=invalid_chars,
        latin_accent_chars=latin_accent_chars, valid_cctld=valid_cctld, valid_domain=valid_domain,
        valid_gtld=valid_gtld, valid_port_number=valid_port_number,
        valid_url_preceding_chars=valid_url_preceding_chars,
    )
