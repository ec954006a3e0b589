"""The local outbox: writes each rendered part as a JSON file instead of posting.

Useful as a channel of its own (a feed for a newsletter, a review folder) and as
what `social publish --dry-run` writes for every channel.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import AccountCheck, Capability, Network
from pipeline.networks.look import Layout, Look
from pipeline.networks.parts import PartRequest, Published, SentPart


class OutboxOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field("outbox", description="Folder (relative to the root) to write to")


def part_document(request: PartRequest, network: str, *, wire_text: str | None = None) -> dict:
    """The JSON written for one part: everything the network would be sent, no secrets; with
    `wire_text`, also the text as the network's request carries it."""
    wire = {} if wire_text is None else {"wire_text": wire_text}
    return {
        "post": request.post_id,
        "channel": request.channel_id,
        "network": network,
        "part": request.number,
        "parts": request.total,
        "key": request.key,
        "text": request.text,
        **wire,
        "title": request.title,
        "link": request.link,
        "language": request.language,
        "content_warning": request.content_warning,
        "engagement": dict(request.engagement),
        "media": [{"path": str(m.path.name), "alt": m.alt, "width": m.width, "height": m.height}
                  for m in request.media],
        "facets": [f.as_dict() for f in request.facets],
        "in_reply_to": request.parent.remote_id if request.parent else None,
    }


def written_for(request: PartRequest, network: type[Network]) -> dict:
    """What the outbox writes for a part sent as `network` (its own, or the real one of a dry run)."""
    return part_document(request, network.name, wire_text=network.wire_text(request.text))


def write_atomically(path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class OutboxNetwork(Network):
    name = "outbox"
    title = "Outbox (local files)"
    # a file can hold anything; nobody reads it back or answers it, so there is nothing to count or collect
    capabilities = frozenset(Capability) - {Capability.METRICS, Capability.INBOX}
    inbox_note = "nobody answers an outbox"
    max_length = 100_000
    max_images = 10
    Options: ClassVar[type[BaseModel]] = OutboxOptions
    docs = "publishing.md#the-outbox"
    look = Look(layout=Layout.DATA, marks=frozenset(), link_card=False)

    #: the network each document is written for: the channel's own for a dry run of another network
    writes_as: type[Network] | None = None

    @classmethod
    def dry_run(cls, channel, network: type[Network], **kwargs) -> OutboxNetwork:
        """An outbox standing in for `channel`'s real network: what a dry run writes instead of sending."""
        outbox = cls(channel, **kwargs)
        outbox.options = OutboxOptions()
        outbox.writes_as = network
        return outbox

    def check_account(self) -> AccountCheck:
        return AccountCheck(account=f"files in {self.options.directory}/{self.channel.id}/")

    def check_ready(self) -> None:
        """Nothing to sign in to, and a dry run must not ask for the real network's credentials."""

    def _path(self, post_id: str, number: int):
        return self.root / self.options.directory / self.channel.id / f"{post_id}.{number}.json"

    def publish(self, request: PartRequest) -> Published:
        path = self._path(request.post_id, request.number)
        write_atomically(path, written_for(request, self.writes_as or type(self)))
        return Published(remote_id=f"{request.post_id}.{request.number}",
                         url=path.relative_to(self.root).as_posix())

    @classmethod
    def document(cls, request: PartRequest) -> dict:
        return written_for(request, cls)

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        path = self._path(request.post_id, request.number)
        if path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("key") == request.key:
            return Published(remote_id=f"{request.post_id}.{request.number}",
                             url=path.relative_to(self.root).as_posix())
        return None

    def delete(self, part: SentPart) -> None:
        self._path(part.post_id, part.number).unlink(missing_ok=True)
