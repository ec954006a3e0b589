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
    assert html.count('class="sc-msg') == 8 and "swaddled" in html  # four parts on each of two cards


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


# -- the month and agenda filters -------------------------------------------------------------


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    class Elements(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    parser = Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("page", ["calendar/2026-12.html", "calendar/agenda.html", "calendar/index.html"])
def test_every_entry_says_its_channels_tags_and_states(example_site, page):
    tags = elements((example_site / page).read_text(encoding="utf-8"))
    entries = [attrs for tag, attrs in tags if "data-sc-channels" in attrs]
    links = [attrs["href"] for tag, attrs in tags if tag == "a" and "/posts/" in "/" + (attrs.get("href") or "")]
    assert entries and len(entries) == len(links)  # one entry around each post's link
    at = next(n for n, (tag, attrs) in enumerate(tags) if attrs.get("href") == "posts/how-we-make-stollen.html")
    stollen = next(attrs for tag, attrs in reversed(tags[:at]) if "data-sc-channels" in attrs)
    assert stollen["data-sc-channels"].split() == ["mastodon", "bluesky"]
    assert stollen["data-sc-tags"].split() == ["behindthescenes", "stollen"]
    assert stollen["data-sc-states"].split() == ["mastodon:scheduled", "bluesky:scheduled"]


@pytest.mark.parametrize("page", ["calendar/2026-12.html", "calendar/agenda.html"])
def test_the_filter_form_waits_for_its_script_and_the_links_work_without_it(example_site, page):
    html = (example_site / page).read_text(encoding="utf-8")
    tags = elements(html)
    form = next(attrs for tag, attrs in tags if tag == "form" and "sc-filter" in attrs.get("class", ""))
    assert "hidden" in form  # shown by the script, useless without it
    selects = {attrs["name"]: attrs["id"] for tag, attrs in tags if tag == "select"}
    assert set(selects) == {"channel", "tag", "state"}
    labelled = {attrs["for"] for tag, attrs in tags if tag == "label"}
    assert set(selects.values()) <= labelled  # every field has its label
    assert any(attrs.get("role") == "status" for tag, attrs in tags)  # the count is announced
    # without JavaScript: a link to each channel's and each tag's page
    links = {attrs["href"] for tag, attrs in tags if tag == "a"}
    assert {"channels/mastodon.html", "channels/bluesky.html", "tags/stollen.html"} <= links
    scripts = [attrs["src"] for tag, attrs in tags if tag == "script" and attrs.get("src")]
    assert any(src.endswith("assets/social-calendar.js") for src in scripts)
    assert all(not re.match(r"^(https?:)?//", src) for src in scripts)  # nothing from another host
    assert (example_site / "assets" / "social-calendar.js").is_file()


MARKING_HOOK = '''\
def on_page_content(html, page, config, files):
    return html + '<p class="marked-by-a-later-plugin"></p>'
'''


def test_what_a_later_plugin_adds_to_a_page_stays_after_the_search_has_looked(repo):
    # The post page is shown to the search as its summary, then given back: the page as the
    # plugins after this one left it, not as this plugin made it.
    repo.post("bake", """\
        title: Bake day
        publish_at: 2026-12-05 10:00
        channels: [mastodon]
        """, body="Rye and spelt, all morning.")
    (repo.root / "marker.py").write_text(MARKING_HOOK, encoding="utf-8")
    site = build_repo_site(repo.root, hooks=("marker.py",))
    assert 'class="marked-by-a-later-plugin"' in (site / "calendar" / "posts" / "bake.html").read_text(encoding="utf-8")
    assert found(index_of(site), "spelt") == {"calendar/posts/bake.html"}
