"""The publish engine with the outbox and an in-process network: due rules, ledger, threads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import UsageError
from pipeline.networks.base import Capability, Network
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.parts import Published
from pipeline.publish.service import publish, resolve
from pipeline.publish.summary import report_text
from pipeline.state.ledger import Entry, Ledger, read_entries
from pipeline.times import parse_now
from tests.netreg import registered

CHANNELS = """\
timezone: Europe/Berlin
channels:
  notes:
    network: outbox
  remote:
    network: memory
    credentials: {token: MEMORY_TOKEN}
    template: mastodon.j2
"""


class MemoryNetwork(Network):
    """A network that keeps posts in a class-level dict, keyed like Bluesky's record keys."""

    name = "memory"
    max_length = 500
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.REPLY, Capability.LIKE,
                              Capability.DELETE, Capability.RECONCILE})
    required_credentials = ("token",)
    store: ClassVar[dict] = {}
    fail_next: ClassVar[list] = []
    calls: ClassVar[list] = []

    def publish(self, request):
        MemoryNetwork.calls.append(("publish", request.post_id, request.number, request.key))
        if MemoryNetwork.fail_next:
            kind = MemoryNetwork.fail_next.pop(0)
            if kind == "refused":
                raise DeliveryError("refused (422): nope")
            if kind == "after":
                self._store(request)
                raise DeliveryError("no answer after sending", ambiguous=True)
            if kind == "rate":
                raise DeliveryError("rate limited for 900 s", retry_later=True, status=429)
        return self._store(request)

    def _store(self, request):
        if request.key in MemoryNetwork.store:
            raise DeliveryError("duplicate record key", ambiguous=True)
        parent = request.parent.remote_id if request.parent else None
        MemoryNetwork.store[request.key] = {"text": request.text, "parent": parent,
                                            "post": request.post_id, "part": request.number,
                                            "link": request.link}
        return Published(remote_id=request.key, url=f"https://memory.example/{request.key}")

    def reconcile(self, request, sent_at):
        found = MemoryNetwork.store.get(request.key)
        return Published(request.key, f"https://memory.example/{request.key}") if found else None

    def delete(self, part):
        MemoryNetwork.store.pop(part.remote_id, None)


@pytest.fixture
def memory():
    MemoryNetwork.store = {}
    MemoryNetwork.fail_next = []
    MemoryNetwork.calls = []
    with registered("memory", MemoryNetwork):
        yield MemoryNetwork


@pytest.fixture
def site(repo, memory):
    repo.write("content/channels.yml", CHANNELS)
    return repo


ENV = {"MEMORY_TOKEN": "tok-123456"}


def clock_at(now):
    """The clock of a run at `now` (Berlin time): a real run happens at the real time."""
    moment = parse_now(now, ZoneInfo("Europe/Berlin"))
    return lambda: moment


def run(site, now="2026-12-01 12:00", **kwargs):
    return publish(site.root, now_text=now, env=ENV, sleep=lambda s: None, clock=clock_at(now), **kwargs)


def states(site):
    ledger = Ledger(site.root)
    return {(e.post, e.channel, e.part): e.state for e in ledger.latest()}


