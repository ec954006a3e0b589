"""The post pages kept between builds, used again while nothing a page shows has changed.

Making a post's page (rendering it for each channel, its cards, its Jinja2 template) is most of
a big calendar's build; after one post changed, all but one are made again for nothing. So each
post page (its HTML and search summary) is kept in `.social-cache/site/` under the content root,
with a key: a digest of

- the post as the site sees it (`repr` of its PostView: the post file's every field, its state on
  each channel from the ledger at this build's time, its last change from git, its page name);
- everything every post page sees (`basis`): channels.yml's channels and zone, the profiles and
  link cards as read, the tags' page names, the media files' places, the files under templates/,
  the plugin's options that shape a page, the content root's path;
- the code (`validation.cache.fingerprint`: this package's files, every installed distribution's
  version, Python's).

A kept page whose key differs is made again and kept anew. The pages of months, days, channels and
tags, and the feeds, are made every build: each shows many posts. The records are `ValidationCache`
shards (64 JSON files; a changed post rewrites one), never committed, never read through a link.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from pipeline.cachedir import CACHE_DIR
from pipeline.site.calendar import PostView
from pipeline.site.pages import GeneratedPage
from pipeline.validation.cache import ValidationCache

FOLDER = f"{CACHE_DIR}/site"
EVENTS = f"{CACHE_DIR}/site-events"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _seen(view: PostView) -> str | None:
    """The post as the site sees it, for a key; None where a repr holds an object's address (it differs
    every run: such a key would never match)."""
    seen = repr(view)
    return None if " at 0x" in seen else seen


class PostPageCache:
    """The kept post pages of one content root."""

    def __init__(self, root: Path, basis: str, *, enabled: bool = True) -> None:
        # A repr holding an object's address differs every run: such a key would never match.
        self.usable = enabled and " at 0x" not in basis
        self.store = ValidationCache(root, enabled=self.usable, folder=FOLDER)
        self.basis = _digest(basis)
        self.kept = 0  # pages used again (for the tests and the log)

    def key(self, view: PostView) -> str | None:
        seen = _seen(view)
        return None if seen is None else _digest(f"{self.basis}\0{seen}")

    def get(self, view: PostView) -> tuple[GeneratedPage | None, str | None]:
        """The kept page of `view` if its key holds, and the key (None: not to be kept)."""
        if not self.store.usable:
            return None, None
        key = self.key(view)
        record = self.store.get(view.post.file)
        if key is None or not isinstance(record, dict) or record.get("key") != key:
            return None, key
        page = record.get("page")
        try:
            found = GeneratedPage(page["src_uri"], page["title"], page["html"], page["in_nav"],
                                  tuple(page["hide"]), page["search"])
        except (TypeError, KeyError):
            return None, key
        self.kept += 1
        return found, key

    def put(self, view: PostView, key: str | None, page: GeneratedPage) -> None:
        if key is not None:
            self.store.put(view.post.file, {"key": key, "page": {
                "src_uri": page.src_uri, "title": page.title, "html": page.html, "in_nav": page.in_nav,
                "hide": list(page.hide), "search": page.search}})

    def save(self, views: Iterable[PostView]) -> None:
        """Write what changed, without the pages of posts no longer there."""
        self.store.save({view.post.file for view in views})


class FeedEventCache:
    """The kept feed events of one content root (site.feeds.KeptEvents): each post's event on each of its
    channels, serialized, keyed by the post as the site sees it, the channel, the page's URL and `basis`
    (the code is the store's fingerprint); the build's time (DTSTAMP) is put in when used."""

    def __init__(self, root: Path, basis: str, *, enabled: bool = True) -> None:
        self.store = ValidationCache(root, enabled=enabled and " at 0x" not in basis, folder=EVENTS)
        self.basis = _digest(basis)
        self.made: dict[str, dict[str, tuple[str, bytes]]] = {}
        self._last: tuple[PostView, str | None] | None = None  # a post's channels are asked one after another

    def key(self, view: PostView, channel: str, url: str) -> str | None:
        if not self.store.usable:
            return None
        if self._last is None or self._last[0] is not view:
            self._last = (view, _seen(view))
        seen = self._last[1]
        return None if seen is None else _digest(f"{self.basis}\0{seen}\0{channel}\0{url}")

    def get(self, view: PostView, channel: str, key: str) -> bytes | None:
        record = self.store.get(view.post.file)
        kept = record.get(channel) if isinstance(record, dict) else None
        if isinstance(kept, list) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], str):
            return kept[1].encode("utf-8", "surrogateescape")
        return None

    def save(self, views: Iterable[PostView]) -> None:
        """Keep what this build made (one event per post and channel), without the posts no longer there."""
        for file, events in self.made.items():
            record = self.store.get(file)
            record = dict(record) if isinstance(record, dict) else {}
            record.update({channel: [key, data.decode("utf-8", "surrogateescape")]
                           for channel, (key, data) in events.items()})
            self.store.put(file, record)
        self.made = {}
        self.store.save({view.post.file for view in views})
