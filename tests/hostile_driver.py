"""Runs every command a hostile repository can reach, in one process, and reports what happened.

`python tests/hostile_driver.py ROOT REPORT.json [--publish]` runs `validate`, `list`,
`render` of each post, `publish --dry-run`, `preview` (when ROOT is a git repository),
a real `publish` (with --publish) and the calendar site build, each caught so that
one crash cannot hide the next. tests/test_hostile_corpus.py starts it with limits
on time and memory and reads the report.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import cli


def run_command(args: list[str]) -> dict:
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    return {"args": args, "exit": result.exit_code, "output": result.output,
            "crash": "".join(traceback.format_exception(result.exception)) if crashed else "",
            "seconds": round(time.monotonic() - started, 2)}


def build_site(root: Path) -> dict:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    started = time.monotonic()
    output = io.StringIO()
    record = {"args": ["mkdocs", "build"], "exit": 0, "output": "", "crash": ""}
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            config = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site"),
                                 strict=True)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
            finally:
                config.plugins.on_shutdown()
    except SystemExit as exc:
        record["exit"] = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # mkdocs' own refusals (PluginError, Abort) are clean; others are crashes
        record["exit"] = 1
        name = type(exc).__name__
        record["output"] = f"{name}: {exc}"
        if name not in ("PluginError", "Abort", "ConfigurationError", "BuildError"):
            record["crash"] = "".join(traceback.format_exception(exc))
    record["output"] = output.getvalue() + record["output"]
    record["seconds"] = round(time.monotonic() - started, 2)
    return record


def main() -> None:
    root, report = Path(sys.argv[1]), Path(sys.argv[2])
    publish = "--publish" in sys.argv
    runs = [run_command(["validate", "--root", str(root), "--format", "json"])]
    runs.append(run_command(["list", "--root", str(root), "--all"]))
    ids = sorted(path.stem for path in (root / "content/posts").rglob("*.md"))
    for post_id in ids[:5]:
        runs.append(run_command(["render", "--root", str(root), post_id]))
    runs.append(run_command(["publish", "--root", str(root), "--dry-run"]))
    if (root / ".git").exists():
        runs.append(run_command(["preview", "--root", str(root), "--changed", "HEAD~1..HEAD"]))
    if publish:
        runs.append(run_command(["publish", "--root", str(root), "--format", "json"]))
        published = report.with_suffix(".publish.json")
        published.write_text(runs[-1]["output"], encoding="utf-8")
        runs.append(run_command(["failures", "--root", str(root), str(published)]))
    runs.append(build_site(root))
    report.write_text(json.dumps(runs), encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    main()
