"""Link cards: the title, description and image a page declares in its Open Graph tags.

A card is a courtesy: the page is fetched quickly (a few seconds, a few redirects,
at most a megabyte) or not at all, and a page that cannot be read gives no card,
never a failed post.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from pipeline.networks.delivery import Http

TIMEOUT = (3.0, 5.0)
DEADLINE = 10.0
PAGE_BYTES = 1_000_000
IMAGE_BYTES = 1_000_000
REDIRECTS = 3
TITLE_MAX = 300
DESCRIPTION_MAX = 1000


@dataclass(frozen=True)
class LinkCard:
    """What a page says about itself, and its picture (bytes and content type) if it has one."""

    uri: str
    title: str
    description: str
    image: bytes | None = None
    image_type: str = ""


def read_link_card(http: Http, uri: str, fallback_title: str | None = None) -> LinkCard | None:
    """The card of the page at `uri`; None when the page cannot be read or is not HTML."""
    page = _fetch(http, uri, PAGE_BYTES, "text/html")
    if page is None:
        return None
    final_url, content, content_type = page
    if "html" not in content_type:
        return None
    meta = _OpenGraph.read(content.decode(_charset(content_type), errors="replace"))
    title = meta.get("og:title") or meta.get("title") or fallback_title or uri
    description = meta.get("og:description") or meta.get("description") or ""
    card = LinkCard(uri, _squash(title, TITLE_MAX), _squash(description, DESCRIPTION_MAX))
    image = meta.get("og:image") or meta.get("twitter:image")
    thumb = _fetch(http, urljoin(final_url, image), IMAGE_BYTES, "image/*") if image else None
    mime = thumb[2].split(";")[0].strip() if thumb else ""
    if thumb is not None and mime.startswith("image/"):
        return LinkCard(card.uri, card.title, card.description, thumb[1], mime)
    return card


def _fetch(http: Http, url: str, limit: int, accept: str) -> tuple[str, bytes, str] | None:
    """GET a public page or image: http(s) only, few redirects, capped in size and time."""
    requests = http.requests
    deadline = time.monotonic() + DEADLINE
    for _ in range(REDIRECTS + 1):
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        try:
            with http.session.get(url, timeout=TIMEOUT, stream=True, allow_redirects=False,
                                  headers={"Accept": accept}) as response:
                if response.is_redirect and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    return None
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    return None
                content = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > limit or time.monotonic() > deadline:
                        return None
                return url, bytes(content), response.headers.get("Content-Type", "").lower()
        except (requests.RequestException, ValueError):
            return None
    return None


def _squash(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _charset(content_type: str) -> str:
    match = re.search(r"charset=([\w.-]+)", content_type)
    if match:
        try:
            "".encode(match[1])
            return match[1]
        except LookupError:
            pass
    return "utf-8"


class _OpenGraph(HTMLParser):
    """The Open Graph (and plain) title, description and image of an HTML page."""

    WANTED = frozenset({"og:title", "og:description", "og:image", "description", "twitter:image"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self._in_title = False
        self._title: list[str] = []

    @classmethod
    def read(cls, html: str) -> dict[str, str]:
        parser = cls()
        parser.feed(html)
        parser.close()
        if parser._title:
            parser.meta.setdefault("title", "".join(parser._title))
        return parser.meta

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            name = (values.get("property") or values.get("name") or "").strip().lower()
            content = (values.get("content") or "").strip()
            if name in self.WANTED and content:
                self.meta.setdefault(name, content)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
