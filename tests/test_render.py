"""Rendering posts for channels: templates, text, links, threads, limits and media rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from pipeline.content.load import load_content
from pipeline.render.render import Renderer
from pipeline.validation.rendering import render_findings

X_AND_TELEGRAM = """\
  x:
    network: x
    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}
  telegram:
    network: telegram
    chat_id: "@crumbandco"
    credentials: {bot_token: TELEGRAM_BOT_TOKEN}
  discord:
    network: discord
    credentials: {webhook_url: DISCORD_WEBHOOK}
"""


def rendered(repo, post_id, channel_id):
    content = load_content(repo.root)
    # Every registered network renders and counts, whether or not it can publish yet.
    assert not [f for f in content.findings if f.code != "network-cannot-publish"], content.findings
    renderer = Renderer(content.root, content.config)
    return renderer.render(content.post(post_id), content.config.channels[channel_id])


def codes(findings):
    return sorted((f.code, f.line) for f in findings)


def test_link_gets_utm_per_channel_and_tags_become_hashtags(repo):
    repo.post("launch", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]\ntags: [launch, cake]\n"
              "link: https://shop.example/cakes?ref=1")
    result = rendered(repo, "launch", "mastodon")
    assert result.parts[0].text == (
        "Fresh bread today.\n\nhttps://shop.example/cakes?ref=1&utm_source=mastodon&utm_medium=social"
        "&utm_campaign=launch\n\n#launch #cake")


def test_channel_can_turn_off_hashtags_and_utm(repo):
    channels = (repo.root / "content/channels.yml").read_text().replace(
        "    credentials: {token: MASTODON_TOKEN}",
        "    credentials: {token: MASTODON_TOKEN}\n    hashtags: false\n    utm: false")
    repo.write("content/channels.yml", channels)
    repo.post("launch", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]\ntags: [launch]\n"
              "link: https://shop.example/cakes")
    assert rendered(repo, "launch", "mastodon").parts[0].text == (
        "Fresh bread today.\n\nhttps://shop.example/cakes")


def test_override_replaces_the_text_for_one_channel(repo):
    repo.post("o", "publish_at: 2026-12-02 09:00\nchannels: [mastodon, bluesky]\n"
              "overrides:\n  bluesky:\n    text: Short for Bluesky.", body="The **long** text.")
    assert rendered(repo, "o", "bluesky").parts[0].text == "Short for Bluesky."
    assert rendered(repo, "o", "mastodon").parts[0].text == "The long text."


def test_explicit_thread_parts_and_bluesky_facets(repo):
    repo.post("t", "publish_at: 2026-12-02 09:00\nchannels: [bluesky]\ntags: [bread]",
              body="First, see bakery.com/a-very-long-path/that-goes-on-and-on.\n\n---\n\nSecond.")
    parts = rendered(repo, "t", "bluesky").parts
    assert [p.number for p in parts] == [1, 2]
    first = parts[0]
    link = next(f for f in first.count.facets if f.type == "link")
    assert link.value == "https://bakery.com/a-very-long-path/that-goes-on-and-on"
    shown = first.text.encode()[link.byte_start:link.byte_end].decode()
    assert shown.startswith("bakery.com/") and shown.endswith("...")
    tag = next(f for f in first.count.facets if f.type == "tag")
    assert first.text.encode()[tag.byte_start:tag.byte_end].decode() == "#bread"
    assert parts[1].text == "Second."


def test_auto_thread_splits_long_text_and_numbers_parts(repo):
    channels = (repo.root / "content/channels.yml").read_text().replace(
        "    handle: bakery.bsky.social", "    handle: bakery.bsky.social\n    thread_numbering: true")
    repo.write("content/channels.yml", channels)
    body = " ".join(f"Sentence {i} tells the story of our bread and its slow rise." for i in range(12))
    repo.post("long", "publish_at: 2026-12-02 09:00\nchannels: [bluesky]", body=body)
    result = rendered(repo, "long", "bluesky")
    assert result.ok, result.findings
    total = len(result.parts)
    assert total >= 3
    for part in result.parts:
        assert part.count.length <= 300
        assert part.text.endswith(f"{part.number}/{total}")


def test_thread_off_reports_how_much_too_long(repo):
    body = "word " * 70
    repo.post("long", "publish_at: 2026-12-02 09:00\nchannels: [bluesky]\nthread: off", body=body.strip())
    result = rendered(repo, "long", "bluesky")
    assert codes(result.findings) == [("too-long", 6)]
    assert "too long for bluesky: 349 of 300 (49 over)" in result.findings[0].message


def test_linkedin_rejects_threads_and_overlong_text(repo):
    repo.post("t", "publish_at: 2026-12-02 09:00\nchannels: [linkedin]", body="One.\n---\nTwo.")
    result = rendered(repo, "t", "linkedin")
    assert codes(result.findings) == [("thread-unsupported", 6)]
    repo.post("long", "publish_at: 2026-12-03 09:00\nchannels: [linkedin]", body="(x) " * 800)
    result = rendered(repo, "long", "linkedin")
    assert result.findings[0].code == "too-long"
    assert "of 3000" in result.findings[0].message


def test_x_counts_with_twitter_text_and_telegram_caption_limit(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text() + X_AND_TELEGRAM)
    make_image(repo.root / "content/media/a.png", (400, 300))
    repo.post("x", "publish_at: 2026-12-02 09:00\nchannels: [x, telegram]\nthread: off\n"
              "media:\n  - path: media/a.png\n    alt: A loaf", body="é" * 290)
    x = rendered(repo, "x", "x")
    assert "290 of 280 (10 over)" in x.findings[0].message
    telegram = rendered(repo, "x", "telegram")
    assert telegram.parts[0].count.limit == 1024 and telegram.parts[0].count.ok
    # Telegram has no alt text: the description goes into the caption, and counts there.
    assert telegram.parts[0].text == "é" * 290 + "\n\nImage: A loaf"
    assert telegram.parts[0].count.length == 290 + 2 + len("Image: A loaf")
    assert codes(telegram.findings) == []


def test_a_telegram_template_that_drops_the_description_is_refused_at_the_alt_text(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text() + X_AND_TELEGRAM)
    make_image(repo.root / "content/media/a.png", (400, 300))
    make_image(repo.root / "content/media/b.png", (400, 300))
    repo.post("x", "publish_at: 2026-12-02 09:00\nchannels: [telegram]\nmedia:\n  - path: media/a.png\n"
              "    alt: A loaf\n  - path: media/b.png\n    alt: Two loaves", body="Bread.")
    assert rendered(repo, "x", "telegram").parts[0].text == "Bread.\n\nImage: A loaf\nImage: Two loaves"
    repo.write("templates/telegram.j2", "{{ text }}\n{% if first %}{{ images[0] }}{% endif %}")
    result = rendered(repo, "x", "telegram")
    assert codes(result.findings) == [("alt-unsupported", 8)]
    assert "media/b.png" in result.findings[0].message and "caption" in result.findings[0].message


def test_discord_keeps_markdown_and_shows_the_title(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text() + X_AND_TELEGRAM)
    repo.post("d", "title: Stollen day\npublish_at: 2026-12-02 09:00\nchannels: [discord]",
              body="It is **here**: [order](https://shop.example/o).")
    assert rendered(repo, "d", "discord").parts[0].text == (
        "**Stollen day**\n\nIt is **here**: [order](https://shop.example/o).")


def make_image(path: Path, size, fmt="PNG", noise=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (200, 150, 100))
    if noise:
        image = Image.effect_noise(size, 100).convert("RGB")
    image.save(path, fmt)


def test_media_rules_per_network(repo):
    for index in range(5):
        make_image(repo.root / f"content/media/p{index}.png", (64, 64))
    make_image(repo.root / "content/media/big.png", (1200, 1200), noise=True)
    items = "".join(f"  - path: media/p{i}.png\n    alt: Picture {i}\n" for i in range(5))
    repo.post("many", "publish_at: 2026-12-02 09:00\nchannels: [bluesky, linkedin]\nmedia:\n" + items)
    content = load_content(repo.root)
    findings = render_findings(content)
    assert [(f.code, f.message.split(":")[0]) for f in findings] == [
        ("media-too-many", "bluesky (bluesky) takes at most 4; the post has 5")]
    repo.post("big", "publish_at: 2026-12-05 09:00\nchannels: [bluesky]\nmedia:\n"
              "  - path: media/big.png\n    alt: Noise\n", month="2026/12")
    findings = [f for f in render_findings(load_content(repo.root)) if f.file.endswith("big.md")]
    assert [f.code for f in findings] == ["media-too-large"]
    assert findings[0].line == 5
    assert "at most 1,000,000" in findings[0].message


def test_drafts_get_warnings_not_errors(repo):
    repo.post("d", "status: draft\nchannels: [bluesky]\nthread: off", body="word " * 80)
    findings = render_findings(load_content(repo.root))
    assert [(f.level, f.code) for f in findings] == [("warning", "too-long")]
    assert findings[0].message.startswith("draft: ")


@pytest.mark.parametrize(
    ("template", "code", "line", "words"),
    [
        ("{{ text }}\n{% if %}", "template-syntax", 2, "syntax error"),
        ("{{ text }}\n\n{{ tittle }}", "template-undefined", 3, "'tittle' is undefined"),
        ("{{ text.__class__.__mro__ }}", "template-unsafe", 1, "internals"),
        ("{% for i in range(99999) %}{{ 'x' * 99 }}{% endfor %}", "template-too-long", 1, "longer than"),
    ],
)
def test_template_problems_are_reported_once_with_their_line(repo, template, code, line, words):
    repo.write("templates/mastodon.j2", template)
    repo.post("a", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]")
    repo.post("b", "publish_at: 2026-12-03 09:00\nchannels: [mastodon]")
    findings = render_findings(load_content(repo.root))
    assert [(f.file, f.code, f.line) for f in findings] == [("templates/mastodon.j2", code, line)]
    assert words in findings[0].message


def test_channel_template_override(repo):
    channels = (repo.root / "content/channels.yml").read_text().replace(
        "    network: outbox", "    network: outbox\n    template: plain.j2")
    repo.write("content/channels.yml", channels)
    repo.write("templates/plain.j2", "[{{ channel }}] {{ title }}: {{ text }}")
    repo.post("a", "title: Hello\npublish_at: 2026-12-02 09:00\nchannels: [outbox]")
    assert rendered(repo, "a", "outbox").parts[0].text == "[outbox] Hello: Fresh bread today."


def test_render_and_count_commands(repo):
    from click.testing import CliRunner

    from pipeline.cli import cli

    repo.post("t", "publish_at: 2026-12-02 09:00\nchannels: [bluesky, mastodon]\ntags: [bread]",
              body="One.\n\n---\n\nTwo.")
    result = CliRunner().invoke(cli, ["render", "t", "--channel", "bluesky", "--root", str(repo.root)])
    assert result.exit_code == 0, result.output
    assert "-- part 1/2: 12 of 300 ok\nOne.\n\n#bread" in result.output
    assert "facet tag bytes 6-12 '#bread' -> bread" in result.output
    data = json.loads(CliRunner().invoke(cli, ["render", "t", "--format", "json", "--root", str(repo.root)]).output)
    assert [r["channel"] for r in data["renderings"]] == ["bluesky", "mastodon"]
    assert data["renderings"][0]["parts"][0]["facets"] == [
        {"byteStart": 6, "byteEnd": 12, "type": "tag", "value": "bread"}]
    counted = CliRunner().invoke(cli, ["count", "--network", "x", "--format", "json", "é" * 290])
    assert counted.exit_code == 1
    assert json.loads(counted.output)["length"] == 290
    unknown = CliRunner().invoke(cli, ["count", "--network", "myspace", "hi"])
    assert unknown.exit_code == 2 and "'myspace' is not one of 'bluesky'" in unknown.output


THREADS = """\
  threads:
    network: threads
    credentials: {token: THREADS_TOKEN}
  threads-site:
    network: threads
    credentials: {token: THREADS_TOKEN}
    media_base_url: https://crumbandco.github.io/social/calendar/media/
