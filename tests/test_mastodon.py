"""The Mastodon adapter against FakeMastodon over real HTTP, and the engine's exactly-once paths.

A real `Http` carries every request; its sleep and clock are a `FakeClock` that
the fake server shares, so a Retry-After of 30 s passes in no time for both.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.load import post_files, read_posts
from pipeline.content.model import Channel
from pipeline.content.workspace import Workspace
from pipeline.networks.base import Uncertain
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.mastodon.statuses import MastodonNetwork, MastodonOptions, comparable, status_text
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.publish.plan import make_plan
from pipeline.publish.run import Runner
from pipeline.publish.service import publish
from pipeline.state.ledger import PENDING, PUBLISHED, UNCERTAIN, Entry, Ledger
from pipeline.times import utc_iso
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon, content_html

TOKEN = "tok-3f9a1c77e2b4d5"
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
FOREIGN = "https://example.org/@anna/1122334455"



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def server(clock):
    with FakeMastodon(TOKEN, clock=clock) as fake:
        yield fake


def make_http(clock: FakeClock, timeout=(2.0, 5.0)) -> Http:
    return Http(secrets=Secrets(), sleep=clock.sleep, clock=clock, timeout=timeout, rng=random.Random(7))


def make_network(server: FakeMastodon, clock: FakeClock, *, token: str = TOKEN, http: Http | None = None,
                 **options) -> MastodonNetwork:
    channel = Channel(id="mastodon", network="mastodon", credentials={"token": "MASTODON_TOKEN"},
                      options=MastodonOptions(instance=server.url, **options), cadence={},
                      slots=(), template=None, max_lateness=timedelta(hours=6))
    return MastodonNetwork(channel, env={"MASTODON_TOKEN": token}, http=http or make_http(clock),
                           root=Path("."))


def part(text: str = "Fresh bread today.", *, number: int = 1, total: int = 1, key: str = "key-1",
         **fields) -> PartRequest:
    return PartRequest(post_id="bread", channel_id="mastodon", number=number, total=total, text=text,
                       key=key, **fields)


def published_entry(remote_id: str | None, number: int = 1, **fields) -> Entry:
    return SentPart("bread", "mastodon", number, remote_id=remote_id, **fields)


def creates(server: FakeMastodon):
    return server.calls("POST", r"/api/v1/statuses")


def png(path: Path, size=(64, 48)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


# -- posting ----------------------------------------------------------------------------


def test_a_text_post_goes_out_with_token_and_idempotency_key(server, clock):
    network = make_network(server, clock)
    result = network.publish(part(key="k-text"))
    (status,) = server.ours()
    assert result.remote_id == status["id"]
    assert result.url == f"{server.url}/@crumbandco/{status['id']}"
    assert result.data == {}
    (request,) = creates(server)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["idempotency-key"] == "k-text"
    assert request.form() == {"status": ["Fresh bread today."], "visibility": ["public"]}
    assert clock.sleeps == []


@pytest.mark.parametrize(("options", "fields", "expected"), [
    ({"visibility": "unlisted"}, {}, {"visibility": ["unlisted"]}),
    ({"language": "de"}, {}, {"language": ["de"]}),
    ({"language": "de"}, {"language": "en"}, {"language": ["en"]}),
    ({}, {"content_warning": "food, sugar"},
     {"spoiler_text": ["food, sugar"], "sensitive": ["true"]}),
], ids=["visibility", "language-of-channel", "language-of-post", "content-warning"])
def test_settings_reach_the_form(server, clock, options, fields, expected):
    make_network(server, clock, **options).publish(part(**fields))
    form = creates(server)[0].form()
    assert {key: form.get(key) for key in expected} == expected
    (status,) = server.ours()
    if "content_warning" in fields:
        assert status["spoiler_text"] == fields["content_warning"] and status["sensitive"] is True


def test_a_thread_replies_to_the_previous_part(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("One.", number=1, total=3, key="k1"))
    second = network.publish(part("Two.", number=2, total=3, key="k2", parent=published_entry(first.remote_id)))
    third = network.publish(part("Three.", number=3, total=3, key="k3",
                                 parent=published_entry(second.remote_id, 2)))
    statuses = {s["id"]: s for s in server.ours()}
    assert statuses[first.remote_id]["in_reply_to_id"] is None
    assert statuses[second.remote_id]["in_reply_to_id"] == first.remote_id
    assert statuses[third.remote_id]["in_reply_to_id"] == second.remote_id


def test_a_thread_part_without_its_parent_id_is_not_sent(server, clock):
    with pytest.raises(DeliveryError, match="cannot reply") as caught:
        make_network(server, clock).publish(part("Two.", number=2, total=2,
                                                 parent=published_entry(None)))
    assert not caught.value.ambiguous
    assert creates(server) == []


def test_images_are_uploaded_with_alt_text_and_attached_in_order(server, clock, tmp_path):
    media = (MediaFile(png(tmp_path / "a.png"), "A loaf", format="png"),
             MediaFile(png(tmp_path / "b.png", (10, 10)), "Two rolls", format="png"))
    make_network(server, clock).publish(part(media=media))
    uploads = server.calls("POST", r"/api/v2/media")
    assert [u.headers["content-type"].split(";")[0] for u in uploads] == ["multipart/form-data"] * 2
    stored = list(server.media.values())
    assert [(m["filename"], m["description"], m["content_type"]) for m in stored] == [
        ("a.png", "A loaf", "image/png"), ("b.png", "Two rolls", "image/png")]
    assert stored[0]["size"] == (tmp_path / "a.png").stat().st_size
    assert creates(server)[0].form()["media_ids[]"] == [m["id"] for m in stored]
    (status,) = server.ours()
    assert [m["description"] for m in status["media_attachments"]] == ["A loaf", "Two rolls"]
    assert server.calls("GET", r"/api/v1/media/\d+") == [] and clock.sleeps == []


def test_an_image_still_processing_is_polled_until_ready(server, clock, tmp_path):
    server.processing_polls = 2  # upload answers 202, then two 206, then 200
    make_network(server, clock).publish(part(media=(MediaFile(png(tmp_path / "a.png"), "A loaf"),)))
    assert len(server.calls("GET", r"/api/v1/media/\d+")) == 3
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert len(server.ours()) == 1


def test_an_image_that_never_finishes_fails_clearly_and_posts_nothing(server, clock, tmp_path):
    server.processing_polls = 1000
    with pytest.raises(DeliveryError, match=r"still processing a\.png") as caught:
        make_network(server, clock).publish(part(media=(MediaFile(png(tmp_path / "a.png"), "A loaf"),)))
    assert not caught.value.ambiguous
    assert creates(server) == [] and len(clock.sleeps) == 20


def test_a_retried_part_reuses_its_uploads(server, clock, tmp_path):
    network = make_network(server, clock)
    request = part(media=(MediaFile(png(tmp_path / "a.png"), "A loaf"),))
    server.fail("POST", r"/api/v1/statuses", status=500)
    with pytest.raises(DeliveryError):
        network.publish(request)
    network.publish(request)
    assert len(server.calls("POST", r"/api/v2/media")) == 1
    assert len(server.ours()) == 1


def test_url_null_falls_back_to_uri(server, clock):
    server.null_urls = True
    result = make_network(server, clock).publish(part())
    assert result.url == server.ours()[0]["uri"]


# -- engagement -------------------------------------------------------------------------


def test_a_reply_resolves_the_foreign_url_first(server, clock):
    foreign = server.add_remote(FOREIGN)
    make_network(server, clock).publish(part("Congratulations!", engagement={"reply_to": FOREIGN}))
    (search,) = server.calls("GET", r"/api/v2/search")
    assert search.query == {"q": [FOREIGN], "resolve": ["true"], "type": ["statuses"], "limit": ["5"]}
    assert creates(server)[0].form()["in_reply_to_id"] == [foreign["id"]]


def test_a_reply_that_cannot_be_resolved_never_goes_out_as_a_plain_post(server, clock):
    with pytest.raises(DeliveryError, match="never go out as a plain post") as caught:
        make_network(server, clock).publish(part("Congratulations!", engagement={"reply_to": FOREIGN}))
    assert not caught.value.ambiguous and caught.value.code == "engagement-unresolved"
    assert creates(server) == []


def test_a_repost_reblogs_without_text_and_is_undone_on_delete(server, clock):
    foreign = server.add_remote(FOREIGN)
    network = make_network(server, clock)
    result = network.publish(part("", engagement={"repost": FOREIGN}))
    assert creates(server) == []
    assert result.url == FOREIGN and result.data == {"reposted": FOREIGN}
    assert foreign["reblogs_count"] == 1
    assert network.publish(part("", engagement={"repost": FOREIGN})).remote_id == result.remote_id
    network.delete(published_entry(result.remote_id, data=dict(result.data)))
    assert foreign["reblogs_count"] == 0 and server.statuses[foreign["id"]]


def test_reconcile_asks_the_instance_whether_a_repost_or_like_was_done(server, clock):
    server.add_remote(FOREIGN)
    network = make_network(server, clock)
    repost, like = part("", engagement={"repost": FOREIGN}), part("", engagement={"like": FOREIGN})
    assert network.reconcile(repost, None) is None and network.reconcile(like, None) is None
    network.publish(repost)
    network.publish(like)
    for request, data in ((repost, {"reposted": FOREIGN}), (like, {"liked": FOREIGN})):
        found = network.reconcile(request, START - timedelta(hours=5))
        assert (found.url, found.data) == (FOREIGN, data)


def test_a_like_alone_and_a_like_with_a_reply(server, clock):
    foreign = server.add_remote(FOREIGN)
    network = make_network(server, clock)
    alone = network.publish(part("", engagement={"like": FOREIGN}, key="k-like"))
    assert alone.remote_id is None and alone.url == FOREIGN and alone.data == {"liked": FOREIGN}
    assert foreign["id"] in server.favourites and creates(server) == []
    network.delete(published_entry(None, data=dict(alone.data)))
    assert foreign["id"] not in server.favourites

    both = network.publish(part("So good!", engagement={"reply_to": FOREIGN, "like": FOREIGN}, key="k2"))
    order = [r.path for r in server.requests if r.method == "POST"]
    # The favourite goes first: repeating it is harmless, repeating the status is not.
    assert order[-2:] == [f"/api/v1/statuses/{foreign['id']}/favourite", "/api/v1/statuses"]
    assert both.data == {"liked": FOREIGN}
    assert server.statuses[both.remote_id]["in_reply_to_id"] == foreign["id"]


def test_a_repost_with_text_is_refused(server, clock):
    server.add_remote(FOREIGN)
    with pytest.raises(DeliveryError, match="cannot quote"):
        make_network(server, clock).publish(part("My words", engagement={"repost": FOREIGN}))
    assert server.calls("POST", r"/api/v1/statuses/\d+/reblog") == []


# -- delete -----------------------------------------------------------------------------


def test_delete_removes_the_status_and_a_missing_one_is_fine(server, clock):
    network = make_network(server, clock)
    result = network.publish(part())
    entry = published_entry(result.remote_id, url=result.url)
    network.delete(entry)
    assert server.ours() == []
    network.delete(entry)  # 404: already gone
    assert [r.method for r in server.calls("DELETE", r"/api/v1/statuses/\d+")] == ["DELETE", "DELETE"]


# -- errors and rate limits -------------------------------------------------------------


def test_a_wrong_token_names_the_variable_never_the_value(server, clock):
    wrong = "wrong-token-value-123"
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock, token=wrong).publish(part())
    message = caught.value.message
    assert "token rejected: check MASTODON_TOKEN" in message
    assert wrong not in message and TOKEN not in message
    assert not caught.value.ambiguous and caught.value.code == "auth-failed"


def test_a_422_says_what_mastodon_said(server, clock):
    server.fail("POST", r"/api/v1/statuses", status=422,
                body={"error": "Validation failed: Text can't be blank"})
    with pytest.raises(DeliveryError, match=r"refused \(422\): Validation failed: Text can't be blank") as caught:
        make_network(server, clock).publish(part())
    assert not caught.value.ambiguous and caught.value.status == 422


def test_too_long_for_the_instance_points_at_max_characters(server, clock):
    server.max_characters = 10
    with pytest.raises(DeliveryError, match=r"character limit of 10 exceeded.*max_characters") as caught:
        make_network(server, clock).publish(part())
    assert not caught.value.ambiguous and server.ours() == []


def test_a_429_waits_for_retry_after_through_the_injected_sleep(server, clock):
    server.budget(0, reset_in=30)
    make_network(server, clock).publish(part())
    assert clock.sleeps == [30.0]
    assert len(creates(server)) == 2 and len(server.ours()) == 1


def test_a_long_rate_limit_leaves_the_part_for_a_later_run(server, clock):
    server.budget(0, reset_in=3600)
    with pytest.raises(DeliveryError) as caught:
        make_network(server, clock).publish(part())
    assert caught.value.retry_later and not caught.value.ambiguous
    assert clock.sleeps == [] and server.ours() == []


def test_an_exhausted_budget_waits_for_the_iso_reset_before_the_next_request(server, clock):
    server.budget(1, reset_in=90)
    network = make_network(server, clock)
    network.publish(part("One.", key="k1"))
    assert clock.sleeps == []
    network.publish(part("Two.", key="k2"))
    (wait,) = clock.sleeps
    assert 89 <= wait <= 90
    assert len(server.ours()) == 2 and server.calls("POST", r"/api/v1/statuses")[1]


def test_rate_limit_headers_come_with_every_answer(server, clock):
    network = make_network(server, clock)
    network.publish(part())
    response = requests.get(f"{server.url}/api/v1/accounts/verify_credentials",
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.headers["X-RateLimit-Limit"] == "300"
    assert response.headers["X-RateLimit-Remaining"] == "298"
    assert datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00")) > START


# -- reconcile (the adapter alone) ------------------------------------------------------


def test_reconcile_finds_the_status_by_its_text(server, clock):
    network = make_network(server, clock)
    text = ("Stollen & rolls <3\n\nOrder: https://crumbandco.example/orders/winter-specials-2026 "
            "#Baking @anna@example.org")
    request = part(text, content_warning="sugar")
    sent = network.publish(request)
    found = network.reconcile(request, START)
    assert (found.remote_id, found.url) == (sent.remote_id, sent.url)
    assert network.reconcile(part("Something else"), START) is None
    assert network.reconcile(part(text), START) is None  # no content warning: not ours
    assert len(server.calls("GET", r"/api/v1/accounts/verify_credentials")) == 1  # cached


def test_reconcile_tells_image_posts_apart_by_their_alt_texts(server, clock, tmp_path):
    network = make_network(server, clock)
    loaf, roll = (MediaFile(png(tmp_path / f"{name}.png"), f"A {name}") for name in ("loaf", "roll"))
    sent = network.publish(part("", media=(loaf,), key="k-loaf"))
    assert network.reconcile(part("", media=(roll,)), START) is None
    assert network.reconcile(part("", media=(loaf,)), START).remote_id == sent.remote_id


def test_reconcile_matches_thread_parts_by_their_parent(server, clock):
    network = make_network(server, clock)
    first = network.publish(part("Same words.", number=1, total=2, key="k1"))
    second = network.publish(part("Same words.", number=2, total=2, key="k2",
                                  parent=published_entry(first.remote_id)))
    again = network.reconcile(part("Same words.", number=2, total=2, parent=published_entry(first.remote_id)),
                              START)
    assert again.remote_id == second.remote_id
    assert network.reconcile(part("Same words.", number=1, total=2), START).remote_id == first.remote_id


def test_reconcile_ignores_an_older_status_with_the_same_text(server, clock):
    network = make_network(server, clock)
    network.publish(part(key="k-old"))
    clock.now += timedelta(days=7)
    assert network.reconcile(part(key="k-new"), clock.now) is None


def test_reconcile_pages_back_to_the_time_of_sending(server, clock):
    network = make_network(server, clock)
    ours = network.publish(part("The one we look for.", key="k0"))
    for n in range(45):
        server.add_own(f"Later post {n}.")
    found = network.reconcile(part("The one we look for."), START)
    assert found.remote_id == ours.remote_id
    listings = server.calls("GET", r"/api/v1/accounts/1/statuses")
    assert len(listings) == 2 and listings[1].query["max_id"]
    assert all(r.query["exclude_reblogs"] == ["true"] and r.query["limit"] == ["40"] for r in listings)


def test_reconcile_after_the_key_window_is_uncertain(server, clock):
    network = make_network(server, clock)
    clock.now += timedelta(hours=2)
    with pytest.raises(Uncertain) as caught:
        network.reconcile(part(), START)
    message = caught.value.message
    assert "Idempotency-Key" in message and "social resolve bread --channel mastodon" in message
    assert "Fresh bread today." in message


def test_status_text_undoes_mastodon_formatting():
    html = ('<p>Line one<br />line &amp; two</p><p>Visit <a href="https://example.com/x"><span class="invisible">'
            'https://</span><span class="">example.com/x</span><span class="invisible"></span></a> '
            '<span class="h-card"><a class="u-url mention">@<span>anna</span></a></span></p>')
    assert status_text(html) == "Line one\nline & two\n\nVisit https://example.com/x @anna"
    assert comparable("Visit https://example.com/x @anna@example.org") == comparable(
        status_text(html).split("\n\n")[1])
    written = "Tea & cake\n\n\nat 3 <b>sharp</b>\nhttps://example.com/a/very/long/path/that/gets/an/ellipsis"
    assert comparable(status_text(content_html(written, "https://fake.example"))) == comparable(written)


# -- through the engine -----------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {{max_per_day: 3, min_gap: 2h, max_silence: 4d, hours: "08:00-20:00"}}
channels:
  mastodon:
    network: mastodon
    instance: {url}
    credentials: {{token: MASTODON_TOKEN}}
"""


