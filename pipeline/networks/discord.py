"""Discord through a channel webhook: its limits, Markdown and template. Publishing comes later."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.networks.base import Capability, Network
from pipeline.text.markdown import TextStyle

#: Discord shows Markdown: bold, italics, code and [label](url) are kept
DISCORD_MARKDOWN = TextStyle("markdown", strong="**", emphasis="*", code="`", bullet="- ",
                             link=lambda label, href: f"[{label}]({href})")

TEMPLATE = """\
{#- Discord shows Markdown: the title in bold, then the text. -#}
{% if first and title %}
**{{ title }}**

{% endif %}
{{ text }}
{% if first and link and not link_in_text %}

{{ link }}
{% endif %}
"""


class DiscordOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = None


class DiscordNetwork(Network):
    name = "discord"
    title = "Discord"
    capabilities = frozenset({Capability.THREADS, Capability.IMAGES, Capability.ALT_TEXT, Capability.DELETE})
    max_length = 2000
    text_style = DISCORD_MARKDOWN
    hashtags = False
    template = TEMPLATE
    max_images = 10
    max_image_bytes = 10 * 1024 * 1024
    max_alt_length = 1024
    required_credentials = ("webhook_url",)
    Options: ClassVar[type[BaseModel]] = DiscordOptions
