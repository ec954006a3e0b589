"""Link cards kept with the content: what each linked page said about itself when it was read.

`social linkcards` reads the Open Graph title, description and picture of every post's
`link:` once and keeps them in `content/linkcards.yml` (pictures under
`content/media/linkcards/`), committed like the posts. Previews show the card from
there: the calendar site's build never goes to the internet, and no reader's browser
asks the linked page for anything. Bluesky's own card, read when it publishes, is kept
in the ledger instead. The file may be edited by hand (a better title, another picture).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipeline.content.media import MAX_MEDIA_BYTES, MediaLibrary, MediaProblem, sniff_format
from pipeline.content.model import Media, Post
from pipeline.content.placing import KeyPlacer
from pipeline.content.yamlload import describe_yaml_error, load_yaml
from pipeline.errors import ERROR, Finding
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.networks.linkcard import LinkCard

if TYPE_CHECKING:
    from pipeline.networks.delivery import Http

LINKCARDS_FILE = "content/linkcards.yml"
#: where pictures go, relative to content/
IMAGES_DIR = "media/linkcards"
MAX_FILE_BYTES = 5_000_000
#: what a key must be: a web address, as a post's `link:` (the site shows no card for anything else)
WEB_LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
#: the finding code of a file (or an entry of it) that is not what `social linkcards` writes
INVALID = "linkcards-invalid"
HEADER = """\
# Link cards: what each linked page says about itself (its Open Graph title, description
# and picture), read by `social linkcards` so that previews show the card without asking
# the page. Edit freely; `social linkcards --refresh` reads the pages again.
"""


@dataclass(frozen=True)
class StoredCard:
    """One link's card as kept in content/linkcards.yml."""

    url: str
    title: str = ""
    description: str = ""
    #: the picture, relative to content/ (None: the page has none, or it could not be kept)
    image: str | None = None
    #: when it was read (UTC ISO-8601), for people
    read: str | None = None


def load_link_cards(root: Path) -> tuple[dict[str, StoredCard], dict[str, Media], list[Finding]]:
    """The stored cards by URL, their pictures (inspected), and every problem with its line."""
    files = RegularFiles(Path(root))
    findings: list[Finding] = []

    def report(line: int, message: str, code: str = INVALID) -> None:
        findings.append(Finding(LINKCARDS_FILE, line, 1, ERROR, code, message))

    if not os.path.lexists(Path(root) / LINKCARDS_FILE):
        return {}, {}, []
    try:
        text = files.read(LINKCARDS_FILE, MAX_FILE_BYTES, "link cards file").decode("utf-8-sig")
    except UnsafeFile as problem:
        report(1, problem.message, problem.code)
        return {}, {}, findings
    except UnicodeDecodeError as exc:
        report(1, f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8", "encoding")
        return {}, {}, findings
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        line, _column, code, problem = describe_yaml_error(exc, text)
        report(line, f"YAML syntax error: {problem}", code)
        return {}, {}, findings
    if not isinstance(data, dict):
        report(1, "the file maps each link to its card (https://...: {title: ..., description: ...})")
        return {}, {}, findings
    place = KeyPlacer(text, 1)
    media = MediaLibrary(Path(root) / "content", files)
    cards: dict[str, StoredCard] = {}
    images: dict[str, Media] = {}
    for url, value in data.items():
        line = place.line(url)
        if not WEB_LINK.match(str(url)):
            report(line, f"{str(url)!r} is not an http(s) link: each key is the full address of a post's link, "
                         "e.g. https://example.com/page")
            continue
        card = _card(str(url), value)
        if card is None:
            report(line, f"the card of {url} must be keys and values: title, description, image, read")
            continue
        cards[card.url] = card
        if card.image:
            try:
                images[card.url] = media.inspect(card.image, alt=None, index=0)
            except MediaProblem as problem:
                report(place.line(url, "image"), problem.message, problem.code)
    return cards, images, findings


def _card(url: str, value: Any) -> StoredCard | None:
    if not isinstance(value, dict) or not set(value) <= {"title", "description", "image", "read"}:
        return None
    text = {key: value.get(key) for key in ("title", "description", "image", "read")}
    if any(item is not None and not isinstance(item, str) for item in text.values()):
        return None
    return StoredCard(url, text["title"] or "", text["description"] or "", text["image"] or None, text["read"])


def save_link_cards(root: Path, cards: Iterable[StoredCard]) -> None:
    """Write content/linkcards.yml (sorted by link), keeping only what is set."""
    data = {}
    for card in sorted(cards, key=lambda c: c.url):
        entry = {"title": card.title, "description": card.description, "image": card.image, "read": card.read}
        data[card.url] = {key: value for key, value in entry.items() if value}
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) if data else ""
    path = Path(root) / LINKCARDS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(HEADER + body, encoding="utf-8")
    temporary.replace(path)


