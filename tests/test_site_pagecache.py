"""Post pages kept in .social-cache/site/: a rebuild after any edit is the site a cold build makes."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("mkdocs")

from sitebuild import REPO, build_repo_site
from test_site_frames import assert_same_sites

from pipeline.cachedir import CACHE_DIR
from pipeline.site import pagecache
from pipeline.site.pagecache import FOLDER, PostPageCache


def posts(root: Path) -> list[Path]:
    return sorted((root / "content" / "posts").rglob("*.md"))


def replace_once(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE), encoding="utf-8")


def edit_title(root, pick, number):
    replace_once(pick(posts(root)), r"^title: (.*)$", rf"title: \1 & <edit {number}>")


def edit_body(root, pick, number):
    path = pick(posts(root))
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f" Edited {number}.\n", encoding="utf-8")


def edit_time(root, pick, number):
    replace_once(pick(posts(root)), r"^publish_at: (\d{4}-\d\d-\d\d) \d\d:\d\d", rf"publish_at: \1 1{number % 10}:15")


def add_tag(root, pick, number):
    replace_once(pick(posts(root)), r"^tags: \[", f"tags: [edit-{number}, ")


def edit_profile(root, pick, number):
    replace_once(pick(sorted((root / "content" / "profiles").glob("*.yml"))), r"^display_name: (.*)$",
                 rf"display_name: Baker {number}")


def edit_link_card(root, pick, number):
    replace_once(root / "content" / "linkcards.yml", r"^  title: (.*)$", rf"  title: Card {number}")


def add_ledger_line(root, pick, number):
    post = pick(posts(root))
    front = post.read_text(encoding="utf-8").split("---")[1]
    found = re.search(r"^id: (.*)$", front, re.MULTILINE)
    post_id = found.group(1).strip() if found else post.stem
    (root / "state").mkdir(exist_ok=True)
    with open(root / "state" / "ledger.jsonl", "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps({"post": post_id, "channel": "mastodon", "part": 1, "state": "published",
                                 "at": "2026-12-01T09:00:00Z", "url": f"https://mastodon.example/@b/{number}"}) + "\n")


def remove_post(root, pick, number):
    pick(posts(root)).unlink()


def add_post(root, pick, number):
    (root / "content" / "posts" / "2026" / "12" / f"added-{number}.md").write_text(
        f"---\ntitle: Added {number}\npublish_at: 2026-12-1{number % 10} 10:00\nchannels: [mastodon, bluesky]\n"
        f"tags: [stollen]\n---\nA new post, number {number}.\n", encoding="utf-8")


def edit_channels(root, pick, number):
    replace_once(root / "content" / "channels.yml", r"^(\s+)max_per_day: (\d+)", rf"\1max_per_day: {number % 4 + 1}")


def add_template(root, pick, number):
    (root / "templates" / f"note-{number}.md").write_text(f"A template, {number}.\n", encoding="utf-8")


EDITS = [edit_title, edit_body, edit_time, add_tag, edit_profile, edit_link_card, add_ledger_line, remove_post,
         add_post, edit_channels, add_template]


@pytest.fixture
def kept(monkeypatch) -> SimpleNamespace:
    """`pages`: every PostPageCache a build makes; `events`: how many feed events were used again."""
    made: list[PostPageCache] = []
    init, get = pagecache.PostPageCache.__init__, pagecache.FeedEventCache.get
    events = [0]

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    def count(self, *args):
        found = get(self, *args)
        events[0] += found is not None
        return found

    monkeypatch.setattr(pagecache.PostPageCache, "__init__", keep)
    monkeypatch.setattr(pagecache.FeedEventCache, "get", count)
    return SimpleNamespace(pages=made, events=events)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rebuild_after_random_edits_is_the_cold_build(tmp_path, kept, seed):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    chance = random.Random(seed)
    now = "2026-12-03 08:00"
    build_repo_site(root, now=now)
    assert (root / FOLDER).is_dir() and kept.pages[-1].kept == 0
    for number in range(4):
        for edit in chance.sample(EDITS, 2):
            edit(root, chance.choice, number)
        if chance.random() < 0.3:
            now = f"2026-12-{chance.randint(1, 28):02d} 0{chance.randint(0, 9)}:00"
        shutil.move(build_repo_site(root, now=now), tmp_path / f"kept-{number}")
        shutil.move(root / CACHE_DIR, tmp_path / "cache")  # the cold build neither reads nor writes it
        cold = build_repo_site(root, now=now, page_cache=False)
        assert not (root / CACHE_DIR).exists()
        shutil.move(tmp_path / "cache", root / CACHE_DIR)
        assert_same_sites(tmp_path / f"kept-{number}", cold)
    assert sum(cache.kept for cache in kept.pages) > 0 and kept.events[0] > 0


def test_a_kept_page_of_other_code_or_a_broken_record_is_made_again(tmp_path, kept):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    first = build_repo_site(root)
    shutil.move(first, tmp_path / "first")
    for shard in (root / FOLDER).glob("*.json"):
        data = json.loads(shard.read_text(encoding="utf-8"))
        for record in data["records"].values():
            record["page"]["html"] = "<p>stale</p>"
            record["page"].pop("title")  # a broken record
            break
        shard.write_text(json.dumps(data), encoding="utf-8")
    again = build_repo_site(root)
    assert_same_sites(tmp_path / "first", again)
    assert kept.pages[-1].kept > 0


def test_kept_feed_events_get_the_time_of_the_build(tmp_path, kept):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "content", root / "content")
    build_repo_site(root, now="2026-11-20 08:00")
    again = build_repo_site(root, now="2026-11-21 09:30")
    assert kept.events[0] > 0 and "DTSTAMP:20261121T083000Z" in (again / "calendar.ics").read_text()
    shutil.move(again, tmp_path / "again")
    shutil.rmtree(root / CACHE_DIR)
    assert_same_sites(tmp_path / "again", build_repo_site(root, now="2026-11-21 09:30"))
