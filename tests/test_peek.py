"""A publish run's fast path (publish/select.py, through content/peek.py) never hides a post.

It rules posts out from the top of their text, without composing the YAML. Whatever
the front matter looks like, a post that the full reader says is due (or retracted
and out) must be read in full; the property is checked against PostReader on
generated front matter full of lines that only look like keys.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.content.channels import load_config
from pipeline.content.model import PostStatus
from pipeline.content.peek import peek
from pipeline.content.posts import PostReader
from pipeline.files import RegularFiles
from pipeline.publish.select import _must_read, _Window

CHANNELS = "timezone: Europe/Berlin\nchannels:\n  notes:\n    network: outbox\n"
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
OLDEST = NOW - timedelta(hours=6)

TIMES = ["2026-12-01 11:30", "2026-12-01 13:00", "2026-11-20 09:00", "2026-12-01 08:00",
         "2026-12-01T11:59:00", "2026-12-01 12:00:30+01:00", "2026-12-03 09:00", "2026-11-30 18:00 +00:00"]
STATUSES = ["ready", "draft", "retracted"]
IDS = ["launch", "other-post"]


def quoted(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, f'"{text}"', f"'{text}'", f"{text}  # note", f"{text} #note"])


def decoy() -> st.SearchStrategy[str]:
    """A line that looks like a key the fast path reads."""
    return st.builds(lambda key, value: f"{key}: {value}", st.sampled_from(["publish_at", "status", "id"]),
                     st.sampled_from(TIMES + STATUSES + IDS))


def entries() -> st.SearchStrategy[list[str]]:
    real = st.lists(st.one_of(
        st.builds(lambda v: f"publish_at: {v}", st.sampled_from(TIMES).flatmap(quoted)),
        st.builds(lambda v: f"status: {v}", st.sampled_from(STATUSES).flatmap(quoted)),
        st.builds(lambda v: f"id: {v}", st.sampled_from(IDS).flatmap(quoted)),
    ), max_size=4)
    noise = st.lists(st.one_of(
        st.just("channels: [notes]"), st.just("channels:\n  - notes"), st.just("channels: [notes]  # c"),
        st.just("channels: []"), st.just("channels:\n- notes\n- other"), st.just("title: Winter cake launch"),
        st.builds(lambda d: f'title: "first line\n{d}"', decoy()),
        st.builds(lambda d: f"title: 'first line\n{d}'", decoy()),
        st.builds(lambda d: f"tags: [a,\n{d}]", decoy()),
        st.builds(lambda d: f"overrides:\n  notes:\n    text: |\n      {d}", decoy()),
        st.builds(lambda d: f"# {d}", decoy()),
        st.builds(lambda d: f"title: >-\n  folded\n  {d}", decoy()),
        st.builds(lambda d: f"title: plain\n  continued {d}", decoy()),
        st.just(""), st.just("publish_at:\n  2026-12-01 11:30"), st.just("status: &s ready"),
    ), max_size=4)
    return st.tuples(real, noise).flatmap(lambda pair: st.permutations(pair[0] + pair[1]))


def must_be_read(post, known: dict[str, frozenset[str]], published: set[str]) -> bool:
    """What the planner would act on: due and ready (unless long past and known), or retracted and out."""
    if post is None:
        return False
    if post.status == PostStatus.RETRACTED:
        return post.id in published
    if post.status != PostStatus.READY or post.publish_at is None or post.publish_at > NOW:
        return False
    return not (post.publish_at < OLDEST and set(post.channels) <= known.get(post.id, frozenset()) != frozenset())


@settings(max_examples=400, deadline=None)
@given(lines=entries(), published=st.sets(st.sampled_from(IDS)),
       known=st.dictionaries(st.sampled_from(IDS), st.sets(st.sampled_from(["notes", "other"])).map(frozenset)))
def test_the_fast_path_reads_every_post_a_run_could_act_on(tmp_path_factory, lines, known, published):
    root = tmp_path_factory.mktemp("repo")
    (root / "content").mkdir()
    (root / "content/channels.yml").write_text(CHANNELS, encoding="utf-8")
    config, _ = load_config(root)
    path = root / "content/posts/launch.md"
    path.parent.mkdir()
    text = "---\n" + "\n".join(lines) + ("\nchannels: [notes]" if not any("channels" in x for x in lines) else "")
    path.write_text(text + "\n---\nFresh bread.\n", encoding="utf-8")
    post, _ = PostReader(root, config).read(path)
    if must_be_read(post, known, published):
        assert _must_read(os.fspath(path), RegularFiles(path.parent), config, known, published,
                          _Window(config, NOW, OLDEST)), text


def test_peek_is_unsure_where_a_line_leaves_something_open():
    assert not peek('title: "one\npublish_at: 2020-01-01 00:00"\n', frozenset({"publish_at"})).sure
    assert not peek("tags: [a,\nstatus: draft]\n", frozenset({"status"})).sure
    assert not peek("status: ready\nstatus: draft\n", frozenset({"status"})).sure  # written twice
    assert not peek("publish_at: *when\n", frozenset({"publish_at"})).sure


def test_peek_reads_plain_and_quoted_values_with_comments():
    found = peek("id: 'it''s' # the id\nstatus: \"draft\"\npublish_at: 2026-12-01 10:00  # launch\n"
                 "overrides:\n  notes:\n    text: |\n      status: ready\n", frozenset({"id", "status", "publish_at"}))
    assert found.sure
    assert found.values == {"id": (1, 5, "it's"), "status": (2, 9, "draft"), "publish_at": (3, 13, "2026-12-01 10:00")}


def test_the_example_posts_are_read_by_their_text():
    """The fast path answers for every example post: it is not unsure for ordinary files."""
    folder = Path(__file__).resolve().parent.parent / "content/posts"
    for path in folder.rglob("*.md"):
        front = path.read_text(encoding="utf-8").split("\n---", 1)[0][3:]
        assert peek(front, frozenset({"publish_at", "status", "id"})).sure, path


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from([
    "id: a", "title: \"one", "two\"", "tags: [a,", "b]", "  - x: 'y'", "key: |", "  publish_at: x", "# c",
    "title: it's: here", "a: b #c", "? k", ": v", "x: &a b", "y: *a", "z: {a: b}", "", "  ", "\t", "k:", "-",
    "w: \"esc \\\" q\"", "v: 'don''t'", "u: a:b", "t: [x]y"]), max_size=8).map("\n".join))
def test_checking_the_whole_text_at_once_agrees_with_line_by_line(text):
    from pipeline.content.peek import _CLOSED_LINE, all_closed

    assert all_closed(text) == all(_CLOSED_LINE.fullmatch(line) for line in text.split("\n"))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from([
    "channels: [a, b]", "channels: [a,b] # c", "channels:", "  - a", "- b", "  - 'c'", "  -  d  # note",
    "    e", "channels: []", "channels: [a, 'b']", "title: x", "# c", "", "tags: [a,", "b]", "k: |",
    "  channels: [z]", "channels: a", "  - {x: y}", "  - [q]", "channels: &x [a]", "  - a-b.c",
    # the values of other keys below them, broken in the ways indentation breaks them
    "k:", "  a: 1", "    b: 2", "   ", "k: >-", "      f", "  # n", "  -", "  - a: b", "\tx", "k: |2"]),
    max_size=7).map("\n".join))
def test_a_list_of_words_read_from_the_text_is_what_yaml_reads(text):
    import yaml

    from pipeline.content.peek import peek_words

    words = peek_words(text, "channels")
    if words is None:
        return
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise AssertionError(f"sure of {words} in text YAML refuses: {text!r}") from None
    assert isinstance(data, dict) and data.get("channels") == words, (text, words)


@pytest.mark.parametrize("text", [
    "channels: [a, b]\nk: |\n    e\n  - a",            # a block text's line less indented than its first
    "channels: [a]\nk:\n    b: 2\n  a: 1",               # a mapping below a key, its indentation broken
    "channels: [a]\nk:\n  - a\n  b: 1",                  # a list and a key at one indentation
    "channels: [a]\nk:\n  a: 1\n    b: 2",               # a key's value running on, more indented
    "channels: [a]\nk: >-\n   \n  e",                   # spaces deeper than the text's first line
    "channels: [a]\nk:\n\tx",                            # a tab as indentation
])
def test_the_values_of_other_keys_that_break_the_mapping_leave_it_unsure(text):
    """Found by the property test above: the lines below another key can make the whole front
    matter something YAML refuses, so a list read beside them cannot be trusted."""
    import yaml

    from pipeline.content.peek import peek_words

    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    assert peek_words(text, "channels") is None


def test_a_post_with_images_and_overrides_below_other_keys_is_still_read_by_its_text():
    """The values below other keys that the look cannot vouch for (a list of mappings, overrides
    with a block text) go to YAML's parser, not to the full reader: a scheduled run with nothing
    due must not read every post with images in full (it did, and took five times as long)."""
    from pipeline.content.peek import peek_words

    front = ("title: Bread\npublish_at: 2027-01-01 08:00\nchannels: [x, bluesky]\nmedia:\n"
             "  - path: media/photo.png\n    alt: A loaf\noverrides:\n  x:\n    text: |\n      Short\n")
    assert peek_words(front, "channels") == ["x", "bluesky"]
    folder = Path(__file__).resolve().parent.parent / "content/posts"
    for path in folder.rglob("*.md"):
        front = path.read_text(encoding="utf-8").split("\n---", 1)[0][3:]
        assert peek_words(front, "channels") is not None, path
