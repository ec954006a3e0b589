"""The shared base of every network: what it declares about itself, and the transport API.

A network module subclasses `Network` and overrides the class attributes that
differ from these defaults: its limits, its capabilities, its counting, its text
style, its options model and its default template. Everything else in the
pipeline (validation, rendering, the site, the docs' tables, the JSON Schema)
asks these declarations; nothing lists networks by hand. The transport
(`publish`, `reconcile`, `delete`) is implemented only by networks that declare
`Capability.PUBLISH`; delivery (retries, rate limits, masking, error messages) is
done once, by `pipeline.networks.delivery.Http`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from pipeline.errors import PipelineError
from pipeline.networks.cost import CostEstimate
from pipeline.networks.look import NEUTRAL, Identity, Look
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.text.count import Count
from pipeline.text.markdown import PLAIN, TextStyle

if TYPE_CHECKING:
    from pipeline.networks.delivery import Http

JPEG_PNG_GIF_WEBP = frozenset({"jpeg", "png", "gif", "webp"})


class Capability(StrEnum):
    """What a network can do for a post; validation refuses a post that asks for more."""

    PUBLISH = "publish"        # it can send posts at all (else it only counts)
    THREADS = "threads"        # parts as a chain of replies
    IMAGES = "images"
    ALT_TEXT = "alt_text"      # a description sent with each image
    REPLY = "reply"            # reply_to: someone else's post
    QUOTE = "quote"
    REPOST = "repost"
    LIKE = "like"
    DELETE = "delete"          # retraction
    RECONCILE = "reconcile"    # it can tell for certain whether an earlier attempt went out
    METRICS = "metrics"        # it can read follower counts and each post's likes, reposts, replies
    INBOX = "inbox"            # it can read what others addressed to the account (`read_inbox`)


#: a post's engagement key -> the capability it needs
#: codes of a delete error that no later run can change (a post too old for the network to delete,
#: no id in the ledger to name it, no deletion at all): a person deletes the post by hand
DELETE_BY_HAND = frozenset({"delete-refused", "post-unknown", "delete-unsupported"})

ENGAGEMENT = {"reply_to": Capability.REPLY, "quote": Capability.QUOTE,
              "repost": Capability.REPOST, "like": Capability.LIKE}

#: the template every network uses unless it declares its own or the repository overrides it
DEFAULT_TEMPLATE = """\
{#- Context: text, title, link, link_in_text, tags, hashtags, images, channel, network,
    post, part, parts, first, last, numbering. See docs/rendering.md. -#}
{{ text }}
{% if first and link and not link_in_text %}

{{ link }}
{% endif %}
{% if first and hashtags %}

{{ hashtags }}
{% endif %}
{% if numbering and parts > 1 %}

{{ part }}/{{ parts }}
{% endif %}
"""


@dataclass(frozen=True)
class AccountCheck:
    """What `social channels check` learned from the network about a channel's account."""

    #: who the channel posts as, as people know the account ("@crumbandco@mastodon.social")
    account: str
    #: when the credential stops working, where the network says
    expires_at: datetime | None = None
    #: anything else worth knowing (a permission missing for retraction, ...)
    notes: tuple[str, ...] = ()
    #: channel settings that would match what the network really allows, where they differ
    #: from the channel's (Mastodon: an instance's own character limit)
    suggested: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileSupport:
    """What a network's profile holds, and its limits; None or 0: the network has no such field."""

    #: longest display name and bio, in `unit`
    display_name: int | None = None
    bio: int | None = None
    unit: str = "characters"
    #: name/value pairs shown on the profile (Mastodon's fields), and their lengths
    fields: int = 0
    field_name: int = 255
    field_value: int = 255
    avatar: bool = False
    header: bool = False
    image_bytes: int | None = None
    image_formats: frozenset[str] = frozenset({"jpeg", "png"})

    def length(self, text: str) -> int:
        """`text` measured as the network measures profile text."""
        if self.unit == "graphemes":
            from pipeline.text.units import grapheme_count

            return grapheme_count(text)
        return len(text)


@dataclass(frozen=True)
class LiveProfile:
    """A profile as the network shows it now."""

    display_name: str = ""
    bio: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    #: what identifies the current images (a URL, a blob's CID), to tell a change
    avatar: str | None = None
    header: str | None = None
    #: the record's version where the network has one (Bluesky: its CID, for swapRecord)
    version: str | None = None


@dataclass(frozen=True)
class ProfileUpdate:
    """What to change: only the fields that are set; images with their bytes."""

    display_name: str | None = None
    bio: str | None = None
    fields: tuple[tuple[str, str], ...] | None = None
    avatar: MediaFile | None = None
    header: MediaFile | None = None


@dataclass(frozen=True)
class PostCounts:
    """What a network says one of our parts earned; None where it does not count that kind."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None


def count_of(value: Any) -> int | None:
    """A count as an API gives it, when it is one: a whole number, never a bool or below zero."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


@dataclass(frozen=True)
class Metrics:
    """One reading of a channel: its followers and the counts of the parts asked about.

    `posts` is keyed by (post id, part number) of the `SentPart`s given; a part the
    network no longer has (deleted in the app) or that is no post of ours (a like, a
    repost) is left out, and `notes` says why where that is worth knowing.
    """

    followers: int | None = None
    posts: Mapping[tuple[str, int], PostCounts] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
class InboxKind(StrEnum):
    """How another account addressed ours."""

    MENTION = "mention"  # named us in a post of its own
    REPLY = "reply"      # answered one of our posts
    QUOTE = "quote"      # quoted one of our posts


@dataclass(frozen=True)
class InboxItem:
    """A post by someone else that addressed the account, as `read_inbox` found it."""

    #: the network's id of that post (Mastodon: the status id on our instance; Bluesky: its at:// URI)
    remote_id: str
    #: where people read it, when it has a public address
    url: str | None
    kind: InboxKind
    #: when it was written (UTC)
    at: datetime
    #: who wrote it, as people know the account ("@anna@example.org", "@bob.bsky.social")
    author: str
    #: its text, plain (what the network holds; shown escaped, never obeyed)
    text: str
    #: the remote id of our post it answers or quotes, where it does
    in_reply_to: str | None = None
    #: where the next read goes on from (Mastodon: the notification id; Bluesky: when it was indexed)
    cursor: str | None = None


class ProfileConflict(PipelineError):
    """The live profile changed between reading it and writing it."""


class Uncertain(PipelineError):
    """Whether a part went out cannot be known from here: a person must settle it."""


class MissingCredential(PipelineError):
    """An environment variable the channel names is not set."""


class NoOptions(BaseModel):
    """Networks without settings of their own accept none."""

    model_config = ConfigDict(extra="forbid")


class Account(Protocol):
    """The channel a network instance posts for (a content Channel satisfies it)."""

    id: str
    options: Any
    credentials: Mapping[str, str]


class Network:
    """Base class: what every network declares about itself, and its transport."""

    #: the name used as `network:` in channels.yml
    name: ClassVar[str] = ""
    #: how people write it, for messages and the docs
    title: ClassVar[str] = ""
    #: what it can do; see Capability
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: text limit in the network's own unit (see `count`)
    max_length: ClassVar[int] = 500
    #: how `count` counts, in a few words for the docs' table
    counted_as: ClassVar[str] = "characters (code points)"
    #: images per post, when it takes images
    max_images: ClassVar[int] = 4
    #: bytes per image, None when the network states no limit
    max_image_bytes: ClassVar[int | None] = None
    #: image formats accepted (imagesize/Pillow format names, lower case)
    image_formats: ClassVar[frozenset[str]] = JPEG_PNG_GIF_WEBP
    #: alt-text length limit, when it takes alt text
    max_alt_length: ClassVar[int] = 1000
    #: no alt-text field, but the template writes each image's description into the text
    #: (Telegram's caption); validation checks that the rendered text holds every one
    alt_in_text: ClassVar[bool] = False
    #: largest width or height in pixels, None when the network states none
    max_image_side: ClassVar[int | None] = None
    #: credential names (keys of `credentials:`) the channel must name (see `credential_names`)
    required_credentials: ClassVar[tuple[str, ...]] = ()
    #: what the docs' table says about credentials besides `required_credentials` (other ways in)
    credentials_note: ClassVar[str] = ""
    #: whether a quote may carry images (X refuses media beside `quote_tweet_id`)
    quote_takes_images: ClassVar[bool] = True
    #: how Markdown becomes text on this network
    text_style: ClassVar[TextStyle] = PLAIN
    #: whether tags become hashtags unless the channel says `hashtags: false`
    hashtags: ClassVar[bool] = True
    #: how many of the tags the template's `hashtags` holds, None for all (Threads makes one topic
    #: tag of a post's hashtags)
    max_hashtags: ClassVar[int | None] = None
    #: the Jinja2 template used when the repository has no templates/<name>.j2
    template: ClassVar[str] = DEFAULT_TEMPLATE
    #: channel settings of this network beyond the common ones
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: the page of docs/networks/ that explains it, if any
    docs: ClassVar[str | None] = None
    #: what `content/profiles/<channel>.yml` may set on this network; None: no profiles
    profile: ClassVar[ProfileSupport | None] = None
    #: whether the author of a post is told of an answer only when the answer mentions them (Mastodon):
    #: `social reply` then says to start with their handle
    reply_mentions_author: ClassVar[bool] = False
    #: what of the inbox `read_inbox` reads, or why the network's inbox is not read (`social inbox
    #: collect` says so when it skips the channel; the docs' table shows it either way)
    inbox_note: ClassVar[str] = ""
    #: how its readers see a post, for the calendar site's previews (pipeline/networks/look.py)
    look: ClassVar[Look] = NEUTRAL

    @classmethod
    def can(cls, capability: Capability, options: Any = None) -> bool:
        """Whether the network can do this; for a channel's `options` when given (Slack: what an
        incoming webhook can do is less than what a bot can)."""
        return capability in (cls.capabilities if options is None else cls.channel_capabilities(options))

    @classmethod
    def channel_capabilities(cls, options: Any) -> frozenset[Capability]:
        """What a channel with these settings can do; the default is everything the network can."""
        return cls.capabilities

    # -- counting: class methods, so validation needs no instance and no credentials -----

    @classmethod
    def text_limit(cls, options: Any = None, *, with_media: bool = False) -> int:
        """The limit of one part's text on a channel with these options."""
        return cls.max_length

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        """`text` as this network counts it (default: code points), against its limit."""
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return Count(cls.name, text, len(text), limit)

    @classmethod
    def wire_text(cls, text: str) -> str:
        """`text` as a request carries it, where the network wants an encoding readers never see
        (LinkedIn escapes its reserved characters); the text itself by default. Previews show
        the text; only the transport, the outbox and JSON output use this."""
        return text

    @classmethod
    def upper_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """A cheap number the exact count never exceeds, or None when there is none.

        Validation needs only a verdict: when the bound is within the limit (and the
        text not empty), the exact count would be too. None makes it count exactly,
        which is what the default does.
        """
        return None

    @classmethod
    def lower_bound(cls, text: str, *, options: Any = None, content_warning: str = "") -> int | None:
        """A cheap number the exact count is never below, or None when there is none.

        Splitting a text into a thread tries candidate parts that are plainly too long:
        a bound over the limit says so without counting them (the parts kept are counted).
        """
        return None

    @classmethod
    def credential_names(cls, options: Any = None, named: Collection[str] = ()) -> tuple[str, ...]:
        """The credentials a channel with these options must name, given the ones it does name.

        Most networks need one fixed set; X needs another set for each way of signing in.
        """
        return cls.required_credentials

    @classmethod
    def engagement_problem(cls, key: str, url: str) -> str | None:
        """Why `url` cannot be the target of `key` (reply_to, quote, repost, like) here, or None.

        Validation reports it at the key: X can only reply to or quote a post on X.
        """
        return None

    @classmethod
    def hosts_post(cls, url: str, options: Any) -> bool:
        """Whether `url` names a post a channel with these settings can answer (`social reply` picks
        the channel by it): Bluesky's bsky.app URLs, a Mastodon instance's statuses."""
        return False

    @classmethod
    def post_identity(cls, address: str) -> str:
        """What two addresses of one post have in common, to tell that a `reply_to` answers an item
        of the inbox: by default the URL without its fragment and trailing slash, its scheme and
        host in lower case. Bluesky makes its bsky.app URLs and at:// URIs alike."""
        return identity_of_url(address)

    @classmethod
    def media_problem(cls, options: Any, path: str) -> str | None:
        """Why a channel with these settings cannot send the image at `path` (relative to content/),
        saying what to do; None when it can.

        Threads fetches each image from a public URL, which the channel must say.
        """
        return None

    @classmethod
    def estimate_cost(cls, parts: Sequence[str], options: Any = None) -> CostEstimate | None:
        """What sending these texts (one post's parts) costs on a channel with these options;
        None where posting is free."""
        return None

    @classmethod
    def channel_findings(cls, options: Any, today: date) -> list[tuple[str, str, str]]:
        """(level, code, message) about a channel's settings that depend on the date.

        LinkedIn: an API version about to be retired. Validation reports them at the channel.
        """
        return []

    # -- how a post looks to its readers ---------------------------------------------------

    @classmethod
    def look_for(cls, options: Any = None) -> Look:
        """The look of a channel with these settings; the network's `look` by default."""
        return cls.look

    @classmethod
    def identity(cls, options: Any = None) -> Identity:
        """The name and handle a channel with these settings posts under, as far as they tell."""
        return Identity()

    @classmethod
    def document(cls, request: PartRequest) -> dict[str, Any] | None:
        """The JSON document a program receives for this part, for networks that send one (the
        outbox, webhooks); None for the others."""
        return None

    # -- the transport -------------------------------------------------------------------

    def __init__(self, channel: Account, *, env: Mapping[str, str], http: Http, root: Path) -> None:
        self.channel = channel
        self.options = channel.options
        self.env = env
        self.http = http
        self.root = root

    def credential(self, name: str) -> str:
        """The secret behind `credentials.<name>`; registered for masking before it is used."""
        variable = self.channel.credentials.get(name)
        if not variable:
            raise MissingCredential(f"channel {self.channel.id!r} names no credentials.{name}",
                                    code="credential-missing")
        value = self.env.get(variable)
        if not value:
            raise MissingCredential(f"environment variable {variable} is not set (credentials.{name} "
                                    f"of channel {self.channel.id!r})", code="credential-missing")
        self.http.secrets.add(value)
        return value

    def variable(self, name: str) -> str:
        """The NAME of the environment variable behind `credentials.<name>`, for messages."""
        return self.channel.credentials.get(name, name)

    def check_ready(self) -> None:
        """Raise MissingCredential (or DeliveryError) before anything is sent, if it cannot work."""
        if not self.can(Capability.PUBLISH):
            raise PipelineError(f"{self.name} cannot publish posts; its channels are refused by "
                                "`social validate`", code="network-cannot-publish")
        for name in self.credential_names(self.options, self.channel.credentials):
            self.credential(name)

    def new_key(self, post_id: str, number: int) -> str:
        """The idempotency key (or record key) saved in the ledger before sending."""
        digest = hashlib.sha256(f"{self.channel.id}/{post_id}/{number}".encode()).hexdigest()
        return digest[:32]

    def publish(self, request: PartRequest) -> Published:
        raise NotImplementedError(f"{self.name} declares {Capability.PUBLISH} but implements no publish")

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """After an unclear outcome (an attempt at `sent_at`): the published part, or None when it
        surely did not go out. Raise Uncertain when the network cannot tell."""
        raise Uncertain(f"{self.name} cannot tell whether part {request.number} of "
                        f"{request.post_id} went out; check the account and run `social resolve`")

    def delete(self, part: SentPart) -> None:
        raise PipelineError(f"{self.name} cannot delete posts", code="delete-unsupported")

    @classmethod
    def image_id(cls, content: bytes) -> str | None:
        """The id this network gives an image of these bytes, where it names images by content."""
        return None

    def read_profile(self) -> LiveProfile:
        raise PipelineError(f"{self.title or self.name} profiles cannot be read", code="profile-unsupported")

    def write_profile(self, update: ProfileUpdate, live: LiveProfile) -> LiveProfile:
        """Apply `update` over `live` (read just before); returns the profile as it is after.

        Raises ProfileConflict when the network says the profile changed meanwhile.
        """
        raise PipelineError(f"{self.title or self.name} profiles cannot be written", code="profile-unsupported")

    def read_metrics(self, parts: Sequence[SentPart]) -> Metrics:
        """The account's followers and what each of `parts` (ours, already published) earned.

        Only networks that declare `Capability.METRICS` implement it; reads are idempotent,
        so `Http` retries them and waits out rate limits.
        """
        raise PipelineError(f"{self.title or self.name} cannot read metrics", code="metrics-unsupported")
    def read_inbox(self, since: str | None, oldest: datetime) -> list[InboxItem]:
        """What others addressed to the account (mentions, replies, quotes), oldest first.

        With `since` (the `cursor` of the newest item an earlier read returned), only what came
        after it; without, what was written since `oldest`. Reading never marks anything as
        read on the network. Networks that declare `Capability.INBOX` implement it.
        """
        raise PipelineError(f"{self.title or self.name}: {self.inbox_note or 'its inbox cannot be read'}",
                            code="inbox-unsupported")

    def check_account(self) -> AccountCheck:
        """The cheapest authenticated call: who the channel posts as, or an error saying why not.

        Raises MissingCredential or DeliveryError (an expired or revoked token, a wrong
        author, a chat the bot cannot post to) with a message that says what to do.
        """
        raise PipelineError(f"{self.title or self.name} channels cannot be checked",
                            code="check-unsupported")


def identity_of_url(address: str) -> str:
    """`address` without fragment or trailing slash, scheme and host in lower case."""
    text = address.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))
