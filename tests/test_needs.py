"""Tests needing a tool that is not there skip with a reason locally and fail in CI; scripts/test
installs those tools where it can and never fails at that step outside CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.needs import in_ci, unavailable
from tests.pds import pds_missing

REPO = Path(__file__).resolve().parent.parent
#: installers that are there but fail
FAKE_INSTALLERS = ("apt-get", "npm", "make", "c++")


@pytest.mark.parametrize(("value", "ci"), [(None, False), ("", False), ("0", False), ("false", False),
                                           ("true", True), ("1", True), ("TRUE", True)])
def test_ci_is_what_ci_services_set(monkeypatch, value, ci):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_a_missing_tool_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^no chromium$"):
        unavailable("no chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no chromium \(required with CI=true\)"):
        unavailable("no chromium")


def test_a_missing_pds_says_how_to_get_one(tmp_path):
    reason = pds_missing(tmp_path / "cache")
    assert reason is not None and "\n" not in reason
    assert "scripts/pds/install" in reason and "npm" in reason


def tools_dir(tmp_path: Path, *extra: str) -> Path:
    """A PATH holding only what the script needs to run, and `extra` fake commands that fail."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "uname", "dirname", "cat"):
        (folder / tool).symlink_to(shutil.which(tool))
    for tool in extra:
        (folder / tool).write_text("#!/bin/sh\necho \"$0: broken\" >&2\nexit 100\n")
        (folder / tool).chmod(0o755)
    return folder


def install_test_tools(tmp_path: Path, ci: str | None, *extra: str) -> subprocess.CompletedProcess:
    env = {"PATH": str(tools_dir(tmp_path, *extra)), "HOME": str(tmp_path), "SOCIAL_PDS_CACHE": str(tmp_path / "c")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([shutil.which("bash"), str(REPO / "scripts" / "install-test-tools")], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(os.name != "posix", reason="a bash script")
def test_without_the_tools_scripts_test_says_why_and_goes_on(tmp_path):
    done = install_test_tools(tmp_path, None)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) in (2, 3), lines  # PostgreSQL may be found where Debian puts it, outside PATH
    assert lines[0].startswith("skipping the browser tests: ") and "apt-get" in lines[0]
    assert lines[1].startswith("skipping the local Bluesky PDS tests: ") and "npm" in lines[1]
    assert all(line.startswith("skipping the Bluesky AppView tests: ") and "apt-get" in line for line in lines[2:])


@pytest.mark.skipif(os.name != "posix", reason="a bash script")
def test_a_failing_install_is_skipped_locally(tmp_path):
    done = install_test_tools(tmp_path, "false", *FAKE_INSTALLERS)
    assert done.returncode == 0, done.stderr
    assert "skipping the browser tests: " in done.stderr
    assert "skipping the local Bluesky PDS tests: installing it failed" in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="a bash script")
@pytest.mark.parametrize("extra", [(), FAKE_INSTALLERS], ids=["missing", "failing"])
def test_with_ci_a_missing_tool_fails_the_step(tmp_path, extra):
    done = install_test_tools(tmp_path, "true", *extra)
    assert done.returncode != 0
    assert "error: " in done.stderr and "required with CI=true" in done.stderr
