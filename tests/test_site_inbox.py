"""The calendar's Inbox page: what waits for an answer, oldest first, and what has one.

Built from the example (its labelled sample data) and from temp repositories whose
state/ holds an inbox and a ledger: ages, the answer's state from the ledger or the
post, the cadence warnings of max_unanswered, escaping of what others wrote.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from sitebuild import REPO, build_repo_site, build_site

from pipeline.site.pages import age_text


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def text_of(html: str) -> str:
    """What a reader sees of the page's inbox: tags out, entities decoded, blanks folded."""
    start = html.index('<div class="sc sc-inbox">')
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html[start:html.index("</article>", start)])).split())


def section(html: str, heading: str) -> str:
    """The HTML from the heading with id `heading` to the next heading or the end of the inbox."""
    start = html.index(f'<h2 id="{heading}"')
    end = html.find("<h2", start + 1)
    return html[start:end if end > 0 else html.index("</article>", start)]


def rows(html: str) -> list[str]:
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]]


def write_inbox(root: Path, items: list[dict]) -> None:
    (root / "state").mkdir(exist_ok=True)
    (root / "state" / "inbox.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


def item(channel: str, remote_id: str, at: str, author: str, text: str, url: str | None, kind: str = "mention"):
    return {"at": at, "channel": channel, "remote_id": remote_id, "url": url, "kind": kind, "author": author,
            "text": text}


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    return build_site(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site", now="2026-12-03 08:00")


def test_the_example_shows_its_sample_inbox_labelled_oldest_first_with_ages_and_answers(example_site):
    html = read(example_site / "calendar" / "inbox.html")
    seen = text_of(html)
    assert seen.startswith("Sample data. Nothing here was collected from a network")
    assert 'href="inbox.html"' in read(example_site / "calendar" / "index.html"), "the Inbox is in the navigation"
    waiting = rows(section(html, "waiting"))
    assert [row.split()[:4] for row in waiting] == [
        ["2026-11-28", "20:05+01:00", "mastodon", "mention"], ["2026-12-01", "08:30+01:00", "bluesky", "quote"]]
    assert "4 d 11 h none yet: social reply https://norden.social/@lena/113528873113901002" in waiting[0]
    answered = rows(section(html, "answered"))
    # newest first; the example has no ledger, so answers whose time has passed are due, not published
    assert [re.search(r"(like|reply|repost) due, not published yet", row).group(1) for row in answered] == [
        "like", "reply", "repost"]
    assert 'href="posts/reply-berlinfoodguide.html"' in section(html, "answered")
    warnings = re.findall(r'<li class="sc-warning">(.*?)</li>', html, re.S)
    assert len(warnings) == 1 and "@lena@norden.social" in warnings[0] and "(sample data)" in warnings[0]


def test_answers_come_from_the_ledger_and_the_posts_and_drafts_still_wait(repo):
    write_inbox(repo.root, [
        item("mastodon", "1001", "2026-11-28T09:00:00Z", "@anna@example.org", "Rye?", "https://example.org/@anna/1001"),
        item("mastodon", "1002", "2026-11-30T10:00:00Z", "@ben@example.org", "Spelt?", "https://example.org/@ben/1002"),
        item("bluesky", "at://did:plc:cem/app.bsky.feed.post/3kcem", "2026-12-01T06:00:00Z", "@cem.test",
             "Open on Sunday?", "https://bsky.app/profile/cem.test/post/3kcem", kind="reply"),
        item("mastodon", "1003", "2026-12-02T10:00:00Z", "@dora@example.org", "Love it",
             "https://example.org/@dora/1003/"),
    ])
    repo.post("reply-anna", """\
        publish_at: 2026-11-28 13:00
        channels: [mastodon]
        reply_to: https://example.org/@anna/1001
        """, body="@anna@example.org Yes, every Friday.", month="2026/11")
    repo.post("reply-ben", """\
        publish_at: 2026-12-04 10:00
        channels: [mastodon]
        reply_to: https://example.org/@ben/1002
        status: draft
        """, body="@ben@example.org Soon.")
    repo.post("like-dora", """\
        publish_at: 2026-12-03 12:00
        channels: [mastodon]
        like: https://EXAMPLE.org/@dora/1003
        """, body="")
    (repo.root / "state" / "ledger.jsonl").write_text(json.dumps(
        {"post": "reply-anna", "channel": "mastodon", "part": 1, "state": "published", "at": "2026-11-28T12:00:05Z",
         "url": "https://mastodon.example/@bakery/99"}) + "\n", encoding="utf-8")

    html = read(build_repo_site(repo.root, now="2026-12-03 08:00") / "calendar" / "inbox.html")

    assert "Sample data" not in html and "from state/inbox.jsonl" in text_of(html)
    waiting = rows(section(html, "waiting"))
    assert [row.split()[4] for row in waiting] == ["@ben@example.org", "@cem.test"]
    assert "2 d 21 h reply draft: reply-ben" in waiting[0]
    assert "2 d 1 h none yet: social reply https://bsky.app/profile/cem.test/post/3kcem" in waiting[1]
    answered = section(html, "answered")
    assert [row.split()[4] for row in rows(answered)] == ["@dora@example.org", "@anna@example.org"]
    assert "like scheduled for 2026-12-03 12:00+01:00 : like-dora" in rows(answered)[0]
    assert "reply published at 2026-11-28 13:00+01:00 : reply-anna ( online )" in rows(answered)[1]
    assert '<a href="https://mastodon.example/@bakery/99" rel="nofollow noopener">online</a>' in answered
    warnings = " ".join(re.findall(r'<li class="sc-warning">(.*?)</li>', html, re.S))
    assert "@ben@example.org" in warnings and "@cem.test" in warnings and "@anna" not in warnings


def test_what_others_wrote_stays_text_and_only_http_addresses_become_links(repo):
    write_inbox(repo.root, [item("mastodon", "66", "2026-12-01T09:00:00Z", "<b>eve</b>",
                                "<script>alert('inbox')</script> {{ 7*7 }}", "javascript:alert(1)")])
    html = read(build_repo_site(repo.root, now="2026-12-01 12:00") / "calendar" / "inbox.html")
    assert "<script>alert('inbox')" not in html and "&lt;script&gt;alert(&#39;inbox&#39;)" in html
    assert "{{ 7*7 }}" in html and "<b>eve</b>" not in html
    assert 'href="javascript:' not in html.lower()


def test_a_sample_inbox_is_ignored_once_state_has_one_and_a_missing_one_shows_nothing(repo):
    (repo.root / "sample.jsonl").write_text(json.dumps(item(
        "mastodon", "1", "2026-11-30T09:00:00Z", "@sample@example.org", "from the sample", None)) + "\n",
        encoding="utf-8")
    sample = read(build_repo_site(repo.root, sample_inbox="sample.jsonl") / "calendar" / "inbox.html")
    assert "Sample data" in sample and "from the sample" in sample

    # a repository made from the example may drop the sample and keep mkdocs.yml as it was
    missing = read(build_repo_site(repo.root, sample_inbox="gone.jsonl") / "calendar" / "inbox.html")
    assert "Sample data" not in missing and "Nothing collected yet" in text_of(missing)

    write_inbox(repo.root, [item("mastodon", "2", "2026-11-30T10:00:00Z", "@real@example.org", "collected", None)])
    real = read(build_repo_site(repo.root, sample_inbox="sample.jsonl") / "calendar" / "inbox.html")
    assert "Sample data" not in real and "collected" in real and "from the sample" not in real


def test_ages_read_as_days_hours_or_minutes():
    from datetime import timedelta

    assert [age_text(timedelta(**span)) for span in (
        {"minutes": 12}, {"hours": 5, "minutes": 59}, {"days": 3}, {"days": 3, "hours": 4, "minutes": 30})] == [
        "12 min", "5 h", "3 d", "3 d 4 h"]
