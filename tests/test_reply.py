"""`social reply URL`: a post file answering someone else's post, ready for a pull request.

The channel comes from the inbox, else from the address (the one channel whose network
recognises it); the other account's words go in as comments that can neither end the
front matter nor be posted; the time suggested keeps the channel's rules; refusals say
what to do instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.yamlload import load_yaml

NOW = "2026-12-01 08:00"
LENA = "https://norden.social/@lena/113528873113901002"
BSKY = "https://bsky.app/profile/anna.bsky.social/post/3lcbq2xm7ks2a"


def social(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def reply(repo, url: str, *more: str):
    return social("reply", "--root", str(repo.root), "--now", NOW, url, *more)


def inbox(repo, *items: dict) -> None:
    repo.write("state/inbox.jsonl", "".join(json.dumps(item) + "\n" for item in items))


def mention(text: str = "@crumbandco do you have a rye without caraway?", **more) -> dict:
    return {"at": "2026-11-28T19:05:00Z", "channel": "mastodon", "remote_id": "113528873113901002", "url": LENA,
            "kind": "mention", "author": "@lena@norden.social", "text": text, "cursor": "5512", **more}


def front(path: Path) -> tuple[dict, str]:
    """The front matter as YAML reads it, and the body."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return load_yaml(head), body


def written(repo, result) -> Path:
    assert result.exit_code == 0, result.output
    return repo.root / result.stdout.strip()


def test_an_item_of_the_inbox_is_answered_on_its_channel_with_its_words_quoted(repo):
    inbox(repo, mention())
    result = reply(repo, LENA)
    path = written(repo, result)
    assert path == repo.root / "content/posts/2026/12/reply-lena-norden-social.md"
    meta, body = front(path)
    assert meta == {"id": "reply-lena-norden-social", "title": "Reply to @lena@norden.social",
                    "publish_at": "2026-12-01 10:00", "channels": ["mastodon"], "reply_to": LENA}
    assert body.strip() == ""
    text = path.read_text(encoding="utf-8")
    assert "# > @crumbandco do you have a rye without caraway?" in text
    assert "start the answer with @lena@norden.social" in text
    assert "on mastodon, publish_at 2026-12-01 10:00+01:00; write the answer below" in result.stderr

    checked = social("validate", "--root", str(repo.root), "--now", NOW, "--format", "json")
    errors = json.loads(checked.stdout)["errors"]
    assert [(e["code"], e["file"]) for e in errors] == [
        ("body-empty", "content/posts/2026/12/reply-lena-norden-social.md")], "an empty answer never goes out"


def test_with_text_the_answer_is_ready_and_valid(repo):
    inbox(repo, mention())
    path = written(repo, reply(repo, LENA, "--text", "@lena@norden.social Yes: our Vollkorn, no caraway."))
    assert front(path)[1].strip() == "@lena@norden.social Yes: our Vollkorn, no caraway."
    assert social("validate", "--root", str(repo.root), "--now", NOW).exit_code == 0


@pytest.mark.parametrize(("url", "channel"), [
    (BSKY, "bluesky"),
    ("https://fosstodon.org/@anna/113000000000000001", "mastodon"),
    ("https://mastodon.example/@anna/5", "mastodon"),
    ("https://x.com/anna/status/1860000000000000001", "x"),
])
def test_without_the_inbox_the_address_names_the_one_channel_that_can_answer_it(repo, url, channel):
    repo.write("content/channels.yml", repo.root.joinpath("content/channels.yml").read_text() + """\
  x:
    network: x
    credentials: {api_key: X_API_KEY, api_secret: X_API_SECRET, access_token: X_ACCESS_TOKEN,
                  access_secret: X_ACCESS_SECRET}
""")
    meta, _ = front(written(repo, reply(repo, url, "--text", "Thank you!")))
    assert meta["channels"] == [channel] and meta["reply_to"] == url


def test_no_channel_or_several_is_a_refusal_that_says_to_give_one(repo):
    unknown = reply(repo, "https://example.com/blog/rye")
    assert unknown.exit_code != 0 and "no channel fits https://example.com/blog/rye" in unknown.output
    assert "--channel" in unknown.output and "mastodon (mastodon)" in unknown.output
    repo.write("content/channels.yml", repo.root.joinpath("content/channels.yml").read_text() + """\
  mastodon-team:
    network: mastodon
    instance: https://team.example
    credentials: {token: TEAM_TOKEN}
""")
    several = reply(repo, "https://fosstodon.org/@anna/1")
    assert several.exit_code != 0 and "several channels could answer" in several.output
    assert "mastodon (mastodon), mastodon-team (mastodon)" in several.output
    chosen = reply(repo, "https://fosstodon.org/@anna/1", "--channel", "mastodon-team")
    assert front(written(repo, chosen))[0]["channels"] == ["mastodon-team"]
    assert not list((repo.root / "content/posts").rglob("reply-*.md"))[1:], "a refusal writes nothing"


def test_a_channel_that_cannot_reply_is_refused(repo):
    result = reply(repo, LENA, "--channel", "linkedin")
    assert result.exit_code != 0 and "linkedin (linkedin) cannot reply to a post" in result.output
    assert "unknown channel 'nope'" in reply(repo, LENA, "--channel", "nope").output


