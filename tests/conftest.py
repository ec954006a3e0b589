"""Shared fixtures: small content repositories built in a temp folder."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

CHANNELS = """\
timezone: Europe/Berlin
defaults:
  cadence: {max_per_day: 3, min_gap: 2h, max_silence: 4d, hours: "08:00-20:00"}
channels:
  mastodon:
    network: mastodon
    instance: https://mastodon.example
    credentials: {token: MASTODON_TOKEN}
  bluesky:
    network: bluesky
    handle: bakery.bsky.social
    credentials: {password: BLUESKY_APP_PASSWORD}
  linkedin:
    network: linkedin
    author: urn:li:organization:42
    credentials: {token: LINKEDIN_TOKEN}
  outbox:
    network: outbox
"""

REPO = Path(__file__).resolve().parent.parent


class ContentRepo:
    """A throwaway content repository: write files, then run commands against it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("content/channels.yml", CHANNELS)
        shutil.copytree(REPO / "templates", root / "templates")

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def post(self, slug: str, front: str, body: str = "Fresh bread today.", month: str = "2026/12") -> Path:
        text = "---\n" + textwrap.dedent(front).strip() + "\n---\n" + body + "\n"
        return self.write(f"content/posts/{month}/{slug}.md", text)


@pytest.fixture
def repo(tmp_path: Path) -> ContentRepo:
    return ContentRepo(tmp_path)


@pytest.fixture
def memory(repo):
    """The repository with two channels (alpha, beta) on the in-memory network, registered."""
    from tests.fakes.memory import CHANNELS as MEMORY_CHANNELS
    from tests.fakes.memory import MemoryNetwork
    from tests.netreg import registered

    MemoryNetwork.reset()
    repo.write("content/channels.yml", MEMORY_CHANNELS)
    with registered("memory", MemoryNetwork):
        yield MemoryNetwork


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true",
                     help="Write the rendered snapshots instead of comparing with them.")
