"""The Growth page: followers over time, engagement per post, top posts, and by weekday and hour.

Charts are static SVG drawn at build time by pygal (docs/growth.md says why pygal),
put into the page inline: no script (pygal's own is taken out), no request to
another host, colours from CSS variables (`--sc-growth-0`...) and text in the page's own
colour (`currentColor`), so a dark theme recolours them. Each chart is an image
with a title and a description, and a table beside it holds the same numbers for
screen readers and for anyone who wants them.

The history is state/metrics.jsonl when the repository has one, else the sample
the plugin is configured with, which the page labels "sample data".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from pipeline.cadence.localtime import SHORT_DAYS
from pipeline.growth.history import Average, History, PostResult, by_hour, by_weekday, daily_followers

SVG = "http://www.w3.org/2000/svg"
#: how many series colours the stylesheet (assets/social-growth.css) defines: `--sc-growth-0` ...
COLOURS = 6
TOP = 10
RECENT_DAYS = 30

ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


@dataclass
class Chart:
    """One chart: its SVG (None without pygal), and what its table shows."""

    key: str
    title: str
    description: str
    svg: Markup | None = None
    head: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    #: the columns holding numbers (aligned right, figures of equal width)
    numeric: frozenset[int] = frozenset()


@dataclass
class GrowthView:
    history: History
    sample: bool
    charts: list[Chart]
    top: list[PostResult]
    zone: ZoneInfo
    #: why there are no charts (pygal missing), when there are none
    note: str | None = None

    @property
    def empty(self) -> bool:
        return self.history.empty


def growth_view(history: History, zone: ZoneInfo, *, sample: bool = False,
                title_of: Callable[[str], str] | None = None) -> GrowthView:
    """Every chart of the page, drawn, with its table."""
    title_of = title_of or (lambda post: post)
    charts = [_followers(history, zone), _per_post(history, zone),
              _top(history, zone, title_of), *_when(history, zone)]
    if sample:
        for chart in charts:
            chart.title += " (sample data)"
    note = None
    try:
        import pygal  # noqa: F401 - the site extra's; without it the tables still tell everything
    except ImportError:
        note = "The charts need pygal (pip install '.[site]'); the tables below hold the same numbers."
    else:
        for chart in charts:
            if chart.rows or chart.key == "followers":
                chart.svg = _draw(chart, history, zone, title_of)
    return GrowthView(history, sample, charts, history.recent_posts(RECENT_DAYS)[:TOP], zone, note)


# -- what each chart shows ------------------------------------------------------------------

def _followers(history: History, zone: ZoneInfo) -> Chart:
    """A row per week (its last reading) in the table; every day in the chart."""
    channels = list(history.followers)
    weekly: dict[date, dict[str, int]] = {}
    for channel in channels:
        for day, count in daily_followers(history, channel, zone):
            week_end = day.fromordinal(day.toordinal() + (6 - day.weekday()))
            weekly.setdefault(week_end, {})[channel] = count
    rows = [[f"{week:%Y-%m-%d}", *[counts.get(channel, "") for channel in channels]]
            for week, counts in sorted(weekly.items())]
    latest = ", ".join(f"{channel} {points[-1][1]:,}" for channel, points in history.followers.items())
    return Chart("followers", "Followers over time",
                 f"Followers per channel, one reading a day; the latest: {latest or 'none yet'}.",
                 head=["Week ending", *channels], rows=rows, numeric=frozenset(range(1, len(channels) + 1)))


def _per_post(history: History, zone: ZoneInfo) -> Chart:
    """Each post's engagement against when it went out; the table sums it up by month."""
    months: dict[tuple[str, str], list[PostResult]] = {}
    for result in history.posts.values():
        if result.published is not None:
            months.setdefault((f"{result.published.astimezone(zone):%Y-%m}", result.channel), []).append(result)
    rows = []
    for (month, channel), results in sorted(months.items()):
        best = max(results, key=lambda r: (r.engagement, r.post))
        rows.append([month, channel, len(results), f"{sum(r.engagement for r in results) / len(results):.1f}",
                     f"{best.post} ({best.engagement})"])
    return Chart("per-post", "Engagement per post",
                 "Likes, reposts, replies and quotes of each post, by the day it went out, one dot per post "
                 "and channel. The table gives each month's mean per post and its best post.",
                 head=["Month", "Channel", "Posts", "Per post", "Best post"], rows=rows, numeric=frozenset({2, 3}))


def _top(history: History, zone: ZoneInfo, title_of: Callable[[str], str]) -> Chart:
    top = history.recent_posts(RECENT_DAYS)[:TOP]
    rows = [[index, title_of(r.post), r.channel, _local(r.published, zone), r.likes, r.reposts, r.replies,
             r.quotes, r.engagement] for index, r in enumerate(top, start=1)]
    end = f" before {history.last_reading:%Y-%m-%d}" if history.last_reading else ""
    return Chart("top", f"Top posts of the last {RECENT_DAYS} days",
                 f"The {len(top)} posts published in the {RECENT_DAYS} days{end} that earned the most, "
                 "each bar split into likes, reposts, replies and quotes.",
                 head=["#", "Post", "Channel", "Published", "Likes", "Reposts", "Replies", "Quotes", "Total"],
                 rows=rows, numeric=frozenset({0, 4, 5, 6, 7, 8}))


