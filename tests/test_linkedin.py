"""The LinkedIn adapter against FakeLinkedIn over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that the
fake server shares, so a Retry-After of 30 s passes in no time for both. The token
is a canary: no message, ledger line, outbox file or output may show it.
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
from pipeline.networks.linkedin import LinkedInNetwork, LinkedInOptions, escape_little_text
from pipeline.networks.linkedin.posts import MAX_PAGES, PAGE_SIZE, image_count, same_text
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.publish.plan import make_plan
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.state.ledger import FAILED, PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import utc_iso
from tests.fakes.clock import FakeClock
from tests.fakes.linkedin import FakeLinkedIn

TOKEN = "li-canary-5d8e2f4a7b9c1e3f"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
ORG = "urn:li:organization:42"
PERSON = "urn:li:person:Ab3-x_9"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeLinkedIn(TOKEN, clock=clock) as fake:
        yield fake


def make_http(clock: FakeClock, timeout=(2.0, 5.0)) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=timeout, rng=random.Random(7))


def make_network(server: FakeLinkedIn, clock: FakeClock, *, token: str = TOKEN, author: str = ORG,
                 http: Http | None = None, **options) -> LinkedInNetwork:
    channel = Channel(id="linkedin", network="linkedin", credentials={"token": "LINKEDIN_TOKEN"},
                      options=LinkedInOptions(author=author, api=server.url, **options), cadence={},
                      slots=(), template=None, max_lateness=timedelta(hours=6))
    return LinkedInNetwork(channel, env={"LINKEDIN_TOKEN": token}, http=http or make_http(clock),
                           root=Path("."))


def part(text: str = "Fresh bread today.", *, key: str = "key-1", **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="linkedin", number=1, total=1, text=text, key=key,
                       **fields)


def creates(server: FakeLinkedIn):
    return server.calls("POST", r"/rest/posts")


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


def images(tmp_path: Path, count: int) -> tuple[MediaFile, ...]:
    return tuple(MediaFile(png(tmp_path / f"loaf{n}.png", (20 + n, 20)), f"Loaf number {n}", format="png")
                 for n in range(1, count + 1))


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_is_created_read_back_and_linked(server, clock):
    result = make_network(server, clock).publish(part())
    (post,) = server.ours()
    assert (result.remote_id, result.url) == (post["id"], f"https://www.linkedin.com/feed/update/{post['id']}")
    (create,) = creates(server)
    assert create.json() == {
        "author": ORG, "commentary": "Fresh bread today.", "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                         "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    assert [r.method + " " + r.path for r in server.requests] == [
        "POST /rest/posts", "GET /rest/posts/" + post["id"].replace(":", "%3A")]
    assert clock.sleeps == []


def test_every_request_carries_the_token_the_version_and_the_restli_protocol(server, clock, tmp_path):
    network = make_network(server, clock, version="202601")
    sent = network.publish(part(media=images(tmp_path, 2)))
    network.delete(SentPart("bread", "linkedin", 1, remote_id=sent.remote_id))
    assert {r.method for r in server.requests} == {"POST", "PUT", "GET", "DELETE"}
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["linkedin-version"] == "202601"
        assert request.headers["x-restli-protocol-version"] == "2.0.0"


def expected_content(ids: list[str], alts: list[str]) -> dict | None:
    shown = [{"id": image, "altText": alt} for image, alt in zip(ids, alts, strict=True)]
    if not shown:
        return None
    return {"media": shown[0]} if len(shown) == 1 else {"multiImage": {"images": shown}}


@pytest.mark.parametrize(("text", "count"), [
    ("Fresh bread today.", 0),
    ("", 1),
    ("One loaf, alt text and all.", 1),
    ("Our rolls, three ways.", 3),
    ("The most LinkedIn takes.", 20),
], ids=["text", "image-alone", "one-image", "several-images", "twenty-images"])
def test_images_are_uploaded_then_posted_with_their_alt_text(server, clock, tmp_path, text, count):
    media = images(tmp_path, count)
    make_network(server, clock).publish(part(text, media=media))
    initialized = server.calls("POST", r"/rest/images")
    assert [r.query for r in initialized] == [{"action": ["initializeUpload"]}] * count
    assert all(r.json() == {"initializeUploadRequest": {"owner": ORG}} for r in initialized)
    ids = list(server.images)
    uploaded = [server.images[i] for i in ids]
    assert [u["content"] for u in uploaded] == [m.path.read_bytes() for m in media]
    assert {u["content_type"] for u in uploaded} <= {"image/png"}
    (create,) = creates(server)
    assert create.json().get("content") == expected_content(ids, [m.alt for m in media])
    (post,) = server.ours()
    assert image_count(post.get("content")) == count


def test_a_retried_part_reuses_its_uploads(server, clock, tmp_path):
    network = make_network(server, clock)
    request = part(media=images(tmp_path, 2))
    server.fail("POST", r"/rest/posts", status=400, body={"status": 400, "message": "try again"})
    with pytest.raises(DeliveryError, match=r"refused \(400\): try again"):
        network.publish(request)
    network.publish(request)
    assert len(server.calls("POST", r"/rest/images")) == 2 and len(server.ours()) == 1


def test_the_adapter_escapes_the_commentary_once(server, clock):
    written = "Stollen (fresh) #1 at 5 * 2 = 10_000 crumbs \\o/ @Anna <3 [sic] {x} | ~"
    make_network(server, clock).publish(part(written))
    sent = creates(server)[0].json()["commentary"]
    assert sent == escape_little_text(written) == LinkedInNetwork.wire_text(written)
    assert sent.count("\\(") == 1 and "\\\\(" not in sent


def test_an_unreadable_image_fails_before_anything_is_sent(server, clock, tmp_path):
    with pytest.raises(DeliveryError, match=r"cannot read gone\.png") as caught:
        make_network(server, clock).publish(part(media=(MediaFile(tmp_path / "gone.png", "Gone"),)))
    assert caught.value.code == "media-unreadable" and server.requests == []


def test_nothing_to_post_and_engagement_are_refused_before_sending(server, clock):
    network = make_network(server, clock)
    with pytest.raises(DeliveryError, match="nothing to post"):
        network.publish(part("  "))
    with pytest.raises(DeliveryError, match="cannot reply_to; nothing was sent"):
        network.publish(part(engagement={"reply_to": "https://www.linkedin.com/feed/update/urn:li:share:1"}))
    assert server.requests == []


# -- errors: (server setup, channel options, what the message says, its code) ------------

ERRORS = [
    ("token-rejected", lambda s: None, {"token": "wrong-token-value-123"},
     ["token rejected: check LINKEDIN_TOKEN", "60 days", "Invalid access token"], "auth-failed"),
    ("page-permission-missing", lambda s: s.scopes.discard("w_organization_social"), {},
     ["refused (403)", "w_organization_social", "administrator", ORG, "check LINKEDIN_TOKEN"], "forbidden"),
    ("member-permission-missing", lambda s: (s.authors.add(PERSON), s.scopes.discard("w_member_social")),
     {"author": PERSON}, ["refused (403)", "w_member_social", PERSON], "forbidden"),
    ("version-retired", lambda s: None, {"version": "202511"},
     ["does not serve version 202511", "Requested version 20251101 is not active",
      "Set `version:` of channel 'linkedin'", "YYYYMM"], "version-retired"),
    ("version-not-yet-released", lambda s: None, {"version": "209912"},
     ["Set `version:` of channel 'linkedin'"], "version-retired"),
    ("refused-with-reason", lambda s: s.fail("POST", r"/rest/posts", status=422,
                                             body={"status": 422, "message": "ERROR :: /commentary :: bad"}),
     {}, ["refused (422): ERROR :: /commentary :: bad"], "delivery-failed"),
    ("token-echoed-is-masked", lambda s: s.fail("POST", r"/rest/posts", status=400,
                                                body={"status": 400, "message": f"bad token {TOKEN}"}),
     {}, ["refused (400): bad token ***"], "delivery-failed"),
]


@pytest.mark.parametrize(("setup", "options", "says", "code"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_refusals_explain_themselves_and_never_show_the_token(server, clock, setup, options, says, code):
    setup(server)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, **options).publish(part())
    message = caught.value.message
    for words in says:
        assert words in message
    assert caught.value.code == code and not caught.value.ambiguous
    assert TOKEN not in message and "wrong-token-value-123" not in message
    assert server.ours() == []


def test_a_short_rate_limit_waits_for_retry_after(server, clock):
    server.budget(0, retry_after=30)
    make_network(server, clock).publish(part())
    assert clock.sleeps == [30.0] and len(server.ours()) == 1


@pytest.mark.parametrize("retry_after", [3600, None], ids=["long-retry-after", "no-retry-after"])
def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock, retry_after):
    server.budget(0, retry_after=retry_after)
    with pytest.raises(DeliveryError, match="rate limited") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous and server.ours() == []
    assert sum(clock.sleeps) <= 120


# -- exactly once, in the adapter -------------------------------------------------------


def test_a_duplicate_is_the_post_already_there(server, clock):
    earlier = server.add_post("Fresh bread today.", ago=timedelta(minutes=3))
    result = make_network(server, clock).publish(part())
    assert result.remote_id == earlier["id"] and len(server.ours()) == 1
    assert len(creates(server)) == 1


def test_a_duplicate_of_a_post_that_is_gone_fails_clearly(server, clock):
    ghost = server.add_post("Fresh bread today.", ago=timedelta(minutes=3))
    del server.posts[ghost["id"]]
    with pytest.raises(DeliveryError, match=f"duplicate of {ghost['id']}, but that post does not exist") as caught:
        make_network(server, clock).publish(part())
    assert not caught.value.ambiguous and server.ours() == []


def test_a_post_that_cannot_be_read_back_is_taken_on_linkedins_word(server, clock):
    server.scopes.discard("r_organization_social")
    result = make_network(server, clock).publish(part())
    assert result.remote_id == server.ours()[0]["id"]


def test_a_post_linkedin_says_it_created_but_that_does_not_exist_is_unclear(server, clock):
    server.vanish = 1
    with pytest.raises(DeliveryError, match="reading it back says it does not exist") as caught:
        make_network(server, clock).publish(part())
    assert caught.value.ambiguous


# -- reconcile, in the adapter ----------------------------------------------------------


def test_reconcile_finds_the_post_by_its_commentary_and_image_count(server, clock, tmp_path):
    network = make_network(server, clock)
    text = "Stollen (fresh)\n\nwith #butter"
    sent = network.publish(part(text, media=images(tmp_path, 2)))
    found = network.reconcile(part(text, media=images(tmp_path, 2)), START)
    assert (found.remote_id, found.url) == (sent.remote_id, sent.url)
    assert network.reconcile(part(text, media=images(tmp_path, 1)), START) is None
    assert network.reconcile(part("Something else"), START) is None
    (listing, *_) = server.calls("GET", r"/rest/posts")
    assert listing.query == {"q": ["author"], "author": [ORG], "count": [str(PAGE_SIZE)],
                             "sortBy": ["LAST_MODIFIED"]}


def test_reconcile_reads_commentary_whether_linkedin_returns_it_escaped_or_not(server, clock):
    server.add_post("Stollen (fresh)  #1")
    assert make_network(server, clock).reconcile(part("Stollen (fresh) #1"), START)
    assert same_text("a \\(b\\)\n c", "a (b) c") and same_text("a (b)\n c", "a (b) c")
    assert not same_text("a (b) d", "a (b) c")


@pytest.mark.parametrize("copy", [escape_little_text, lambda text: text], ids=["escaped", "plain"])
def test_reconcile_matches_a_readable_part_that_holds_a_backslash(server, clock, copy):
    written = "Path C:\\(bakery) \\o/ #1"
    server.add_post(copy(written))
    assert make_network(server, clock).reconcile(part(written), START)
    assert make_network(server, clock).reconcile(part("Path C:(bakery) o/ #1"), START) is None


def test_reconcile_ignores_an_older_post_with_the_same_text(server, clock):
    server.add_post("Fresh bread today.", ago=timedelta(days=2))
    assert make_network(server, clock).reconcile(part(), START) is None


def test_reconcile_pages_back_to_the_time_of_sending(server, clock):
    ours = server.add_post("The one we look for.")
    for n in range(PAGE_SIZE + 5):
        clock.now += timedelta(seconds=1)
        server.add_post(f"Later post {n}.")
    assert make_network(server, clock).reconcile(part("The one we look for."), START).remote_id == ours["id"]
    listings = server.calls("GET", r"/rest/posts")
    assert [r.query.get("start") for r in listings] == [None, [str(PAGE_SIZE)]]


def test_reconcile_that_cannot_read_far_enough_back_is_uncertain(server, clock):
    for n in range(PAGE_SIZE * MAX_PAGES + 1):
        server.add_post(f"Busy page, post {n}.")
    with pytest.raises(Uncertain, match="only those were read"):
        make_network(server, clock).reconcile(part(), START - timedelta(minutes=1))


@pytest.mark.parametrize(("author", "permission", "where"), [
    (ORG, "r_organization_social", "https://www.linkedin.com/company/42/"),
    (PERSON, "r_member_social", "your profile's activity"),
], ids=["page", "member"])
def test_reconcile_without_read_permission_says_what_to_check(server, clock, author, permission, where):
    server.authors.add(author)
    server.scopes -= {"r_organization_social", "r_member_social"}
    with pytest.raises(Uncertain) as caught:
        make_network(server, clock, author=author).reconcile(part("Bread (rye)"), START)
    message = caught.value.message
    assert permission in message and where in message and "'Bread (rye)'" in message
    assert "social resolve bread --channel linkedin --part 1" in message and "--not-published" in message


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_post_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    network.delete(SentPart("bread", "linkedin", 1, remote_id=sent.remote_id, url=sent.url))
    assert server.ours() == []
    network.delete(SentPart("bread", "linkedin", 1, url=sent.url))  # 404: already gone; the URL is enough
    deletes = server.calls("DELETE", r"/rest/posts/.+")
    assert [d.path for d in deletes] == ["/rest/posts/" + sent.remote_id.replace(":", "%3A")] * 2


def test_delete_of_a_post_it_cannot_name_asks_for_a_person(server, clock):
    with pytest.raises(DeliveryError, match="delete it by hand"):
        make_network(server, clock).delete(SentPart("bread", "linkedin", 1, url="https://lnkd.in/abc"))
    assert server.requests == []


def test_delete_without_permission_names_it(server, clock):
    network = make_network(server, clock)
    sent = network.publish(part())
    server.scopes.discard("w_organization_social")
    with pytest.raises(DeliveryError, match="w_organization_social"):
        network.delete(SentPart("bread", "linkedin", 1, remote_id=sent.remote_id))
    assert len(server.ours()) == 1


# -- through the engine -----------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {{max_per_day: 5, min_gap: 1h, max_silence: 4d, hours: "08:00-20:00"}}
channels:
  linkedin:
    network: linkedin
    author: "urn:li:organization:42"
    api: {url}
    credentials: {{token: LINKEDIN_TOKEN}}
"""


