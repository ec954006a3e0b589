"""A network from a throwaway distribution, installed through the entry-point group alone.

The distribution lives in a temporary folder outside this repository: a module and the
`.dist-info` an installer writes (its `entry_points.txt` registers the network in
`social.networks`). Every command runs in a fresh process with that folder on the path,
so the registry finds it exactly as it would find a pip-installed package. Nothing in
the core names the network, yet validate, render, count, publish (dry run and real,
against a fake server), the JSON Schema, the docs' table and the site all know it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.server import FakeServer, route

REPO = Path(__file__).resolve().parent.parent
SOCIAL = [sys.executable, "-m", "pipeline"]
TOKEN = "pigeon-canary-7f3e9b21c4"
NOW = "2026-12-01 12:00"

PIGEON = '''\
"""Pigeon post: a network that is not part of the project, counted in words."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from pipeline.networks.base import Capability, Network
from pipeline.networks.parts import Published
from pipeline.text.count import Count


class PigeonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loft: str = Field(description="The loft's base URL")


class PigeonNetwork(Network):
    name = "pigeon"
    title = "Pigeon post"
    capabilities = frozenset({Capability.PUBLISH, Capability.THREADS, Capability.RECONCILE})
    max_length = 12
    counted_as = "words"
    required_credentials = ("token",)
    Options: ClassVar[type[BaseModel]] = PigeonOptions
    template = "{{ text }}{% if first and link %} {{ link }}{% endif %} (coo)"

    @classmethod
    def count(cls, text: str, *, options: Any = None, limit: int | None = None,
              with_media: bool = False, content_warning: str = "") -> Count:
        limit = cls.text_limit(options, with_media=with_media) if limit is None else limit
        return Count(cls.name, text, len(text.split()), limit)

    def _call(self, method, path, **kwargs):
        return self.http.request(method, self.options.loft + path, credential=self.variable("token"),
                                 headers={"Authorization": f"Bearer {self.credential('token')}"}, **kwargs)

    def publish(self, request):
        answer = self._call("POST", "/messages", idempotent=False, json={
            "key": request.key, "text": request.text,
            "reply_to": request.parent.remote_id if request.parent else None}).json()
        return Published(answer["id"], f"{self.options.loft}/messages/{answer['id']}")

    def reconcile(self, request, sent_at):
        answer = self._call("GET", f"/messages/{request.key}", idempotent=True, ok=(200, 404))
        if answer.status_code == 404:
            return None
        found = answer.json()
        return Published(found["id"], f"{self.options.loft}/messages/{found['id']}")
