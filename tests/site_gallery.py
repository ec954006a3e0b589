"""A repository with a channel on every network, for the preview cards: images, a link card, a thread,
long text, many images, and channels without a profile file."""

from __future__ import annotations

import json
import shutil
import textwrap

from sitebuild import REPO

CHANNELS = """\
timezone: Europe/Berlin
channels:
  mastodon:
    network: mastodon
    instance: https://mastodon.example
    account: crumbandco
    credentials: {token: MASTODON_TOKEN}
  bluesky:
    network: bluesky
    handle: crumbandco.bsky.social
    credentials: {password: BLUESKY_APP_PASSWORD}
  x:
    network: x
    username: crumbandco
    credentials: {api_key: XK, api_secret: XS, access_token: XT, access_secret: XA}
  threads:
    network: threads
    media_base_url: https://calendar.example/calendar/media/
    credentials: {token: THREADS_TOKEN}
  linkedin:
    network: linkedin
    author: "urn:li:organization:42"
    credentials: {token: LINKEDIN_TOKEN}
  facebook:
    network: facebook
    page_id: "1234567890"
    credentials: {token: FACEBOOK_TOKEN}
  discord:
    network: discord
    username: Crumb & Co.
    credentials: {webhook_url: DISCORD_WEBHOOK}
  slack:
    network: slack
    channel: C0123456789
    credentials: {token: SLACK_TOKEN}
  telegram:
    network: telegram
    chat_id: "@crumbandco"
    credentials: {bot_token: TELEGRAM_BOT_TOKEN}
  webhook:
    network: webhook
    credentials: {url: WEBHOOK_URL, secret: WEBHOOK_SECRET}
  outbox:
    network: outbox
"""

#: networks with a profile file; slack, discord and the data channels have none (discord's name
#: comes from its `username` setting)
PROFILES = {
    "mastodon": "display_name: Crumb & Co.\navatar: media/profile-avatar.png\n",
    "bluesky": "display_name: Crumb & Co.\navatar: media/profile-avatar.png\n",
    "x": "display_name: Crumb & Co.\navatar: media/profile-avatar.png\n",
    "threads": "display_name: crumbandco\navatar: media/profile-avatar.png\n",
    "linkedin": "display_name: Crumb & Co. Bakery\navatar: media/profile-avatar.png\n",
    "facebook": "display_name: Crumb & Co.\navatar: media/profile-avatar.png\n",
    "telegram": "display_name: Crumb & Co. news\navatar: media/profile-avatar.png\n",
}

#: every channel but Slack, which takes no images
EVERY = "[mastodon, bluesky, x, threads, linkedin, facebook, discord, telegram, webhook, outbox]"
IMAGES = """\
media:
  - path: media/spelt-walnut-loaf.jpg
    alt: A round sourdough loaf with a deep brown crust on a linen cloth.
  - path: media/spelt-walnut-crumb.jpg
    alt: A slice of the spelt and walnut loaf, its crumb full of small holes.
  - path: media/rye-loaves.jpg
    alt: Three dark rye tin loaves with cracked tops on a wooden board.
"""
MORE_IMAGES = IMAGES + """\
  - path: media/stollen.jpg
    alt: A stollen dusted with icing sugar, one slice cut.
  - path: media/new-year-pretzel.jpg
    alt: A braided New Year pretzel on a baking tray.
  - path: media/shop-front-christmas.jpg
    alt: The shop front at night with fairy lights.
"""

POSTS = {
    "every-network": (f"""\
        title: Spelt and walnut, on every network
        publish_at: 2026-12-08 09:15
        channels: {EVERY}
        tags: [sourdough, launch]
        """, IMAGES, "New on the shelf: **spelt & walnut sourdough**, with spelt from @hofsonnenfeld and a "
                      "20-hour proof. Recipe notes on https://crumbandco.example/blog/spelt-walnut-sourdough-recipe "
                      "#baking"),
    "link-card": ("""\
        title: Christmas orders are open
        publish_at: 2026-12-03 11:00
        channels: [mastodon, bluesky, x, threads, linkedin, facebook, discord, slack, telegram]
        tags: [christmas]
        link: https://crumbandco.example/orders
        """, "", "Christmas orders are open: stollen, Lebkuchen and a braided Hefezopf, fresh on 23 or 24 December."),
    "thread": ("""\
        title: How we make our stollen
        publish_at: 2026-12-04 10:00
        channels: [mastodon, bluesky, x, threads, telegram, slack]
        """, "", "How we make our stollen, a thread.\n\n---\n\nDay one: raisins and candied peel go into rum "
             "overnight.\n\n---\n\nDay two: a rich yeast dough with butter and almonds, the fruit folded in by "
             "hand."),
    "long-text": ("""\
        title: Why rye needs no kneading
        publish_at: 2026-12-10 12:00
        channels: [linkedin, facebook, threads, mastodon]
        """, "", "Rye is not wheat. Its dough has almost no gluten to develop, so kneading does little: what "
             "holds a rye loaf together are pentosans, long sugars that swell and bind water. That is why rye "
             "dough feels like clay and why we mix it briefly and gently.\n\nThe sourdough matters more than "
             "the mixing: its acidity stops the enzymes in rye flour from breaking the starch down, which "
             "would leave the crumb sticky. Gustav, our rye starter, is fed twice a day.\n\nCome and taste the "
             "difference during rye week."),
    "many-images": ("""\
        title: Six breads for the weekend
        publish_at: 2026-12-11 09:00
        channels: [linkedin, facebook, threads, discord, telegram]
        """, MORE_IMAGES, "Six breads for the weekend, all from the wood-fired oven."),
    "no-profile": ("""\
        title: A note for the team chat
        publish_at: 2026-12-09 08:30
        channels: [slack, discord, webhook]
        link: https://crumbandco.example/ops/oven-service-2026
        """, "", "The oven is serviced on Monday: *bake the rye on Sunday*. Details in the ops doc."),
}

LINK_CARDS = """\
https://crumbandco.example/orders:
  title: Christmas orders · Crumb & Co.
  description: Stollen, Lebkuchen and our Christmas breads to order for 23 and 24 December.
  image: media/shop-front-christmas.jpg
"""


def write_gallery(repo) -> None:
    """Write the gallery into a `ContentRepo`: channels, media, profiles, link cards, posts and a ledger."""
    repo.write("content/channels.yml", CHANNELS)
    shutil.copytree(REPO / "content" / "media", repo.root / "content" / "media", dirs_exist_ok=True)
    for channel, profile in PROFILES.items():
        repo.write(f"content/profiles/{channel}.yml", profile)
    repo.write("content/linkcards.yml", LINK_CARDS)
    for slug, (front, media, body) in POSTS.items():
        repo.post(slug, textwrap.dedent(front) + media, body)
    # What Bluesky read when it published the thread's link: kept in the ledger, shown from there.
    (repo.root / "state").mkdir(exist_ok=True)
    (repo.root / "state" / "ledger.jsonl").write_text(json.dumps({
        "post": "link-card", "channel": "bluesky", "part": 1, "state": "published", "at": "2026-12-03T10:00:05Z",
        "url": "https://bsky.app/profile/crumbandco.bsky.social/post/3lbqzkm2gxs2a",
        "data": {"uri": "at://did:plc:abc/app.bsky.feed.post/3lbqzkm2gxs2a", "cid": "bafyrei",
                 "card": {"uri": "https://crumbandco.example/orders?utm_source=bluesky",
                          "title": "Orders (as Bluesky read it)", "description": "Read when it was published"}},
    }) + "\n", encoding="utf-8")