@pytest.fixture
def site(repo, server):
    repo.write("content/channels.yml", CHANNELS.format(url=server.url))
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [linkedin]", "Fresh bread today.")
    return repo


def run_engine(site, clock, *, timeout=(2.0, 5.0)):
    """One publish run through the real engine, with an Http whose timeouts the test chooses."""
    root = site.root.resolve()
    config = Workspace(root).require_config()
    ledger = Ledger(root)
    plan = make_plan(read_posts(root, config, [], post_files(root)), ledger, clock())
    http = make_http(clock, timeout)

    def network_for(channel):
        return LinkedInNetwork(channel, env={"LINKEDIN_TOKEN": TOKEN}, http=http, root=root)

    result = Runner(root, ledger, network_for=network_for, clock=clock, parallel=False).run(plan)
    return result, Ledger(root)


def states(ledger: Ledger) -> list[str]:
    return [e.state for e in ledger.entries]


ENGINE = [
    # (what happens to the first create, creates the server saw)
    ("500-after-acting", lambda s: s.act_then_fail.append(500), 1),
    ("502-after-acting", lambda s: s.act_then_fail.append(502), 1),
    ("504-after-acting", lambda s: s.act_then_fail.append(504), 1),
    ("dropped-after-acting", lambda s: s.fail("POST", r"/rest/posts", drop_after_handling=True), 1),
    ("500-before-acting", lambda s: s.fail("POST", r"/rest/posts", status=500), 2),
    ("read-back-missing", lambda s: setattr(s, "vanish", 1), 2),
]


