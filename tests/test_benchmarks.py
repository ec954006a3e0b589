"""`python -m benchmarks` runs every measure and writes its table (its figures are never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO

from benchmarks.__main__ import BEGIN, END, write


def test_the_quick_benchmark_writes_every_table(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nWritten by hand.\n\n" + BEGIN + "\nold figures\n" + END + "\n\nAlso by hand.\n")
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--output", str(out)], cwd=REPO,
                          env={**os.environ, "SOCIAL_BENCHMARK_DATA": str(tmp_path / "data")},
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nWritten by hand.") and text.endswith("Also by hand.\n")
    assert "old figures" not in text
    figures = text.split(BEGIN)[1].split(END)[0]
    for heading in ("### Targets", "### `social validate` against the parse floor", "### How each grows",
                    "### Cadence alone", "### `social publish` with nothing due", "### Publishing fan-out",
                    "### The calendar site", "### `social --help`"):
        assert heading in figures
    for run in ("parse floor", "validate, cold", "validate, warm", "validate, one post changed"):
        assert f"| 400 | {run} |" in figures
    assert "Measured " in figures and " cores" in figures


def test_a_file_without_the_markers_gets_the_figures_at_its_end(tmp_path):
    out = tmp_path / "b.md"
    out.write_text("# Benchmarks\n\nHand-written.\n")
    write(out, f"{BEGIN}\nfigures\n{END}\n")
    assert out.read_text() == f"# Benchmarks\n\nHand-written.\n\n{BEGIN}\nfigures\n{END}\n"
    write(out, f"{BEGIN}\nnew\n{END}\n")
    assert out.read_text() == f"# Benchmarks\n\nHand-written.\n\n{BEGIN}\nnew\n{END}\n"
