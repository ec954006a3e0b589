"""What waits for an answer: the inbox (state/inbox.jsonl) against the posts that answer it.

An item is answered by a post on the item's channel whose `reply_to` names it; a
`quote`, `like` or `repost` of it counts too (a mention that needs no words gets a
like). Addresses are compared as the channel's network tells one post's addresses
alike (`Network.post_identity`: a bsky.app URL and its at:// URI). The answer's
state comes from the ledger (published, with its link and time), else from the
post (scheduled at its publish_at, or a draft). The result feeds the site's Inbox
page, `social reply` (which refuses what is answered already) and the cadence rule
max_unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from pipeline.cadence.events import Mention
from pipeline.content.model import Config, Content, Post, PostStatus
from pipeline.networks import UnknownNetwork, network_class
from pipeline.state.entry import DELETED, MISSED, PUBLISHED, Entry
from pipeline.state.inbox import InboxRecord

#: the keys of a post that answer what they name, and what such an answer is called
ANSWERING_KEYS = {"reply_to": "reply", "quote": "quote", "like": "like", "repost": "repost"}


class AnswerState(StrEnum):
    """Where an item of the inbox stands."""

    WAITING = "waiting"          # no post answers it
    DRAFTED = "drafted"          # a draft answers it: it goes nowhere until it is ready
    SCHEDULED = "scheduled"      # a ready post answers it, not published yet
    PUBLISHED = "published"      # the answer is online


@dataclass(frozen=True)
class Answer:
    """The post answering an item, and where it stands."""

    post: Post
    state: AnswerState
    _: KW_ONLY  # the rest by name: `at` and `url` once went by position into `kind`
    #: reply, quote, like or repost
    kind: str = "reply"
    #: when it went out, or is to go out (None: queued without a time yet, or a draft)
    at: datetime | None = None
    #: the live answer, once published
    url: str | None = None


@dataclass(frozen=True)
class InboxEntry:
    """One item of the inbox with its answer, if any."""

    record: InboxRecord
    answer: Answer | None = None

    @property
    def state(self) -> AnswerState:
        return self.answer.state if self.answer else AnswerState.WAITING

    @property
    def waiting(self) -> bool:
        """Whether nothing answers it that is going out: no post, or only a draft."""
        return self.state in (AnswerState.WAITING, AnswerState.DRAFTED)

    @property
    def address(self) -> str:
        """Where it is: its URL, else the network's id (what `social reply` takes)."""
        return self.record.url or self.record.remote_id

    def age(self, now: datetime) -> timedelta:
        return max(now - self.record.at, timedelta(0))


_RANK = {AnswerState.PUBLISHED: 0, AnswerState.SCHEDULED: 1, AnswerState.DRAFTED: 2}


def inbox_entries(records: Iterable[InboxRecord], content: Content, ledger: Iterable[Entry]) -> list[InboxEntry]:
    """Every item with its best answer (published, else the earliest scheduled, else a draft), oldest first."""
    config = content.config
    published = {(entry.post, entry.channel): entry for entry in ledger if entry.part == 1}
    answers: dict[tuple[str, str], list[Answer]] = {}
    for post in content.usable_posts():
        if post.status == PostStatus.RETRACTED:
            continue
        for channel in post.channels:
            answer = _answer(post, published.get((post.id, channel)))
            if answer is None:
                continue
            for key, kind in ANSWERING_KEYS.items():
                target = post.engagement.get(key)
                if target:
                    answers.setdefault((channel, _identity(config, channel, target)), []).append(
                        replace(answer, kind=kind))
    entries = []
    for record in records:
        found = [answer for address in (record.url, record.remote_id) if address
                 for answer in answers.get((record.channel, _identity(config, record.channel, address)), ())]
        best = min(found, key=_preference, default=None)
        entries.append(InboxEntry(record, best))
    entries.sort(key=lambda entry: (entry.record.at, entry.record.channel, entry.record.remote_id))
    return entries


def mentions_by_channel(entries: Sequence[InboxEntry]) -> dict[str, list[Mention]]:
    """What max_unanswered checks: per channel, each item with the time its answer goes out."""
    found: dict[str, list[Mention]] = {}
    for entry in entries:
        answer = entry.answer
        going = answer is not None and answer.state in (AnswerState.PUBLISHED, AnswerState.SCHEDULED)
        found.setdefault(entry.record.channel, []).append(Mention(
            entry.address, entry.record.at, entry.record.author, entry.record.kind,
            answer.at if going else None, answer.post.id if going else None))
    return found


def _answer(post: Post, entry: Entry | None) -> Answer | None:
    if entry is not None and entry.state == PUBLISHED:
        return Answer(post, AnswerState.PUBLISHED, at=_parse(entry.at), url=entry.url)
    if entry is not None and entry.state in (MISSED, DELETED):
        return None  # it never went out, or was taken back
    if post.status == PostStatus.DRAFT:
        return Answer(post, AnswerState.DRAFTED)
    return Answer(post, AnswerState.SCHEDULED, at=post.publish_at)


def _preference(answer: Answer) -> tuple:
    return _RANK[answer.state], answer.at.timestamp() if answer.at else float("inf"), answer.post.id


def _identity(config: Config | None, channel: str, address: str) -> str:
    """How the channel's network writes `address` so that two addresses of one post are alike."""
    settings = config.channels.get(channel) if config else None
    try:
        network = network_class(settings.network) if settings else None
    except UnknownNetwork:
        network = None
    if network is None:
        return address.strip()
    return network.post_identity(address)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
