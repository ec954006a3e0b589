"""The Telegram adapter against FakeTelegram over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares. The bot token is in every URL and is a canary: no message, ledger
line, outbox file or output may show it, nor its secret half.
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
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.networks.telegram import TelegramNetwork, TelegramOptions
from pipeline.publish.service import publish
from pipeline.state.ledger import PUBLISHED, UNCERTAIN, Ledger
from tests.fakes.clock import FakeClock
from tests.fakes.telegram import BOT, CHAT_ID, FakeTelegram

SECRET_HALF = "AAHcanaryX9qL2mV7tR4pW8zK3nB6yF1dS5"
TOKEN = f"{BOT['id']}:{SECRET_HALF}"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
SEND = r"/bot[^/]+/send\w+"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeTelegram(TOKEN, clock=clock) as fake:
        yield fake


def make_network(server: FakeTelegram, clock: FakeClock, *, token: str = TOKEN, **options) -> TelegramNetwork:
    channel = Channel(id="telegram", network="telegram", credentials={"bot_token": "TELEGRAM_BOT_TOKEN"},
                      options=TelegramOptions(**{"chat_id": "@crumbandco", "api": server.url, **options}),
                      cadence={}, slots=(), template=None, max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=(2.0, 5.0), rng=random.Random(7))
    return TelegramNetwork(channel, env={"TELEGRAM_BOT_TOKEN": token}, http=http, root=Path("."))


def part(text: str = "Fresh bread today.", number: int = 1, **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="telegram", number=number, total=max(number, 1), text=text,
                       key=f"key-{number}", **fields)


def images(tmp_path: Path, count: int) -> tuple[MediaFile, ...]:
    from PIL import Image

    made = []
    for n in range(1, count + 1):
        path = tmp_path / f"loaf{n}.png"
        Image.new("RGB", (20 + n, 20), "wheat").save(path, format="PNG")
        made.append(MediaFile(path, f"Loaf number {n}", format="png"))
    return tuple(made)


def sends(server: FakeTelegram):
    return server.calls("POST", SEND)


# -- posting ----------------------------------------------------------------------------


def test_a_text_message_is_plain_text_and_linked_in_the_public_channel(server, clock):
    result = make_network(server, clock).publish(part("Fresh *bread* <today> & [more](x)"))
    (message,) = server.ours()
    assert message["text"] == "Fresh *bread* <today> & [more](x)"  # no parse_mode: nothing to escape
    (send,) = sends(server)
    assert send.path == f"/bot{TOKEN}/sendMessage"
    assert send.json() == {"chat_id": "@crumbandco", "text": "Fresh *bread* <today> & [more](x)"}
    assert (result.remote_id, result.url) == ("101", "https://t.me/crumbandco/101")
    assert result.data == {"chat_id": CHAT_ID, "sent_at": "2026-12-01T11:00:00Z"}


def test_one_image_is_a_photo_with_the_text_as_its_caption(server, clock, tmp_path):
    media = images(tmp_path, 1)
    result = make_network(server, clock).publish(part("Rye.\n\nImage: Loaf number 1", media=media))
    (message,) = server.ours()
    assert message["caption"] == "Rye.\n\nImage: Loaf number 1"
    assert message["_files"] == [("loaf1.png", media[0].path.read_bytes())]
    assert sends(server)[0].path.endswith("/sendPhoto") and result.url == f"https://t.me/crumbandco/{message['message_id']}"


def test_several_images_are_an_album_captioned_under_the_first(server, clock, tmp_path):
    network = make_network(server, clock)
    result = network.publish(part("Three loaves.", media=images(tmp_path, 3)))
    album = server.ours()
    assert [m.get("caption") for m in album] == ["Three loaves.", None, None]
    assert len({m["media_group_id"] for m in album}) == 1
    assert result.remote_id == str(album[0]["message_id"])
    assert result.data["message_ids"] == [m["message_id"] for m in album]
    network.delete(SentPart("bread", "telegram", 1, remote_id=result.remote_id, data=result.data))
    assert server.ours() == []


def test_a_later_part_replies_to_the_one_before_and_never_goes_out_loose(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One."))
    parent = SentPart("bread", "telegram", 1, remote_id=first.remote_id)
    network.publish(part("Two.", 2, root=parent, parent=parent))
    assert server.ours()[1]["reply_to_message"]["text"] == "One."
    assert sends(server)[1].json()["reply_parameters"] == {"message_id": 101, "allow_sending_without_reply": False}
    server.messages.clear()  # someone deleted the thread's start
    with pytest.raises(DeliveryError, match="message to be replied not found"):
        network.publish(part("Three.", 3, root=parent, parent=parent))
    with pytest.raises(DeliveryError, match="no Telegram message id"):
        network.publish(part("Four.", 4, parent=SentPart("bread", "telegram", 3, url="https://t.me/x")))
    assert server.ours() == []


def test_silent_and_a_private_chat_without_links(clock):
    with FakeTelegram(TOKEN, clock=clock, username=None, kind="supergroup") as private:
        result = make_network(private, clock, chat_id=str(CHAT_ID), silent=True).publish(part())
        assert result.url is None and private.ours()[0]["_silent"]
        named = make_network(private, clock, chat_id=str(CHAT_ID), public_username="crumbandco").publish(part("B"))
        assert named.url == "https://t.me/crumbandco/102"


def test_nothing_to_post_and_engagement_are_refused_before_sending(server, clock):
    network = make_network(server, clock)
    with pytest.raises(DeliveryError, match="nothing to post"):
        network.publish(part(" "))
    with pytest.raises(DeliveryError, match="cannot quote"):
        network.publish(part(engagement={"quote": "https://t.me/other/5"}))
    assert server.requests == []


def test_a_token_that_cannot_be_in_a_url_is_refused_without_showing_it(server, clock):
    with pytest.raises(PipelineError) as caught:
        make_network(server, clock, token="123:abc/../../x").publish(part())
    assert caught.value.code == "credential-invalid" and "abc/" not in caught.value.message
    assert server.requests == []


ERRORS = [
    ("wrong-token", {"token": f"{BOT['id']}:wrong-secret-half"}, "check TELEGRAM_BOT_TOKEN", "auth-failed"),
    ("chat-not-found", {"chat_id": "@nosuchchat"}, "check chat_id (@nosuchchat)", "delivery-failed"),
    ("kicked", {"member": "kicked"}, "add the bot to @crumbandco", "forbidden"),
    ("echoes-token", {"fault": (400, {"ok": False, "error_code": 400,
                                      "description": f"Bad Request: bot{TOKEN} said {SECRET_HALF}"})},
     "Bad Request: *** said ***", "delivery-failed"),
    ("migrated", {"fault": (400, {"ok": False, "error_code": 400, "description": "Bad Request: group chat was "
                                  "upgraded to a supergroup chat", "parameters": {"migrate_to_chat_id": -1002}})},
     'set chat_id of channel \'telegram\' to "-1002"', "delivery-failed"),
]


@pytest.mark.parametrize(("setup", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refusals_explain_themselves_and_never_show_the_token(server, clock, setup, says, code):
    if "member" in setup:
        server.member["status"] = setup["member"]
    if "fault" in setup:
        status, body = setup["fault"]
        server.fail("POST", SEND, status=status, body=body)
    options = {"chat_id": setup["chat_id"]} if "chat_id" in setup else {}
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, token=setup.get("token", TOKEN), **options).publish(part())
    assert says in caught.value.message and caught.value.code == code and not caught.value.ambiguous
    assert SECRET_HALF not in caught.value.message and server.ours() == []


def test_a_short_rate_limit_waits_for_retry_after_in_the_body(server, clock):
    server.budget(0, retry_after=7)
    make_network(server, clock).publish(part())
    assert len(server.ours()) == 1 and clock.sleeps == [7.0]


def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock):
    server.budget(0, retry_after=3600)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous and server.ours() == []


def test_reconcile_cannot_tell_and_says_how_to_settle_it(server, clock):
    with pytest.raises(Uncertain) as caught:
        make_network(server, clock).reconcile(part(), START)
    message = caught.value.message
    assert "cannot read the chat's history" in message and "@crumbandco" in message
    assert "social resolve bread --channel telegram --part 1" in message and server.requests == []


def test_delete_within_48_hours_and_a_missing_message_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    clock.now += timedelta(hours=47)
    network.delete(SentPart("bread", "telegram", 1, remote_id=sent.remote_id, url=sent.url, data=sent.data))
    assert server.ours() == []
    network.delete(SentPart("bread", "telegram", 1, url=sent.url))


def test_delete_after_48_hours_says_to_delete_it_by_hand(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    clock.now += timedelta(hours=50)
    with pytest.raises(DeliveryError) as caught:
        network.delete(SentPart("bread", "telegram", 1, remote_id=sent.remote_id, data=sent.data))
    assert "only within 48 hours" in caught.value.message and "sent 50 hours ago" in caught.value.message
    assert "by hand" in caught.value.message and len(server.ours()) == 1


def test_check_account_names_the_bot_and_the_chat_and_its_right_to_post(server, clock):
    check = make_network(server, clock).check_account()
    assert check.account == "@crumbandco_bot in Crumb & Co. (channel)"
    assert any("48 hours" in note for note in check.notes)
    server.member.update(status="member", can_post_messages=False)
    with pytest.raises(DeliveryError, match="make it an administrator of the channel"):
        make_network(server, clock).check_account()


def test_check_account_notes_that_a_private_chat_has_no_links(clock):
    with FakeTelegram(TOKEN, clock=clock, username=None, kind="group") as private:
        private.member = {"status": "member", "user": BOT}
        check = make_network(private, clock, chat_id=str(CHAT_ID)).check_account()
        assert check.account == "@crumbandco_bot in Crumb & Co. (group)"
        assert any("no public links" in note for note in check.notes)


# -- the engine -------------------------------------------------------------------------


def write_repo(repo, server) -> None:
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  telegram:\n    network: telegram\n"
               f"    chat_id: \"@crumbandco\"\n    api: {server.url}\n"
               "    credentials: {bot_token: TELEGRAM_BOT_TOKEN}\n")


@pytest.mark.parametrize("failure", ["dropped", "500", "502"])
def test_engine_a_failure_after_telegram_acted_is_uncertain_and_never_a_second_message(repo, server, clock,
                                                                                        failure):
    write_repo(repo, server)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [telegram]", "Rye is back.")
    if failure == "dropped":
        server.fail("POST", SEND, drop_after_handling=True)
    else:
        server.fail("POST", SEND, status=int(failure), body={"ok": False, "error_code": int(failure),
                                                             "description": "Internal Server Error"})
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    (outcome,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert outcome.state == UNCERTAIN and "social resolve rye" in outcome.error
    clock.now += timedelta(minutes=10)
    (again,) = publish(repo.root, env=env, sleep=clock.sleep, clock=clock).result.outcomes
    assert again.state == UNCERTAIN and len(sends(server)) == 1


def test_publish_end_to_end_image_described_in_the_caption_and_no_token_anywhere(repo, server, clock, tmp_path,
                                                                                 monkeypatch):
    write_repo(repo, server)
    (repo.root / "content/media").mkdir(parents=True)
    images(repo.root / "content/media", 1)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [telegram]\nmedia:\n  - path: media/loaf1.png\n"
              "    alt: A dark rye loaf on a board", "Rye is back.")
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    validate = CliRunner().invoke(cli, ["validate", "--root", str(repo.root)])
    assert validate.exit_code == 0, validate.output
    first = publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    (outcome,) = first.result.outcomes
    assert outcome.state == PUBLISHED and outcome.url == "https://t.me/crumbandco/101"
    assert server.ours()[0]["caption"] == "Rye is back.\n\nImage: A dark rye loaf on a board"
    repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [telegram]", "One more.")
    server.fail("POST", SEND, status=400, body={"ok": False, "error_code": 400, "description": f"bad {TOKEN}"})
    clock.now = START + timedelta(minutes=50)
    monkeypatch.setattr("pipeline.publish.service.utc_now", clock)
    summary = tmp_path / "summary.md"
    run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                             env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1 and "bad ***" in run.output
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [telegram]\nstatus: retracted\nmedia:\n"
              "  - path: media/loaf1.png\n    alt: A dark rye loaf on a board", "Rye is back.")
    publish(repo.root, env=env, sleep=clock.sleep, clock=clock)
    assert Ledger(repo.root).parts("rye", "telegram")[1].state == "deleted"
    everything = run.output + summary.read_text(encoding="utf-8") + json.dumps(
        [o.__dict__ for o in first.result.outcomes]) + "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in repo.root.rglob("*") if p.is_file()
        and ".git" not in p.parts)
    assert SECRET_HALF not in everything
