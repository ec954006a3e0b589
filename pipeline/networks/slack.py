"""Slack through an incoming webhook: its limits, mrkdwn and template. Publishing comes later.

An incoming webhook answers `ok` and no message id: such posts cannot be deleted or
linked, and it takes no images.
"""

from __future__ import annotations

from pipeline.networks.base import Network
from pipeline.text.markdown import TextStyle


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Slack's mrkdwn: *bold*, _italic_, <url|label>; &, < and > escaped in text
SLACK_MRKDWN = TextStyle("slack", strong="*", emphasis="_", code="`", bullet="- ",
                         link=lambda label, href: f"<{href}|{label}>", escape=_escape)

TEMPLATE = """\
{#- Slack mrkdwn: the title in bold, then the text and the link. -#}
{% if first and title %}
*{{ title }}*

{% endif %}
{{ text }}
{% if first and link and not link_in_text %}

<{{ link }}>
{% endif %}
"""


class SlackNetwork(Network):
    name = "slack"
    title = "Slack"
    max_length = 40000
    text_style = SLACK_MRKDWN
    template = TEMPLATE
    hashtags = False
    required_credentials = ("webhook_url",)
