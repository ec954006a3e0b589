"""A post the ledger knows only in part is never dropped when the next run comes too late.

A run reads in full only the posts that may be due (publish/select.py): long past posts
the ledger already knows are ruled out from the top of their text. But the ledger can know
a post in part only: a run stopped or killed after a thread's first part, a part that waited
for a person's word, a channel added to the post after it went out elsewhere. When the next
run comes later than `max_lateness` (an incident at GitHub, a person who answers the next
morning), the rest is too late to send: it must be recorded missed, so that the run's report,
the issue and `social status` say so, not left out of every later run without a word.
(Found by the year simulation, tests/test_year.py.)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.content.workspace import Workspace
from pipeline.publish.select import files_to_read
from pipeline.publish.service import publish, resolve
from pipeline.publish.status import Group, publishing_status
from pipeline.state.ledger import MISSED, PUBLISHED, Entry, Ledger

THREAD = "One.\n\n---\n\nTwo.\n\n---\n\nThree."
DUE = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # 09:30 in Berlin
LATER = DUE + timedelta(hours=8)  # past the default max_lateness (6 h)


def run(repo, at: datetime, stop: threading.Event | None = None):
    return publish(repo.root, env={}, sleep=lambda s: None, clock=lambda: at, stop=stop)


def states(repo, post: str = "t", channel: str = "alpha") -> dict[int, str]:
    return {n: e.state for n, e in Ledger(repo.root).parts(post, channel).items()}


def read_in_full(repo, at: datetime) -> list[str]:
    root = repo.root.resolve()
    return [name.rsplit("/", 1)[1][:-3] for name in files_to_read(root, Workspace(root).require_config(),
                                                                   Ledger(root), at)]


def test_the_rest_of_a_thread_a_stopped_run_left_is_missed_when_the_next_run_is_too_late(repo, memory):
    repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]", body=THREAD)
    stop = threading.Event()
    memory.on_publish = lambda request: stop.set()  # the run is cancelled while part 1 is in flight
    report = run(repo, DUE + timedelta(minutes=5), stop)
    memory.on_publish = None
    assert states(repo) == {1: PUBLISHED} and report.result.stopped

    later = run(repo, LATER)
    assert [(o.part, o.state) for o in later.result.outcomes] == [(2, MISSED), (3, MISSED)]
    assert states(repo) == {1: PUBLISHED, 2: MISSED, 3: MISSED}
    assert memory.online() == [("t", 1)]
    assert run(repo, LATER + timedelta(minutes=15)).result.outcomes == []
    assert "t" not in read_in_full(repo, LATER + timedelta(days=1))  # all settled: ruled out again


def test_the_rest_of_a_thread_is_missed_after_a_person_settles_its_first_part_too_late(repo, memory):
    repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]", body=THREAD)
    ledger = Ledger(repo.root)
    at = "2026-12-01T08:31:00Z"
    ledger.append(Entry("t", "alpha", 1, "pending", at, key="k1", file="content/posts/2026/12/t.md",
                        data={"parts": 3}))
    ledger.append(Entry("t", "alpha", 1, "uncertain", at, key="k1", error="no answer",
                        file="content/posts/2026/12/t.md"))
    resolve(repo.root, "t", "alpha", part=1, published_url="https://memory.example/k1", not_published=False,
            clock=lambda: LATER)
    rows = {row.part: row.group for row in publishing_status(repo.root, clock=lambda: LATER).rows}
    assert rows.get(2) not in (None, Group.PUBLISHED)  # `social status` lists them before the run
    report = run(repo, LATER + timedelta(minutes=10))
    assert [(o.part, o.state) for o in report.result.outcomes] == [(2, MISSED), (3, MISSED)]


def test_a_channel_added_after_the_post_went_out_elsewhere_is_missed_when_too_late(repo, memory):
    path = repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]")
    assert run(repo, DUE + timedelta(minutes=5)).ok
    path.write_text(path.read_text().replace("channels: [alpha]", "channels: [alpha, beta]"))
    report = run(repo, LATER)
    assert [(o.channel, o.part, o.state) for o in report.result.outcomes] == [("beta", 1, MISSED)]


@pytest.mark.parametrize("channels", ["channels: [alpha, beta]", "channels:\n  - alpha\n  - beta",
                                      "channels: [alpha, beta]  # both"])
def test_a_post_known_on_every_channel_and_part_is_ruled_out_from_its_top(repo, memory, channels):
    repo.post("t", f"publish_at: 2026-12-01 09:30\n{channels}", body=THREAD)
    assert run(repo, DUE + timedelta(minutes=5)).ok
    assert "t" not in read_in_full(repo, LATER)


@pytest.mark.parametrize("channels", ["channels: [alpha, 'beta']", "channels: [alpha,\n  beta]"])
def test_channels_the_top_of_the_text_does_not_settle_are_read_in_full(repo, memory, channels):
    repo.post("t", f"publish_at: 2026-12-01 09:30\n{channels}", body=THREAD)
    assert run(repo, DUE + timedelta(minutes=5)).ok
    assert "t" in read_in_full(repo, LATER)


class Killed(BaseException):
    """The runner dies: nothing after this point of the run happens."""


def test_a_run_killed_while_recording_a_thread_missed_leaves_the_rest_to_the_next_run(repo, memory, monkeypatch):
    repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]", body=THREAD)
    append, written = Ledger.append, []

    def dying(self, entry):
        if written:
            raise Killed()
        written.append(entry)
        return append(self, entry)

    monkeypatch.setattr(Ledger, "append", dying)
    with pytest.raises(Killed):
        run(repo, LATER)
    monkeypatch.setattr(Ledger, "append", append)
    assert states(repo) == {1: MISSED}
    report = run(repo, LATER + timedelta(minutes=30))
    assert [(o.part, o.state) for o in report.result.outcomes] == [(2, MISSED), (3, MISSED)]
