"""Installing says nothing a user cannot act on: `scripts/install` builds an editable wheel
on every run, and setuptools must not warn while building it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: a Python warning as printed (`path:line: SomeWarning: ...`), setuptools' InformationOnly included
WARNING = re.compile(r"\b\w*(Warning|InformationOnly): ")


def test_building_the_editable_wheel_warns_of_nothing(tmp_path):
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} is older than pyproject.toml's build requirement")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    shutil.copytree(REPO / "pipeline", project / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "wheel").mkdir()
    done = subprocess.run([sys.executable, "-W", "default", "-c",
                           "import sys, setuptools.build_meta as backend; backend.build_editable(sys.argv[1])",
                           str(tmp_path / "wheel")], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not WARNING.search(done.stderr), done.stderr


def test_a_plain_mkdocs_build_in_the_repository_prints_only_its_own_lines(tmp_path):
    pytest.importorskip("mkdocs")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.is_file():
        pytest.skip("no mkdocs command beside this Python")
    # The environment of a user who never heard of NO_MKDOCS_2_WARNING.
    env = {"PATH": str(mkdocs.parent) + ":/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = subprocess.run([str(mkdocs), "build", "--site-dir", str(tmp_path / "site")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    noise = [line for line in (done.stdout + done.stderr).splitlines() if not line.startswith("INFO ")]
    assert noise == [], "\n".join(noise)
