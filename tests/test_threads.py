"""The Threads adapter against FakeThreads over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the fake
server shares, so a container that needs 8 s to be ready is ready after 8 s of sleeps,
in no time. The token is a canary: no message, ledger line, outbox file or output may
show it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from pipeline.cli import cli
from pipeline.content.load import post_files, read_posts
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets, wait_from_headers
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.networks.threads import ThreadsNetwork, ThreadsOptions
from pipeline.networks.threads.posts import MAX_PAGES, PAGE_SIZE, POLL_DELAYS, comparable
from pipeline.publish.plan import make_plan
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import utc_iso
from tests.fakes.clock import FakeClock
from tests.fakes.threads import USER_ID, FakeThreads, graph_error

TOKEN = "th-canary-9a7c5e3b1d2f4e6a"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
PUBLISH = r"/v1\.0/[^/]+/threads_publish"
CREATE = r"/v1\.0/[^/]+/threads"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeThreads(TOKEN, clock=clock) as fake:
        yield fake


def make_http(clock: FakeClock, timeout=(2.0, 5.0)) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=timeout, rng=random.Random(7))


def make_network(server: FakeThreads, clock: FakeClock, root: Path = Path("."), *, token: str = TOKEN,
                 http: Http | None = None, **options) -> ThreadsNetwork:
    options.setdefault("media_base_url", server.site_url)
    channel = Channel(id="threads", network="threads", credentials={"token": "THREADS_TOKEN"},
                      options=ThreadsOptions(api=server.url, **options), cadence={}, slots=(), template=None,
                      max_lateness=timedelta(hours=6))
    return ThreadsNetwork(channel, env={"THREADS_TOKEN": token}, http=http or make_http(clock), root=root)


def part(text: str = "Fresh bread today.", *, key: str = "key-1", number: int = 1, **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="threads", number=number, total=max(number, 1), text=text,
                       key=key, **fields)


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


def images(root: Path, server: FakeThreads | None, count: int, *, online: bool = True) -> tuple[MediaFile, ...]:
    """`count` images in root/content/media/, served by the fake site unless `online` is False."""
    made = []
    for n in range(1, count + 1):
        path = png(root / "content" / "media" / f"loaf{n}.png", (20 + n, 20))
        if server is not None and online:
            server.site[f"loaf{n}.png"] = path.read_bytes()
        made.append(MediaFile(path, f"Loaf number {n}", format="png"))
    return tuple(made)


def calls(server: FakeThreads) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


def publishes(server: FakeThreads):
    return server.calls("POST", PUBLISH)


def creates(server: FakeThreads):
    return server.calls("POST", CREATE)


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_is_a_container_read_until_ready_then_published(server, clock):
    result = make_network(server, clock).publish(part())
    (post,) = server.ours()
    assert (result.remote_id, result.url) == (post["id"], post["permalink"])
    (container,) = server.containers
    assert calls(server) == [
        "GET /v1.0/me/threads_publishing_limit", "POST /v1.0/me/threads", f"GET /v1.0/{container}",
        "POST /v1.0/me/threads_publish", f"GET /v1.0/{post['id']}"]
    assert creates(server)[0].form() == {"media_type": ["TEXT"], "text": ["Fresh bread today."]}
    assert publishes(server)[0].form() == {"creation_id": [container]}
    assert server.requests[2].query == {"fields": ["status,error_message"]}
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}
    assert all(TOKEN not in json.dumps(r.query) + r.body.decode() for r in server.requests)
    assert clock.sleeps == []


def test_an_image_is_checked_online_then_waited_for_until_threads_has_fetched_it(server, clock, tmp_path):
    media = images(tmp_path, server, 1)
    make_network(server, clock, tmp_path).publish(part(media=media))
    (head,) = server.calls("HEAD", r"/site/.+")
    assert head.path == "/site/loaf1.png" and "authorization" not in head.headers
    assert creates(server)[0].form() == {"media_type": ["IMAGE"], "image_url": [server.site_url + "loaf1.png"],
                                         "alt_text": ["Loaf number 1"], "text": ["Fresh bread today."]}
    # ready after 8 s: read at 0, 2, 5 and 10 s, published after the read that said FINISHED
    assert clock.sleeps == [2, 3, 5]
    statuses = [r for r in server.requests if r.method == "GET" and r.query.get("fields") == ["status,error_message"]]
    assert len(statuses) == 4 and server.requests.index(statuses[-1]) < server.requests.index(publishes(server)[0])
    (post,) = server.ours()
    assert post["media_type"] == "IMAGE" and post["alt_text"] == "Loaf number 1"


@pytest.mark.parametrize("count", [2, 3, 20])
def test_several_images_are_a_carousel_of_ready_items_in_order(server, clock, tmp_path, count):
    media = images(tmp_path, server, count)
    make_network(server, clock, tmp_path).publish(part("", media=media))
    *items, carousel = creates(server)
    assert [i.form()["image_url"] for i in items] == [[server.site_url + f"loaf{n}.png"] for n in range(1, count + 1)]
    assert all(i.form()["is_carousel_item"] == ["true"] and i.form()["media_type"] == ["IMAGE"] for i in items)
    assert [i.form()["alt_text"] for i in items] == [[m.alt] for m in media]
    children = [c for c in server.containers if server.containers[c]["carousel_item"]]
    assert carousel.form() == {"media_type": ["CAROUSEL"], "children": [",".join(children)]}
    (post,) = server.ours()
    assert post["media_type"] == "CAROUSEL_ALBUM" and post["_children"] == children


def test_an_image_path_is_quoted_in_its_public_address(server, clock, tmp_path):
    path = png(tmp_path / "content/media/2026/rye loaf.png")
    server.site["2026/rye%20loaf.png"] = path.read_bytes()
    make_network(server, clock, tmp_path).publish(part(media=(MediaFile(path, "Rye"),)))
    assert creates(server)[0].form()["image_url"] == [server.site_url + "2026/rye%20loaf.png"]


def test_an_image_not_online_fails_before_anything_is_made(server, clock, tmp_path):
    media = images(tmp_path, server, 2, online=False)
    server.site["loaf1.png"] = media[0].path.read_bytes()
    with pytest.raises(DeliveryError, match=r"content/media/loaf2\.png is not online at .*/site/loaf2\.png") as caught:
        make_network(server, clock, tmp_path).publish(part(media=media))
    assert caught.value.code == "media-not-online" and not caught.value.ambiguous
    assert "deployed" in caught.value.message and creates(server) == []


def test_an_older_version_of_the_image_online_fails_the_part(server, clock, tmp_path):
    (media,) = images(tmp_path, server, 1)
    server.site["loaf1.png"] = b"an older, shorter image"
    with pytest.raises(DeliveryError, match="serves 23 bytes") as caught:
        make_network(server, clock, tmp_path).publish(part(media=(media,)))
    assert caught.value.code == "media-not-online" and creates(server) == []


def test_a_container_threads_cannot_make_fails_the_part_and_publishes_nothing(server, clock, tmp_path):
    media = images(tmp_path, server, 1)
    server.container_error = "FAILED_DOWNLOADING_IMAGE"
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, tmp_path).publish(part(media=media))
    message = caught.value.message
    assert "FAILED_DOWNLOADING_IMAGE" in message and server.site_url + "loaf1.png" in message
    assert caught.value.code == "container-failed" and not caught.value.ambiguous
    assert publishes(server) == [] and server.ours() == []


def test_a_container_still_in_progress_after_five_minutes_is_not_published(server, clock):
    server.processing["TEXT"] = 3600
    with pytest.raises(DeliveryError, match="still preparing it after 300 s") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.code == "container-not-ready" and not caught.value.ambiguous
    assert clock.sleeps == list(POLL_DELAYS) and sum(clock.sleeps) == 300
    assert publishes(server) == []


def test_a_publish_refused_as_not_ready_is_tried_again_after_a_wait(server, clock):
    server.fail("POST", PUBLISH, status=400, body=graph_error(400, "The media is not ready for publishing, please "
                                                                   "wait for a moment", 9007, 2207027)[1])
    make_network(server, clock).publish(part())
    assert len(publishes(server)) == 2 and len(server.ours()) == 1 and clock.sleeps == [10.0]


def test_a_part_of_a_thread_replies_to_the_part_before(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One."))
    parent = SentPart("bread", "threads", 1, "key-1", first.remote_id, first.url)
    network.publish(part("Two.", key="key-2", number=2, root=parent, parent=parent))
    assert creates(server)[1].form() == {"media_type": ["TEXT"], "text": ["Two."], "reply_to_id": [first.remote_id]}
    assert server.calls("GET", r"/v1\.0/me/threads_publishing_limit")[1].query == {
        "fields": ["reply_quota_usage,reply_config"]}
    assert server.ours()[1]["replied_to"] == {"id": first.remote_id}


def test_a_part_whose_parent_has_no_id_is_not_sent(server, clock):
    parent = SentPart("bread", "threads", 1, "key-1", None, "https://www.threads.com/@crumbandco/post/C1")
    with pytest.raises(DeliveryError, match="holds no id for part 1") as caught:
        make_network(server, clock).publish(part("Two.", number=2, parent=parent, root=parent))
    assert caught.value.code == "thread-parent-unknown" and server.requests == []


def test_nothing_to_post_and_engagement_are_refused_before_sending(server, clock):
    network = make_network(server, clock)
    with pytest.raises(DeliveryError, match="nothing to post"):
        network.publish(part("  "))
    with pytest.raises(DeliveryError, match="cannot reply_to; nothing was sent"):
        network.publish(part(engagement={"reply_to": "https://www.threads.com/@baker/post/C1"}))
    assert server.requests == []


# -- the publishing quota ---------------------------------------------------------------


def test_a_used_up_quota_leaves_the_part_for_a_later_run_without_making_anything(server, clock):
    server.used(posts=250)
    with pytest.raises(DeliveryError, match="published 250 of the 250 posts") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and caught.value.code == "quota-used" and not caught.value.ambiguous
    assert creates(server) == [] and publishes(server) == []


def test_replies_have_a_quota_of_their_own(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One."))
    parent = SentPart("bread", "threads", 1, "key-1", first.remote_id)
    server.used(posts=250)
    network.publish(part("Two.", key="key-2", number=2, parent=parent, root=parent))
    server.used(replies=999)
    with pytest.raises(DeliveryError, match="1000 of the 1000 replies") as caught:
        network.publish(part("Three.", key="key-3", number=3, parent=parent, root=parent))
    assert caught.value.retry_later and len(server.ours()) == 2


def test_a_quota_that_cannot_be_read_does_not_stop_the_post(server, clock):
    server.fail("GET", r"/v1\.0/me/threads_publishing_limit", status=400, body=graph_error(400, "nope", 100)[1])
    make_network(server, clock).publish(part())
    assert len(server.ours()) == 1


# -- refusals: (server setup, channel options, what the message says, its code) ---------

ERRORS = [
    ("token-wrong", lambda s: None, {"token": "wrong-token-value-123"},
     ["token rejected: check THREADS_TOKEN", "60 days", "Invalid OAuth access token"], "auth-failed"),
    ("token-expired", lambda s: setattr(s, "token_expires_at", START - timedelta(days=1)), {},
     ["token rejected: check THREADS_TOKEN", "Session has expired"], "auth-failed"),
    ("publish-permission-missing", lambda s: s.scopes.discard("threads_content_publish"), {},
     ["refused (403)", "the token lacks the permission threads_content_publish", "check THREADS_TOKEN"],
     "forbidden"),
    ("link-limit", lambda s: s.fail("POST", CREATE, status=400, body=graph_error(
        400, "THREADS_API__LINK_LIMIT_EXCEEDED", 100)[1]), {},
     ["refused (400): THREADS_API__LINK_LIMIT_EXCEEDED"], "delivery-failed"),
    ("user-message-preferred", lambda s: s.fail("POST", PUBLISH, status=400, body=graph_error(
        400, "Invalid parameter", 100, error_user_msg="The post is too long")[1]), {},
     ["refused (400): The post is too long"], "delivery-failed"),
    ("token-echoed-is-masked", lambda s: s.fail("POST", CREATE, status=400, body=graph_error(
        400, f"bad token {TOKEN}", 100)[1]), {}, ["refused (400): bad token ***"], "delivery-failed"),
]


@pytest.mark.parametrize(("setup", "options", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refusals_explain_themselves_and_never_show_the_token(server, clock, setup, options, says, code):
    setup(server)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, **options).publish(part())
    message = caught.value.message
    for words in says:
        assert words in message
    assert caught.value.code == code and not caught.value.ambiguous and not caught.value.retry_later
    assert TOKEN not in message and "wrong-token-value-123" not in message
    assert server.ours() == []


def test_a_reply_without_the_replies_permission_names_it(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One."))
    server.scopes.discard("threads_manage_replies")
    parent = SentPart("bread", "threads", 1, "key-1", first.remote_id)
    with pytest.raises(DeliveryError, match="lacks the permission threads_manage_replies"):
        network.publish(part("Two.", key="key-2", number=2, parent=parent, root=parent))


def test_throttling_leaves_the_part_for_a_later_run_and_says_for_how_long(server, clock):
    server.throttle_after = 0
    with pytest.raises(DeliveryError, match="limiting the account for about 60 min") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous and clock.sleeps == []


def test_a_short_429_waits_as_long_as_metas_usage_header_says(server, clock):
    usage = json.dumps({USER_ID: [{"type": "threads", "call_count": 100, "estimated_time_to_regain_access": 1}]})
    server.fail("POST", PUBLISH, status=429, body=graph_error(429, "Too many calls", 4)[1],
                headers={"X-Business-Use-Case-Usage": usage})
    make_network(server, clock).publish(part())
    assert clock.sleeps == [60.0] and len(server.ours()) == 1


@pytest.mark.parametrize(("header", "seconds"), [
    ('{"1": [{"type": "threads", "estimated_time_to_regain_access": 15}]}', 900.0),
    ('{"1": [{"estimated_time_to_regain_access": 0}], "2": [{"estimated_time_to_regain_access": 2}]}', 120.0),
    ('{"1": [{"estimated_time_to_regain_access": 0}]}', None),
    ("not json", None),
    ('["a list"]', None),
])
def test_metas_usage_header_tells_how_long_to_wait(header, seconds):
    assert wait_from_headers({"X-Business-Use-Case-Usage": header}, None, START) == seconds


# -- exactly once, in the adapter -------------------------------------------------------


def test_the_container_is_recorded_before_anything_may_publish_it(server, clock):
    recorded = []
    request = part(record_progress=lambda data: recorded.append((dict(data), len(publishes(server)))))
    make_network(server, clock).publish(request)
    (container,) = server.containers
    assert recorded == [({"container": container}, 0)]


@pytest.mark.parametrize("status", ["FINISHED", "IN_PROGRESS"])
def test_a_retry_publishes_the_container_the_earlier_attempt_made(server, clock, status):
    server.processing["TEXT"] = 5 if status == "IN_PROGRESS" else 0
    network = make_network(server, clock)
    response = network._call("POST", "/me/threads", what="a container an earlier run made",
                             data={"media_type": "TEXT", "text": "Fresh bread today."})
    container = response.json()["id"]
    result = make_network(server, clock).publish(part(progress={"container": container}))
    assert len(creates(server)) == 1 and publishes(server)[0].form() == {"creation_id": [container]}
    assert result.remote_id == server.ours()[0]["id"]


@pytest.mark.parametrize("state", ["expired", "error", "gone"])
def test_a_retry_whose_container_cannot_be_published_makes_a_new_one(server, clock, state):
    network = make_network(server, clock)
    if state == "gone":
        container = "17999999999999999"
    else:
        server.container_error = "UNKNOWN" if state == "error" else None
        container = network._call("POST", "/me/threads", what="an earlier container",
                                  data={"media_type": "TEXT", "text": "Fresh bread today."}).json()["id"]
        if state == "expired":
            clock.now += timedelta(hours=25)
    network.publish(part(progress={"container": container}))
    assert publishes(server)[0].form() != {"creation_id": [container]} and len(server.ours()) == 1


def test_a_retry_whose_container_went_out_meanwhile_is_unclear_and_never_published_again(server, clock):
    network = make_network(server, clock)
    network.publish(part())
    (container,) = server.containers
    with pytest.raises(DeliveryError, match="published already") as caught:
        make_network(server, clock).publish(part(progress={"container": container}))
    assert caught.value.ambiguous and len(publishes(server)) == 1


def test_a_refused_publish_of_a_container_that_is_out_is_unclear_never_failed(server, clock):
    # Threads acted on an earlier publish late, and now refuses this one: the post is out, and a
    # failure would make the next run post it again.
    network = make_network(server, clock)
    network.publish(part())
    (container,) = server.containers
    server.containers[container]["published"] = None  # not yet, when the retry looks ...

    def published_meanwhile(request):  # ... but by the time it publishes
        server.containers[container]["published"] = server.ours()[0]["id"]

    server.before_publish = published_meanwhile
    with pytest.raises(DeliveryError, match="published already") as caught:
        make_network(server, clock).publish(part(progress={"container": container}))
    assert caught.value.ambiguous and len(server.ours()) == 1


def test_a_container_seen_published_while_waiting_is_unclear_never_published_again(server, clock):
    server.processing["TEXT"] = 5
    network = make_network(server, clock)
    container = network._call("POST", "/me/threads", what="an earlier container",
                              data={"media_type": "TEXT", "text": "Fresh bread today."}).json()["id"]
    clock.now += timedelta(seconds=1)
    original = clock.sleep

    def sleep(seconds):  # an earlier publish goes through while this attempt waits
        original(seconds)
        server.containers[container]["published"] = server.add_post("Fresh bread today.")["id"]

    network.http.sleep = sleep
    with pytest.raises(DeliveryError, match="published already") as caught:
        network.publish(part(progress={"container": container}))
    assert caught.value.ambiguous and publishes(server) == []


def test_an_image_the_site_refuses_is_not_online_and_no_token_is_blamed(server, clock, tmp_path):
    media = images(tmp_path, server, 1)
    server.fail("HEAD", r"/site/.+", status=403, body="Forbidden")
    with pytest.raises(DeliveryError, match=r"is not online at .*loaf1\.png \(it answers 403\)") as caught:
        make_network(server, clock, tmp_path).publish(part(media=media))
    assert "token" not in caught.value.message and creates(server) == []


# -- reconcile, in the adapter ----------------------------------------------------------


def test_reconcile_without_a_container_knows_nothing_went_out(server, clock):
    assert make_network(server, clock).reconcile(part(), START) is None
    assert server.requests == []


def test_reconcile_of_a_container_not_published_says_nothing_went_out(server, clock):
    network = make_network(server, clock)
    server.fail("POST", PUBLISH, status=503, body={"error": {"message": "busy", "code": 2}}, times=4)
    with pytest.raises(DeliveryError):
        network.publish(part())
    assert network.reconcile(part(), START) is None and server.ours() == []


def test_reconcile_of_a_published_container_finds_the_post_by_its_text_and_time(server, clock, tmp_path):
    network = make_network(server, clock, tmp_path)
    media = images(tmp_path, server, 2)
    sent = network.publish(part("Stollen #baking\n\nready", media=media))
    found = network.reconcile(part("Stollen #baking\n\nready", media=media), START)
    assert (found.remote_id, found.url) == (sent.remote_id, sent.url)
    (listing,) = server.calls("GET", r"/v1\.0/me/threads")
    assert listing.query == {"fields": ["id,text,timestamp,permalink,media_type"],
                             "since": [str(int((START - timedelta(minutes=10)).timestamp()))],
                             "limit": [str(PAGE_SIZE)]}


def test_reconcile_never_takes_a_post_another_part_went_out_as(server, clock):
    network = make_network(server, clock)
    twin = server.add_post("Fresh bread today.")
    sent = network.publish(part())
    assert network.reconcile(part(claimed={twin["id"]}), START).remote_id == sent.remote_id
    with pytest.raises(Uncertain, match="2 of the account's threads could be it") as caught:
        network.reconcile(part(), START)
    assert "social resolve bread --channel threads --part 1 --published URL" in caught.value.message


def test_reconcile_ignores_older_posts_other_kinds_and_other_texts(server, clock):
    server.add_post("Fresh bread today.", ago=timedelta(days=1))
    server.add_post("Fresh bread today.", media_type="IMAGE")
    server.add_post("Fresh bread tomorrow.")
    network = make_network(server, clock)
    sent = network.publish(part())
    assert network.reconcile(part(), START).remote_id == sent.remote_id


def test_reconcile_of_a_reply_looks_among_the_replies_to_its_parent(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One."))
    other = server.add_post("Another one.")
    server.add_post("Two.", reply_to=other["id"])  # the same text, replying elsewhere
    parent = SentPart("bread", "threads", 1, "key-1", first.remote_id)
    reply = part("Two.", key="key-2", number=2, parent=parent, root=parent)
    sent = network.publish(reply)
    assert network.reconcile(reply, START).remote_id == sent.remote_id
    (listing,) = server.calls("GET", r"/v1\.0/me/replies")
    assert listing.query["fields"] == ["id,text,timestamp,permalink,media_type,replied_to"]
    server.scopes.discard("threads_read_replies")
    with pytest.raises(Uncertain, match="that needs threads_read_replies"):
        network.reconcile(reply, START)


def test_a_published_post_not_yet_listed_stays_pending_then_needs_a_person(server, clock):
    server.hide_from_listing = True
    network = make_network(server, clock)
    network.publish(part())
    with pytest.raises(DeliveryError, match="not among the account's posts yet") as caught:
        network.reconcile(part(), START)
    assert not isinstance(caught.value, Uncertain) and caught.value.code == "published-not-listed"
    clock.now += timedelta(hours=2)
    with pytest.raises(Uncertain, match="was published on Threads after 2026-12-01 11:00 UTC"):
        network.reconcile(part(), START)


def test_reconcile_of_a_container_threads_forgot_looks_for_the_post(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    (container,) = server.containers
    del server.containers[container]
    assert network.reconcile(part(), START).remote_id == sent.remote_id
    assert network.reconcile(part("Something else."), START) is None


def test_reconcile_pages_back_and_gives_up_past_its_pages(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part("The one we look for."))
    for n in range(PAGE_SIZE + 5):
        clock.now += timedelta(seconds=1)
        server.add_post(f"Later post {n}.")
    assert network.reconcile(part("The one we look for."), START).remote_id == sent.remote_id
    assert [r.query.get("after") for r in server.calls("GET", r"/v1\.0/me/threads")] == [None, [str(PAGE_SIZE)]]
    for n in range(PAGE_SIZE * MAX_PAGES):
        server.add_post(f"Busy day, post {n}.")
    with pytest.raises(Uncertain, match="only those were read"):
        network.reconcile(part("The one we look for."), START)


def test_text_is_compared_as_threads_shows_it():
    assert comparable("Stollen  #baking\n\nready") == comparable("Stollen baking ready")
    assert comparable("Cafe\u0301") == comparable("Café")


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_post_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "threads", 1, remote_id=sent.remote_id, url=sent.url))
    assert server.ours() == []
    network.delete(SentPart("bread", "threads", 1, remote_id=sent.remote_id))
    assert [d.path for d in server.calls("DELETE", r".+")] == [f"/v1.0/{sent.remote_id}"] * 2


def test_delete_without_permission_names_it_and_the_post_stays(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    server.scopes.discard("threads_delete")
    with pytest.raises(DeliveryError, match="lacks the permission threads_delete"):
        network.delete(SentPart("bread", "threads", 1, remote_id=sent.remote_id))
    assert len(server.ours()) == 1


def test_delete_of_a_post_it_cannot_name_asks_for_a_person(server, clock):
    with pytest.raises(DeliveryError, match="delete it by hand"):
        make_network(server, clock).delete(SentPart("bread", "threads", 1,
                                                    url="https://www.threads.com/@crumbandco/post/C1"))
    assert server.requests == []


# -- the account ------------------------------------------------------------------------


def test_check_names_the_account_its_expiry_permissions_and_quota(server, clock):
    server.token_expires_at = START + timedelta(days=40)
    server.scopes -= {"threads_delete", "threads_read_replies"}
    server.used(posts=12)
    check = make_network(server, clock).check_account()
    assert check.account == f"@crumbandco (Threads user {USER_ID})"
    assert check.expires_at == START + timedelta(days=40)
    notes = " | ".join(check.notes)
    assert "lacks threads_read_replies, threads_delete" in notes and "12 of 250 posts" in notes
    assert "refresh the token" in notes


def test_check_takes_the_expiry_from_the_channel_when_threads_does_not_say(server, clock):
    server.tester = False
    check = make_network(server, clock, token_expires=date(2027, 1, 20)).check_account()
    assert check.expires_at == datetime(2027, 1, 20, tzinfo=UTC)
    check = make_network(server, clock).check_account()
    assert check.expires_at is None and any("set `token_expires:`" in note for note in check.notes)


def test_check_of_another_users_token_says_so(server, clock):
    with pytest.raises(DeliveryError, match=f"belongs to the Threads user {USER_ID}"):
        make_network(server, clock, user_id="12345").check_account()


def test_check_with_a_wrong_token_says_which_variable(server, clock):
    with pytest.raises(DeliveryError, match="check THREADS_TOKEN") as caught:
        make_network(server, clock, token="not-it").check_account()
    assert caught.value.code == "auth-failed"


def test_options_refuse_an_address_threads_cannot_fetch_from():
    assert ThreadsOptions(media_base_url="https://crumbandco.github.io/social/calendar/media").media_base_url == (
        "https://crumbandco.github.io/social/calendar/media/")
    for bad in ("http://crumbandco.example/media/", "ftp://x.example/", "https:///media/",
                "https://x.example/media/?v=1"):
        with pytest.raises(ValidationError):
            ThreadsOptions(media_base_url=bad)
    with pytest.raises(ValidationError):
        ThreadsOptions(user_id="@crumbandco")


def test_validate_refuses_what_a_threads_channel_cannot_do_at_its_line(repo):
    from pipeline.content.load import load_content

    repo.write("content/channels.yml", CHANNELS.format(url="https://graph.threads.net"))
    repo.post("reply", "publish_at: 2026-12-01 11:30\nchannels: [threads]\n"
              "reply_to: https://www.threads.com/@baker/post/C1", "Congratulations!")
    assert [(f.code, f.file, f.line) for f in load_content(repo.root).findings] == [
        ("engagement-unsupported", "content/posts/2026/12/reply.md", 4)]
    repo.write("content/channels.yml", CHANNELS.format(url="https://graph.threads.net").replace(
        "media_base_url: https://graph.threads.net/site/", "media_base_url: http://crumbandco.example/media/"))
    (address,) = load_content(repo.root).findings
    assert (address.file, address.line) == ("content/channels.yml", 8) and "https://" in address.message


# -- through the engine -----------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {{max_per_day: 5, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}}
channels:
  threads:
    network: threads
    api: {url}
    media_base_url: {url}/site/
    credentials: {{token: THREADS_TOKEN}}
"""


