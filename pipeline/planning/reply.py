"""`social reply URL`: a post file answering someone else's post, ready for a pull request.

The channel is the one whose inbox holds the post (state/inbox.jsonl), else the one
channel whose network can reply and recognises the address (`Network.hosts_post`: a
bsky.app URL, a status on the fediverse, a post on X); several or none is a refusal
that says what to give instead. What the other account wrote goes into the file as
front-matter comments, for the reviewer: made visible (control characters escaped),
cut short, every line a comment, so it can neither end the front matter nor be posted.
The time suggested is the first quarter hour, at least `lead` from now, that keeps the
channel's rules at level error; `at` or `queue` choose instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.cadence.events import SCHEDULED, Event
from pipeline.cadence.localtime import WEEK_STARTS
from pipeline.cadence.queue import first_free
from pipeline.content.model import Channel, Config, Content
from pipeline.content.newpost import slugify, yaml_scalar
from pipeline.content.posts import POST_ID, PostReader
from pipeline.content.workspace import Workspace
from pipeline.errors import ERROR, PipelineError, UsageError
from pipeline.networks import network_class
from pipeline.networks.base import Capability
from pipeline.output import visible
from pipeline.planning.answers import inbox_entries
from pipeline.planning.evaluation import events_from_content
from pipeline.planning.schedule import queue_channels
from pipeline.state.inbox import InboxRecord
from pipeline.times import TimeError, format_local, parse_publish_at

#: how far ahead the suggested time lies at least (review and merge take a while), and how far
#: the search for a free time goes
LEAD = timedelta(hours=2)
SEARCH = timedelta(days=14)
STEP = timedelta(minutes=15)
#: how much of the other account's text the file quotes
QUOTED_LINES = 12
QUOTED_CHARACTERS = 1200


@dataclass(frozen=True)
class ReplyFile:
    """What `social reply` wrote."""

    path: Path
    post_id: str
    channel: str
    #: the time written into the file (None: queued, or a draft without a time)
    publish_at: datetime | None
    #: whether the text is still to be written (the body is empty: validation says so until it is)
    needs_text: bool
    #: the item of the inbox it answers, when the inbox holds it
    record: InboxRecord | None = None
    #: publish_at as local time with its offset
    local_time: str | None = None

    def summary(self) -> str:
        """One line for people: the post, its channel and time, and what is left to do."""
        when = f"publish_at {self.local_time}" if self.local_time else "queued for the next free slot"
        left = "; write the answer below its front matter, then run `social validate`" if self.needs_text else ""
        return f"{self.post_id} on {self.channel}, {when}{left}"


def write_reply(root: Path, url: str, *, channel_id: str | None = None, text: str | None = None,
                at: str | None = None, queue: bool = False, post_id: str | None = None,
                lead: timedelta = LEAD, now_text: str | None = None) -> ReplyFile:
    """Write content/posts/YYYY/MM/<id>.md answering `url`; refuse when no channel fits or it is answered."""
    workspace = Workspace(root, now_text=now_text)
    config = workspace.require_config()
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise UsageError(f"{visible(url, one_line=True)!r} is not the http(s) address of a post; copy the "
                         "post's link from the app or from the calendar's inbox page")
    if at and queue:
        raise UsageError("use --at or --queue, not both")
    content = workspace.content
    entries = inbox_entries(workspace.inbox.records(), content, workspace.ledger.latest())
    record = next((entry.record for entry in entries if _names(config, entry.record, url)), None)
    channel = _channel(config, url, channel_id, record)
    answered = next((entry for entry in entries if entry.record.channel == channel.id and entry.answer
                     and _names(config, entry.record, url)), None)
    if answered is not None:
        raise UsageError(f"{answered.answer.post.id} already answers {url} on {channel.id}; change that "
                         "post instead", file=answered.answer.post.file)
    post_id = post_id or _free_id(content, "reply-" + _slug(record.author if record else _author_in(url)))
    when = _when(workspace, content, channel, post_id, at, queue, lead)
    if not POST_ID.match(post_id):
        raise UsageError(f"id {post_id!r} may only hold lowercase letters, digits, '-' and '_'")
    if content.post(post_id):
        raise UsageError(f"id {post_id!r} is taken by {content.post(post_id).file}; choose another with --id")
    month = when.astimezone(config.zone).strftime("%Y/%m") if when else "unscheduled"
    path = workspace.root / "content" / "posts" / month / f"{post_id}.md"
    if path.exists():
        raise UsageError(f"{path.relative_to(workspace.root).as_posix()} already exists")
    body = (text or "").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_file_text(config, channel, url, post_id, when, queue, record, body), encoding="utf-8")
    _, findings = PostReader(workspace.root, config).read(path)
    errors = [f for f in findings if f.level == ERROR and f.code != "body-empty"]
    if errors:
        path.unlink()
        raise PipelineError(f"the reply would not be valid: {errors[0].message}", code=errors[0].code)
    return ReplyFile(path.relative_to(workspace.root), post_id, channel.id, when, not body, record,
                     format_local(when, config.zone) if when else None)


def _names(config: Config, record: InboxRecord, url: str) -> bool:
    """Whether `url` is an address of the inbox item `record`, as its channel's network tells."""
    settings = config.channels.get(record.channel)
    if settings is None:
        return url in (record.url, record.remote_id)
    network = network_class(settings.network)
    wanted = network.post_identity(url)
    return any(address and network.post_identity(address) == wanted for address in (record.url, record.remote_id))