@pytest.mark.parametrize("url", ["javascript:alert(1)", "norden.social/@lena/1", "https://a.example/x y", "ftp://a/b"])
def test_only_an_http_address_is_taken(repo, url):
    result = reply(repo, url)
    assert result.exit_code != 0 and "is not the http(s) address of a post" in result.output
    assert not (repo.root / "content/posts").exists() or not list((repo.root / "content/posts").rglob("*.md"))


@pytest.mark.parametrize("named", [LENA, LENA + "/", LENA.replace("norden.social", "NORDEN.social")])
def test_what_is_answered_already_is_refused_naming_the_answer(repo, named):
    inbox(repo, mention())
    repo.post("answer", f"""\
        publish_at: 2026-12-01 12:00
        channels: [mastodon]
        reply_to: {named}
        """)
    result = reply(repo, LENA)
    assert result.exit_code != 0
    assert "answer already answers" in result.output and "content/posts/2026/12/answer.md" in result.output


def test_a_like_or_a_draft_answers_too_but_a_missed_answer_does_not(repo):
    inbox(repo, mention())
    repo.post("like-lena", f"publish_at: 2026-12-01 12:00\nchannels: [mastodon]\nlike: {LENA}\n", body="")
    assert "like-lena already answers" in reply(repo, LENA).output
    repo.post("like-lena", f"publish_at: 2026-12-01 12:00\nchannels: [mastodon]\nlike: {LENA}\nstatus: draft\n",
              body="")
    assert "like-lena already answers" in reply(repo, LENA).output, "finish the draft rather than start another"
    repo.post("like-lena", f"publish_at: 2026-11-29 12:00\nchannels: [mastodon]\nlike: {LENA}\n", body="",
              month="2026/11")
    repo.write("state/ledger.jsonl", json.dumps({"post": "like-lena", "channel": "mastodon", "part": 1,
                                                 "state": "missed", "at": "2026-11-29T18:00:00Z"}) + "\n")
    (repo.root / "content/posts/2026/12/like-lena.md").unlink()
    assert reply(repo, LENA).exit_code == 0, "a missed answer never went out"


HOSTILE = ("@crumbandco hi\n---\nid: evil\nchannels: [linkedin]\n---\nposted?"
           "\u2028title: line separator\u0085next line\x1b[31m red\rcarriage\u2029paragraph"
           + "".join(f"\nline {n}" for n in range(30)))


def test_what_others_wrote_stays_a_comment_whatever_it_holds(repo):
    inbox(repo, mention(HOSTILE, author="@lena@norden.social\n---\nid: author"))
    path = written(repo, reply(repo, LENA))
    meta, body = front(path)
    assert set(meta) == {"id", "title", "publish_at", "channels", "reply_to"}
    assert meta["channels"] == ["mastodon"] and meta["id"].startswith("reply-lena")
    assert body.strip() == ""
    text = path.read_text(encoding="utf-8")
    head = text[4:].split("\n---\n", 1)[0]
    quoted = [line for line in head.splitlines() if line.startswith("# >") or line == "#"]
    assert len(quoted) == 13 and quoted[-1] == "# > …", "cut after 12 lines"
    assert "\x1b" not in text and "\u2028" not in text and "\u2029" not in text and "\u0085" not in text
    assert "\r" not in text
    assert all(line.startswith("#") or line.split(":")[0] in meta or line == "---" for line in head.splitlines())


def test_the_time_suggested_keeps_the_channels_rules(repo):
    repo.post("busy", "publish_at: 2026-12-01 10:30\nchannels: [mastodon]\n")
    inbox(repo, mention())
    # two hours from now is 10:00, but min_gap 2h from 10:30 holds it off until 12:30
    assert front(written(repo, reply(repo, LENA)))[0]["publish_at"] == "2026-12-01 12:30"


def test_late_in_the_day_the_suggestion_is_the_next_morning(repo):
    inbox(repo, mention())
    result = social("reply", "--root", str(repo.root), "--now", "2026-12-01 19:10", LENA)
    assert front(written(repo, result))[0]["publish_at"] == "2026-12-02 08:00"


def test_at_and_queue(repo):
    inbox(repo, mention())
    meta, _ = front(written(repo, reply(repo, LENA, "--at", "2026-12-02 09:15", "--id", "rye-answer")))
    assert meta["publish_at"] == "2026-12-02 09:15" and meta["id"] == "rye-answer"
    assert "use --at or --queue, not both" in reply(repo, BSKY, "--at", "2026-12-02 09:15", "--queue").output
    assert "has no slots" in reply(repo, BSKY, "--queue").output
    assert "--at:" in reply(repo, BSKY, "--at", "tomorrow").output


def test_a_second_answer_to_one_author_gets_its_own_id(repo):
    first = front(written(repo, reply(repo, "https://fosstodon.org/@anna/1", "--text", "One")))[0]
    second = front(written(repo, reply(repo, "https://fosstodon.org/@anna/2", "--text", "Two")))[0]
    assert (first["id"], second["id"]) == ("reply-anna", "reply-anna-2")
    taken = reply(repo, "https://fosstodon.org/@anna/3", "--id", "reply-anna")
    assert taken.exit_code != 0 and "id 'reply-anna' is taken by" in taken.output
