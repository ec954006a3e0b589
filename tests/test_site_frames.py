"""The theme's page around generated pages comes from a frame: the same bytes as the theme's own."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

pytest.importorskip("mkdocs")

from site_corpus import write_hostile_posts
from sitebuild import REPO, build_repo_site, build_site

from pipeline.site import frames
from pipeline.site.frames import ThemeFrames, parse_frame


def fake_page(title: str, content: str, folder: str = "calendar/posts", name: str = "a", **meta):
    return SimpleNamespace(
        meta={"title": title, **meta}, content=content, canonical_url=f"https://x.example/{folder}/{name}.html",
        url=f"{folder}/{name}.html",
        file=SimpleNamespace(dest_uri=f"{folder}/{name}.html", src_uri=f"{folder}/{name}.md"),
        parent=None, previous_page=None, next_page=None, is_homepage=False, edit_url=None)


def theme(source: str):
    template = jinja2.Environment().from_string(source)
    return lambda context: template.render(context)


TITLES = ["Plain", "Q&amp;A &lt;now&gt;", "It&#39;s <em>here</em>", "  spaced   out  ", "", "Ünïcode — ok"]
CONTENTS = ["<p>one</p>", "<h1>Own heading</h1><p>x</p>", "<p>a &amp; b</p>"]


@pytest.mark.parametrize("source", [
    "<title>{{ page.meta.title }}</title><main>{{ page.content }}</main>",
    "<title>{{ page.title | default(page.meta.title) | striptags }} - Site</title>"
    "<a href=\"{{ page.canonical_url }}\">{{ page.meta.title | e }}</a>{{ page.content }}",
    "{% if '<h1' not in page.content %}<h1>{{ page.meta.title }}</h1>{% endif %}{{ page.content }}"
    "<span title=\"{{ page.meta.title | striptags | e }}\"></span>",
])
def test_filled_pages_equal_the_themes(source):
    template = theme(source)
    shown = ThemeFrames(template)
    for number, (title, content) in enumerate((t, c) for t in TITLES for c in CONTENTS):
        page = fake_page(title, content, name=f"p{number}")
        assert shown.render({"page": page}) == template({"page": page}), (title, content)
    assert shown.filled > 0


@pytest.mark.parametrize("source", [
    "<title>{{ page.meta.title | truncate(5) }}</title>{{ page.content }}",   # a filter the frame cannot redo
    "<a href=\"{{ page.url }}\">{{ page.meta.title }}</a>{{ page.content }}",  # a field it does not mark
    "{{ page.meta.title | length }}{{ page.content }}",                         # the mark's ends are gone
    "{{ page.content[:20] }}",                                                  # cut short
])
def test_a_theme_that_prints_more_of_the_page_renders_every_page_itself(source):
    template = theme(source)
    shown = ThemeFrames(template)
    for number, title in enumerate(TITLES * 3):
        page = fake_page(title, f"<p>text {number}</p>", name=f"p{number}")
        assert shown.render({"page": page}) == template({"page": page})
    assert shown.filled == 0


def test_pages_in_the_nav_or_of_other_folders_do_not_share_a_frame():
    template = theme("{{ page.meta.title }}{{ page.content }}")
    shown = ThemeFrames(template)
    in_nav = fake_page("T", "<p>c</p>")
    in_nav.parent = object()
    assert shown.group(in_nav) is None
    assert shown.group(fake_page("T", "c", "calendar")) != shown.group(fake_page("T", "c", "calendar/posts"))
    assert shown.group(fake_page("T", "c", hide=["toc"])) != shown.group(fake_page("T", "c"))


def test_parse_frame_refuses_a_mark_without_its_end():
    assert parse_frame("x SCFRAMEMARKtitleBEGINabc", {"title": "abc"}) is None
    assert parse_frame("plain", {}).fill({}) == "plain"


def every_file(site: Path) -> list[Path]:
    return sorted(path.relative_to(site) for path in site.rglob("*") if path.is_file())


def assert_same_sites(one: Path, other: Path) -> None:
    assert every_file(one) == every_file(other)
    for path in every_file(one):
        if path.name == "sitemap.xml.gz":  # gzip keeps the time it was written
            continue
        assert filecmp.cmp(one / path, other / path, shallow=False), path


@pytest.fixture
def theme_only(monkeypatch):
    """Call it to have the theme render every page from then on (no frames); before, it checks that
    frames made most generated pages."""
    made: list[ThemeFrames] = []
    init = frames.ThemeFrames.__init__

    def keep(self, template):
        init(self, template)
        made.append(self)

    monkeypatch.setattr(frames.ThemeFrames, "__init__", keep)

    def use_theme():
        assert made and made[-1].filled > 0
        monkeypatch.setattr(frames.ThemeFrames, "render", lambda self, context: self.template(context))
    return use_theme


def test_the_example_site_is_the_same_with_frames_as_without(tmp_path, theme_only):
    framed = build_site(REPO / "mkdocs.yml", tmp_path / "framed", now="2026-12-03 08:00")
    theme_only()
    plain = build_site(REPO / "mkdocs.yml", tmp_path / "plain", now="2026-12-03 08:00")
    assert_same_sites(framed, plain)


def test_hostile_titles_come_out_the_same_with_frames_as_without(repo, theme_only):
    write_hostile_posts(repo)
    framed = build_repo_site(repo.root, now="2026-12-04 08:00")
    shutil.move(framed, repo.root / "framed")
    theme_only()
    plain = build_repo_site(repo.root, now="2026-12-04 08:00")
    assert_same_sites(repo.root / "framed", plain)


def test_post_pages_made_in_worker_processes_equal_those_made_here():
    from pipeline.content.load import load_content
    from pipeline.render.render import Renderer
    from pipeline.site.calendar import build_calendar
    from pipeline.site.pages import SitePages
    from pipeline.times import parse_now
    from pipeline.validation.fanout import can_fork

    if not can_fork():
        pytest.skip("no fork here: the pages are always made in this process")
    content = load_content(REPO)
    calendar = build_calendar(content, [], parse_now("2026-12-03 08:00", content.config.zone))
    pages = SitePages(calendar, Renderer(REPO, content.config))
    here = list(pages.all())
    assert list(pages.all(workers=2)) == here
    assert len([page for page in here if "/posts/" in page.src_uri]) == len(calendar.posts) > 1