def _channel(config: Config, url: str, channel_id: str | None, record: InboxRecord | None) -> Channel:
    if channel_id is not None:
        channel = config.channels.get(channel_id)
        if channel is None:
            raise UsageError(f"unknown channel {channel_id!r}; channels: {', '.join(config.channels)}")
        network = network_class(channel.network)
        if not network.can(Capability.REPLY, channel.options):
            raise UsageError(f"{channel_id} ({channel.network}) cannot reply to a post; choose another channel")
        problem = network.engagement_problem("reply_to", url)
        if problem:
            raise UsageError(f"{channel_id} ({channel.network}): {problem}")
        return channel
    if record is not None and record.channel in config.channels:
        return config.channels[record.channel]
    able = [c for c in config.channels.values() if network_class(c.network).can(Capability.REPLY, c.options)]
    fits = [c for c in able if network_class(c.network).hosts_post(url, c.options)]
    if len(fits) == 1:
        return fits[0]
    if fits:
        names = ", ".join(f"{c.id} ({c.network})" for c in fits)
        raise UsageError(f"several channels could answer {url}: {names}; say which with --channel")
    names = ", ".join(f"{c.id} ({c.network})" for c in able) or "none"
    raise UsageError(f"no channel fits {url}: it is not in the inbox (state/inbox.jsonl) and no channel "
                     f"that can reply recognises its address (channels that can reply: {names}); give "
                     "--channel if one of them can reach it")


def _when(workspace: Workspace, content: Content, channel: Channel, post_id: str, at: str | None, queue: bool,
          lead: timedelta) -> datetime | None:
    config = workspace.config
    if queue:
        if not channel.slots:
            raise UsageError(f"{channel.id} has no slots, so --queue would never give the reply a time; "
                             "use --at, or leave both out for a suggested time")
        return None
    if at:
        try:
            return parse_publish_at(at, config.zone)
        except TimeError as exc:
            raise UsageError(f"--at: {exc.message}") from None
    now = workspace.now
    start = now + lead
    start = start + (-(start - start.replace(minute=0, second=0, microsecond=0)) % STEP)
    times = (start + STEP * n for n in range(int(SEARCH / STEP)))
    events = events_from_content(content, workspace.published_times()).get(channel.id, [])
    found = first_free(queue_channels(config)[channel.id], events, Event(post_id, start, source=SCHEDULED),
                       times, config.zone, WEEK_STARTS[config.week_start])
    if found is None:
        raise UsageError(f"no time in the next {SEARCH.days} days keeps the rules of {channel.id}; "
                         "give one with --at")
    return found


def _file_text(config: Config, channel: Channel, url: str, post_id: str, when: datetime | None, queue: bool,
               record: InboxRecord | None, body: str) -> str:
    lines = ["---", f"# Written by `social reply`: an answer on {channel.id} to {url}"]
    if record is not None:
        author = _one_line(record.author)
        lines.append(f"# {author}'s {record.kind} of {format_local(record.at, config.zone)}, quoted for the "
                     "review (a comment: it is not posted):")
        lines += [f"# > {line}" if line else "#" for line in _quoted(record.text)]
        network = network_class(channel.network)
        if network.reply_mentions_author:
            lines.append(f"# {network.title} notifies only those a post mentions: start the answer with {author}.")
    lines.append("# Times are local to content/channels.yml's timezone; review the suggested one.")
    lines.append(f"id: {post_id}")
    title = f"Reply to {_one_line(record.author)}" if record else "Reply"
    lines.append(f"title: {yaml_scalar(title)}")
    if when is not None:
        lines.append(f"publish_at: {when.astimezone(config.zone):%Y-%m-%d %H:%M}")
    if queue:
        lines.append("queue: true")
    lines += [f"channels: [{channel.id}]", f"reply_to: {yaml_scalar(url)}", "---"]
    return "\n".join(lines) + "\n" + (body + "\n" if body else "")


def _quoted(text: str) -> list[str]:
    """The other account's text as comment lines: every kind of line break ends a line (YAML knows
    more than \\n), what a terminal or YAML would act on is escaped, and it is cut short."""
    cut = text[:QUOTED_CHARACTERS] + ("…" if len(text) > QUOTED_CHARACTERS else "")
    lines = [visible(line, one_line=True).rstrip() for line in cut.splitlines()] or [""]
    if len(lines) > QUOTED_LINES:
        lines = [*lines[:QUOTED_LINES], "…"]
    return lines


def _one_line(text: str) -> str:
    return visible(" ".join(text.split()), one_line=True)[:100]


def _author_in(url: str) -> str:
    """Whose post `url` is, as far as its address says: `/@anna/1`, `/profile/anna.bsky.social/post/x`,
    `/anna/status/1`; else its host."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    for index, segment in enumerate(segments):
        if segment.startswith("@"):
            return segment
        if segment in ("profile", "users") and index + 1 < len(segments):
            return segments[index + 1]
    if len(segments) >= 3 and segments[1] == "status":
        return segments[0]
    return parts.netloc


def _slug(text: str) -> str:
    return slugify(text.lstrip("@"))[:40].rstrip("-") or "post"


def _free_id(content: Content, base: str) -> str:
    post_id, number = base, 1
    while content.post(post_id):
        number += 1
        post_id = f"{base}-{number}"
    return post_id
