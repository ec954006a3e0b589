"""Building the calendar site in tests: the real mkdocs.yml, or a small one for a temp repository."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

REPO = Path(__file__).resolve().parent.parent

MINIMAL_MKDOCS = """\
site_name: Test calendar
site_url: https://calendar.example/
use_directory_urls: false
theme:
  name: material
  font: false
  palette:
    - media: "(prefers-color-scheme)"
      toggle: {{icon: material/brightness-auto, name: Switch to the light scheme}}
    - media: "(prefers-color-scheme: light)"
      scheme: default
      toggle: {{icon: material/weather-night, name: Switch to the dark scheme}}
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      toggle: {{icon: material/weather-sunny, name: Follow the system's scheme}}
plugins:
  - search
  - social-calendar:
      now: "{now}"
{options}nav:
  - Home: index.md
  - This month: calendar/index.md
  - Agenda: calendar/agenda.md
  - Channels: calendar/channels/index.md
  - Tags: calendar/tags/index.md
  - Cadence: calendar/cadence.md
  - Inbox: calendar/inbox.md
"""


def build_site(config_file: Path, site_dir: Path, now: str | None = None) -> Path:
    """Build with `--strict` into `site_dir`; SOCIAL_SITE_NOW (the real mkdocs.yml's `now`) is `now`."""
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    previous = os.environ.get("SOCIAL_SITE_NOW")
    if now is not None:
        os.environ["SOCIAL_SITE_NOW"] = now
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    finally:
        if previous is None:
            os.environ.pop("SOCIAL_SITE_NOW", None)
        else:
            os.environ["SOCIAL_SITE_NOW"] = previous
    return site_dir


def minimal_mkdocs(now: str, options: dict | None = None, hooks: tuple[str, ...] = ()) -> str:
    """A small mkdocs.yml for a temp content repository: `options` are more options of the plugin,
    `hooks` mkdocs hook files (relative to it)."""
    lines = "".join(f"      {name}: {json.dumps(value)}\n" for name, value in (options or {}).items())
    text = MINIMAL_MKDOCS.format(now=now, options=lines)
    if hooks:
        text += "hooks:\n" + "".join(f"  - {json.dumps(hook)}\n" for hook in hooks)
    return text


def build_repo_site(root: Path, now: str = "2026-12-01 08:00", options: dict | None = None,
                    hooks: tuple[str, ...] = (), **more_options: str) -> Path:
    """The site of a temp content repository (tests' `repo` fixture), with `minimal_mkdocs`;
    `options` and `more_options` are more of the plugin's options."""
    (root / "mkdocs.yml").write_text(minimal_mkdocs(now, {**(options or {}), **more_options}, hooks),
                                     encoding="utf-8")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text(textwrap.dedent("""\
        # Test calendar

        [This month](calendar/index.md)
        """), encoding="utf-8")
    return build_site(root / "mkdocs.yml", root / "site")
