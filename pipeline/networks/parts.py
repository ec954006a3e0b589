"""What passes between the publisher and a network: a part to send, and what came back.

Plain data, free of the ledger: the publisher turns its ledger lines into
`SentPart`s, so a network never learns how (or whether) anything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.files import RegularFiles, UnsafeFile
from pipeline.networks.delivery import DeliveryError

#: the largest media file read for upload (validation checked each network's own limit)
MAX_MEDIA_FILE = 200_000_000

if TYPE_CHECKING:
    from pipeline.text.facets import Facet


@dataclass(frozen=True)
class MediaFile:
    """An image to upload: where it is and what it shows."""

    path: Path
    alt: str
    width: int | None = None
    height: int | None = None
    format: str | None = None

    @property
    def content_type(self) -> str:
        return f"image/{self.format or 'jpeg'}"

    def content(self, label: str) -> bytes:
        """The image's bytes; a file that cannot be read fails the part before anything is sent."""
        try:
            # Never through a link (validation refused links; a file swapped since is refused too).
            return RegularFiles(self.path.parent).read(self.path.name, MAX_MEDIA_FILE, "media file")
        except UnsafeFile as problem:
            raise DeliveryError(f"{label}: cannot read {self.path.name}: {problem.message}",
                                code="media-unreadable") from None


@dataclass(frozen=True)
class SentPart:
    """A part the network took earlier: what a reply, a retraction or a retry needs of it."""

    post_id: str
    channel_id: str
    number: int
    key: str | None = None
    remote_id: str | None = None
    url: str | None = None
    #: what the network kept for later (Bluesky: uri and cid); never secrets
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartRequest:
    """One message to send: the rendered text of one part of a post on one channel."""

    post_id: str
    channel_id: str
    number: int
    total: int
    text: str
    key: str
    media: tuple[MediaFile, ...] = ()
    #: the thread's first and previous parts, already out (None for part 1)
    root: SentPart | None = None
    parent: SentPart | None = None
    title: str | None = None
    link: str | None = None
    language: str | None = None
    content_warning: str | None = None
    #: reply_to / repost / quote / like: URL of someone else's post
    engagement: Mapping[str, str] = field(default_factory=dict)
    #: Bluesky rich-text facets of `text` (UTF-8 byte offsets)
    facets: tuple[Facet, ...] = ()
    #: remote ids this channel's other parts already went out as: a search for this part after an
    #: unclear outcome must never take one of them for it
    claimed: AbstractSet[str] = frozenset()
    #: what an earlier attempt at this part recorded with `record_progress` (Threads: the
    #: container it created), so that a retry finishes that attempt instead of starting another
    progress: Mapping[str, Any] = field(default_factory=dict)
    #: writes `data` (no secrets) into the ledger's pending line for this part before the
    #: network's next step, so a crash after it leaves what the next run needs (None outside a run)
    record_progress: Callable[[Mapping[str, Any]], None] | None = field(default=None, compare=False,
                                                                         repr=False)

    @property
    def label(self) -> str:
        """How messages name the part: `part 2/3 of ID`, or the post's id alone."""
        return f"part {self.number}/{self.total} of {self.post_id}" if self.total > 1 else self.post_id


@dataclass(frozen=True)
class Published:
    """What the network answered for a published part."""

    remote_id: str | None
    url: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
