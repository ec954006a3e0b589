"""A part's state by what its lines mean, not by which came last: races, duplicates, retractions."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.publish.failures import failure_report
from pipeline.publish.service import resolve
from pipeline.state.ledger import DELETED, FAILED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger, MemoryLedger


def at(minute: int) -> str:
    return f"2026-12-01T10:{minute:02d}:00Z"


def line(state: str, minute: int, run: str | None, *, part: int = 1, post: str = "a", **more) -> Entry:
    return Entry(post, "mastodon", part, state, at(minute), run=run, **more)


def published(minute: int, run: str | None, remote_id: str, **more) -> Entry:
    return line(PUBLISHED, minute, run, remote_id=remote_id, url=f"https://mastodon.example/@us/{remote_id}",
                **more)


#: runner A publishes; runner B, started from an older ledger, then fails on the server's duplicate check
RUN_A = [line(PENDING, 0, "run-a", key="ka"), published(1, "run-a", "111", key="ka")]
RUN_B = [line(PENDING, 2, "run-b", key="kb"), line(FAILED, 3, "run-b", key="kb", error="refused (422): duplicate")]


def write(root: Path, entries: list[Entry]) -> Path:
    path = root / "state" / "ledger.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(e.as_json() + "\n" for e in entries), encoding="utf-8")
    return path


def interleavings(a: list, b: list):
    """Every order of a's and b's lines that keeps each run's own lines in order (what a union can give)."""
    for places in itertools.combinations(range(len(a) + len(b)), len(a)):
        merged, ai, bi = [], iter(a), iter(b)
        for index in range(len(a) + len(b)):
            merged.append(next(ai) if index in places else next(bi))
        yield merged


@pytest.mark.parametrize("order", list(interleavings(RUN_A, RUN_B)))
def test_a_racing_runs_failure_never_undoes_a_publication_in_any_order(order):
    ledger = MemoryLedger(order)
    current = ledger.current("a", "mastodon", 1)
    assert (current.state, current.remote_id) == (PUBLISHED, "111")


@pytest.mark.parametrize("later", [PENDING, FAILED, UNCERTAIN, "missed"])
def test_a_later_line_from_a_racing_run_is_kept_as_a_conflict(later):
    ledger = MemoryLedger([*RUN_A, line(PENDING, 2, "run-b", key="kb"), line(later, 3, "run-b", key="kb")])
    assert ledger.current("a", "mastodon", 1).state == PUBLISHED
    [conflict] = ledger.conflicts
    assert conflict.kind == "two-runs" and conflict.slot == ("a", "mastodon", 1)
    assert [e.state for e in conflict.ignored] == [PENDING, later]
    assert conflict.needs_person == (later in (PENDING, UNCERTAIN))
    assert "https://mastodon.example/@us/111" in conflict.message()


def test_the_race_is_found_when_the_lines_come_in_the_other_order_too():
    ledger = MemoryLedger([*RUN_B, *RUN_A])  # B pushed first: its lines are older in the file, newer in time
    assert ledger.current("a", "mastodon", 1).state == PUBLISHED
    [conflict] = ledger.conflicts
    assert conflict.kind == "two-runs" and [e.run for e in conflict.ignored] == ["run-b", "run-b"]


def test_an_ordinary_retry_in_a_later_run_is_no_conflict():
    ledger = MemoryLedger([line(PENDING, 0, "r1", key="k"), line(FAILED, 1, "r1", key="k"),
                           line(PENDING, 30, "r2", key="k2"), published(31, "r2", "5")])
    assert ledger.current("a", "mastodon", 1).state == PUBLISHED and ledger.conflicts == []


@pytest.mark.parametrize("order", list(interleavings(RUN_A, [line(PENDING, 2, "run-b", key="kb"),
                                                             published(3, "run-b", "222", key="kb")])))
def test_two_publications_of_one_part_are_a_duplicate_in_any_order(order):
    ledger = MemoryLedger(order)
    assert ledger.current("a", "mastodon", 1).state == PUBLISHED
    [conflict] = ledger.conflicts
    assert conflict.kind == "duplicate" and conflict.needs_person
    assert sorted(e.remote_id for e in conflict.kept) == ["111", "222"]
    message = conflict.message()
    assert "posted twice" in message and "@us/111" in message and "@us/222" in message
    assert "delete one by hand" in message and "social resolve a --channel mastodon --part 1 --published" in message


def test_the_same_copy_recorded_twice_is_no_duplicate():
    ledger = MemoryLedger([*RUN_A, published(5, "run-c", "111")])  # e.g. both runs reconciled the same post
    assert ledger.conflicts == []


def test_a_deletion_after_publication_still_wins():
    ledger = MemoryLedger([*RUN_A, line(DELETED, 9, "run-c", remote_id="111")])
    assert ledger.current("a", "mastodon", 1).state == DELETED and ledger.conflicts == []


