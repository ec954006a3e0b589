"""Preview cards on the post pages: each network's look, from the gallery of tests/site_gallery.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from conftest import ContentRepo
from htmltree import Node, parse
from site_gallery import EVERY, IMAGES, POSTS, write_gallery
from sitebuild import build_repo_site

from pipeline.content.workspace import Workspace
from pipeline.render.render import Renderer

NETWORKS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "threads": "Threads", "linkedin": "LinkedIn",
            "facebook": "Facebook Page", "discord": "Discord", "slack": "Slack", "telegram": "Telegram",
            "webhook": "Webhook", "outbox": "Outbox (local files)"}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> ContentRepo:
    repo = ContentRepo(tmp_path_factory.mktemp("gallery"))
    write_gallery(repo)
    build_repo_site(repo.root, now="2026-12-02 08:00")
    return repo


def page(repo: ContentRepo, post: str) -> Node:
    return parse((repo.root / "site" / "calendar" / "posts" / f"{post}.html").read_text(encoding="utf-8"))


def cards(root: Node) -> dict[str, Node]:
    """The cards of a page by channel (a card shared by several channels under each of them)."""
    found = {}
    for card in root.all("article", "sc-card"):
        for channel in card.one(cls="sc-card-for").text().split(", "):
            found[channel] = card
    return found


def test_every_network_has_a_card_of_its_own_look(gallery):
    shown = cards(page(gallery, "every-network")) | cards(page(gallery, "link-card"))
    assert set(shown) == set(NETWORKS)
    for channel, title in NETWORKS.items():
        assert shown[channel].one(cls="sc-card-net").text() == title
    layouts = {channel: card.get("class").split()[1] for channel, card in shown.items()}
    assert layouts["discord"] == layouts["slack"] == layouts["telegram"] == "sc-layout-chat"
    assert layouts["webhook"] == layouts["outbox"] == "sc-layout-data"
    assert {layouts[c] for c in ("mastodon", "bluesky", "x", "threads", "linkedin", "facebook")} == {"sc-layout-post"}
    for channel in ("webhook", "outbox"):  # what the program receives, as JSON
        document = json.loads(shown[channel].one("pre", "sc-json").text())
        assert "spelt & walnut sourdough" in document["text"]
        assert document["media"][0]["alt"].startswith("A round sourdough loaf")


def test_the_account_comes_from_its_profile_or_a_neutral_placeholder(gallery):
    shown = cards(page(gallery, "every-network"))
    mastodon = shown["mastodon"]
    assert mastodon.one(cls="sc-name").text() == "Crumb & Co."
    assert mastodon.one(cls="sc-handle").text() == "@crumbandco@mastodon.example"
    assert mastodon.one("img", "sc-avatar").get("src") == "../media/profile-avatar.png"
    assert shown["linkedin"].one(cls="sc-name").text() == "Crumb & Co. Bakery"
    assert shown["bluesky"].one(cls="sc-handle").text() == "@crumbandco.bsky.social"
    assert not shown["mastodon"].all(cls="sc-noprofile")
    quiet = cards(page(gallery, "no-profile"))
    for channel, name in (("slack", "slack"), ("discord", "Crumb & Co.")):  # Discord's name is its `username`
        card = quiet[channel]
        assert card.one(cls="sc-name").text() == name
        placeholder = card.one("span", "sc-avatar-none")
        assert placeholder.text() == name[0].upper() and placeholder.get("aria-hidden") == "true"
        assert not card.all("img", "sc-avatar")
        assert "no profile file" in card.one(cls="sc-noprofile").text()


def test_links_tags_and_mentions_as_each_network_marks_them(gallery):
    shown = cards(page(gallery, "every-network"))
    mastodon = shown["mastodon"].one(cls="sc-text")
    assert [m.text() for m in mastodon.all(cls="sc-mention")] == ["@hofsonnenfeld"]
    assert [t.text() for t in mastodon.all(cls="sc-tag")] == ["#baking", "#sourdough", "#launch"]
    link = mastodon.one("a")
    assert link.get("href") == "https://crumbandco.example/blog/spelt-walnut-sourdough-recipe"
    assert link.text().startswith("crumbandco.example/blog/") and link.text().endswith("…")  # shortened, no scheme
    assert shown["linkedin"].one(cls="sc-text").one("a").text().startswith("https://")  # LinkedIn shows it whole


def test_bluesky_shows_the_facets_it_sends(gallery):
    """Bluesky's links and tags are the facets of the record, not what the site would find in the text."""
    workspace = Workspace(gallery.root)
    post = next(p for p in workspace.content.posts if p.id == "every-network")
    rendering = Renderer(gallery.root, workspace.config).render(post, workspace.config.channels["bluesky"])
    part = rendering.parts[0]
    data = part.count.text.encode("utf-8")
    sent = [(f.type, data[f.byte_start:f.byte_end].decode("utf-8"), f.value) for f in part.count.facets]
    text = cards(page(gallery, "every-network"))["bluesky"].one(cls="sc-text")
    marked = [("link", a.text(), a.get("href")) for a in text.all("a")]
    marked += [(kind, span.text(), span.text()[1:])
               for kind in ("tag", "mention") for span in text.all(cls=f"sc-{kind}")]
    assert sorted(marked) == sorted(sent)
    assert not text.all(cls="sc-mention"), "@hofsonnenfeld is no handle: Bluesky sends no mention facet for it"


