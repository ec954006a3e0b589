"""docs/networks/index.md, generated from the registry so the docs list exactly the networks there are.

    python -m pipeline.networks.catalog > docs/networks/index.md

A network installed from another package appears here (and in the JSON Schema,
`social count --network` and everything else) as soon as it is registered.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pipeline.networks import networks
from pipeline.networks.base import Capability, Network

#: how each capability is shown in the table
CAPABILITIES = {
    Capability.PUBLISH: "publishes", Capability.THREADS: "threads", Capability.IMAGES: "images",
    Capability.ALT_TEXT: "alt text", Capability.REPLY: "replies", Capability.QUOTE: "quotes",
    Capability.REPOST: "reposts", Capability.LIKE: "likes", Capability.DELETE: "retraction",
    Capability.RECONCILE: "certain reconcile", Capability.METRICS: "metrics",
}


def networks_markdown() -> str:
    """The whole page."""
    rows = [_summary_row(network) for network in networks()]
    settings = [_settings_row(network) for network in networks()]
    return "\n".join([
        "# Networks",
        "",
        "Generated from the network registry by `python -m pipeline.networks.catalog > "
        "docs/networks/index.md`; a test fails when this page and the networks disagree.",
        "",
        "A network is one module, registered in the `social.networks` entry-point group (the "
        "built-in ones are registered the same way in `pyproject.toml`, so a package can add one "
        "without touching the core). It declares what is below; validation refuses a channel on a "
        "network that cannot publish, and a post that asks a network for what it cannot do.",
        "",
        "## What each network does",
        "",
        "| Network | Text limit | Counted as | Text style | Can |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Settings and credentials",
        "",
        "Settings are keys of the channel in `content/channels.yml` besides the common ones "
        "([channels](../channels.md)); credentials are the names under `credentials:`, each mapped "
        "to the NAME of an environment variable.",
        "",
        "| Network | Settings | Credentials |",
        "|---|---|---|",
        *settings,
        "",
    ])


def _summary_row(network: type[Network]) -> str:
    name = f"`{network.name}`"
    if network.docs:  # relative to docs/; this page is docs/networks/index.md
        link = network.docs.removeprefix("networks/") if network.docs.startswith("networks/") else "../" + network.docs
        name = f"[{name}]({link})"
    can = ", ".join(label for capability, label in CAPABILITIES.items() if network.can(capability))
    if not network.can(Capability.PUBLISH):
        can = "**counts only, does not publish**" + (f"; {can}" if can else "")
    images = (f"; images: {network.max_images}" if network.can(Capability.IMAGES) else "; no images")
    return (f"| {name} ({network.title or network.name}) | {network.max_length:,} | "
            f"{_cell(network.counted_as)} | {network.text_style.name} | {can or '—'}{images} |")


def _settings_row(network: type[Network]) -> str:
    settings = "; ".join(_setting(name, field) for name, field in network.Options.model_fields.items())
    credentials = ", ".join(f"`{name}`" for name in network.credential_names())
    if network.credentials_note:
        credentials = f"{credentials}; {network.credentials_note}" if credentials else network.credentials_note
    return f"| `{network.name}` | {_cell(settings) or '(none)'} | {_cell(credentials) or '(none)'} |"


def _setting(name: str, field: Any) -> str:
    text = f"`{name}`"
    if field.is_required():
        text += " (required)"
    elif field.default not in (None, "") and not isinstance(field.default, BaseModel):
        text += f" (default `{field.default}`)"
    if field.description:
        text += f": {field.description}"
    return text


def _cell(text: str) -> str:
    """Text for a table cell: pipes escaped, and angle brackets outside `code` shown, not read as HTML."""
    pieces = text.replace("|", "\\|").replace("\n", " ").split("`")
    pieces[::2] = [piece.replace("<", "&lt;").replace(">", "&gt;") for piece in pieces[::2]]
    return "`".join(pieces)


if __name__ == "__main__":
    print(networks_markdown(), end="")
