"""How a network shows a post to the people who read it: what the calendar site's previews imitate.

Each network declares its `Look` beside its limits (the knowledge sits on the network,
apprise's way); the site draws every preview card from these declarations, and a network
that declares none gets the neutral look. What nobody has measured against the live app
(where a long text folds, how a link is shortened) is marked approximate, and the site
says so beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: facet types (pipeline.text.facets), spelled here so that declaring a look compiles no expressions
LINK, TAG, MENTION = "link", "tag", "mention"


class Layout(StrEnum):
    """What kind of thing a reader sees."""

    POST = "post"  # a social network's post: avatar, name and handle above the text
    CHAT = "chat"  # a message in a chat app: the name and time beside the avatar, consecutive parts grouped
    DATA = "data"  # a document a program receives: shown as JSON


class Grid(StrEnum):
    """How several images of one post are laid out."""

    MOSAIC = "mosaic"      # 2 side by side, 3 as one tall and two, 4 as 2x2, all in one box of `crop`
    FEATURE = "feature"    # the first one large, the next ones in a row beneath, "+N" on the last shown
    CAROUSEL = "carousel"  # a row that scrolls sideways, each image at its own aspect
    STACK = "stack"        # one under the other, each at its own aspect


class Avatar(StrEnum):
    CIRCLE = "circle"
    ROUNDED = "rounded"  # a square with rounded corners (Mastodon, Discord's webhooks in a list)
    SQUARE = "square"    # a company page (LinkedIn, Slack apps)


@dataclass(frozen=True)
class Fold:
    """Where a network hides the rest of a long text behind a link such as "…see more"."""

    #: graphemes shown before the fold
    characters: int
    #: lines shown before the fold, where the network counts lines too (the shorter wins)
    lines: int | None = None
    label: str = "…see more"
    #: measured against the live app (False: the figure is someone's observation, it may be off)
    verified: bool = False


class About(StrEnum):
    """What an unverified point of a look concerns: the site notes it on a card that shows that."""

    FOLD = "fold"      # where a long text folds (shown when a part is long or folded)
    IMAGES = "images"  # how several images are laid out (shown when a part has two or more)
    LINKS = "links"    # how links are shown (shown when a text has a link)
    TAGS = "tags"      # how hashtags are shown (shown when a text has one)
    LOOK = "look"      # the look as a whole (always shown)


@dataclass(frozen=True)
class Approximate:
    """A point of a look nobody has measured against the live app."""

    about: About
    text: str


@dataclass(frozen=True)
class Look:
    """How one network shows a post; every default is the neutral look."""

    layout: Layout = Layout.POST
    #: links, hashtags and mentions on a light and on a dark background (each >= 4.5:1 against the
    #: card; the brand colour is darkened or lightened where it is not)
    accent: str = "#1a5fb4"
    accent_dark: str = "#8cb8ff"
    #: what the network turns into links in a text (facet types: link, tag, mention)
    marks: frozenset[str] = frozenset({LINK, TAG, MENTION})
    #: how many characters of a link it shows (scheme and `www.` dropped, "…" after); None: all of it
    link_chars: int | None = None
    fold: Fold | None = None
    grid: Grid = Grid.MOSAIC
    #: the shape of the box several images share (CSS aspect-ratio), None: each image its own shape
    crop: str | None = "16 / 9"
    #: images above the text (Telegram's album with its caption below)
    media_first: bool = False
    avatar: Avatar = Avatar.CIRCLE
    #: a small label beside the name (Discord's and Slack's APP for messages a program sends)
    badge: str | None = None
    #: shows a card (title, description, picture) for the post's link
    link_card: bool = True
    #: hides the text behind the post's content warning until the reader opens it (Mastodon)
    content_warning: bool = False
    #: what of this look is not verified against the live app, for the site's footnote
    approximate: tuple[Approximate, ...] = ()


@dataclass(frozen=True)
class Identity:
    """Who a channel's posts appear from, as far as its settings tell (a profile file tells more)."""

    #: the name shown, where the channel's settings choose it (Discord's `username`)
    name: str | None = None
    #: the handle shown under or beside the name (@crumbandco@mastodon.social)
    handle: str | None = None


NEUTRAL = Look(approximate=(Approximate(About.LOOK, "a neutral look: the network declares none"),))
