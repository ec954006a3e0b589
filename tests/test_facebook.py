"""The Facebook Page adapter against FakeFacebook over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares, so a throttle of a minute passes in no time for both. The token
is a canary: no message, ledger line, outbox file or output may show it, and no URL
may carry it (Graph repeats it in its paging links).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.load import post_files, read_posts
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.facebook import FacebookNetwork, FacebookOptions
from pipeline.networks.facebook.pages import MAX_PAGES, PAGE_SIZE, comparable, post_id_of, post_link
from pipeline.networks.facebook.versions import DEFAULT_VERSION, version_findings
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.publish.doctor import check_channels, check_lines
from pipeline.publish.plan import make_plan
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import utc_iso
from tests.fakes.clock import FakeClock
from tests.fakes.facebook import PAGE_ID, FakeFacebook, business_usage, graph_error

TOKEN = "fb-canary-EAAJ9x2kQ7vT3mZ8"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
FEED = rf"/v\d+\.\d+/{PAGE_ID}/feed"
PHOTOS = rf"/v\d+\.\d+/{PAGE_ID}/photos"
POSTS = rf"/v\d+\.\d+/{PAGE_ID}/posts"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeFacebook(TOKEN, clock=clock) as fake:
        yield fake


def make_http(clock: FakeClock, timeout=(2.0, 5.0)) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=timeout, rng=random.Random(7))


def make_network(server: FakeFacebook, clock: FakeClock, *, token: str = TOKEN, http: Http | None = None,
                 **options) -> FacebookNetwork:
    options = {"page_id": PAGE_ID, "api": server.url, **options}
    channel = Channel(id="facebook", network="facebook", credentials={"token": "FACEBOOK_PAGE_TOKEN"},
                      options=FacebookOptions(**options), cadence={}, slots=(), template=None,
                      max_lateness=timedelta(hours=6))
    return FacebookNetwork(channel, env={"FACEBOOK_PAGE_TOKEN": token}, http=http or make_http(clock),
                           root=Path("."))


def part(text: str = "Fresh bread today.", *, key: str = "key-1", **fields) -> PartRequest:
    return PartRequest(**{"post_id": "bread", "channel_id": "facebook", "number": 1, "total": 1, "text": text,
                          "key": key, **fields})


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


def images(tmp_path: Path, count: int) -> tuple[MediaFile, ...]:
    return tuple(MediaFile(png(tmp_path / f"loaf{n}.png", (20 + n, 20)), f"Loaf number {n}", format="png")
                 for n in range(1, count + 1))


def form(request) -> dict[str, str]:
    return {key: values[-1] for key, values in request.form().items()}


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_goes_to_the_feed_and_is_linked_by_its_permalink(server, clock):
    result = make_network(server, clock).publish(part())
    (post,) = server.ours()
    assert (result.remote_id, result.url) == (post["id"], post["permalink_url"])
    assert post["id"].startswith(f"{PAGE_ID}_") and "/posts/pfbid0" in result.url
    (create,) = server.calls("POST", FEED)
    assert form(create) == {"message": "Fresh bread today."}
    assert [r.method + " " + r.path for r in server.requests] == [
        f"POST /{DEFAULT_VERSION}/{PAGE_ID}/feed", f"GET /{DEFAULT_VERSION}/{post['id']}"]
    assert server.requests[1].query == {"fields": ["id,permalink_url"]}
    assert clock.sleeps == []


def test_every_request_carries_the_token_in_its_header_and_the_channels_version(server, clock, tmp_path):
    for n in range(PAGE_SIZE + 3):
        server.add_post(f"Earlier post {n}.")
    network = make_network(server, clock, api_version="v24.0")
    sent = network.publish(part("New.", media=images(tmp_path, 2)))
    assert network.reconcile(part("Earlier post 0."), START - timedelta(minutes=1)) is not None
    network.delete(SentPart("bread", "facebook", 1, remote_id=sent.remote_id))
    assert {r.method for r in server.requests} == {"POST", "GET", "DELETE"}
    assert len(server.calls("GET", POSTS)) == 2  # the second page followed Graph's `next` link
    assert server.versions == {"v24.0"}
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert "access_token" not in request.query and TOKEN.encode() not in request.body


def test_a_link_goes_along_for_its_preview_card_on_the_first_part_only(server, clock, tmp_path):
    network = make_network(server, clock)
    network.publish(part("Order your stollen.", link="https://crumbandco.example/stollen"))
    network.publish(part("Part two.", link="https://crumbandco.example/stollen", number=2, total=2, key="k2"))
    network.publish(part("With photos.", link="https://crumbandco.example/x", media=images(tmp_path, 2),
                         key="k3"))
    first, second, third = (form(r) for r in server.calls("POST", FEED))
    assert first == {"message": "Order your stollen.", "link": "https://crumbandco.example/stollen"}
    assert "link" not in second and "link" not in third


@pytest.mark.parametrize(("text", "count"), [
    ("", 1),
    ("One loaf, alt text and all.", 1),
    ("Our rolls, three ways.", 3),
    ("", 2),
    ("The most Facebook takes.", 10),
], ids=["image-alone", "one-image", "several-images", "images-alone", "ten-images"])
def test_photos_carry_their_alt_text_one_with_its_caption_more_attached_to_a_feed_post(server, clock, tmp_path,
                                                                                      text, count):
    media = images(tmp_path, count)
    result = make_network(server, clock).publish(part(text, media=media))
    (post,) = server.ours()
    assert result.remote_id == post["id"] and post["message"] == text
    photos = [server.photos[photo] for photo in post["photos"]]
    assert [p["content"] for p in photos] == [m.path.read_bytes() for m in media]
    assert [p["alt_text_custom"] for p in photos] == [m.alt for m in media]
    assert {p["content_type"] for p in photos} == {"image/png"}
    uploads = server.calls("POST", PHOTOS)
    assert len(uploads) == count
    if count == 1:
        assert server.calls("POST", FEED) == [] and photos[0]["published"] and photos[0]["caption"] == text
        assert result.url.startswith("https://www.facebook.com/photo.php?fbid=")
    else:
        assert not any(p["published"] for p in photos)
        (create,) = server.calls("POST", FEED)
        sent = form(create)
        assert [json.loads(sent[f"attached_media[{n}]"]) for n in range(count)] == [
            {"media_fbid": photo} for photo in post["photos"]]
        assert sent.get("message", "") == text


def test_a_retried_part_reuses_its_uploads(server, clock, tmp_path):
    network = make_network(server, clock)
    request = part(media=images(tmp_path, 2))
    server.fail("POST", FEED, status=400, body={"error": {"message": "(#100) try again", "code": 100}})
    with pytest.raises(DeliveryError, match=r"refused \(400\): \(#100\) try again"):
        network.publish(request)
    network.publish(request)
    assert len(server.calls("POST", PHOTOS)) == 2 and len(server.ours()) == 1


def test_an_unreadable_image_fails_before_anything_is_sent(server, clock, tmp_path):
    for count in (1, 2):
        gone = tuple(MediaFile(tmp_path / f"gone{n}.png", "Gone") for n in range(count))
        with pytest.raises(DeliveryError, match=r"cannot read gone0\.png") as caught:
            make_network(server, clock).publish(part(media=gone))
        assert caught.value.code == "media-unreadable"
    assert server.requests == []


def test_nothing_to_post_engagement_and_too_many_images_are_refused_before_sending(server, clock, tmp_path):
    network = make_network(server, clock)
    with pytest.raises(DeliveryError, match="nothing to post"):
        network.publish(part("  "))
    with pytest.raises(DeliveryError, match="cannot reply_to; nothing was sent"):
        network.publish(part(engagement={"reply_to": "https://www.facebook.com/1/posts/2"}))
    with pytest.raises(DeliveryError, match="11 images, Facebook takes at most 10"):
        network.publish(part(media=images(tmp_path, 11)))
    assert server.requests == []


@pytest.mark.parametrize("failure", [
    {"status": 500, "body": {"error": {"message": "An unknown error has occurred.", "code": 1}}},
    {"status": 400, "body": {"error": {"message": "(#100) Unsupported get request", "code": 100,
                                       "error_subcode": 33}}},
], ids=["server-error", "not-yet-readable"])
def test_a_post_that_cannot_be_read_back_is_linked_by_its_id(server, clock, failure):
    server.fail("GET", rf"/v\d+\.\d+/{PAGE_ID}_\d+", times=10, **failure)
    result = make_network(server, clock).publish(part())
    (post,) = server.ours()
    page, _, number = post["id"].partition("_")
    assert (result.remote_id, result.url) == (post["id"], f"https://www.facebook.com/{page}/posts/{number}")


# -- errors: (server setup, channel options, what the message says, its code) ------------

ERRORS = [
    ("token-invalid", lambda s: None, {"token": "wrong-token-value-123"},
     ["token rejected: check FACEBOOK_PAGE_TOKEN", "not a token", "Invalid OAuth access token", "#190"],
     "auth-failed"),
    ("token-expired", lambda s: setattr(s, "expired", True), {},
     ["token rejected: check FACEBOOK_PAGE_TOKEN: the token expired", "make a new Page access token",
      "#190/463"], "auth-failed"),
    ("password-changed", lambda s: s.fail("POST", FEED, status=400, body=graph_error(
        400, 190, "Error validating access token: The session has been invalidated", subcode=460)[1]), {},
     ["password", "ends its page tokens"], "auth-failed"),
    ("user-token", lambda s: setattr(s, "token_page", False), {},
     ["refused: the token lacks a permission", f"Page access token of page {PAGE_ID}", "pages_manage_posts",
      "check FACEBOOK_PAGE_TOKEN", "#200"], "forbidden"),
    ("permission-missing", lambda s: s.scopes.discard("pages_manage_posts"), {},
     ["pages_manage_posts, pages_read_engagement and pages_show_list", "#200"], "forbidden"),
    ("refused-with-reason", lambda s: s.fail("POST", FEED, status=400, body=graph_error(
        400, 100, "(#100) The message is too long")[1]), {},
     ["refused (400): (#100) The message is too long (#100, fbtrace_id A"], "delivery-failed"),
    ("user-message-shown", lambda s: s.fail("POST", FEED, status=400, body={"error": {
        "message": "Invalid parameter", "code": 100, "error_user_msg": "The link could not be read."}}), {},
     ["Invalid parameter; The link could not be read."], "delivery-failed"),
    ("not-graph-shaped", lambda s: s.fail("POST", FEED, status=400, body="Bad Request\n"), {},
     ["refused (400): Bad Request (HTTP 400)"], "delivery-failed"),
    ("token-echoed-is-masked", lambda s: s.fail("POST", FEED, status=400, body=graph_error(
        400, 100, f"bad token {TOKEN}")[1]), {}, ["refused (400): bad token ***"], "delivery-failed"),
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


# -- throttling -------------------------------------------------------------------------


def test_a_short_business_throttle_waits_the_time_meta_states(server, clock):
    server.budget(0, regain_minutes=1)
    make_network(server, clock).publish(part())
    assert clock.sleeps == [60.0] and len(server.ours()) == 1


@pytest.mark.parametrize(("code", "regain"), [(80001, 60), (32, None), (4, None), (17, None), (613, None)],
                         ids=["business-an-hour", "page", "app", "user", "call"])
def test_a_long_or_untimed_throttle_leaves_the_part_for_a_later_run(server, clock, code, regain):
    server.budget(0, regain_minutes=regain, code=code)
    with pytest.raises(DeliveryError, match="Facebook is throttling") as caught:
        make_network(server, clock).publish(part())
    error = caught.value
    assert error.retry_later and not error.ambiguous and f"#{code}" in error.message and "later run" in error.message
    assert server.ours() == [] and len(server.requests) == 1 and sum(clock.sleeps) == 0


@pytest.mark.parametrize("status", [400, 403, 429])
def test_throttling_is_read_from_the_error_code_whatever_the_status(server, clock, status):
    server.fail("POST", FEED, status=status, headers=business_usage(PAGE_ID, 100, 1),
                body=graph_error(status, 80001, "There have been too many calls to this Page account.")[1])
    make_network(server, clock).publish(part())
    assert clock.sleeps == [60.0] and len(server.ours()) == 1


def test_a_429_without_a_graph_body_is_a_throttle_too(server, clock):
    server.fail("POST", FEED, status=429, body="Too Many Requests", headers={"Retry-After": "20"})
    make_network(server, clock).publish(part())
    assert clock.sleeps == [20.0] and len(server.ours()) == 1


def test_a_throttle_that_lasts_through_every_attempt_is_left_for_later(server, clock):
    server.fail("POST", FEED, status=400, times=10, headers=business_usage(PAGE_ID, 100, 1),
                body=graph_error(400, 80001, "There have been too many calls to this Page account.")[1])
    with pytest.raises(DeliveryError, match="throttling") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and clock.sleeps == [60.0] * 3 and server.ours() == []


def test_an_answer_that_says_the_limit_is_reached_holds_the_next_request(server, clock):
    server.budget(1, regain_minutes=30)  # the create passes; its answer says: 100 %, 30 minutes
    network = make_network(server, clock)
    first = network.publish(part())
    assert first.url == post_link(first.remote_id)  # the read-back waited for nobody: the id's link
    with pytest.raises(DeliveryError, match="lifts its limit in 30 min") as caught:
        network.publish(part("Another.", key="key-2"))
    assert caught.value.retry_later
    assert len(server.requests) == 1 and len(server.ours()) == 1


def test_a_policy_block_is_left_for_a_later_run(server, clock):
    server.fail("POST", FEED, status=400, body=graph_error(400, 368, "It looks like you were misusing this "
                                                                      "feature by going too fast.")[1])
    with pytest.raises(DeliveryError, match="blocks posting from the page for a while") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and caught.value.code == "blocked"


# -- exactly once, in the adapter -------------------------------------------------------


def test_after_an_unclear_attempt_a_duplicate_is_the_post_that_attempt_made(server, clock):
    network = make_network(server, clock)
    server.hide_from_listing = True
    server.fail("POST", FEED, drop_after_handling=True)
    with pytest.raises(DeliveryError) as caught:
        network.publish(part())
    assert caught.value.ambiguous
    assert network.reconcile(part(), START) is None  # the listing lags behind
    (ours,) = server.ours()
    ours["_hidden"] = False  # and catches up
    result = network.publish(part())
    assert (result.remote_id, result.url) == (ours["id"], ours["permalink_url"])
    assert len(server.ours()) == 1 and len(server.calls("POST", FEED)) == 2


def test_after_an_unclear_attempt_a_duplicate_not_yet_listed_asks_a_person(server, clock):
    network = make_network(server, clock)
    server.hide_from_listing = True
    server.act_then_fail.append(500)
    with pytest.raises(DeliveryError):
        network.publish(part())
    clock.now += timedelta(minutes=2)
    with pytest.raises(Uncertain) as caught:
        network.publish(part())
    message = caught.value.message
    assert "same text as the page's previous post" in message and "(#506" in message
    assert "sent to Facebook at 2026-12-01 11:00 UTC" in message
    assert "social resolve bread --channel facebook --part 1" in message
    assert len(server.ours()) == 1


def test_after_an_unclear_attempt_a_duplicate_claimed_by_another_part_is_not_taken(server, clock):
    network = make_network(server, clock)
    earlier = server.add_post("Fresh bread today.")
    assert network.reconcile(part(claimed=frozenset({earlier["id"]})), START) is None
    with pytest.raises(Uncertain, match="do not show it"):
        network.publish(part(claimed=frozenset({earlier["id"]})))


@pytest.mark.parametrize("ago", [timedelta(minutes=3), timedelta(days=3)])
def test_a_first_attempt_refused_as_a_duplicate_fails_and_asks_for_another_text(server, clock, ago):
    server.add_post("Fresh bread today.", ago=ago)  # by hand, or by another tool
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    error = caught.value
    assert not error.ambiguous and not error.retry_later and error.code == "duplicate-post"
    assert "(#506" in error.message and "Change the text, or delete that post" in error.message
    assert len(server.requests) == 1 and len(server.ours()) == 1


# -- reconcile, in the adapter ----------------------------------------------------------


def test_reconcile_finds_the_post_by_its_text_since_it_was_sent(server, clock, tmp_path):
    network = make_network(server, clock)
    sent = network.publish(part("Stollen (fresh)\n\nwith #butter", media=images(tmp_path, 2)))
    found = network.reconcile(part("Stollen (fresh)\n\nwith #butter"), START)
    assert (found.remote_id, found.url) == (sent.remote_id, sent.url)
    assert network.reconcile(part("Something else"), START) is None
    (listing, *_) = server.calls("GET", POSTS)
    assert listing.query == {"fields": ["id,message,created_time,permalink_url"],
                             "since": [str(int((START - timedelta(minutes=10)).timestamp()))],
                             "limit": [str(PAGE_SIZE)]}


def test_reconcile_compares_text_as_a_reader_sees_it(server, clock):
    server.add_post("Stollen  (fresh)\n #1 cafe\u0301")
    assert make_network(server, clock).reconcile(part("Stollen (fresh) #1 café"), START)
    assert comparable("a  b\n\nc") == comparable("a b c")


def test_reconcile_ignores_an_older_post_and_one_another_part_went_out_as(server, clock):
    server.add_post("Fresh bread today.", ago=timedelta(days=2))
    taken = server.add_post("Fresh bread today.")
    network = make_network(server, clock)
    assert network.reconcile(part(claimed=frozenset({taken["id"]})), START) is None
    assert network.reconcile(part(), START).remote_id == taken["id"]


def test_reconcile_with_two_candidates_asks_a_person(server, clock):
    server.duplicates = False
    first, second = server.add_post("Fresh bread today."), server.add_post("Fresh bread today.")
    with pytest.raises(Uncertain, match="2 of the page's posts could be it") as caught:
        make_network(server, clock).reconcile(part(), START)
    assert first["id"] in caught.value.message and second["id"] in caught.value.message


def test_reconcile_follows_the_listing_back_to_the_time_of_sending(server, clock):
    ours = server.add_post("The one we look for.")
    for n in range(PAGE_SIZE + 5):
        clock.now += timedelta(seconds=1)
        server.add_post(f"Later post {n}.")
    found = make_network(server, clock).reconcile(part("The one we look for."), START)
    assert found.remote_id == ours["id"]
    second = server.calls("GET", POSTS)[1]
    assert second.query["after"] == [str(PAGE_SIZE)] and "access_token" not in second.query


def test_reconcile_that_cannot_read_far_enough_back_is_uncertain(server, clock):
    for n in range(PAGE_SIZE * MAX_PAGES + 1):
        server.add_post(f"Busy page, post {n}.")
    with pytest.raises(Uncertain, match="only those were read"):
        make_network(server, clock).reconcile(part(), START - timedelta(minutes=1))


def test_reconcile_never_follows_a_paging_link_to_another_host(server, clock):
    posts = [{"id": f"{PAGE_ID}_{n}", "message": f"Post {n}.", "created_time": "2026-12-01T11:00:00+0000"}
             for n in range(3)]
    server.fail("GET", POSTS, status=200, body={"data": posts, "paging": {
        "next": f"https://graph.example.net/v26.0/{PAGE_ID}/posts?access_token=x&after=3"}})
    with pytest.raises(Uncertain, match=r"another address \(graph.example.net\)"):
        make_network(server, clock).reconcile(part(), START)
    assert len(server.requests) == 1


def test_reconcile_without_read_permission_says_what_to_check(server, clock):
    server.scopes.discard("pages_read_engagement")
    with pytest.raises(Uncertain) as caught:
        make_network(server, clock).reconcile(part("Bread (rye)"), START)
    message = caught.value.message
    assert "pages_read_engagement" in message and f"https://www.facebook.com/{PAGE_ID}" in message
    assert "'Bread (rye)'" in message and "2026-12-01 11:00 UTC" in message
    assert "social resolve bread --channel facebook --part 1" in message and "--not-published" in message


def test_reconcile_that_cannot_reach_facebook_raises_for_a_later_look(server, clock):
    server.fail("GET", POSTS, status=500, times=10)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).reconcile(part(), START)
    assert not isinstance(caught.value, Uncertain)


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_post_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "facebook", 1, remote_id=sent.remote_id, url=sent.url))
    assert server.ours() == []
    network.delete(SentPart("bread", "facebook", 1, remote_id=sent.remote_id))  # already gone
    deletes = server.calls("DELETE", r"/v\d+\.\d+/.+")
    assert [d.path for d in deletes] == [f"/{DEFAULT_VERSION}/{sent.remote_id}"] * 2


def test_delete_of_a_post_still_there_that_facebook_calls_unknown_fails(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    server.fail("DELETE", r"/v\d+\.\d+/.+", status=400, body=graph_error(
        400, 100, "Unsupported delete request. Object does not exist or missing permissions", subcode=33)[1])
    with pytest.raises(DeliveryError, match="knows no such object, or the token may not see it"):
        network.delete(SentPart("bread", "facebook", 1, remote_id=sent.remote_id))
    assert len(server.ours()) == 1


@pytest.mark.parametrize(("url", "expected"), [
    (f"https://www.facebook.com/{PAGE_ID}/posts/123456", f"{PAGE_ID}_123456"),
    ("https://www.facebook.com/CrumbAndCo/posts/123456/", f"{PAGE_ID}_123456"),
    (f"https://www.facebook.com/permalink.php?story_fbid=987&id={PAGE_ID}", f"{PAGE_ID}_987"),
    ("https://www.facebook.com/permalink.php?story_fbid=987&id=42", None),
    (f"https://www.facebook.com/{PAGE_ID}/posts/pfbid02AbCdEf", None),
    ("https://fb.me/abc", None),
])
def test_a_post_settled_by_a_person_is_deleted_when_its_link_names_it(url, expected):
    assert post_id_of(SentPart("bread", "facebook", 1, url=url), PAGE_ID) == expected


def test_delete_of_a_post_it_cannot_name_asks_for_a_person(server, clock):
    with pytest.raises(DeliveryError, match="delete it by hand"):
        make_network(server, clock).delete(SentPart("bread", "facebook", 1,
                                                    url="https://www.facebook.com/x/posts/pfbid0Ab"))
    assert server.requests == []


def test_delete_without_permission_names_it(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    server.scopes.discard("pages_manage_posts")
    with pytest.raises(DeliveryError, match="pages_manage_posts"):
        network.delete(SentPart("bread", "facebook", 1, remote_id=sent.remote_id))
    assert len(server.ours()) == 1


# -- the account, and the API version -----------------------------------------------------


def test_check_names_the_page_and_says_how_its_token_expires(server, clock):
    check = make_network(server, clock).check_account()
    assert check.account == f"Crumb & Co. (page {PAGE_ID})" and check.expires_at is None
    assert "never does" in check.notes[0] and "token_expires" in check.notes[0]
    dated = make_network(server, clock, token_expires=date(2027, 1, 30)).check_account()
    assert dated.expires_at == datetime(2027, 1, 30, tzinfo=UTC) and dated.notes == ()
    assert [r.query for r in server.requests] == [{"fields": ["id,name"]}] * 2


def test_check_refuses_a_token_that_is_not_the_pages(server, clock):
    server.token_page = False
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).check_account()
    message = caught.value.message
    assert f"FACEBOOK_PAGE_TOKEN is not the Page access token of page {PAGE_ID}" in message
    assert "Anna Baker (10160000000000042)" in message and "`page_id:`" in message
    assert caught.value.code == "auth-failed"


def test_channels_check_shows_an_expiring_page_token(repo, server, clock):
    repo.write("content/channels.yml", json.dumps({"timezone": "Europe/Berlin", "channels": {"fb": {
        "network": "facebook", "page_id": PAGE_ID, "api": server.url, "token_expires": "2026-12-10",
        "credentials": {"token": "FACEBOOK_PAGE_TOKEN"}}}}))
    now, (check,) = check_channels(repo.root, env={"FACEBOOK_PAGE_TOKEN": TOKEN}, clock=clock)
    assert check.needs_person(now)
    assert check_lines(now, [check])[0] == (f"! fb  posts as Crumb & Co. (page {PAGE_ID}); the token expires "
                                            "on 2026-12-10 (in 8 days): renew it soon")


@pytest.mark.parametrize(("version", "today", "expected"), [
    (DEFAULT_VERSION, date(2026, 12, 1), None),
    ("v27.0", date(2026, 12, 1), None),
    ("v25.0", date(2026, 12, 1), None),
    ("v21.0", date(2026, 10, 22), None),
    ("v21.0", date(2026, 10, 23), ("warning", "facebook-version-retiring", "retires on 2027-01-21")),
    ("v21.0", date(2027, 1, 21), ("warning", "facebook-version-retiring", "retires on 2027-01-21")),
    ("v21.0", date(2027, 1, 22), ("error", "facebook-version-retired", "was retired on 2027-01-21")),
    ("v20.0", date(2026, 12, 1), ("error", "facebook-version-retired", "was retired on 2026-09-24")),
    ("v3.3", date(2026, 12, 1), ("error", "facebook-version-retired", "is retired")),
    ("v25.5", date(2026, 12, 1), ("error", "facebook-version-unknown", "not a Graph API version")),
])
def test_validation_warns_before_a_graph_api_version_retires(version, today, expected):
    findings = version_findings(version, today)
    if expected is None:
        assert findings == []
        return
    ((level, code, message),) = findings
    assert (level, code) == expected[:2] and expected[2] in message
    assert "set `api_version:`" in message and "changelog" in message


def test_social_validate_reports_the_version_at_the_channel(repo):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  fb:\n    network: facebook\n"
                                       f"    page_id: '{PAGE_ID}'\n    api_version: v21.0\n"
                                       "    credentials: {token: FACEBOOK_PAGE_TOKEN}\n")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json",
                                      "--now", "2026-12-01T12:00:00+01:00"])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["errors"] == []
    (warning,) = report["warnings"]
    assert (warning["file"], warning["line"], warning["code"]) == ("content/channels.yml", 3,
                                                                   "facebook-version-retiring")
    assert warning["message"].startswith("channel 'fb': Graph API v21.0 retires on 2027-01-21")


def test_a_page_id_written_without_quotes_is_the_same_page(repo):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  fb:\n    network: facebook\n"
                                       f"    page_id: {PAGE_ID}\n    credentials: {{token: FACEBOOK_PAGE_TOKEN}}\n")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert Workspace(repo.root).require_config().channels["fb"].options.page_id == PAGE_ID


@pytest.mark.parametrize(("setting", "says"), [
    ("page_id: crumbandco", "page_id"),
    ("page_id: -5", "page_id"),
    ("page_id: true", "page_id"),
    ("page_id: '1'\n    api_version: '25.0'", "api_version"),
    ("api_version: v26.0", "page_id"),
])
def test_social_validate_refuses_a_channel_that_cannot_work(repo, setting, says):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  fb:\n    network: facebook\n"
                                       f"    {setting}\n    credentials: {{token: FACEBOOK_PAGE_TOKEN}}\n")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json"])
    assert result.exit_code == 2 and says in result.output


# -- through the engine -----------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {{max_per_day: 5, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}}
channels:
  facebook:
    network: facebook
    page_id: "{page}"
    api: {url}
    credentials: {{token: FACEBOOK_PAGE_TOKEN}}
"""


