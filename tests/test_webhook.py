"""The webhook adapter against a real HTTP receiver that verifies and de-duplicates.

Real Http (retries, rate limits, masking) with an injected clock and sleep: nothing
sleeps for real except two read timeouts of 50 ms.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from pipeline.cli import cli
from pipeline.content.model import Channel
from pipeline.errors import PipelineError
from pipeline.networks.base import Capability, NoOptions
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.parts import MediaFile, PartRequest, SentPart
from pipeline.networks.webhook import WebhookNetwork, signature
from pipeline.publish.service import publish
from pipeline.state.ledger import Entry, Ledger
from tests.fakes.clock import FakeClock
from tests.fakes.webhook import FakeWebhook

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "canary-secret-5b1e0c9d"
TOKEN = "canary-path-token-77f0a1"
QUERY_TOKEN = "canary-query-3c9e"
CANARIES = (SECRET, TOKEN, QUERY_TOKEN)
DOC = Path(__file__).resolve().parent.parent / "docs" / "networks" / "webhook.md"



@pytest.fixture
def time_() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def receiver(time_):
    with FakeWebhook(SECRET, token=TOKEN, query_token=QUERY_TOKEN, clock=time_.epoch) as fake:
        yield fake


def make_network(receiver, time_, root: Path, *, secret: str = SECRET, url: str | None = None,
                 read_timeout: float = 2.0) -> WebhookNetwork:
    channel = Channel(id="hook", network="webhook", credentials={"url": "HOOK_URL", "secret": "HOOK_SECRET"},
                      options=NoOptions(), cadence={}, slots=(), template=None, max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=time_.sleep, clock=time_.clock, rng=random.Random(7),
                timeout=(2.0, read_timeout))
    env = {"HOOK_URL": url or receiver.hook_url, "HOOK_SECRET": secret}
    network = WebhookNetwork(channel, env=env, http=http, root=root)
    network.check_ready()
    return network


@pytest.fixture
def network(receiver, time_, tmp_path) -> WebhookNetwork:
    return make_network(receiver, time_, tmp_path)


def part(network: WebhookNetwork, **overrides) -> PartRequest:
    fields = {"post_id": "bread", "channel_id": "hook", "number": 1, "total": 1,
              "text": "Fresh bread today.", "key": network.new_key("bread", 1), "title": "Bread",
              "link": "https://bakery.example/bread", **overrides}
    return PartRequest(**fields)


def assert_no_canary(*texts: str | None) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in (text or ""), f"{canary!r} leaked into {text!r}"


# -- what is sent -----------------------------------------------------------------------


def test_the_part_is_posted_as_signed_json_with_its_key(network, receiver, tmp_path):
    image = tmp_path / "cake.png"
    Image.new("RGB", (3, 2), "white").save(image)
    request = part(network, media=(MediaFile(image, "A white cake", 3, 2, "png"),))

    published = network.publish(request)

    assert published.remote_id == "evt-1"
    assert published.url == "https://receiver.example/posts/evt-1"
    [sent] = receiver.requests
    assert receiver.refusals == []  # the fake verified the signature its own way
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["idempotency-key"] == request.key
    assert sent.headers["user-agent"].startswith("social-media-as-code/")
    timestamp = sent.headers["x-social-timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    assert sent.headers["x-social-signature"] == signature(SECRET, timestamp, sent.body)
    body = json.loads(sent.body)
    assert {k: body[k] for k in ("event", "version", "idempotency_key", "sent_at", "post", "channel",
                                 "network", "part", "parts", "key", "text", "title", "link")} == {
        "event": "post.published", "version": 1, "idempotency_key": request.key,
        "sent_at": "2026-12-01T09:00:00Z", "post": "bread", "channel": "hook", "network": "webhook",
        "part": 1, "parts": 1, "key": request.key, "text": "Fresh bread today.", "title": "Bread",
        "link": "https://bakery.example/bread"}
    assert body["media"] == [{"path": "cake.png", "alt": "A white cake", "width": 3, "height": 2,
                              "content_type": "image/png", "bytes": image.stat().st_size,
                              "sha256": hashlib.sha256(image.read_bytes()).hexdigest()}]


def test_a_wrong_secret_fails_verification_and_names_the_variable(receiver, time_, tmp_path):
    network = make_network(receiver, time_, tmp_path, secret="not-the-receivers-secret")
    with pytest.raises(DeliveryError) as caught:
        network.publish(part(network))
    assert receiver.refusals == ["bad signature"] and receiver.stored == []
    error = caught.value
    assert (error.status, error.code, error.ambiguous) == (401, "auth-failed", False)
    assert "HOOK_SECRET" in error.message
    assert_no_canary(error.message, str(error))


def test_a_signature_from_a_clock_far_off_is_refused_as_stale(network, receiver, time_):
    time_.now += timedelta(minutes=10)  # our clock runs ahead; the receiver's stays
    receiver.clock = lambda: NOW.timestamp()
    with pytest.raises(DeliveryError):
        network.publish(part(network))
    assert receiver.refusals == ["stale timestamp"]


def test_the_signature_recipes_in_the_docs_agree_with_the_adapter(network, receiver, tmp_path):
    network.publish(part(network, text="Zimtschnecken – frisch ✓"))
    [sent] = receiver.requests
    timestamp, given = sent.headers["x-social-timestamp"], sent.headers["x-social-signature"]
    text = DOC.read_text(encoding="utf-8")

    python = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify" in b)
    scope: dict = {}
    exec(python, scope)
    assert scope["verify"](SECRET, timestamp, given, sent.body, now=NOW.timestamp())
    assert not scope["verify"]("wrong", timestamp, given, sent.body, now=NOW.timestamp())
    assert not scope["verify"](SECRET, timestamp, given, sent.body, now=NOW.timestamp() + 301)

    vector = re.search(r"secret `(.+?)`, timestamp `(\d+)` and\s+the body `(.+?)` give\s+`(sha256=\w+)`", text)
    assert signature(vector[1], vector[2], vector[3].encode()) == vector[4]

    if shutil.which("openssl"):
        shell = next(b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if "body.json" in b)
        (tmp_path / "body.json").write_bytes(sent.body)
        result = subprocess.run(["sh", "-c", shell], cwd=tmp_path, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "TIMESTAMP": timestamp, "SECRET": SECRET},
                                check=True)
        assert result.stdout.strip() == given


# -- idempotency ------------------------------------------------------------------------


@pytest.mark.parametrize("replay", [False, True], ids=["answers-409", "repeats-first-answer"])
def test_a_dropped_answer_after_the_receiver_stored_it_is_resent_and_recognised(time_, tmp_path, replay):
    with FakeWebhook(SECRET, token=TOKEN, query_token=QUERY_TOKEN, clock=time_.epoch, replay=replay) as receiver:
        network = make_network(receiver, time_, tmp_path)
        receiver.fail("POST", r"/hooks/.*", drop_after_handling=True)
        published = network.publish(part(network))
    assert len(receiver.stored) == 1 and receiver.duplicates == 1
    assert published.remote_id == "evt-1" and published.url == "https://receiver.example/posts/evt-1"
    assert dict(published.data) == ({} if replay else {"already_received": True})
    first, retry = receiver.requests
    assert first.body == retry.body
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]


def test_a_timeout_after_the_receiver_stored_it_is_resent_and_recognised(receiver, time_, tmp_path):
    # The held answer never comes; the retries must be answered within the timeout on a busy machine.
    network = make_network(receiver, time_, tmp_path, read_timeout=0.5)
    receiver.hold_next_answer()
    published = network.publish(part(network))
    assert len(receiver.stored) == 1 and receiver.duplicates >= 1
    assert published.remote_id == "evt-1"
    assert len({r.body for r in receiver.requests}) == 1
    assert len(time_.sleeps) == len(receiver.requests) - 1


# -- answers: (fault the receiver answers first, what the adapter makes of it) ------------

ANSWERS = {
    "5xx-then-success": dict(faults=[{"status": 500}], published="evt-1", requests=2, sleeps=1),
    "502-twice-then-success": dict(faults=[{"status": 502, "times": 2}], published="evt-1", requests=3,
                                   sleeps=2),
    "429-retry-after": dict(faults=[{"status": 429, "headers": {"Retry-After": "7"}}], published="evt-1",
                            requests=2, waited=[7.0]),
    "409-already-have-it": dict(faults=[{"status": 409, "body": {"id": 42, "url": "https://r.example/42"}}],
                                published="42", requests=1, sleeps=0),
    "409-without-body": dict(faults=[{"status": 409, "body": b""}], published=None, requests=1, sleeps=0),
    "2xx-plain-text": dict(faults=[{"status": 200, "body": "ok"}], published=None, requests=1, sleeps=0),
    "2xx-odd-fields": dict(faults=[{"status": 201, "body": {"id": True, "url": "javascript:alert(1)"}}],
                           published=None, url=None, requests=1, sleeps=0),
    "429-too-long": dict(faults=[{"status": 429, "headers": {"Retry-After": "3600"}}],
                         error="rate limited", retry_later=True, requests=1),
    "4xx-refused": dict(faults=[{"status": 422, "body": {"error": f"no such board {TOKEN}"}}],
                        error="refused (422): no such board ***", requests=1),
    "5xx-every-time": dict(faults=[{"status": 503, "times": 9}], error="server error 503, 4 attempts",
                           requests=4),
    "redirect": dict(faults=[{"status": 308, "headers": {"Location": "https://elsewhere.example/"}}],
                     error="redirect (308)", requests=1),
}


@pytest.mark.parametrize("case", ANSWERS.values(), ids=ANSWERS.keys())
def test_each_answer_of_the_receiver(network, receiver, time_, case):
    for fault in case["faults"]:
        receiver.fail("POST", r"/hooks/.*", **fault)
    if "error" in case:
        with pytest.raises(DeliveryError) as caught:
            network.publish(part(network))
        error = caught.value
        assert case["error"] in error.message
        assert not error.ambiguous
        assert error.retry_later == case.get("retry_later", False)
        assert "HOOK_URL" in error.message
        assert_no_canary(error.message, str(error))
        assert receiver.stored == []
    else:
        published = network.publish(part(network))
        assert published.remote_id == case["published"]
        if "url" in case:
            assert published.url == case["url"]
    assert len(receiver.requests) == case["requests"]
    if "waited" in case:
        assert time_.sleeps == case["waited"]
    elif "sleeps" in case:
        assert len(time_.sleeps) == case["sleeps"]
    # Every attempt: the same bytes and key, signed afresh for its own moment.
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["idempotency-key"] for r in receiver.requests}) == 1
    for sent in receiver.requests:
        assert sent.headers["x-social-signature"] == signature(SECRET, sent.headers["x-social-timestamp"],
                                                               sent.body)


def test_a_retry_after_a_rate_limit_is_signed_with_the_later_time(network, receiver, time_):
    receiver.fail("POST", r"/hooks/.*", status=429, headers={"Retry-After": "7"})
    network.publish(part(network))
    first, retry = (int(r.headers["x-social-timestamp"]) for r in receiver.requests)
    assert retry - first == 7


# -- retraction, reconcile, setup ----------------------------------------------------------


def test_retraction_is_a_signed_event_with_its_own_key(network, receiver):
    request = part(network)
    published = network.publish(request)
    sent = SentPart("bread", "hook", 1, key=request.key, remote_id=published.remote_id, url=published.url)
    network.delete(sent)
    network.delete(sent)  # a repeat is recognised (409) and is not an error
    assert network.can(Capability.DELETE)
    assert [e["event"] for e in receiver.stored] == ["post.published", "post.retracted"]
    assert receiver.duplicates == 1
    retraction = receiver.requests[1]
    assert retraction.headers["idempotency-key"] == f"{request.key}:retract"
    body = json.loads(retraction.body)
    assert {k: body[k] for k in ("post", "channel", "part", "key", "remote_id", "url", "idempotency_key")} == {
        "post": "bread", "channel": "hook", "part": 1, "key": request.key, "remote_id": "evt-1",
        "url": "https://receiver.example/posts/evt-1", "idempotency_key": f"{request.key}:retract"}
    assert retraction.headers["x-social-signature"] == signature(
        SECRET, retraction.headers["x-social-timestamp"], retraction.body)


def test_reconcile_leaves_it_to_a_resend_with_the_same_key(network):
    request = part(network)
    assert network.reconcile(request, NOW) is None
    assert network.new_key("bread", 1) == request.key  # stable: a later run derives the same key


def test_a_url_that_is_no_url_is_reported_without_showing_it(receiver, time_, tmp_path):
    with pytest.raises(PipelineError) as caught:
        make_network(receiver, time_, tmp_path, url=f"hooks.example/{TOKEN}")
    assert "HOOK_URL" in caught.value.message
    assert_no_canary(caught.value.message)


def test_an_unreadable_image_fails_before_anything_is_sent(network, receiver, tmp_path):
    request = part(network, media=(MediaFile(tmp_path / "gone.png", "Gone"),))
    with pytest.raises(PipelineError, match=r"gone\.png"):
        network.publish(request)
    assert receiver.requests == []


# -- the whole pipeline -------------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
channels:
  hook:
    network: webhook
    credentials: {url: HOOK_URL, secret: HOOK_SECRET}
"""


