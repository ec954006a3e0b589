"""The calendar site of a repository of several brands: one calendar per brand under
calendar/<brand>/, an overview of every brand, a brand switcher in the navigation, and
each brand's own feeds. A repository of one brand builds as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from conftest import REPO, ContentRepo
from icalendar import Calendar as ICalendar
from mkdocs.exceptions import Abort, PluginError
from sitebuild import build_site

AGENCY = REPO / "examples" / "agency"
NOW = "2026-12-01 08:00"


@pytest.fixture(scope="module")
def agency_site(tmp_path_factory) -> Path:
    """The agency example's site, from a copy (so no outbox or site lands in the example)."""
    work = tmp_path_factory.mktemp("agency")
    shutil.copytree(AGENCY, work / "agency", ignore=shutil.ignore_patterns("site", "outbox", "state"))
    return build_site(work / "agency" / "mkdocs.yml", work / "site", now=NOW)


def test_each_brand_has_its_calendar_under_its_name(agency_site):
    for brand in ("bakery", "cafe", "flowers"):
        folder = agency_site / "calendar" / brand
        for page in ("index.html", "agenda.html", "channels/index.html", "tags/index.html", "cadence.html",
                     "2026-12.html"):
            assert (folder / page).is_file(), f"{brand}: {page}"
    assert (agency_site / "calendar" / "cafe" / "posts" / "advent-sundays.html").is_file()
    assert not (agency_site / "calendar" / "bakery" / "posts" / "advent-sundays.html").exists()


def test_times_are_in_each_brands_own_zone(agency_site):
    cafe = (agency_site / "calendar" / "cafe" / "agenda.html").read_text()
    flowers = (agency_site / "calendar" / "flowers" / "agenda.html").read_text()
    assert "Europe/Vienna" in cafe and "Europe/Amsterdam" in flowers


def test_the_overview_shows_every_brand_with_its_next_posts(agency_site):
    html = (agency_site / "calendar" / "index.html").read_text()
    for title in ("Crumb &amp; Co.", "Café Mokka", "Petal &amp; Stem"):
        assert title in html
    assert 'href="cafe/index.html"' in html and 'href="flowers/agenda.html"' in html
    assert 'href="cafe/posts/advent-sundays.html"' in html  # the next post, linked
    assert "Europe/Vienna" in html


def test_the_navigation_switches_between_brands(agency_site):
    html = (agency_site / "calendar" / "cafe" / "agenda.html").read_text()
    # every brand's section is in the navigation of every page, under its title
    for title in ("Crumb &amp; Co.", "Café Mokka", "Petal &amp; Stem"):
        assert title in html
    for target in ("../bakery/index.html", "../flowers/agenda.html", "../index.html"):
        assert f'href="{target}"' in html


def test_each_brand_has_its_own_feeds(agency_site):
    for brand, channel in (("bakery", "mastodon"), ("cafe", "telegram"), ("flowers", "linkedin")):
        folder = agency_site / "calendar" / brand
        feed = ICalendar.from_ical((folder / "calendar.ics").read_bytes())
        assert feed.walk("VEVENT"), brand
        assert (folder / f"calendar-{channel}.ics").is_file()
        channels = (folder / "channels" / "index.html").read_text()
        assert f'href="../calendar-{channel}.ics"' in channels
        agenda = (folder / "agenda.html").read_text()
        assert 'href="calendar.ics"' in agenda
    assert not (agency_site / "calendar.ics").exists()


