"""The shared base of every network: declared limits, channel options, and the transport API.

A network module subclasses `Network`, overrides the class attributes that
differ from these defaults, and implements `publish` (and, where the network
allows, `reconcile` and `delete`). Delivery (retries, rate limits, masking,
error messages) is done once, by `pipeline.networks.delivery.Http`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from pipeline.content.model import Channel
    from pipeline.networks.delivery import Http
    from pipeline.state.ledger import Entry

JPEG_PNG_GIF_WEBP = frozenset({"jpeg", "png", "gif", "webp"})


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
    #: the ledger entries of the thread's first and previous parts (None for part 1)
    root: Entry | None = None
    parent: Entry | None = None
    title: str | None = None
    link: str | None = None
    language: str | None = None
    content_warning: str | None = None
    #: reply_to / repost / quote / like: URL of someone else's post
    engagement: Mapping[str, str] = field(default_factory=dict)
    #: Bluesky rich-text facets of `text` (UTF-8 byte offsets)
    facets: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Published:
    """What the network answered for a published part."""

    remote_id: str | None
    url: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


class Uncertain(PipelineError):
    """Whether a part went out cannot be known from here: a person must settle it."""


class MissingCredential(PipelineError):
    """An environment variable the channel names is not set."""


class NoOptions(BaseModel):
    """Networks without settings of their own accept none."""

    model_config = ConfigDict(extra="forbid")


class Network:
    """Base class: what every network declares about itself."""

    #: the name used as `network:` in channels.yml
    name: ClassVar[str] = ""
    #: text limit in the network's own unit (see pipeline/render/counting.py)
    max_length: ClassVar[int] = 500
    #: whether an over-long text may become a thread of replies
    supports_threads: ClassVar[bool] = False
    #: images per post (0: the network takes no images from us)
    max_images: ClassVar[int] = 4
    #: bytes per image, None when the network states no limit
    max_image_bytes: ClassVar[int | None] = None
    #: image formats accepted (imagesize/Pillow format names, lower case)
    image_formats: ClassVar[frozenset[str]] = JPEG_PNG_GIF_WEBP
    #: alt-text length limit; None when the network takes no alt text
    max_alt_length: ClassVar[int | None] = 1000
    #: whether every image must carry alt text on this network
    alt_required: ClassVar[bool] = True
    #: engagement keys of a post this network's adapter can carry out
    engagement: ClassVar[frozenset[str]] = frozenset()
    #: credential names (keys of `credentials:`) the channel must name
    required_credentials: ClassVar[tuple[str, ...]] = ()
    #: which counting rule of pipeline/render/counting.py measures the text; None: the rule
    #: named like the network if there is one, else plain characters
    counting: ClassVar[str | None] = None
    #: how Markdown becomes text: plain, markdown (Discord) or slack (see render/markdown.py)
    text_style: ClassVar[str] = "plain"
    #: whether tags become hashtags unless the channel says `hashtags: false`
    hashtags: ClassVar[bool] = True
    #: largest width or height in pixels, None when the network states none
    max_image_side: ClassVar[int | None] = None
    #: channel settings of this network beyond the common ones
    Options: ClassVar[type[BaseModel]] = NoOptions

    #: whether a published part can be deleted again (retraction)
    can_delete: ClassVar[bool] = True
    #: whether `reconcile` returning None means "certainly not published" (True), or only
    #: "cannot tell, but sending again with the same key is harmless" (False, e.g. webhooks)
    reconcile_knows: ClassVar[bool] = True

    def __init__(self, channel: Channel, *, env: Mapping[str, str], http: Http, root: Path) -> None:
        self.channel = channel
        self.options = channel.options
        self.env = env
        self.http = http
        self.root = root

    # -- credentials ----------------------------------------------------------------

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

    # -- the transport: subclasses implement these ----------------------------------

    def check_ready(self) -> None:
        """Raise MissingCredential (or DeliveryError) before anything is sent, if it cannot work."""
        for name in self.required_credentials:
            self.credential(name)

    def new_key(self, post_id: str, number: int) -> str:
        """The idempotency key (or record key) saved in the ledger before sending."""
        digest = hashlib.sha256(f"{self.channel.id}/{post_id}/{number}".encode()).hexdigest()
        return digest[:32]

    def publish(self, request: PartRequest) -> Published:
        raise NotImplementedError(f"{self.name} cannot publish yet")

    def reconcile(self, request: PartRequest, pending: Entry) -> Published | None:
        """After an unclear outcome: the published part, or None when it surely did not go out.

        Raise Uncertain when the network cannot tell.
        """
        raise Uncertain(f"{self.name} cannot tell whether part {request.number} of "
                        f"{request.post_id} went out; check the account and run `social resolve`")

    def delete(self, entry: Entry) -> None:
        raise PipelineError(f"{self.name} cannot delete posts", code="delete-unsupported")
