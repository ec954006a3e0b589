"""Campaign parameters in channels.yml: plain text with `{channel}` and `{post}`, checked when the file is read."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.channels import load_config
from pipeline.content.utm import fill_utm, utm_problem
from tests.test_render import rendered

HEAD = "timezone: Europe/Berlin\nchannels:\n  news:\n    network: outbox\n    utm:\n"


@pytest.mark.parametrize(("value", "words"), [
    ("{x}", "unknown placeholder {x}"),
    ("{}", "unknown placeholder {}"),
    ("{0}", "unknown placeholder {0}"),
    ("{Channel}", "unknown placeholder {Channel}"),
    ("{post:>100000000}", "no format"),
    ("{post!r}", "no format"),
    ("{post.__class__.__mro__}", "no format"),
    ("{channel[0]}", "no format"),
    ("{post.id}", "no format"),
    ("spring-{post", "'{' without its '}'"),
    ("spring}", "'}' without its '{'"),
    ("{{post}}", "'{' without its '}'"),
    ("a{b{post}}c", "'{' without its '}'"),
])
def test_a_bad_utm_value_is_a_finding_at_its_line(tmp_path, value, words):
    (tmp_path / "content").mkdir()
    (tmp_path / "content/channels.yml").write_text(
        HEAD + "      source: news\n      campaign: " + json.dumps(value) + "\n", encoding="utf-8")
    config, findings = load_config(tmp_path)
    assert config is None
    [finding] = findings
    assert (finding.file, finding.line, finding.code) == ("content/channels.yml", 7, "utm-invalid")
    assert words in finding.message and "{channel} and {post}" in finding.message, finding.message
    assert "utm.campaign" in finding.message


def test_every_utm_value_is_checked_and_reported_at_once(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content/channels.yml").write_text(
        HEAD + '      source: "{x}"\n      medium: "{post:>9}"\n      campaign: "{post}"\n', encoding="utf-8")
    _, findings = load_config(tmp_path)
    assert [(f.line, f.code) for f in findings] == [(6, "utm-invalid"), (7, "utm-invalid")]


@pytest.mark.parametrize("value", ["{channel}", "{post}", "spring-{post}-{channel}", "plain", "", "{post}{post}",
                                   "50% off", "a:b.c[0]!"])
def test_good_values_pass(value):
    assert utm_problem(value) is None


def test_filling_replaces_the_placeholders_and_nothing_else():
    assert fill_utm("{channel}-{post}-{channel}", channel="news", post="cake") == "news-cake-news"
    # The values are not read as placeholders again, and nothing is formatted.
    assert fill_utm("{post}", channel="{post}", post="{channel}") == "{channel}"
    assert fill_utm("{channel}/{post}", channel="{post}", post="x") == "{post}/x"


def test_the_command_line_reports_a_bad_value_without_a_traceback(repo):
    channels = (repo.root / "content/channels.yml").read_text().replace(
        "    network: outbox", '    network: outbox\n    utm: {source: "{post:>100000000}"}')
    repo.write("content/channels.yml", channels)
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code in (1, 2) and not isinstance(result.exception, KeyError | MemoryError)
    [error] = json.loads(result.output)["errors"]
    assert error["code"] == "utm-invalid" and error["file"] == "content/channels.yml"


def test_a_channel_with_placeholders_in_every_value(repo):
    channels = (repo.root / "content/channels.yml").read_text().replace(
        "    credentials: {token: MASTODON_TOKEN}",
        '    credentials: {token: MASTODON_TOKEN}\n'
        '    utm: {source: "bakery-{channel}", medium: "social-{channel}", campaign: "{post}-2026"}')
    repo.write("content/channels.yml", channels)
    repo.post("launch", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]\nlink: https://shop.example/cakes")
    assert "https://shop.example/cakes?utm_source=bakery-mastodon&utm_medium=social-mastodon" \
           "&utm_campaign=launch-2026" in rendered(repo, "launch", "mastodon").parts[0].text
