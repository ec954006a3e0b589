"""The X adapter against FakeX over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares, so an x-rate-limit-reset 30 s ahead passes in no time for both.
The secrets are canaries: no message, ledger line, outbox file or output may show them.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.load import post_files, read_posts
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.networks.x import XNetwork, XOptions, comparable, post_id_of
from pipeline.networks.x.posts import MAX_PAGES, PAGE_SIZE
from pipeline.publish.plan import make_plan
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import utc_iso
from tests.fakes.clock import FakeClock
from tests.fakes.x import OTHER_ID, USER_ID, USERNAME, FakeX

SECRET = "x-canary-access-secret-7e1f3a9c"
API_SECRET = "x-canary-api-secret-0b4d6f2e"
BEARER = "x-canary-bearer-5c3a1e9d"
REFRESH = "x-canary-Rq7fZ-8f2b4d6a"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
OAUTH1 = {"api_key": "X_API_KEY", "api_secret": "X_API_SECRET", "access_token": "X_ACCESS_TOKEN",
          "access_secret": "X_ACCESS_SECRET"}
ENV = {"X_API_KEY": "fake-api-key", "X_API_SECRET": API_SECRET, "X_ACCESS_TOKEN": f"{USER_ID}-fakeaccesstoken",
       "X_ACCESS_SECRET": SECRET}
CANARIES = (SECRET, API_SECRET, BEARER, REFRESH)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeX(SECRET, clock=clock, api_secret=API_SECRET, oauth2_token=BEARER, refresh_token=REFRESH) as fake:
        yield fake


def make_http(clock: FakeClock, timeout=(2.0, 5.0)) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=timeout, rng=random.Random(7))


def make_network(server: FakeX, clock: FakeClock, *, env: dict | None = None, credentials: dict | None = None,
                 http: Http | None = None, **options) -> XNetwork:
    options.setdefault("username", USERNAME)
    channel = Channel(id="x", network="x", credentials=credentials or OAUTH1,
                      options=XOptions(api=server.url, **options), cadence={}, slots=(), template=None,
                      max_lateness=timedelta(hours=6))
    return XNetwork(channel, env=ENV if env is None else env, http=http or make_http(clock), root=Path("."))


OAUTH2 = {"access_token": "X_OAUTH2_TOKEN", "refresh_token": "X_REFRESH_TOKEN", "client_id": "X_CLIENT_ID"}
OAUTH2_ENV = {"X_OAUTH2_TOKEN": BEARER, "X_REFRESH_TOKEN": REFRESH, "X_CLIENT_ID": "fake-client-id"}


def oauth2_network(server: FakeX, clock: FakeClock, *, credentials=OAUTH2, env=OAUTH2_ENV, **options) -> XNetwork:
    return make_network(server, clock, credentials=credentials, env=env, auth="oauth2", **options)


def part(text: str = "Fresh bread today.", *, number: int = 1, total: int = 1, key: str = "key-1",
         **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="x", number=number, total=total, text=text, key=key, **fields)


def creates(server: FakeX):
    return server.calls("POST", r"/2/tweets")


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


def images(tmp_path: Path, count: int) -> tuple[MediaFile, ...]:
    return tuple(MediaFile(png(tmp_path / f"loaf{n}.png", (20 + n, 20)), f"Loaf number {n}", format="png")
                 for n in range(1, count + 1))


def foreign(server: FakeX, text: str = "Who bakes the best rye in Neukölln?") -> str:
    """Someone else's post, and its link."""
    post = server.add_post(text, mine=False)
    return f"https://x.com/anna_bakes/status/{post['id']}"


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_is_created_signed_and_linked(server, clock):
    result = make_network(server, clock).publish(part())
    (post,) = server.ours()
    assert (result.remote_id, result.url) == (post["id"], f"https://x.com/{USERNAME}/status/{post['id']}")
    (create,) = creates(server)
    assert create.json() == {"text": "Fresh bread today."}
    assert create.headers["authorization"].startswith("OAuth ")
    assert 'oauth_signature_method="HMAC-SHA1"' in create.headers["authorization"]
    assert [r.method + " " + r.path for r in server.requests] == ["POST /2/tweets"]
    assert clock.sleeps == []


def test_without_a_username_the_link_is_xs_own_permalink(server, clock):
    result = make_network(server, clock, username=None).publish(part())
    assert result.url == f"https://x.com/i/web/status/{result.remote_id}"


@pytest.mark.parametrize(("text", "count"), [
    ("", 1), ("One loaf, alt text and all.", 1), ("The most X takes.", 4),
], ids=["image-alone", "one-image", "four-images"])
def test_images_are_uploaded_described_then_posted(server, clock, tmp_path, text, count):
    media = images(tmp_path, count)
    make_network(server, clock).publish(part(text, media=media))
    uploads = server.calls("POST", r"/2/media/upload")
    assert len(uploads) == count and all(b"name=\"media_category\"" in u.body for u in uploads)
    assert [m["content"] for m in server.media.values()] == [m.path.read_bytes() for m in media]
    assert {m["content_type"] for m in server.media.values()} == {"image/png"}
    (create,) = creates(server)
    assert create.json()["media"] == {"media_ids": list(server.media)}
    assert ("text" in create.json()) is bool(text)
    (post,) = server.ours()
    assert post["_alts"] == [m.alt for m in media]