@dataclass(frozen=True)
class CardResult:
    """What became of one link: `read` (new or refreshed), `kept` (stored already), `unreadable`."""

    url: str
    state: str
    card: StoredCard | None = None


def links_of(posts: Iterable[Post]) -> list[str]:
    """Every http(s) `link:` of the posts and their overrides, first seen first."""
    links: dict[str, None] = {}
    for post in posts:
        for link in (post.link, *(override.link for override in post.overrides.values())):
            if link and link.startswith(("http://", "https://")):
                links.setdefault(link, None)
    return list(links)


def refresh_link_cards(root: Path, posts: Iterable[Post], read: Callable[[str], LinkCard | None],
                       now: datetime, *, refresh: bool = False) -> list[CardResult]:
    """Read the card of every link not stored yet (every link, with `refresh`), and store them.

    `read` fetches one page (None when it cannot be read); a card is a courtesy, so an
    unreadable page is reported and left out, never an error.
    """
    stored, _images, _findings = load_link_cards(root)
    results: list[CardResult] = []
    changed = False
    for url in links_of(posts):
        if url in stored and not refresh:
            results.append(CardResult(url, "kept", stored[url]))
            continue
        page = read(url)
        if page is None:
            results.append(CardResult(url, "unreadable", stored.get(url)))
            continue
        card = StoredCard(url, page.title, page.description, _keep_image(root, page),
                          now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        stored[url] = card
        changed = True
        results.append(CardResult(url, "read", card))
    if changed:
        save_link_cards(root, stored.values())
    return results


def _keep_image(root: Path, page: LinkCard) -> str | None:
    """The picture saved under content/media/linkcards/ by its digest, when it really is an image."""
    if not page.image or len(page.image) > MAX_MEDIA_BYTES:
        return None
    kind = sniff_format(page.image[:16])
    if kind is None:  # only what every browser shows as an image: never SVG or HTML
        return None
    name = f"{IMAGES_DIR}/{hashlib.sha256(page.image).hexdigest()[:20]}.{'jpg' if kind == 'jpeg' else kind}"
    target = Path(root) / "content" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(page.image)
    return name


def fetch_link_cards(root: Path, http: Http, *, post_id: str | None = None,
                     refresh: bool = False) -> list[CardResult]:
    """`social linkcards`: the cards of the posts' links (of one post's), each page read over `http`
    (a few seconds and a megabyte at most)."""
    from pipeline.content.workspace import Workspace
    from pipeline.networks.linkcard import read_link_card

    workspace = Workspace(root)
    workspace.require_config()
    content = workspace.content
    posts = [content.require_post(post_id)] if post_id else content.usable_posts()
    return refresh_link_cards(workspace.root, posts, lambda url: read_link_card(http, url), workspace.now,
                              refresh=refresh)


def result_lines(results: list[CardResult]) -> list[str]:
    """One line per link, for people."""
    lines = []
    for result in results:
        title = f": {result.card.title}" if result.card and result.card.title else ""
        if result.state == "read":
            picture = " (with its picture)" if result.card and result.card.image else ""
            lines.append(f"✓ {result.url}{title}{picture}")
        elif result.state == "kept":
            lines.append(f"= {result.url}{title} (stored; --refresh reads it again)")
        else:
            lines.append(f"✗ {result.url}: the page could not be read (not HTML, too big, too slow or "
                         "unreachable); previews show the bare link")
    return lines or ["No post has a link."]
