"""The Bluesky adapter against FakeBluesky: what a real PDS will not do on demand.

Expired sessions, a create that acted and then failed, rate limits, broken link
cards. A real `Http` carries every request; its sleep and clock are a FakeClock, so
a rate-limit wait passes in no time. tests/test_bluesky_pds.py runs the same adapter
against a real PDS.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.content.model import Channel
from pipeline.networks.bluesky.records import S32, BlueskyNetwork, BlueskyOptions, tid
from pipeline.networks.delivery import DeliveryError, Http, RetryPolicy, Secrets
from pipeline.networks.linkcard import _OpenGraph
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.publish.service import publish
from pipeline.state.ledger import PENDING, PUBLISHED, Ledger
from pipeline.text.facets import bluesky_richtext
from tests.fakes.bluesky import FakeBluesky, FakeWebsite, og_page
from tests.fakes.clock import FakeClock

PASSWORD = "app-pass-canary-9q2w"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
POST = "app.bsky.feed.post"



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeBluesky(password=PASSWORD, clock=clock) as fake:
        yield fake


@pytest.fixture
def site():
    with FakeWebsite() as fake:
        yield fake


def make_network(server: FakeBluesky, clock: FakeClock, *, password: str = PASSWORD,
                 policy: RetryPolicy | None = None, **options) -> BlueskyNetwork:
    channel = Channel(id="bluesky", network="bluesky", credentials={"password": "BLUESKY_APP_PASSWORD"},
                      options=BlueskyOptions(handle=server.handle, service=server.url, **options),
                      cadence={}, slots=(), template=None, max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=(2.0, 5.0),
                rng=random.Random(7), policy=policy)
    return BlueskyNetwork(channel, env={"BLUESKY_APP_PASSWORD": password}, http=http, root=Path("."))


def part(text: str = "Fresh bread today.", *, key: str = "3lbqzkm2gxs2a", number: int = 1, total: int = 1,
         **fields) -> PartRequest:
    if "facets" not in fields:
        text, fields["facets"] = bluesky_richtext(text)
    return PartRequest(post_id="bread", channel_id="bluesky", number=number, total=total, text=text,
                       key=key, **fields)


def calls(server: FakeBluesky, method: str) -> list:
    return [r for r in server.requests if r.path == f"/xrpc/{method}"]


# -- keys -------------------------------------------------------------------------------


def test_record_keys_are_tids():
    micros = 1_795_000_000_123_456
    key = tid(micros, 0x2A5)
    assert len(key) == 13 and set(key) <= set(S32) and key[0] in "234567abcdefghij"
    value = 0
    for char in key:
        value = value * 32 + S32.index(char)
    assert (value >> 10, value & 0x3FF) == (micros, 0x2A5)


def test_new_keys_are_fresh_tids_that_sort_in_order(server, clock):
    network = make_network(server, clock)
    keys = [network.new_key("bread", n) for n in range(1, 200)]
    assert len(set(keys)) == len(keys)
    assert [k[:11] for k in keys] == sorted(k[:11] for k in keys)  # the time part only grows
    assert all(re.fullmatch(r"[2-7a-j][2-7a-z]{12}", k) for k in keys)


# -- session ----------------------------------------------------------------------------


def test_one_session_serves_the_whole_run(server, clock):
    network = make_network(server, clock)
    network.check_ready()
    network.publish(part(key="3lbqzkm2gxs2a"))
    network.publish(part("Second post", key="3lbqzkm2gxs2b"))
    assert len(calls(server, "com.atproto.server.createSession")) == 1
    (login,) = calls(server, "com.atproto.server.createSession")
    assert login.json() == {"identifier": "bakery.test", "password": PASSWORD}


def test_an_expired_access_token_is_refreshed_and_the_call_made_once_more(server, clock):
    network = make_network(server, clock)
    network.check_ready()
    server.expire_access()
    result = network.publish(part())
    assert result.remote_id == f"at://{server.did}/{POST}/3lbqzkm2gxs2a"
    (refresh,) = calls(server, "com.atproto.server.refreshSession")
    assert refresh.headers["authorization"] == "Bearer refresh-jwt-1-y8"
    creates = calls(server, "com.atproto.repo.createRecord")
    assert [c.headers["authorization"] for c in creates] == ["Bearer access-jwt-1-x7", "Bearer access-jwt-2-x7"]
    assert len(server.ours()) == 1
    assert len(calls(server, "com.atproto.server.createSession")) == 1


def test_when_the_refresh_token_expired_too_it_signs_in_again(server, clock):
    network = make_network(server, clock)
    network.check_ready()
    server.expire_access()
    server.expire_refresh()
    network.publish(part())
    assert len(calls(server, "com.atproto.server.createSession")) == 2
    assert len(server.ours()) == 1


def test_a_wrong_app_password_names_the_variable_and_never_the_password(server, clock):
    network = make_network(server, clock, password="wrong-pass-canary-7z")
    with pytest.raises(DeliveryError) as caught:
        network.check_ready()
    message = caught.value.message
    assert caught.value.code == "auth-failed"
    assert "app password rejected" in message and "BLUESKY_APP_PASSWORD" in message
    assert "wrong-pass-canary-7z" not in message


def test_tokens_are_masked_in_messages(server, clock):
    network = make_network(server, clock)
    network.check_ready()
    masked = network.http.secrets.mask("access-jwt-1-x7 refresh-jwt-1-y8 " + PASSWORD)
    assert masked == "*** *** ***"


# -- exactly once -----------------------------------------------------------------------


def test_a_500_after_the_record_was_made_is_settled_by_get_record(server, clock):
    server.act_then_fail = [500]
    result = make_network(server, clock).publish(part())
    assert result.data["uri"] == f"at://{server.did}/{POST}/3lbqzkm2gxs2a"
    assert len(server.ours()) == 1
    assert len(calls(server, "com.atproto.repo.getRecord")) == 1


def test_a_500_without_a_record_stays_ambiguous_for_the_engine(server, clock):
    server.fail("POST", r"/xrpc/com\.atproto\.repo\.createRecord", status=500)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.ambiguous
    assert server.ours() == {}


def test_a_dropped_answer_after_the_create_is_settled_by_get_record(server, clock):
    server.fail("POST", r"/xrpc/com\.atproto\.repo\.createRecord", drop_after_handling=True)
    result = make_network(server, clock).publish(part())
    assert result.remote_id.endswith("/3lbqzkm2gxs2a")
    assert len(server.ours()) == 1


def test_publishing_a_key_again_returns_the_first_record(server, clock):
    network = make_network(server, clock)
    first = network.publish(part())
    again = network.publish(part())
    assert again == first
    assert len(server.ours()) == 1


def test_reconcile_finds_the_record_under_the_pending_key(server, clock):
    network = make_network(server, clock)
    assert network.reconcile(part(key="3lbqzkm2gxs2c"), START) is None
    network.publish(part(key="3lbqzkm2gxs2c"))
    found = network.reconcile(part(key="3lbqzkm2gxs2c"), START)
    assert found.url == "https://bsky.app/profile/bakery.test/post/3lbqzkm2gxs2c"
    assert set(found.data) == {"uri", "cid"}


def test_rate_limited_create_waits_until_the_reset_epoch(server, clock):
    reset = int(START.timestamp()) + 40
    server.fail("POST", r"/xrpc/com\.atproto\.repo\.createRecord", status=429,
                body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                headers={"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
                         "RateLimit-Reset": str(reset), "RateLimit-Policy": "5000;w=3600"})
    network = make_network(server, clock)
    network.publish(part())
    assert clock.sleeps == [40.0]
    assert len(server.ours()) == 1


def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock):
    reset = int(START.timestamp()) + 3000
    server.fail("POST", r"/xrpc/com\.atproto\.repo\.createRecord", status=429,
                headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)})
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous
    assert clock.sleeps == []


# -- the record -------------------------------------------------------------------------


def test_the_record_carries_text_language_and_facets(server, clock):
    server.add_account("anna.test")
    text = "Hi @anna.test and @ghost.test: see https://example.com/winter #bread"
    network = make_network(server, clock, language="de")
    network.publish(part(text))
    (stored,) = server.ours().values()
    record = stored["value"]
    assert record["langs"] == ["de"]
    assert record["createdAt"] == "2026-12-01T11:00:00.000Z"
    features = [(f["index"]["byteStart"], f["features"][0]) for f in record["facets"]]
    assert features == [
        (3, {"$type": "app.bsky.richtext.facet#mention", "did": server.handles["anna.test"]}),
        (35, {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/winter"}),
        (62, {"$type": "app.bsky.richtext.facet#tag", "tag": "bread"}),
    ]


def test_images_are_uploaded_as_blobs_with_alt_and_aspect_ratio(server, clock, tmp_path):
    image = tmp_path / "cake.png"
    image.write_bytes(b"\x89PNG fake bytes")
    media = (MediaFile(image, "A cake", 640, 480, "png"), MediaFile(image, "The same cake", None, None, "png"))
    make_network(server, clock).publish(part(media=media))
    (upload,) = calls(server, "com.atproto.repo.uploadBlob")  # same bytes, one blob
    assert upload.headers["content-type"] == "image/png" and upload.body == b"\x89PNG fake bytes"
    embed = next(iter(server.ours().values()))["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i.get("aspectRatio")) for i in embed["images"]] == [
        ("A cake", {"width": 640, "height": 480}), ("The same cake", None)]


def test_a_thread_part_replies_to_the_previous_part_and_the_root(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One", key="3lbqzkm2gxs2a", total=3))
    root = SentPart("bread", "bluesky", 1, key="3lbqzkm2gxs2a",
                 remote_id=first.remote_id, data=dict(first.data))
    second = network.publish(part("Two", key="3lbqzkm2gxs2b", number=2, total=3, root=root, parent=root))
    parent = SentPart("bread", "bluesky", 2, key="3lbqzkm2gxs2b",
                   remote_id=second.remote_id, data=dict(second.data))
    network.publish(part("Three", key="3lbqzkm2gxs2c", number=3, total=3, root=root, parent=parent))
    third = server.ours()["3lbqzkm2gxs2c"]["value"]
    assert third["reply"]["root"] == {"uri": first.data["uri"], "cid": first.data["cid"]}
    assert third["reply"]["parent"] == {"uri": second.data["uri"], "cid": second.data["cid"]}


def test_a_thread_part_without_a_known_parent_is_not_sent(server, clock):
    settled = SentPart("bread", "bluesky", 1, remote_id="unknown",
                    data={"resolved_by": "person"})
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part("Two", number=2, total=2, root=settled, parent=settled))
    assert caught.value.code == "thread-parent-unknown"
    assert server.ours() == {}


# -- engagement -------------------------------------------------------------------------


def test_a_reply_to_a_reply_keeps_the_conversation_root(server, clock):
    top = server.add_post("anna.test", "3kaaaaaaaaa22", "Who bakes rye?")
    answer = server.add_post("anna.test", "3kaaaaaaaaa23", "Me!", reply={
        "root": {"uri": top["uri"], "cid": top["cid"]}, "parent": {"uri": top["uri"], "cid": top["cid"]}})
    network = make_network(server, clock)
    result = network.publish(part("We do!", engagement={
        "reply_to": "https://bsky.app/profile/anna.test/post/3kaaaaaaaaa23"}))
    reply = server.ours()[result.remote_id.rsplit("/", 1)[1]]["value"]["reply"]
    assert reply == {"root": {"uri": top["uri"], "cid": top["cid"]},
                     "parent": {"uri": answer["uri"], "cid": answer["cid"]}}
    assert result.data["root"] == reply["root"]


def test_an_unknown_reply_target_sends_nothing(server, clock):
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part("We do!", engagement={
            "reply_to": "https://bsky.app/profile/anna.test/post/3kaaaaaaaaa29"}))
    assert caught.value.code == "engagement-unresolved" and "plain post" in caught.value.message
    assert server.ours() == {}


def test_like_and_repost_are_records_under_the_part_key_and_are_undone(server, clock):
    target = server.add_post("anna.test", "3kaaaaaaaaa22", "Our new oven")
    url = "https://bsky.app/profile/anna.test/post/3kaaaaaaaaa22"
    network = make_network(server, clock)
    liked = network.publish(part("", key="3lbqzkm2gxs2a", facets=(), engagement={"like": url}))
    reposted = network.publish(part("", key="3lbqzkm2gxs2b", facets=(), engagement={"repost": url}))
    like = server.ours("app.bsky.feed.like")["3lbqzkm2gxs2a"]["value"]
    assert like["subject"] == {"uri": target["uri"], "cid": target["cid"]}
    assert "3lbqzkm2gxs2b" in server.ours("app.bsky.feed.repost")
    assert (liked.url, reposted.url) == (url, url)
    assert server.ours() == {}
    for result in (liked, reposted):
        network.delete(SentPart("bread", "bluesky", 1, remote_id=result.remote_id,
                             data=dict(result.data)))
    assert server.ours("app.bsky.feed.like") == {} and server.ours("app.bsky.feed.repost") == {}


def test_a_repost_with_text_is_refused_before_anything_is_sent(server, clock):
    server.add_post("anna.test", "3kaaaaaaaaa22", "Our new oven")
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part("Look!", engagement={
            "repost": "https://bsky.app/profile/anna.test/post/3kaaaaaaaaa22"}))
    assert caught.value.code == "repost-with-text"
    assert calls(server, "com.atproto.repo.createRecord") == []


def test_a_quote_with_images_is_record_with_media(server, clock, tmp_path):
    quoted = server.add_post("anna.test", "3kaaaaaaaaa22", "Our new oven")
    image = tmp_path / "oven.jpg"
    image.write_bytes(b"jpeg")
    make_network(server, clock).publish(part("Ours too", media=(MediaFile(image, "An oven", 4, 3),), engagement={
        "quote": f"at://{server.handles['anna.test']}/{POST}/3kaaaaaaaaa22"}))
    embed = next(iter(server.ours().values()))["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.recordWithMedia"
    assert embed["record"] == {"$type": "app.bsky.embed.record",
                               "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}
    assert embed["media"]["images"][0]["alt"] == "An oven"


# -- link cards -------------------------------------------------------------------------


def redirects(site: FakeWebsite, count: int, target: str) -> str:
    """The first of `count` redirects in a row that end at `target`."""
    for number in range(count, 0, -1):
        target = site.redirect(f"/r{number}", target)
    return target


def test_a_link_card_comes_from_the_pages_open_graph_data(server, clock, site):
    image = site.page("/cake.png", b"\x89PNG card", "image/png")
    url = site.page("/winter", og_page("Winter cakes &amp; more", "Three tiers,\n pine sprigs", "/cake.png"))
    make_network(server, clock).publish(part("New cakes", link=url))
    external = next(iter(server.ours().values()))["value"]["embed"]["external"]
    assert external["uri"] == url
    assert external["title"] == "Winter cakes & more"
    assert external["description"] == "Three tiers, pine sprigs"
    assert server.blobs[external["thumb"]["ref"]["$link"]] == b"\x89PNG card"
    assert image.endswith("/cake.png")


def test_the_card_read_when_publishing_is_kept_for_the_site(server, clock, site):
    """The calendar site shows the card from the ledger: it never fetches the page itself."""
    url = site.page("/winter", og_page("Winter cakes", "Three tiers", "/none.png"))
    published = make_network(server, clock).publish(part("New cakes", link=url))
    assert published.data["card"] == {"uri": url, "title": "Winter cakes", "description": "Three tiers"}
    plain = make_network(server, clock).publish(part("No link", key="3lbqzkm2gxs2z"))
    assert "card" not in plain.data


def test_the_card_uses_the_link_as_written_in_the_text(server, clock, site):
    url = site.page("/winter", og_page("Winter", "Cakes"))
    tracked = url + "?utm_source=bluesky"
    make_network(server, clock).publish(part(f"New cakes {tracked}", link=url))
    assert next(iter(server.ours().values()))["value"]["embed"]["external"]["uri"] == tracked


@pytest.mark.parametrize("setup", [
    lambda s: s.url + "/missing",
    lambda s: s.page("/text", "just text", "text/plain"),
    lambda s: s.page("/huge", "<html>" + "x" * 1_000_001, "text/html"),
    lambda s: redirects(s, 4, s.page("/p", og_page("a", "b"))),
    lambda s: s.redirect("/away", "ftp://example.invalid/file"),
    lambda s: "http://127.0.0.1:9/closed-port",
], ids=["404", "not-html", "too-big", "too-many-redirects", "not-http", "unreachable"])
def test_a_card_that_cannot_be_read_is_left_out_and_the_post_goes_out(server, clock, site, setup):
    url = setup(site)
    result = make_network(server, clock).publish(part("New cakes", link=url))
    assert "embed" not in server.ours()[result.remote_id.rsplit("/", 1)[1]]["value"]


def test_a_card_follows_a_few_redirects_and_drops_an_oversized_thumb(server, clock, site):
    site.page("/big.png", b"x" * 1_000_001, "image/png")
    url = redirects(site, 3, site.page("/p", og_page("Cakes", "Tiers", "/big.png")))
    make_network(server, clock).publish(part("New cakes", link=url))
    external = next(iter(server.ours().values()))["value"]["embed"]["external"]
    assert external["title"] == "Cakes" and "thumb" not in external
    assert server.blobs == {}


def test_images_win_over_the_link_card_and_later_parts_get_no_card(server, clock, site, tmp_path):
    url = site.page("/p", og_page("Cakes", "Tiers"))
    image = tmp_path / "cake.png"
    image.write_bytes(b"png")
    network = make_network(server, clock)
    network.publish(part("With image", key="3lbqzkm2gxs2a", link=url, media=(MediaFile(image, "Cake"),)))
    first = network.publish(part("Thread", key="3lbqzkm2gxs2b", total=2))
    root = SentPart("bread", "bluesky", 1, data=dict(first.data))
    network.publish(part("Two", key="3lbqzkm2gxs2c", number=2, total=2, link=url, root=root, parent=root))
    ours = server.ours()
    assert ours["3lbqzkm2gxs2a"]["value"]["embed"]["$type"] == "app.bsky.embed.images"
    assert "embed" not in ours["3lbqzkm2gxs2c"]["value"]
    assert site.requests == []


def test_open_graph_reading_falls_back_to_the_title():
    meta = _OpenGraph.read("<html><head><title> Plain\n title </title>"
                           '<meta name="description" content="About &quot;us&quot;"></head></html>')
    assert meta == {"title": " Plain\n title ", "description": 'About "us"'}


def test_nothing_secret_reaches_the_published_data(server, clock):
    result = make_network(server, clock).publish(part())
    text = json.dumps([result.remote_id, result.url, dict(result.data)])
    assert PASSWORD not in text and "jwt" not in text


def test_a_reply_without_text_or_image_is_refused(server, clock):
    server.add_post("anna.test", "3kaaaaaaaaa22", "Who bakes rye?")
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part("", facets=(), engagement={
            "reply_to": "https://bsky.app/profile/anna.test/post/3kaaaaaaaaa22"}))
    assert caught.value.code == "part-empty"
    assert calls(server, "com.atproto.repo.createRecord") == []


def test_the_engine_retries_an_unclear_create_once_under_the_same_key(server, clock, repo):
    repo.write("content/channels.yml", f"""\
        timezone: Europe/Berlin
        channels:
          bluesky:
            network: bluesky
            service: {server.url}
            handle: {server.handle}
            credentials: {{password: BLUESKY_APP_PASSWORD}}
        """)
    repo.post("rye", "publish_at: 2026-12-01 11:30\nchannels: [bluesky]", "Rye today.")
    server.fail("POST", r"/xrpc/com\.atproto\.repo\.createRecord", status=500)
    report = publish(repo.root, now_text="2026-12-01 12:00", env={"BLUESKY_APP_PASSWORD": PASSWORD},
                     sleep=clock.sleep, clock=clock)
    assert report.ok
    lines = [(e.state, e.key) for e in Ledger(repo.root).entries]
    (rkey,) = server.ours()
    assert lines == [(PENDING, rkey), (PUBLISHED, rkey)]
    assert len(calls(server, "com.atproto.repo.createRecord")) == 2
    assert PASSWORD not in (repo.root / "state/ledger.jsonl").read_text()