def test_images_in_the_networks_grid_with_their_alt_text(gallery):
    alts = [line.split("alt: ", 1)[1] for line in IMAGES.splitlines() if "alt: " in line]
    shown = cards(page(gallery, "every-network"))
    for channel in ("mastodon", "bluesky", "x", "threads", "linkedin", "facebook", "discord", "telegram"):
        images = shown[channel].one(cls="sc-media").all("img")
        assert [i.get("alt") for i in images] == alts, channel  # for screen readers
        assert [i.get("title") for i in images] == alts, channel  # on hover
    grids = {channel: next(c for c in shown[channel].one(cls="sc-media").classes if c.startswith("sc-grid-"))
             for channel in ("mastodon", "bluesky", "linkedin", "threads", "discord")}
    assert grids == {"mastodon": "sc-grid-mosaic", "bluesky": "sc-grid-mosaic", "linkedin": "sc-grid-feature",
                     "threads": "sc-grid-carousel", "discord": "sc-grid-mosaic"}
    assert shown["mastodon"].one(cls="sc-media").get("style") == "aspect-ratio: 16 / 9"
    assert shown["bluesky"].one(cls="sc-media").get("style") == "aspect-ratio: 3 / 2"
    six = cards(page(gallery, "many-images"))["linkedin"]
    assert six.one(cls="sc-more").text() == "+2" and len(six.all("figure", "sc-beyond")) == 2
    assert len(six.all("img")) == 6 + 1  # every image stays for screen readers; the avatar


def test_the_link_card_comes_from_what_was_stored_never_from_the_page(gallery):
    shown = cards(page(gallery, "link-card"))
    card = shown["mastodon"].one("a", "sc-linkcard")
    assert card.get("href").startswith("https://crumbandco.example/orders")
    assert card.one(cls="sc-linkcard-title").text() == "Christmas orders · Crumb & Co."
    assert card.one(cls="sc-linkcard-desc").text().startswith("Stollen, Lebkuchen")
    assert card.one(cls="sc-linkcard-host").text() == "crumbandco.example"
    assert card.one("img").get("src") == "../media/shop-front-christmas.jpg"  # a copy in content/, not the page's
    for channel in ("mastodon", "bluesky", "x", "threads", "linkedin", "facebook", "discord", "slack", "telegram"):
        assert shown[channel].all("a", "sc-linkcard"), channel
    every = page(gallery, "every-network")
    assert not every.all("a", "sc-linkcard"), "a post with images shows its images, not the link's card"
    sources = [node.get("src") for node in every.all("img") + page(gallery, "link-card").all("img")]
    assert sources and not [s for s in sources if "//" in s]


def test_a_link_without_stored_data_says_how_to_get_it(gallery):
    root = page(gallery, "no-profile")
    card = cards(root)["discord"].one("a", "sc-linkcard")
    assert card.one(cls="sc-linkcard-url").text() == "https://crumbandco.example/ops/oven-service-2026"
    assert "social linkcards" in cards(root)["discord"].one(cls="sc-quiet").text()


def test_a_thread_is_a_connected_chain(gallery):
    shown = cards(page(gallery, "thread"))
    for channel in ("mastodon", "bluesky", "x", "threads"):
        chain = shown[channel].one("ol", "sc-chain")
        parts = chain.all("li", "sc-msg")
        assert len(parts) == 3, channel
        assert [p.all(cls="sc-replying")[0].text() for p in parts[1:]] == [
            "part 2 of 3, a reply to part 1", "part 3 of 3, a reply to part 2"]
        assert "a thread of 3" in shown[channel].one(cls="sc-card-head").text()
    for channel in ("telegram", "slack"):  # a chat groups consecutive messages under one name
        parts = shown[channel].one("ol", "sc-chain").all("li", "sc-msg")
        assert ["sc-cont" in p.classes for p in parts] == [False, True, True]
        assert len(shown[channel].all(cls="sc-who")) == 1