def test_a_retried_part_reuses_its_uploads(server, clock, tmp_path):
    network = make_network(server, clock)
    request = part(media=images(tmp_path, 2))
    server.fail("POST", r"/2/tweets", status=400, body={"title": "Invalid Request", "detail": "try again"})
    with pytest.raises(DeliveryError, match=r"refused \(400\): try again"):
        network.publish(request)
    network.publish(request)
    assert len(server.calls("POST", r"/2/media/upload")) == 2 and len(server.ours()) == 1


def test_a_thread_part_replies_to_the_part_before_it(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One.", total=2))
    network.publish(part("Two.", number=2, total=2, key="key-2",
                         parent=SentPart("bread", "x", 1, remote_id=first.remote_id)))
    assert creates(server)[1].json() == {"text": "Two.", "reply": {"in_reply_to_tweet_id": first.remote_id}}
    assert server.ours()[1]["text"] == "Two."  # a reply to oneself gets no @name


def test_a_thread_part_without_its_parent_is_not_sent(server, clock):
    with pytest.raises(DeliveryError, match="cannot reply to it; nothing was sent") as caught:
        make_network(server, clock).publish(part("Two.", number=2, total=2))
    assert caught.value.code == "thread-parent-unknown" and server.requests == []


@pytest.mark.parametrize("shape", ["https://x.com/anna_bakes/status/{id}", "https://twitter.com/anna_bakes/status/{id}",
                                   "https://mobile.twitter.com/anna_bakes/status/{id}?s=20",
                                   "https://x.com/i/web/status/{id}", "https://www.x.com/anna_bakes/status/{id}/photo/1"])
def test_a_reply_goes_to_the_post_the_link_names(server, clock, shape):
    target = server.add_post("Who bakes the best rye?", mine=False)
    make_network(server, clock).publish(part("We do!", engagement={"reply_to": shape.format(id=target["id"])}))
    assert creates(server)[0].json() == {"text": "We do!", "reply": {"in_reply_to_tweet_id": target["id"]}}
    assert server.ours()[0]["text"] == "@anna_bakes We do!"


def test_a_quote_carries_the_quoted_posts_id(server, clock):
    url = foreign(server)
    make_network(server, clock).publish(part("This is the question.", engagement={"quote": url}))
    assert creates(server)[0].json() == {"text": "This is the question.", "quote_tweet_id": post_id_of(url)}


@pytest.mark.parametrize(("fields", "says", "code"), [
    ({"engagement": {"repost": "https://x.com/a/status/1"}}, "cannot repost", "engagement-unsupported"),
    ({"engagement": {"like": "https://x.com/a/status/1"}}, "cannot like", "engagement-unsupported"),
    ({"engagement": {"reply_to": "https://mastodon.social/@a/1"}}, "is not a post on X", "engagement-unresolved"),
    ({"engagement": {"quote": "https://x.com/a/status/1"}, "media": "one"}, "no images beside a quote",
     "quote-with-images"),
    ({"text": "  "}, "nothing to post", "part-empty"),
], ids=["repost", "like", "foreign-reply", "quote-with-images", "empty"])
def test_what_x_cannot_do_is_refused_before_sending(server, clock, tmp_path, fields, says, code):
    if fields.get("media") == "one":
        fields = {**fields, "media": images(tmp_path, 1)}
    text = fields.pop("text", "Hello.")
    with pytest.raises(DeliveryError, match=says) as caught:
        make_network(server, clock).publish(part(text, **fields))
    assert caught.value.code == code and not caught.value.ambiguous
    assert server.requests == []


def test_an_unreadable_image_fails_before_anything_is_sent(server, clock, tmp_path):
    with pytest.raises(DeliveryError, match=r"cannot read gone\.png") as caught:
        make_network(server, clock).publish(part(media=(MediaFile(tmp_path / "gone.png", "Gone"),)))
    assert caught.value.code == "media-unreadable" and server.requests == []


# -- errors: (server setup, network settings, what the message says, its code) ------------

WRONG = {**ENV, "X_ACCESS_SECRET": "wrong-secret-value-123"}
ERRORS = [
    ("oauth1-rejected", lambda s: None, {"env": WRONG},
     ["X refused the credentials: check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET",
      "Unauthorized"], "auth-failed"),
    ("read-only-app", lambda s: s.fail("POST", r"/2/tweets", status=403, body={
        "title": "Forbidden", "type": "https://api.twitter.com/2/problems/oauth1-permissions",
        "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."}),
     {}, ["the app may only read", "Read and write", "generate the access token and secret again"], "forbidden"),
    ("app-without-project", lambda s: s.fail("POST", r"/2/tweets", status=403, body={
        "title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-forbidden",
        "reason": "client-not-enrolled", "detail": "When authenticating requests to the Twitter API v2 endpoints, "
        "you must use keys and tokens from a Twitter developer App that is attached to a Project."}),
     {}, ["must belong to a project", "attached to a Project"], "forbidden"),
    ("reply-restricted", lambda s: s.fail("POST", r"/2/tweets", status=403, body={
        "title": "Forbidden", "type": "about:blank",
        "detail": "Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                  "engaged by the author of the post you are replying to."}),
     {}, ["refused (403): Reply to this conversation is not allowed"], "forbidden"),
    ("credits-used-up", lambda s: s.fail("POST", r"/2/tweets", status=402, body={
        "title": "Payment Required", "detail": "Your enrolled account does not have any credits"}),
     {}, ["asks for payment (402)", "credits", "does not have any credits"], "payment-required"),
    ("text-refused", lambda s: s.fail("POST", r"/2/tweets", status=400, body={
        "errors": [{"message": "$.text: too long"}], "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid."}),
     {}, ["refused (400): One or more parameters to your request was invalid.; $.text: too long"],
     "delivery-failed"),
    ("secret-echoed-is-masked", lambda s: s.fail("POST", r"/2/tweets", status=400, body={
        "title": "Invalid Request", "detail": f"bad signature for {API_SECRET}"}),
     {}, ["refused (400): bad signature for ***"], "delivery-failed"),
    ("oauth2-expired-without-refresh", lambda s: s.bearers.clear(),
     {"credentials": {"access_token": "X_OAUTH2_TOKEN"}, "env": {"X_OAUTH2_TOKEN": BEARER}, "auth": "oauth2"},
     ["check X_OAUTH2_TOKEN: OAuth 2.0 access tokens live 2 hours", "OAuth 1.0a tokens do not expire"],
     "auth-failed"),
]


@pytest.mark.parametrize(("setup", "settings", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refusals_explain_themselves_and_never_show_a_secret(server, clock, setup, settings, says, code):
    setup(server)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, **settings).publish(part())
    message = caught.value.message
    for words in says:
        assert words in message
    assert caught.value.code == code and not caught.value.ambiguous
    assert not any(secret in message for secret in (*CANARIES, "wrong-secret-value-123"))
    assert server.ours() == []


def test_a_rate_limit_about_to_reset_is_waited_for_before_sending(server, clock):
    server.limits["POST /2/tweets"] = [1, 30]
    network = make_network(server, clock)
    network.publish(part("One."))
    network.publish(part("Two.", key="key-2"))
    assert clock.sleeps == [30.0] and len(server.ours()) == 2 and len(creates(server)) == 2


def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock):
    server.limits["POST /2/tweets"] = [0, 900]
    with pytest.raises(DeliveryError, match="rate limited") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous and server.ours() == []
    assert sum(clock.sleeps) <= 120


# -- exactly once, in the adapter -------------------------------------------------------


def test_a_duplicate_of_an_older_post_is_a_refusal_that_says_what_to_do(server, clock):
    server.add_post("Fresh bread today.", ago=timedelta(hours=3))
    with pytest.raises(DeliveryError, match="duplicate of a recent post") as caught:
        make_network(server, clock).publish(part())
    assert not caught.value.ambiguous and caught.value.code == "duplicate-content"
    assert "social resolve bread --channel x --part 1 --published URL" in caught.value.message
    assert len(server.ours()) == 1


def test_a_503_on_create_is_unclear_and_never_sent_again_blindly(server, clock):
    server.act_then_fail.append(503)
    with pytest.raises(DeliveryError, match="over capacity") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.ambiguous and len(creates(server)) == 1


def test_a_duplicate_after_an_unclear_attempt_is_that_attempt(server, clock):
    network = make_network(server, clock)
    server.act_then_fail.append(500)
    server.hide_from_listing = True
    with pytest.raises(DeliveryError) as caught:
        network.publish(part())
    assert caught.value.ambiguous
    assert network.reconcile(part(), START) is None  # the listing lags
    for post in server.posts.values():
        post.pop("_hidden", None)  # ... and catches up
    found = network.publish(part())  # X refuses the repeat: the account's posts are read again
    assert found.remote_id == server.ours()[0]["id"] and len(server.ours()) == 1


def test_a_duplicate_after_an_unclear_attempt_that_stays_unseen_is_uncertain(server, clock):
    network = make_network(server, clock)
    server.act_then_fail.append(500)
    server.hide_from_listing = True
    with pytest.raises(DeliveryError):
        network.publish(part())
    assert network.reconcile(part(), START) is None
    with pytest.raises(Uncertain) as caught:
        network.publish(part())
    message = caught.value.message
    assert "duplicate" in message and f"https://x.com/{USERNAME}" in message
    assert "social resolve bread --channel x --part 1" in message and "--not-published" in message
    assert len(server.ours()) == 1


def test_a_duplicate_after_an_unclear_attempt_whose_posts_cannot_be_read_stays_unclear(server, clock):
    network = make_network(server, clock)
    server.act_then_fail.append(500)
    with pytest.raises(DeliveryError):
        network.publish(part())
    server.fail("GET", rf"/2/users/{USER_ID}/tweets", status=503, body={"title": "Service Unavailable"}, times=20)
    with pytest.raises(DeliveryError) as caught:
        network.publish(part())  # refused as a duplicate; the account's posts cannot be read
    assert caught.value.ambiguous, caught.value.message  # never a plain failure: the next run must look again
    assert "may be online" in caught.value.message and len(server.ours()) == 1


# -- reconcile, in the adapter ----------------------------------------------------------


def test_reconcile_finds_the_post_whatever_x_did_to_its_links_entities_and_images(server, clock, tmp_path):
    network = make_network(server, clock)
    text = "Rye & spelt <3 at https://crumbandco.de/rye?x=1 and crumbandco.de/spelt"
    sent = network.publish(part(text, media=images(tmp_path, 2)))
    (post,) = server.ours()
    assert "&amp;" in post["text"] and "https://t.co/" in post["text"] and "crumbandco.de" not in post["text"]
    found = network.reconcile(part(text, media=images(tmp_path, 2)), START)
    assert (found.remote_id, found.url) == (sent.remote_id, sent.url)
    assert network.reconcile(part(text, media=images(tmp_path, 1)), START) is None
    assert network.reconcile(part("Something else"), START) is None
    listing = server.calls("GET", rf"/2/users/{USER_ID}/tweets")[0]
    assert listing.query["start_time"] == [(START - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert listing.query["max_results"] == [str(PAGE_SIZE)] and listing.query["exclude"] == ["retweets"]


def test_reconcile_matches_the_post_replied_to_and_quoted(server, clock):
    network = make_network(server, clock)
    url = foreign(server)
    network.publish(part("We do!", engagement={"reply_to": url}))
    assert network.reconcile(part("We do!", engagement={"reply_to": url}), START) is not None
    assert network.reconcile(part("We do!"), START) is None  # not a reply: another post
    other = foreign(server, "Another question")
    assert network.reconcile(part("We do!", engagement={"reply_to": other}), START) is None
    network.publish(part("Quoted.", engagement={"quote": url}, key="key-2"))
    assert network.reconcile(part("Quoted.", engagement={"quote": url}), START) is not None
    assert network.reconcile(part("Quoted."), START) is None


def test_reconcile_of_a_thread_part_looks_for_the_reply_to_its_parent(server, clock):
    network = make_network(server, clock)
    one = network.publish(part("Same text", total=2))
    two = network.publish(part("Also this", number=2, total=2, key="key-2",
                               parent=SentPart("bread", "x", 1, remote_id=one.remote_id)))
    request = part("Also this", number=2, total=2, parent=SentPart("bread", "x", 1, remote_id=one.remote_id))
    assert network.reconcile(request, START).remote_id == two.remote_id
    stranger = part("Also this", number=2, total=2, parent=SentPart("bread", "x", 1, remote_id="123"))
    assert network.reconcile(stranger, START) is None


def test_reconcile_ignores_an_older_post_and_one_another_part_went_out_as(server, clock):
    server.add_post("Fresh bread today.", ago=timedelta(days=2))
    network = make_network(server, clock)
    assert network.reconcile(part(), START) is None
    recent = server.add_post("Fresh bread today!", ago=timedelta(minutes=1))
    assert network.reconcile(part("Fresh bread today!"), START).remote_id == recent["id"]
    assert network.reconcile(part("Fresh bread today!", claimed=frozenset({recent["id"]})), START) is None


def test_reconcile_with_two_candidates_is_uncertain(server, clock):
    server.add_post("Fresh bread today.")
    server.duplicate_window = timedelta(0)
    server.add_post("Fresh bread today.")
    with pytest.raises(Uncertain, match="2 of the account's posts could be it"):
        make_network(server, clock).reconcile(part(), START)


def test_reconcile_pages_back_to_the_time_of_sending(server, clock):
    ours = server.add_post("The one we look for.")
    for n in range(PAGE_SIZE + 5):
        clock.now += timedelta(seconds=1)
        server.add_post(f"Later post {n}.")
    assert make_network(server, clock).reconcile(part("The one we look for."), START).remote_id == ours["id"]
    listings = server.calls("GET", rf"/2/users/{USER_ID}/tweets")
    assert [r.query.get("pagination_token") for r in listings] == [None, [str(PAGE_SIZE)]]


def test_reconcile_that_cannot_read_far_enough_back_is_uncertain(server, clock):
    for n in range(PAGE_SIZE * MAX_PAGES + 1):
        server.add_post(f"Busy day, post {n}.")
    with pytest.raises(Uncertain, match="only those were read"):
        make_network(server, clock).reconcile(part(), START - timedelta(minutes=1))


def test_comparable_undoes_what_x_does_to_a_text():
    ours = "Bread & butter <3 https://crumbandco.de/a and crumbandco.de/b\n\n#rye"
    theirs = "Bread &amp; butter &lt;3 https://t.co/abc and https://t.co/def #rye https://t.co/media"
    assert comparable(theirs, from_x=True, with_media=True) == comparable(ours)
    assert comparable(theirs, from_x=True) != comparable(ours)  # without images the last link is text's own
    assert comparable("Caf\u0065\u0301") == comparable("Caf\u00e9")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x.com/anna_bakes/status/1870000000000000001", "1870000000000000001"),
    ("http://twitter.com/a/statuses/12?s=20", "12"),
    ("https://x.com/i/web/status/99", "99"),
    ("https://x.com/anna_bakes", None),
    ("https://example.com/anna/status/12", None),
    ("https://bsky.app/profile/a.bsky.social/post/3k", None),
])
def test_post_id_of_reads_only_links_of_posts_on_x(url, expected):
    assert post_id_of(url) == expected


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_post_and_one_already_gone_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "x", 1, remote_id=sent.remote_id, url=sent.url))
    assert server.ours() == []
    network.delete(SentPart("bread", "x", 1, url=sent.url))  # the link is enough; X says deleted: false
    assert [d.path for d in server.calls("DELETE", r"/2/tweets/\d+")] == [f"/2/tweets/{sent.remote_id}"] * 2
    assert server.calls("GET", rf"/2/tweets/{sent.remote_id}")  # and it was looked up: gone


def test_delete_that_x_declines_while_the_post_stays_online_fails(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    server.fail("DELETE", r"/2/tweets/\d+", status=200, body={"data": {"deleted": False}})
    with pytest.raises(DeliveryError, match=r"did not delete .* still online"):
        network.delete(SentPart("bread", "x", 1, remote_id=sent.remote_id))
    assert len(server.ours()) == 1


def test_delete_of_a_post_it_cannot_name_asks_for_a_person(server, clock):
    with pytest.raises(DeliveryError, match="delete it by hand") as caught:
        make_network(server, clock).delete(SentPart("bread", "x", 1, url="https://t.co/abc"))
    assert caught.value.code == "post-unknown" and server.requests == []


# -- OAuth 2.0 --------------------------------------------------------------------------


def test_oauth2_sends_the_token_as_a_bearer(server, clock):
    oauth2_network(server, clock).publish(part())
    assert creates(server)[0].headers["authorization"] == f"Bearer {BEARER}"


def test_an_expired_oauth2_token_is_refreshed_once_and_the_new_one_used_for_the_run(server, clock, tmp_path):
    clock.now += timedelta(hours=3)  # the token in the environment expired
    network = oauth2_network(server, clock)
    network.publish(part(media=images(tmp_path, 1)))
    network.publish(part("Two.", key="key-2"))
    (refresh,) = server.calls("POST", r"/2/oauth2/token")
    assert dict(x.split("=") for x in refresh.body.decode().split("&")) == {
        "grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": "fake-client-id"}
    assert "authorization" not in refresh.headers  # a public client
    assert len(server.ours()) == 2
    assert {r.headers["authorization"] for r in server.requests[-3:]} == {"Bearer fresh-access-1"}
    assert network.http.secrets.mask("fresh-access-1 fresh-refresh-1") == "*** ***"
    check = network.check_account()
    assert check.expires_at == START + timedelta(hours=3 + 2)  # X's expires_in from the refresh
    assert any("X replaced the refresh token in X_REFRESH_TOKEN" in note for note in check.notes)


def test_a_confidential_client_authenticates_its_refresh(clock):
    with FakeX(SECRET, clock=clock, refresh_token=REFRESH, client_secret="x-client-secret") as server:
        credentials = {**OAUTH2, "client_secret": "X_CLIENT_SECRET"}
        env = {**OAUTH2_ENV, "X_CLIENT_SECRET": "x-client-secret"}
        oauth2_network(server, clock, credentials=credentials, env=env).publish(part())
        (refresh,) = server.calls("POST", r"/2/oauth2/token")
        assert refresh.headers["authorization"].startswith("Basic ")
        assert len(server.ours()) == 1


def test_a_refresh_token_used_before_fails_the_part_and_says_to_authorize_again(server, clock):
    clock.now += timedelta(hours=3)
    oauth2_network(server, clock).publish(part())  # rotates the refresh token at X
    with pytest.raises(DeliveryError) as caught:
        oauth2_network(server, clock).publish(part("Next run.", key="key-2"))
    message = caught.value.message
    assert "X refused the refresh token in X_REFRESH_TOKEN (Value passed for the token was invalid.)" in message
    assert "Authorize the app again" in message and "X_OAUTH2_TOKEN" in message and "OAuth 1.0a" in message
    assert caught.value.code == "auth-failed" and not caught.value.ambiguous
    assert not any(secret in message for secret in CANARIES)
    assert len(server.ours()) == 1


def test_oauth2_check_says_how_long_a_token_lives(server, clock):
    check = oauth2_network(server, clock).check_account()
    assert check.account == f"@{USERNAME} ({USER_ID})" and check.expires_at is None
    assert "an access token lives 2 hours" in check.notes[0] and "X_REFRESH_TOKEN" in check.notes[0]
    assert server.calls("POST", r"/2/oauth2/token") == []  # a check never spends the refresh token


# -- the account ------------------------------------------------------------------------


def test_check_names_the_account_and_refuses_another_one(server, clock):
    check = make_network(server, clock).check_account()
    assert check.account == f"@{USERNAME} ({USER_ID})" and "do not expire" in check.notes[0]
    with pytest.raises(DeliveryError, match="post as @crumbandco, not @someone_else; set `username:`"):
        make_network(server, clock, username="someone_else").check_account()


# -- costs ------------------------------------------------------------------------------


def test_each_part_costs_a_post_and_more_with_a_link():
    estimate = XNetwork.estimate_cost(["Plain text.", "See https://crumbandco.de", "or crumbandco.de"])
    assert [p.kind for p in estimate.posts] == ["post", "post_with_url", "post_with_url"]
    assert estimate.summary() == "3 posts, 2 with a link: about $0.415"
    options = XOptions(prices={"post": 0.01, "post_with_url": 0.25})
    assert XNetwork.estimate_cost(["a", "b.example.com"], options).summary() == "2 posts, 1 with a link: about $0.26"
    assert "2026" in estimate.source and "prices:" in estimate.source


# -- through the engine -----------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {{max_per_day: 5, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}}
channels:
  x:
    network: x
    username: crumbandco
    api: {url}
    credentials:
      api_key: X_API_KEY
      api_secret: X_API_SECRET
      access_token: X_ACCESS_TOKEN
      access_secret: X_ACCESS_SECRET
"""


@pytest.fixture
def site(repo, server):
    repo.write("content/channels.yml", CHANNELS.format(url=server.url))
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [x]", "Fresh bread today.")
    return repo


def run_engine(site, clock, *, timeout=(2.0, 5.0)):
    """One publish run through the real engine, with an Http whose timeouts the test chooses."""
    root = site.root.resolve()
    config = Workspace(root).require_config()
    ledger = Ledger(root)
    plan = make_plan(read_posts(root, config, [], post_files(root)), ledger, clock())
    http = make_http(clock, timeout)

    def network_for(channel):
        return XNetwork(channel, env=ENV, http=http, root=root)

    result = Runner(root, ledger, network_for=network_for, clock=clock, parallel=False).run(plan)
    return result, Ledger(root)


def states(ledger: Ledger) -> list[str]:
    return [e.state for e in ledger.entries]


ENGINE = [
    # (what happens to the first create, creates the server saw)
    ("500-after-acting", lambda s: s.act_then_fail.append(500), 1),
    ("503-after-acting", lambda s: s.act_then_fail.append(503), 1),
    ("504-after-acting", lambda s: s.act_then_fail.append(504), 1),
    ("dropped-after-acting", lambda s: s.fail("POST", r"/2/tweets", drop_after_handling=True), 1),
    ("500-before-acting", lambda s: s.fail("POST", r"/2/tweets", status=500), 2),
    ("503-before-acting", lambda s: s.fail("POST", r"/2/tweets", status=503), 2),
]


@pytest.mark.parametrize(("setup", "sent"), [e[1:] for e in ENGINE], ids=[e[0] for e in ENGINE])
def test_engine_settles_unclear_creates_with_exactly_one_post(site, server, clock, setup, sent):
    setup(server)
    result, ledger = run_engine(site, clock)
    (post,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == sent
    assert states(ledger) == [PENDING, PUBLISHED]
    assert ledger.current("bread", "x", 1).remote_id == post["id"]
    assert server.calls("GET", rf"/2/users/{USER_ID}/tweets")  # it looked before it would have sent again


def test_engine_a_listing_that_lags_ends_uncertain_never_a_second_post(site, server, clock):
    server.hide_from_listing = True
    server.act_then_fail.append(500)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [UNCERTAIN]
    assert len(creates(server)) == 2 and len(server.ours()) == 1  # the repeat was refused as a duplicate
    assert "social resolve bread --channel x --part 1" in ledger.current("bread", "x", 1).error
    again, _ = run_engine(site, clock)
    assert [o.state for o in again.outcomes] == [UNCERTAIN] and len(creates(server)) == 2


def test_engine_timeout_after_x_acted_is_found_not_sent_again(site, server, clock):
    server.stall_after_create = 0.6
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and len(server.ours()) == 1
    assert ledger.current("bread", "x", 1).remote_id == server.ours()[0]["id"]


def test_engine_a_thread_whose_second_part_failed_after_acting_is_whole_once(site, server, clock):
    long = " ".join(f"Our rye starter is older than the bakery, day {n}." for n in range(12))
    site.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [x]", long)
    original = server._create
    calls = []

    def second_fails(request):
        calls.append(request)
        if len(calls) == 2:  # the second part is created, then X answers 500
            server.act_then_fail.append(500)
        return original(request)

    server._create = second_fails
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED] * len(result.outcomes), result.outcomes
    assert len(result.outcomes) >= 2
    posts = server.ours()
    assert len(posts) == len(result.outcomes) == len(creates(server)) and len(calls) == len(posts)
    assert server.calls("GET", rf"/2/users/{USER_ID}/tweets")  # part 2 was looked for, not sent again
    assert [e.remote_id for e in ledger.latest()] == [p["id"] for p in posts]
    assert posts[1]["referenced_tweets"] == [{"type": "replied_to", "id": posts[0]["id"]}]


def write_pending(site, at: datetime) -> None:
    Ledger(site.root).append(Entry("bread", "x", 1, PENDING, utc_iso(at), key="bread-key",
                                   file="content/posts/2026/12/bread.md"))


def test_engine_pending_from_a_crashed_run_is_found_not_sent_again(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    clock.now -= timedelta(minutes=19)
    server.add_post("Fresh bread today.")  # the crashed run's create did reach X
    clock.now = START
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert creates(server) == [] and len(server.ours()) == 1
    assert states(ledger) == [PENDING, PUBLISHED]


def test_engine_pending_not_found_is_sent(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and len(server.ours()) == 1


def test_engine_pending_whose_post_the_listing_does_not_show_yet_is_uncertain(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    server.add_post("Fresh bread today.", ago=timedelta(minutes=19))["_hidden"] = True
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [UNCERTAIN]  # X refused the repeat as a duplicate
    assert len(server.ours()) == 1


# -- end to end through `social publish` ------------------------------------------------


def test_publish_end_to_end_once_and_without_leaking_a_secret(repo, clock, tmp_path, monkeypatch):
    with FakeX(SECRET, clock=clock, api_secret=API_SECRET) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        png(repo.root / "content/media/loaf.png")
        target = server.add_post("Who bakes the best rye?", mine=False)
        repo.post("stollen", "publish_at: 2026-12-01 08:00\nchannels: [x]", "Stollen season starts: #1 in Neukölln.")
        repo.post("loaf", "publish_at: 2026-12-01 09:30\nchannels: [x]\nmedia:\n"
                  "  - path: media/loaf.png\n    alt: A sourdough loaf on a board", "Our sourdough & more.")
        repo.post("answer", f"publish_at: 2026-12-01 10:45\nchannels: [x]\n"
                  f"reply_to: https://x.com/anna_bakes/status/{target['id']}", "We do, every morning.")
        shown = []
        report = publish(repo.root, now_text="2026-12-01 12:00", env=ENV, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        assert report.ok, report.result.outcomes
        assert sorted((o.post, o.state) for o in report.result.outcomes) == [
            ("answer", PUBLISHED), ("loaf", PUBLISHED), ("stollen", PUBLISHED)]
        sent = {p["_sent"]: p for p in server.ours()}
        assert set(sent) == {"Stollen season starts: #1 in Neukölln.", "Our sourdough & more.",
                             "We do, every morning."}
        assert sent["Our sourdough & more."]["_alts"] == ["A sourdough loaf on a board"]
        assert sent["We do, every morning."]["referenced_tweets"] == [{"type": "replied_to", "id": target["id"]}]
        entry = Ledger(repo.root).current("loaf", "x", 1)
        post = sent["Our sourdough & more."]
        assert (entry.remote_id, entry.url) == (post["id"], f"https://x.com/{USERNAME}/status/{post['id']}")

        clock.now = START + timedelta(minutes=5)
        again = publish(repo.root, now_text="2026-12-01 12:05", env=ENV, sleep=clock.sleep, clock=clock)
        assert again.result.outcomes == [] and len(creates(server)) == 3

        repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [x]", "One more.")
        server.fail("POST", r"/2/tweets", status=400, body={"title": "Invalid Request",
                                                           "detail": f"bad request signed with {API_SECRET}"})
        summary_file = tmp_path / "step-summary.md"
        clock.now = START + timedelta(minutes=12)
        monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                     env={**ENV, "GITHUB_STEP_SUMMARY": str(summary_file)})
        assert cli_run.exit_code == 1 and "bad request signed with ***" in cli_run.output
        outputs = cli_run.output + summary_file.read_text(encoding="utf-8")

        clock.now = START + timedelta(minutes=15)
        wrong = publish(repo.root, now_text="2026-12-01 12:15", env={**ENV, "X_ACCESS_SECRET": "not-the-secret"},
                        sleep=clock.sleep, clock=clock)
        (outcome,) = wrong.result.outcomes
        assert "X refused the credentials: check X_API_KEY" in outcome.error

        dry = publish(repo.root, now_text="2026-12-01 12:20", env=ENV, dry_run=True, sleep=clock.sleep, clock=clock)
        assert [o.post for o in dry.result.outcomes] == ["late"]
        outbox = "".join(p.read_text(encoding="utf-8") for p in (repo.root / "outbox").rglob("*") if p.is_file())
        assert "One more." in outbox

    ledger_text = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8")
    everything = ledger_text + outputs + outbox + json.dumps(
        [o.__dict__ for o in shown + wrong.result.outcomes + dry.result.outcomes])
    assert not any(secret in everything for secret in CANARIES)


def test_publish_with_oauth2_refreshes_and_keeps_every_token_out_of_the_record(repo, clock):
    with FakeX(SECRET, clock=clock, oauth2_token=BEARER, refresh_token=REFRESH) as server:
        channels = CHANNELS.format(url=server.url).split("    credentials:")[0] + (
            "    auth: oauth2\n    credentials: {access_token: X_OAUTH2_TOKEN, refresh_token: X_REFRESH_TOKEN, "
            "client_id: X_CLIENT_ID}\n")
        repo.write("content/channels.yml", channels)
        repo.post("bread", "publish_at: 2026-12-01 13:30\nchannels: [x]", "Fresh bread today.")
        clock.now = START + timedelta(hours=3)  # the access token expired an hour ago
        report = publish(repo.root, now_text="2026-12-01 15:00", env=OAUTH2_ENV, sleep=clock.sleep, clock=clock)
        assert [o.state for o in report.result.outcomes] == [PUBLISHED]
        repo.post("later", "publish_at: 2026-12-01 15:30\nchannels: [x]", "Rolls at four.")
        clock.now = START + timedelta(hours=3, minutes=31)
        second = publish(repo.root, now_text="2026-12-01 15:31", env=OAUTH2_ENV, sleep=clock.sleep, clock=clock)
        (outcome,) = second.result.outcomes
        assert outcome.state == FAILED and "X refused the refresh token in X_REFRESH_TOKEN" in outcome.error
    recorded = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8") + json.dumps(
        [o.__dict__ for o in report.result.outcomes + second.result.outcomes])
    assert not any(token in recorded for token in (*CANARIES, "fresh-access-1", "fresh-refresh-1"))


def test_the_channel_check_command_names_the_x_account(repo, clock):
    with FakeX(SECRET, clock=clock, api_secret=API_SECRET) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        from pipeline.publish.doctor import check_channels, check_lines

        now, (check,) = check_channels(repo.root, env=ENV, clock=clock)
    lines = check_lines(now, [check])
    assert lines[0] == f"✓ x  posts as @{USERNAME} ({USER_ID})"
    assert "do not expire" in lines[1]
    assert OTHER_ID not in "\n".join(lines)


# -- validation -------------------------------------------------------------------------

X_CHANNEL = """\
  x:
    network: x
    username: crumbandco
{settings}"""


def with_x_channel(repo, settings: str) -> None:
    channels = (repo.root / "content/channels.yml").read_text(encoding="utf-8")
    repo.write("content/channels.yml", channels + X_CHANNEL.format(settings=settings))


def findings_of(repo) -> list[tuple[str, int, str]]:
    from pipeline.content.load import load_content
    from pipeline.validation.rendering import render_findings

    content = load_content(repo.root)
    return sorted((f.code, f.line, f.message) for f in [*content.findings, *render_findings(content)])


@pytest.mark.parametrize(("settings", "missing"), [
    ("    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}\n", []),
    ("    credentials: {api_key: XK, access_token: XT}\n", ["api_secret", "access_secret"]),
    ("    auth: oauth2\n    credentials: {access_token: XT}\n", []),
    ("    auth: oauth2\n    credentials: {refresh_token: XR}\n", ["access_token", "client_id"]),
    ("    auth: oauth2\n    credentials: {access_token: XT, refresh_token: XR, client_id: XC, client_secret: XS}\n",
     []),
], ids=["oauth1", "oauth1-half", "oauth2", "oauth2-refresh-without-client", "oauth2-confidential"])
def test_an_x_channel_names_the_credentials_of_its_way_in(repo, settings, missing):
    with_x_channel(repo, settings)
    found = [message for code, _, message in findings_of(repo) if code == "credential-missing"]
    assert sorted(m.split("credentials.")[1].split(":")[0] for m in found) == sorted(missing)
    assert not [f for f in findings_of(repo) if f[0] == "network-cannot-publish"]


def test_a_reply_or_quote_of_a_post_elsewhere_is_refused_for_x(repo):
    with_x_channel(repo, "    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}\n")
    repo.post("reply", "publish_at: 2026-12-02 09:00\nchannels: [x, mastodon]\n"
                       "reply_to: https://mastodon.example/@anna/1122")
    repo.post("quote", "publish_at: 2026-12-02 12:00\nchannels: [x]\nquote: https://x.com/anna_bakes/status/12")
    found = [(code, line) for code, line, message in findings_of(repo) if code.startswith("engagement")]
    assert found == [("engagement-url-foreign", 4)]
    message = next(m for code, _, m in findings_of(repo) if code == "engagement-url-foreign")
    assert "https://mastodon.example/@anna/1122 is not a post on X" in message and "remove x from channels" in message


def test_a_quote_with_images_and_an_animated_format_are_refused_for_x(repo):
    from PIL import Image

    with_x_channel(repo, "    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}\n")
    png(repo.root / "content/media/loaf.png")
    Image.new("RGB", (20, 20), "wheat").save(repo.root / "content/media/loaf.gif", format="GIF")
    repo.post("quote", "publish_at: 2026-12-02 09:00\nchannels: [x]\nquote: https://x.com/anna_bakes/status/12\n"
                       "media:\n  - path: media/loaf.png\n    alt: A loaf")
    repo.post("gif", "publish_at: 2026-12-02 12:00\nchannels: [x, mastodon]\n"
                     "media:\n  - path: media/loaf.gif\n    alt: A loaf")
    codes = {code for code, _, _ in findings_of(repo)}
    assert {"quote-with-images", "media-format"} <= codes
    gif = next(m for code, _, m in findings_of(repo) if code == "media-format")
    assert gif.startswith("x (x): media/loaf.gif is GIF")