@pytest.fixture
def site(repo, server):
    repo.write("content/channels.yml", CHANNELS.format(url=server.url))
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [threads]", "Fresh bread today.")
    return repo


def run_engine(site, clock, *, timeout=(2.0, 5.0)):
    """One publish run through the real engine, with an Http whose timeouts the test chooses."""
    root = site.root.resolve()
    config = Workspace(root).require_config()
    ledger = Ledger(root)
    plan = make_plan(read_posts(root, config, [], post_files(root)), ledger, clock())
    http = make_http(clock, timeout)

    def network_for(channel):
        return ThreadsNetwork(channel, env={"THREADS_TOKEN": TOKEN}, http=http, root=root)

    result = Runner(root, ledger, network_for=network_for, clock=clock, parallel=False).run(plan)
    return result, Ledger(root)


def states(ledger: Ledger) -> list[str]:
    return [e.state for e in ledger.entries]


ENGINE = [
    # (what happens to the first publish, publishes the server saw)
    ("500-after-acting", lambda s: s.act_then_fail.append(500), 1),
    ("502-after-acting", lambda s: s.act_then_fail.append(502), 1),
    ("dropped-after-acting", lambda s: s.fail("POST", PUBLISH, drop_after_handling=True), 1),
    ("500-before-acting", lambda s: s.fail("POST", PUBLISH, status=500, body=graph_error(
        500, "An unknown error occurred", 1)[1]), 2),
    ("dropped-before-the-container", lambda s: s.fail("POST", CREATE, drop_after_handling=True), 1),
]


