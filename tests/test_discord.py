"""The Discord adapter against FakeDiscord over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares. The webhook's token (the last piece of its URL) is a canary: no
message, ledger line, outbox file or output may show it, nor the URL.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.model import Channel
from pipeline.errors import PipelineError
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.discord import DiscordNetwork, DiscordOptions
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.publish.service import publish
from pipeline.state.ledger import PUBLISHED, UNCERTAIN, Ledger
from tests.fakes.clock import FakeClock
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, WEBHOOK_ID, FakeDiscord

TOKEN = "dc-canary-Zq8rT2vX5nB7mK1pL4sW9yH3"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
EXECUTE = rf"/api/webhooks/{WEBHOOK_ID}/[^/]+"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeDiscord(TOKEN, clock=clock) as fake:
        yield fake


def make_http(clock: FakeClock) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=(2.0, 5.0), rng=random.Random(7))


def make_network(server: FakeDiscord, clock: FakeClock, *, url: str | None = None, http: Http | None = None,
                 **options) -> DiscordNetwork:
    channel = Channel(id="discord", network="discord", credentials={"webhook_url": "DISCORD_WEBHOOK_URL"},
                      options=DiscordOptions(**options), cadence={}, slots=(), template=None,
                      max_lateness=timedelta(hours=6))
    return DiscordNetwork(channel, env={"DISCORD_WEBHOOK_URL": url or server.webhook_url},
                          http=http or make_http(clock), root=Path("."))


def part(text: str = "Fresh bread today.", **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="discord", number=1, total=1, text=text, key="key-1",
                       **fields)


def executes(server: FakeDiscord):
    return server.calls("POST", EXECUTE)


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_waits_for_the_message_and_links_it(server, clock):
    result = make_network(server, clock).publish(part("Fresh bread today. @everyone"))
    (message,) = server.ours()
    assert result.remote_id == message["id"]
    assert result.url == f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{message['id']}"
    (execute,) = executes(server)
    assert execute.query == {"wait": ["true"]}
    # @everyone in the text is shown, never a ping
    assert execute.json() == {"content": "Fresh bread today. @everyone", "allowed_mentions": {"parse": []}}
    assert [r.method for r in server.requests] == ["GET", "POST"]  # the webhook is read once, first
    assert clock.sleeps == []


def test_images_go_as_attachments_with_their_descriptions(server, clock, tmp_path):
    media = (MediaFile(png(tmp_path / "rye.png"), "Two rye loaves on a board", format="png"),
             MediaFile(png(tmp_path / "crumb.png", (30, 30)), "The crumb, close up", format="png"))
    make_network(server, clock).publish(part(media=media))
    (message,) = server.ours()
    assert [(a["filename"], a["description"], a["content_type"]) for a in message["attachments"]] == [
        ("image1.png", "Two rye loaves on a board", "image/png"), ("image2.png", "The crumb, close up", "image/png")]
    assert [data for _, data in message["_files"]] == [m.path.read_bytes() for m in media]
    assert message["content"] == "Fresh bread today."


def test_username_and_thread_go_with_every_request(server, clock):
    network = make_network(server, clock, username="Crumb Bakery", thread_id="1200000000000000009")
    sent = network.publish(part())
    network.delete(SentPart("bread", "discord", 1, remote_id=sent.remote_id))
    assert executes(server)[0].json()["username"] == "Crumb Bakery"
    assert all(r.query.get("thread_id") == ["1200000000000000009"] for r in server.requests)
    assert sent.url.endswith(f"/1200000000000000009/{sent.remote_id}")


def test_nothing_to_post_and_replies_are_refused_before_sending(server, clock):
    network = make_network(server, clock)
    with pytest.raises(DeliveryError, match="nothing to post"):
        network.publish(part("  "))
    with pytest.raises(DeliveryError, match="cannot reply"):
        network.publish(part(engagement={"reply_to": "https://discord.com/channels/1/2/3"}))
    assert server.requests == []


@pytest.mark.parametrize("url", [
    "https://discord.com/api/channels/123",
    "discord.com/api/webhooks/1/abc",
    "https://discord.com/api/webhooks/notanumber/abc",
])
def test_a_url_that_is_no_webhook_is_refused_without_showing_it(server, clock, url):
    with pytest.raises(PipelineError) as caught:
        make_network(server, clock, url=url).publish(part())
    assert caught.value.code == "credential-invalid" and "DISCORD_WEBHOOK_URL" in caught.value.message
    assert url not in caught.value.message and server.requests == []


ERRORS = [
    ("wrong-token", {"url_token": "wrong-token-123"}, "copy the URL again into DISCORD_WEBHOOK_URL", "auth-failed"),
    ("deleted", {"url_id": "1187654321098765000"}, "the webhook was deleted", "auth-failed"),
    ("too-long", {"fault": (400, {"message": "Invalid Form Body", "code": 50035, "errors": {"content": {
        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}}})}, "BASE_TYPE_MAX_LENGTH", "delivery-failed"),
    ("echoes-token", {"fault": (400, {"message": f"bad request for {TOKEN}", "code": 50035})},
     "bad request for ***", "delivery-failed"),
    ("forbidden", {"fault": (403, {"message": "Missing Permissions", "code": 50013})}, "Missing Permissions",
     "forbidden"),
]


@pytest.mark.parametrize(("setup", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refusals_explain_themselves_and_never_show_the_url(server, clock, setup, says, code):
    url = server.webhook_url
    if "url_token" in setup:
        url = url.replace(TOKEN, setup["url_token"])
    if "url_id" in setup:
        url = url.replace(WEBHOOK_ID, setup["url_id"])
    if "fault" in setup:
        status, body = setup["fault"]
        server.fail("POST", EXECUTE, status=status, body=body)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, url=url).publish(part())
    assert says in caught.value.message and caught.value.code == code and not caught.value.ambiguous
    assert TOKEN not in caught.value.message and url not in caught.value.message
    assert server.ours() == []


@pytest.mark.parametrize("global_limit", [False, True], ids=["bucket", "global"])
def test_a_short_rate_limit_waits_for_retry_after(server, clock, global_limit):
    network = make_network(server, clock)
    network.check_account()
    server.budget(0, reset_after=2.5, global_limit=global_limit)  # another client emptied the bucket
    network.publish(part())
    assert len(server.ours()) == 1 and clock.sleeps == [3.0]  # Retry-After, whole seconds
    assert [r.method for r in server.requests] == ["GET", "POST", "POST"]


def test_an_empty_bucket_is_waited_out_before_the_next_request(server, clock):
    server.budget(2, reset_after=4.0)
    network = make_network(server, clock)
    network.publish(part())  # GET: 1 left; POST: none left, the bucket resets in 4 s
    network.publish(part("Second."))
    assert len(server.ours()) == 2 and clock.sleeps == [4.0]


def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock):
    server.budget(1, reset_after=3600)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous and server.ours() == []


def test_reconcile_cannot_tell_and_says_how_to_settle_it(server, clock):
    with pytest.raises(Uncertain) as caught:
        make_network(server, clock).reconcile(part(), START)
    message = caught.value.message
    assert "cannot list" in message and "social resolve bread --channel discord --part 1" in message
    assert "2026-12-01 11:00 UTC" in message and server.requests == []


def test_delete_removes_the_message_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "discord", 1, remote_id=sent.remote_id, url=sent.url))
    assert server.ours() == []
    network.delete(SentPart("bread", "discord", 1, remote_id=sent.remote_id))
    network.delete(SentPart("bread", "discord", 1, url=sent.url))  # the id from the link


def test_delete_through_a_deleted_webhook_says_what_to_do(server, clock):
    sent = make_network(server, clock).publish(part())
    gone = server.webhook_url.replace(WEBHOOK_ID, "1187654321098765000")
    with pytest.raises(DeliveryError, match="the webhook was deleted"):
        make_network(server, clock, url=gone).delete(SentPart("bread", "discord", 1, remote_id=sent.remote_id))
    with pytest.raises(DeliveryError, match="delete it by hand"):
        make_network(server, clock).delete(SentPart("bread", "discord", 1))


def test_check_account_names_the_webhook_and_its_channel_and_hides_the_echoed_token(server, clock):
    check = make_network(server, clock).check_account()
    assert check.account == f"Crumb & Co. (a webhook of channel {CHANNEL_ID})"
    assert TOKEN not in repr(check)


# -- the engine -------------------------------------------------------------------------


def write_repo(repo, body: str = "Rye is back.") -> None:
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  discord:\n    network: discord\n"
               "    credentials: {webhook_url: DISCORD_WEBHOOK_URL}\n")
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [discord]", body)


@pytest.mark.parametrize("failure", ["dropped", "500", "502"])
def test_engine_a_failure_after_discord_acted_is_uncertain_and_never_a_second_message(repo, server, clock,
                                                                                       failure):
    write_repo(repo)
    if failure == "dropped":
        server.fail("POST", EXECUTE, drop_after_handling=True)
    else:
        server.fail("POST", EXECUTE, status=int(failure), body={"message": "upstream", "code": 0})
    env = {"DISCORD_WEBHOOK_URL": server.webhook_url}
    (outcome,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert outcome.state == UNCERTAIN and "social resolve rye" in outcome.error
    clock.now += timedelta(minutes=10)
    (again,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert again.state == UNCERTAIN and len(executes(server)) == 1
    assert len(server.ours()) == (1 if failure == "dropped" else 0)


def test_engine_a_503_was_not_taken_and_is_sent_again(repo, server, clock):
    write_repo(repo)
    server.fail("POST", EXECUTE, status=503, body={"message": "unavailable", "code": 0})
    env = {"DISCORD_WEBHOOK_URL": server.webhook_url}
    (outcome,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert outcome.state == PUBLISHED and len(server.ours()) == 1


def test_validation_refuses_a_thread_for_discord(repo):
    write_repo(repo, "First part.\n\n---\n\nSecond part.")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 1 and "thread-unsupported" in result.output


def test_publish_end_to_end_once_and_without_leaking_the_url(repo, server, clock, tmp_path, monkeypatch):
    write_repo(repo)
    env = {"DISCORD_WEBHOOK_URL": server.webhook_url}
    first = publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    (outcome,) = first.result.outcomes
    assert outcome.state == PUBLISHED and outcome.url.startswith("https://discord.com/channels/")
    repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [discord]", "One more.")
    server.fail("POST", EXECUTE, status=400, body={"message": f"bad {server.webhook_url}", "code": 50035})
    clock.now = START + timedelta(minutes=50)
    monkeypatch.setattr("pipeline.publish.service.utc_now", clock)
    summary = tmp_path / "summary.md"
    run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                             env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1 and "bad ***" in run.output
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [discord]\nstatus: retracted", "Rye is back.")
    publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    assert [m["content"] for m in server.ours()] == ["One more."]
    assert Ledger(repo.root).parts("rye", "discord")[1].state == "deleted"
    everything = run.output + summary.read_text(encoding="utf-8") + json.dumps(
        [o.__dict__ for o in first.result.outcomes]) + "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in repo.root.rglob("*") if p.is_file()
        and ".git" not in p.parts)
    assert TOKEN not in everything and server.webhook_url not in everything
