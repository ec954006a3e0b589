"""The generated pages: Markdown files holding HTML from Jinja2 templates with autoescaping.

Everything that comes from content (titles, texts, tags, alt texts, URLs) reaches
HTML only through an autoescaping template or `markupsafe`; only http(s) URLs
become links. Each page's title goes into front matter already HTML-escaped,
because the theme prints page titles into its templates unescaped.

Post, channel and tag pages also have a short summary for the search index (title,
when, channels, state, tags, the text as written): the search plugin sees it instead of
the page, so an index of 10,000 posts holds each text once, not once per preview, and
the build does not parse the previews' HTML again for it.
"""

from __future__ import annotations

import itertools
import json
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape
from mkdocs.utils import get_relative_url

from pipeline.cadence.localtime import SHORT_DAYS, week_of
from pipeline.cadence.registry import describe
from pipeline.content.media import MAX_MEDIA_BYTES
from pipeline.content.model import Media, Post
from pipeline.files import RegularFiles, UnsafeFile
from pipeline.networks import UnknownNetwork, network_class
from pipeline.render.render import Renderer
from pipeline.site.calendar import STATES_BY_CONCERN, Calendar, PostView, next_month, slug, web_url
from pipeline.site.cards import card_groups
from pipeline.site.growth import GrowthView
from pipeline.site.parthtml import text_html
from pipeline.times import format_local
from pipeline.validation.fanout import run_each, workers_for

_ENGAGEMENT = {"reply_to": "Reply to", "repost": "Repost of", "quote": "Quotes", "like": "Likes"}
#: channel settings never shown on the site (credentials are only names, but they are nobody's business)
_PRIVATE_SETTINGS = {"credentials"}


@dataclass(frozen=True)
class GeneratedPage:
    """One page: where it goes (`src_uri`, as if under docs/), its title, its HTML, whether the nav lists it,
    and what the search index holds of it (None: nothing)."""

    src_uri: str
    title: str
    html: str
    in_nav: bool = False
    hide: tuple[str, ...] = ()
    search: str | None = None

    @property
    def front_matter(self) -> str:
        """Page meta: the title (HTML-escaped, as the theme prints it raw); out of the search index
        when the page has no summary for it."""
        lines = ["---", f"title: {json.dumps(str(escape(self.title)))}"]
        if self.search is None:
            lines += ["search:", "  exclude: true"]
        if self.hide:
            lines.append(f"hide: [{', '.join(self.hide)}]")
        return "\n".join([*lines, "---", "", ""])

    @property
    def markdown(self) -> str:
        """The page as one Markdown file: front matter, then the HTML as a raw block."""
        return self.front_matter + self.html + "\n"


@dataclass(frozen=True)
class Filters:
    """The choices of a page's filter: channels and tags as (what it shows, the slug in the entries' data
    attributes), states by their names."""

    channels: list[tuple[str, str]]
    tags: list[tuple[str, str]]
    states: list[str]


def page_url(src_uri: str, use_directory_urls: bool) -> str:
    """The URL mkdocs gives a Markdown page (as `mkdocs.structure.files.File.url`, without building one)."""
    stem = src_uri[:-3]
    if not use_directory_urls:
        return stem + ".html"
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[:-5]
    return stem + "/"


