"""The hostile-repository corpus (tests/hostile/cases.yml): bounded, no traceback, no secret out.

Every case runs tests/hostile_driver.py (validate, list, render, publish dry run,
preview, a real publish for server cases, the site build) in a child process limited
to HOSTILE_SECONDS of CPU time and HOSTILE_MEMORY of address space, with canary
secrets in its environment; the canary must then appear in no output and no file.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import textwrap
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import Fault
from tests.sitebuild import MINIMAL_MKDOCS

HERE = Path(__file__).resolve().parent
CASES = yaml.safe_load((HERE / "hostile" / "cases.yml").read_text(encoding="utf-8"))
CANARY = "cAnAry7f3a9cSeCrEt81xqZ"
SECRETS = {"MASTODON_TOKEN": CANARY, "WEBHOOK_SECRET": CANARY + "w"}
#: what one case may cost; a legitimate repository of this size needs a few seconds and 200 MB
HOSTILE_SECONDS = 60
HOSTILE_MEMORY = 2 * 1024**3
ZONE = ZoneInfo("Europe/Berlin")

CHANNELS = """\
timezone: Europe/Berlin
channels:
  mastodon:
    network: mastodon
    instance: {instance}
    credentials: {{token: MASTODON_TOKEN}}
  outbox:
    network: outbox
"""


def encodings(secret: str) -> list[str]:
    """The secret and the forms a server or a library might echo it in."""
    raw = secret.encode()
    forms = {secret, urllib.parse.quote(secret, safe=""), base64.b64encode(raw).decode().rstrip("="),
             base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex()}
    # any 8 characters of it in a row: a secret cut short still leaks
    forms |= {secret[i:i + 8] for i in range(len(secret) - 7)}
    return sorted(forms)


def _long_tag_post() -> str:
    return f"---\npublish_at: 2026-12-24 10:00\nchannels: [mastodon]\ntags: [{'t' * 300}]\n---\nTagged.\n"


def _long_id_post() -> str:
    return f"---\nid: {'a' * 300}\npublish_at: 2026-12-24 10:00\nchannels: [mastodon]\n---\nLong.\n"


def _alias_string_bomb() -> str:
    aliases = ", ".join(["*big"] * 20)
    return (f"---\npublish_at: 2026-12-24 10:00\nchannels: [mastodon]\ntitle: &big {'x' * 100_000}\n"
            f"tags: [{aliases}]\n---\nHi.\n")


def _alias_value_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    return "---\n" + "\n".join(lines) + "\npublish_at: 2026-12-24 10:00\nchannels: [mastodon]\n---\nHi.\n"


def _channels_alias_bomb() -> str:
    lines = ["x0: &x0 [" + ", ".join(["'" + "y" * 1000 + "'"] * 10) + "]"]
    lines += [f"x{n}: &x{n} [{', '.join([f'*x{n - 1}'] * 10)}]" for n in range(1, 6)]
    return CHANNELS.format(instance="https://mastodon.example") + "\n".join(lines) + "\n"


def _long_channel_id() -> str:
    return CHANNELS.format(instance="https://mastodon.example") + f"  {'c' * 200}:\n    network: outbox\n"


def _utm(value: str) -> str:
    return CHANNELS.format(instance="https://mastodon.example").replace(
        "  outbox:\n    network: outbox\n", f"  outbox:\n    network: outbox\n    utm: {{source: \"{value}\"}}\n")


BUILDERS = {"long-tag-post": _long_tag_post, "long-id-post": _long_id_post,
            "alias-string-bomb": _alias_string_bomb, "alias-value-bomb": _alias_value_bomb,
            "channels-alias-bomb": _channels_alias_bomb, "long-channel-id": _long_channel_id,
            "utm-unknown": lambda: _utm("{x}"), "utm-width": lambda: _utm("{post:>100000000}"),
            "utm-attribute": lambda: _utm("{post.__class__.__mro__}")}


def build_repo(root: Path, outside: Path, case: dict, instance: str) -> None:
    due = (datetime.now(ZONE) - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
    files = {
        "content/channels.yml": CHANNELS.format(instance=instance),
        "content/posts/bread.md": f"---\npublish_at: {due}\nchannels: [mastodon, outbox]\n---\nFresh bread.\n",
        "mkdocs.yml": MINIMAL_MKDOCS.format(now=""),
        "docs/index.md": "# Calendar\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    for relative, spec in case.get("files", {}).items():
        relative = relative.replace("LONGNAME", "n" * 240)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        if isinstance(spec, str):
            path.write_text(spec, encoding="utf-8")
        elif "symlink" in spec:
            path.symlink_to(spec["symlink"].replace("{outside}", str(outside)))
        elif "fifo" in spec:
            os.mkfifo(path)
        else:
            path.write_text(BUILDERS[spec["make"]](), encoding="utf-8")


def make_outside(folder: Path) -> Path:
    """What lies outside the repository: the runner's secrets, a post, a template."""
    folder.mkdir()
    (folder / "environ").write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    (folder / "mastodon.j2").write_text("{{ text }}\n")
    (folder / "posts").mkdir()
    (folder / "posts" / "secret.md").write_text(
        f"---\npublish_at: 2026-12-01 09:00\nchannels: [outbox]\n---\n{CANARY}\n")
    return folder


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (HOSTILE_SECONDS, HOSTILE_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (HOSTILE_MEMORY, HOSTILE_MEMORY))