@pytest.mark.parametrize(("setup", "sent"), [e[1:] for e in ENGINE], ids=[e[0] for e in ENGINE])
def test_engine_settles_unclear_publishes_with_exactly_one_post(site, server, clock, setup, sent):
    setup(server)
    result, ledger = run_engine(site, clock)
    (post,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(publishes(server)) == sent
    assert len({r.form()["creation_id"][0] for r in publishes(server)}) == 1  # one container, published once
    assert states(ledger) == [PENDING, PENDING, PUBLISHED]
    published = ledger.current("bread", "threads", 1)
    assert (published.remote_id, published.url) == (post["id"], post["permalink"])
    assert ledger.entries[1].data["container"] == publishes(server)[0].form()["creation_id"][0]


def test_engine_timeout_after_threads_acted_is_found_not_published_again(site, server, clock):
    server.stall_after_publish = 0.6
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(publishes(server)) == 1 and len(server.ours()) == 1
    assert ledger.current("bread", "threads", 1).remote_id == server.ours()[0]["id"]


def test_engine_listing_refused_for_a_reply_is_uncertain_and_never_a_second_post(site, server, clock):
    site.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [threads]", "One.\n\n---\n\nTwo.")
    server.scopes.discard("threads_read_replies")
    server.act_then_fail += [0, 500]  # the first part is answered as usual, the reply acts then fails
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED, UNCERTAIN]
    assert len(server.ours()) == 2 and len(publishes(server)) == 2
    error = ledger.current("bread", "threads", 2).error
    assert "threads_read_replies" in error
    assert "social resolve bread --channel threads --part 2 --published URL" in error
    again, _ = run_engine(site, clock)
    assert [o.state for o in again.outcomes] == [UNCERTAIN] and len(publishes(server)) == 2


