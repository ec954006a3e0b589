"""The shared base of every network: declared limits and channel options.

A network module subclasses `Network`, overrides the class attributes that
differ from these defaults, and (for publishing) implements the transport.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

JPEG_PNG_GIF_WEBP = frozenset({"jpeg", "png", "gif", "webp"})


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
    #: how Markdown becomes text: plain, markdown (Discord) or slack (see render/markdown.py)
    text_style: ClassVar[str] = "plain"
    #: whether tags become hashtags unless the channel says `hashtags: false`
    hashtags: ClassVar[bool] = True
    #: largest width or height in pixels, None when the network states none
    max_image_side: ClassVar[int | None] = None
    #: channel settings of this network beyond the common ones
    Options: ClassVar[type[BaseModel]] = NoOptions
