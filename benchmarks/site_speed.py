"""The calendar site of 10,000 posts against plain mkdocs building the same pages, in the same run.

    python benchmarks/site_speed.py [--posts 10000] [--repeat 2]

The site: `mkdocs build` with the `social-calendar` plugin on a generated repository
(benchmarks/generate.py), which loads every post, reads the ledger, renders every post
for each of its channels, runs cadence and writes every page and feed.
The floor: the same generated pages (the plugin's Markdown, written to a temp docs/
beforehand) built by plain mkdocs with the same theme, search and navigation, no plugin.
Both run as fresh processes, best of --repeat. Targets: under 60 s, at most 1.5x the floor.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import best_time, generated  # noqa: E402

NOW = "2027-06-01 08:00"

COMMON = """\
site_name: Benchmark calendar
site_url: https://calendar.example/
use_directory_urls: false
theme:
  name: material
  font: false
nav:
  - Home: index.md
  - This month: calendar/index.md
  - Agenda: calendar/agenda.md
  - Channels: calendar/channels/index.md
  - Tags: calendar/tags/index.md
  - Cadence: calendar/cadence.md
"""

SITE = COMMON + f"""\
plugins:
  - search
  - social-calendar:
      now: "{NOW}"
"""

# The plugin marks every generated page but the index pages as not in the navigation.
FLOOR = COMMON + """\
extra_css: [assets/social-calendar.css]
plugins:
  - search
not_in_nav: |
  /calendar/*.md
  /calendar/posts/
  /calendar/channels/
  /calendar/tags/
"""


def write_floor_docs(data: Path, docs: Path) -> int:
    """The plugin's generated pages and files as plain files under `docs`; returns the page count."""
    from pipeline.content.load import load_content
    from pipeline.render.render import Renderer
    from pipeline.site.calendar import build_calendar
    from pipeline.site.feeds import feed
    from pipeline.site.pages import SitePages, feed_uri, media_files
    from pipeline.site.plugin import ASSETS, STYLESHEET
    from pipeline.state.ledger import Ledger
    from pipeline.times import parse_now

    content = load_content(data)
    calendar = build_calendar(content, Ledger(data).latest(), parse_now(NOW, content.config.zone))
    media = media_files(data, content.usable_posts())
    pages = SitePages(calendar, Renderer(data, content.config), media={p: f"calendar/{p}" for p in media})
    count = 0
    for page in pages.all():
        target = docs / page.src_uri
        target.parent.mkdir(parents=True, exist_ok=True)
        # Out of the search index, as the floor always had them: the site indexes a short summary
        # of each post, channel and tag page, which plain mkdocs cannot; its cost shows in the ratio.
        target.write_text(replace(page, search=None).markdown, encoding="utf-8")
        count += 1
    for path, source in media.items():
        (docs / "calendar" / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, docs / "calendar" / path)
    (docs / STYLESHEET).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ASSETS / "social-calendar.css", docs / STYLESHEET)
    (docs / feed_uri()).write_bytes(feed(calendar, lambda view: pages.url(pages.post_uri(view))))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = generated(args.posts)
    with tempfile.TemporaryDirectory(prefix="site-speed-") as temp:
        temp = Path(temp)
        site_dir = temp / "site-project"
        (site_dir / "docs").mkdir(parents=True)
        (site_dir / "docs" / "index.md").write_text("# Benchmark calendar\n", encoding="utf-8")
        (site_dir / "mkdocs.yml").write_text(SITE.replace("now:", f"content_root: {data}\n      now:"),
                                             encoding="utf-8")
        floor_dir = temp / "floor-project"
        (floor_dir / "docs").mkdir(parents=True)
        (floor_dir / "docs" / "index.md").write_text("# Benchmark calendar\n", encoding="utf-8")
        (floor_dir / "mkdocs.yml").write_text(FLOOR, encoding="utf-8")
        pages = write_floor_docs(data, floor_dir / "docs")
        build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir"]
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        floor = best_time([*build, str(temp / "floor-out")], args.repeat, cwd=floor_dir, env=env)
        site = best_time([*build, str(temp / "site-out")], args.repeat, cwd=site_dir, env=env)
    print(f"posts: {args.posts}, pages: {pages + 1}, best of {args.repeat} (wall, cpu)")
    print(f"floor: plain mkdocs, same pages   {floor[0]:6.2f} s  {floor[1]:6.2f} s cpu")
    print(f"site: mkdocs + social-calendar    {site[0]:6.2f} s  {site[1]:6.2f} s cpu   "
          f"{site[0] / floor[0]:.2f}x  {site[1] / floor[1]:.2f}x")
    print("targets: under 60 s, at most 1.5x the floor")


if __name__ == "__main__":
    main()