'''


class FakeLoft(FakeServer):
    """The pigeon network's server: messages by key, a bearer token required."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, dict] = {}

    def _authorized(self, request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    @route("POST", r"/messages")
    def post(self, request):
        if not self._authorized(request):
            return 401, {"error": "unknown pigeon"}, {}
        body = request.json()
        if body["key"] in self.messages:
            return 409, {"error": "already flown"}, {}
        message = {"id": f"m{len(self.messages) + 1}", **body}
        self.messages[body["key"]] = message
        return 200, message, {}

    @route("GET", r"/messages/(?P<key>[^/]+)")
    def get(self, request, key):
        found = self.messages.get(key)
        return (200, found, {}) if found else (404, {"error": "no such message"}, {})


@pytest.fixture(scope="module")
def distribution(tmp_path_factory) -> Path:
    """What `pip install pigeon-network` would leave in site-packages, in a folder of its own."""
    folder = tmp_path_factory.mktemp("site-packages")
    (folder / "pigeon_network.py").write_text(PIGEON, encoding="utf-8")
    info = folder / "pigeon_network-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pigeon-network\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[social.networks]\npigeon = pigeon_network:PigeonNetwork\n",
                                           encoding="utf-8")
    return folder


@pytest.fixture
def loft():
    with FakeLoft() as server:
        yield server


def content_repo(root: Path, loft_url: str) -> Path:
    """A repository with a pigeon channel and no templates/ folder: the network's default applies."""
    files = {
        "content/channels.yml": f"""\
            timezone: Europe/Berlin
            channels:
              loft:
                network: pigeon
                loft: {loft_url}
                credentials: {{token: PIGEON_TOKEN}}
            """,
        "content/posts/2026/12/hello.md": """\
            ---
            title: Hello loft
            publish_at: 2026-12-01 10:00
            channels: [loft]
            link: https://bakery.example/loft
            ---
            Fresh rolls today.

            ---

            Still warm at noon.
            """,
        "content/posts/2026/12/chatty.md": """\
            ---
            publish_at: 2026-12-03 10:00
            channels: [loft]
            thread: off
            ---
            One two three four five six seven eight nine ten eleven twelve thirteen.
            """,
        "content/posts/2026/12/later.md": """\
            ---
            publish_at: 2026-12-02 10:00
            channels: [loft]
            ---
            See you tomorrow.
            """,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def move_to_the_real_time(root: Path) -> None:
    """Hello due ten minutes ago by the real clock, the later post tomorrow."""
    real = datetime.now(UTC)
    for name, when in (("hello", real - timedelta(minutes=10)), ("later", real + timedelta(days=1))):
        path = root / f"content/posts/2026/12/{name}.md"
        text = re.sub(r"publish_at: .*", f"publish_at: {when:%Y-%m-%d %H:%M}+00:00", path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")


def social(distribution: Path, root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(distribution), str(REPO)]),
                   "NO_COLOR": "1", **(env or {})}
    return subprocess.run([*SOCIAL, *args, "--root", str(root)] if root else [*SOCIAL, *args],
                          capture_output=True, text=True, env=environment, timeout=120)


def test_the_core_does_not_know_the_network():
    sources = [path for path in (REPO / "pipeline").rglob("*") if path.suffix in (".py", ".j2", ".toml")]
    assert not [path for path in sources if "pigeon" in path.read_text(encoding="utf-8").lower()]
    assert "pigeon" not in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_validate_render_and_count_ask_the_installed_network(distribution, loft, tmp_path):
    root = content_repo(tmp_path, loft.url)
    checked = social(distribution, root, "validate", "--format", "json", "--now", NOW)
    report = json.loads(checked.stdout)
    # Counted in words against its 12: thirteen words and the template's "(coo)" are two too many.
    assert [(e["file"], e["code"]) for e in report["errors"]] == [
        ("content/posts/2026/12/chatty.md", "too-long")], checked.stdout
    assert "14 of 12 (2 over)" in report["errors"][0]["message"]

    rendered = social(distribution, root, "render", "hello", "--format", "json")
    parts = json.loads(rendered.stdout)["renderings"][0]["parts"]
    assert [(p["text"], p["length"], p["limit"]) for p in parts] == [
        ("Fresh rolls today. https://bakery.example/loft?utm_source=loft&utm_medium=social&utm_campaign=hello "
         "(coo)", 5, 12),
        ("Still warm at noon. (coo)", 5, 12)]

    counted = social(distribution, None, "count", "--network", "pigeon", "--format", "json", "coo coo coo")
    assert json.loads(counted.stdout) | {"facets": None} == {
        "network": "pigeon", "text": "coo coo coo", "wire_text": "coo coo coo", "length": 3, "limit": 12,
        "ok": True, "facets": None, "problems": []}


def test_publish_dry_run_then_for_real_exactly_once(distribution, loft, tmp_path):
    root = content_repo(tmp_path, loft.url)
    (root / "content/posts/2026/12/chatty.md").unlink()
    env = {"PIGEON_TOKEN": TOKEN}
    dry = social(distribution, root, "publish", "--dry-run", "--now", NOW, "--format", "json", env=env)
    assert dry.returncode == 0, dry.stderr
    written = sorted(p.name for p in (root / "outbox" / "loft").iterdir())
    assert written == ["hello.1.json", "hello.2.json"] and loft.messages == {}
    assert json.loads((root / "outbox/loft/hello.1.json").read_text())["network"] == "pigeon"
    assert not (root / "state").exists()  # a dry run writes no ledger

    move_to_the_real_time(root)  # a real run happens at the real time, not at --now
    run = social(distribution, root, "publish", "--format", "json", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert [(m["text"], m["reply_to"]) for m in loft.messages.values()] == [
        ("Fresh rolls today. https://bakery.example/loft?utm_source=loft&utm_medium=social&utm_campaign=hello "
         "(coo)", None),
        ("Still warm at noon. (coo)", "m1")]
    again = social(distribution, root, "publish", "--format", "json", env=env)
    assert json.loads(again.stdout)["outcomes"] == [] and len(loft.messages) == 2
    status = social(distribution, root, "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    assert sorted((e["post"], e["part"], e["state"]) for e in json.loads(status.stdout)["entries"]) == [
        ("hello", 1, "published"), ("hello", 2, "published")]
    everything = run.stdout + run.stderr + again.stdout + status.stdout + (root / "state/ledger.jsonl").read_text()
    assert TOKEN not in everything


def test_schema_docs_and_site_list_the_installed_network(distribution, loft, tmp_path):
    code = ("import json; from pipeline.content.jsonschema import channels_schema; "
            "from pipeline.networks.catalog import networks_markdown; "
            "branches = channels_schema()['$defs']['ChannelConfig']['oneOf']; "
            "print(json.dumps([b['title'] for b in branches])); print(networks_markdown())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": f"{distribution}{os.pathsep}{REPO}"})
    titles, table = done.stdout.split("\n", 1)
    assert "pigeon channel" in json.loads(titles)
    assert "| `pigeon` (Pigeon post) | 12 | words | plain |" in table

    root = content_repo(tmp_path, loft.url)
    (root / "mkdocs.yml").write_text("site_name: Loft\nuse_directory_urls: false\ntheme:\n  name: material\n"
                                     "  font: false\nplugins:\n  - social-calendar:\n      now: '2026-12-01 08:00'\n",
                                     encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs/index.md").write_text("# Loft\n", encoding="utf-8")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(tmp_path / "site")],
                           cwd=root, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": f"{distribution}{os.pathsep}{REPO}",
                                "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stderr
    page = next((tmp_path / "site").rglob("hello.html")).read_text(encoding="utf-8")
    assert "Still warm at noon. (coo)" in page and "Pigeon post" in page  # the network's own title