def test_a_long_text_folds_where_the_network_folds_it(gallery):
    body = POSTS["long-text"][2]
    shown = cards(page(gallery, "long-text"))
    for channel, label in (("linkedin", "…see more"), ("facebook", "… See more")):
        text = shown[channel].one(cls="sc-text")
        fold = text.one("details", "sc-fold")
        assert fold.one("summary").text() == label + ": the rest of the text"
        visible = text.text().split(fold.text())[0]
        hidden = fold.text().removeprefix(fold.one("summary").text())
        assert visible.strip() and body.startswith(visible.strip()[:40])
        assert hidden.strip().endswith("during rye week.")
        assert "fold" in shown[channel].one(cls="sc-approx").text()  # not verified: marked approximate
    assert not shown["threads"].all("details", "sc-fold") and not shown["mastodon"].all("details", "sc-fold")


def test_counts_are_shown_for_every_part_and_say_the_limit(gallery):
    for post in POSTS:
        for card in page(gallery, post).all("article", "sc-card"):
            for count in card.all("p", "sc-count"):
                length, limit = count.text().split(" / ")
                assert int(length) <= int(limit.split(":")[0])
                assert "sc-over-count" not in count.classes


def test_channels_sending_the_same_text_share_a_group_with_every_state(gallery):
    root = page(gallery, "every-network")
    groups = root.all("section", "sc-group")
    shared = next(g for g in groups if len(g.one("ul", "sc-states").all("li")) > 1)
    channels = [li.one("a", "sc-channel").text() for li in shared.one("ul", "sc-states").all("li")]
    assert len(channels) > 1 and "sc-group-wide" in shared.classes
    for li in shared.one("ul", "sc-states").all("li"):
        assert li.one(cls="sc-badge").text() == "scheduled"
    carded = [c for card in shared.all("article", "sc-card") for c in card.one(cls="sc-card-for").text().split(", ")]
    assert sorted(carded) == sorted(channels)
    everyone = [c.strip() for c in EVERY.strip("[]").split(",")]
    listed = [li.one("a", "sc-channel").text() for g in groups for li in g.one("ul", "sc-states").all("li")]
    assert sorted(listed) == sorted(everyone)


def test_two_channels_of_one_account_share_one_card(repo):
    repo.write("content/channels.yml", """\
        timezone: Europe/Berlin
        channels:
          mastodon:
            network: mastodon
            instance: https://mastodon.example
            account: crumbandco
            credentials: {token: MASTODON_TOKEN}
          mastodon-again:
            network: mastodon
            instance: https://mastodon.example
            account: crumbandco
            credentials: {token: MASTODON_TOKEN_2}
        """)
    for channel in ("mastodon", "mastodon-again"):
        repo.write(f"content/profiles/{channel}.yml", "display_name: Crumb & Co.\n")
    repo.post("twice", "title: Twice\npublish_at: 2026-12-08 09:15\nchannels: [mastodon, mastodon-again]\n",
              "The same words on the same account.")
    build_repo_site(repo.root)
    root = parse((Path(repo.root) / "site" / "calendar" / "posts" / "twice.html").read_text(encoding="utf-8"))
    card = root.one("article", "sc-card")
    assert card.one(cls="sc-card-for").text() == "mastodon, mastodon-again"
    assert len(root.one("ul", "sc-states").all("li")) == 2


def test_approximate_points_are_marked_where_the_card_shows_them(gallery):
    """An unverified point (the images' box, the fold, how links are cut) is noted on a card that
    shows that, and only there."""
    def notes(post: str, channel: str) -> str:
        return " ".join(p.text() for p in cards(page(gallery, post))[channel].all(cls="sc-approx"))
    assert "images' box" in notes("every-network", "bluesky")
    assert "links shown" in notes("every-network", "x")
    assert "16:9" in notes("every-network", "discord")
    assert "fold" in notes("long-text", "linkedin")
    assert notes("thread", "bluesky") == notes("thread", "x") == ""  # no images, no links
    assert notes("no-profile", "discord") == ""
