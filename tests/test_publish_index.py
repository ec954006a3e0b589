"""What a publish run keeps between runs (publish/index.py) never hides a due post.

A run with the records of earlier runs must choose the same post files, and find
nothing due exactly when a run without them does, whatever changed in between: edits,
renames, new times, new channels, ids, retractions, ledger lines, the clock. The
records themselves may be corrupt, copied from elsewhere or made up: then they are
not used.

The records trust a file's size, times and inode; a file changed within two seconds
before a run is not recorded by it, as the file system's clock may not show a second
change in the same tick. Tests cannot wait two seconds: where they record files just
written, they move the run's notion of "settled" ahead and give every change its own
modification time (`touch`).
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from datetime import timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content.workspace import Workspace
from pipeline.publish import index
from pipeline.publish.plan import make_plan
from pipeline.publish.select import LedgerFacts, select
from pipeline.publish.service import _select, publish
from pipeline.state.ledger import PARTS, Entry, Ledger
from pipeline.times import parse_now
from tests.conftest import ContentRepo
from tests.netreg import registered
from tests.test_publish import CHANNELS as MEMORY_CHANNELS
from tests.test_publish import ENV, MemoryNetwork, clock_at

BERLIN = ZoneInfo("Europe/Berlin")
CHANNELS = """\
timezone: Europe/Berlin
channels:
  a:
    network: outbox
  b:
    network: outbox
    max_lateness: 2h
"""
_TICKS = count(1)


def touch(path) -> None:
    """Give a change its own modification time, as a second change a while later would have."""
    moment = 1_700_000_000_000_000_000 + next(_TICKS) * 1_000_000_000
    os.utime(path, ns=(moment, moment))


@pytest.fixture
def settled_now(monkeypatch):
    """Every file counts as settled: the run records what it reads (see the module's docstring)."""
    monkeypatch.setattr(index, "STABLE_NS", -10**15)


def uncached(root, now):
    """The files a run reads, or None when it would find nothing due: looked at afresh."""
    workspace = Workspace(root)
    config = workspace.require_config()
    ledger = Ledger(root)
    facts = LedgerFacts.of(ledger)
    files = select(workspace.root, config, facts, now).files
    if not files and not facts.pending:
        assert make_plan(workspace.content_of(files), ledger, now).empty
        return None
    return files


def cached(root, now):
    workspace = Workspace(root)
    selection, _ = _select(workspace, workspace.require_config(), now, look_whole=False)
    return None if selection is None else selection.files


# -- random changes between runs -----------------------------------------------------

SLUGS = ["bread", "cake", "rye", "stollen"]
#: publish_at relative to the run's time, in minutes
OFFSETS = [-60 * 24 * 30, -60 * 5, -90, -1, 10, 60 * 30, 60 * 24 * 3]


def change():
    post = st.sampled_from(SLUGS)
    return st.one_of(
        st.tuples(st.just("write"), post, st.sampled_from(OFFSETS), st.sampled_from(["ready", "draft", "retracted"]),
                  st.sampled_from(["[a]", "[b]", "[a, b]"]), st.sampled_from([None, "x-id", "bread"]),
                  st.sampled_from(["plain", "offset", "unsure", "queued"]),
                  st.sampled_from(["Short.", "Longer text."])),
        st.tuples(st.just("rename"), post, st.sampled_from([*SLUGS, "moved"])),
        st.tuples(st.just("delete"), post),
        st.tuples(st.just("ledger"), st.sampled_from([*SLUGS, "x-id", "moved"]), st.sampled_from(["a", "b"]),
                  st.sampled_from([1, 2]), st.sampled_from(["published", "pending", "failed", "missed"]),
                  st.sampled_from([None, 1, 2])),
        st.tuples(st.just("wait"), st.sampled_from([1, 30, 60 * 3, 60 * 24 * 2])),
        st.tuples(st.just("publish")),
    )


class Calendar:
    def __init__(self, root, now):
        self.repo = ContentRepo(root)
        self.repo.write("content/channels.yml", CHANNELS)
        self.root = root.resolve()
        self.now = now

    def path(self, slug):
        return self.root / "content/posts" / f"{slug}.md"

    def apply(self, step) -> None:
        kind = step[0]
        if kind == "write":
            _, slug, offset, status, channels, post_id, style, body = step
            local = (self.now + timedelta(minutes=offset)).astimezone(BERLIN)
            when = {"plain": f"publish_at: {local:%Y-%m-%d %H:%M}",
                    "offset": f"publish_at: '{local.isoformat()}'",
                    "unsure": f'title: "two\n  lines"\npublish_at: {local:%Y-%m-%d %H:%M}',
                    "queued": "queue: true"}[style]
            lines = [when, f"status: {status}", f"channels: {channels}"] + ([f"id: {post_id}"] if post_id else [])
            path = self.path(slug)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("---\n" + "\n".join(lines) + "\n---\n" + body + "\n", encoding="utf-8")
            touch(path)
        elif kind == "rename":
            source, target = self.path(step[1]), self.path(step[2])
            if source.exists() and not target.exists():
                source.rename(target)
                touch(target)
        elif kind == "delete":
            self.path(step[1]).unlink(missing_ok=True)
        elif kind == "ledger":
            _, post, channel, part, state, parts = step
            ledger = Ledger(self.root)
            ledger.append(Entry(post, channel, part, state, self.now.isoformat(), key=f"k-{post}-{channel}-{part}",
                                remote_id="r" if state == "published" else None,
                                file=f"content/posts/{post}.md", data={PARTS: parts} if parts else {}))
            touch(ledger.path)
        elif kind == "wait":
            self.now += timedelta(minutes=step[1])
        else:
            publish(self.root, env={}, sleep=lambda s: None, clock=lambda: self.now)
            if (self.root / "state/ledger.jsonl").exists():
                touch(self.root / "state/ledger.jsonl")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(change(), min_size=1, max_size=12))