@pytest.fixture
def site(repo):
    repo.write("content/channels.yml", CHANNELS)
    (repo.root / "content/media").mkdir(parents=True)
    Image.new("RGB", (40, 30), "white").save(repo.root / "content/media/bread.png")
    repo.post("bread", """
        title: Bread
        publish_at: 2026-12-01 09:30
        channels: [hook]
        link: https://bakery.example/bread
        media:
          - path: media/bread.png
            alt: A loaf on a board
    """)
    return repo


def run(site, receiver, time_, now="2026-12-01 10:00", url=None):
    env = {"HOOK_URL": url or receiver.hook_url, "HOOK_SECRET": SECRET}
    return publish(site.root, now_text=now, env=env, sleep=time_.sleep, clock=time_.clock)


def ledger_text(site) -> str:
    path = site.root / "state/ledger.jsonl"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_publish_end_to_end_sends_once_and_keeps_the_secrets_out(site, receiver, time_):
    first = run(site, receiver, time_)
    second = run(site, receiver, time_)

    assert [(o.post, o.state) for o in first.result.outcomes] == [("bread", "published")]
    assert second.result.outcomes == [] and len(receiver.requests) == 1
    [event] = receiver.stored
    assert event["post"] == "bread" and event["text"].startswith("Fresh bread today.")
    assert event["media"][0]["path"] == "bread.png" and event["media"][0]["alt"] == "A loaf on a board"
    current = Ledger(site.root).current("bread", "hook", 1)
    assert (current.state, current.remote_id, current.url) == (
        "published", "evt-1", "https://receiver.example/posts/evt-1")
    assert current.key == event["idempotency_key"]
    assert_no_canary(ledger_text(site), repr(first.result.outcomes))


