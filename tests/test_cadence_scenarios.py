"""Cadence scenarios (tests/cadence_scenarios/<name>/), run by one shared runner.

Each folder holds a content/ tree (and a state/ tree, for the inbox) and expected.yml:
`now`, the findings of `social cadence --format json` per channel (exactly these, in
this order; channels not listed have none), and optionally `validate`: the cadence
findings `social validate` must report (file, line, level, code; column when given),
and `validate_count` where validate reports fewer than cadence (it leaves the inbox out).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.yamlload import load_yaml

SCENARIOS = Path(__file__).parent / "cadence_scenarios"
PROJECT = Path(__file__).resolve().parent.parent
NAMES = sorted(folder.name for folder in SCENARIOS.iterdir() if (folder / "expected.yml").is_file())


def build(name: str, tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name / "content", root / "content")
    if (SCENARIOS / name / "state").is_dir():
        shutil.copytree(SCENARIOS / name / "state", root / "state")
    shutil.copytree(PROJECT / "templates", root / "templates")
    return root, load_yaml((SCENARIOS / name / "expected.yml").read_text(encoding="utf-8"))


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_every_rule_has_a_scenario():
    covered = set()
    for name in NAMES:
        expected = load_yaml((SCENARIOS / name / "expected.yml").read_text(encoding="utf-8"))
        covered |= {f["rule"] for found in (expected["findings"] or {}).values() for f in found}
    from pipeline.cadence.registry import RULES

    assert covered == set(RULES)


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name: str, tmp_path: Path) -> None:
    root, expected = build(name, tmp_path)
    result = invoke("cadence", "--root", str(root), "--now", expected["now"], "--format", "json")
    report = json.loads(result.output)
    wanted = expected["findings"] or {}
    assert set(wanted) <= set(report["channels"]), "a scenario names an unknown channel"
    for channel, data in report["channels"].items():
        actual = data["findings"]
        want = wanted.get(channel, [])
        shown = json.dumps(actual, indent=2)
        assert [(f["rule"], f["level"], f["posts"], f["start"], f["end"]) for f in actual] == [
            (w["rule"], w["level"], w["posts"], w["start"], w["end"]) for w in want], shown
        for found, want_one in zip(actual, want, strict=True):
            assert want_one["message_contains"] in found["message"], shown
    has_errors = any(f["level"] == "error" for found in wanted.values() for f in found)
    assert result.exit_code == (1 if has_errors else 0), result.output

    text = invoke("cadence", "--root", str(root), "--now", expected["now"])
    assert text.exit_code == result.exit_code
    for found in wanted.values():
        for want_one in found:
            assert want_one["message_contains"] in " ".join(text.output.split())

    checked = invoke("validate", "--root", str(root), "--now", expected["now"], "--format", "json")
    data = json.loads(checked.output)
    reported = [{"level": level[:-1], **f} for level in ("errors", "warnings") for f in data[level]]
    assert all(f["code"].startswith("cadence-") for f in reported), reported
    assert len(reported) == expected.get("validate_count", sum(len(found) for found in wanted.values())), reported
    for want_one in expected.get("validate", []):
        assert any(all(f[key] == value for key, value in want_one.items()) for f in reported), (
            f"{want_one} not among {json.dumps(reported, indent=2)}")
