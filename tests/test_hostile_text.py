"""Text from others (a pull request's posts, a network's error messages) cannot drive a terminal or GitHub.

A terminal acts on control characters: `ESC [2J` clears it, `ESC ]8;;URL BEL` hides a
link behind harmless text, `CR` overwrites a line, U+202E shows text in another order
than it is stored. Every command prints through `pipeline.output.echo`, which shows
them escaped. On GitHub, Markdown from a network must not become a link, an image (a
tracking pixel), HTML or a mention: the failure issue and the job summary quote it in
code spans, checked here with GitHub's own parser (cmark-gfm).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from pipeline import output
from pipeline.cli import cli

# what each hostile piece does on a terminal: clear the screen, an OSC 8 hyperlink, overwrite, reverse
CLEAR, LINK, BACK, REVERSE = "\x1b[2J", "\x1b]8;;http://evil.example\x07", "\r", "\u202e"
HOSTILE = f"Spring{CLEAR}{LINK}click{BACK}{REVERSE}gnp.exe\x9b31m\u2066\x00"
#: raw, these must never reach a terminal
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_visible_shows_what_a_terminal_would_act_on_as_escapes():
    shown = output.visible(HOSTILE + "\nline two\twith a tab")
    assert not RAW.search(shown)
    assert shown == ("Spring\\u001b[2J\\u001b]8;;http://evil.example\\u0007click\\r\\u202egnp.exe\\u009b31m"
                     "\\u2066\\u0000\nline two\twith a tab")
    assert output.visible("a\nb\tc", one_line=True) == "a\\nb\\tc"
    assert output.visible("Brot & Brötchen: שלום, مرحبا, 🥐") == "Brot & Brötchen: שלום, مرحبا, 🥐"


def test_json_stays_the_same_json():
    payload = {"title": HOSTILE, "text": "a\u2028b\x85c"}
    printed = output.format_json(payload)
    assert not RAW.search(printed)
    assert json.loads(printed) == payload


def quoted_yaml(text: str) -> str:
    """`text` as a YAML double-quoted scalar (every character a YAML file may not hold raw, escaped)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


@pytest.fixture
def hostile_repo(repo):
    repo.post("spring", f"publish_at: 2030-03-02 10:00\nchannels: [mastodon]\ntitle: {quoted_yaml(HOSTILE)}",
              body=f"Fresh bread{CLEAR} today.{BACK}Stale{REVERSE} bread.{LINK}", month="2030/03")
    return repo


@pytest.mark.parametrize("args", [
    ["list", "--all"], ["list", "--all", "--format", "json"],
    ["show", "spring"], ["show", "spring", "--format", "json"],
    ["render", "spring"], ["render", "spring", "--format", "json"], ["validate"], ["validate", "--format", "github"],
    ["count", "--network", "mastodon", HOSTILE],
])
def test_no_command_prints_control_characters_from_a_post(hostile_repo, args):
    if args[0] != "count":
        args = [*args, "--root", str(hostile_repo.root)]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    printed = result.stdout + result.stderr
    assert not RAW.search(printed), repr(printed)
    if args[0] in ("list", "show"):
        assert "Spring\\u001b[2J" in printed
    if "json" in args:
        assert any(CLEAR in text for text in strings(json.loads(result.stdout)))  # the data itself is kept


def strings(data) -> list[str]:
    if isinstance(data, dict):
        return [s for value in data.values() for s in strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in strings(value)]
    return [data] if isinstance(data, str) else []


def test_a_list_row_stays_one_row(repo):
    repo.post("spring", 'publish_at: 2030-03-02 10:00\nchannels: [mastodon]\ntitle: "Spring\\n2030-03-01 fake row"',
              month="2030/03")
    result = CliRunner().invoke(cli, ["list", "--all", "--root", str(repo.root)])
    assert result.exit_code == 0 and len(result.output.splitlines()) == 1
    assert "Spring\\n2030-03-01 fake row" in result.output


