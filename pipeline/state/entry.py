"""One line of the ledger (`Entry`) and the states a part can be in (`LedgerState`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class LedgerState(StrEnum):
    """Where one part stands; what its lines mean together says (`pipeline.state.meaning`)."""

    PENDING = "pending"        # about to be sent: a later run reconciles, never re-sends blindly
    PUBLISHED = "published"
    FAILED = "failed"          # refused, or nothing reached the network: a later run tries again
    UNCERTAIN = "uncertain"    # may have gone out: waits for `social resolve`
    MISSED = "missed"          # later than max_lateness: never sent without a person
    DELETED = "deleted"        # retracted
    #: never written: how a line that names its part but cannot be used is read. Like
    #: `uncertain`, the part waits for a person (`social resolve`), so nothing is sent twice.
    UNREADABLE = "unreadable"


PENDING = LedgerState.PENDING
PUBLISHED = LedgerState.PUBLISHED
FAILED = LedgerState.FAILED
UNCERTAIN = LedgerState.UNCERTAIN
MISSED = LedgerState.MISSED
DELETED = LedgerState.DELETED
UNREADABLE = LedgerState.UNREADABLE
_STATES: dict[str, LedgerState] = {state.value: state for state in LedgerState}
#: the states a line may say; UNREADABLE is only ever read into
WRITTEN_STATES = frozenset(_STATES.values()) - {UNREADABLE}
#: states that settle a part for good: nothing more is sent for it
SETTLED = frozenset({PUBLISHED, MISSED, DELETED})
#: states that wait for a person's word (`social resolve`)
NEEDS_PERSON = frozenset({UNCERTAIN, UNREADABLE})
#: the data key by which a run's line about a part of a thread says how many parts the post has
#: on its channel, so that a run can tell a post the ledger knows in full from one it knows in part
PARTS = "parts"

#: characters JSON may hold raw that line-based tools (Python's splitlines, editors) break lines at
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


@dataclass(slots=True)
class Entry:
    """One line of the ledger (treat as read-only; not frozen because that makes reading 30,000
    lines markedly slower)."""

    post: str
    channel: str
    part: int
    state: LedgerState
    at: str
    key: str | None = None
    remote_id: str | None = None
    url: str | None = None
    error: str | None = None
    #: the post's file when this was written, so validation can catch a changed id
    file: str | None = None
    #: what a network needs later (Bluesky: uri and cid for replies); never secrets
    data: dict[str, Any] = field(default_factory=dict)
    #: a fingerprint of the post's text when this was written, so a moved file is still known
    digest: str | None = None
    #: the publish run that wrote it (a short random id), to tell racing runs apart; None in old ledgers
    run: str | None = None

    def __post_init__(self) -> None:
        state = _STATES.get(self.state)  # a dict lookup: 30,000 lines are read on every run
        if state is None:
            raise ValueError(f"unknown ledger state {self.state!r}")
        self.state = state

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.post, self.channel, self.part)

    @property
    def by_person(self) -> bool:
        """Whether a person wrote it (`social resolve`): a person's word settles the part."""
        return self.data.get("resolved_by") == "person"

    @property
    def retraction_failed(self) -> bool:
        """Whether it records a failed retraction: the part is still online."""
        return self.state == PUBLISHED and bool(self.data.get("retracting"))

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON data: every key, None where unset."""
        return asdict(self)

    def as_json(self) -> str:
        """The entry as one ledger line (no newline): unset keys left out, nothing that splits a line."""
        record = {k: v for k, v in asdict(self).items() if v not in (None, {})}
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS)