def test_deleting_one_copy_of_a_duplicate_leaves_the_other_published():
    ledger = MemoryLedger([*RUN_A, published(3, "run-b", "222"), line(DELETED, 9, "run-c", remote_id="111")])
    current = ledger.current("a", "mastodon", 1)
    assert (current.state, current.remote_id) == (PUBLISHED, "222") and ledger.conflicts == []


def test_the_ledger_updates_its_meaning_as_lines_are_appended(tmp_path):
    ledger = Ledger(tmp_path)
    for entry in RUN_A:
        ledger.append(entry)
    ledger.append(published(3, "run-b", "222"))
    assert [c.kind for c in ledger.conflicts] == ["duplicate"]
    assert [c.kind for c in Ledger(tmp_path).conflicts] == ["duplicate"]


# -- what a person sees and does ---------------------------------------------------------------


def test_status_shows_a_duplicate_and_a_race_with_what_to_do(repo):
    write(repo.root, [*RUN_A, published(3, "run-b", "222"),
                      *[line(s, m, r, post="b", **k) for s, m, r, k in (
                          (PENDING, 0, "run-a", {}), (PUBLISHED, 1, "run-a", {"remote_id": "7", "url": "https://m/7"}),
                          (PENDING, 2, "run-b", {}), (UNCERTAIN, 3, "run-b", {"error": "timeout"}))]])
    result = CliRunner().invoke(cli, ["status", "--root", str(repo.root)])
    assert result.exit_code == 1, result.output  # both copies are online: a person deletes one
    text = result.output
    assert "posted twice (1)" in text and "handled by two runs (1)" in text
    assert "https://mastodon.example/@us/111 and https://mastodon.example/@us/222" in text
    assert "delete one by hand, then" in text
    assert text.index("posted twice") < text.index("published (")
    assert "\nuncertain (" not in text  # b stays published: the racing run's uncertain line is a conflict
    data = json.loads(CliRunner().invoke(cli, ["status", "--root", str(repo.root), "--format", "json"]).output)
    kinds = {(c["post"], c["kind"]) for c in data["conflicts"]}
    assert kinds == {("a", "duplicate"), ("b", "two-runs")}
    duplicate = next(c for c in data["conflicts"] if c["kind"] == "duplicate")
    assert sorted(duplicate["urls"]) == ["https://mastodon.example/@us/111", "https://mastodon.example/@us/222"]
    assert duplicate["needs_person"] is True


def test_resolve_settles_a_duplicate_once_a_copy_is_deleted_by_hand(repo):
    write(repo.root, [*RUN_A, published(3, "run-b", "222")])
    resolve(repo.root, "a", "mastodon", part=1, published_url="https://mastodon.example/@us/222",
            not_published=False)
    ledger = Ledger(repo.root)
    assert ledger.conflicts == [] and ledger.current("a", "mastodon", 1).remote_id == "222"


def test_resolve_refuses_a_part_that_needs_nothing(repo):
    write(repo.root, RUN_A)
    result = CliRunner().invoke(cli, ["resolve", "a", "--root", str(repo.root), "--channel", "mastodon",
                                      "--published", "https://x/1"])
    assert result.exit_code == 2 and "nothing to resolve" in result.output


def test_the_failure_issue_lists_what_the_ledger_needs_a_person_for(repo, tmp_path):
    write(repo.root, [*RUN_A, published(3, "run-b", "222"),
                      Entry("u", "mastodon", 1, PENDING, at(0)),
                      published(1, "r", "9", post="r", part=1),
                      published(1, "r", "10", post="r", part=2),
                      published(5, "r2", "10", post="r", part=2, error="delete failed: 500 server error",
                                data={"retracting": True})])
    path = repo.root / "state" / "ledger.jsonl"
    path.write_text(path.read_text() + json.dumps({"post": "u", "channel": "mastodon", "part": 1,
                                                   "state": "Published", "at": at(2)}) + "\n")
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": True, "outcomes": []}))
    found = failure_report(report, root=repo.root)
    assert not found.all_well
    body = found.markdown()
    assert "### Unreadable (1)" in body and 'unknown state "Published"' in body and "git log -p" in body
    assert "### Posted twice (1)" in body and "us/111 and https://mastodon.example/@us/222" in body
    assert "### Retraction failed (1)" in body and "delete failed: 500 server error" in body
    result = CliRunner().invoke(cli, ["failures", str(report), "--root", str(repo.root)])
    assert result.exit_code == 1 and "### Posted twice (1)" in result.output


