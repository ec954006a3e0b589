"""The calendar site runs on ProperDocs (the maintained fork of mkdocs 1.x) as it does on mkdocs itself.

mkdocs 1.x is no longer developed, and Material for MkDocs' successor runs no third-party
plugin; ProperDocs loads mkdocs plugins and themes unchanged. Both build the example site
here, as fresh processes, and every file they write must be the same but for the
generator's name in each page's head (docs/site.md: "The runtime").
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sitebuild import REPO

from tests.needs import unavailable

pytest.importorskip("mkdocs")

GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def build(runtime: str, site: Path) -> None:
    env = {**os.environ, "SOCIAL_SITE_NOW": "2026-12-03 08:00", "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", runtime, "build", "--strict", "--quiet", "-f", "mkdocs.yml",
                           "--site-dir", str(site)], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]  # a plain build says nothing


def files(site: Path) -> set[str]:
    return {str(path.relative_to(site)) for path in site.rglob("*") if path.is_file()}


def test_properdocs_builds_the_same_site_as_mkdocs(tmp_path):
    if importlib.util.find_spec("properdocs") is None:
        unavailable("ProperDocs is not installed (scripts/install site-properdocs)")
    build("mkdocs", tmp_path / "mkdocs")
    build("properdocs", tmp_path / "properdocs")
    written = files(tmp_path / "mkdocs")
    assert written == files(tmp_path / "properdocs")
    assert {"calendar/2026-12.html", "calendar.ics", "search/search_index.json",
            "assets/social-calendar.js"} <= written
    different = [name for name in sorted(written)
                 if not filecmp.cmp(tmp_path / "mkdocs" / name, tmp_path / "properdocs" / name, shallow=False)]
    for name in different:
        mine, theirs = ((tmp_path / runtime / name).read_bytes() for runtime in ("mkdocs", "properdocs"))
        assert GENERATOR.sub(b"", mine) == GENERATOR.sub(b"", theirs), name
    assert b"ProperDocs" in (tmp_path / "properdocs" / "calendar" / "2026-12.html").read_bytes()
