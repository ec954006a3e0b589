"""What a publish run reports: one outcome per part (or retraction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.state.ledger import FAILED, UNCERTAIN, LedgerState

#: the state a dry run reports for a part it wrote to outbox/ instead of sending
DRY_RUN = "dry-run"
#: a part this run did not start (it was stopped, or an earlier part must go first): nothing is
#: written to the ledger for it, and the next run does it
NOT_STARTED = "not-started"


@dataclass
class Outcome:
    """What happened to one part (or one retraction) in this run."""

    post: str
    channel: str
    part: int
    state: LedgerState | str  # a ledger state, DRY_RUN or NOT_STARTED
    url: str | None = None
    error: str | None = None


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    #: the run was asked to stop (a signal) before it was done
    stopped: bool = False

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def ok(self) -> bool:
        return not self.stopped and not any(o.state in (FAILED, UNCERTAIN, NOT_STARTED) for o in self.outcomes)


Progress = Callable[[Outcome], None]
