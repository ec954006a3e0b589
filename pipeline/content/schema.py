"""The front matter and channels.yml schemas, declared once.

The same models validate files and are exported as JSON Schema (`schemas/`) so
editors with yaml-language-server complete and check what people type.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from pipeline.cadence.registry import cadence_schema
from pipeline.cadence.values import SLOT_PATTERN
from pipeline.content.model import PostStatus
from pipeline.content.utm import UTM_PATTERN

ENGAGEMENT_KEYS = ("reply_to", "repost", "quote", "like")
#: An id names files and pages (the site, the outbox): far below the 255 bytes of a file name.
MAX_ID = 100
#: A tag names a page of the site and becomes a hashtag: no network takes a longer one.
MAX_TAG = 100
MAX_TAGS = 30
MAX_TITLE = 300

Tag = Annotated[str, Field(max_length=MAX_TAG)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class MediaItem(_Strict):
    """An image attached to a post."""

    path: str = Field(description="Path relative to content/, e.g. media/winter-cake.jpg")
    alt: str | None = Field(
        None, description="Alt text describing the image for people who cannot see it"
    )


class Override(_Strict):
    """What one channel gets instead of the post's defaults."""

    text: str | None = Field(None, description="Replaces the body for this channel")
    content_warning: str | None = Field(None, description="Content warning for this channel")
    tags: list[Tag] | None = Field(None, max_length=MAX_TAGS, description="Replaces the tags for this channel")
    link: str | None = Field(None, description="Replaces the link for this channel")
    thread: Literal["auto", "off"] | None = None


class PostFrontMatter(_Strict):
    """The front matter of one post file."""

    id: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=MAX_ID,
        description="Stable identity; defaults to the file name; never change it once published",
    )
    title: str | None = Field(None, max_length=MAX_TITLE, description="For people: calendar and previews")
    publish_at: str | None = Field(
        None,
        description="Local time in channels.yml `timezone` (YYYY-MM-DD HH:MM) or with an offset",
    )
    queue: bool = Field(False, description="Put the post into the channels' slot queue")
    channels: list[str] = Field(min_length=1, description="Channel ids from channels.yml")
    status: PostStatus = PostStatus.READY
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    link: str | None = Field(None, description="An http(s) URL the post points to")
    media: list[MediaItem] = Field(default_factory=list)
    thread: Literal["auto", "off"] = Field(
        "auto", description="auto: split an over-long text into a thread; off: never split"
    )
    language: str | None = Field(None, description="BCP 47 language tag, e.g. en or de")
    content_warning: str | None = Field(None, description="Content warning (Mastodon)")
    overrides: dict[str, Override] = Field(
        default_factory=dict, description="Per-channel replacements, keyed by channel id"
    )
    reply_to: str | None = Field(None, description="URL of someone else's post to reply to")
    repost: str | None = Field(None, description="URL of someone else's post to repost")
    quote: str | None = Field(None, description="URL of someone else's post to quote")
    like: str | None = Field(None, description="URL of someone else's post to like")


class PartialFrontMatter(PostFrontMatter):
    """What can be read of a front matter with schema errors, once the keys in error are left out:
    `channels` may be one of them."""

    channels: list[str] = Field(default_factory=list)


class CadenceSection:
    """A `cadence:` section, passed on as written: pipeline.cadence reads it after merging
    with defaults and says what to write instead. Its JSON Schema comes from the rules'
    declarations, once under $defs/CadenceRules."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return core_schema.any_schema(ref="CadenceRules")

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return cadence_schema()


class Utm(_Strict):
    """Campaign parameters for links: plain text in which `{channel}` and `{post}` are replaced (no other braces)."""

    source: str = Field("{channel}", description="utm_source (default: the channel id)",
                        json_schema_extra={"pattern": UTM_PATTERN})
    medium: str = Field("social", description="utm_medium", json_schema_extra={"pattern": UTM_PATTERN})
    campaign: str | None = Field("{post}", description="utm_campaign (default: the post id)",
                                 json_schema_extra={"pattern": UTM_PATTERN})


class ChannelConfig(BaseModel):
    """One channel: an account on a network. Network-specific keys are checked by the network."""

    model_config = ConfigDict(extra="allow")

    network: str = Field(description="The network that publishes for this channel (docs/networks/)")
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="Names of environment variables holding secrets, never the secrets",
    )
    cadence: CadenceSection | None = None
    slots: list[Annotated[str, Field(json_schema_extra={"pattern": SLOT_PATTERN})]] = Field(
        default_factory=list, description='Weekly times queued posts fill, e.g. "mon-fri 09:00"')
    template: str | None = Field(None, description="Template file in templates/ for this channel")
    max_lateness: str | None = Field(None, description="How late a post may still go out (6h)")
    hashtags: bool | None = Field(None, description="Append tags as hashtags (network default)")
    threads: bool = Field(True, description="Split a text too long for the network into a thread (with "
                                            "thread: auto); false: an over-long text is an error, and so is a "
                                            "text in several parts")
    thread_numbering: bool = Field(False, description="Number thread parts: 1/3, 2/3, 3/3")
    utm: Utm | Literal[False] | None = Field(
        None, description="Campaign parameters added to the post's link; false to add none"
    )
    profile_max_age: str | None = Field(None, description="How long the profile (content/profiles/) may "
                                        "go unchanged before validation warns (180d)")


class Defaults(_Strict):
    cadence: CadenceSection | None = None
    max_lateness: str = "6h"
    profile_max_age: str = Field("180d", description="How long a profile may go unchanged before "
                                 "validation warns")


class ChannelsFile(_Strict):
    """content/channels.yml"""

    timezone: str = Field(description="IANA time zone of local times, e.g. Europe/Berlin")
    week_start: Literal["monday", "sunday", "saturday"] = "monday"
    defaults: Defaults = Field(default_factory=Defaults)
    channels: dict[str, ChannelConfig] = Field(min_length=1)