def test_a_run_with_the_records_chooses_what_a_run_without_them_chooses(tmp_path_factory, settled_now, steps):
    calendar = Calendar(tmp_path_factory.mktemp("repo"), parse_now("2026-12-01 12:00", BERLIN))
    for step in steps:
        calendar.apply(step)
        expected = uncached(calendar.root, calendar.now)
        assert cached(calendar.root, calendar.now) == expected, step
        assert cached(calendar.root, calendar.now) == expected, step  # from what the first kept


# -- each kind of due post, found by a run after one that found nothing to do -----------


@pytest.fixture
def site(tmp_path, settled_now):
    MemoryNetwork.store, MemoryNetwork.fail_next, MemoryNetwork.calls = {}, [], []
    repo = ContentRepo(tmp_path)
    repo.write("content/channels.yml", MEMORY_CHANNELS)
    with registered("memory", MemoryNetwork):
        yield repo


def run(site, now):
    return publish(site.root, now_text=now, env=ENV, sleep=lambda s: None, clock=clock_at(now))


def post(site, slug, front, body="Fresh bread today."):
    path = site.post(slug, front, body)
    touch(path)
    return path


def idle_recorded(site, now):
    """A run at `now` finds nothing due and records so."""
    report = run(site, now)
    assert report.result.outcomes == [] and report.ok
    assert (site.root / index.FOLDER / "idle.json").exists()


def sent(memory_calls):
    return [(call[1], call[2]) for call in memory_calls if call[0] == "publish"]


def test_a_post_that_comes_due_is_sent_by_the_first_run_after_its_time(site):
    post(site, "soon", "publish_at: 2026-12-01 12:30\nchannels: [remote]")
    idle_recorded(site, "2026-12-01 12:00")
    assert run(site, "2026-12-01 12:10").result.outcomes == []  # still before its time
    run(site, "2026-12-01 14:00")  # late, within max_lateness
    assert sent(MemoryNetwork.calls) == [("soon", 1)]


def test_a_missed_post_given_a_new_time_is_sent_then(site):
    post(site, "old", "publish_at: 2026-11-20 10:00\nchannels: [remote]")
    run(site, "2026-12-01 12:00")  # too late: recorded missed
    idle_recorded(site, "2026-12-01 12:05")
    path = post(site, "old", "publish_at: 2026-12-01 12:20\nchannels: [remote]")
    touch(path)
    run(site, "2026-12-01 12:30")
    assert sent(MemoryNetwork.calls) == [("old", 1)]


def test_an_edit_a_rename_a_new_channel_and_a_retraction_are_each_found(site):
    post(site, "out", "publish_at: 2026-11-01 10:00\nchannels: [remote]")
    Ledger(site.root).append(Entry("out", "remote", 1, "published", "2026-11-01T09:00:00Z", key="k", remote_id="k",
                                   file="content/posts/2026/12/out.md"))
    MemoryNetwork.store["k"] = {"text": "x"}
    idle_recorded(site, "2026-12-01 12:00")
    # a channel added later: the post goes out there
    post(site, "out", "publish_at: 2026-12-01 11:30\nchannels: [remote, notes]")
    report = run(site, "2026-12-01 12:05")
    assert [(o.post, o.channel) for o in report.result.outcomes] == [("out", "notes")]
    idle_recorded(site, "2026-12-01 12:10")
    # retracted: the copy online is deleted
    post(site, "out", "publish_at: 2026-12-01 11:30\nchannels: [remote, notes]\nstatus: retracted")
    run(site, "2026-12-01 12:15")
    assert "k" not in MemoryNetwork.store
    # a new post under a file renamed from a draft: found under its new name
    draft = post(site, "idea", "status: draft\npublish_at: 2026-12-01 12:00\nchannels: [remote]")
    idle_recorded(site, "2026-12-01 12:20")
    draft.write_text(draft.read_text().replace("status: draft\n", ""), encoding="utf-8")
    renamed = draft.with_name("launch.md")
    draft.rename(renamed)
    touch(renamed)
    run(site, "2026-12-01 12:25")
    assert ("launch", 1) in sent(MemoryNetwork.calls)