"""


def test_threads_makes_one_topic_tag_so_only_the_first_tag_is_appended(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text() + THREADS)
    repo.post("tags", "publish_at: 2026-12-02 09:00\nchannels: [threads, mastodon]\ntags: [stollen, baking]")
    assert rendered(repo, "tags", "threads").parts[0].text == "Fresh bread today.\n\n#stollen"
    assert rendered(repo, "tags", "mastodon").parts[0].text.endswith("#stollen #baking")


def test_threads_images_need_the_public_address_of_content_media(repo):
    repo.write("content/channels.yml", (repo.root / "content/channels.yml").read_text() + THREADS)
    make_image(repo.root / "content/media/loaf.png", (64, 64))
    make_image(repo.root / "content/photos/roll.png", (64, 64))
    repo.post("loaf", "publish_at: 2026-12-02 09:00\nchannels: [threads, threads-site]\nmedia:\n"
              "  - path: media/loaf.png\n    alt: A loaf\n  - path: photos/roll.png\n    alt: A roll\n")
    findings = sorted(render_findings(load_content(repo.root)), key=lambda f: (f.message, f.line))
    assert [(f.code, f.line, f.message.split(":")[0]) for f in findings] == [
        ("media-url-unknown", 5, "threads (threads)"),
        ("media-url-unknown", 7, "threads (threads)"),
        ("media-url-unknown", 7, "threads-site (threads)"),
    ]
    assert "set media_base_url" in findings[0].message and "content/media/" in findings[0].message
    assert "move it into content/media/" in findings[1].message and findings[2].message


@pytest.mark.parametrize("numbering", [False, True])
@pytest.mark.parametrize("written", [1, 3])
def test_an_automatic_thread_renders_and_counts_each_candidate_once(repo, monkeypatch, numbering, written):
    """A text split into a thread is measured once per candidate part and numbering, not again when
    the count of parts changes the numbering (or does not change it)."""
    if numbering:
        channels = (repo.root / "content/channels.yml").read_text().replace(
            "    handle: bakery.bsky.social", "    handle: bakery.bsky.social\n    thread_numbering: true")
        repo.write("content/channels.yml", channels)
    part = " ".join(f"Sentence {i} tells the story of our bread and its slow rise." for i in range(12))
    repo.post("long", "publish_at: 2026-12-02 09:00\nchannels: [bluesky]", body="\n\n---\n\n".join([part] * written))
    from pipeline.networks.bluesky import BlueskyNetwork
    from pipeline.render.templates import Templates

    rendered_contexts, counted = [], []
    render, count = Templates.render, BlueskyNetwork.count.__func__

    def counting_render(self, name, context):
        rendered_contexts.append((context["text"], context["part"], context["parts"]))
        return render(self, name, context)

    def counting_count(cls, text, **options):
        counted.append(text)
        return count(cls, text, **options)

    monkeypatch.setattr(Templates, "render", counting_render)
    monkeypatch.setattr(BlueskyNetwork, "count", classmethod(counting_count))
    result = rendered(repo, "long", "bluesky")
    assert result.ok and len(result.parts) >= 3 * written
    assert len(rendered_contexts) == len(set(rendered_contexts))
    assert len(counted) == len(set(counted))
    # a piece of a split text is only ever measured as one of more parts than were written
    assert all(total > written for text, _, total in rendered_contexts if text != part)