@pytest.fixture
def site(repo, server):
    repo.write("content/channels.yml", CHANNELS.format(url=server.url, page=PAGE_ID))
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [facebook]", "Fresh bread today.")
    return repo


def run_engine(site, clock, *, timeout=(2.0, 5.0)):
    """One publish run through the real engine, with an Http whose timeouts the test chooses."""
    root = site.root.resolve()
    config = Workspace(root).require_config()
    ledger = Ledger(root)
    plan = make_plan(read_posts(root, config, [], post_files(root)), ledger, clock())
    http = make_http(clock, timeout)

    def network_for(channel):
        return FacebookNetwork(channel, env={"FACEBOOK_PAGE_TOKEN": TOKEN}, http=http, root=root)

    result = Runner(root, ledger, network_for=network_for, clock=clock, parallel=False).run(plan)
    return result, Ledger(root)


def states(ledger: Ledger) -> list[str]:
    return [e.state for e in ledger.entries]


ENGINE = [
    # (what happens to the first create, creates the server saw)
    ("500-after-acting", lambda s: s.act_then_fail.append(500), 1),
    ("502-after-acting", lambda s: s.act_then_fail.append(502), 1),
    ("504-after-acting", lambda s: s.act_then_fail.append(504), 1),
    ("graph-unknown-error-after-acting", lambda s: s.act_then_fail.append(400), 1),
    ("dropped-after-acting", lambda s: s.fail("POST", FEED, drop_after_handling=True), 1),
    ("500-before-acting", lambda s: s.fail("POST", FEED, status=500), 2),
]


