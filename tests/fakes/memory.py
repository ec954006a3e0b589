"""A network that keeps its posts in memory, for tests of the runner's life cycle.

Threads, deletion and reconciliation like a real network, without HTTP. A test
steers it through the class attributes: `refuse_delete` makes deleting the named
parts fail, `on_publish` runs a hook inside each publish (to set a stop flag, fill
the disk, or wait for the test) before the part is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pipeline.networks.base import Capability, Network
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.parts import PartRequest, Published, SentPart

CHANNELS = """\
timezone: Europe/Berlin
channels:
  alpha:
    network: memory
    template: mastodon.j2
  beta:
    network: memory
    template: mastodon.j2
"""


class MemoryNetwork(Network):
    name = "memory"
    max_length = 500
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.DELETE,
                              Capability.RECONCILE})
    #: key -> {"channel", "post", "part", "text", "parent"}: what is online
    store: ClassVar[dict[str, dict]] = {}
    #: every call, in order: ("publish" | "delete", channel, post, part)
    calls: ClassVar[list[tuple]] = []
    #: (post, part) whose delete the network refuses
    refuse_delete: ClassVar[set[tuple[str, int]]] = set()
    on_publish: ClassVar[Callable[[PartRequest], None] | None] = None

    @classmethod
    def reset(cls) -> None:
        cls.store, cls.calls, cls.refuse_delete, cls.on_publish = {}, [], set(), None

    def publish(self, request: PartRequest) -> Published:
        MemoryNetwork.calls.append(("publish", self.channel.id, request.post_id, request.number))
        if MemoryNetwork.on_publish:
            MemoryNetwork.on_publish(request)
        if request.key in MemoryNetwork.store:
            raise DeliveryError("duplicate key", ambiguous=True)
        MemoryNetwork.store[request.key] = {
            "channel": self.channel.id, "post": request.post_id, "part": request.number, "text": request.text,
            "parent": request.parent.remote_id if request.parent else None}
        return Published(request.key, f"https://memory.example/{request.key}", {"cid": f"c-{request.key}"})

    def reconcile(self, request: PartRequest, sent_at) -> Published | None:
        if request.key in MemoryNetwork.store:
            return Published(request.key, f"https://memory.example/{request.key}", {"cid": f"c-{request.key}"})
        return None

    def delete(self, part: SentPart) -> None:
        MemoryNetwork.calls.append(("delete", self.channel.id, part.post_id, part.number))
        if (part.post_id, part.number) in MemoryNetwork.refuse_delete:
            raise DeliveryError("refused (403): not your post")
        MemoryNetwork.store.pop(part.remote_id, None)

    @classmethod
    def online(cls, channel: str | None = None) -> list[tuple[str, int]]:
        """(post, part) of what is online, on one channel or all."""
        return sorted((p["post"], p["part"]) for p in cls.store.values()
                      if channel is None or p["channel"] == channel)
