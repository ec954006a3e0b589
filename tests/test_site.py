"""The calendar site: pages and feeds from content and the ledger, escaping, stable feed UIDs."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("icalendar")

from icalendar import Calendar
from mkdocs.exceptions import Abort, PluginError
from site_corpus import write_hostile_posts
from sitebuild import REPO, build_repo_site, build_site

from pipeline.site.calendar import slug, web_url
from pipeline.site.gitlog import last_changes, parse_log
from pipeline.site.parthtml import text_html


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return build_site(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site", now="2026-12-03 08:00")


def test_example_site_has_every_page(example_site):
    calendar = example_site / "calendar"
    for page in ("index.html", "2026-12.html", "2027-01.html", "agenda.html", "cadence.html",
                 "channels/index.html", "channels/mastodon.html", "tags/index.html", "tags/stollen.html",
                 "posts/how-we-make-stollen.html"):
        assert (calendar / page).is_file(), page
    for feed in ("calendar.ics", "calendar-mastodon.ics", "calendar-bluesky.ics"):
        assert (example_site / feed).is_file()
    assert (example_site / "assets" / "social-calendar.css").is_file()
    assert (example_site / "assets" / "social-growth.css").is_file()
    assert not (REPO / "docs" / "calendar").exists(), "generated pages must never land in docs/"


def test_month_is_a_seven_column_grid_with_today_and_links(example_site):
    html = read(example_site / "calendar" / "2026-12.html")
    grid = html[html.index('<table class="sc-grid">'):html.index("</table>", html.index('<table class="sc-grid">'))]
    assert re.findall(r'<th scope="col">(\w+)</th>', grid) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for row in re.findall(r"<tr>(.*?)</tr>", grid, re.S)[1:]:
        assert row.count("<td") == 7
    assert html.count('aria-current="date"') == 1
    assert 'rel="next" href="2027-01.html"' in html
    assert 'href="posts/how-we-make-stollen.html"' in html
    assert "2026-12-04 10:00+01:00" in html  # the offset, in the chip's title
    assert "sc-card" not in html, "month pages carry no previews"
    assert "sc-legend" in html


def test_agenda_shows_fourteen_days_with_offsets(example_site):
    html = read(example_site / "calendar" / "agenda.html")
    assert len(re.findall(r'<section class="sc-agenda-day', html)) == 14
    assert "Thu 3 December 2026 (today)" in html
    assert "2026-12-04 10:00+01:00" in html
    assert "Wed 16 December 2026" in html and "Thu 17 December 2026" not in html


def test_post_page_shows_every_part_counts_media_and_source(example_site):
    html = read(example_site / "calendar" / "posts" / "how-we-make-stollen.html")
    assert html.count('class="sc-msg"') == 8  # four parts on mastodon and on bluesky
    assert re.search(r"\d+ / 500", html) and re.search(r"\d+ / 300", html)
    assert "content/posts/2026/12/how-we-make-stollen.md" in html
    assert "scheduled" in html
    workshop = read(example_site / "calendar" / "posts" / "stollen-workshop.html")
    image = next(attrs for tag, attrs in Elements(workshop).tags
                 if tag == "img" and "media/stollen-workshop" in attrs["src"])
    assert image["alt"] and image["title"] == image["alt"]
    assert (example_site / "calendar" / "posts" / image["src"]).resolve().is_file()


def test_navigation_lists_index_pages_but_no_post(example_site):
    html = read(example_site / "index.html")
    nav = html[html.index('<nav class="md-nav md-nav--primary"'):]
    assert "calendar/agenda.html" in nav
    assert "calendar/posts/" not in nav


def test_cadence_dashboard_and_channel_pages(example_site):
    cadence = read(example_site / "calendar" / "cadence.html")
    assert cadence.count('class="sc-heat"') == 2  # December and January
    assert "max_silence" in cadence  # the example's Bluesky silence over new year
    channel = read(example_site / "calendar" / "channels" / "mastodon.html")
    assert "max_per_day" in channel and "https://mastodon.social" in channel
    assert "MASTODON_TOKEN" not in channel
    assert "calendar-mastodon.ics" in channel


def test_no_page_refers_to_another_host_for_a_resource(example_site):
    for page in example_site.rglob("*.html"):
        for tag, attrs in Elements(read(page)).tags:
            for name in ("src", "srcset", "data") + (("href",) if tag == "link" and attrs.get("rel") != "canonical"
                                                      else ()):
                value = attrs.get(name) or ""
                assert not re.match(r"^(https?:)?//", value), f"{page}: <{tag} {name}={value}>"


def test_feeds_parse_and_are_in_utc(example_site):
    feed = Calendar.from_ical((example_site / "calendar.ics").read_bytes())
    events = feed.walk("VEVENT")
    assert len(events) > 40
    uids = [str(event["UID"]) for event in events]
    assert len(uids) == len(set(uids))
    for event in events:
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
        assert str(event["URL"]).startswith("http") and "/calendar/posts/" in str(event["URL"])
    mastodon = Calendar.from_ical((example_site / "calendar-mastodon.ics").read_bytes())
    assert {str(e["UID"]).split("@")[0].rsplit(".", 1)[1] for e in mastodon.walk("VEVENT")} == {"mastodon"}


def test_feed_uids_survive_an_edit_of_title_and_time(repo, tmp_path):
    repo.post("cake", """\
        title: Winter cake
        publish_at: 2026-12-05 10:00
        channels: [mastodon, bluesky]
        """)
    site = build_repo_site(repo.root)
    before = {str(e["UID"]): e for e in Calendar.from_ical((site / "calendar.ics").read_bytes()).walk("VEVENT")}
    repo.post("cake", """\
        title: Winter cake, now with plums
        publish_at: 2026-12-06 15:30
        channels: [mastodon, bluesky]
        """)
    site = build_repo_site(repo.root)
    after = {str(e["UID"]): e for e in Calendar.from_ical((site / "calendar.ics").read_bytes()).walk("VEVENT")}
    assert set(before) == set(after) == {"cake.mastodon@social-media-as-code", "cake.bluesky@social-media-as-code"}
    event = after["cake.mastodon@social-media-as-code"]
    assert event.decoded("DTSTART") == datetime(2026, 12, 6, 14, 30, tzinfo=UTC)
    assert "plums" in str(event["SUMMARY"])
    assert before["cake.mastodon@social-media-as-code"].decoded("DTSTART") == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_hostile_content_stays_text(repo):
    write_hostile_posts(repo)
    write_ledger(repo.root, [
        {"post": "xss-media", "channel": "mastodon", "part": 1, "state": "published", "at": "2026-12-03T09:00:00Z",
         "url": "javascript:alert('xss-ledger')"},
        {"post": "xss-media", "channel": "linkedin", "part": 1, "state": "failed", "at": "2026-12-03T09:00:00Z",
         "error": "<script>alert('xss-error')</script>"},
    ])
    site = build_repo_site(repo.root, now="2026-12-04 08:00")
    for page in site.rglob("*.html"):
        html = read(page)
        for tag, attrs in Elements(html).tags:
            assert not any(name.startswith("on") for name in attrs), f"{page}: <{tag} {attrs}>"
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").strip().lower().startswith(("javascript:", "data:text")), page
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, page
    post = read(site / "calendar" / "posts" / "xss-media.html")
    assert "&lt;script&gt;alert(&#39;xss-error&#39;)&lt;/script&gt;" in post
    assert "the live post" not in post  # a javascript: URL from the ledger is no link


def test_ledger_states_on_the_post_page(repo):
    repo.post("sent", """\
        title: Sent
        publish_at: 2026-12-02 10:00
        channels: [mastodon, bluesky, linkedin, outbox]
        """)
    repo.post("draft", """\
        title: Not yet
        publish_at: 2026-12-09 10:00
        channels: [mastodon]
        status: draft
        """)
    write_ledger(repo.root, [
        {"post": "sent", "channel": "mastodon", "part": 1, "state": "published", "at": "2026-12-02T09:00:05Z",
         "url": "https://mastodon.example/@bakery/1"},
        {"post": "sent", "channel": "bluesky", "part": 1, "state": "failed", "at": "2026-12-02T09:00:06Z",
         "error": "rate limited"},
        {"post": "sent", "channel": "linkedin", "part": 1, "state": "missed", "at": "2026-12-02T19:00:00Z"},
        {"post": "sent", "channel": "outbox", "part": 1, "state": "deleted", "at": "2026-12-02T19:00:00Z"},
    ])
    site = build_repo_site(repo.root, now="2026-12-03 08:00")
    html = read(site / "calendar" / "posts" / "sent.html")
    assert '<a href="https://mastodon.example/@bakery/1" rel="nofollow noopener">the live post</a>' in html
    assert "rate limited" in html and "missed (too late to post)" in html and "retracted" in html
    assert "sc-s-draft" in read(site / "calendar" / "posts" / "draft.html")


def test_week_start_and_days_over_the_limit(repo):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nweek_start: sunday\n"
               "defaults:\n  cadence: {max_per_day: 2}\nchannels:\n  outbox:\n    network: outbox\n")
    for hour in (9, 11, 13):
        repo.post(f"p{hour}", f"""\
            publish_at: 2026-12-08 {hour}:00
            channels: [outbox]
            """)
    site = build_repo_site(repo.root)
    html = read(site / "calendar" / "2026-12.html")
    assert re.findall(r'<th scope="col">(\w+)</th>', html)[:7] == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert html.count("sc-over") == 1 and "outbox: 3 posts, limit 2" in html


def test_a_docs_page_in_the_way_stops_the_build(repo):
    (repo.root / "docs" / "calendar").mkdir(parents=True)
    (repo.root / "docs" / "calendar" / "agenda.md").write_text("# Mine\n", encoding="utf-8")
    with pytest.raises((PluginError, Abort)):
        build_repo_site(repo.root)


def test_last_change_comes_from_git(repo):
    repo.post("cake", "publish_at: 2026-12-05 10:00\nchannels: [mastodon]\n")
    git = ["git", "-c", "user.name=Hanna Baker", "-c", "user.email=h@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=repo.root, check=True)
    subprocess.run([*git, "add", "content"], cwd=repo.root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Cake post"], cwd=repo.root, check=True)
    changes = last_changes(repo.root)
    assert changes["content/posts/2026/12/cake.md"].author == "Hanna Baker"
    html = read(build_repo_site(repo.root) / "calendar" / "posts" / "cake.html")
    assert "Hanna Baker" in html and "Cake post" in html


def test_without_git_the_site_still_builds(tmp_path):
    assert last_changes(tmp_path) == {}
    assert parse_log("garbage") == {}


def test_helpers():
    assert web_url("https://example.com/a") == "https://example.com/a"
    assert web_url("javascript:alert(1)") is None and web_url("//evil.example") is None
    assert web_url("data:text/html,<b>") is None and web_url(None) is None
    assert slug("launch") == "launch" and slug("<b>") != slug("b") and "/" not in slug("a/../b")
    html = str(text_html("Hi <b> https://example.com/x #bread @anna\nnext"))
    assert html.startswith("Hi &lt;b&gt; <a href=\"https://example.com/x\"")
    assert '<span class="sc-tag">#bread</span>' in html and "<br>next" in html


def write_ledger(root: Path, records: list[dict]) -> None:
    (root / "state").mkdir(exist_ok=True)
    (root / "state" / "ledger.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_feeds_from_a_forked_process_equal_those_made_here(example_site):
    from pipeline.content.load import load_content
    from pipeline.site.calendar import build_calendar
    from pipeline.site.feeds import feeds, feeds_in_background, fold
    from pipeline.times import parse_now

    content = load_content(REPO)
    calendar = build_calendar(content, [], parse_now("2026-12-03 08:00", content.config.zone))
    here = feeds(calendar, lambda view: view.id)
    assert feeds_in_background(calendar, lambda view: view.id, threshold=0)() == here
    line = "DESCRIPTION:" + "Brot é€😀\\, " * 40
    assert fold(line).decode().replace("\r\n ", "") == line
    assert all(len(piece) <= 75 for piece in fold(line).split(b"\r\n"))


def test_the_longest_names_validation_allows_still_make_pages(repo):
    """Ids, tags and channel ids at their limits: a page name stays far below 255 bytes."""
    long_id, long_tag = "a" * 100, "Sourdough" * 11 + "x"
    repo.post("long", f"id: {long_id}\npublish_at: 2026-12-02 09:00\nchannels: [mastodon]\ntags: [{long_tag}]")
    site = build_repo_site(repo.root, now="2026-12-01 08:00")
    pages = [page.name for page in site.rglob("*.html")]
    assert max(len(name.encode()) for name in pages) < 100
    post_pages = [p for p in (site / "calendar" / "posts").glob("a*.html")]
    assert len(post_pages) == 1 and long_tag in read(post_pages[0])
