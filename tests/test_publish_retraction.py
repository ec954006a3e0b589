"""Retracting a thread: the last part first, stopping at the first part that stays online.

Deleting a thread's root while a reply stays online would leave the reply standing
alone. So a failed delete stops the retraction of that post on that channel, is
recorded on the part (still `published`, marked as retracting), and the next run
goes on from there.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.networks.base import Capability
from pipeline.networks.delivery import DeliveryError
from pipeline.publish.result import NOT_STARTED
from pipeline.publish.service import publish
from pipeline.publish.status import Group, publishing_status
from pipeline.state.ledger import DELETED, FAILED, PUBLISHED, Ledger, read_entries
from tests.fakes.memory import CHANNELS, MemoryNetwork
from tests.netreg import registered

THREAD = "One.\n\n---\n\nTwo.\n\n---\n\nThree."
SENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def run(repo, at: datetime):
    return publish(repo.root, now_text=at.isoformat(), env={}, sleep=lambda s: None, clock=lambda: at)


def retract(path) -> None:
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))


def lines(repo) -> list:
    return read_entries(repo.root / "state/ledger.jsonl").entries


@pytest.fixture
def thread(repo, memory):
    path = repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]", body=THREAD)
    assert run(repo, SENT).ok
    assert memory.online() == [("t", 1), ("t", 2), ("t", 3)]
    retract(path)
    return path


def test_a_failed_delete_stops_the_retraction_and_the_earlier_parts_stay_online(repo, memory, thread):
    memory.refuse_delete = {("t", 2)}
    before = {e.part: e for e in Ledger(repo.root).latest()}
    report = run(repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))

    assert not report.ok
    assert memory.online() == [("t", 1), ("t", 2)]  # the thread is whole: root and first reply
    assert [c for c in memory.calls if c[0] == "delete"] == [("delete", "alpha", "t", 3), ("delete", "alpha", "t", 2)]
    assert [(o.part, o.state) for o in report.result.outcomes] == [(3, DELETED), (2, FAILED), (1, NOT_STARTED)]
    assert report.result.outcomes[1].error.startswith("delete failed: refused (403)")
    assert "part 2" in report.result.outcomes[2].error

    written = lines(repo)[len(before) * 2:]  # the run's own lines: one for part 3, one for part 2
    assert [(e.part, e.state) for e in written] == [(3, DELETED), (2, PUBLISHED)]
    failure = written[1]
    assert failure.error.startswith("delete failed: refused (403)")
    assert failure.data == {**before[2].data, "retracting": True}
    assert (failure.key, failure.remote_id, failure.url) == (before[2].key, before[2].remote_id, before[2].url)
    assert Ledger(repo.root).current("t", "alpha", 1) == before[1]  # nothing written for the root

    # The next run goes on from where this one stopped.
    memory.refuse_delete = set()
    again = run(repo, datetime(2026, 12, 2, 9, 15, tzinfo=UTC))
    assert again.ok
    assert [(o.part, o.state) for o in again.result.outcomes] == [(2, DELETED), (1, DELETED)]
    assert memory.online() == []
    assert run(repo, datetime(2026, 12, 2, 9, 30, tzinfo=UTC)).result.outcomes == []


@pytest.mark.parametrize("refused", [1, 3])
def test_whichever_part_fails_no_earlier_part_is_deleted_before_it(repo, memory, thread, refused):
    memory.refuse_delete = {("t", refused)}
    run(repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    online = memory.online()
    assert online == [("t", n) for n in range(1, refused + 1)]
    states = {e.part: e.state for e in Ledger(repo.root).latest()}
    assert states == {n: PUBLISHED if n <= refused else DELETED for n in (1, 2, 3)}


def test_a_bug_in_a_network_s_delete_also_stops_the_retraction(repo, memory, thread, monkeypatch):
    original = MemoryNetwork.delete

    def buggy(self, part):
        if part.number == 2:
            raise KeyError("uri")
        original(self, part)

    monkeypatch.setattr(MemoryNetwork, "delete", buggy)
    report = run(repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert memory.online() == [("t", 1), ("t", 2)]
    failure = Ledger(repo.root).current("t", "alpha", 2)
    assert failure.state == PUBLISHED and failure.data["retracting"] is True
    assert failure.error.startswith("delete failed: unexpected error: KeyError")
    assert [(o.part, o.state) for o in report.result.outcomes] == [(3, DELETED), (2, FAILED), (1, NOT_STARTED)]


class KeepingNetwork(MemoryNetwork):
    """A network that cannot delete (as Slack's incoming webhooks cannot)."""

    name = "keeping"
    title = "Keeping"
    capabilities = MemoryNetwork.capabilities - {Capability.DELETE}


def test_a_network_that_cannot_delete_is_told_once_not_on_every_run(repo, memory):
    repo.write("content/channels.yml", CHANNELS.replace("network: memory\n    template: mastodon.j2\n  beta",
                                                        "network: keeping\n    template: mastodon.j2\n  beta"))
    with registered("keeping", KeepingNetwork):
        path = repo.post("t", "publish_at: 2026-12-01 09:30\nchannels: [alpha]", body="One.\n\n---\n\nTwo.")
        assert run(repo, SENT).ok
        retract(path)
        report = run(repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
        assert [(o.part, o.state) for o in report.result.outcomes] == [(2, FAILED), (1, FAILED)]
        assert all(o.error.startswith("cannot delete: remove it by hand") and o.url for o in report.result.outcomes)
        marked = {e.part: e for e in Ledger(repo.root).latest()}
        assert {n: (e.state, e.data.get("retracting")) for n, e in marked.items()} == {
            1: (PUBLISHED, True), 2: (PUBLISHED, True)}
        count = len(lines(repo))

        later = run(repo, datetime(2026, 12, 2, 9, 15, tzinfo=UTC))
        assert later.ok and later.result.outcomes == []
        assert len(lines(repo)) == count
    assert not any(call[0] == "delete" for call in memory.calls)


@pytest.mark.parametrize("code", ["delete-refused", "post-unknown"])
def test_a_delete_the_network_refuses_for_good_is_told_once_not_on_every_run(repo, memory, thread, monkeypatch,
                                                                             code):
    """Telegram refuses to delete a message older than 48 hours; no id in the ledger names no post: no
    later run changes that. The part is marked once (a person deletes it by hand) and left alone after,
    not tried and written again every 15 minutes."""
    original = MemoryNetwork.delete

    def refusing(self, part):
        if part.number == 2:
            MemoryNetwork.calls.append(("delete", self.channel.id, part.post_id, part.number))
            raise DeliveryError("refused (400): message can't be deleted; delete it by hand", code=code)
        original(self, part)

    monkeypatch.setattr(MemoryNetwork, "delete", refusing)
    report = run(repo, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    assert [(o.part, o.state) for o in report.result.outcomes] == [(3, DELETED), (2, FAILED), (1, FAILED)]
    assert report.result.outcomes[1].error.startswith("cannot delete: remove it by hand (refused (400)")
    assert report.result.outcomes[2].error == ("cannot delete: remove it by hand (kept online until part 2 is "
                                               "deleted (a thread is deleted from its last part))")
    for number in (1, 2):  # status shows both as still online, for a person; none as "the next run deletes it"
        marked = Ledger(repo.root).current("t", "alpha", number)
        assert marked.retraction_failed and marked.error == report.result.outcomes[3 - number].error
    rows = {row.part: row for row in publishing_status(repo.root, clock=lambda: SENT.replace(day=5)).rows}
    assert {rows[n].group for n in (1, 2)} == {Group.RETRACTION_FAILED} and rows[1].needs_person
    count, deletes = len(lines(repo)), len([c for c in memory.calls if c[0] == "delete"])

    for minutes in (15, 30):
        later = run(repo, datetime(2026, 12, 4, 9, minutes, tzinfo=UTC))
        assert later.ok and later.result.outcomes == []
    assert len(lines(repo)) == count
    assert len([c for c in memory.calls if c[0] == "delete"]) == deletes
    assert memory.online() == [("t", 1), ("t", 2)]  # the thread stays whole below the part a person removes


def test_a_delete_that_fails_for_now_is_tried_again(repo, memory, thread):
    memory.refuse_delete = {("t", 2)}
    for minutes in (0, 15):
        report = run(repo, datetime(2026, 12, 2, 9, minutes, tzinfo=UTC))
        assert ("delete", "alpha", "t", 2) in memory.calls[-1:], report.result.outcomes
        assert report.result.outcomes[-2].error.startswith("delete failed: refused (403)")