def write_pending(site, at: datetime, **data) -> None:
    Ledger(site.root).append(Entry("bread", "threads", 1, PENDING, utc_iso(at), key="bread-key",
                                   file="content/posts/2026/12/bread.md", data=data))


def test_engine_pending_whose_container_went_out_is_found_not_published_again(site, server, clock):
    clock.now -= timedelta(minutes=20)
    network = make_network(server, clock)
    network.publish(part())  # the crashed run's container did go out
    (container,) = server.containers
    write_pending(site, clock.now, container=container)
    clock.now = START
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(publishes(server)) == 1 and len(creates(server)) == 1
    assert states(ledger) == [PENDING, PUBLISHED]


def test_engine_pending_whose_container_never_went_out_publishes_that_container(site, server, clock):
    container = make_network(server, clock)._call(
        "POST", "/me/threads", what="the crashed run's container",
        data={"media_type": "TEXT", "text": "Fresh bread today."}).json()["id"]
    write_pending(site, START - timedelta(minutes=20), container=container)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and publishes(server)[0].form() == {"creation_id": [container]}
    assert ledger.entries[1].data == {"container": container}  # the retry's pending line keeps it


def test_engine_pending_without_a_container_is_sent(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and len(server.ours()) == 1


def test_engine_a_used_up_quota_holds_the_channel_until_a_later_run(site, server, clock):
    site.post("rolls", "publish_at: 2026-12-01 11:40\nchannels: [threads]", "Rolls at noon.")
    server.published_at += [(START - timedelta(hours=23, minutes=50), False)] * 250  # a busy day, ending
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [FAILED, FAILED]
    assert "published 250 of the 250 posts" in result.outcomes[0].error
    assert "rate limited" in result.outcomes[1].error and creates(server) == []
    clock.now += timedelta(minutes=15)
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED, PUBLISHED] and len(server.ours()) == 2