def test_due_posts_go_out_once_on_every_channel_and_a_rerun_sends_nothing(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [notes, remote]", body="Hello.")
    site.post("later", "publish_at: 2026-12-01 13:00\nchannels: [remote]", body="Not yet.")
    report = run(site)
    assert report.ok
    assert states(site) == {("a", "notes", 1): "published", ("a", "remote", 1): "published"}
    assert json.loads((site.root / "outbox/notes/a.1.json").read_text())["text"] == "Hello."
    assert len(memory.store) == 1
    again = run(site)
    assert again.result.outcomes == []
    assert len(memory.calls) == 1


def test_each_part_is_pending_then_published_in_the_ledger(site, memory):
    site.post("t", "publish_at: 2026-12-01 10:00\nchannels: [remote]", body="One.\n\n---\n\nTwo.")
    run(site)
    lines = read_entries(site.root / "state/ledger.jsonl").entries
    assert [(e.part, e.state) for e in lines] == [(1, "pending"), (1, "published"), (2, "pending"),
                                                  (2, "published")]
    assert lines[0].key == lines[1].key and lines[1].file == "content/posts/2026/12/t.md"
    parts = sorted(memory.store.values(), key=lambda p: p["part"])
    assert parts[1]["parent"] == lines[1].remote_id  # the thread replies to its first part


def test_a_late_run_catches_up_but_never_sends_what_is_too_late(site, memory):
    site.post("fresh", "publish_at: 2026-12-01 07:00\nchannels: [remote]")
    site.post("stale", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    report = run(site, now="2026-12-01 12:00")
    assert states(site) == {("fresh", "remote", 1): "published", ("stale", "remote", 1): "missed"}
    assert [o.state for o in report.result.outcomes if o.post == "stale"] == ["missed"]
    assert run(site, now="2026-12-02 12:00").result.outcomes == []  # reported once


def run_at(site, local: str, **kwargs):
    """A run at local Berlin time `local`, the clock and --now agreeing."""
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    return publish(site.root, now_text=local, env=ENV, sleep=lambda s: None, clock=lambda: moment, **kwargs)


def test_a_missed_post_given_a_new_time_goes_out_then(site, memory):
    post = site.post("stale", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    run_at(site, "2026-12-01 12:00")
    assert states(site) == {("stale", "remote", 1): "missed"}
    post.write_text(post.read_text().replace("2026-11-30 09:00", "2026-12-01 15:00"))
    assert run_at(site, "2026-12-01 14:00").result.outcomes == []  # not yet
    report = run_at(site, "2026-12-01 15:05")
    assert [(o.post, o.state) for o in report.result.outcomes] == [("stale", "published")]
    assert len(memory.store) == 1
    # An earlier time that is still in the past is no new time: it stays missed.
    late = site.post("late", "publish_at: 2026-11-29 09:00\nchannels: [remote]")
    run_at(site, "2026-12-01 16:00")
    late.write_text(late.read_text().replace("2026-11-29 09:00", "2026-11-30 09:00"))
    assert run_at(site, "2026-12-01 16:15").result.outcomes == []
    assert states(site)[("late", "remote", 1)] == "missed"


def test_a_person_can_send_a_missed_part_on_purpose(site, memory):
    site.post("stale", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    run_at(site, "2026-12-01 12:00")
    with pytest.raises(UsageError, match="nothing missed for other"):
        resolve(site.root, "other", "remote", part=None, published_url=None, not_published=False,
                send_late=True)
    sent = CliRunner().invoke(cli, ["resolve", "stale", "--channel", "remote", "--send", "--root", str(site.root)])
    assert sent.exit_code == 0, sent.output
    report = run_at(site, "2026-12-01 12:15")
    assert [(o.post, o.state) for o in report.result.outcomes] == [("stale", "published")]
    assert run_at(site, "2026-12-01 12:30").result.outcomes == []  # once


def test_a_pending_part_whose_post_is_gone_needs_a_person(site, memory):
    from pipeline.state.ledger import Entry

    Ledger(site.root).append(Entry("gone", "remote", 1, "pending", "2026-12-01T10:00:00Z", key="k9",
                                   file="content/posts/2026/12/gone.md"))
    report = run_at(site, "2026-12-01 12:00")
    assert [(o.post, o.state) for o in report.result.outcomes] == [("gone", "uncertain")]
    assert "its post is gone" in report.result.outcomes[0].error and not report.ok
    assert states(site) == {("gone", "remote", 1): "uncertain"}
    resolve(site.root, "gone", "remote", part=1, published_url=None, not_published=True)
    assert run_at(site, "2026-12-01 12:15").result.outcomes == []  # settled, and nothing to send


def test_refused_part_fails_and_the_next_run_tries_again(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    memory.fail_next = ["refused"]
    report = run(site)
    assert not report.ok and states(site)[("a", "remote", 1)] == "failed"
    assert run(site).ok
    assert states(site)[("a", "remote", 1)] == "published"
    assert len(memory.store) == 1


def test_a_part_that_failed_until_it_was_too_late_is_recorded_missed(site, memory):
    """Not left `failed` for ever (as if the next run still tried): the first run too late says missed."""
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    memory.fail_next = ["refused"]
    run(site)
    assert states(site)[("a", "remote", 1)] == "failed"
    for now in ("2026-12-02 12:00", "2026-12-09 12:00"):  # within the day's margin, and long after
        report = run(site, now=now)
        assert [(o.post, o.state) for o in report.result.outcomes] == [("a", "missed")]
        assert states(site)[("a", "remote", 1)] == "missed"
        Ledger(site.root).append(Entry("a", "remote", 1, "failed", "2026-12-01T09:30:00Z", error="refused"))
    assert len(memory.store) == 0


def test_ambiguous_failure_is_reconciled_not_resent(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    memory.fail_next = ["after"]
    assert run(site).ok
    assert len(memory.store) == 1
    assert [c[0] for c in memory.calls] == ["publish"]


def test_pending_found_at_startup_is_reconciled(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    ledger = Ledger(site.root)
    from pipeline.state.ledger import Entry

    ledger.append(Entry("a", "remote", 1, "pending", "2026-12-01T10:00:00Z", key="k1"))
    memory.store["k1"] = {"text": "x", "parent": None, "post": "a", "part": 1}
    assert run(site).ok
    assert states(site)[("a", "remote", 1)] == "published"
    assert memory.calls == []  # found, not sent again


def test_rate_limit_stops_the_channel_not_the_others(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote, notes]")
    site.post("b", "publish_at: 2026-12-01 10:30\nchannels: [remote]")
    memory.fail_next = ["rate"]
    report = run(site)
    assert not report.ok
    assert states(site)[("a", "notes", 1)] == "published"
    assert ("b", "remote", 1) not in states(site)
    assert len(memory.calls) == 1


def test_missing_credential_fails_that_channel_only(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote, notes]")
    report = publish(site.root, now_text="2026-12-01 12:00", env={}, sleep=lambda s: None,
                     clock=clock_at("2026-12-01 12:00"))
    failed = [o for o in report.result.outcomes if o.state == "failed"]
    assert [(o.channel, o.error) for o in failed] == [
        ("remote", "environment variable MEMORY_TOKEN is not set (credentials.token of channel 'remote')")]
    assert states(site) == {("a", "notes", 1): "published", ("a", "remote", 1): "failed"}


def test_a_channel_that_fails_before_sending_records_why_for_each_part_once(site, memory):
    """`social status` reads the ledger: a missing credential must be there, with its reason."""
    site.post("t", "publish_at: 2026-12-01 10:00\nchannels: [remote]", body="One.\n\n---\n\nTwo.")
    site.post("p", "publish_at: 2026-12-01 09:00\nchannels: [remote]")
    Ledger(site.root).append(Entry("p", "remote", 1, "pending", "2026-12-01T08:00:01Z", key="k-p"))

    def without_token(now):
        return publish(site.root, now_text=now, env={}, sleep=lambda s: None, clock=clock_at(now))

    without_token("2026-12-01 12:00")
    lines = read_entries(site.root / "state/ledger.jsonl").entries
    why = "environment variable MEMORY_TOKEN is not set (credentials.token of channel 'remote')"
    assert [(e.post, e.part, e.state, e.error) for e in lines[1:]] == [("t", 1, "failed", why),
                                                                    ("t", 2, "failed", why)]
    assert states(site)[("p", "remote", 1)] == "pending"  # it may be out: only the network can say
    without_token("2026-12-01 12:15")
    assert len(read_entries(site.root / "state/ledger.jsonl").entries) == 3  # the same reason, not again
    assert run(site, now="2026-12-01 12:30").ok
    assert states(site)[("t", "remote", 2)] == "published"


def test_a_part_asked_to_go_out_late_stays_asked_when_its_channel_fails_before_sending(site, memory):
    site.post("a", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    run(site)
    assert states(site)[("a", "remote", 1)] == "missed"
    resolve(site.root, "a", "remote", part=None, published_url=None, not_published=False, send_late=True,
            clock=clock_at("2026-12-01 12:00"))
    publish(site.root, now_text="2026-12-01 12:10", env={}, sleep=lambda s: None, clock=clock_at("2026-12-01 12:10"))
    assert "MEMORY_TOKEN" in Ledger(site.root).current("a", "remote", 1).error
    assert run(site, now="2026-12-01 12:20").ok
    assert states(site)[("a", "remote", 1)] == "published"


def test_every_row_of_the_report_names_its_part(site, memory):
    """A channel that fails before sending, a channel waiting on a rate limit, a part waiting for a person
    and a post that cannot be read: each row names its part ("all" where the parts are unknown)."""
    site.post("thread", "publish_at: 2026-12-01 10:00\nchannels: [remote]", body="One.\n\n---\n\nTwo.")
    site.post("single", "publish_at: 2026-12-01 10:30\nchannels: [remote]")
    site.post("broken", "publish_at: 2026-12-01 10:45\nchannels: [notes]\nmedia:\n  - path: media/none.jpg\n"
                        "    alt: nothing")
    Ledger(site.root).append(Entry("waits", "notes", 2, "uncertain", "2026-12-01T09:00:00Z", error="timeout"))
    site.post("waits", "publish_at: 2026-12-01 09:00\nchannels: [notes]", body="One.\n\n---\n\nTwo.")
    report = publish(site.root, now_text="2026-12-01 12:00", env={}, sleep=lambda s: None,
                     clock=clock_at("2026-12-01 12:00"))
    rows = {(o.post, o.channel, o.part, o.state) for o in report.result.outcomes}
    assert rows >= {("thread", "remote", 1, "failed"), ("thread", "remote", 2, "failed"),
                    ("single", "remote", 1, "failed"), ("waits", "notes", 2, "uncertain"),
                    ("broken", "notes", 0, "failed")}
    table = report_text(report).splitlines()
    assert not [row for row in table[3:-2] if row.split()[2] not in ("1", "2", "all")], table
    memory.fail_next = ["rate"]
    site.post("later", "publish_at: 2026-12-01 11:00\nchannels: [remote]", body="Three.\n\n---\n\nFour.")
    waiting = run(site)
    assert {(o.post, o.part) for o in waiting.result.outcomes if "rate limited" in (o.error or "")} >= {
        ("single", 1), ("later", 1), ("later", 2)}


def test_renaming_a_published_post_file_does_not_publish_it_again(site, memory):
    path = site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    run(site)
    path.rename(path.with_name("renamed.md"))
    (path.with_name("renamed.md")).write_text(path.with_name("renamed.md").read_text().replace(
        "publish_at", "id: a\npublish_at"))
    assert run(site).result.outcomes == []
    assert len(memory.store) == 1


def test_retraction_deletes_what_was_published(site, memory):
    path = site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote, notes]", body="One.\n---\nTwo.")
    run(site)
    assert len(memory.store) == 2
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))
    assert run(site, now="2026-12-03 12:00").ok
    assert memory.store == {}
    assert not (site.root / "outbox/notes/a.1.json").exists()
    assert set(states(site).values()) == {"deleted"}


def test_uncertain_waits_for_a_person_and_resolve_settles_it(site, memory, monkeypatch):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")

    def unsure(self, request, pending):
        from pipeline.networks.base import Uncertain

        raise Uncertain("cannot tell")

    memory.fail_next = ["after"]
    original = memory.reconcile
    monkeypatch.setattr(memory, "reconcile", unsure)
    report = run(site)
    monkeypatch.setattr(memory, "reconcile", original)
    assert not report.ok and states(site)[("a", "remote", 1)] == "uncertain"
    assert [o.state for o in run(site).result.outcomes] == ["uncertain"]  # never resent
    resolve(site.root, "a", "remote", part=None, published_url="https://memory.example/k", not_published=False)
    assert states(site)[("a", "remote", 1)] == "published"
    assert run(site).result.outcomes == []
    assert len(memory.store) == 1


def test_dry_run_writes_outbox_files_for_every_channel_and_no_ledger(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote, notes]\nlink: https://x.example/a")
    report = run(site, dry_run=True)
    assert {o.state for o in report.result.outcomes} == {"dry-run"}
    document = json.loads((site.root / "outbox/remote/a.1.json").read_text())
    assert document["text"].startswith("Fresh bread today.")
    assert "utm_source=remote" in document["text"]
    assert not (site.root / "state/ledger.jsonl").exists()
    assert memory.calls == []


def test_a_dry_run_writes_exactly_what_the_real_run_sends(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]\nlink: https://x.example/a\n"
                   "overrides:\n  remote:\n    link: https://x.example/for-remote", body="One.\n\n---\n\nTwo.")
    run(site, dry_run=True)
    written = [json.loads((site.root / f"outbox/remote/a.{n}.json").read_text()) for n in (1, 2)]
    assert run(site).ok
    sent = sorted(memory.store.values(), key=lambda part: part["part"])
    assert [(d["text"], d["link"]) for d in written] == [(p["text"], p["link"]) for p in sent]
    assert written[0]["link"] == "https://x.example/for-remote"  # the channel's own link, as sent
    assert written[1]["in_reply_to"] == "a.1"  # threaded like the real run, to the dry run's own part 1


def test_cli_publish_status_and_job_summary(site, memory, tmp_path, monkeypatch):
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")  # a real run: real time
    site.post("a", f"publish_at: {due}\nchannels: [notes]")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(cli, ["publish", "--root", str(site.root)])
    assert result.exit_code == 0, result.output
    assert "1 published" in result.output
    assert "| notes | a | 1 | ✓ published |" in summary.read_text()
    status = CliRunner().invoke(cli, ["status", "--root", str(site.root)])
    assert "published (1)" in status.output and "outbox/notes/a.1.json" in status.output
    as_json = CliRunner().invoke(cli, ["status", "--root", str(site.root), "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    [entry] = json.loads(as_json.output)["entries"]
    assert (entry["post"], entry["channel"], entry["part"], entry["state"]) == ("a", "notes", 1, "published")


def test_two_publishers_on_one_ledger_never_both_send(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    ledger = Ledger(site.root)
    from pipeline.state.ledger import LedgerBusy

    with ledger.locked(), pytest.raises(LedgerBusy):
        run(site)
    assert memory.calls == []


def test_torn_last_line_is_ignored_with_a_warning_and_healed(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    state = site.root / "state"
    state.mkdir()
    good = '{"post":"z","channel":"remote","part":1,"state":"published","at":"2026-11-01T00:00:00Z"}\n'
    (state / "ledger.jsonl").write_text(good + '{"post":"a","chan')
    report = run(site)
    assert any("last line" in w for w in report.ledger_warnings)
    reading = read_entries(state / "ledger.jsonl")
    assert [e.post for e in reading.entries] == ["z", "a", "a"]
    assert len(reading.warnings) == 1  # the torn piece stays, on its own line, ignored


def test_publish_time_is_utc_in_the_ledger(site, memory):
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    run(site)
    at = read_entries(site.root / "state/ledger.jsonl").entries[-1].at
    assert at == "2026-12-01T11:00:00Z"
    assert datetime.fromisoformat(at.replace("Z", "+00:00")) - datetime(2026, 12, 1, tzinfo=UTC) == \
        timedelta(hours=11)


def test_a_part_left_pending_is_settled_even_when_it_is_now_too_late(site, memory):
    from pipeline.state.ledger import Entry

    site.post("a", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    ledger = Ledger(site.root)
    ledger.append(Entry("a", "remote", 1, "pending", "2026-11-30T08:00:00Z", key="k1"))
    memory.store["k1"] = {"text": "x", "parent": None, "post": "a", "part": 1}
    run(site, now="2026-12-01 12:00")  # a day late: the pending part is still looked up
    assert states(site)[("a", "remote", 1)] == "published"
    site.post("b", "publish_at: 2026-11-30 09:00\nchannels: [remote]")
    ledger = Ledger(site.root)
    ledger.append(Entry("b", "remote", 1, "pending", "2026-11-30T08:00:00Z", key="k2"))
    run(site, now="2026-12-01 12:00")  # not on the network and too late: missed, not sent
    assert states(site)[("b", "remote", 1)] == "missed"
    assert memory.calls == []


def test_validate_catches_a_changed_id_of_a_published_post(site, memory):
    from pipeline.content.workspace import Workspace
    from pipeline.validation import validate_workspace

    path = site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    run(site)
    path.write_text(path.read_text().replace("publish_at", "id: new-name\npublish_at"))
    report = validate_workspace(Workspace(site.root), checks=("content", "ledger"))
    assert [(f.code, f.line) for f in report.errors] == [("id-changed", 2)]
    assert "set id: a" in report.errors[0].message


def test_job_summary_stays_small_for_a_huge_run():
    from pipeline.publish.result import Outcome, RunResult
    from pipeline.publish.service import PublishReport
    from pipeline.publish.summary import report_markdown

    outcomes = [Outcome(f"post-{i:05d}", "mastodon", 1, "missed", error="x" * 1000) for i in range(20_000)]
    outcomes.append(Outcome("bad", "bluesky", 1, "failed", error="refused"))
    report = PublishReport(now=datetime(2026, 12, 1, tzinfo=UTC), zone=UTC, dry_run=False,
                           result=RunResult(outcomes))
    text = report_markdown(report)
    assert len(text.encode()) < 1024 * 1024
    assert "| bluesky | bad | 1 | ✗ failed | `refused` |" in text
    assert "and 18001 more rows" in text


def test_only_files_that_may_be_due_are_read_in_full(site, memory):
    from pipeline.content.workspace import Workspace
    from pipeline.publish.select import files_to_read
    from pipeline.state.ledger import Entry

    site.post("future", "publish_at: 2026-12-09 10:00\nchannels: [remote]")
    site.post("tomorrow", "publish_at: 2026-12-02 10:00\nchannels: [remote]")  # within the margin: parsed
    site.post("due", "publish_at: 2026-12-01 11:00\nchannels: [remote]")
    site.post("offset", "publish_at: 2026-12-01 10:00+00:00\nchannels: [remote]")
    site.post("old-known", "publish_at: 2026-11-01 10:00\nchannels: [remote]", month="2026/11")
    site.post("old-new", "publish_at: '2026-11-01 10:00'\nchannels: [remote]", month="2026/11")
    site.post("old-pending", "publish_at: 2026-11-02 10:00\nchannels: [remote]", month="2026/11")
    site.post("idea", "status: draft\nchannels: [remote]")
    site.post("queued", "queue: true\nchannels: [remote]")
    site.post("gone", "status: retracted\npublish_at: 2026-11-03 10:00\nchannels: [remote]", month="2026/11")
    ledger = Ledger(site.root)
    for post, state in (("old-known", "published"), ("old-pending", "pending"), ("gone", "published")):
        ledger.append(Entry(post, "remote", 1, state, "2026-11-01T09:00:00Z", key="k"))
    root = site.root.resolve()
    now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    chosen = files_to_read(root, Workspace(root).require_config(), Ledger(root), now)
    assert sorted(name.rsplit("/", 1)[1][:-3] for name in chosen) == [
        "due", "gone", "offset", "old-new", "old-pending"]


class Killed(BaseException):
    """The process dies inside the network's publish, after a step it recorded."""


def test_progress_a_network_recorded_is_handed_to_every_later_attempt(site, memory, monkeypatch):
    # Threads records the container it created; a run killed after that, and another killed
    # again before recording anything new, must still leave the container to the third run.
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    seen: list[dict] = []

    def publish(self, request):
        seen.append(dict(request.progress))
        if not request.progress:
            request.record_progress({"container": "c-1"})
        if len(seen) < 3:
            raise Killed()
        return Published("r-1", "https://memory.example/r-1")

    monkeypatch.setattr(MemoryNetwork, "publish", publish)
    for _ in range(2):
        with pytest.raises(Killed):
            run(site)
    assert run(site).ok
    assert seen == [{}, {"container": "c-1"}, {"container": "c-1"}]
    assert states(site)[("a", "remote", 1)] == "published"
