"""The ledger file itself: strict reading, writing that fails cleanly, line splitting, entries as data."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.errors import PipelineError
from pipeline.publish.service import resolve
from pipeline.state.ledger import (
    PUBLISHED,
    UNREADABLE,
    Entry,
    Ledger,
    LedgerDamaged,
    LedgerReadError,
    LedgerState,
    LedgerWriteError,
    read_entries,
)
from pipeline.state.reading import TORN_MARK
from tests.test_publish import memory, run, site, states  # noqa: F401 - the publish fixtures

AT = "2026-12-01T10:00:00Z"


def record(post: str = "a", state: str = "published", part: int = 1, **more) -> dict:
    return {"post": post, "channel": "mastodon", "part": part, "state": state, "at": AT, **more}


def jsonl(*records: dict | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def write_ledger(root: Path, text: str | bytes) -> Path:
    path = root / "state" / "ledger.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def status(root: Path, *args: str):
    return CliRunner().invoke(cli, ["status", "--root", str(root), *args])


# -- a complete line that names its part but cannot be used: the part needs a person -----------

UNUSABLE = {
    "an unknown state": (record(state="Published"), 'unknown state "Published"'),
    "a state that is no text": (record(state=["published"]), "unknown state"),
    "an unknown key": (record(colour="red"), "unknown key 'colour'"),
    "the part as text": (record(part="1"), "'part'"),
    "a number as remote id": (record(remote_id=1133), "'remote_id'"),
    "data that is not an object": (record(data=["x"]), "'data'"),
    "no state": ({k: v for k, v in record().items() if k != "state"}, "no 'state'"),
    "no time": ({k: v for k, v in record().items() if k != "at"}, "no 'at'"),
    "a time that is no time": (record(at="yesterday"), "'at'"),
    "a run id that is a number": (record(run=7), "'run'"),
    "the state no run ever writes": (record(state="unreadable"), "never written"),
}


@pytest.mark.parametrize("bad, what", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_an_unusable_line_makes_its_part_unreadable_not_an_earlier_state(tmp_path, bad, what):
    path = write_ledger(tmp_path, jsonl(record(state="pending", key="k1"), record(state="failed", key="k1"),
                                        bad, record("b")))
    reading = read_entries(path)
    assert reading.warnings == []
    assert [e.state for e in reading.entries] == ["pending", "failed", UNREADABLE, PUBLISHED]
    unreadable = reading.entries[2]
    assert unreadable.slot == ("a", "mastodon", 1)
    assert unreadable.error.startswith("line 3: ") and what in unreadable.error
    ledger = Ledger(tmp_path)
    assert ledger.current("a", "mastodon", 1).state == UNREADABLE  # not "failed": a run could send it again
    assert ledger.current("b", "mastodon", 1).state == PUBLISHED


def test_a_part_numbered_zero_is_read_as_that_part_unreadable(tmp_path):
    path = write_ledger(tmp_path, jsonl(record(part=0)))
    [entry] = read_entries(path).entries
    assert (entry.part, entry.state) == (0, UNREADABLE) and "'part' must be a whole number from 1" in entry.error


def test_an_unusable_line_a_later_line_settles_is_a_warning(tmp_path):
    write_ledger(tmp_path, jsonl(record(state="Pending", key="k"), record(key="k")))
    ledger = Ledger(tmp_path)
    assert ledger.current("a", "mastodon", 1).state == PUBLISHED and ledger.conflicts == []
    [warning] = ledger.warnings
    assert 'line 1: unknown state "Pending"' in warning and "git log -p" in warning


def test_bytes_that_are_not_utf8_make_their_part_unreadable(tmp_path):
    line = json.dumps(record(error="caf\u00e9"), ensure_ascii=False).encode().replace(b"\xc3\xa9", b"\xe9")
    path = write_ledger(tmp_path, jsonl(record(state="pending")).encode() + line + b"\n")
    [_, entry] = read_entries(path).entries
    assert entry.state == UNREADABLE and "line 2" in entry.error and "UTF-8" in entry.error


DAMAGE = {
    "text": "this is not JSON",
    "a merge conflict marker": "<<<<<<< HEAD",
    "a list": "[1, 2]",
    "a string": '"published"',
    "an empty object": "{}",
    "no part": json.dumps({"post": "a", "channel": "mastodon", "state": "published", "at": AT}),
    "no channel": json.dumps({"post": "a", "part": 1, "state": "published", "at": AT}),
    "a number as post": json.dumps(record(post=5)),
    "a part that is true": json.dumps(record(part=True)),
    "a line cut short": '{"post":"a","channel":"mastodon","part":1,"sta',
}


@pytest.mark.parametrize("bad", DAMAGE.values(), ids=DAMAGE.keys())
@pytest.mark.parametrize("where", ["middle", "last line, ended by a newline"])
def test_a_line_that_names_no_part_anywhere_but_a_torn_end_is_damage(tmp_path, bad, where):
    lines = [record("a"), bad, record("b")] if where == "middle" else [record("a"), record("b"), bad]
    number = 2 if where == "middle" else 3
    path = write_ledger(tmp_path, jsonl(*lines))
    with pytest.raises(LedgerDamaged) as raised:
        read_entries(path)
    error = raised.value
    assert error.exit_code == 2 and error.line == number and error.file == str(path)
    assert f"{path}:{number}: " in str(error)
    assert "git log -p" in str(error) and "state" in str(error)
    result = status(tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "nothing has been published" not in result.output
    assert f"ledger.jsonl:{number}" in result.output


def test_a_line_cut_short_mid_file_says_how_to_mark_it_as_torn(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a"), '{"post":"b","channel":"mas', record("c")))
    with pytest.raises(LedgerDamaged, match="cut short") as raised:
        read_entries(path)
    assert "# torn write, ignored" in str(raised.value)
    path.write_text(jsonl(record("a"), '{"post":"b","channel":"mas' + TORN_MARK, record("c")))
    reading = read_entries(path)
    assert [e.post for e in reading.entries] == ["a", "c"] and "line 2" in reading.warnings[0]


def test_every_damaged_line_is_named_at_once(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a"), "junk", record("b"), "more junk", record("c")))
    with pytest.raises(LedgerDamaged) as raised:
        read_entries(path)
    assert raised.value.line == 2 and "line 4" in str(raised.value)


@pytest.mark.parametrize("torn", ['{"post":"a","chan', "{", '{"post":"a","channel":"mastodon","part":1,"state":"pub',
                                  "junk"])
def test_a_torn_last_line_without_newline_is_skipped_with_a_warning(tmp_path, torn):
    path = write_ledger(tmp_path, jsonl(record("a")) + torn)
    reading = read_entries(path)
    assert [e.post for e in reading.entries] == ["a"]
    assert len(reading.warnings) == 1 and "last line" in reading.warnings[0]


def test_a_torn_line_healed_by_the_next_append_stays_a_warning_not_damage(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a")) + '{"post":"b","channel":"mastodon","part":1,"sta')
    ledger = Ledger(tmp_path)
    ledger.append(Entry("b", "mastodon", 1, PUBLISHED, AT))
    ledger.append(Entry("c", "mastodon", 1, PUBLISHED, AT))
    reading = read_entries(path)
    assert [e.post for e in reading.entries] == ["a", "b", "c"]
    assert len(reading.warnings) == 1 and "line 2" in reading.warnings[0]
    assert path.read_text().count("\n") == 4


def test_a_complete_last_line_without_newline_is_read_and_ended_before_the_next(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a")) + json.dumps(record("b")))
    ledger = Ledger(tmp_path)
    assert [e.post for e in ledger.entries] == ["a", "b"] and ledger.warnings == []
    ledger.append(Entry("c", "mastodon", 1, PUBLISHED, AT))
    reading = read_entries(path)
    assert [e.post for e in reading.entries] == ["a", "b", "c"] and reading.warnings == []


def test_blank_lines_are_fine(tmp_path):
    path = write_ledger(tmp_path, "\n" + jsonl(record("a")) + "  \n\n" + jsonl(record("b")))
    assert [e.post for e in read_entries(path).entries] == ["a", "b"]


def test_a_ledger_that_is_a_folder_is_an_error_not_an_empty_ledger(tmp_path):
    (tmp_path / "state" / "ledger.jsonl").mkdir(parents=True)
    with pytest.raises(LedgerReadError, match="not a file"):
        Ledger(tmp_path)
    result = status(tmp_path)
    assert result.exit_code == 2 and "nothing has been published" not in result.output
    assert "ledger.jsonl" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_ledger_that_cannot_be_read_is_an_error(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a")))
    path.chmod(0)
    try:
        result = status(tmp_path)
    finally:
        path.chmod(0o644)
    assert result.exit_code == 2 and "nothing has been published" not in result.output
    assert "ledger.jsonl" in result.output and "ermission" in result.output


def test_a_ledger_the_system_refuses_to_read_is_an_error(tmp_path, monkeypatch):
    write_ledger(tmp_path, jsonl(record("a")))

    def refuse(self):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = status(tmp_path)
    assert result.exit_code == 2 and "nothing has been published" not in result.output
    assert "ledger.jsonl: cannot be read (Permission denied)" in result.output


def test_no_ledger_at_all_is_an_empty_ledger(tmp_path):
    result = status(tmp_path)
    assert result.exit_code == 0 and "nothing has been published yet" in result.output


def test_status_lists_an_unreadable_part_first_with_the_fix(repo):
    write_ledger(repo.root, jsonl(record("old", state="failed", error="refused"), record("a", state="Published"),
                                  record("b", state="uncertain", error="timeout")))
    result = status(repo.root)
    assert result.exit_code == 1, result.output  # the unreadable and the uncertain part need a person
    first, *_ = result.output.split("\n\n")
    assert first.startswith("unreadable (1)")
    assert "a part 1" in first and "line 2: unknown state \"Published\"" in first
    assert "git log -p" in first and "social resolve a --channel mastodon --part 1" in first
    assert result.output.index("unreadable (1)") < result.output.index("uncertain (1)")
    data = json.loads(status(repo.root, "--format", "json").output)
    assert {e["post"]: e["state"] for e in data["entries"]} == {"old": "failed", "a": "unreadable",
                                                                "b": "uncertain"}


@pytest.mark.parametrize("how", ["published", "not-published"])
def test_resolve_settles_an_unreadable_part(repo, how):
    write_ledger(repo.root, jsonl(record("a", state="pending", key="k1"), record("a", state="Published")))
    written = resolve(repo.root, "a", "mastodon", part=None, not_published=how == "not-published",
                      published_url="https://mastodon.example/@us/99" if how == "published" else None)
    assert [e.state for e in written] == (["published"] if how == "published" else ["failed"])
    assert Ledger(repo.root).current("a", "mastodon", 1).state == written[0].state
    result = CliRunner().invoke(cli, ["resolve", "a", "--root", str(repo.root), "--channel", "mastodon",
                                      "--not-published"])
    assert result.exit_code == 2 and "nothing to resolve" in result.output


# -- fast and strict read the same ----------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from("ab\u2028\x85é"), max_size=3)
_VALUE = st.one_of(st.none(), _TEXT, st.integers(-1, 3), st.booleans(), st.floats(allow_nan=False),
                   st.lists(st.integers(), max_size=1), st.dictionaries(_TEXT, st.integers(), max_size=1))
_FIELD = {
    "state": st.one_of(st.sampled_from([s.value for s in LedgerState] + ["Published"]), _VALUE),
    "at": st.one_of(st.just(AT), st.just("2026-12-01 10:00+01:00"), st.just("2026-12-01T10:00:00"), _VALUE),
    "part": st.one_of(st.integers(0, 3), _VALUE),
}


@st.composite
def records(draw) -> dict:
    result = {"post": "a", "channel": "mastodon", "part": 1, "state": "published", "at": AT}
    for name in draw(st.lists(st.sampled_from(["part", "state", "at", "key", "remote_id", "url", "error", "file",
                                               "data", "run", "extra"]), max_size=3, unique=True)):
        result[name] = draw(_FIELD.get(name, _VALUE))
    for name in draw(st.lists(st.sampled_from(["state", "at"]), max_size=1)):
        result.pop(name, None)
    return result


@settings(max_examples=300, deadline=None)
@given(st.lists(records(), min_size=1, max_size=4))
def test_the_whole_file_fast_path_reads_exactly_as_line_by_line(lines):
    from pipeline.state.reading import parse_lines, parse_text

    def read(parse, text: str) -> object:
        try:
            reading = parse(text.encode(), "ledger.jsonl")
        except LedgerDamaged as error:
            return str(error)
        return [e.as_dict() for e in reading.entries], reading.warnings, reading.ending

    text = jsonl(*lines)
    assert read(parse_text, text) == read(parse_lines, text)
    healed = jsonl(lines[0]) + '{"post":"a","chan' + TORN_MARK + "\n" + jsonl(*lines[1:])
    assert read(parse_text, healed) == read(parse_lines, healed)


# -- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_a_full_disk_while_appending_is_a_clear_error(tmp_path, monkeypatch, failing):
    ledger = Ledger(tmp_path)
    ledger.append(Entry("a", "mastodon", 1, "pending", AT, key="k"))

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(LedgerWriteError) as raised:
        ledger.append(Entry("a", "mastodon", 1, PUBLISHED, AT, key="k"))
    assert isinstance(raised.value, PipelineError)
    assert "ledger.jsonl" in str(raised.value) and "No space left on device" in str(raised.value)
    assert ledger.current("a", "mastodon", 1).state == "pending"  # not recorded as if written
    monkeypatch.undo()
    ledger.append(Entry("b", "mastodon", 1, PUBLISHED, AT))  # a later write ends whatever was half written
    assert [e.post for e in read_entries(tmp_path / "state" / "ledger.jsonl").entries][-1] == "b"


def test_resolve_on_a_damaged_ledger_is_a_message_not_a_traceback(repo):
    write_ledger(repo.root, jsonl(record("a", state="uncertain"), "junk", record("b")))
    result = CliRunner().invoke(cli, ["resolve", "a", "--root", str(repo.root), "--channel", "mastodon",
                                      "--not-published"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "ledger.jsonl:2: the ledger is damaged" in result.output


def test_a_full_disk_during_resolve_is_a_message_not_a_traceback(repo, monkeypatch):
    write_ledger(repo.root, jsonl(record("a", state="uncertain", key="k1")))

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = CliRunner().invoke(cli, ["resolve", "a", "--root", str(repo.root), "--channel", "mastodon",
                                      "--not-published"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ledger.jsonl" in result.output and "No space left on device" in result.output


def test_a_state_folder_that_cannot_be_made_is_a_write_error(tmp_path):
    ledger = Ledger(tmp_path)
    (tmp_path / "state").write_text("a file where the folder should be")
    with pytest.raises(LedgerWriteError, match="state"):
        ledger.append(Entry("a", "mastodon", 1, PUBLISHED, AT))


# -- one line is one line ---------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_line_separators_other_than_newline_are_escaped(tmp_path, char):
    entry = Entry("a", "mastodon", 1, "failed", AT, error=f"before{char}after")
    line = entry.as_json()
    assert char not in line and len(line.splitlines()) == 1
    ledger = Ledger(tmp_path)
    ledger.append(entry)
    [read] = read_entries(tmp_path / "state" / "ledger.jsonl").entries
    assert read.error == f"before{char}after"


def test_lines_are_split_on_newline_only_when_read(tmp_path):
    raw = json.dumps(record(state="failed", error="a\u2028b\x85c\x0cd\u2029e"), ensure_ascii=False)
    path = write_ledger(tmp_path, raw + "\n" + jsonl(record("b")))
    reading = read_entries(path)
    assert [e.post for e in reading.entries] == ["a", "b"]
    assert reading.entries[0].error == "a\u2028b\x85c\x0cd\u2029e"


# -- an entry as data ------------------------------------------------------------------------


def test_an_entry_as_dict_has_every_key_and_the_run():
    entry = Entry("a", "mastodon", 2, "published", AT, key="k", remote_id="9", url="https://x/9", run="r-1a2b",
                  data={"uri": "at://x"})
    assert entry.as_dict() == {"post": "a", "channel": "mastodon", "part": 2, "state": "published", "at": AT,
                               "key": "k", "remote_id": "9", "url": "https://x/9", "error": None, "file": None,
                               "data": {"uri": "at://x"}, "digest": None, "run": "r-1a2b"}
    assert json.loads(entry.as_json())["run"] == "r-1a2b"
    old = Entry("a", "mastodon", 1, "pending", AT)
    assert old.as_dict()["run"] is None and "run" not in json.loads(old.as_json())


def test_a_line_without_a_run_reads_as_before(tmp_path):
    path = write_ledger(tmp_path, jsonl(record("a"), record("b", run="r-2")))
    assert [e.run for e in read_entries(path).entries] == [None, "r-2"]


def test_an_unreadable_entry_as_dict_names_the_line():
    from pipeline.state.reading import parse_text

    text = jsonl(record("a"), record("a", state="gone", key="k9"))
    [_, entry] = parse_text(text.encode(), "ledger.jsonl").entries
    data = entry.as_dict()
    assert (data["state"], data["key"], data["data"]) == ("unreadable", "k9", {"line": 2})
    assert data["error"].startswith('line 2: unknown state "gone"')


# -- an unreadable part in a publish run ----------------------------------------------------------


def test_a_publish_run_never_sends_an_unreadable_part_again(site, memory):  # noqa: F811 - fixtures
    site.post("a", "publish_at: 2026-12-01 10:00\nchannels: [remote]")
    write_ledger(site.root, jsonl({"post": "a", "channel": "remote", "part": 1, "state": "pending", "at": AT,
                                   "key": "k1"},
                                  {"post": "a", "channel": "remote", "part": 1, "state": "Published", "at": AT,
                                   "key": "k1", "remote_id": "k1"}))
    report = run(site)
    assert memory.calls == [] and not report.ok
    assert [(o.post, o.state) for o in report.result.outcomes] == [("a", "uncertain")]
    assert states(site)[("a", "remote", 1)] == UNREADABLE
    resolve(site.root, "a", "remote", part=1, published_url="https://memory.example/k1", not_published=False)
    assert run(site).result.outcomes == [] and memory.calls == []


def test_the_site_shows_an_unreadable_part_as_waiting_for_a_person():
    from datetime import UTC, datetime

    from pipeline.content.model import Post, PostStatus
    from pipeline.site.calendar import Shown, channel_state

    post = Post("a", "content/posts/a.md", None, datetime(2026, 12, 1, tzinfo=UTC), False, ["mastodon"],
                PostStatus.READY, [], None, [], "auto", None, None, {}, {}, "x", 1)
    [entry] = read_entries_of(jsonl(record(state="Published")))
    state = channel_state(post, "mastodon", [entry], datetime(2026, 12, 2, tzinfo=UTC))
    assert state.kind == Shown.UNCERTAIN and "unknown state" in state.error


def read_entries_of(text: str) -> list[Entry]:
    from pipeline.state.reading import parse_text

    return parse_text(text.encode(), "ledger.jsonl").entries