class SitePages:
    """Builds every generated page of one calendar."""

    def __init__(self, calendar: Calendar, renderer: Renderer, *, prefix: str = "calendar",
                 use_directory_urls: bool = False, agenda_days: int = 14, listed: int = 30,
                 media: dict[str, str] | None = None, feeds: str = "",
                 growth: GrowthView | None = None) -> None:
        self.cal = calendar
        self.feeds = feeds.strip("/")  # the folder of the feeds on the site ("" : its top)
        self.renderer = renderer
        self.prefix = prefix.strip("/")
        self.use_directory_urls = use_directory_urls
        self.agenda_days = agenda_days
        self.listed = listed
        self.media = media or {}  # media path under content/ -> its src_uri on the site
        self.growth_view = growth
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("pipeline.site", "templates"),
            autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        )
        self.env.globals.update(
            cal=calendar, local=self.local, utc=self.utc, utc_text=self.utc_text, clock=self.clock,
            post_uri=self.post_uri, month_uri=self.month_uri, tag_uri=self.tag_uri,
            channel_uri=self.channel_uri, feed_uri=self.feed_uri, web_url=web_url, media_uri=self.media_uri,
            quoted_html=text_html, day_title=day_title, channel_slug=slug, host=host, network_title=network_title,
            engagement_label=lambda kind: _ENGAGEMENT.get(kind, kind),
            engagement_summary=engagement_summary, filter_data=self.filter_data,
        )
        self._urls: dict[str, str] = {}

    # -- where pages go -----------------------------------------------------------------

    def uri(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def post_uri(self, view: PostView) -> str:
        return self.uri(f"posts/{view.slug}.md")

    def month_uri(self, month: date) -> str:
        return self.uri(f"{month:%Y-%m}.md")

    def tag_uri(self, tag: str) -> str:
        return self.uri(f"tags/{self.cal.tag_slugs[tag]}.md")

    def channel_uri(self, channel: str) -> str:
        return self.uri(f"channels/{slug(channel)}.md")

    def feed_uri(self, channel: str | None = None) -> str:
        return posixpath.join(self.feeds, feed_uri(channel)) if self.feeds else feed_uri(channel)

    def media_uri(self, media: Media) -> str | None:
        return self.media.get(media.path)

    def url(self, src_uri: str) -> str:
        """The site path of a page (a `.md` src_uri) or of any other file."""
        found = self._urls.get(src_uri)
        if found is None:
            found = page_url(src_uri, self.use_directory_urls) if src_uri.endswith(".md") else src_uri
            self._urls[src_uri] = found
        return found

    def href_from(self, src_uri: str):
        """A function giving links relative to the page `src_uri`."""
        base = self.url(src_uri)
        cache: dict[str, str] = {}

        def href(target: str) -> str:
            if target not in cache:
                cache[target] = get_relative_url(self.url(target), base)
            return cache[target]

        return href

    # -- filters of the month and agenda pages ---------------------------------------------

    def filter_data(self, view: PostView) -> Markup:
        """The attributes by which the filter script shows or hides a post's entry (slugs, never raw text)."""
        channels = view.channels_in(self.cal.config)
        return Markup(' data-sc-channels="{}" data-sc-tags="{}" data-sc-states="{}"').format(
            " ".join(slug(channel) for channel in channels),
            " ".join(self.cal.tag_slugs[tag] for tag in view.post.tags),
            " ".join(f"{slug(channel)}:{view.states[channel].kind}" for channel in channels))

    def filters(self, views: list[PostView]) -> Filters:
        """What a page's filter offers: every channel, and the tags and states of the posts it shows."""
        tags = sorted({tag for view in views for tag in view.post.tags}, key=str.lower)
        kinds = {view.states[channel].kind for view in views for channel in view.channels_in(self.cal.config)}
        return Filters(channels=[(channel, slug(channel)) for channel in self.cal.channel_ids],
                       tags=[(tag, self.cal.tag_slugs[tag]) for tag in tags],
                       states=[kind.value for kind in STATES_BY_CONCERN if kind in kinds])

    # -- times --------------------------------------------------------------------------

    def local(self, moment: datetime) -> str:
        return format_local(moment, self.cal.zone)

    def clock(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.cal.zone):%H:%M}"

    @staticmethod
    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def utc_text(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    # -- pages --------------------------------------------------------------------------

    def all(self, workers: int | None = 0, cache=None) -> Iterator[GeneratedPage]:
        """Every generated page: the index pages (in the nav) first. Post pages come from `cache` (a
        site.pagecache.PostPageCache) where it holds them; the others are made in `workers` forked
        processes (0: here; None: as many as their count is worth), as a post's page needs nothing
        of another's, and kept in `cache`."""
        yield self.calendar_index()
        yield self.agenda()
        yield self.channels_index()
        yield self.tags_index()
        yield self.cadence()
        if self.growth_view is not None:
            yield self.growth()
        yield self.inbox()
        for month in self.months:
            yield self.month(month)
        for channel in self.cal.channel_ids:
            yield self.channel(channel)
        for tag in self.cal.tags:
            yield self.tag(tag)
        views = self.cal.posts
        found = [cache.get(view) if cache is not None else (None, None) for view in views]
        missing = [view for view, (page, _key) in zip(views, found, strict=True) if page is None]
        made = iter(run_each(self.post, missing, workers_for(len(missing)) if workers is None else workers))
        for view, (page, key) in zip(views, found, strict=True):
            if page is None:
                page = next(made)
                if cache is not None:
                    cache.put(view, key, page)
            yield page

    @cached_property
    def months(self) -> list[date]:
        return self.cal.months()

    def _page(self, src_uri: str, template: str, title: str, *, in_nav: bool = False,
              hide: tuple[str, ...] = (), search: str | None = None, **context) -> GeneratedPage:
        html = self.env.get_template(template).render(href=self.href_from(src_uri), **context)
        return GeneratedPage(src_uri, title, compact(html), in_nav, ("toc", *hide), search)

    def _search(self, template: str, **context) -> str:
        """A page's summary for the search index."""
        return compact(self.env.get_template(template).render(**context))

    def month(self, month: date, src_uri: str | None = None) -> GeneratedPage:
        index = self.months.index(month)
        first = week_of(month, self.cal.week_start)
        last = next_month(month) - timedelta(days=1)
        weeks = []
        while first <= last:
            weeks.append([first + timedelta(days=n) for n in range(7)])
            first += timedelta(days=7)
        names = [SHORT_DAYS[(self.cal.week_start + n) % 7] for n in range(7)]
        views = [view for week in weeks for day in week if day.month == month.month
                 for view in self.cal.by_day.get(day, [])]
        return self._page(
            src_uri or self.month_uri(month), "month.j2", month.strftime("%B %Y"),
            in_nav=src_uri is not None, hide=("navigation", "toc"), month=month, weeks=weeks,
            filters=self.filters(views),
            day_names=names, previous=self.months[index - 1] if index else None,
            next=self.months[index + 1] if index + 1 < len(self.months) else None)

    def calendar_index(self) -> GeneratedPage:
        """The month of today, then a list of all months."""
        page = self.month(self.cal.today.replace(day=1), self.uri("index.md"))
        counts: dict[date, int] = {}
        for view in self.cal.timed():
            month = view.post.publish_at.astimezone(self.cal.zone).date().replace(day=1)
            counts[month] = counts.get(month, 0) + 1
        html = self.env.get_template("calendar_index.j2").render(
            href=self.href_from(page.src_uri), months=[(m, counts.get(m, 0)) for m in self.months])
        return GeneratedPage(page.src_uri, page.title, page.html + "\n" + compact(html), True, page.hide)

    def agenda(self) -> GeneratedPage:
        days = [self.cal.today + timedelta(days=n) for n in range(self.agenda_days)]
        views = [view for day in days for view in self.cal.by_day.get(day, [])]
        return self._page(self.uri("agenda.md"), "agenda.j2", "Agenda", in_nav=True, days=days,
                          filters=self.filters(views))

    def post(self, view: PostView) -> GeneratedPage:
        config = self.cal.config
        renderings = [self.renderer.render(view.post, config.channels[channel])
                      for channel in view.post.channels if channel in config.channels]
        missing = [channel for channel in view.post.channels if channel not in config.channels]
        groups = card_groups(view.post, renderings, profiles=self.cal.profiles,
                             link_cards=self.cal.link_cards, root=self.renderer.root)
        return self._page(self.post_uri(view), "post.j2", view.title, hide=("navigation",),
                          search=self._search("search_post.j2", view=view, texts=search_texts(view.post)),
                          view=view, groups=groups, missing_channels=missing)

    def channel(self, channel_id: str) -> GeneratedPage:
        channel = self.cal.config.channels[channel_id]
        mine = [view for view in self.cal.timed() if channel_id in view.post.channels]
        upcoming = [view for view in mine if view.post.publish_at >= self.cal.now]
        recent = [view for view in mine if view.post.publish_at < self.cal.now][::-1]
        result = self.cal.cadence.get(channel_id)
        rules = [(name, describe(rule), rule.level) for name, rule in (result.rules.items() if result else ())]
        settings = [(key, value) for key, value in channel.options.model_dump().items()
                    if key not in _PRIVATE_SETTINGS and isinstance(value, str | int | float) and
                    not isinstance(value, bool)]
        search = self._search("search_channel.j2", channel=channel, upcoming=len(upcoming), recent=len(recent))
        return self._page(self.channel_uri(channel_id), "channel.j2", channel_id, search=search, channel=channel,
                          settings=settings, rules=rules, findings=result.findings if result else [],
                          upcoming=upcoming[:self.listed], more_upcoming=max(0, len(upcoming) - self.listed),
                          recent=recent[:self.listed])

    def channels_index(self) -> GeneratedPage:
        rows = []
        for channel_id, channel in self.cal.config.channels.items():
            upcoming = sum(1 for day, views in self.cal.by_day.items() if day >= self.cal.today
                           for view in views if channel_id in view.post.channels)
            rows.append((channel, upcoming))
        return self._page(self.uri("channels/index.md"), "channels.j2", "Channels", in_nav=True, rows=rows)

    def tag(self, tag: str) -> GeneratedPage:
        views = self.cal.tags[tag]
        return self._page(self.tag_uri(tag), "tag.j2", f"Tag: {tag}", tag=tag, views=views,
                          search=self._search("search_tag.j2", tag=tag, count=len(views)))

    def tags_index(self) -> GeneratedPage:
        tags = sorted(((tag, len(views)) for tag, views in self.cal.tags.items()), key=lambda t: t[0].lower())
        return self._page(self.uri("tags/index.md"), "tags.j2", "Tags", in_nav=True, tags=tags)

    def cadence(self) -> GeneratedPage:
        findings = [(channel, finding) for channel, result in self.cal.cadence.items()
                    for finding in result.findings]
        heat_months = []
        for month in self.months:
            days, day = [], month
            while day.month == month.month:
                days.append(day)
                day += timedelta(days=1)
            heat_months.append((month, days))
        return self._page(self.uri("cadence.md"), "cadence.j2", "Cadence", in_nav=True, hide=("toc",),
                          findings=findings, heat_months=heat_months)

    def inbox(self) -> GeneratedPage:
        """What others addressed to the channels: what waits for an answer, oldest first, then the answered."""
        findings = [(channel, finding) for channel, result in self.cal.cadence.items()
                    for finding in result.findings if finding.rule == "max_unanswered"]
        return self._page(self.uri("inbox.md"), "inbox.j2", "Inbox", in_nav=True, inbox=self.cal.inbox,
                          findings=findings, age=age_text, answered=self.answered[:self.listed],
                          more_answered=max(0, len(self.answered) - self.listed))

    @cached_property
    def answered(self) -> list:
        return self.cal.inbox.answered


    def growth(self) -> GeneratedPage:
        view = self.growth_view
        title = "Growth (sample data)" if view.sample else "Growth"
        return self._page(self.uri("growth.md"), "growth.j2", title, in_nav=True, view=view)


def feed_uri(channel: str | None = None) -> str:
    """Where a feed goes: `calendar.ics`, or `calendar-<channel>.ics` for one channel."""
    return "calendar.ics" if channel is None else f"calendar-{slug(channel)}.ics"


def compact(html: str) -> str:
    """HTML without blank lines or indentation, so Markdown keeps it as one raw block."""
    return "\n".join(line.strip() for line in html.splitlines() if line.strip())


def host(url: str) -> str:
    """The host a link card names (without `www.`)."""
    name = urlsplit(url).hostname or url
    return name[4:] if name.startswith("www.") else name


def network_title(name: str) -> str:
    try:
        network = network_class(name)
    except UnknownNetwork:
        return name
    return network.title or network.name


def search_texts(post: Post) -> list[str]:
    """Each distinct text a post's channels get (its body, or an override's), as one line, without thread breaks."""
    texts: list[str] = []
    for text in [post.text_for(channel) for channel in post.channels] or [post.body]:
        line = " ".join(word for word in text.split() if word != "---")
        if line and line not in texts:
            texts.append(line)
    return texts


def age_text(span: timedelta) -> str:
    """How long something has waited, roughly: `3 d 4 h`, `5 h`, `12 min`."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def day_title(day: date) -> str:
    return f"{SHORT_DAYS[day.weekday()]} {day.day} {day:%B %Y}"


def engagement_summary(post) -> str:
    if not post.engagement:
        return "the post has no text for this channel."
    kind, target = next(iter(post.engagement.items()))
    return f"{_ENGAGEMENT.get(kind, kind).lower()} {target}"


def media_files(root: Path, posts, images: Iterable[Media] = ()) -> dict[str, Path]:
    """Each media path the posts (and `images`) use that is a regular file inside content/ -> that file.

    Never a link: mkdocs copies by path, and would copy whatever a link points at.
    """
    files = RegularFiles(root)
    found: dict[str, Path] = {}
    every = itertools.chain((media for post in posts for media in post.media), images)
    for media in every:
        if media.path in found:
            continue
        normal = posixpath.normpath(media.path)
        if normal.startswith(("../", "/")) or normal == "..":
            continue
        try:
            files.open(f"content/{normal}", MAX_MEDIA_BYTES).close()
        except UnsafeFile:
            continue
        found[media.path] = Path(files.root) / "content" / normal
    return found
