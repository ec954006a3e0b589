"""The Growth page: charts as static SVG with titles and tables, sample data labelled, real data first."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("pygal")

from sitebuild import REPO, build_repo_site, build_site

from pipeline.growth.history import history_of, read_history
from pipeline.site.growth import growth_view

SVG = "{http://www.w3.org/2000/svg}"
CHARTS = ("followers", "per-post", "top", "weekday", "hour")


def svgs(html: str) -> list[ET.Element]:
    """Every inline <svg> of a page, parsed as XML (which also proves each is well formed)."""
    found, start = [], 0
    while (start := html.find("<svg", start)) >= 0:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(html[start:end]))
        start = end
    return found


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return build_site(REPO / "mkdocs.yml", tmp_path_factory.mktemp("growth") / "site", now="2026-12-03 08:00")


def test_the_example_shows_the_sample_labelled_as_sample_data(example_site):
    html = (example_site / "calendar" / "growth.html").read_text(encoding="utf-8")
    assert "<h1" in html and "Growth (sample data)" in html
    assert "Sample data." in html and "docs/sample-data/metrics.jsonl" in html
    charts = [svg for svg in svgs(html) if "sc-growth-chart" in (svg.get("class") or "")]
    assert [svg.get("id") for svg in charts] == [f"chart-growth-{key}" for key in CHARTS]
    for svg in charts:
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "(sample data)" in title.text and desc.text.strip()
        assert not svg.findall(f".//{SVG}script")
        links = [v for e in svg.iter() for k, v in e.attrib.items() if k.endswith("href")]
        assert not [link for link in links if link.startswith(("http://", "https://", "//"))]
    main = html[html.index('<div class="sc sc-growth">'):]
    assert "<script" not in main[:main.index("</article>")]
    assert main.count('<table class="sc-list sc-growth-numbers">') == len(CHARTS)
    assert "followers over time" in html.lower() and "Top posts of the last 30 days" in html
    nav = (example_site / "calendar" / "index.html").read_text(encoding="utf-8")
    assert 'href="growth.html"' in nav


def test_the_sample_file_is_what_the_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_metrics", REPO / "tools" / "make_sample_metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (REPO / "docs" / "sample-data" / "metrics.jsonl").read_text(encoding="utf-8")
    assert module.sample_text() == shipped, "run: python tools/make_sample_metrics.py"
    assert module.sample_text(weeks=2) == module.sample_text(weeks=2)   # no clock, no chance
    history = read_history(REPO / "docs" / "sample-data" / "metrics.jsonl")
    assert not history.warnings and set(history.channels) == {"mastodon", "bluesky"}


def metrics_lines(now: datetime) -> list[dict]:
    lines = []
    for day in range(10):
        at = (now - timedelta(days=10 - day)).isoformat()
        lines.append({"at": at, "channel": "mastodon", "kind": "account", "followers": 100 + day})
    published = (now - timedelta(days=5)).isoformat()
    lines += [{"at": now.isoformat(), "channel": "mastodon", "kind": "post", "post": "stollen", "part": 1,
               "published": published, "likes": 4, "reposts": 2, "replies": 1,
               "url": "https://mastodon.example/@bakery/1"},
              {"at": now.isoformat(), "channel": "mastodon", "kind": "post", "post": "<script>alert(1)</script>",
               "part": 1, "published": published, "likes": 1, "url": "javascript:alert(2)"}]
    return lines


def test_real_metrics_win_over_the_sample_and_link_to_the_post(repo):
    repo.post("stollen", "title: Stollen workshop\npublish_at: 2026-11-25 09:00\nchannels: [mastodon]")
    (repo.root / "state").mkdir()
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    (repo.root / "state" / "metrics.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in metrics_lines(now)), encoding="utf-8")
    site = build_repo_site(repo.root, now="2026-12-01 08:00")
    html = (site / "calendar" / "growth.html").read_text(encoding="utf-8")
    assert "sample data" not in html.lower()
    assert 'href="posts/stollen.html">Stollen workshop</a>' in html
    assert 'href="https://mastodon.example/@bakery/1"' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:alert(2)" not in html
    assert len(svgs(html)) >= len(CHARTS)


def test_without_metrics_or_a_sample_the_page_says_how_to_get_them(repo):
    site = build_repo_site(repo.root)
    html = (site / "calendar" / "growth.html").read_text(encoding="utf-8")
    assert "No metrics yet" in html and "social stats collect" in html
    assert "<svg" not in html[html.index('<div class="sc sc-growth">'):]


def test_charts_come_out_the_same_every_time():
    history = history_of(metrics_lines(datetime(2026, 11, 30, 6, 0, tzinfo=UTC)))
    zone = ZoneInfo("Europe/Berlin")
    first = [str(chart.svg) for chart in growth_view(history, zone).charts]
    assert first == [str(chart.svg) for chart in growth_view(history, zone).charts]
    assert all("Generated with pygal" not in svg for svg in first)   # pygal's dated comment is gone


def test_a_sample_that_is_not_there_is_named_with_the_option_and_what_to_do(repo, caplog):
    from mkdocs.exceptions import Abort

    build_repo_site(repo.root)   # writes the minimal mkdocs.yml
    config = repo.root / "mkdocs.yml"
    config.write_text(config.read_text().replace('      now: "', '      metrics_sample: docs/gone.jsonl\n      now: "'))
    with pytest.raises(Abort):
        build_site(config, repo.root / "site")
    said = caplog.text
    assert "metrics_sample 'docs/gone.jsonl' is no file" in said and "tools/make_sample_metrics.py" in said
    assert "Traceback" not in said
