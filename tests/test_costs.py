"""What posting costs where a network charges (X): `social render` per post, `social preview` per change."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.networks.cost import CostEstimate, PostCost, money
from pipeline.state.ledger import PUBLISHED, Entry, Ledger
from tests.test_preview import NOW, commit, git

X_CHANNEL = """\
  x:
    network: x
    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}
"""
PRICED = X_CHANNEL + "    prices: {post: 0.01, post_with_url: 0.25}\n"
LINKED = "publish_at: 2026-12-02 09:00\nchannels: [x, mastodon]\nlink: https://crumbandco.de/rye"


def with_x(repo, channel: str = X_CHANNEL) -> None:
    channels = (repo.root / "content/channels.yml").read_text(encoding="utf-8")
    repo.write("content/channels.yml", channels + channel)


def run(repo, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("amount", "shown"), [
    (0.23, "$0.23"), (0.015, "$0.015"), (0.2 + 0.015 + 0.015, "$0.23"), (3.0, "$3.00"), (0.0, "$0.00"),
])
def test_money_shows_cents_and_a_third_decimal_only_where_needed(amount, shown):
    assert money(amount) == shown
    assert money(1.5, "CHF") == "1.50 CHF"


def test_an_estimate_sums_its_posts_and_counts_the_links():
    estimate = CostEstimate((PostCost("post", 0.015), PostCost("post_with_url", 0.2), PostCost("post", 0.015)))
    assert estimate.summary() == "3 posts, 1 with a link: about $0.23"
    assert CostEstimate((PostCost("post", 0.015),)).summary() == "1 post: about $0.015"
    assert CostEstimate.combine([]) is None


def test_render_shows_each_x_posts_price_and_the_total(repo):
    with_x(repo)
    repo.post("rye", LINKED, "Rye is back.\n---\nAnd spelt on Fridays.")
    text = run(repo, "render", "rye")
    x = text.split("== x (x)")[1].split("== mastodon")[0]
    assert "-- part 1/2: " in x and "ok, about $0.20 (a post with a link)" in x.splitlines()[1]
    assert "ok, about $0.015 (a post)" in x
    assert "cost: 2 posts, 1 with a link: about $0.215 (X's pay-per-use prices as of 2026-12-01" in x
    assert "about $" not in text.split("== mastodon")[1]  # Mastodon charges nothing
    data = json.loads(run(repo, "render", "rye", "--format", "json"))
    x_json = next(r for r in data["renderings"] if r["channel"] == "x")
    assert [p["cost"]["kind"] for p in x_json["parts"]] == ["post_with_url", "post"]
    assert x_json["cost"]["total"] == pytest.approx(0.215) and x_json["cost"]["with_url"] == 1
    assert next(r for r in data["renderings"] if r["channel"] == "mastodon")["cost"] is None


def test_render_uses_the_channels_own_prices(repo):
    with_x(repo, PRICED)
    repo.post("rye", LINKED, "Rye is back.")
    assert "about $0.25 (a post with a link)" in run(repo, "render", "rye", "--channel", "x")


@pytest.fixture
def change(repo):
    """main: one X post published already; the branch changes it, adds two ready posts and a draft."""
    with_x(repo)
    git(repo.root, "init", "-q", "-b", "main")
    repo.post("old", "publish_at: 2026-12-01 09:00\nchannels: [x]", "Old news.")
    commit(repo.root, "base")
    git(repo.root, "checkout", "-q", "-b", "posts")
    repo.post("old", "publish_at: 2026-12-01 09:00\nchannels: [x]", "Old news, edited.")
    repo.post("rye", LINKED, "Rye is back.\n---\nAnd spelt on Fridays.")
    repo.post("buns", "publish_at: 2026-12-03 09:00\nchannels: [x]", "Cardamom buns.")
    repo.post("idea", "status: draft\nchannels: [x]", "Maybe pretzels, see pretzel.de")
    commit(repo.root, "posts")
    Ledger(repo.root).append(Entry("old", "x", 1, PUBLISHED, "2026-12-01T08:00:00+00:00", remote_id="1",
                                   url="https://x.com/i/web/status/1"))
    return repo


def test_preview_totals_what_the_changes_ready_posts_will_cost_per_channel(change):
    text = CliRunner().invoke(cli, ["preview", "--root", str(change.root), "--now", NOW, "--changed",
                                    "main..posts"]).output
    block = text.split("### Estimated cost\n")[1].split("\n### ")[0]
    # rye: two parts (one with the link), buns: one; the draft and the published post are not sent
    assert "- `x` (X): 3 posts, 1 with a link: about $0.23" in block
    assert "mastodon" not in block
    assert "X's pay-per-use prices as of 2026-12-01" in block
    assert "Part 1 of 2: **" in text and "· about $0.20 (a post with a link)" in text
    plain = CliRunner().invoke(cli, ["preview", "--root", str(change.root), "--now", NOW, "--changed",
                                     "main..posts", "--format", "text"]).output
    assert "estimated cost:\n  x (X): 3 posts, 1 with a link: about $0.23\n" in plain
    data = json.loads(CliRunner().invoke(cli, ["preview", "--root", str(change.root), "--now", NOW, "--changed",
                                               "main..posts", "--format", "json"]).output)
    (cost,) = data["costs"]
    assert (cost["channel"], cost["network"], cost["posts"], cost["with_url"]) == ("x", "X", 3, 1)
    assert cost["total"] == pytest.approx(0.23) and cost["currency"] == "USD"


def test_a_change_without_x_posts_shows_no_cost(repo):
    git(repo.root, "init", "-q", "-b", "main")
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [mastodon]")
    commit(repo.root, "base")
    git(repo.root, "checkout", "-q", "-b", "posts")
    repo.post("b", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]")
    commit(repo.root, "posts")
    text = CliRunner().invoke(cli, ["preview", "--root", str(repo.root), "--now", NOW, "--changed",
                                    "main..posts"]).output
    assert "Estimated cost" not in text
