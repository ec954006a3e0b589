"""Preview cards: each channel's rendering drawn as its network shows it.

Plain data for the post page's templates, from the network's `Look`
(pipeline/networks/look.py): who posts (the channel's profile and settings), each
part's text as HTML with the network's links, markup and fold, the images in the
network's grid, the link card from Open Graph data stored earlier (never fetched
here), and which channels share a card because they send the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from pipeline.content.model import Channel, Media, Post
from pipeline.content.profiles import Profile
from pipeline.errors import PipelineError
from pipeline.networks import network_class
from pipeline.networks.base import Network
from pipeline.networks.look import About, Layout, Look
from pipeline.networks.parts import MediaFile, PartRequest
from pipeline.render.render import RenderedPart, Rendering
from pipeline.site.calendar import LinkCardData, card_key, web_url
from pipeline.site.parthtml import fold_at, markup_html, shows_markup, split_facets, text_html
from pipeline.text.count import Count

#: a text this long (in the network's count) may meet a fold: the look's word on folding is shown
LONG = 280


@dataclass(frozen=True)
class Author:
    """Who a card's posts appear from."""

    name: str
    handle: str | None
    avatar: Media | None
    #: the placeholder's letter, when there is no avatar
    initial: str
    #: whether content/profiles/<channel>.yml says who it is
    has_profile: bool


@dataclass
class ShownPart:
    """One part of a card: its text split at the network's fold, its images, its count."""

    part: RenderedPart
    total: int
    visible: Markup
    folded: Markup | None = None
    #: the JSON a program receives, for networks whose readers are programs
    document: str | None = None

    @property
    def number(self) -> int:
        return self.part.number

    @property
    def media(self) -> list[Media]:
        return self.part.media

    @property
    def count(self) -> Count:
        return self.part.count


@dataclass
class Card:
    """One look of the same text: the channels of one network and account that send it."""

    network: type[Network]
    look: Look
    author: Author
    channels: list[str]
    parts: list[ShownPart]
    content_warning: str | None = None
    link: LinkCardData | None = None

    @property
    def layout(self) -> str:
        return self.look.layout.value

    @property
    def approximate(self) -> list[str]:
        """The look's unverified points about what this card shows (no word on a fold under a short text)."""
        shown = {About.LOOK}
        for part in self.parts:
            html = str(part.visible) + str(part.folded or "")
            if part.folded is not None or part.count.length > LONG:
                shown.add(About.FOLD)
            if len(part.media) > 1:
                shown.add(About.IMAGES)
            if "<a href=" in html:
                shown.add(About.LINKS)
            if 'class="sc-tag"' in html:
                shown.add(About.TAGS)
        return [point.text for point in self.look.approximate if point.about in shown]


@dataclass
class CardGroup:
    """Channels that send the same thing: one card per network and account among them."""

    channels: list[str]
    cards: list[Card] = field(default_factory=list)
    #: renderings that stop the post (too long, threads where there are none), or nothing to write
    renderings: list[Rendering] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.channels[0]


def card_groups(post: Post, renderings: list[Rendering], *, profiles: Mapping[str, Profile],
                link_cards: Mapping[str, LinkCardData], root: Path) -> list[CardGroup]:
    """The post's previews: renderings with the same parts grouped, each group one card per look."""
    groups: dict[object, CardGroup] = {}
    for rendering in renderings:
        channel = rendering.channel
        key: object = _signature(rendering) if rendering.parts else ("alone", channel.id)
        group = groups.setdefault(key, CardGroup([]))
        group.channels.append(channel.id)
        group.renderings.append(rendering)
        if not rendering.parts:
            continue
        network = network_class(channel.network)
        look = network.look_for(channel.options)
        author = author_of(channel, network, profiles.get(channel.id))
        existing = next((card for card in group.cards if card.network is network and card.look == look
                         and card.author == author), None)
        if existing is not None:
            existing.channels.append(channel.id)
            continue
        group.cards.append(Card(
            network, look, author, [channel.id], shown_parts(post, rendering, network, look, root),
            rendering.content_warning, link_card(rendering, look, link_cards)))
    return list(groups.values())


def _signature(rendering: Rendering) -> tuple:
    """What readers get: the same parts, images, link and content warning make the same card."""
    return (tuple((part.text, tuple((m.path, m.alt) for m in part.media)) for part in rendering.parts),
            rendering.link, rendering.content_warning)


def author_of(channel: Channel, network: type[Network], profile: Profile | None) -> Author:
    """The name (settings first, then the profile, then the channel's id), handle and avatar shown."""
    identity = network.identity(channel.options)
    name = identity.name or (profile.display_name if profile else None) or channel.id
    return Author(name=name, handle=identity.handle, avatar=profile.avatar if profile else None,
                  initial=(name.strip()[:1] or "?").upper(), has_profile=profile is not None)


def shown_parts(post: Post, rendering: Rendering, network: type[Network], look: Look,
                root: Path) -> list[ShownPart]:
    total = len(rendering.parts)
    shown = []
    for part in rendering.parts:
        if look.layout == Layout.DATA:
            shown.append(ShownPart(part, total, Markup(""), document=document_json(
                post, rendering, network, part, total, root)))
            continue
        visible, folded = part_html(part, network, look)
        shown.append(ShownPart(part, total, visible, folded))
    return shown


def part_html(part: RenderedPart, network: type[Network], look: Look) -> tuple[Markup, Markup | None]:
    """A part's text as the network shows it, and what it folds behind "see more" (or None).

    Bluesky's links are its facets as sent; elsewhere links, hashtags and mentions are
    found as most networks find them.
    """
    text = part.count.text
    style = network.text_style
    if shows_markup(style):
        return markup_html(text, style, marks=look.marks, link_chars=look.link_chars), None
    facets = part.count.facets or None
    cut = fold_at(text, look.fold)
    if cut is None:
        return text_html(text, facets, marks=look.marks, link_chars=look.link_chars), None
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    before = after = None
    if facets is not None:
        before, after = split_facets(facets, len(text[:len(text) - len(tail)].encode("utf-8")))
    return (text_html(head, before, marks=look.marks, link_chars=look.link_chars),
            text_html(tail, after, marks=look.marks, link_chars=look.link_chars))


def link_card(rendering: Rendering, look: Look, stored: Mapping[str, LinkCardData]) -> LinkCardData | None:
    """The card under the first part: only for a post with a link and no images, as networks do."""
    url = web_url(rendering.link)
    if not look.link_card or url is None or not rendering.parts or rendering.parts[0].media:
        return None
    found = stored.get(card_key(url))
    return LinkCardData(url, found.title, found.description, found.image) if found else LinkCardData(url)


def document_json(post: Post, rendering: Rendering, network: type[Network], part: RenderedPart,
                  total: int, root: Path) -> str:
    """The JSON the network's program receives for the part, as the publisher would send it."""
    channel = rendering.channel
    request = PartRequest(
        post_id=post.id, channel_id=channel.id, number=part.number, total=total, text=part.text,
        key=network(channel, env={}, http=None, root=root).new_key(post.id, part.number),  # type: ignore[arg-type]
        media=tuple(MediaFile(root / "content" / m.path, m.alt or "", m.width, m.height, m.format)
                    for m in part.media),
        title=post.title, link=rendering.link, language=post.language,
        content_warning=rendering.content_warning, engagement=post.engagement if part.number == 1 else {},
        facets=part.count.facets)
    try:
        document = network.document(request)
    except PipelineError as problem:
        return f"(cannot be shown: {problem.message})"
    return json.dumps(document, ensure_ascii=False, indent=2)
