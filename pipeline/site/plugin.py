"""The mkdocs plugin `social-calendar`: the content calendar's pages and feeds, built in memory.

    plugins:
      - search
      - social-calendar:
          content_root: .      # the folder holding content/ (relative to mkdocs.yml)
          now: ""              # pretend time (YYYY-MM-DD HH:MM local), default the clock
          brands: false        # true: content_root holds brands/; a calendar per brand (site/brands.py)
          metrics_sample: ""   # a metrics file shown as "sample data" while state/ has none
          feed_past_days: 90   # how far back the .ics feeds reach (the future is all there)
          sample_inbox: ""     # a JSON-lines inbox shown (labelled sample data) when state/ has none
          page_cache: true     # keep post pages in .social-cache/site/ and use them again (site/pagecache.py)

Nothing it generates is written to docs/: pages and feeds are mkdocs `File`s with
their content in memory, so `mkdocs serve` rebuilds them when a post changes.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import jinja2
from markupsafe import escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from pipeline.content.brands import list_brands
from pipeline.content.linkcards import load_link_cards
from pipeline.content.profiles import load_profiles
from pipeline.content.workspace import Workspace
from pipeline.errors import PipelineError, UsageError
from pipeline.growth.history import METRICS_FILE, read_history
from pipeline.render.render import Renderer
from pipeline.site.brands import BrandCalendar, brand_nav, overview_page
from pipeline.site.calendar import Calendar, LinkCardData, build_calendar, card_key
from pipeline.site.feeds import DEFAULT_PAST, feeds_in_background
from pipeline.site.frames import FRAME_TEMPLATE, ThemeFrames
from pipeline.site.gitlog import last_changes
from pipeline.site.growth import GrowthView, growth_view
from pipeline.site.pagecache import FeedEventCache, PostPageCache
from pipeline.site.pages import GeneratedPage, SitePages, media_files
from pipeline.state.inbox import Inbox
from pipeline.state.ledger import STATE_DIR
from pipeline.validation.cache import tree_digest

log = logging.getLogger(f"mkdocs.plugins.{__name__}")

ASSETS = Path(__file__).parent / "assets"
#: the calendar's stylesheet, and the Growth page's (kept apart: it has nothing to share)
STYLESHEETS = ("assets/social-calendar.css", "assets/social-growth.css")
SCRIPT = "assets/social-calendar.js"  # the month and agenda filter; the pages work without it
_SEARCH_DIALOG = 'data-md-component="search" role="dialog"'


class Days(c.OptionallyRequired[int]):
    """A whole number of days, 0 or more."""

    def run_validation(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"expected a whole number of days, 0 or more, but got {value!r}")
        return value


class CalendarConfig(base.Config):
    """The plugin's options in mkdocs.yml."""

    content_root = c.Type(str, default=".")
    """The folder holding content/ (and state/, templates/), relative to mkdocs.yml."""
    now = c.Type(str, default="")
    """Pretend it is this time (`YYYY-MM-DD HH:MM` local, or with an offset); empty: the clock."""
    prefix = c.Type(str, default="calendar")
    """The folder of the generated pages on the site."""
    agenda_days = c.Type(int, default=14)
    listed = c.Type(int, default=30)
    """How many upcoming and recent posts a channel page lists."""
    git = c.Type(bool, default=True)
    """Show each post's last change from `git log`."""
    brands = c.Type(bool, default=False)
    """content_root holds brands/<brand>/: a calendar per brand under <prefix>/<brand>/, an overview."""
    brand_titles = c.Type(dict, default={})
    """A brand's name on the site (its folder's name when not given)."""
    metrics_sample = c.Type(str, default="")
    """A metrics file (relative to mkdocs.yml) shown, labelled as sample data, while the repository
    has no state/metrics.jsonl; empty: the Growth page says there are no metrics yet."""
    feed_past_days = Days(default=DEFAULT_PAST.days)
    """How many days of the past the .ics feeds hold; the future is always all there."""
    page_cache = c.Type(bool, default=True)
    """Keep each post's page in .social-cache/site/ under content_root and use it again while nothing it
    shows changed (site/pagecache.py); false: make every page every build, write no cache."""
    sample_inbox = c.Type(str, default="")
    """A file like state/inbox.jsonl (relative to mkdocs.yml) for the Inbox page when state/inbox.jsonl
    does not exist, shown and labelled as sample data; empty: none."""