def test_a_refusal_is_recorded_masked_and_retried_by_the_next_run(site, receiver, time_):
    receiver.fail("POST", r"/hooks/.*", status=400, body=f"unknown hook {TOKEN} (query {QUERY_TOKEN})")
    report = run(site, receiver, time_)
    [outcome] = report.result.outcomes
    assert outcome.state == "failed" and "HOOK_URL" in outcome.error and "refused (400)" in outcome.error
    assert_no_canary(ledger_text(site), repr(report.result.outcomes))

    again = run(site, receiver, time_)
    assert [o.state for o in again.result.outcomes] == ["published"]
    assert len(receiver.stored) == 1


def test_a_pending_part_from_a_cut_off_run_is_resent_and_recognised(site, receiver, time_, network):
    # A run sent the event, the receiver stored it, and the run died before writing `published`.
    network.publish(part(network, text="Fresh bread today."))
    Ledger(site.root).append(Entry("bread", "hook", 1, "pending", "2026-12-01T08:31:00Z",
                                   key=network.new_key("bread", 1)))
    report = run(site, receiver, time_)
    assert [o.state for o in report.result.outcomes] == ["published"]
    assert len(receiver.stored) == 1 and receiver.duplicates == 1
    assert Ledger(site.root).current("bread", "hook", 1).remote_id == "evt-1"