def test_an_error_message_is_printed_visible(repo, monkeypatch):
    from pipeline.content import listing
    from pipeline.errors import PipelineError

    def fail(root, post_id):
        raise PipelineError(f"the network said {CLEAR}{LINK}")

    monkeypatch.setattr(listing, "show_post", fail)
    result = CliRunner().invoke(cli, ["show", "x", "--root", str(repo.root)])
    assert result.exit_code == 1 and "said \\u001b[2J" in result.stderr and not RAW.search(result.stderr)


def test_coloured_findings_keep_their_colours_and_lose_the_posts_escapes():
    from pipeline.errors import ERROR, Finding

    text = output.format_text([Finding(f"a{CLEAR}.md", 1, 1, ERROR, "c", f"bad {LINK}")], colour=True)
    assert "\x1b[1;31merror\x1b[0m" in text and CLEAR not in text and LINK not in text


# -- GitHub -----------------------------------------------------------------------------

#: what a network's error message could hold to reach whoever reads the issue
NETWORK_ERROR = ("HTTP 400: ![pixel](https://evil.example/p.png) [click](https://evil.example/login) "
                 "<https://evil.example/auto> https://evil.example/bare www.evil.example <img src=x onerror=alert(1)> "
                 "<script>alert(1)</script> @everyone @octocat owner/repo#1 #1 ``` ```` fence | a pipe "
                 "`code` \\| backslash-pipe " + CLEAR + REVERSE)


def github_html(markdown: str) -> str:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    # GitHub's own parser; UNSAFE keeps raw HTML, so that any that got through shows
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def assert_inert(html: str) -> None:
    """No link, image or tag from the text; outside code spans no mention, reference or control character."""
    assert "<a " not in html and "<img" not in html and "<script" not in html, html
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "evil" not in outside_code and "everyone" not in outside_code and "#1" not in outside_code, html
    assert not RAW.search(html.replace("\n", ""))
    assert re.findall(r"<code>.*?</code>", html, flags=re.S)  # it is all there, to read


def test_the_failure_issue_quotes_a_networks_error_without_links_images_html_or_mentions(tmp_path):
    report = tmp_path / "publish.json"
    report.write_text(json.dumps({"ok": False, "outcomes": [
        {"post": "a", "channel": "mastodon", "part": 1, "state": "failed", "error": NETWORK_ERROR},
        {"post": "b", "channel": "bluesky", "part": 2, "state": "uncertain", "error": NETWORK_ERROR}]}))
    result = CliRunner().invoke(cli, ["failures", str(report), "--failed-step", "publishing: failure",
                                      "--root", str(tmp_path)])
    assert result.exit_code == 1
    html = github_html(result.output)
    assert_inert(html)
    assert html.count("<table>") == 2 and html.count("<tr>") == 4  # no pipe or fence broke a table
    assert html.count("<td><code>HTTP 400:") == 2
    assert "| a pipe" in html and "\\| backslash-pipe" in html  # shown as the network wrote them


def test_the_job_summary_quotes_errors_and_links_only_plain_urls(tmp_path, monkeypatch):
    from pipeline.publish import summary
    from pipeline.publish.result import Outcome, RunResult
    from pipeline.publish.service import PublishReport

    run = PublishReport(now=datetime(2026, 12, 1, 9, tzinfo=UTC), zone=UTC, dry_run=False, result=RunResult([
        Outcome("p", "mastodon", 1, "failed", error=NETWORK_ERROR),
        Outcome("p", "webhook", 1, "published", url="https://evil.example/x) ![t](https://evil.example/p.png"),
        Outcome("p", "bluesky", 1, "published", url="https://bsky.app/profile/bakery/post/3k")]))
    html = github_html(summary.report_markdown(run))
    assert html.count('<a href="https://bsky.app/profile/bakery/post/3k">') == 1
    assert_inert(html.replace('<a href="https://bsky.app/profile/bakery/post/3k">', ""))
    assert html.count("<tr>") == 4
