"""Finding things on the calendar site: the search index, and the month and agenda filters (without a browser).

The search index holds each post, channel and tag page once, as a short summary (title,
when, channels, state, tags and the text as written), not the previews: the index of
10,000 posts stays a few megabytes and the build does not parse 20 MB of HTML for it.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from site_corpus import write_hostile_posts
from sitebuild import REPO, build_repo_site, build_site


def index_of(site: Path) -> dict[str, list[dict]]:
    """The search index's entries by page (location without its #anchor)."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages: dict[str, list[dict]] = {}
    for entry in docs:
        pages.setdefault(entry["location"].split("#")[0], []).append(entry)
    return pages


def found(pages: dict[str, list[dict]], word: str) -> set[str]:
    """The pages whose entries hold `word` in their title or text (as lunr would match a whole word)."""
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return {page for page, entries in pages.items()
            if any(pattern.search(entry["title"]) or pattern.search(entry["text"]) for entry in entries)}


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return build_site(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site", now="2026-12-03 08:00")


def test_a_post_is_found_by_a_word_of_its_text(example_site):
    pages = index_of(example_site)
    # "swaddled" is only in the third part of the stollen thread, in no title
    assert found(pages, "swaddled") == {"calendar/posts/how-we-make-stollen.html"}
    assert "calendar/posts/how-we-make-stollen.html" in found(pages, "marzipan")
    entries = pages["calendar/posts/how-we-make-stollen.html"]
    assert [entry["title"] for entry in entries] == ["How we make our stollen"]  # one entry, not one per preview


def test_channel_and_tag_pages_are_in_the_index_and_the_day_by_day_pages_are_not(example_site):
    pages = index_of(example_site)
    assert "calendar/channels/mastodon.html" in found(pages, "mastodon")
    assert "calendar/tags/stollen.html" in found(pages, "stollen")
    for page in pages:  # lists of titles that change every day: the posts themselves are found
        assert not re.match(r"calendar/(\d{4}-\d\d|agenda|cadence|index)\.html", page), page
    assert {page for page in pages if page.startswith("calendar/posts/")} == {
        f"calendar/posts/{path.name}" for path in (example_site / "calendar" / "posts").glob("*.html")}
    assert found(pages, "Rules")  # the hand-written pages are still there


def test_the_pages_still_show_every_preview(example_site):
    html = (example_site / "calendar" / "posts" / "how-we-make-stollen.html").read_text(encoding="utf-8")
    assert html.count('class="sc-part"') == 8 and "swaddled" in html


def test_a_word_only_in_a_channels_override_and_a_tag_find_the_post(repo):
    repo.post("bake", """\
        title: Bake day
        publish_at: 2026-12-05 10:00
        channels: [mastodon, bluesky]
        tags: [Weihnachtsmarkt]
        overrides:
          bluesky:
            text: Quarkstollen for the short version.
        """, body="Rye and spelt, all morning.")
    pages = index_of(build_repo_site(repo.root))
    assert found(pages, "Quarkstollen") == found(pages, "spelt") == {"calendar/posts/bake.html"}
    assert "calendar/posts/bake.html" in found(pages, "Weihnachtsmarkt")
    assert "calendar/tags/weihnachtsmarkt-" in " ".join(found(pages, "Weihnachtsmarkt"))


class Text(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_hostile_text_stays_text_in_the_index(repo):
    write_hostile_posts(repo)
    site = build_repo_site(repo.root, now="2026-12-04 08:00")
    data = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    for entry in json.loads(data)["docs"]:
        # the search shows title and text as HTML: nothing from content may be a tag there
        for field in (entry["title"], entry["text"]):
            assert not set(Text(field).tags) - {"p", "code", "pre", "li", "ol", "ul", "sub", "sup"}, field
    assert "&lt;script&gt;" in data
