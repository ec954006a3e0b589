"""The front matter and channels.yml schemas, declared once.

The same models validate files and are exported as JSON Schema (`schemas/`) so
editors with yaml-language-server complete and check what people type.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

ENGAGEMENT_KEYS = ("reply_to", "repost", "quote", "like")


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
    tags: list[str] | None = Field(None, description="Replaces the tags for this channel")
    link: str | None = Field(None, description="Replaces the link for this channel")
    thread: Literal["auto", "off"] | None = None


class PostFrontMatter(_Strict):
    """The front matter of one post file."""

    id: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Stable identity; defaults to the file name; never change it once published",
    )
    title: str | None = Field(None, description="For people: calendar and previews")
    publish_at: str | None = Field(
        None,
        description="Local time in channels.yml `timezone` (YYYY-MM-DD HH:MM) or with an offset",
    )
    queue: bool = Field(False, description="Put the post into the channels' slot queue")
    channels: list[str] = Field(min_length=1, description="Channel ids from channels.yml")
    status: Literal["draft", "ready", "retracted"] = "ready"
    tags: list[str] = Field(default_factory=list)
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


# Cadence rules. Their values are checked by pipeline/cadence/policy.py, which says
# what to write instead; the models below declare their exact shape for the JSON
# Schema (editors complete and check them) and the rule names for channels.yml.
DURATION_PATTERN = r"^(\d+w(\d+d)?(\d+h)?(\d+m)?|\d+d(\d+h)?(\d+m)?|\d+h(\d+m)?|\d+m)$"
CLOCK = r"([01]?\d|2[0-3]):[0-5]\d"
HOURS_PATTERN = rf"^{CLOCK}-({CLOCK}|24:00)$"
_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
DAYS_PATTERN = rf"^{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*$"
SLOT_PATTERN = rf"^{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)* {CLOCK}$"
_DATE = r"\d{4}-\d{2}-\d{2}"
BLACKOUT_PATTERN = rf"^{_DATE}(\.\.{_DATE})?$"
PERCENT_PATTERN = r"^\d+(\.\d+)?%$"

Level = Literal["error", "warning", "off"]
Count = Annotated[int, Field(ge=1)]
Duration = Annotated[str, Field(pattern=DURATION_PATTERN,
                                description="A number and a unit: 90m, 2h, 4d, 1w, 1d12h")]
Hours = Annotated[str, Field(pattern=HOURS_PATTERN,
                             description='Allowed local posting window, e.g. "08:00-20:00"')]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Days = Annotated[str, Field(pattern=DAYS_PATTERN, description='e.g. "mon-fri" or "mon,wed"')
                 ] | list[Weekday]
BlackoutDates = list[Annotated[str, Field(
    pattern=BLACKOUT_PATTERN,
    description='A local date or an inclusive range: "2026-12-24", "2026-12-31..2027-01-01"')]]
Percent = Annotated[str, Field(pattern=PERCENT_PATTERN, description="e.g. 20%")]
LEVEL_FIELD = Field(None, description="error blocks, warning informs, off turns the rule off "
                    "(default: the rule's own level)")


class CountRule(_Strict):
    """A count with its level."""

    value: Count | None = Field(None, description="Omit to keep the value from defaults")
    level: Level | None = LEVEL_FIELD


class DurationRule(_Strict):
    """A duration with its level."""

    value: Duration | None = Field(None, description="Omit to keep the value from defaults")
    level: Level | None = LEVEL_FIELD


class HoursRule(_Strict):
    value: Hours | None = None
    level: Level | None = LEVEL_FIELD


class DaysRule(_Strict):
    value: Days | None = None
    level: Level | None = LEVEL_FIELD


class BlackoutRule(_Strict):
    value: BlackoutDates | None = None
    level: Level | None = LEVEL_FIELD


class Mix(BaseModel):
    """At most this share of posts with a tag in any window: {promo: 20%, window: 30d}."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Percent] = Field(init=False)

    window: Duration = Field("30d", description="The span every share is counted over")
    level: Level | None = LEVEL_FIELD


