"""The Slack adapter against FakeSlack over real HTTP: a bot (chat.postMessage, threads, delete,
reconcile by history) and an incoming webhook (no id: no threads, no retraction).

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares. The bot token and the webhook URL are canaries.
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
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.parts import PartRequest, SentPart
from pipeline.networks.slack import SlackNetwork, SlackOptions
from pipeline.publish.service import publish
from pipeline.state.ledger import PUBLISHED, UNCERTAIN, Ledger
from tests.fakes.clock import FakeClock
from tests.fakes.slack import BOT_ID, CHANNEL, FakeSlack

TOKEN = "xoxb-canary-1234-5678-Qw9Er8Ty7Ui6"
HOOK = "canaryHookSecret0a9b8c7d6e5f"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
POST = r"/api/chat\.postMessage"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeSlack(TOKEN, clock=clock, hook_token=HOOK) as fake:
        yield fake


def make_network(server: FakeSlack, clock: FakeClock, *, token: str = TOKEN, webhook: bool = False,
                 **options) -> SlackNetwork:
    if webhook:
        credentials, env, settings = {"webhook_url": "SLACK_WEBHOOK_URL"}, {"SLACK_WEBHOOK_URL": server.hook_url}, {}
    else:
        credentials, env = {"token": "SLACK_BOT_TOKEN"}, {"SLACK_BOT_TOKEN": token}
        settings = {"channel": CHANNEL, "api": f"{server.url}/api"}
    channel = Channel(id="slack", network="slack", credentials=credentials,
                      options=SlackOptions(**{**settings, **options}), cadence={}, slots=(), template=None,
                      max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=(2.0, 5.0), rng=random.Random(7))
    return SlackNetwork(channel, env=env, http=http, root=Path("."))


def part(text: str = "Fresh *bread* today &amp; tomorrow.", number: int = 1, **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="slack", number=number, total=max(1, number), text=text,
                       key=f"key-{number}", **fields)


# -- a bot ------------------------------------------------------------------------------


def test_a_bot_posts_mrkdwn_and_gets_the_ts_and_the_permalink(server, clock):
    result = make_network(server, clock).publish(part())
    (message,) = server.ours()
    assert result.remote_id == message["ts"] and result.data == {"channel": CHANNEL}
    assert result.url == f"https://crumbandco.slack.com/archives/{CHANNEL}/p{message['ts'].replace('.', '')}"
    (post,) = server.calls("POST", POST)
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.json() == {"channel": CHANNEL, "text": "Fresh *bread* today &amp; tomorrow.", "mrkdwn": True,
                           "unfurl_links": True, "unfurl_media": True}


def test_later_parts_join_the_thread_of_the_first(server, clock):
    network = make_network(server, clock, unfurl_links=False)
    first = network.publish(part("One."))
    root = SentPart("bread", "slack", 1, remote_id=first.remote_id)
    second = network.publish(part("Two.", 2, root=root, parent=root))
    network.publish(part("Three.", 3, root=root, parent=SentPart("bread", "slack", 2, remote_id=second.remote_id)))
    assert [m.get("thread_ts") for m in server.ours()] == [first.remote_id] * 3
    assert all(r.json()["unfurl_links"] is False for r in server.calls("POST", POST))
    with pytest.raises(DeliveryError, match="no Slack ts"):
        network.publish(part("Four.", 4, root=SentPart("bread", "slack", 1, url="https://x")))


def test_a_link_that_cannot_be_read_is_no_failure(server, clock):
    server.fail("GET", r"/api/chat\.getPermalink", status=500, body={"ok": False, "error": "internal_error"},
                times=10)
    result = make_network(server, clock).publish(part())
    assert result.remote_id and result.url is None


ERRORS = [
    ("invalid-auth", {"token": "xoxb-wrong"}, "the token was refused (invalid_auth): check SLACK_BOT_TOKEN",
     "auth-failed"),
    ("missing-scope", {"scopes": {"channels:read"}}, "lacks the scope chat:write", "forbidden"),
    ("not-in-channel", {"member": False}, "/invite @<bot>", "forbidden"),
    ("too-long", {"fault": {"ok": False, "error": "msg_too_long"}}, "refused: msg_too_long", "delivery-failed"),
    ("invalid-blocks", {"fault": {"ok": False, "error": "invalid_blocks", "errors": [f"bad {TOKEN}"]}},
     'refused: invalid_blocks: ["bad ***"]', "delivery-failed"),
]


@pytest.mark.parametrize(("setup", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_ok_false_answers_explain_themselves_and_never_show_the_token(server, clock, setup, says, code):
    if "scopes" in setup:
        server.scopes = setup["scopes"]
    if "member" in setup:
        server.member = setup["member"]
    if "fault" in setup:
        server.fail("POST", POST, status=200, body=setup["fault"])
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, token=setup.get("token", TOKEN)).publish(part())
    assert says in caught.value.message and caught.value.code == code and not caught.value.ambiguous
    assert TOKEN not in caught.value.message and server.ours() == []


@pytest.mark.parametrize("error", ["fatal_error", "internal_error"])
def test_an_error_after_which_slack_may_have_posted_is_unclear(server, clock, error):
    server.fail("POST", POST, status=200, body={"ok": False, "error": error})
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.ambiguous


def test_a_rate_limit_waits_for_retry_after_or_leaves_the_part(server, clock):
    server.fail("POST", POST, status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"})
    make_network(server, clock).publish(part())
    assert clock.sleeps == [30.0] and len(server.ours()) == 1
    server.retry_after = 3600
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part("Later."))
    assert caught.value.retry_later


def test_reconcile_finds_the_bots_message_with_the_text_since_sending(server, clock):
    server.add_message("Fresh *bread* today &amp; tomorrow.", bot=False)      # a person wrote the same
    clock.now -= timedelta(hours=1)
    server.add_message("Fresh *bread* today &amp; tomorrow.")                  # ours, an hour before
    clock.now += timedelta(hours=1)
    ours = server.add_message("Fresh  *bread* today\n&amp; tomorrow.")        # spacing aside: this one
    found = make_network(server, clock).reconcile(part(), START)
    assert found.remote_id == ours["ts"] and found.url.endswith(ours["ts"].replace(".", ""))
    assert make_network(server, clock).reconcile(part(claimed=frozenset({ours["ts"]})), START) is None


def test_reconcile_looks_in_the_thread_for_a_later_part_and_pages_back(server, clock):
    root = server.add_message("One.")
    for n in range(150):
        server.add_message(f"Other {n}.", thread_ts=root["ts"])
    reply = server.add_message("Two.", thread_ts=root["ts"])
    sent = SentPart("bread", "slack", 1, remote_id=root["ts"])
    found = make_network(server, clock).reconcile(part("Two.", 2, root=sent, parent=sent), START)
    assert found.remote_id == reply["ts"]
    assert make_network(server, clock).reconcile(part("Two."), START) is None  # not at the top level


def test_reconcile_with_two_candidates_or_no_history_scope_is_uncertain(server, clock):
    server.add_message("Twice.")
    server.add_message("Twice.")
    with pytest.raises(Uncertain, match="2 of the bot's messages could be it"):
        make_network(server, clock).reconcile(part("Twice."), START)
    server.scopes.discard("channels:history")
    with pytest.raises(Uncertain, match="channels:history") as caught:
        make_network(server, clock).reconcile(part("Twice."), START)
    assert "social resolve bread --channel slack --part 1" in caught.value.message


def test_delete_removes_the_message_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "slack", 1, remote_id=sent.remote_id, url=sent.url, data=sent.data))
    assert server.ours() == []
    network.delete(SentPart("bread", "slack", 1, url=sent.url))  # the ts from the permalink
    other = server.add_message("Someone else's.", bot=False)
    with pytest.raises(DeliveryError, match="cant_delete_message"):
        network.delete(SentPart("bread", "slack", 1, remote_id=other["ts"]))


def test_check_account_names_bot_channel_and_team_and_says_when_the_bot_is_not_in_it(server, clock):
    check = make_network(server, clock).check_account()
    assert check.account == f"crumbbot (bot {BOT_ID}) in #bakery-news of Crumb & Co."
    server.member = False
    with pytest.raises(DeliveryError, match="/invite @crumbbot"):
        make_network(server, clock).check_account()


# -- an incoming webhook ----------------------------------------------------------------


def test_an_incoming_webhook_posts_and_gets_no_id(server, clock):
    result = make_network(server, clock, webhook=True).publish(part())
    assert (result.remote_id, result.url) == (None, None)
    assert server.hooked == [{"text": "Fresh *bread* today &amp; tomorrow.", "mrkdwn": True, "unfurl_links": True}]


def test_an_incoming_webhook_cannot_be_asked_deleted_or_threaded(server, clock):
    network = make_network(server, clock, webhook=True)
    with pytest.raises(Uncertain, match="an incoming webhook cannot be asked"):
        network.reconcile(part(), START)
    with pytest.raises(Exception, match="delete it by hand"):
        network.delete(SentPart("bread", "slack", 1))
    root = SentPart("bread", "slack", 1)
    with pytest.raises(DeliveryError, match="cannot thread"):
        network.publish(part("Two.", 2, root=root, parent=root))
    check = network.check_account()
    assert "SLACK_WEBHOOK_URL" in check.account and HOOK not in check.account
    assert server.hooked == []


def test_a_removed_webhook_says_to_make_a_new_one_without_showing_its_url(server, clock):
    network = make_network(server, clock, webhook=True)
    server.hook_token = "another"
    with pytest.raises(DeliveryError) as caught:
        network.publish(part())
    assert "the webhook was removed or disabled (no_service)" in caught.value.message
    assert "SLACK_WEBHOOK_URL" in caught.value.message and HOOK not in caught.value.message


# -- validation and the engine -----------------------------------------------------------


def write_repo(repo, server, *, webhook: bool = False) -> None:
    settings = ("    credentials: {webhook_url: SLACK_WEBHOOK_URL}\n" if webhook else
                f"    channel: {CHANNEL}\n    api: {server.url}/api\n    credentials: {{token: SLACK_BOT_TOKEN}}\n")
    repo.write("content/channels.yml", f"timezone: Europe/Berlin\nchannels:\n  slack:\n    network: slack\n{settings}")


def validate(repo) -> list[dict]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    answer = json.loads(result.output)
    return answer["errors"] + answer["warnings"]


def test_validation_asks_each_mode_for_its_own_credential(repo, server):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  slack:\n    network: slack\n"
               f"    channel: {CHANNEL}\n    credentials: {{webhook_url: SLACK_WEBHOOK_URL}}\n")
    assert [(f["code"], f["message"]) for f in validate(repo)] == [
        ("credential-missing", "channel 'slack': slack needs credentials.token: the name of the environment "
                               "variable holding it")]
    write_repo(repo, server, webhook=True)
    assert validate(repo) == []


def test_validation_refuses_threads_and_retraction_on_an_incoming_webhook(repo, server):
    write_repo(repo, server, webhook=True)
    repo.post("two", "publish_at: 2026-12-01 11:30\nchannels: [slack]", "One.\n\n---\n\nTwo.")
    repo.post("gone", "publish_at: 2026-12-01 11:30\nchannels: [slack]\nstatus: retracted", "Gone.")
    found = {f["code"]: f for f in validate(repo)}
    assert set(found) == {"thread-unsupported", "retraction-unsupported"}
    assert found["retraction-unsupported"]["line"] == 4 and "by hand" in found["retraction-unsupported"]["message"]
    write_repo(repo, server)
    assert validate(repo) == []


@pytest.mark.parametrize("failure", ["dropped", "fatal_error"])
def test_engine_an_unclear_post_is_found_in_the_history_not_sent_again(repo, server, clock, failure):
    write_repo(repo, server)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [slack]", "Rye is back.")
    if failure == "dropped":
        server.fail("POST", POST, drop_after_handling=True)
    else:  # Slack acted, then said it failed
        original = server._chat_postMessage

        def acted_then_failed(args):
            original(args)
            server._chat_postMessage = original
            return 200, {"ok": False, "error": "fatal_error"}
        server._chat_postMessage = acted_then_failed
    env = {"SLACK_BOT_TOKEN": TOKEN}
    (outcome,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert outcome.state == PUBLISHED and [m["text"] for m in server.ours()] == ["Rye is back."]


def test_engine_an_unclear_webhook_post_is_uncertain_and_never_sent_twice(repo, server, clock):
    write_repo(repo, server, webhook=True)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [slack]", "Rye is back.")
    server.fail("POST", r"/services/.*", drop_after_handling=True)
    env = {"SLACK_WEBHOOK_URL": server.hook_url}
    (outcome,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert outcome.state == UNCERTAIN and len(server.hooked) == 1
    clock.now += timedelta(minutes=10)
    publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    assert len(server.hooked) == 1
    everything = "".join(p.read_text(encoding="utf-8", errors="replace") for p in repo.root.rglob("*")
                         if p.is_file() and ".git" not in p.parts)
    assert HOOK not in everything


def test_publish_end_to_end_thread_retraction_and_no_token_anywhere(repo, server, clock, tmp_path, monkeypatch):
    write_repo(repo, server)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [slack]", "Rye is *back*.\n\n---\n\nAll week.")
    env = {"SLACK_BOT_TOKEN": TOKEN}
    first = publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    assert [o.state for o in first.result.outcomes] == [PUBLISHED, PUBLISHED]
    assert [m["text"] for m in server.ours()] == ["Rye is _back_.", "All week."]
    server.fail("POST", POST, status=200, body={"ok": False, "error": f"weird {TOKEN}"})
    repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [slack]", "One more.")
    clock.now = START + timedelta(minutes=50)
    monkeypatch.setattr("pipeline.publish.service.utc_now", clock)
    summary = tmp_path / "summary.md"
    run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                             env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1 and "weird ***" in run.output
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [slack]\nstatus: retracted", "Rye.\n\n---\n\nAll.")
    publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    assert [m["text"] for m in server.ours()] == ["One more."]
    assert {n: e.state for n, e in Ledger(repo.root).parts("rye", "slack").items()} == {1: "deleted", 2: "deleted"}
    everything = run.output + summary.read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in repo.root.rglob("*") if p.is_file()
        and ".git" not in p.parts)
    assert TOKEN not in everything
