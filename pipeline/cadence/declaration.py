"""What a cadence rule is: one declaration, from which everything about the rule is generated.

A `CadenceRule` holds all a rule has: how its value is read from channels.yml
and what to write instead, its JSON Schema, its check, how the report shows its
value, its default level, and the line the docs and the schema describe it with.
The parser (policy.py), the JSON Schema, the docs table, the report's wording and
the queue all ask the declarations in `registry.py`; none of them lists rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.errors import ERROR, WARNING

OFF = "off"
LEVELS = (ERROR, WARNING, OFF)


@dataclass(frozen=True)
class Rule:
    """One rule in force on a channel: its parsed value, its level, and where it was written."""

    name: str
    value: Any
    level: str
    path: tuple

    def finding(self, message: str, posts: tuple[str, ...], start: datetime, end: datetime,
                blame: str | None = None) -> CadenceFinding:
        """A finding of this rule; `blame` is the post to move (None: the channel as a whole)."""
        return CadenceFinding(self.name, self.level, message, posts, start, end, blame)


Check = Callable[[Timeline, Rule], list[CadenceFinding]]


def _looks_at_the_post_alone(value: Any) -> timedelta:
    return timedelta(0)


@dataclass(frozen=True)
class CadenceRule:
    """The declaration of one cadence rule: everything the pipeline knows about it."""

    name: str  #: its key in channels.yml, and in findings (`rule`)
    description: str  #: one line for the JSON Schema and the docs table
    example: str  #: a value as written in channels.yml, shown in messages and docs: `2h`
    default_level: str  #: error or warning, when channels.yml gives none
    parse: Callable[[object], Any]  #: the YAML value -> the typed value; raises InvalidValue
    schema: dict  #: JSON Schema of the value as written
    check: Check  #: pure: a timeline and the rule in force -> findings
    describe: Callable[[Any], str]  #: the typed value as the report shows it
    #: about a lack of posts (a silence): placing a post can only help, so the queue skips it
    absence: bool = False
    #: the value is a mapping, told from `{value, level}` by having no `value` key, and
    #: may carry its level inline: `mix: {promo: 20%, level: error}`
    inline_level: bool = False
    #: how far from a post in time the check looks; the queue reads no further
    reach: Callable[[Any], timedelta] = _looks_at_the_post_alone
    #: whether the check sees likes and reposts too (the rules about when); the others see posts only
    engagements: bool = False
    #: the value in force on every channel that does not set the rule (None: only where written)
    default: Any = None
    #: what a channel must have for `default` to apply to it (max_unanswered: "inbox", a network
    #: that reads one); None: every channel
    needs: str | None = None

    @property
    def code(self) -> str:
        """Its finding code in `social validate`: `cadence-min-gap`."""
        return "cadence-" + self.name.replace("_", "-")
