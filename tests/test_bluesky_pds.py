"""The Bluesky adapter and the whole publish run against a REAL PDS on localhost.

One PDS (with its PLC directory) serves the session: scripts/pds/start.mjs via
tests/pds.py, installed by scripts/pds/install. What goes out is read back with
getRecord and listRecords. Link cards come from a page served on localhost, so
nothing leaves the machine.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pipeline.content.model import Channel
from pipeline.networks.bluesky import BlueskyNetwork, BlueskyOptions
from pipeline.networks.delivery import DeliveryError, Http, Secrets
from pipeline.networks.parts import PartRequest, SentPart
from pipeline.publish.service import publish
from pipeline.state.ledger import DELETED, PENDING, PUBLISHED, Entry, Ledger
from pipeline.text.facets import bluesky_richtext
from pipeline.times import utc_iso
from tests.fakes.bluesky import FakeWebsite, og_page
from tests.pds import LocalPds, start_pds

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
POST = "app.bsky.feed.post"


@pytest.fixture(scope="session")
def pds(tmp_path_factory) -> LocalPds:
    server = start_pds(tmp_path_factory.mktemp("pds"))
    yield server
    server.stop()


@pytest.fixture
def site():
    with FakeWebsite() as fake:
        yield fake


class Run:
    """`social publish` on a content repository whose bluesky channel is alice on the PDS."""

    def __init__(self, repo, pds: LocalPds) -> None:
        self.repo = repo
        self.pds = pds
        self.alice = pds.accounts["alice"]
        self.sleeps: list[float] = []
        self.outputs: list[str] = []
        repo.write("content/channels.yml", f"""\
            timezone: Europe/Berlin
            channels:
              bluesky:
                network: bluesky
                service: {pds.service}
                handle: {self.alice.handle}
                credentials: {{password: BLUESKY_APP_PASSWORD}}
            """)

    def __call__(self, now: str = "2026-12-01 10:00"):
        report = publish(self.repo.root, now_text=now, env={"BLUESKY_APP_PASSWORD": self.alice.app_password},
                         sleep=self.sleeps.append, clock=lambda: NOW, progress=lambda o: self.outputs.append(repr(o)))
        self.outputs.append(repr(report))
        assert report.ok, [o.error for o in report.result.outcomes if o.error]
        assert self.sleeps == []
        return report

    def entries(self, post: str) -> dict[int, Entry]:
        return Ledger(self.repo.root).parts(post, "bluesky")

    def record(self, post: str, part: int = 1) -> dict | None:
        return self.pds.record(self.entries(post)[part].data["uri"])


def make_network(pds: LocalPds, account: str = "alice") -> BlueskyNetwork:
    who = pds.accounts[account]
    channel = Channel(id="bluesky", network="bluesky", credentials={"password": "BLUESKY_APP_PASSWORD"},
                      options=BlueskyOptions(handle=who.handle, service=pds.service),
                      cadence={}, slots=(), template=None, max_lateness=timedelta(hours=6))
    http = Http(secrets=Secrets(), sleep=pytest.fail, clock=lambda: NOW, rng=random.Random(3))
    return BlueskyNetwork(channel, env={"BLUESKY_APP_PASSWORD": who.app_password}, http=http, root=Path("."))


def part(network: BlueskyNetwork, text: str, **fields) -> PartRequest:
    sent, facets = bluesky_richtext(text)
    return PartRequest(post_id="p", channel_id="bluesky", number=1, total=1, text=sent,
                       key=network.new_key("p", 1), facets=facets, **fields)


def png(path: Path, size: tuple[int, int]) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "wheat").save(path, format="PNG")
    return path


# -- the adapter --------------------------------------------------------------------------


def test_text_with_mention_link_and_tag_facets(pds):
    network = make_network(pds)
    request = part(network, "Rye with @bob.test and @nobody.test, recipe at "
                            "https://example.com/recipes/rye-sourdough-with-caraway #bread", language="en")
    result = network.publish(request)
    stored = pds.record(result.data["uri"])
    value = stored["value"]
    assert stored["cid"] == result.data["cid"]
    assert result.url == f"https://bsky.app/profile/alice.test/post/{request.key}"
    assert value["text"] == request.text and value["langs"] == ["en"]
    assert value["createdAt"] == "2026-12-01T09:00:00.000Z"
    encoded = value["text"].encode()
    found = [(encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
             for f in value["facets"]]
    assert found == [
        ("@bob.test", {"$type": "app.bsky.richtext.facet#mention", "did": pds.accounts["bob"].did}),
        ("example.com/recipes/rye-sou...",
         {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/recipes/rye-sourdough-with-caraway"}),
        ("#bread", {"$type": "app.bsky.richtext.facet#tag", "tag": "bread"}),
    ]


def test_a_second_create_under_the_same_key_returns_the_first_record(pds):
    network = make_network(pds)
    request = part(network, "Once only")
    first = network.publish(request)
    before = len(pds.records("alice"))
    # The real PDS answers 500 to the repeat; getRecord on the key settles it.
    with pytest.raises(requests.HTTPError):
        pds.create("alice", {"$type": POST, "text": "again", "createdAt": "2026-12-01T09:00:00Z"},
                   rkey=request.key)
    assert network.publish(request) == first
    assert network.reconcile(request, None) == first
    assert len(pds.records("alice")) == before


def test_engagement_reply_quote_like_and_repost_against_someone_elses_post(pds):
    bob = pds.accounts["bob"]
    top = pds.create("bob", {"$type": POST, "text": "Who bakes rye?", "createdAt": "2026-12-01T08:00:00Z"})
    ref = {"uri": top["uri"], "cid": top["cid"]}
    answer = pds.create("bob", {"$type": POST, "text": "Anyone?", "createdAt": "2026-12-01T08:01:00Z",
                                "reply": {"root": ref, "parent": ref}})
    url = f"https://bsky.app/profile/{bob.handle}/post/{answer['uri'].rsplit('/', 1)[1]}"
    network = make_network(pds)
    reply = network.publish(part(network, "We do!", engagement={"reply_to": url, "like": url}))
    quote = network.publish(part(network, "Read this", engagement={"quote": top["uri"]}))
    repost = network.publish(part(network, "", engagement={"repost": url}))
    assert pds.record(reply.data["uri"])["value"]["reply"] == {
        "root": ref, "parent": {"uri": answer["uri"], "cid": answer["cid"]}}
    assert pds.record(reply.data["like"])["value"]["subject"]["uri"] == answer["uri"]
    assert pds.record(quote.data["uri"])["value"]["embed"] == {"$type": "app.bsky.embed.record", "record": ref}
    assert pds.record(repost.data["uri"])["value"]["subject"]["uri"] == answer["uri"]
    assert repost.url == url
    for result in (reply, quote, repost):
        network.delete(SentPart("p", "bluesky", 1, data=dict(result.data)))
    assert [pds.record(u) for u in (reply.data["uri"], reply.data["like"], quote.data["uri"],
                                    repost.data["uri"])] == [None] * 4


def test_a_wrong_app_password_is_explained(pds):
    network = make_network(pds)
    network.env = {"BLUESKY_APP_PASSWORD": "aaaa-bbbb-cccc-dddd"}
    with pytest.raises(DeliveryError) as caught:
        network.check_ready()
    assert caught.value.code == "auth-failed" and "BLUESKY_APP_PASSWORD" in caught.value.message
    assert "aaaa-bbbb-cccc-dddd" not in caught.value.message


# -- the whole run --------------------------------------------------------------------------


def test_publish_a_thread_then_nothing_new_then_retract(repo, pds):
    run = Run(repo, pds)
    repo.post("rye-thread", """\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        tags: [bread]
        """, "Our rye takes three days. #sourdough\n---\nDay one: the starter.\n---\nDay three: bake.")
    before = len(pds.records("alice"))
    run()
    parts = run.entries("rye-thread")
    assert [parts[n].state for n in (1, 2, 3)] == [PUBLISHED] * 3
    records = [run.record("rye-thread", n)["value"] for n in (1, 2, 3)]
    first = {"uri": parts[1].data["uri"], "cid": parts[1].data["cid"]}
    assert "reply" not in records[0]
    assert records[1]["reply"] == {"root": first, "parent": first}
    assert records[2]["reply"] == {"root": first,
                                   "parent": {"uri": parts[2].data["uri"], "cid": parts[2].data["cid"]}}
    assert any(f["features"][0].get("tag") == "sourdough" for f in records[0]["facets"])
    assert len(pds.records("alice")) == before + 3

    run()
    assert len(pds.records("alice")) == before + 3
    assert run.entries("rye-thread") == parts

    path = next(repo.root.glob("content/posts/*/*/rye-thread.md"))
    path.write_text(path.read_text().replace("channels: [bluesky]", "channels: [bluesky]\nstatus: retracted"))
    run()
    assert [run.entries("rye-thread")[n].state for n in (1, 2, 3)] == [DELETED] * 3
    assert [pds.record(parts[n].data["uri"]) for n in (1, 2, 3)] == [None] * 3
    assert len(pds.records("alice")) == before


def test_a_reply_a_like_and_a_repost_of_bobs_post_go_out_once_through_the_ledger(repo, pds):
    run = Run(repo, pds)
    bob = pds.accounts["bob"]
    theirs = pds.create("bob", {"$type": POST, "text": "Who sells rye on Sundays?",
                                "createdAt": "2026-12-01T07:00:00Z"})
    url = f"https://bsky.app/profile/{bob.handle}/post/{theirs['uri'].rsplit('/', 1)[1]}"
    repo.post("answer-bob", f"""\
        publish_at: 2026-12-01 09:00
        channels: [bluesky]
        reply_to: {url}
        """, "We do, from eight.")
    repo.post("like-bob", f"publish_at: 2026-12-01 09:10\nchannels: [bluesky]\nlike: {url}\n", body="")
    repo.post("repost-bob", f"publish_at: 2026-12-01 09:20\nchannels: [bluesky]\nrepost: {url}\n", body="")
    # A run that stopped after the like went out and before the ledger said so: pending, the record there.
    like_key = make_network(pds).new_key("like-bob", 1)
    pds.create("alice", {"$type": "app.bsky.feed.like", "subject": {"uri": theirs["uri"], "cid": theirs["cid"]},
                         "createdAt": "2026-12-01T08:10:00.000Z"}, collection="app.bsky.feed.like", rkey=like_key)
    Ledger(repo.root).append(Entry("like-bob", "bluesky", 1, PENDING, utc_iso(NOW), key=like_key))

    def target(value: dict) -> str | None:
        """What a like or repost is of, or what a post answers."""
        return (value.get("subject") or value.get("reply", {}).get("parent") or {}).get("uri")

    def made() -> tuple[int, ...]:
        """Alice's answers, likes and reposts of bob's post."""
        return tuple(sum(target(r["value"]) == theirs["uri"] for r in pds.records("alice", collection))
                     for collection in (POST, "app.bsky.feed.like", "app.bsky.feed.repost"))

    run()
    assert {post: run.entries(post)[1].state for post in ("answer-bob", "like-bob", "repost-bob")} == {
        "answer-bob": PUBLISHED, "like-bob": PUBLISHED, "repost-bob": PUBLISHED}
    assert made() == (1, 1, 1)
    assert run.entries("like-bob")[1].key == like_key
    run()
    run()
    assert made() == (1, 1, 1), "each goes out once, however often publish runs"


def test_images_carry_alt_text_and_aspect_ratio(repo, pds):
    run = Run(repo, pds)
    png(repo.root / "content/media/loaf.png", (320, 200))
    png(repo.root / "content/media/crumb.png", (90, 120))
    repo.post("loaves", """\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        media:
          - path: media/loaf.png
            alt: A dark rye loaf on a board
          - path: media/crumb.png
            alt: The open crumb
        """, "Fresh loaves.")
    run()
    embed = run.record("loaves")["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [(i["alt"], i["aspectRatio"], i["image"]["mimeType"]) for i in embed["images"]] == [
        ("A dark rye loaf on a board", {"width": 320, "height": 200}, "image/png"),
        ("The open crumb", {"width": 90, "height": 120}, "image/png")]
    assert all(i["image"]["size"] > 0 for i in embed["images"])


def test_a_link_card_from_a_local_page(repo, pds, site):
    run = Run(repo, pds)
    png(repo.root / "thumb.png", (120, 63))
    site.page("/thumb.png", (repo.root / "thumb.png").read_bytes(), "image/png")
    url = site.page("/winter", og_page("Winter cakes", "Three tiers with pine sprigs", "/thumb.png"))
    repo.post("cakes", f"""\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        link: {url}
        """, "Our winter cakes are here.")
    run()
    external = run.record("cakes")["value"]["embed"]["external"]
    assert external["uri"].startswith(url)
    assert (external["title"], external["description"]) == ("Winter cakes", "Three tiers with pine sprigs")
    assert external["thumb"]["mimeType"] == "image/png"


def test_a_pending_entry_whose_record_exists_is_reconciled_without_a_second_record(repo, pds):
    run = Run(repo, pds)
    repo.post("oven", """\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        """, "The new oven is in.")
    # A run that stopped between sending and recording: the record is out, the ledger says pending.
    rkey = make_network(pds).new_key("oven", 1)
    made = pds.create("alice", {"$type": POST, "text": "The new oven is in.",
                                "createdAt": "2026-12-01T08:30:00.000Z"}, rkey=rkey)
    Ledger(repo.root).append(Entry("oven", "bluesky", 1, PENDING, utc_iso(NOW), key=rkey))
    before = len(pds.records("alice"))
    run()
    entry = run.entries("oven")[1]
    assert (entry.state, entry.key, entry.data) == (PUBLISHED, rkey, {"uri": made["uri"], "cid": made["cid"]})
    assert len(pds.records("alice")) == before


def test_a_pending_entry_without_a_record_is_sent_under_its_key(repo, pds):
    run = Run(repo, pds)
    repo.post("flour", """\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        """, "Local flour only.")
    rkey = make_network(pds).new_key("flour", 1)
    Ledger(repo.root).append(Entry("flour", "bluesky", 1, PENDING, utc_iso(NOW), key=rkey))
    run()
    entry = run.entries("flour")[1]
    assert entry.state == PUBLISHED and entry.data["uri"].endswith(f"/{POST}/{rkey}")


def test_the_app_password_never_reaches_the_ledger_or_the_output(repo, pds):
    run = Run(repo, pds)
    repo.post("canary", """\
        publish_at: 2026-12-01 09:30
        channels: [bluesky]
        """, "Nothing secret here.")
    run()
    wrong = publish(repo.root, now_text="2026-12-01 10:00", env={"BLUESKY_APP_PASSWORD": "zzzz-yyyy-xxxx-wwww"},
                    sleep=run.sleeps.append, clock=lambda: NOW)
    assert wrong.ok  # nothing left to do: the session is never needed
    repo.post("canary-2", """\
        publish_at: 2026-12-01 09:45
        channels: [bluesky]
        """, "Another one.")
    failed = publish(repo.root, now_text="2026-12-01 10:00", env={"BLUESKY_APP_PASSWORD": "zzzz-yyyy-xxxx-wwww"},
                     sleep=run.sleeps.append, clock=lambda: NOW)
    assert not failed.ok and "BLUESKY_APP_PASSWORD" in failed.result.outcomes[0].error
    seen = "\n".join([(repo.root / "state/ledger.jsonl").read_text(), *run.outputs, repr(failed)])
    for secret in (run.alice.app_password, run.alice.password, "zzzz-yyyy-xxxx-wwww", "eyJ"):
        assert secret not in seen


# -- profiles -----------------------------------------------------------------------------


def test_profile_sync_against_the_pds_with_a_conflict_reported_not_overwritten(repo, pds, monkeypatch):
    from pipeline.publish.profilesync import profile_diffs

    run = Run(repo, pds)  # writes channels.yml for alice
    png(repo.root / "content/media/profile/avatar.png", (200, 200))
    repo.write("content/profiles/bluesky.yml", "display_name: Crumb & Co.\nbio: Sourdough and rye.\n"
               "avatar: media/profile/avatar.png\n")
    env = {"BLUESKY_APP_PASSWORD": run.alice.app_password}

    def sync(**kwargs):
        return profile_diffs(repo.root, env=env, clock=lambda: NOW, apply=True, **kwargs)[0]

    first = sync()
    assert first.synced and not first.problem, first
    record = pds.xrpc("GET", "com.atproto.repo.getRecord", params={
        "repo": run.alice.did, "collection": "app.bsky.actor.profile", "rkey": "self"}).json()
    assert record["value"]["displayName"] == "Crumb & Co."
    # the PDS names the blob by its content, as blob_cid computes it: the image counts as the same
    assert not profile_diffs(repo.root, env=env, clock=lambda: NOW)[0].changes

    # someone edits the profile in the app: the next sync reports it and leaves it
    value = dict(record["value"], description="Closed until Monday.")
    pds.xrpc("POST", "com.atproto.repo.putRecord", account="alice", json={
        "repo": run.alice.did, "collection": "app.bsky.actor.profile", "rkey": "self", "record": value})
    repo.write("content/profiles/bluesky.yml", "display_name: Crumb & Co.\nbio: Sourdough, rye, stollen.\n"
               "avatar: media/profile/avatar.png\n")
    second = sync()
    assert [c.key for c in second.conflicts] == ["bio"] and not second.synced

    # a write racing an edit made between the read and the write is refused by swapRecord
    from pipeline.networks.bluesky.records import BlueskyNetwork

    original = BlueskyNetwork.read_profile

    def read_then_edit(self):
        live = original(self)
        current = pds.xrpc("GET", "com.atproto.repo.getRecord", params={
            "repo": run.alice.did, "collection": "app.bsky.actor.profile", "rkey": "self"}).json()["value"]
        pds.xrpc("POST", "com.atproto.repo.putRecord", account="alice", json={
            "repo": run.alice.did, "collection": "app.bsky.actor.profile", "rkey": "self",
            "record": dict(current, displayName="Edited meanwhile")})
        return live

    monkeypatch.setattr(BlueskyNetwork, "read_profile", read_then_edit)
    third = sync(force=True)
    assert third.problem and "changed in the app while it was being synced" in third.problem
    after = pds.xrpc("GET", "com.atproto.repo.getRecord", params={
        "repo": run.alice.did, "collection": "app.bsky.actor.profile", "rkey": "self"}).json()["value"]
    assert after["displayName"] == "Edited meanwhile"