class CalendarPlugin(BasePlugin[CalendarConfig]):
    """Generates the calendar, agenda, post, channel, tag, cadence and growth pages, and the ICS feeds."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        self.search: dict[str, str] = {}  # src_uri -> the summary the search index gets instead of the page
        self._set_aside: dict[str, str] = {}  # src_uri -> its content while the search plugins look

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.config_dir = Path(config.config_file_path or ".").parent
        self.root = (self.config_dir / self.config.content_root).resolve()
        for sheet in STYLESHEETS:
            if sheet not in config.extra_css:
                config.extra_css.append(sheet)
        if SCRIPT not in [str(script) for script in config.extra_javascript]:
            config.extra_javascript.append(SCRIPT)
        self.roots = {"": self.root}
        if self.config.brands:
            self.roots = self._brand_roots()
            if config.nav is not None:
                config.nav = brand_nav(config.nav, self.config.prefix.strip("/"),
                                       [(name, self._title(name)) for name in self.roots])
        return config

    def on_serve(self, server, /, *, config: MkDocsConfig, builder):
        for root in self.roots.values():
            for folder in ("content", "templates", "state"):
                if (root / folder).is_dir():
                    server.watch(str(root / folder))
        return server

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.html, self.search = {}, {}
        if not self.config.brands:
            self._add_calendar(files, config, self.root, self.config.prefix, config.site_name)
        else:
            prefix = self.config.prefix.strip("/")
            shown = [BrandCalendar(name, self._title(name), self._add_calendar(
                         files, config, root, f"{prefix}/{name}", f"{config.site_name}: {self._title(name)}",
                         feeds=f"{prefix}/{name}"))
                     for name, root in self.roots.items()]
            page = overview_page(shown, f"{prefix}/index.md", use_directory_urls=config.use_directory_urls)
            self.html[page.src_uri] = page.html
            self._add(files, File.generated(config, page.src_uri, content=page.front_matter))
        for asset in (*STYLESHEETS, SCRIPT):
            self._add(files, File.generated(config, asset, abs_src_path=str(ASSETS / Path(asset).name)))
        return files

    def _add_calendar(self, files: Files, config: MkDocsConfig, root: Path, prefix: str, name: str, *,
                      feeds: str = "") -> SitePages:
        """Every page, media file and feed of the calendar of the content root `root`."""
        calendar = self.calendar(root)
        media = media_files(root, calendar.content.usable_posts(), calendar.images())
        pages = SitePages(
            calendar, Renderer(root, calendar.config), prefix=prefix,
            use_directory_urls=config.use_directory_urls, agenda_days=self.config.agenda_days,
            listed=self.config.listed, media={path: f"{prefix}/{path}" for path in media}, feeds=feeds,
            growth=self.growth(calendar, root))
        site_url = (config.site_url or "").rstrip("/")

        def post_url(view) -> str:
            return f"{site_url}/{pages.url(pages.post_uri(view))}" if site_url else pages.url(pages.post_uri(view))

        # An event shows its post, channel and page URL only (the key has them all).
        events = FeedEventCache(root, "feed event", enabled=self.config.page_cache)
        feed_files = feeds_in_background(calendar, post_url, name=name,
                                         past=timedelta(days=self.config.feed_past_days), kept=events)
        cache = PostPageCache(root, repr((
            str(root), prefix, config.use_directory_urls, feeds, sorted(pages.media.items()), calendar.config,
            calendar.profiles, calendar.link_cards, calendar.tag_slugs, calendar.colour,
            tree_digest(root, "templates"))), enabled=self.config.page_cache)
        for page in pages.all(workers=None, cache=cache):
            # The page's Markdown is only its front matter: its body is HTML already, put in
            # place in on_page_content, which spares Markdown parsing the HTML of 10,000 pages.
            self.html[page.src_uri] = page.html
            if page.search is not None:
                self.search[page.src_uri] = page.search
            file = File.generated(config, page.src_uri, content=page.front_matter,
                                  inclusion=InclusionLevel.UNDEFINED if page.in_nav else InclusionLevel.NOT_IN_NAV)
            self._add(files, file)
            if not page.in_nav:  # a nav entry names its page itself: those pages are mkdocs' to make
                HtmlPage(page, file, config)
        cache.save(calendar.posts)
        if cache.kept:
            log.debug("social-calendar: %d post page(s) from .social-cache/site/", cache.kept)
        for path, source in media.items():
            self._add(files, File.generated(config, f"{prefix}/{path}", abs_src_path=str(source)))
        for channel, data in feed_files().items():
            self._add(files, File.generated(config, pages.feed_uri(channel), content=data))
        events.save(calendar.posts)
        return pages

    def on_env(self, env, /, *, config: MkDocsConfig, files: Files):
        main = env.get_template("main.html")
        self.frames = ThemeFrames(main.render)
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({FRAME_TEMPLATE: "{{ social_calendar_frame() }}"}),
                                          env.loader])
        env.globals["social_calendar_frame"] = jinja2.pass_context(
            lambda context: self.frames.render(context.get_all()))
        return env

    def on_page_content(self, html: str, /, *, page, config: MkDocsConfig, files: Files) -> str:
        return self.html.get(page.file.src_uri, html)

    # Search plugins (mkdocs' own, Material's) index `page.content` in on_page_context: around
    # them, a generated page shows them its short summary, then gets its HTML back for the theme.
    @event_priority(100)
    def _show_search_summary(self, context, /, *, page, config: MkDocsConfig, nav):
        summary = self.search.get(page.file.src_uri)
        if summary is not None and page.content is not None:
            self._set_aside[page.file.src_uri] = page.content
            page.content = summary
        return context

    @event_priority(-100)
    def _put_page_back(self, context, /, *, page, config: MkDocsConfig, nav):
        content = self._set_aside.pop(page.file.src_uri, None)
        if content is not None:
            page.content = content
        return context

    on_page_context = CombinedEvent(_show_search_summary, _put_page_back)

    def on_post_page(self, output: str, /, *, page, config: MkDocsConfig) -> str:
        # The theme's search dialog has no accessible name (axe-core: aria-dialog-name).
        return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG + ' aria-label="Search"', 1)

    def calendar(self, root: Path | None = None) -> Calendar:
        """Load the content, the ledger and git of `root` (default: content_root), once per build."""
        root = root or self.root
        try:
            workspace = Workspace(root, now_text=self.config.now or None)
        except UsageError as exc:
            raise PluginError(f"social-calendar: option now: {exc}") from None
        if workspace.config is None:
            problems = "; ".join(f"{f.file}:{f.line}: {f.message}" for f in workspace.config_findings[:5])
            raise PluginError(f"social-calendar: content/channels.yml under {root} cannot be used: {problems}")
        try:  # a ledger that cannot be read is a person's to look at (the message says how), not a crash
            content, latest = workspace.content, workspace.ledger.latest()
        except PipelineError as exc:
            raise PluginError(f"social-calendar: {exc}") from None
        broken = content.broken_files
        if broken:
            log.info("social-calendar: %d post file(s) with errors are left out (run `social validate`)",
                     len(broken))
        for warning in workspace.ledger.warnings:
            log.info("social-calendar: %s", warning)
        changes = last_changes(root) if self.config.git else {}
        inbox, sample = workspace.inbox, False
        if not inbox.exists() and self.config.sample_inbox:
            sample_file = Inbox((self.config_dir / self.config.sample_inbox).resolve())
            if sample_file.exists():
                inbox, sample = sample_file, True
            else:  # a repository made from the example may well have dropped the sample
                log.info("social-calendar: sample_inbox %s does not exist (relative to mkdocs.yml): the inbox "
                         "page shows nothing", self.config.sample_inbox)
        records = inbox.records()
        for warning in inbox.warnings:
            log.info("social-calendar: %s", warning)
        source = _relative(inbox.path, root) if inbox.exists() else None
        profiles, problems = load_profiles(root)
        stored, images, card_problems = load_link_cards(root)
        for what, found in (("content/profiles/", problems), ("content/linkcards.yml", card_problems)):
            if found:
                log.info("social-calendar: %d problem(s) in %s (run `social validate`)", len(found), what)
        link_cards = {card_key(url): LinkCardData(url, card.title, card.description, images.get(url))
                      for url, card in stored.items()}
        return build_calendar(content, latest, workspace.now, changes, records, inbox_sample=sample,
                              inbox_source=source, profiles=profiles, link_cards=link_cards)

    def _brand_roots(self) -> dict[str, Path]:
        """Each brand's name -> its content root; PluginError when content_root holds no brands."""
        try:
            found = list_brands(self.root)
        except PipelineError as error:
            raise PluginError(f"social-calendar: {error}") from None
        for problem in found.refused:
            log.warning("social-calendar: %s", problem)
        if not found.multi:
            raise PluginError(f"social-calendar: brands: true, but {self.root} has no brands/ folder holding "
                              "brands (brands/NAME/content/channels.yml); set brands: false for one brand")
        return {brand.name: self.root / brand.root for brand in found.brands}

    def _title(self, name: str) -> str:
        return str(self.config.brand_titles.get(name) or name)

    def growth(self, calendar: Calendar, root: Path) -> GrowthView:
        """The Growth page's charts of the content root `root`: from its state/metrics.jsonl, else from
        the configured sample."""
        real = root / STATE_DIR / METRICS_FILE
        sample = None
        if not real.is_file() and self.config.metrics_sample:
            sample = (self.config_dir / self.config.metrics_sample).resolve()
            if not sample.is_file():
                raise PluginError(f"social-calendar: metrics_sample {self.config.metrics_sample!r} is no file "
                                  f"(looked for {sample}): write it with `python tools/make_sample_metrics.py`, "
                                  "or leave the option out of mkdocs.yml")
        if sample is None:
            history = read_history(real, source=f"{STATE_DIR}/{METRICS_FILE}")
        else:
            history = read_history(sample, source=self.config.metrics_sample)
        for warning in history.warnings:
            log.info("social-calendar: %s", warning)
        by_id = calendar.by_id
        return growth_view(history, calendar.zone, sample=sample is not None,
                           title_of=lambda post: by_id[post].title if post in by_id else post)

    @staticmethod
    def _add(files: Files, file: File) -> None:
        if files.get_file_from_path(file.src_uri) is not None:
            raise PluginError(f"social-calendar: docs/{file.src_uri} is in the way of a generated page; "
                              "rename it or set the plugin's `prefix` option")
        files.append(file)


class HtmlPage(Page):
    """A generated page out of the nav: its meta is known and its HTML made, so mkdocs neither parses
    front matter nor runs Markdown for it (the plugin puts the HTML in place in on_page_content), and
    the theme's page around it comes from a frame (site/frames.py)."""

    def __init__(self, page: GeneratedPage, file: File, config: MkDocsConfig) -> None:
        super().__init__(None, file, config)
        self.generated = page

    def read_source(self, config: MkDocsConfig) -> None:
        # What mkdocs reads from page.front_matter, without YAML.
        meta: dict = {"title": str(escape(self.generated.title))}
        if self.generated.search is None:
            meta["search"] = {"exclude": True}
        if self.generated.hide:
            meta["hide"] = list(self.generated.hide)
        meta["template"] = FRAME_TEMPLATE
        self.markdown, self.meta = "", meta

    def render(self, config: MkDocsConfig, files: Files) -> None:
        # What Markdown makes of a page with front matter only.
        self.content, self.toc, self.present_anchor_ids = "", get_toc([]), set()
        self.links_to_anchors = {}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name