@pytest.mark.parametrize(("setup", "sent"), [e[1:] for e in ENGINE], ids=[e[0] for e in ENGINE])
def test_engine_settles_unclear_creates_with_exactly_one_post(site, server, clock, setup, sent):
    setup(server)
    result, ledger = run_engine(site, clock)
    (post,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(server.calls("POST", FEED)) == sent
    assert states(ledger) == [PENDING, PUBLISHED]
    assert ledger.current("bread", "facebook", 1).remote_id == post["id"]
    if sent == 1:  # it looked before it would have sent again
        assert server.calls("GET", POSTS)


def test_engine_an_unclear_photo_post_is_found_and_its_photos_not_uploaded_again(repo, server, clock):
    for name in ("roll", "bun"):
        png(repo.root / f"content/media/{name}.png")
    repo.write("content/channels.yml", CHANNELS.format(url=server.url, page=PAGE_ID))
    repo.post("basket", "publish_at: 2026-12-01 11:30\nchannels: [facebook]\nmedia:\n"
              "  - path: media/roll.png\n    alt: Rye rolls\n  - path: media/bun.png\n    alt: Cardamom buns",
              "The morning basket.")
    server.act_then_fail.append(502)
    result, _ = run_engine(repo, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    (post,) = server.ours()
    assert len(server.calls("POST", PHOTOS)) == 2 and len(server.calls("POST", FEED)) == 1
    assert [server.photos[p]["alt_text_custom"] for p in post["photos"]] == ["Rye rolls", "Cardamom buns"]


def test_engine_a_listing_that_lags_ends_uncertain_never_in_a_second_post(site, server, clock):
    server.hide_from_listing = True
    server.act_then_fail.append(500)
    result, ledger = run_engine(site, clock)
    assert len(server.ours()) == 1
    assert len(server.calls("POST", FEED)) == 2  # looked, found nothing, sent again: #506 turned it away
    assert [o.state for o in result.outcomes] == [UNCERTAIN]
    error = ledger.current("bread", "facebook", 1).error
    assert "same text as the page's previous post" in error and "social resolve bread" in error


def test_engine_timeout_after_facebook_acted_is_found_not_sent_again(site, server, clock):
    server.stall_after_create = 0.6
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(server.calls("POST", FEED)) == 1 and len(server.ours()) == 1
    assert ledger.current("bread", "facebook", 1).remote_id == server.ours()[0]["id"]


def test_engine_timeout_before_facebook_acted_is_sent_again_and_the_late_first_is_refused(site, server, clock):
    # The first create waits 0.6 s before Facebook handles it; the client gives up after 0.2 s,
    # finds nothing, sends again, and #506 turns the late first away.
    server.fail("POST", FEED, delay=0.6)
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    server.wait_for_creates(2)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(server.calls("POST", FEED)) == 2 and len(server.ours()) == 1
    assert ledger.current("bread", "facebook", 1).remote_id == server.ours()[0]["id"]


def test_engine_listing_refused_is_uncertain_and_never_a_second_post(site, server, clock):
    server.scopes.discard("pages_read_engagement")
    server.act_then_fail.append(500)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [UNCERTAIN]
    assert len(server.calls("POST", FEED)) == 1 and len(server.ours()) == 1
    error = ledger.current("bread", "facebook", 1).error
    assert "pages_read_engagement" in error and "social resolve bread --channel facebook --part 1" in error
    again, _ = run_engine(site, clock)
    assert [o.state for o in again.outcomes] == [UNCERTAIN] and len(server.calls("POST", FEED)) == 1


def test_engine_a_throttled_channel_waits_for_a_later_run(site, server, clock):
    site.post("rolls", "publish_at: 2026-12-01 11:40\nchannels: [facebook]", "Rolls are out.")
    server.budget(0, regain_minutes=45)
    result, _ = run_engine(site, clock)
    assert {o.post: o.state for o in result.outcomes} == {"bread": FAILED, "rolls": FAILED}
    assert "throttling" in result.outcomes[0].error and "rate limited" in result.outcomes[1].error
    assert len(server.requests) == 1 and server.ours() == []
    clock.now += timedelta(minutes=50)
    again, _ = run_engine(site, clock)
    assert [o.state for o in again.outcomes] == [PUBLISHED, PUBLISHED] and len(server.ours()) == 2


def write_pending(site, at: datetime) -> None:
    Ledger(site.root).append(Entry("bread", "facebook", 1, PENDING, utc_iso(at), key="bread-key",
                                   file="content/posts/2026/12/bread.md"))


def test_engine_pending_from_a_crashed_run_is_found_not_sent_again(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    clock.now -= timedelta(minutes=19)
    server.add_post("Fresh bread today.")  # the crashed run's create did reach Facebook
    clock.now = START
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert server.calls("POST", FEED) == [] and len(server.ours()) == 1
    assert states(ledger) == [PENDING, PUBLISHED]


def test_engine_pending_not_found_is_sent(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(server.calls("POST", FEED)) == 1 and len(server.ours()) == 1


# -- end to end through `social publish` ------------------------------------------------


def test_publish_end_to_end_once_with_photos_and_without_leaking_the_token(repo, clock, tmp_path, monkeypatch):
    with FakeFacebook(TOKEN, clock=clock) as server:
        for n in range(PAGE_SIZE + 2):  # a busy page: reading it back needs Graph's paging link
            server.add_post(f"An older post {n}.", ago=timedelta(minutes=9.9 - n * 0.05))
        repo.write("content/channels.yml", CHANNELS.format(url=server.url, page=PAGE_ID))
        for name in ("loaf", "roll", "bun"):
            png(repo.root / f"content/media/{name}.png")
        repo.post("stollen", "publish_at: 2026-12-01 08:00\nchannels: [facebook]\n"
                  "link: https://crumbandco.example/stollen", "Stollen season (finally) starts.")
        repo.post("loaf", "publish_at: 2026-12-01 09:30\nchannels: [facebook]\nmedia:\n"
                  "  - path: media/loaf.png\n    alt: A sourdough loaf on a board", "Our sourdough.")
        repo.post("basket", "publish_at: 2026-12-01 10:45\nchannels: [facebook]\nmedia:\n"
                  "  - path: media/roll.png\n    alt: Rye rolls\n  - path: media/bun.png\n    alt: Cardamom buns",
                  "The morning basket.")
        env = {"FACEBOOK_PAGE_TOKEN": TOKEN}
        shown = []
        server.act_then_fail.append(500)  # the first create acts, then fails: found by paging back
        report = publish(repo.root, now_text="2026-12-01 12:00", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        assert report.ok, report.result.outcomes
        assert sorted((o.post, o.state) for o in report.result.outcomes) == [
            ("basket", PUBLISHED), ("loaf", PUBLISHED), ("stollen", PUBLISHED)]
        posts = {post["message"].split("\n")[0]: post for post in server.ours()[PAGE_SIZE + 2:]}
        assert posts.keys() == {"Stollen season (finally) starts.", "Our sourdough.", "The morning basket."}
        assert posts["Stollen season (finally) starts."]["link"] == "https://crumbandco.example/stollen"
        assert [server.photos[p]["alt_text_custom"] for p in posts["Our sourdough."]["photos"]] == [
            "A sourdough loaf on a board"]
        assert [server.photos[p]["alt_text_custom"] for p in posts["The morning basket."]["photos"]] == [
            "Rye rolls", "Cardamom buns"]
        ledger = Ledger(repo.root)
        for post_id, first_line in (("stollen", "Stollen season"), ("loaf", "Our sourdough.")):
            entry = ledger.current(post_id, "facebook", 1)
            post = next(p for p in server.ours() if p["message"].startswith(first_line))
            assert (entry.remote_id, entry.url) == (post["id"], post["permalink_url"])

        clock.now = START + timedelta(minutes=5)  # a real run happens at the real time
        again = publish(repo.root, now_text="2026-12-01 12:05", env=env, sleep=clock.sleep, clock=clock)
        assert again.result.outcomes == [] and len(server.ours()) == PAGE_SIZE + 5

        # A server that echoes the token in an error: outcomes, ledger and outputs show it masked.
        repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [facebook]", "One more.")
        server.fail("POST", FEED, status=400, body=graph_error(400, 100, f"bad request from {TOKEN}")[1], times=2)
        clock.now = START + timedelta(minutes=10)
        failed = publish(repo.root, now_text="2026-12-01 12:10", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        (outcome,) = failed.result.outcomes
        assert outcome.state == FAILED and "bad request from ***" in outcome.error
        summary_file = tmp_path / "step-summary.md"
        clock.now = START + timedelta(minutes=12)
        monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                     env={"FACEBOOK_PAGE_TOKEN": TOKEN, "GITHUB_STEP_SUMMARY": str(summary_file)})
        assert cli_run.exit_code == 1 and "bad request from ***" in cli_run.output
        outputs = cli_run.output + summary_file.read_text(encoding="utf-8")

        clock.now = START + timedelta(minutes=15)
        wrong = publish(repo.root, now_text="2026-12-01 12:15", env={"FACEBOOK_PAGE_TOKEN": "not-the-token"},
                        sleep=clock.sleep, clock=clock)
        (outcome,) = wrong.result.outcomes
        assert "token rejected: check FACEBOOK_PAGE_TOKEN" in outcome.error

        dry = publish(repo.root, now_text="2026-12-01 12:20", env=env, dry_run=True, sleep=clock.sleep,
                      clock=clock)
        assert [o.post for o in dry.result.outcomes] == ["late"]
        outbox = "".join(p.read_text(encoding="utf-8") for p in (repo.root / "outbox").rglob("*") if p.is_file())
        assert "One more." in outbox

        cli_check = CliRunner().invoke(cli, ["channels", "check", "--root", str(repo.root), "--format", "json"],
                                       env={"FACEBOOK_PAGE_TOKEN": TOKEN})
        assert f"Crumb & Co. (page {PAGE_ID})" in cli_check.output
        assert all(TOKEN not in r.path and "access_token" not in r.query for r in server.requests)

    ledger_text = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8")
    everything = ledger_text + outputs + outbox + cli_check.output + json.dumps(
        [o.__dict__ for o in shown + failed.result.outcomes + wrong.result.outcomes + dry.result.outcomes])
    assert TOKEN not in everything
