"""The calendar feeds keep the future and a window of the past, so a subscribed calendar app can hold them.

Ten thousand generated posts (benchmarks/generate.py: six a day for four and a half years)
made a feed of several megabytes that calendar apps refuse or time out on; the archive is
the site's, the feeds carry what a subscriber plans with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("icalendar")

from icalendar import Calendar
from mkdocs.exceptions import Abort
from sitebuild import build_repo_site

from benchmarks.generate import generate
from pipeline.content.load import load_content
from pipeline.site.calendar import build_calendar
from pipeline.site.feeds import DEFAULT_PAST, feeds
from pipeline.times import parse_now

POSTS = 10_000


@pytest.fixture(scope="module")
def big_calendar(tmp_path_factory):
    """10,000 posts from 2027-01-04, six a day; now is two months before the last of them."""
    root = generate(POSTS, tmp_path_factory.mktemp("big") / "repo")
    content = load_content(root)
    assert len(content.usable_posts()) == POSTS
    now = parse_now("2031-04-01 12:00", content.config.zone)
    return build_calendar(content, [], now)


def events(data: bytes) -> dict[str, datetime]:
    return {str(e["UID"]): e.decoded("DTSTART") for e in Calendar.from_ical(data).walk("VEVENT")}


def expected_uids(calendar, since: datetime, channel: str | None = None) -> set[str]:
    return {f"{view.id}.{c}@social-media-as-code" for view in calendar.timed() if view.post.publish_at >= since
            for c in view.channels_in(calendar.config) if channel in (None, c)}


def test_feeds_of_ten_thousand_posts_hold_the_future_and_ninety_days(big_calendar):
    calendar = big_calendar
    data = feeds(calendar, lambda view: f"https://calendar.example/calendar/posts/{view.slug}.html")
    since = calendar.now - DEFAULT_PAST
    assert timedelta(days=90) == DEFAULT_PAST
    every = events(data[None])
    assert set(every) == expected_uids(calendar, since)
    assert all(start >= since for start in every.values())  # nothing older than the window
    assert any(start > calendar.now for start in every.values())  # the future is all there
    last = max(view.post.publish_at for view in calendar.timed())
    assert max(every.values()) == last.astimezone(UTC)
    # ~150 days of six posts on about two channels each: a few hundred kilobytes, where all
    # 10,000 posts made 9 MB
    assert len(data[None]) < 1_500_000, len(data[None])
    for channel in calendar.channel_ids:
        assert set(events(data[channel])) == expected_uids(calendar, since, channel)
        assert len(data[channel]) <= len(data[None])


def test_the_window_is_an_option_of_the_feeds(big_calendar):
    calendar = big_calendar
    none_past = events(feeds(calendar, lambda view: view.id, past=timedelta(0))[None])
    assert set(none_past) == expected_uids(calendar, calendar.now)
    week = events(feeds(calendar, lambda view: view.id, past=timedelta(days=7))[None])
    assert set(week) == expected_uids(calendar, calendar.now - timedelta(days=7))
    assert set(none_past) < set(week)


def test_the_plugin_option_sets_the_window(repo):
    for day, name in ((2, "old"), (25, "recent")):
        repo.post(name, f"title: {name}\npublish_at: 2026-11-{day:02d} 10:00\nchannels: [mastodon]\n")
    repo.post("next", "title: next\npublish_at: 2026-12-05 10:00\nchannels: [mastodon]\n")
    site = build_repo_site(repo.root, now="2026-12-01 08:00", options={"feed_past_days": 10})
    assert {uid.split(".")[0] for uid in events((site / "calendar.ics").read_bytes())} == {"recent", "next"}
    assert {uid.split(".")[0] for uid in events((site / "calendar-mastodon.ics").read_bytes())} == {"recent", "next"}
    assert (site / "calendar" / "posts" / "old.html").is_file()  # the archive stays on the site
    site = build_repo_site(repo.root, now="2026-12-01 08:00")  # the default: 90 days
    assert {uid.split(".")[0] for uid in events((site / "calendar.ics").read_bytes())} == {"old", "recent", "next"}


@pytest.mark.parametrize("value", [-1, "soon", True])
def test_a_window_that_is_no_number_of_days_is_refused_with_the_option_named(repo, caplog, value):
    with pytest.raises(Abort):
        build_repo_site(repo.root, options={"feed_past_days": value})
    assert "feed_past_days" in caplog.text