def test_the_failure_issue_says_when_the_ledger_itself_is_damaged(repo, tmp_path):
    (repo.root / "state").mkdir()
    (repo.root / "state" / "ledger.jsonl").write_text("junk\n")
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": True, "outcomes": []}))
    result = CliRunner().invoke(cli, ["failures", str(report), "--root", str(repo.root)])
    assert result.exit_code == 1 and "ledger.jsonl:1" in result.output and "git log -p" in result.output


def test_a_race_that_sent_nothing_is_shown_but_needs_no_issue(repo, tmp_path):
    write(repo.root, [*RUN_A, *RUN_B])
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": True, "outcomes": []}))
    assert failure_report(report, root=repo.root).all_well
    text = CliRunner().invoke(cli, ["status", "--root", str(repo.root)]).output
    assert "handled by two runs (1)" in text and "nothing to do (run run-b sent nothing)" in text


# -- a retraction that failed part way ------------------------------------------------------------


def test_a_part_whose_retraction_failed_is_shown_as_still_online(repo):
    write(repo.root, [published(0, "r1", "1", part=1), published(0, "r1", "2", part=2),
                      line(DELETED, 5, "r2", part=2, remote_id="2"),
                      published(6, "r2", "1", part=1, error="delete failed: 503 unavailable",
                                data={"retracting": True})])
    text = CliRunner().invoke(cli, ["status", "--root", str(repo.root)]).output
    assert "still online: retraction failed (delete failed: 503 unavailable)" in text
    assert "published (" not in text  # not plain published
    data = json.loads(CliRunner().invoke(cli, ["status", "--root", str(repo.root), "--format", "json"]).output)
    by_part = {e["part"]: e for e in data["entries"]}
    assert by_part[1]["retraction"] == {"state": "failed", "reason": "delete failed: 503 unavailable"}
    assert by_part[1]["state"] == "published" and by_part[2]["retraction"] is None
    ledger = Ledger(repo.root)
    assert ledger.conflicts == []  # the same copy, still online: no duplicate


def test_a_retraction_that_succeeds_later_ends_as_deleted(repo):
    write(repo.root, [published(0, "r1", "1"), published(6, "r2", "1", error="delete failed: 503",
                                                          data={"retracting": True}),
                      line(DELETED, 20, "r3", remote_id="1")])
    assert Ledger(repo.root).current("a", "mastodon", 1).state == DELETED
    assert "still online" not in CliRunner().invoke(cli, ["status", "--root", str(repo.root)]).output


# -- any two racing attempts, merged in any order -------------------------------------------------

#: how an attempt can end: a state after its `pending` (None: the run stopped right after it)
ENDINGS = [PUBLISHED, FAILED, UNCERTAIN, "missed", None]
#: before a publication, how much each ending says may have gone out
RANK = {PUBLISHED: 3, UNCERTAIN: 2, None: 1, FAILED: 0, "missed": 0}


def attempt(run: str, ending: str | None, minutes: tuple[int, int]) -> list[Entry]:
    lines = [line(PENDING, minutes[0], run, key=f"key-{run}")]
    if ending == PUBLISHED:
        lines.append(published(minutes[1], run, f"id-{run}", key=f"key-{run}"))
    elif ending:
        lines.append(line(ending, minutes[1], run, key=f"key-{run}", error="x"))
    return lines


@pytest.mark.parametrize("ending_a, ending_b", list(itertools.product(ENDINGS, repeat=2)))
@pytest.mark.parametrize("times", [((0, 1), (2, 3)), ((0, 3), (1, 2)), ((2, 3), (0, 1))],
                         ids=["A then B", "B inside A", "B then A"])
def test_two_racing_attempts_mean_the_same_in_every_merge_order(ending_a, ending_b, times):
    a, b = attempt("run-a", ending_a, times[0]), attempt("run-b", ending_b, times[1])
    expected = {RANK[ending_a], RANK[ending_b]}
    for order in interleavings(a, b):
        ledger = MemoryLedger(order)
        current = ledger.current("a", "mastodon", 1)
        state = {PUBLISHED: 3, UNCERTAIN: 2, PENDING: 1, FAILED: 0, "missed": 0}[current.state]
        assert state == max(expected), order
        kinds = sorted(c.kind for c in ledger.conflicts)
        if ending_a == ending_b == PUBLISHED:
            assert kinds == ["duplicate"], order
        elif PUBLISHED in (ending_a, ending_b):
            other = ending_b if ending_a == PUBLISHED else ending_a
            if other in (UNCERTAIN, None):  # it may have posted a second copy: always reported
                assert kinds == ["two-runs"] and ledger.conflicts[0].needs_person, order
            else:
                assert all(not c.needs_person for c in ledger.conflicts), order
        else:
            assert kinds == [], order


