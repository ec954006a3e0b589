"""One problem in a post file never hides the others: every check that can run, runs.

A missing alt text used to hide a post's length and cadence errors, and a wrong
`status:` an invalid id, until they were fixed: a second review round for what one
run could have said. Now a check is left out only where it needs a value that cannot
be read, and a notice says which checks were left out and why.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.workspace import Workspace
from pipeline.publish.service import publish
from pipeline.state.ledger import Entry, Ledger
from pipeline.times import parse_now

NOW = "2026-12-01 08:00"
LONG = ("Our winter stollen is back: butter, almonds, candied peel and a long rest in the cold. "
        * 5)[:358].strip()


def validate(repo, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--format", "json", "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.output)


def codes(report: dict, file: str | None = None) -> list[str]:
    return sorted(f["code"] for level in ("errors", "warnings") for f in report[level]
                  if file is None or f["file"].endswith(file))


def notices(report: dict, file: str) -> list[str]:
    return [f["message"] for f in report["notices"] if f["file"].endswith(file) and f["code"] == "not-checked"]


def with_image(repo) -> None:
    from PIL import Image

    (repo.root / "content/media").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (80, 60), "wheat").save(repo.root / "content/media/stollen.jpg")


def test_a_missing_alt_text_hides_neither_length_nor_cadence(repo):
    with_image(repo)
    repo.post("first", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="First post.")
    repo.post("second", "publish_at: 2026-12-10 10:05\nchannels: [bluesky]\nthread: off\n"
                        "media:\n  - path: media/stollen.jpg", body=LONG)
    report = validate(repo)
    assert codes(report, "second.md") == ["cadence-min-gap", "media-no-alt", "too-long"]
    assert notices(report, "second.md") == []


def test_a_wrong_status_hides_no_invalid_id_and_no_other_check(repo):
    repo.write("content/posts/2026/12/Winter Offer.md",
               "---\nstatus: Ready\npublish_at: 2026-12-10 10:00\nchannels: [bluesky, myspace]\nthread: off\n"
               "link: example.com/offer\n---\n" + LONG + "\n")
    report = validate(repo)
    assert codes(report, "Winter Offer.md") == ["channel-unknown", "id-invalid", "link-invalid", "too-long",
                                                "wrong-type"]
    # cadence needs the status (a draft does not count): left out, and said so
    [notice] = notices(report, "Winter Offer.md")
    assert "status" in notice and "cadence" in notice and "rendering" not in notice


def test_an_unknown_key_hides_nothing_and_one_that_looks_misspelt_stands_for_the_key_it_meant(repo):
    repo.post("first", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="First post.")
    repo.post("noted", "publish_at: 2026-12-10 10:05\nchannels: [bluesky]\nthread: off\nreviewer: anna", body=LONG)
    repo.post("typo", "publsh_at: 2026-12-11 10:00\nchannels: [bluesky]\nthread: off", body=LONG)
    report = validate(repo)
    assert codes(report, "noted.md") == ["cadence-min-gap", "too-long", "unknown-key"]
    assert notices(report, "noted.md") == []
    # publsh_at: meant publish_at, so the post has no readable time: no "no-schedule" error, no cadence
    assert codes(report, "typo.md") == ["too-long", "unknown-key"]
    [notice] = notices(report, "typo.md")
    assert "publish_at" in notice and "cadence" in notice


def test_an_unreadable_time_leaves_out_only_what_needs_the_time(repo):
    repo.post("noon", "publish_at: 12:30\nchannels: [bluesky]\nthread: off", body=LONG)
    report = validate(repo)
    assert codes(report, "noon.md") == ["publish-at-time-only", "too-long"]
    [notice] = notices(report, "noon.md")
    assert notice.startswith("not checked until publish_at can be read: cadence")
    line = next(f for f in report["notices"] if f["file"].endswith("noon.md"))["line"]
    assert line == 2


def test_an_unreadable_thread_setting_leaves_out_rendering_but_not_cadence(repo):
    repo.post("first", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="First post.")
    repo.post("second", "publish_at: 2026-12-10 10:05\nchannels: [bluesky]\nthread: maybe", body=LONG)
    report = validate(repo)
    assert codes(report, "second.md") == ["cadence-min-gap", "wrong-type"]
    [notice] = notices(report, "second.md")
    assert "thread" in notice and "rendering" in notice and "cadence" not in notice


def test_the_checks_of_a_post_with_a_schema_error_still_run(repo):
    repo.post("busy", "status: Ready\npublish_at: 2026-12-10 10:00\nchannels: [mastodon, mastodon]\n"
                      "reply_to: not a url\nrepost: https://example.social/@a/1\n"
                      "media:\n  - path: media/none.jpg\n    alt: Nothing", body="Words of our own.")
    assert codes(validate(repo), "busy.md") == [
        "channel-repeated", "engagement-conflict", "engagement-url-invalid", "media-missing",
        "repost-with-text", "wrong-type"]


def test_an_id_shared_with_a_post_that_has_a_schema_error_is_still_a_duplicate(repo):
    repo.post("a", "id: launch\npublish_at: 2026-12-10 10:00\nchannels: [bluesky]\nstatus: Ready", body="One.")
    repo.post("b", "id: launch\npublish_at: 2026-12-11 10:00\nchannels: [bluesky]", body="Two.")
    assert codes(validate(repo), "b.md") == ["id-duplicate"]


def test_a_file_whose_front_matter_cannot_be_read_says_nothing_else_was_checked(repo):
    repo.write("content/posts/2026/12/broken.md", "---\nchannels: [bluesky\n---\nHi.\n")
    report = validate(repo)
    assert codes(report, "broken.md") == ["yaml-syntax"]
    [notice] = notices(report, "broken.md")
    assert "the front matter can be read" in notice and "rendering" in notice


def test_a_post_read_in_part_is_never_published_listed_or_retracted(repo):
    repo.write("content/channels.yml", "timezone: Europe/Berlin\nchannels:\n  notes:\n    network: outbox\n")
    (repo.root / "state").mkdir()
    Ledger(repo.root).append(Entry("offer", "notes", 1, "published", "2026-11-30T09:00:00Z", remote_id="x"))
    # Its id cannot be read, so it falls back to the file name: that of a published post.
    repo.post("offer", "id: Offer!\nstatus: retracted\npublish_at: 2026-11-30 10:00\nchannels: [notes]")
    repo.post("due", "status: Ready\npublish_at: 2026-12-01 09:00\nchannels: [notes]", body="Due now.")
    workspace = Workspace(repo.root)
    assert workspace.content.posts == []
    assert sorted(post.file.rsplit("/", 1)[-1] for post in workspace.content.partial) == ["due.md", "offer.md"]
    moment = parse_now("2026-12-01 10:00", workspace.zone)
    report = publish(repo.root, now_text="2026-12-01 10:00", env={}, sleep=lambda s: None, clock=lambda: moment)
    assert report.result.outcomes == []
    assert [e.state for e in Ledger(repo.root).latest()] == ["published"]


def test_a_key_written_twice_leaves_out_that_key_only(repo):
    with_image(repo)
    repo.post("first", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="First post.")
    repo.post("twice", "publish_at: 2026-12-10 10:05\nchannels: [bluesky]\nthread: off\nthread: auto\n"
                       "media:\n  - path: media/stollen.jpg", body=LONG)
    repo.post("nested", "publish_at: 2026-12-12 10:00\nchannels: [bluesky]\noverrides:\n  bluesky: {text: a, text: b}")
    report = validate(repo)
    assert codes(report, "twice.md") == ["cadence-min-gap", "duplicate-key", "media-no-alt"]
    assert notices(report, "twice.md") == ["not checked until thread can be read: rendering and length"]
    assert codes(report, "nested.md") == ["duplicate-key"]
    assert notices(report, "nested.md") == [
        "not checked until overrides can be read: rendering and length, cadence, the same text nearby"]


def test_a_notice_follows_the_error_that_explains_it_and_names_the_reading_checks_left_out(repo):
    repo.post("list", "publish_at: 2026-12-10 10:00\nchannels: bluesky\n"
                      "media:\n  - path: media/none.jpg\n    alt: [a, b]", body="Hi.")
    result = CliRunner().invoke(cli, ["validate", "--root", str(repo.root), "--now", NOW])
    lines = [line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("content/")]
    assert lines == [
        "error[wrong-type]: channels must be a list, e.g. channels: [bluesky]",
        "notice[not-checked]: not checked until channels and media can be read: rendering and length",
        "notice[not-checked]: not checked until channels can be read: cadence, the same text nearby, whether its "
        "time has passed, its channels against channels.yml",
        "error[wrong-type]: media[0].alt must be text, not a list",
        "notice[not-checked]: not checked until media can be read: its images and their alt text",
    ]


def test_a_missing_image_still_counts_against_the_number_of_images_a_network_takes(repo):
    with_image(repo)
    images = "".join(f"  - {{path: media/{name}, alt: A loaf}}\n"
                     for name in ["stollen.jpg"] * 4 + ["missing.jpg"])
    repo.post("many", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]\nmedia:\n" + images.rstrip("\n"))
    assert codes(validate(repo), "many.md") == ["media-missing", "media-too-many"]


def test_a_text_that_cannot_be_split_hides_no_image_problem(repo):
    with_image(repo)
    path = repo.root / "content/channels.yml"
    path.write_text(path.read_text().replace("    handle: bakery.bsky.social\n",
                                             "    handle: bakery.bsky.social\n    threads: false\n"))
    images = "".join("  - {path: media/stollen.jpg, alt: A loaf}\n" for _ in range(5))
    repo.post("parts", "publish_at: 2026-12-10 10:00\nchannels: [bluesky]\nmedia:\n" + images.rstrip("\n"),
              body="One.\n---\nTwo.")
    assert codes(validate(repo), "parts.md") == ["media-too-many", "thread-unsupported"]


def test_a_post_whose_id_is_in_doubt_is_left_out_of_what_counts_by_id_and_told_so(repo):
    repo.post("a", "id: launch\npublish_at: 2026-12-10 10:00\nchannels: [bluesky]", body="One.")
    repo.post("b", "id: launch\npublish_at: 2026-12-10 10:05\nchannels: [bluesky]", body="Two.")
    report = validate(repo)
    assert codes(report, "b.md") == ["id-duplicate"]  # no cadence finding about two posts under one id
    assert notices(report, "b.md") == [
        "not checked until its id is settled (see the error about it): cadence, the same text nearby, "
        "whether its time has passed"]