# -- end to end through `social publish` ------------------------------------------------


def test_publish_end_to_end_once_with_images_threads_and_retraction_without_leaking_the_token(
        repo, clock, tmp_path, monkeypatch):
    with FakeThreads(TOKEN, clock=clock) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        for name in ("loaf", "roll", "bun"):
            server.site[f"{name}.png"] = png(repo.root / f"content/media/{name}.png").read_bytes()
        repo.post("stollen", "publish_at: 2026-12-01 08:00\nchannels: [threads]\ntags: [stollen, baking]",
                  "Stollen season starts: 🎄 in Neukölln.")
        repo.post("loaf", "publish_at: 2026-12-01 09:30\nchannels: [threads]\nmedia:\n"
                  "  - path: media/loaf.png\n    alt: A sourdough loaf on a board", "Our sourdough.")
        repo.post("basket", "publish_at: 2026-12-01 10:00\nchannels: [threads]\nmedia:\n"
                  "  - path: media/roll.png\n    alt: Rye rolls\n  - path: media/bun.png\n    alt: Cardamom buns",
                  "The morning basket.")
        repo.post("story", "publish_at: 2026-12-01 10:45\nchannels: [threads]",
                  "How our starter began.\n\n---\n\nIt was 1998.\n\n---\n\nIt still bubbles.")
        env = {"THREADS_TOKEN": TOKEN}
        shown = []
        report = publish(repo.root, now_text="2026-12-01 12:00", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        assert report.ok, report.result.outcomes
        assert sorted((o.post, o.part, o.state) for o in report.result.outcomes) == [
            ("basket", 1, PUBLISHED), ("loaf", 1, PUBLISHED), ("stollen", 1, PUBLISHED),
            ("story", 1, PUBLISHED), ("story", 2, PUBLISHED), ("story", 3, PUBLISHED)]
        posts = {post["text"].split("\n")[0]: post for post in server.ours()}
        assert posts["Stollen season starts: 🎄 in Neukölln."]["text"].endswith("#stollen")
        assert posts["Our sourdough."]["alt_text"] == "A sourdough loaf on a board"
        assert posts["The morning basket."]["media_type"] == "CAROUSEL_ALBUM"
        assert posts["It was 1998."]["replied_to"] == {"id": posts["How our starter began."]["id"]}
        assert posts["It still bubbles."]["replied_to"] == {"id": posts["It was 1998."]["id"]}
        ledger = Ledger(repo.root)
        entry = ledger.current("loaf", "threads", 1)
        assert (entry.remote_id, entry.url) == (posts["Our sourdough."]["id"], posts["Our sourdough."]["permalink"])

        clock.now = START + timedelta(minutes=5)  # a real run happens at the real time
        again = publish(repo.root, now_text="2026-12-01 12:05", env=env, sleep=clock.sleep, clock=clock)
        assert again.result.outcomes == [] and len(publishes(server)) == 6

        # A server that echoes the token in an error: outcomes, ledger and outputs show it masked.
        repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [threads]", "One more.")
        server.fail("POST", CREATE, status=400, body=graph_error(400, f"bad request from {TOKEN}", 100)[1], times=8)
        clock.now = START + timedelta(minutes=10)
        failed = publish(repo.root, now_text="2026-12-01 12:10", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        (outcome,) = failed.result.outcomes
        assert outcome.state == FAILED and "bad request from ***" in outcome.error
        summary_file = tmp_path / "step-summary.md"
        clock.now = START + timedelta(minutes=12)
        monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                     env={"THREADS_TOKEN": TOKEN, "GITHUB_STEP_SUMMARY": str(summary_file)})
        assert cli_run.exit_code == 1 and "bad request from ***" in cli_run.output
        outputs = cli_run.output + summary_file.read_text(encoding="utf-8")

        clock.now = START + timedelta(minutes=15)
        wrong = publish(repo.root, now_text="2026-12-01 12:15", env={"THREADS_TOKEN": "not-the-token"},
                        sleep=clock.sleep, clock=clock)
        (outcome,) = wrong.result.outcomes
        assert "token rejected: check THREADS_TOKEN" in outcome.error and "60 days" in outcome.error

        repo.post("story", "publish_at: 2026-12-01 10:45\nchannels: [threads]\nstatus: retracted",
                  "How our starter began.\n\n---\n\nIt was 1998.\n\n---\n\nIt still bubbles.")
        clock.now = START + timedelta(minutes=20)
        retracted = publish(repo.root, now_text="2026-12-01 12:20", env=env, sleep=clock.sleep, clock=clock)
        assert [(o.part, o.state) for o in retracted.result.outcomes if o.post == "story"] == [
            (3, "deleted"), (2, "deleted"), (1, "deleted")]
        assert not any(p["text"].startswith(("How our", "It was", "It still")) for p in server.ours())

    ledger_text = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8")
    everything = ledger_text + outputs + json.dumps(
        [o.__dict__ for o in shown + failed.result.outcomes + wrong.result.outcomes + retracted.result.outcomes])
    assert TOKEN not in everything