def test_a_thread_the_ledger_knows_in_part_is_finished(site):
    long_text = " ".join(["Fresh sourdough from the oven every morning."] * 15)
    post(site, "thread", "publish_at: 2026-11-01 10:00\nchannels: [remote]", body=long_text)
    idle_recorded(site, "2026-11-01 09:00")
    Ledger(site.root).append(Entry("thread", "remote", 1, "published", "2026-11-01T09:00:00Z", key="k1",
                                   remote_id="k1", data={PARTS: 2}))
    MemoryNetwork.store["k1"] = {"text": "x"}
    report = run(site, "2026-11-01 11:00")
    assert [(o.post, o.channel) for o in report.result.outcomes] == [("thread", "remote")]
    assert sent(MemoryNetwork.calls) == [("thread", 2)]


def test_an_id_changed_after_the_post_went_out_is_refused_not_sent_again(site):
    post(site, "out", "publish_at: 2026-11-01 10:00\nchannels: [remote]")
    Ledger(site.root).append(Entry("out", "remote", 1, "published", "2026-11-01T09:00:00Z", key="k", remote_id="k",
                                   file="content/posts/2026/12/out.md"))
    idle_recorded(site, "2026-12-01 12:00")
    post(site, "out", "id: renamed\npublish_at: 2026-11-01 10:00\nchannels: [remote]")
    report = run(site, "2026-12-01 12:05")
    assert not report.ok and sent(MemoryNetwork.calls) == []


def test_a_file_changed_just_before_a_run_is_not_recorded(repo):
    repo.write("content/channels.yml", CHANNELS)
    repo.post("fresh", "publish_at: 2026-12-09 10:00\nchannels: [a]")
    now = parse_now("2026-12-01 12:00", BERLIN)
    assert cached(repo.root, now) is None
    kept = repo.root / index.FOLDER
    assert not (kept / "idle.json").exists()
    assert not (kept / "posts.json").exists() or "fresh" not in (kept / "posts.json").read_text()


# -- records that are not this run's to trust ---------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "other-code", "wrong-types"])
def test_corrupt_or_foreign_records_are_ignored_and_written_anew(site, damage):
    path = post(site, "soon", "publish_at: 2026-12-09 10:00\nchannels: [remote]")
    Ledger(site.root).append(Entry("other", "remote", 1, "published", "2026-11-01T09:00:00Z", key="k", remote_id="k"))
    idle_recorded(site, "2026-12-01 12:00")
    folder = site.root / index.FOLDER
    for name in ("posts.json", "ledger.json", "idle.json"):
        record = json.loads((folder / name).read_text())
        if damage == "garbage":
            (folder / name).write_bytes(b"\xff{not json")
            continue
        if damage == "other-code":
            record["code"] = "0" * 32
        elif name == "posts.json":
            record["posts"] = {file: [stamp, ["ready", 5, None, None]] for file, (stamp, _) in record["posts"].items()}
        elif name == "ledger.json":
            record["facts"]["known"] = {"soon": "remote"}
        else:
            record["since"] = 1
        (folder / name).write_text(json.dumps(record))
    path.write_text(path.read_text().replace("2026-12-09 10:00", "2026-12-01 11:00"))
    touch(path)
    run(site, "2026-12-01 12:00")
    assert sent(MemoryNetwork.calls) == [("soon", 1)]
    assert json.loads((folder / "posts.json").read_text())["code"] == index.code_digest()


def test_records_copied_with_the_repository_match_no_file_of_the_copy(site, tmp_path):
    path = post(site, "soon", "publish_at: 2026-12-09 10:00\nchannels: [remote]")
    idle_recorded(site, "2026-12-01 12:00")
    copy = tmp_path / "copy"
    shutil.copytree(site.root, copy)  # the same sizes and modification times; other inodes
    copied = copy / path.relative_to(site.root)
    before = os.stat(copied)
    copied.write_text(copied.read_text().replace("2026-12-09", "2026-12-01"))  # due now, the same size
    os.utime(copied, ns=(before.st_atime_ns, before.st_mtime_ns))
    publish(copy, now_text="2026-12-01 12:00", env=ENV, sleep=lambda s: None, clock=clock_at("2026-12-01 12:00"))
    assert sent(MemoryNetwork.calls) == [("soon", 1)]


def test_a_post_file_listing_with_times_lists_what_the_plain_listing_lists(tmp_path):
    from pipeline.content.load import post_file_names, post_file_stats

    repo = ContentRepo(tmp_path)
    repo.post("a", "channels: [a]")
    repo.write("content/posts/2026/notes.txt", "not a post")
    (tmp_path / "content/posts/folder.md").mkdir()
    repo.write("content/posts/folder.md/inner.md", textwrap.dedent("---\nchannels: [a]\n---\nx\n"))
    os.symlink(tmp_path / "content/posts/2026", tmp_path / "content/posts/linked")
    os.symlink(tmp_path / "nowhere.md", tmp_path / "content/posts/broken.md")
    assert [name for name, _ in post_file_stats(tmp_path)] == post_file_names(tmp_path) == \
        sorted(post_file_names(tmp_path, []))
