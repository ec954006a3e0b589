"""Where `social validate` places cadence findings: the text search for publish_at is
property-tested against the full front-matter reader (KeyPlacer), which it stands in for."""

from __future__ import annotations

from pathlib import Path

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pipeline.content.load import load_content
from pipeline.content.placing import KeyPlacer
from pipeline.content.yamlload import load_yaml
from pipeline.planning.findings import publish_at_by_text

PROJECT = Path(__file__).resolve().parent.parent
WHEN = "2026-12-01 09:30"

#: the real key, written every way YAML allows (some the search cannot be sure of)
PUBLISH_AT = [
    f"publish_at: {WHEN}", f"publish_at:   {WHEN}  # the launch", f"publish_at : {WHEN}",
    f'publish_at: "{WHEN}"', f"publish_at: '{WHEN}'", f"publish_at:\t{WHEN}",
    f"publish_at: # the launch\n  {WHEN}", f"publish_at:\n  {WHEN}", f'"publish_at": {WHEN}',
    f"'publish_at': {WHEN}", f"? publish_at\n: {WHEN}", f"publish_at: &when {WHEN}",
    f"publish_at: !!str {WHEN}", f"publish_at: |-\n  {WHEN}", f"publish_at: >\n  {WHEN}\n",
]
#: lines that look like the key; `{i}` is one level of indentation
DECOYS = ["publish_at: 2020-01-01 00:00", "publish_at:x", "publish_at: no", "publish_at :later"]
#: other entries; `{decoy}` is replaced by a decoy line, `{i}` by indentation
ENTRIES = [
    "id: cake-launch", "title: Winter cake launch", "title: Why we don't knead rye",
    'title: "Meet the baker: Hanna"', "title: 'It''s here'", 'title: "first line\n{decoy}"',
    "title: 'first line\n{decoy}'", "title: >-\n{i}folded\n{i}{decoy}", "title:\n{i}\"quoted\n{decoy}\"",
    'title: "a \\" quote\n{decoy}"', "title: plain\n{i}continued {decoy}",
    "channels: [mastodon, bluesky]", "channels: [mastodon,\n{decoy}]", "channels:\n- mastodon\n- bluesky",
    "channels:\n{i}- mastodon", "tags: [promo,\n{i}launch]", "tags: {{a: 1,\n{decoy}}}",
    "overrides:\n{i}bluesky:\n{i}{i}{decoy}\n{i}{i}text: |\n{i}{i}{i}{decoy}",
    "overrides: {{bluesky: {{text: hi,\n{decoy}}}}}", "overrides:\n{i}x: [a,\n{decoy}]",
    "media:\n{i}- path: media/a.jpg\n{i}  alt: \"A cake: white\"", "# {decoy}", "#{decoy}", "",
    "link: https://example.com/#x", "thread: 'auto'", "key: &a [x,\n{decoy}]", "text: |\n{i}{decoy}",
]


@st.composite
def front_matters(draw: st.DrawFn) -> str:
    indent = " " * draw(st.sampled_from([1, 2, 4]))
    entries = draw(st.lists(st.sampled_from(ENTRIES), max_size=6))
    entries.append(draw(st.sampled_from(PUBLISH_AT)))
    ordered = draw(st.permutations(entries))
    chunks = [entry.format(i=indent, decoy=draw(st.sampled_from(DECOYS))) for entry in ordered]
    return "\n".join(chunks) + draw(st.sampled_from(["\n", "", "\n\n"]))


def is_usable(front: str) -> bool:
    """As for a post the fast path is asked about: the YAML loads and has a top-level publish_at."""
    try:
        data = load_yaml(front)
    except Exception:
        return False
    return isinstance(data, dict) and "publish_at" in data


@settings(max_examples=600, deadline=None)
@given(front_matters())
@example('title: "first line\npublish_at: 2020-01-01 00:00"\n"publish_at": 2026-12-01 09:30\n')
@example("channels: [a,\npublish_at: x]\npublish_at:\n  2026-12-01 09:30\n")
@example("publish_at: # the launch\n  2026-12-01 09:30\n")
def test_the_text_search_agrees_with_the_full_reader_whenever_it_answers(front: str) -> None:
    assume(is_usable(front))
    found = publish_at_by_text(front)
    if found is not None:
        assert found == KeyPlacer(front, 1)(("publish_at", "<value>"))


def test_the_text_search_answers_for_every_post_of_the_example_content() -> None:
    content = load_content(PROJECT)
    scheduled = [post for post in content.posts if post.publish_at is not None]
    assert scheduled
    for post in scheduled:
        assert publish_at_by_text(post.lines.text) is not None, post.file
        assert publish_at_by_text(post.lines.text) == KeyPlacer(post.lines.text, 1)(
            ("publish_at", "<value>")), post.file
