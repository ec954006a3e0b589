"""The calendar site of 10,000 posts against plain mkdocs building the same pages, in the same run.

    python benchmarks/site_speed.py [--posts 10000] [--repeat 2]

The site: `mkdocs build` with the `social-calendar` plugin on a generated repository
(benchmarks/generate.py), which loads every post, reads the ledger, renders every post
for each of its channels, runs cadence and writes every page and feed; then the same
build again after one post changed, using the post pages the cold build kept in
.social-cache/site/ (each cold build starts without them).
The floor: the same generated pages (the plugin's Markdown, written to a temp docs/
beforehand) built by plain mkdocs with the same theme, search and navigation, no plugin.
All run as fresh processes, best of --repeat. Targets: at most 0.5x the floor, and a
rebuild after one post changed at most 0.25x the cold build.
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

from measure import Run, generated, run_once  # noqa: E402

NOW = "2027-06-01 08:00"
PAGE_CACHE = ".social-cache/site"  # the plugin's kept post pages (pipeline/site/pagecache.py)

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
extra_css: [assets/social-calendar.css, assets/social-growth.css]
extra_javascript: [assets/social-calendar.js]
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
    from pipeline.growth.history import METRICS_FILE, read_history
    from pipeline.render.render import Renderer
    from pipeline.site.calendar import build_calendar
    from pipeline.site.feeds import feeds
    from pipeline.site.growth import growth_view
    from pipeline.site.pages import SitePages, feed_uri, media_files
    from pipeline.site.plugin import ASSETS, SCRIPT, STYLESHEETS
    from pipeline.state.ledger import STATE_DIR, Ledger
    from pipeline.times import parse_now

    content = load_content(data)
    calendar = build_calendar(content, Ledger(data).latest(), parse_now(NOW, content.config.zone))
    media = media_files(data, content.usable_posts())
    growth = growth_view(read_history(data / STATE_DIR / METRICS_FILE, source=f"{STATE_DIR}/{METRICS_FILE}"),
                         calendar.zone)
    pages = SitePages(calendar, Renderer(data, content.config), media={p: f"calendar/{p}" for p in media},
                      growth=growth)
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
    for asset in (*STYLESHEETS, SCRIPT):
        (docs / asset).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ASSETS / Path(asset).name, docs / asset)
    for channel, data_bytes in feeds(calendar, lambda view: pages.url(pages.post_uri(view))).items():
        (docs / feed_uri(channel)).write_bytes(data_bytes)
    return count


def _best(runs: list[Run]) -> Run:
    return Run(min(r.wall for r in runs), min(r.cpu for r in runs), max(r.peak_mib for r in runs))


def measure_site(posts: int, repeat: int) -> dict:
    """Best runs of plain mkdocs on the plugin's pages, of the site cold, and of the site rebuilt after
    one post changed; and the count of pages."""
    data = generated(posts)
    files = sorted((data / "content" / "posts").rglob("*.md"))
    changing = files[len(files) // 2]
    original = changing.read_text(encoding="utf-8")
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
        floor, cold, changed = [], [], []
        try:
            for number in range(repeat):
                floor.append(run_once([*build, str(temp / "floor-out")], cwd=floor_dir, env=env))
                shutil.rmtree(temp / "site-out", ignore_errors=True)
                shutil.rmtree(data / PAGE_CACHE, ignore_errors=True)  # cold: no post page kept either
                cold.append(run_once([*build, str(temp / "site-out")], cwd=site_dir, env=env))
                changing.write_text(original.rstrip("\n") + f" Changed in round {number}.\n", encoding="utf-8")
                changed.append(run_once([*build, str(temp / "site-out")], cwd=site_dir, env=env))
        finally:
            changing.write_text(original, encoding="utf-8")
    return {"pages": pages + 1, "floor": _best(floor), "cold": _best(cold), "changed": _best(changed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    figures = measure_site(args.posts, args.repeat)
    floor, cold, changed = figures["floor"], figures["cold"], figures["changed"]
    print(f"posts: {args.posts}, pages: {figures['pages']}, best of {args.repeat} (wall, cpu, peak memory)")
    print(f"floor: plain mkdocs, same pages   {floor.wall:6.2f} s  {floor.cpu:6.2f} s cpu  {floor.peak_mib:5.0f} MiB")
    print(f"site: mkdocs + social-calendar    {cold.wall:6.2f} s  {cold.cpu:6.2f} s cpu  {cold.peak_mib:5.0f} MiB   "
          f"{cold.wall / floor.wall:.2f}x  {cold.cpu / floor.cpu:.2f}x")
    print(f"site, one post changed            {changed.wall:6.2f} s  {changed.cpu:6.2f} s cpu  "
          f"{changed.peak_mib:5.0f} MiB   {changed.wall / cold.wall:.2f}x the cold build")
    print("targets: at most 0.5x the floor; after one post changed, at most 0.25x the cold build")


if __name__ == "__main__":
    main()
