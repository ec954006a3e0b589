"""`social channels check`: can each channel post, as whom, and until when?

One cheap authenticated call per channel (the network's `check_account`), made
the way a publish run makes its calls (masking, retries, rate limits), so that a
revoked token, a wrong author or a webhook URL that is not one shows up before a
post is due rather than when it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.content.brands import environment_name
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.errors import PipelineError
from pipeline.networks import network_class
from pipeline.networks.base import AccountCheck, Capability
from pipeline.networks.delivery import Http
from pipeline.output import md_code, md_text
from pipeline.secrets import Secrets
from pipeline.times import utc_now

#: how long before a token expires the check starts to say so (and exit 1)
EXPIRY_WARNING = timedelta(days=14)


@dataclass
class ChannelCheck:
    channel: str
    network: str
    account: str | None = None
    #: why the channel cannot post, with what to do; None when it can
    problem: str | None = None
    expires_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    #: channels.yml settings that would match the network's real limits
    suggested: dict[str, Any] = field(default_factory=dict)

    def expiring(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at - now <= EXPIRY_WARNING

    def needs_person(self, now: datetime) -> bool:
        return self.problem is not None or self.expiring(now)

    def as_dict(self, now: datetime) -> dict:
        return {"channel": self.channel, "network": self.network, "ok": not self.needs_person(now),
                "account": self.account, "problem": self.problem,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "expiring": self.expiring(now), "notes": self.notes, "suggested": self.suggested}


def check_channels(root: Path, *, channel_id: str | None = None, env: Mapping[str, str] | None = None,
                   clock: Callable[[], datetime] | None = None,
                   sleep: Callable[[float], None] | None = None) -> tuple[datetime, list[ChannelCheck]]:
    """(now, a check per channel, or for `channel_id` only)."""
    clock = clock or utc_now
    workspace = Workspace(root, clock=clock)
    config = workspace.require_config()
    workspace.require_channel(channel_id)
    env = os.environ if env is None else env
    secrets = Secrets()
    for channel in config.channels.values():
        for variable in channel.credentials.values():
            secrets.add(env.get(variable))
    checks = [_check(channel, env, Http(secrets=secrets, sleep=sleep or _no_wait, clock=clock), workspace.root,
                     secrets)
              for channel in config.channels.values() if channel_id in (None, channel.id)]
    return clock(), checks


def _no_wait(seconds: float) -> None:
    """A check does not wait out a rate limit: the delivery layer reports it instead."""
    raise PipelineError(f"rate-limited for {seconds:.0f} s; check again later", code="rate-limited")


def _check(channel: Channel, env: Mapping[str, str], http: Http, root: Path, secrets: Secrets) -> ChannelCheck:
    cls = network_class(channel.network)
    found = ChannelCheck(channel.id, channel.network)
    if not cls.can(Capability.PUBLISH):
        found.problem = f"{cls.title or cls.name} cannot publish posts"
        return found
    try:
        network = cls(channel, env=env, http=http, root=root)
        account: AccountCheck = network.check_account()
    except PipelineError as exc:
        found.problem = secrets.mask(exc.message)
        return found
    except Exception as exc:  # an adapter's bug: say so, and go on with the other channels
        found.problem = secrets.mask(f"unexpected error: {type(exc).__name__}: {exc}")
        return found
    found.account = secrets.mask(account.account)
    found.expires_at = account.expires_at
    found.notes = [secrets.mask(note) for note in account.notes]
    found.suggested = dict(account.suggested)
    return found


def check_lines(now: datetime, checks: list[ChannelCheck]) -> list[str]:
    """The text report: a line per channel, then what to do, indented."""
    width = max((len(c.channel) for c in checks), default=0)
    lines = []
    for check in checks:
        name = check.channel.ljust(width)
        if check.problem:
            lines.append(f"✗ {name}  {check.problem}")
            continue
        expiry = ""
        if check.expires_at:
            left = check.expires_at - now
            when = check.expires_at.date().isoformat()
            expiry = (f"; the token EXPIRED on {when}: renew it" if left <= timedelta(0) else
                      f"; the token expires on {when} (in {left.days} days): renew it soon"
                      if check.expiring(now) else f"; the token expires on {when}")
        mark = "!" if check.expiring(now) else "✓"
        lines.append(f"{mark} {name}  posts as {check.account}{expiry}")
        lines.extend(f"    {note}" for note in check.notes)
        if check.suggested:
            lines.append(f"    the network's limits differ from the channel's; put this under "
                         f"channels.{check.channel} in content/channels.yml:")
            lines.extend(f"      {key}: {value}" for key, value in check.suggested.items())
    return lines


#: the first line of the channels issue's body: how the workflow finds the open one
ISSUE_MARKER = "<!-- social-channels-check -->"
ISSUE_TITLE = "Channels need attention"


def issue_marker(brand: str = "") -> str:
    """The hidden first line of `brand`'s issue; no brand's starts with another's."""
    return f"<!-- social-channels-check {brand} -->" if brand else ISSUE_MARKER


def issue_title(brand: str = "") -> str:
    return f"{ISSUE_TITLE}: {brand}" if brand else ISSUE_TITLE


def check_markdown(now: datetime, checks: list[ChannelCheck], run_url: str | None = None, brand: str = "") -> str:
    """The body of the "Channels need attention" issue; every text from a network in code spans."""
    lines = [issue_marker(brand), f"`social channels check` at {now.isoformat(timespec='minutes')}"
             + (f" ([run]({run_url}))" if run_url and run_url.startswith("https://") else "") + ":", ""]
    for check in checks:
        if check.problem:
            lines.append(f"- ❌ **{md_text(check.channel)}** cannot post: {md_code(check.problem)}")
        elif check.expiring(now):
            lines.append(f"- ⚠️ **{md_text(check.channel)}**: the token expires on "
                         f"{check.expires_at.date().isoformat()}: renew it and update the secret")
        else:
            lines.append(f"- ✅ **{md_text(check.channel)}** posts as {md_code(check.account or '')}")
    lines += ["", f"Fix the credentials (docs/networks/: the secrets of the `{environment_name(brand)}` "
                  "environment), then run the publish workflow's channel check by hand, or wait for "
                  "tomorrow's: this issue closes when every channel can post."]
    return "\n".join(lines) + "\n"