def test_runs_that_share_a_key_but_raced_never_hide_an_attempt_that_may_have_gone_out():
    # Keys derive from the channel, post and part: two racing runs send under the same key.
    racing = [line(PENDING, 30, "r1", key="k"), line(UNCERTAIN, 31, "r1", key="k"),
              line(PENDING, 30, "r2", key="k"), line(FAILED, 31, "r2", key="k", error="refused")]
    for order in interleavings(racing[:2], racing[2:]):
        assert MemoryLedger(order).current("a", "mastodon", 1).state == UNCERTAIN, order


def test_a_run_that_took_the_pending_part_over_settles_it():
    taken = [line(PENDING, 10, "r1", key="k"),
             line(PENDING, 30, "r2", key="k", data={"takes_over": "r1"}),
             line(FAILED, 31, "r2", key="k", error="refused")]
    assert MemoryLedger(taken).current("a", "mastodon", 1).state == FAILED


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_the_parts_of_a_post_stay_what_its_lines_mean_as_lines_are_appended(tmp_path, kind):
    """`parts` answers from an index (a run asks for thousands of posts): it must follow every append,
    races and retractions included."""
    states = [PENDING, PUBLISHED, FAILED, UNCERTAIN, DELETED]
    lines = [Entry(f"p{n % 3}", ("alpha", "beta")[n % 2], 1 + n % 2, states[(n * 7) % 5], f"2026-12-01T{n:02d}:00:00Z",
                   key=f"k{n % 4}", remote_id=str(n % 3), run=f"r{n % 3}") for n in range(24)]
    ledger = Ledger(tmp_path) if kind == "file" else MemoryLedger()
    for entry in lines:
        ledger.parts("p0", "alpha")  # the index is built early, then kept up to date
        ledger.append(entry)
        for post, channel in itertools.product(("p0", "p1", "p2", "p3"), ("alpha", "beta")):
            scanned = {e.part: e for e in ledger.latest() if (e.post, e.channel) == (post, channel)}
            assert ledger.parts(post, channel) == scanned


@pytest.mark.parametrize("a_first", [True, False])
def test_a_thread_posted_twice_says_which_copy_of_its_first_part_the_rest_answers(a_first):
    """Two racing runs each posted part 1; only run B went on to part 2, a reply to B's copy. Deleting
    B's copy of part 1 would leave part 2 answering nothing: the advice names the copy to keep."""
    run_a = [line(PENDING, 0, "run-a", key="k1"), published(1, "run-a", "111", key="k1"),
             line(PENDING, 1, "run-a", key="k2", part=2)]
    run_b = [line(PENDING, 2, "run-b", key="k1"), published(3, "run-b", "222", key="k1"),
             line(PENDING, 3, "run-b", key="k2", part=2), published(4, "run-b", "333", key="k2", part=2)]
    ledger = MemoryLedger(run_a + run_b if a_first else run_b + run_a)
    [duplicate] = [c for c in ledger.conflicts if c.kind == "duplicate"]
    assert duplicate.keep is not None and duplicate.keep.remote_id == "222"
    assert ("keep https://mastodon.example/@us/222 (part 2 of the thread kept answers it) and delete the other "
            "by hand" in duplicate.message())
    assert duplicate.message().endswith("--published https://mastodon.example/@us/222")


@pytest.mark.parametrize("a_first", [True, False])
def test_a_whole_thread_posted_twice_keeps_one_run_s_copy_of_every_part(a_first):
    """Both racing runs posted both parts: keeping run A's part 1 and run B's part 2 would leave B's part 2
    answering a deleted post. The advice keeps one run's thread, part by part."""
    run_a = [line(PENDING, 0, "run-a", key="k1"), published(1, "run-a", "111", key="k1"),
             line(PENDING, 1, "run-a", key="k2", part=2), published(2, "run-a", "112", key="k2", part=2)]
    run_b = [line(PENDING, 2, "run-b", key="k1"), published(3, "run-b", "221", key="k1"),
             line(PENDING, 3, "run-b", key="k2", part=2), published(4, "run-b", "222", key="k2", part=2)]
    ledger = MemoryLedger(run_a + run_b if a_first else run_b + run_a)
    kept = {c.part: c.keep for c in ledger.conflicts if c.kind == "duplicate"}
    assert {part: entry.run for part, entry in kept.items()} in ({1: "run-a", 2: "run-a"}, {1: "run-b", 2: "run-b"})
    second = next(c for c in ledger.conflicts if c.part == 2)
    assert f"keep {kept[2].url} (it answers part 1 of the thread kept)" in second.message()


def test_a_single_post_posted_twice_leaves_the_choice_of_copy_to_the_person():
    [duplicate] = MemoryLedger([*RUN_A, line(PENDING, 2, "run-b", key="kb"), published(3, "run-b", "222")]).conflicts
    assert duplicate.keep is None and "delete one by hand" in duplicate.message()