def test_media_of_a_brand_are_under_its_calendar(tmp_path):
    root = tmp_path / "agency"
    for brand in ("one", "two"):
        repo = ContentRepo(root / "brands" / brand)
        (repo.root / "content" / "media").mkdir()
        (repo.root / "content" / "media" / "photo.png").write_bytes(
            (REPO / "content" / "media" / "profile-avatar.png").read_bytes())
        repo.post(f"{brand}-photo", "publish_at: 2026-12-02 10:00\nchannels: [outbox]\n"
                  "media:\n  - path: media/photo.png\n    alt: A photo", month="2026/12")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Agency\n")
    (root / "mkdocs.yml").write_text(
        "site_name: Agency\nsite_url: https://calendar.example/\nuse_directory_urls: false\n"
        "theme: {name: material, font: false}\n"
        "plugins:\n  - search\n  - social-calendar:\n      brands: true\n      git: false\n")
    site = build_site(root / "mkdocs.yml", tmp_path / "site", now=NOW)
    assert (site / "calendar" / "one" / "media" / "photo.png").is_file()
    assert (site / "calendar" / "two" / "media" / "photo.png").is_file()
    # without a nav in mkdocs.yml, mkdocs' own navigation lists each brand's pages
    assert 'href="calendar/two/agenda.html"' in (site / "index.html").read_text()


def test_brands_mode_without_brands_says_what_to_do(repo, tmp_path, caplog):
    repo.post("a", "publish_at: 2026-12-02 10:00\nchannels: [outbox]")
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "index.md").write_text("# Hi\n")
    (repo.root / "mkdocs.yml").write_text(
        "site_name: X\ntheme: {name: material, font: false}\n"
        "plugins:\n  - social-calendar:\n      brands: true\n")
    with pytest.raises((PluginError, Abort)):
        build_site(repo.root / "mkdocs.yml", tmp_path / "site", now=NOW)
    assert "brands: true, but" in caplog.text and "has no brands/ folder" in caplog.text


def test_a_broken_brand_stops_the_build_naming_it(tmp_path, caplog):
    root = tmp_path / "agency"
    shutil.copytree(AGENCY, root, ignore=shutil.ignore_patterns("site", "outbox", "state"))
    channels = root / "brands" / "cafe" / "content" / "channels.yml"
    channels.write_text(channels.read_text().replace("timezone: Europe/Vienna", "timezone: Mars/Olympus"))
    with pytest.raises((PluginError, Abort)):
        build_site(root / "mkdocs.yml", tmp_path / "site", now=NOW)
    assert "brands/cafe cannot be used" in caplog.text and "Mars/Olympus" in caplog.text


def test_the_search_index_finds_each_brands_posts_under_its_own_calendar(agency_site):
    index = json.loads((agency_site / "search" / "search_index.json").read_text())
    posts = {doc["location"].split("/")[1] for doc in index["docs"]
             if doc["location"].startswith("calendar/") and "/posts/" in doc["location"]}
    assert posts == {path.name for path in (agency_site / "calendar").iterdir()
                     if (path / "posts").is_dir()} and len(posts) == 3


def test_a_brand_whose_ledger_cannot_be_read_stops_the_build_naming_it_without_a_traceback(tmp_path, caplog):
    root = tmp_path / "agency"
    shutil.copytree(AGENCY, root, ignore=shutil.ignore_patterns("site", "outbox", "state"))
    (root / "brands" / "cafe" / "state" / "ledger.jsonl").mkdir(parents=True)  # a folder, not a file
    with pytest.raises((PluginError, Abort)):
        build_site(root / "mkdocs.yml", tmp_path / "site", now=NOW)
    assert f"social-calendar: {root / 'brands' / 'cafe' / 'state' / 'ledger.jsonl'}" in caplog.text


def test_each_brand_has_its_growth_page_from_its_own_metrics(tmp_path):
    root = tmp_path / "agency"
    shutil.copytree(AGENCY, root, ignore=shutil.ignore_patterns("site", "outbox", "state"))
    (root / "brands" / "cafe" / "state").mkdir()
    shutil.copy(REPO / "docs" / "sample-data" / "metrics.jsonl", root / "brands" / "cafe" / "state" / "metrics.jsonl")
    site = build_site(root / "mkdocs.yml", tmp_path / "site", now=NOW)
    cafe = (site / "calendar" / "cafe" / "growth.html").read_text()
    assert "From state/metrics.jsonl" in cafe and "No metrics yet" not in cafe
    assert "No metrics yet" in (site / "calendar" / "bakery" / "growth.html").read_text()
    # in the brand's section of the navigation
    assert 'href="../cafe/growth.html"' in (site / "calendar" / "bakery" / "agenda.html").read_text()
