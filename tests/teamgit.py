"""What the tests of a team at work share (tests/test_team_life.py, tests/year/): git as a
committer, and a runner's death."""

from __future__ import annotations

import subprocess
from pathlib import Path

NAME = ["-c", "user.name=Team", "-c", "user.email=team@example.com"]


class Crash(BaseException):
    """The runner dies here: nothing after this point of the job runs (nothing in the engine catches
    a BaseException that is not an Exception)."""


def git(folder: Path, *args: str) -> str:
    """Run git in `folder` as the team; fails the test on an error; returns what git printed."""
    return subprocess.run(["git", "-C", str(folder), *NAME, *args], check=True, capture_output=True,
                          text=True).stdout
