"""`social validate` keeps each post's reading and render findings, and uses them only while they hold.

Every result here is held to the plain way: `validate(load_content(...))`, which reads and
renders everything afresh and knows nothing of the cache or the worker processes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ContentRepo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline.cli import cli
from pipeline.content.identity import body_digest
from pipeline.content.stored import FROM_TEXT, STORED, stored_fields
from pipeline.content.workspace import Workspace
from pipeline.validation import validate
from pipeline.validation.cache import CACHE_DIR, FOLDER, SHARDS, fingerprint
from pipeline.validation.changed import validate_changed
from pipeline.validation.fanout import can_fork

NOW = "2026-11-30 08:00"
X_CHANNEL = """\
  x:
    network: x
    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}
"""
NEAR_X = ("Our sourdough rests for two days before it meets the oven, and every loaf gets the same "
          "patience from the first fold to the last slice, which is why the crust sings and the crumb "
          "stays soft for days on the counter, wrapped in linen and nothing else at all, promise.")


def plain(root: Path, checks=None) -> list:
    """The findings of the plain way: everything read and rendered afresh, no cache, no workers."""
    workspace = Workspace(root, now_text=NOW)
    kwargs = {"checks": checks} if checks else {}
    return validate(workspace.content, now=workspace.now, ledger=workspace.ledger, **kwargs).findings


def kept(root: Path, **options) -> list:
    return validate_changed(Workspace(root, now_text=NOW), **options).findings


def make_image(path: Path, size=(40, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "white").save(path)


def calendar(repo: ContentRepo) -> ContentRepo:
    root = repo.root
    repo.write("content/channels.yml", (root / "content/channels.yml").read_text() + X_CHANNEL)
    make_image(root / "content/media/photo.png")
    repo.post("short", "publish_at: 2026-12-02 09:00\nchannels: [mastodon, x]\ntags: [bread]")
    repo.post("near", "publish_at: 2026-12-03 09:00\nchannels: [x, bluesky]\nlink: https://example.com/a",
              body=NEAR_X)
    repo.post("long", "publish_at: 2026-12-04 09:00\nchannels: [x, bluesky, linkedin]", body=NEAR_X * 3)
    repo.post("thread", "publish_at: 2026-12-05 09:00\nchannels: [x, mastodon]",
              body="First part.\n\n---\n\nSecond part, see example.org/menu today.")
    repo.post("image", "publish_at: 2026-12-06 09:00\nchannels: [x, linkedin]\n"
              "media:\n  - path: media/photo.png\n    alt: A loaf")
    return repo


# -- the record -------------------------------------------------------------------------


def test_a_record_keeps_every_field_of_a_post_or_takes_it_from_the_text():
    assert set(STORED) | FROM_TEXT == stored_fields()
    assert not set(STORED) & FROM_TEXT


# -- cached and plain agree ---------------------------------------------------------------


def test_a_second_run_uses_the_cache_and_finds_the_same(repo, monkeypatch):
    calendar(repo)
    expected = plain(repo.root)
    assert any(f.code == "thread-split" for f in expected)
    assert kept(repo.root) == expected
    assert (repo.root / FOLDER).is_dir()
    assert (repo.root / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")

    # Nothing is read or rendered again: reading and rendering would fail.
    from pipeline.content.posts import PostReader
    from pipeline.render.render import Renderer

    monkeypatch.setattr(PostReader, "read", lambda *a, **k: pytest.fail("read again"))
    monkeypatch.setattr(Renderer, "render", lambda *a, **k: pytest.fail("rendered again"))
    assert kept(repo.root) == expected


def test_a_changed_post_is_read_and_rendered_again_and_only_it(repo, monkeypatch):
    calendar(repo)
    kept(repo.root)
    repo.post("near", "publish_at: 2026-12-03 09:00\nchannels: [x, bluesky]\nthread: off", body=NEAR_X * 2)
    from pipeline.content.posts import PostReader
    from pipeline.render.render import Renderer

    read, rendered = [], []
    original_read, original_render = PostReader.read, Renderer.render
    monkeypatch.setattr(PostReader, "read", lambda self, path, *a: read.append(Path(path).name)
                        or original_read(self, path, *a))
    monkeypatch.setattr(Renderer, "render", lambda self, post, channel: rendered.append(post.id)
                        or original_render(self, post, channel))
    findings = kept(repo.root)
    assert read == ["near.md"]
    assert set(rendered) == {"near"}
    monkeypatch.undo()
    assert findings == plain(repo.root)
    assert any(f.code == "too-long" and f.file.endswith("near.md") for f in findings)


@pytest.mark.parametrize("change", ["template", "channels", "image", "profile", "timezone", "include"])
def test_what_a_result_depends_on_besides_the_post_is_noticed(repo, change):
    calendar(repo)
    repo.write("templates/x.j2", "{{ text }}{% include '_footer.j2' %}\n")
    repo.write("templates/_footer.j2", "")
    assert kept(repo.root) == plain(repo.root)
    if change == "template":
        repo.write("templates/x.j2", "{{ text }} {{ undefined_thing }}\n")
    elif change == "include":
        repo.write("templates/_footer.j2", " " + "#bread " * 40)
    elif change == "channels":
        repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text().replace(
            "  x:\n    network: x\n", "  x:\n    network: x\n    thread_numbering: true\n    threads: false\n"))
    elif change == "image":
        make_image(repo.root / "content/media/photo.png", (9000, 10))
    elif change == "profile":
        repo.write("content/profiles/mastodon.yml", "display_name: " + "B" * 200 + "\n")
    elif change == "timezone":
        repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text().replace(
            "timezone: Europe/Berlin", "timezone: America/New_York"))
    expected = plain(repo.root)
    assert kept(repo.root) == expected
    assert kept(repo.root) == expected


def test_an_image_file_unchanged_since_well_before_is_not_inspected_again(repo, monkeypatch):
    from pipeline.content.media import MediaLibrary
    from pipeline.validation import changed

    calendar(repo)
    monkeypatch.setattr(changed, "SETTLED_NS", 0)  # as if the image had been there for long
    expected = plain(repo.root)
    kept(repo.root)
    inspect = MediaLibrary._inspect
    monkeypatch.setattr(MediaLibrary, "_inspect", lambda *a: pytest.fail("inspected again"))
    assert kept(repo.root) == expected
    make_image(repo.root / "content/media/photo.png", (9000, 10))  # another size: another signature
    monkeypatch.setattr(MediaLibrary, "_inspect", inspect)
    expected = plain(repo.root)
    assert any(f.code == "media-too-big" for f in expected)
    assert kept(repo.root) == expected


def test_a_renamed_post_that_keeps_its_published_id_is_rendered_under_that_id(repo):
    calendar(repo)
    repo.post("near", "publish_at: 2026-12-03 09:00\nchannels: [mastodon]\nlink: https://example.com/a",
              body="A short text with a link.")
    kept(repo.root)
    ledger = {"post": "near", "channel": "mastodon", "part": 1, "state": "published", "at": "2026-11-01T08:00:00Z",
              "key": "k", "remote_id": "1", "url": "https://mastodon.example/1",
              "file": "content/posts/2026/12/near.md", "digest": body_digest("A short text with a link.")}
    repo.write("state/ledger.jsonl", json.dumps(ledger) + "\n")
    (repo.root / "content/posts/2026/12/near.md").rename(repo.root / "content/posts/2026/12/renamed.md")
    expected = plain(repo.root)
    assert kept(repo.root) == expected
    assert not [f for f in expected if f.file.endswith("renamed.md") and f.level == "error"]


# -- the cache is never trusted -----------------------------------------------------------


def _shards(root: Path) -> list[Path]:
    return sorted((root / FOLDER).glob("*.json"))


@pytest.mark.parametrize("damage", [
    "not json", "truncated", "another format", "another fingerprint", "records not a mapping",
    "record not a mapping", "post fields of the wrong type", "findings of the wrong shape",
    "render findings dropped", "post of another file", "binary", "huge nesting",
])
def test_a_corrupt_or_foreign_cache_is_ignored_and_written_anew(repo, damage):
    calendar(repo)
    repo.post("broken", "publish_at: 2026-12-07 09:00\nchannels: [x]\nthread: off", body=NEAR_X * 2)
    expected = plain(repo.root)
    assert any(f.code == "too-long" for f in expected)
    kept(repo.root)
    for shard in _shards(repo.root):
        data = json.loads(shard.read_text())
        records = data["records"]
        if damage == "not json":
            shard.write_text("{not json")
        elif damage == "truncated":
            shard.write_text(shard.read_text()[: len(shard.read_text()) // 2])
        elif damage == "another format":
            data["format"] += 1
            shard.write_text(json.dumps(data))
        elif damage == "another fingerprint":
            data["fingerprint"] = "0" * 32
            shard.write_text(json.dumps(data))
        elif damage == "records not a mapping":
            data["records"] = []
            shard.write_text(json.dumps(data))
        elif damage == "binary":
            shard.write_bytes(b"\x00\xff" * 1000)
        elif damage == "huge nesting":
            shard.write_text("[" * 100_000 + "]" * 100_000)
        else:
            for file, record in records.items():
                if damage == "record not a mapping":
                    records[file] = [record]
                elif damage == "post fields of the wrong type" and record["post"]:
                    record["post"] = [None if isinstance(v, str) else 7 for v in record["post"]]
                elif damage == "findings of the wrong shape":
                    record["findings"] = [["x"]]
                    if record["render"]:
                        record["render"][2] = {"no": "findings"}
                elif damage == "render findings dropped" and record["render"]:
                    record["render"][2] = []  # the right keys, the wrong answer: caught only by the keys
                    record["render"][1] = "another-id"
                elif damage == "post of another file" and record["post"]:
                    record["post"][1] = "content/posts/elsewhere.md"
            shard.write_text(json.dumps(data))
    assert kept(repo.root) == expected
    # and written anew, so the next run is fast again and still right
    for shard in _shards(repo.root):
        data = json.loads(shard.read_text())
        assert data["fingerprint"] == fingerprint()
    assert kept(repo.root) == expected


def test_a_cache_folder_that_is_a_link_is_neither_read_nor_written_through(repo, tmp_path):
    calendar(repo)
    elsewhere = tmp_path.parent / (tmp_path.name + "-elsewhere")
    elsewhere.mkdir()
    os.symlink(elsewhere, repo.root / CACHE_DIR)
    assert kept(repo.root) == plain(repo.root)
    assert list(elsewhere.iterdir()) == []
    shutil.rmtree(elsewhere)


def test_no_cache_reads_and_writes_nothing(repo):
    calendar(repo)
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--now", NOW, "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    assert not (repo.root / CACHE_DIR).exists()


def test_a_run_with_only_some_checks_keeps_what_it_made_for_the_next(repo):
    calendar(repo)
    assert kept(repo.root, checks=("content",)) == plain(repo.root, checks=("content",))
    assert kept(repo.root) == plain(repo.root)
    assert kept(repo.root, checks=("content", "cadence")) == plain(repo.root, checks=("content", "cadence"))


# -- worker processes -------------------------------------------------------------------


@pytest.mark.skipif(not can_fork(), reason="work is spread over forked processes only where the system forks")
def test_workers_find_what_one_process_finds(repo):
    calendar(repo)
    for index in range(12):
        repo.post(f"more-{index}", f"publish_at: 2026-12-{8 + index} 09:00\nchannels: [x, bluesky, mastodon]",
                  body=NEAR_X + f" Day {index}." * index)
    expected = plain(repo.root)
    assert kept(repo.root, cache=False, jobs=2, threshold=1) == expected
    assert kept(repo.root, jobs=2, threshold=1) == expected
    repo.write("templates/bluesky.j2", "{{ text }}\n\n#bakery #bread #sourdough\n")
    expected = plain(repo.root)
    assert kept(repo.root, jobs=2, threshold=1) == expected  # read from the cache, rendered in the workers
    assert kept(repo.root, jobs=2, threshold=1) == expected


# -- the property: edits of every kind, cached and plain agree ----------------------------

_BODIES = ["Fresh bread today.", NEAR_X, NEAR_X * 3, "One part.\n\n---\n\nTwo parts, see example.com/x.", "",
           "Croissants 🥐 and Brötchen, ça va? 日本語のパン.", "word " * 80]
_FRONTS = [
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nthread: off",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nstatus: draft",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nstatus: retracted",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nlink: https://example.com/{day}\ntags: [a, b]",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nmedia:\n  - path: media/photo.png\n    alt: Bread",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\nmedia:\n  - path: media/gone.png\n    alt: Gone",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}]\noverrides:\n  x:\n    text: Short for X.",
    "publish_at: 2026-12-{day} 25:00\nchannels: [{channels}]",
    "publish_at: 2026-12-{day} 09:00\nchannels: [{channels}, nowhere]\nunknown_key: 1",
    "publish_at: [2026\nchannels: [{channels}]",
    "id: fixed-{day}\npublish_at: 2026-12-{day} 09:00\nchannels: [{channels}]",
]
_CHANNEL_SETS = ["x", "x, bluesky", "mastodon, linkedin", "x, mastodon, bluesky, linkedin, outbox", "bluesky"]
_TEMPLATES = [None, "{{ text }}\n", "{{ text }}{% if numbering and parts > 1 %} {{ part }}/{{ parts }}{% endif %}\n",
              "{{ text }} {{ hashtags }} {{ link }}\n", "{% if %}\n", "{{ text }} {{ nope }}\n",
              "{{ text }}{% include '_footer.j2' %}\n"]
_FOOTERS = ["", " Bake well.", " " + "#bread " * 30]
_CHANNEL_EDITS = [
    ("", ""),
    ("  x:\n    network: x\n", "  x:\n    network: x\n    thread_numbering: true\n"),
    ("  x:\n    network: x\n", "  x:\n    network: x\n    threads: false\n"),
    ("    handle: bakery.bsky.social\n", "    handle: bakery.bsky.social\n    hashtags: false\n    utm: false\n"),
    ("timezone: Europe/Berlin", "timezone: America/New_York"),
    ("  linkedin:\n    network: linkedin\n    author: urn:li:organization:42\n"
     "    credentials: {token: LINKEDIN_TOKEN}\n", ""),
    ("    instance: https://mastodon.example\n", "    instance: https://mastodon.example\n    template: custom.j2\n"),
    ("{max_per_day: 3,", "{max_per_day: 1,"),
]

_EDIT = st.one_of(
    st.tuples(st.just("post"), st.integers(0, 5), st.sampled_from(_FRONTS), st.sampled_from(_CHANNEL_SETS),
              st.sampled_from(_BODIES)),
    st.tuples(st.just("template"), st.sampled_from(["x.j2", "bluesky.j2", "custom.j2", "_footer.j2"]),
              st.sampled_from(_TEMPLATES), st.sampled_from(_FOOTERS)),
    st.tuples(st.just("channels"), st.sampled_from(range(len(_CHANNEL_EDITS)))),
    st.tuples(st.just("image"), st.sampled_from([(40, 30), (9000, 10), None, "text"])),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("rename"), st.integers(0, 5)),
    st.tuples(st.just("profile"), st.sampled_from(["display_name: Bakery\n", "display_name: " + "B" * 300 + "\n"])),
)


def _apply(repo: ContentRepo, edit: tuple) -> None:
    kind, *args = edit
    posts = repo.root / "content/posts/2026/12"
    if kind == "post":
        index, front, channels, body = args
        path = posts / f"post-{index}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + front.format(day=10 + index, channels=channels) + "\n---\n" + body + "\n")
    elif kind == "template":
        name, template, footer = args
        if template is None:
            (repo.root / "templates" / name).unlink(missing_ok=True)
        else:
            (repo.root / "templates" / name).write_text(template if name != "_footer.j2" else footer)
    elif kind == "channels":
        before, after = _CHANNEL_EDITS[args[0]]
        path = repo.root / "content/channels.yml"
        path.write_text(path.read_text().replace(before, after, 1))
    elif kind == "image":
        path = repo.root / "content/media/photo.png"
        if args[0] is None:
            path.unlink(missing_ok=True)
        elif args[0] == "text":
            path.write_text("not an image")
        else:
            make_image(path, args[0])
    elif kind in ("delete", "rename"):
        found = sorted(posts.glob("*.md")) if posts.is_dir() else []
        if found:
            chosen = found[args[0] % len(found)]
            if kind == "delete":
                chosen.unlink()
            else:
                chosen.rename(chosen.with_name("renamed-" + chosen.name))
    elif kind == "profile":
        repo.write("content/profiles/mastodon.yml", args[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(_EDIT, min_size=1, max_size=6), workers=st.booleans())
def test_cached_and_plain_findings_are_identical_whatever_is_edited(edits, workers):
    options = {"jobs": 2, "threshold": 1} if workers and can_fork() else {"jobs": 1}
    with tempfile.TemporaryDirectory() as folder:
        repo = calendar(ContentRepo(Path(folder)))
        assert kept(repo.root, **options) == plain(repo.root)
        for edit in edits:
            _apply(repo, edit)
            assert kept(repo.root, **options) == plain(repo.root), edit
        assert kept(repo.root, **options) == plain(repo.root)


def test_the_cache_files_are_a_fixed_few(repo):
    calendar(repo)
    kept(repo.root)
    assert 0 < len(_shards(repo.root)) <= SHARDS