def _when(history: History, zone: ZoneInfo) -> list[Chart]:
    settled = history.settled_posts()
    channels = sorted({r.channel for r in settled})
    weekday = {channel: by_weekday([r for r in settled if r.channel == channel], zone) for channel in channels}
    hour = {channel: by_hour([r for r in settled if r.channel == channel], zone) for channel in channels}
    head = lambda first: [first, *(f"{c} (posts)" for c in channels)]  # noqa: E731
    day_rows = [[SHORT_DAYS[d], *(_mean(weekday[c][d]) for c in channels)] for d in range(7)
                if any(weekday[c][d].posts for c in channels)]
    hour_rows = [[f"{h:02d}:00", *(_mean(hour[c][h]) for c in channels)] for h in range(24)
                 if any(hour[c][h].posts for c in channels)]
    why = (f"Mean engagement per post, in local time ({zone.key}), of posts at least two days old "
           "(younger ones are still gathering it).")
    numeric = frozenset(range(1, len(channels) + 1))
    return [Chart("weekday", "Engagement by weekday", why, head=head("Weekday"), rows=day_rows, numeric=numeric),
            Chart("hour", "Engagement by hour", why, head=head("Hour"), rows=hour_rows, numeric=numeric)]


def _mean(average: Average) -> str:
    return f"{average.mean:.1f} ({average.posts})" if average.posts else "—"


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else ""


# -- drawing -----------------------------------------------------------------------------------

def _style():
    from pygal.style import Style

    return Style(background="transparent", plot_background="transparent", foreground="currentColor",
                 foreground_strong="currentColor", foreground_subtle="currentColor", opacity=".9",
                 opacity_hover="1", font_family="inherit", label_font_size=13, major_label_font_size=13,
                 legend_font_size=14, title_font_size=16, value_font_size=12, tooltip_font_size=12,
                 colors=tuple(f"var(--sc-growth-{n})" for n in range(COLOURS)))


def _config(**extra) -> dict:
    return {"style": _style(), "js": [], "disable_xml_declaration": True, "explicit_size": False,
            "width": 800, "height": 360, "margin_bottom": 14, "legend_at_bottom": True, "legend_at_bottom_columns": 4,
            "show_y_guides": True, "print_values": False, "truncate_label": 40, **extra}


def _draw(chart: Chart, history: History, zone: ZoneInfo, title_of: Callable[[str], str]) -> Markup:
    import pygal

    if chart.key == "followers":
        drawing = pygal.DateLine(**_config(show_dots=False, x_label_rotation=0, x_value_formatter=_day_month))
        series = {channel: daily_followers(history, channel, zone) for channel in history.followers}
        for channel, points in series.items():
            drawing.add(channel, points)
        drawing.x_labels = _month_starts([day for points in series.values() for day, _ in points])
    elif chart.key == "per-post":
        drawing = pygal.DateTimeLine(**_config(stroke=False, dots_size=2.5, x_label_rotation=0,
                                               x_value_formatter=_day_month))
        series = {channel: sorted((r.published.astimezone(zone).replace(tzinfo=None), r.engagement)
                                  for r in history.posts.values() if r.channel == channel and r.published)
                  for channel in sorted({r.channel for r in history.posts.values()})}
        for channel, points in series.items():
            drawing.add(channel, points)
        starts = _month_starts([moment.date() for points in series.values() for moment, _ in points])
        drawing.x_labels = [datetime(day.year, day.month, day.day) for day in starts]
    elif chart.key == "top":
        top = history.recent_posts(RECENT_DAYS)[:TOP][::-1]
        drawing = pygal.HorizontalStackedBar(**_config(height=60 + 36 * max(len(top), 1)))
        drawing.x_labels = [f"{title_of(r.post)} ({r.channel})" for r in top]
        for key in ("likes", "reposts", "replies", "quotes"):
            drawing.add(key, [getattr(r, key) for r in top])
    else:
        settled = history.settled_posts()
        labels = list(SHORT_DAYS) if chart.key == "weekday" else [f"{h:02d}" for h in range(24)]
        split = by_weekday if chart.key == "weekday" else by_hour
        drawing = pygal.Bar(**_config())
        drawing.x_labels = labels
        for channel in sorted({r.channel for r in settled}):
            drawing.add(channel, [round(a.mean, 1) if a.posts else None
                                  for a in split([r for r in settled if r.channel == channel], zone)])
    drawing.uuid = f"growth-{chart.key}"  # pygal draws a random one: the page would change every build
    return Markup(_accessible(drawing.render(is_unicode=True), chart))


def _day_month(moment: date) -> str:
    return f"{moment:%-d %b}"


def _month_starts(days: list[date]) -> list[date]:
    """The first of each month the days span (the first day itself when they span less than a month):
    pygal's own date labels fall on odd days and crowd each other."""
    if not days:
        return []
    first, last = min(days), max(days)
    starts, month = [], date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            starts.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return starts if len(starts) >= 2 else [first, last] if first != last else [first]


def _accessible(svg: str, chart: Chart) -> str:
    """pygal's SVG without scripts or comments, as an image named by a title and a description."""
    root = ET.fromstring(svg)  # comments (pygal's build date among them) are dropped here
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG}}}script":
                parent.remove(child)
    base = f"growth-{chart.key}"
    title = ET.Element(f"{{{SVG}}}title", id=f"{base}-title")
    title.text = chart.title
    desc = ET.Element(f"{{{SVG}}}desc", id=f"{base}-desc")
    desc.text = chart.description + " The table below holds the same numbers."
    root.insert(0, desc)
    root.insert(0, title)
    root.set("role", "img")
    root.set("aria-labelledby", f"{base}-title {base}-desc")
    root.set("class", "pygal-chart sc-growth-chart")
    return ET.tostring(root, encoding="unicode")