@pytest.mark.parametrize(("setup", "sent"), [e[1:] for e in ENGINE], ids=[e[0] for e in ENGINE])
def test_engine_settles_unclear_creates_with_exactly_one_post(site, server, clock, setup, sent):
    setup(server)
    result, ledger = run_engine(site, clock)
    (post,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == sent
    assert states(ledger) == [PENDING, PUBLISHED]
    assert ledger.current("bread", "linkedin", 1).remote_id == post["id"]
    if sent == 1:  # it looked before it would have sent again
        assert server.calls("GET", r"/rest/posts")


def test_engine_a_listing_that_lags_is_covered_by_the_duplicate_check(site, server, clock):
    server.hide_from_listing = True
    server.act_then_fail.append(500)
    result, ledger = run_engine(site, clock)
    (post,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 2  # looked, found nothing, sent again: LinkedIn named the first
    assert ledger.current("bread", "linkedin", 1).remote_id == post["id"]


def test_engine_timeout_after_linkedin_acted_is_found_not_sent_again(site, server, clock):
    server.stall_after_create = 0.6
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and len(server.ours()) == 1
    assert ledger.current("bread", "linkedin", 1).remote_id == server.ours()[0]["id"]


def test_engine_timeout_before_linkedin_acted_is_sent_again_and_the_late_first_is_refused(site, server, clock):
    # The first create waits 0.6 s before LinkedIn handles it; the client gives up after 0.2 s,
    # finds nothing, sends again, and LinkedIn's duplicate check turns the late first away.
    server.fail("POST", r"/rest/posts", delay=0.6)
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.2))
    server.wait_for_creates(2)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 2 and len(server.ours()) == 1
    assert ledger.current("bread", "linkedin", 1).remote_id == server.ours()[0]["id"]


