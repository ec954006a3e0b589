"""When posts really went out, from the ledger: the times cadence counts them at."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def published_times(root: Path) -> dict[tuple[str, str], datetime]:
    """(post id, channel id) -> when its first part was published (UTC); empty without a ledger.

    Only parts whose current state is `published` count: a retracted (deleted)
    post no longer does.
    """
    from pipeline.publish.ledger import LEDGER_FILE, PUBLISHED, STATE_DIR, read_entries

    current = {}
    for entry in read_entries(Path(root) / STATE_DIR / LEDGER_FILE).entries:
        current[entry.slot] = entry
    times: dict[tuple[str, str], datetime] = {}
    for (post, channel, _), entry in current.items():
        if entry.state != PUBLISHED:
            continue
        try:
            at = datetime.fromisoformat(entry.at).astimezone(UTC)
        except (TypeError, ValueError):
            continue
        key = (post, channel)
        times[key] = min(times.get(key, at), at)
    return times
