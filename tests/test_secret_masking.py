"""Secrets never leave the run: not whole, not encoded, not in pieces at the edge of a cut.

A hostile (or merely chatty) server may answer an error with the token it was sent,
after enough padding that a cut at 300 characters lands inside it, or encoded the way
it saw it (base64 in Basic auth, percent-encoded in a URL, escaped in JSON). The
canary below must show up in no output, ledger, outbox or failure issue, and neither
may any 6-character piece of it or of its encodings.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.networks.delivery import Secrets
from tests.fakes.clock import FakeClock
from tests.fakes.mastodon import FakeMastodon

# Characters that every encoding changes: + / = in base64 and URLs, a quote and a backslash in JSON.
CANARY = 'cAn4ry+T0k3n/x="Qz\\9fK2mW8pLr~~'
START = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


def encodings(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "raw": secret,
        "base64": base64.b64encode(raw).decode(),
        "base64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "urlsafe": base64.urlsafe_b64encode(raw).decode(),
        "urlsafe-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "percent": quote(secret, safe=""),
        "percent-lower": re.sub(r"%[0-9A-F]{2}", lambda escape: escape[0].lower(), quote(secret, safe="")),
        "percent-path": quote(secret),
        "json": json.dumps(secret)[1:-1],
        "hex": raw.hex(),
        # what base64 of a longer text shows of it, as in Basic auth's base64 of "user:secret"
        "base64-after-1": _inside_base64(raw, 1),
        "base64-after-2": _inside_base64(raw, 2),
    }


def _inside_base64(raw: bytes, offset: int) -> str:
    encoded = base64.b64encode(b"\0" * offset + raw).decode()
    return encoded[-(-offset * 8 // 6):(offset + len(raw)) * 8 // 6]


def pieces(secret: str, size: int = 6) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def leaks(*texts: str) -> list[str]:
    """Every piece of 6 or more characters of the canary or of one of its encodings found in `texts`."""
    text = "\n".join(texts)
    return sorted({piece for encoded in encodings(CANARY).values() for piece in pieces(encoded) if piece in text})


PADDING = "x" * 270

#: what a server answers (a 401) after being sent the canary, by name
ANSWERS = {
    **{f"padded-{name}": PADDING + value + " is not valid" for name, value in encodings(CANARY).items()},
    "padded-json": json.dumps({"error": PADDING + CANARY}),
    "basic-auth-echo": PADDING[:250] + "Authorization: Basic "
                       + base64.b64encode(f"bakery:{CANARY}".encode()).decode(),
    "ends-at-the-cut": "x" * (300 - 20) + CANARY,
    "split-across-300": "y" * 285 + CANARY,
    "server-cut-it-short": PADDING + "token " + CANARY[:12] + "...",
    "twice": CANARY + " " + PADDING + CANARY,
}


def test_the_canary_is_a_fair_test():
    assert len(set(encodings(CANARY).values())) == len(encodings(CANARY))  # each encoding differs
    assert leaks("nothing to see here " + PADDING) == []


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_excerpt_is_masked_first_then_cut(answer):
    secrets = Secrets([CANARY])
    shown = secrets.excerpt(answer, 300)
    assert len(shown) <= 300
    assert leaks(shown) == [], shown


def test_a_tail_or_a_head_of_a_secret_at_a_cut_is_masked():
    secrets = Secrets([CANARY])
    # the cut leaves the first (or last) 4 or 5 characters: too short to be found anywhere, not at an edge
    for kept in (4, 5):
        assert secrets.excerpt("z" * 296 + CANARY, 296 + kept).endswith("***")
        assert secrets.mask(CANARY[-kept:] + " was refused").startswith("***")
    assert secrets.mask("build 3f9a") == "build 3f9a"  # an edge that is no part of a secret stays


def test_short_values_and_ordinary_text_are_left_alone():
    secrets = Secrets(["abc", CANARY])
    assert secrets.mask("abc is fine, and so is this") == "abc is fine, and so is this"


# -- end to end: a fake Mastodon answering 401 ----------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
channels:
  mastodon:
    network: mastodon
    instance: {url}
    credentials: {{token: MASTODON_TOKEN}}
  notes:
    network: outbox
"""


@pytest.mark.parametrize("answer", ["padded-raw", "padded-json", "padded-base64", "padded-percent", "padded-json",
                                    "basic-auth-echo", "split-across-300", "server-cut-it-short"])
def test_no_output_ledger_outbox_or_failure_issue_shows_the_token(repo, tmp_path, monkeypatch, answer):
    clock = FakeClock(START)
    monkeypatch.setattr("pipeline.publish.service.utc_now", clock)  # the command's clock
    summary = tmp_path / "summary.md"
    with FakeMastodon(CANARY, clock=clock) as server:
        repo.write("content/channels.yml", CHANNELS.format(url=server.url))
        repo.post("bread", "publish_at: 2026-12-01 11:30\nchannels: [mastodon, notes]")
        server.fail("POST", r"/api/v1/statuses", status=401, body=ANSWERS[answer], times=5)
        run = CliRunner().invoke(cli, ["publish", "--root", str(repo.root), "--format", "json"],
                                 env={"MASTODON_TOKEN": CANARY, "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.exit_code == 1, run.output
    outcomes = {o["channel"]: o for o in json.loads(run.stdout)["outcomes"]}
    assert outcomes["mastodon"]["state"] == "failed" and "token rejected" in outcomes["mastodon"]["error"]
    assert outcomes["notes"]["state"] == "published"

    report = tmp_path / "publish.json"
    report.write_text(run.stdout, encoding="utf-8")
    issue = CliRunner().invoke(cli, ["failures", str(report), "--root", str(repo.root)])
    assert "token rejected" in issue.output
    status = CliRunner().invoke(cli, ["status", "--root", str(repo.root), "--format", "json"])

    written = [path.read_text(encoding="utf-8") for path in Path(repo.root, "outbox").rglob("*") if path.is_file()]
    everything = [run.stdout, run.stderr, issue.output, status.output, summary.read_text(encoding="utf-8"),
                  (repo.root / "state/ledger.jsonl").read_text(encoding="utf-8"), *written]
    assert written and leaks(*everything) == []
