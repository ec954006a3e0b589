"""Tests that need a tool beyond Python (headless Chromium, a local Bluesky PDS).

Where the tool cannot be had (no root, not Debian or Ubuntu, no npm), those tests skip
with a one-line reason. In CI (`CI=true`) every test must run: a missing tool fails them
loudly instead.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this is a CI run (`CI` set to anything but empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str, *, module: bool = False) -> NoReturn:
    """Skip with `reason`; in CI, fail with it. `module` for a whole test module at import."""
    if in_ci():
        pytest.fail(f"{reason} (required with CI=true)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)