def test_engine_listing_refused_is_uncertain_and_never_a_second_post(site, server, clock):
    server.scopes.discard("r_organization_social")
    server.act_then_fail.append(500)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [UNCERTAIN]
    assert len(creates(server)) == 1 and len(server.ours()) == 1
    error = ledger.current("bread", "linkedin", 1).error
    assert "r_organization_social" in error and "social resolve bread --channel linkedin --part 1" in error
    again, _ = run_engine(site, clock)
    assert [o.state for o in again.outcomes] == [UNCERTAIN] and len(creates(server)) == 1


def test_engine_a_ghost_duplicate_fails_the_part_with_a_reason(site, server, clock):
    ghost = server.add_post("Fresh bread today.", ago=timedelta(hours=1))
    del server.posts[ghost["id"]]
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [FAILED]
    assert "does not exist" in result.outcomes[0].error and server.ours() == []
    assert states(ledger) == [PENDING, FAILED]


def write_pending(site, at: datetime) -> None:
    Ledger(site.root).append(Entry("bread", "linkedin", 1, PENDING, utc_iso(at), key="bread-key",
                                   file="content/posts/2026/12/bread.md"))


def test_engine_pending_from_a_crashed_run_is_found_not_sent_again(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    clock.now -= timedelta(minutes=19)
    server.add_post("Fresh bread today.")  # the crashed run's create did reach LinkedIn
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


# -- end to end through `social publish` ------------------------------------------------


def test_publish_end_to_end_once_escaped_once_and_without_leaking_the_token(repo, clock, tmp_path, monkeypatch):
    with FakeLinkedIn(TOKEN, clock=clock) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        for name in ("loaf", "roll", "bun"):
            png(repo.root / f"content/media/{name}.png")
        repo.post("stollen", "publish_at: 2026-12-01 08:00\nchannels: [linkedin]",
                  "Stollen season (finally) starts: #1 in Neukölln, 5 * better.")
        repo.post("loaf", "publish_at: 2026-12-01 09:30\nchannels: [linkedin]\nmedia:\n"
                  "  - path: media/loaf.png\n    alt: A sourdough loaf on a board", "Our sourdough.")
        repo.post("basket", "publish_at: 2026-12-01 10:45\nchannels: [linkedin]\nmedia:\n"
                  "  - path: media/roll.png\n    alt: Rye rolls\n  - path: media/bun.png\n    alt: Cardamom buns",
                  "The morning basket.")
        env = {"LINKEDIN_TOKEN": TOKEN}
        shown = []
        report = publish(repo.root, now_text="2026-12-01 12:00", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        assert report.ok, report.result.outcomes
        assert sorted((o.post, o.state) for o in report.result.outcomes) == [
            ("basket", PUBLISHED), ("loaf", PUBLISHED), ("stollen", PUBLISHED)]
        posts = {post["commentary"].split("\n")[0]: post for post in server.ours()}
        assert posts.keys() == {"Stollen season \\(finally\\) starts: \\#1 in Neukölln, 5 \\* better.",
                                "Our sourdough.", "The morning basket."}
        assert posts["Our sourdough."]["content"]["media"]["altText"] == "A sourdough loaf on a board"
        assert [i["altText"] for i in posts["The morning basket."]["content"]["multiImage"]["images"]] == [
            "Rye rolls", "Cardamom buns"]
        ledger = Ledger(repo.root)
        for post_id, first_line in (("stollen", "Stollen season"), ("loaf", "Our sourdough.")):
            entry = ledger.current(post_id, "linkedin", 1)
            post = next(p for p in server.ours() if p["commentary"].startswith(first_line))
            assert (entry.remote_id, entry.url) == (post["id"], f"https://www.linkedin.com/feed/update/{post['id']}")

        clock.now = START + timedelta(minutes=5)  # a real run happens at the real time
        again = publish(repo.root, now_text="2026-12-01 12:05", env=env, sleep=clock.sleep, clock=clock)
        assert again.result.outcomes == [] and len(creates(server)) == 3

        # A server that echoes the token in an error: outcomes, ledger and outputs show it masked.
        repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [linkedin]", "One more.")
        server.fail("POST", r"/rest/posts", status=400, body={"status": 400, "message": f"bad request from {TOKEN}"},
                    times=2)
        clock.now = START + timedelta(minutes=10)
        failed = publish(repo.root, now_text="2026-12-01 12:10", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        (outcome,) = failed.result.outcomes
        assert outcome.state == FAILED and "bad request from ***" in outcome.error
        summary_file = tmp_path / "step-summary.md"
        clock.now = START + timedelta(minutes=12)
        monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                     env={"LINKEDIN_TOKEN": TOKEN, "GITHUB_STEP_SUMMARY": str(summary_file)})
        assert cli_run.exit_code == 1 and "bad request from ***" in cli_run.output
        outputs = cli_run.output + summary_file.read_text(encoding="utf-8")

        clock.now = START + timedelta(minutes=15)
        wrong = publish(repo.root, now_text="2026-12-01 12:15", env={"LINKEDIN_TOKEN": "not-the-token"},
                        sleep=clock.sleep, clock=clock)
        (outcome,) = wrong.result.outcomes
        assert "token rejected: check LINKEDIN_TOKEN" in outcome.error and "60 days" in outcome.error

        dry = publish(repo.root, now_text="2026-12-01 12:20", env=env, dry_run=True, sleep=clock.sleep,
                      clock=clock)
        assert [o.post for o in dry.result.outcomes] == ["late"]
        outbox = "".join(p.read_text(encoding="utf-8") for p in (repo.root / "outbox").rglob("*") if p.is_file())
        assert "One more." in outbox

    ledger_text = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8")
    everything = ledger_text + outputs + outbox + json.dumps(
        [o.__dict__ for o in shown + failed.result.outcomes + wrong.result.outcomes + dry.result.outcomes])
    assert TOKEN not in everything