class MixRule(_Strict):
    value: Mix | None = None
    level: Level | None = LEVEL_FIELD


class CadenceRules(_Strict):
    """Posting cadence rules: each value plain (`max_per_day: 3`) or `{value: 3, level: warning}`."""

    max_per_day: Count | CountRule | Literal["off"] | None = Field(
        None, description="Most posts on one local day (default level: error)")
    max_per_week: Count | CountRule | Literal["off"] | None = Field(
        None, description="Most posts in one week, weeks starting on week_start (error)")
    min_gap: Duration | DurationRule | Literal["off"] | None = Field(
        None, description="Least time between two posts (error)")
    max_silence: Duration | DurationRule | Literal["off"] | None = Field(
        None, description="Longest time between two consecutive posts (warning)")
    runway: Duration | DurationRule | Literal["off"] | None = Field(
        None, description="How far ahead posts should be planned (warning)")
    hours: Hours | HoursRule | Literal["off"] | None = Field(
        None, description='Allowed local posting hours, e.g. "08:00-20:00" (error)')
    days: Days | DaysRule | Literal["off"] | None = Field(
        None, description='Allowed weekdays, e.g. "mon-fri" or [mon, wed] (error)')
    blackout: BlackoutDates | BlackoutRule | Literal["off"] | None = Field(
        None, description="Local dates or ranges without posts (error)")
    duplicates: Duration | DurationRule | Literal["off"] | None = Field(
        None, description="Window in which the same or nearly the same text is reported (warning)")
    mix: Mix | MixRule | Literal["off"] | None = Field(
        None, description="Most share of posts per tag in any window, e.g. {promo: 20%, window: "
        "30d} (warning)")


class Utm(_Strict):
    """Campaign parameters for links; `{channel}` and `{post}` are replaced."""

    source: str = Field("{channel}", description="utm_source (default: the channel id)")
    medium: str = Field("social", description="utm_medium")
    campaign: str | None = Field("{post}", description="utm_campaign (default: the post id)")


class ChannelConfig(BaseModel):
    """One channel: an account on a network. Network-specific keys are checked by the network."""

    model_config = ConfigDict(extra="allow")

    network: str = Field(description="mastodon, bluesky, linkedin, x, threads, facebook, "
                         "discord, slack, telegram, webhook or outbox")
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="Names of environment variables holding secrets, never the secrets",
    )
    # checked by pipeline/cadence/policy.py after merging with defaults (see the note above)
    cadence: Annotated[CadenceRules | None, SkipValidation] = None
    slots: list[Annotated[str, Field(json_schema_extra={"pattern": SLOT_PATTERN})]] = Field(
        default_factory=list, description='Weekly times queued posts fill, e.g. "mon-fri 09:00"')
    template: str | None = Field(None, description="Template file in templates/ for this channel")
    max_lateness: str | None = Field(None, description="How late a post may still go out (6h)")
    hashtags: bool | None = Field(None, description="Append tags as hashtags (network default)")
    thread_numbering: bool = Field(False, description="Number thread parts: 1/3, 2/3, 3/3")
    utm: Utm | Literal[False] | None = Field(
        None, description="Campaign parameters added to the post's link; false to add none"
    )


class Defaults(_Strict):
    cadence: Annotated[CadenceRules | None, SkipValidation] = None
    max_lateness: str = "6h"


class ChannelsFile(_Strict):
    """content/channels.yml"""

    timezone: str = Field(description="IANA time zone of local times, e.g. Europe/Berlin")
    week_start: Literal["monday", "sunday", "saturday"] = "monday"
    defaults: Defaults = Field(default_factory=Defaults)
    channels: dict[str, ChannelConfig] = Field(min_length=1)