@pytest.fixture
def site(repo, server):
    repo.write("content/channels.yml", CHANNELS.format(url=server.url))
    repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [mastodon]", "Fresh bread today.")
    return repo


def run_engine(site, clock, *, timeout=(2.0, 5.0)):
    """One publish run through the real engine, with an Http whose timeouts the test chooses."""
    root = site.root.resolve()
    config = Workspace(root).require_config()
    ledger = Ledger(root)
    plan = make_plan(read_posts(root, config, [], post_files(root)), ledger, clock())
    http = make_http(clock, timeout)
    def network_for(channel):
        return MastodonNetwork(channel, env={"MASTODON_TOKEN": TOKEN}, http=http, root=root)

    runner = Runner(root, ledger, network_for=network_for, clock=clock,
                    parallel=False)
    result = runner.run(plan)
    return result, Ledger(root)


def states(ledger: Ledger) -> list[str]:
    return [e.state for e in ledger.entries]


def test_engine_500_after_the_server_acted_is_reconciled_without_a_duplicate(site, server, clock):
    server.act_then_fail = [500]
    result, ledger = run_engine(site, clock)
    (status,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1
    assert states(ledger) == [PENDING, PUBLISHED]
    assert ledger.current("bread", "mastodon", 1).remote_id == status["id"]


def test_engine_dropped_connection_after_the_server_acted_is_reconciled(site, server, clock):
    server.fail("POST", r"/api/v1/statuses", drop_after_handling=True)
    result, ledger = run_engine(site, clock)
    (status,) = server.ours()
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1
    assert ledger.current("bread", "mastodon", 1).url == status["url"]


def test_engine_timeout_not_yet_visible_is_resent_with_the_same_key(site, server, clock):
    # The instance answers after 1 s; the client gives up after 0.4 s, finds nothing yet,
    # and sends again with the same key while the first request is still being handled.
    server.fail("POST", r"/api/v1/statuses", delay=1.0)
    result, ledger = run_engine(site, clock, timeout=(1.0, 0.4))
    server.wait_for_creates(2)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    sent = creates(server)
    assert len(sent) == 2
    order = [r.path for r in server.requests]
    assert order.index("/api/v1/accounts/1/statuses") < len(order) - 1 - order[::-1].index("/api/v1/statuses")
    assert sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"]
    (status,) = server.ours()
    assert ledger.current("bread", "mastodon", 1).remote_id == status["id"]


def test_engine_500_before_acting_is_resent_once(site, server, clock):
    server.fail("POST", r"/api/v1/statuses", status=500)
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 2 and len(server.ours()) == 1


def test_engine_gateway_errors_on_a_create_are_unclear_and_settled_by_the_next_run(site, server, clock):
    # A 504 may hide an instance that posted: never retried blindly. The part stays pending
    # (reported as failed) while the gateway fails, and the next run looks, then sends.
    server.fail("POST", r"/api/v1/statuses", status=504, times=2)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == ["failed"]
    assert "stays pending" in result.outcomes[0].error
    assert ledger.current("bread", "mastodon", 1).state == "pending"
    assert len(creates(server)) == 2 and server.ours() == []
    assert server.calls("GET", r"/api/v1/accounts/1/statuses")  # looked before sending again
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 3 and len(server.ours()) == 1


def test_two_posts_with_the_same_text_never_share_a_status(site, server, clock):
    # The second post's create fails at a gateway before reaching the instance: looking for its
    # text finds the first post's status, which is already recorded for the first post.
    run_engine(site, clock)
    site.post("bread-again", "publish_at: 2026-12-01 11:35\nchannels: [mastodon]", "Fresh bread today.")
    clock.now += timedelta(minutes=5)
    server.fail("POST", r"/api/v1/statuses", status=502, times=2)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == ["failed"]  # unclear: looked, found nothing of its own
    assert ledger.current("bread-again", "mastodon", 1).state == PENDING
    result, ledger = run_engine(site, clock)
    first, second = ledger.current("bread", "mastodon", 1), ledger.current("bread-again", "mastodon", 1)
    assert second.state == PUBLISHED and second.remote_id != first.remote_id
    assert len(server.ours()) == 2


def test_two_statuses_that_could_be_the_part_make_it_uncertain(server, clock):
    network = make_network(server, clock)
    server.add_own("Same words.")
    server.add_own("Same words.")
    with pytest.raises(Uncertain, match="several statuses"):
        network.reconcile(part("Same words."), START - timedelta(minutes=1))
    claimed = {status["id"] for status in server.ours()[:1]}
    found = network.reconcile(part("Same words.", claimed=claimed), START - timedelta(minutes=1))
    assert found.remote_id not in claimed


def test_engine_repeat_key_500_and_a_lagging_listing_stay_pending_not_duplicated(site, server, clock):
    server.fail("POST", r"/api/v1/statuses", drop_after_handling=True)
    server.hide_new_statuses = True
    server.repeat_key_fails = True
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == ["failed"]
    assert "server error 500" in result.outcomes[0].error and "stays pending" in result.outcomes[0].error
    assert len(server.ours()) == 1
    assert states(ledger) == [PENDING]  # the next run looks again; after an hour a person decides


def write_pending(site, at: datetime, key: str = "bread-key") -> None:
    Ledger(site.root).append(Entry("bread", "mastodon", 1, PENDING, utc_iso(at), key=key,
                                   file="content/posts/2026/12/bread.md"))


def test_engine_pending_from_a_crashed_run_is_found_not_resent(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    # the crashed run's request did reach the instance
    requests.post(f"{server.url}/api/v1/statuses", data={"status": "Fresh bread today."},
                  headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "bread-key"}, timeout=5)
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert len(creates(server)) == 1 and len(server.ours()) == 1
    assert states(ledger) == [PENDING, PUBLISHED]


def test_engine_recent_pending_not_found_is_sent_with_its_key(site, server, clock):
    write_pending(site, START - timedelta(minutes=20))
    result, _ = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [PUBLISHED]
    assert creates(server)[0].headers["idempotency-key"] == "bread-key"


def test_engine_old_pending_not_found_waits_for_a_person(site, server, clock):
    write_pending(site, START - timedelta(hours=3))
    site.post("bread", "publish_at: 2026-12-01 09:00\nchannels: [mastodon]", "Fresh bread today.")
    result, ledger = run_engine(site, clock)
    assert [o.state for o in result.outcomes] == [UNCERTAIN]
    assert creates(server) == []
    assert "social resolve" in ledger.current("bread", "mastodon", 1).error


# -- end to end through `social publish` ------------------------------------------------


CANARY = "canary-7c1e5f0a9b2d4e6f"


def test_publish_end_to_end_once_and_without_leaking_the_token(repo, clock, tmp_path, monkeypatch):
    with FakeMastodon(CANARY, clock=clock) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        png(repo.root / "content/media/loaf.png")
        repo.post("thread", "publish_at: 2026-12-01 08:00\nchannels: [mastodon]",
                  "First part of the story.\n---\nSecond part.\n---\nThird part.")
        repo.post("loaf", "publish_at: 2026-12-01 10:30\nchannels: [mastodon]\nmedia:\n"
                  "  - path: media/loaf.png\n    alt: A sourdough loaf on a board", "Our sourdough.")
        env = {"MASTODON_TOKEN": CANARY}
        shown = []
        report = publish(repo.root, now_text="2026-12-01 12:00", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        assert report.ok, report.result.outcomes
        assert sorted((o.post, o.part, o.state) for o in report.result.outcomes) == [
            ("loaf", 1, PUBLISHED), ("thread", 1, PUBLISHED), ("thread", 2, PUBLISHED), ("thread", 3, PUBLISHED)]
        statuses = {status_text(s["content"]): s for s in server.ours()}
        assert len(statuses) == 4
        one, two, three = (statuses[t] for t in ("First part of the story.", "Second part.", "Third part."))
        assert (two["in_reply_to_id"], three["in_reply_to_id"]) == (one["id"], two["id"])
        assert statuses["Our sourdough."]["media_attachments"][0]["description"] == "A sourdough loaf on a board"

        clock.now = START + timedelta(minutes=5)  # a real run happens at the real time
        again = publish(repo.root, now_text="2026-12-01 12:05", env=env, sleep=clock.sleep, clock=clock)
        assert again.result.outcomes == [] and len(creates(server)) == 4

        # A server that echoes the token in an error: the ledger, outcomes and outputs show it masked.
        repo.post("late", "publish_at: 2026-12-01 11:45\nchannels: [mastodon]", "One more.")
        server.fail("POST", r"/api/v1/statuses", status=422, body={"error": f"bad request from {CANARY}"},
                    times=2)
        clock.now = START + timedelta(minutes=10)
        failed = publish(repo.root, now_text="2026-12-01 12:10", env=env, sleep=clock.sleep, clock=clock,
                         progress=shown.append)
        (outcome,) = failed.result.outcomes
        assert outcome.state == "failed" and "bad request from ***" in outcome.error
        summary_file = tmp_path / "step-summary.md"
        clock.now = START + timedelta(minutes=12)
        monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                     env={"MASTODON_TOKEN": CANARY, "GITHUB_STEP_SUMMARY": str(summary_file)})
        assert cli_run.exit_code == 1 and "bad request from ***" in cli_run.output
        outputs = cli_run.output + summary_file.read_text(encoding="utf-8")

        clock.now = START + timedelta(minutes=15)
        wrong = publish(repo.root, now_text="2026-12-01 12:15", env={"MASTODON_TOKEN": "not-the-token"},
                        sleep=clock.sleep, clock=clock)
        (outcome,) = wrong.result.outcomes
        assert "token rejected: check MASTODON_TOKEN" in outcome.error

    ledger_text = (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8")
    everything = ledger_text + outputs + json.dumps([o.__dict__ for o in shown + failed.result.outcomes
                                                     + wrong.result.outcomes])
    assert CANARY not in everything
    assert all(CANARY not in json.dumps(e.data) for e in Ledger(repo.root).entries)