def test_retracting_a_published_post_sends_one_retraction(site, receiver, time_):
    run(site, receiver, time_)
    path = site.root / "content/posts/2026/12/bread.md"
    path.write_text(path.read_text().replace("channels:", "status: retracted\nchannels:"))
    time_.now = NOW + timedelta(days=1)  # a real run happens at the real time
    assert run(site, receiver, time_, now="2026-12-02 10:00").ok
    time_.now += timedelta(hours=1)
    assert run(site, receiver, time_, now="2026-12-02 11:00").result.outcomes == []
    assert [e["event"] for e in receiver.stored] == ["post.published", "post.retracted"]
    assert Ledger(site.root).current("bread", "hook", 1).state == "deleted"


def test_the_command_line_never_shows_the_secret_or_the_urls_token(site, monkeypatch, tmp_path):
    path = site.root / "content/posts/2026/12/bread.md"  # due by the real clock: the command runs at the real time
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")
    path.write_text(path.read_text().replace("publish_at: 2026-12-01 09:30", f"publish_at: {due}"))
    with FakeWebhook(SECRET, token=TOKEN, query_token=QUERY_TOKEN) as receiver:
        receiver.fail("POST", r"/hooks/.*", status=403, body={"error": f"hook {TOKEN} is disabled"})
        monkeypatch.setenv("HOOK_URL", receiver.hook_url)
        monkeypatch.setenv("HOOK_SECRET", SECRET)
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
        refused = CliRunner().invoke(cli, ["publish", "--root", str(site.root), "--format", "json"])
        published = CliRunner().invoke(cli, ["publish", "--root", str(site.root)])
        status = CliRunner().invoke(cli, ["status", "--root", str(site.root), "--format", "json"])
    assert refused.exit_code == 1 and "HOOK_SECRET" in refused.output
    assert published.exit_code == 0, published.output
    assert status.exit_code == 0, status.output
    assert [e["state"] for e in json.loads(status.output)["entries"]] == ["published"]
    assert len(receiver.stored) == 1
    assert_no_canary(refused.output, published.output, status.output, ledger_text(site),
                     (tmp_path / "summary.md").read_text())