def run_case(case: dict, folder: Path) -> tuple[list[dict], Path, subprocess.CompletedProcess]:
    outside = make_outside(folder / "outside")
    root = folder / "repo"
    root.mkdir()
    server = None
    if "server" in case:
        server = FakeMastodon(token=CANARY).__enter__()
        answer = case["server"]
        body = answer["body"].replace("PADDING", "x" * 270)
        for name, value in {"canary": CANARY, "canary_b64": base64.b64encode(CANARY.encode()).decode(),
                            "canary_url": urllib.parse.quote(CANARY + "/=", safe="")}.items():
            body = body.replace("{" + name + "}", value)
        server.faults.append(Fault("POST", r"/api/v1/statuses$", status=answer["status"], body=body,
                                   headers=answer.get("headers", {}), times=10))
    try:
        build_repo(root, outside, case, server.url if server else "https://mastodon.example")
        report = folder / "report.json"
        env = {**os.environ, **SECRETS, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(HERE.parent)}
        args = [sys.executable, str(HERE / "hostile_driver.py"), str(root), str(report)]
        if server:
            args.append("--publish")
        done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=2 * HOSTILE_SECONDS, preexec_fn=_limits)
        runs = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else []
        return runs, root, done
    finally:
        if server:
            server.__exit__(None, None, None)


def files_holding(folder: Path, needles: list[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path}: {needle}" for needle in needles if needle in data]
    return found


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple]:
    """Every case, four at a time (each is its own process)."""
    base = tmp_path_factory.mktemp("hostile")

    def one(case: dict):
        folder = base / case["name"]
        folder.mkdir()
        return case["name"], run_case(case, folder)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, CASES))


def test_the_corpus_covers_every_kind_of_attack():
    names = " ".join(case["name"] for case in CASES)
    for kind in ("link", "pipe", "aliases", "template", "utm", "server", "long", "channels"):
        assert kind in names, kind


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_hostile_repository(case: dict, outcomes) -> None:
    runs, root, done = outcomes[case["name"]]
    assert done.returncode == 0, f"the driver died (time or memory limit?): {done.returncode}\n{done.stderr[-2000:]}"
    assert runs, done.stderr[-2000:]
    for run in runs:
        assert not run["crash"], f"{' '.join(run['args'][:1])} crashed:\n{run['crash']}"
        assert "Traceback" not in run["output"], run["output"][-2000:]
    validate = json.loads(runs[0]["output"])
    codes = {finding["code"] for finding in validate["errors"] + validate["warnings"]}
    for code in case.get("expect", []):
        assert code in codes, f"expected {code}; validate said {textwrap.shorten(str(validate), 1500)}"
    if "expect_one_of" in case:
        assert codes & set(case["expect_one_of"]), textwrap.shorten(str(validate), 1500)
    if "server" in case:
        published = next(r for r in runs if r["args"][:1] == ["publish"] and "--dry-run" not in r["args"])
        assert published["exit"] == 1, published["output"][-1500:]
    needles = encodings(CANARY)
    leaks = [f"{run['args'][0]}: {needle}" for run in runs for needle in needles if needle in run["output"]]
    leaks += [needle for needle in needles if needle in done.stdout + done.stderr]
    leaks += files_holding(root, needles)
    assert not leaks, f"the canary secret got out: {leaks[:5]}"
