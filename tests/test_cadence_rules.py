"""The rule declarations: every rule is whole, the docs follow them, and a new rule is one declaration."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import ContentRepo

from pipeline.cadence.declaration import LEVELS, CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.registry import RULES, cadence_schema
from pipeline.cadence.ruledocs import rules_table, table_in
from pipeline.cadence.values import COUNT_SCHEMA, count
from pipeline.cli import cli
from pipeline.content.jsonschema import channels_schema
from pipeline.content.yamlload import load_yaml
from pipeline.errors import WARNING

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cadence.md"


def written(example: str) -> object:
    """A rule's example as the YAML loader gives it."""
    return load_yaml(f"value: {example}")["value"]


def test_the_rules_table_in_the_docs_is_the_generated_one():
    page = DOCS.read_text(encoding="utf-8")
    assert table_in(page) == rules_table(), (
        "run `python -m pipeline.cadence.ruledocs docs/cadence.md` to update the table")


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_has_its_section_in_the_docs(name: str):
    assert f"\n### {name}\n" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(RULES))
def test_every_example_parses_fits_the_schema_and_reads_back(name: str):
    rule = RULES[name]
    assert rule.default_level in LEVELS
    value = written(rule.example)
    parsed = rule.parse(value)
    validator = jsonschema.Draft202012Validator(cadence_schema())
    for form in (value, {"value": value, "level": WARNING}, {"level": "off"}, "off"):
        assert validator.is_valid({name: form}), form
    assert not validator.is_valid({name: {"value": value, "levle": WARNING}})
    assert rule.describe(parsed)


def min_words(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts with fewer words than the rule asks for."""
    return [rule.finding(f"{event.post} has too few words ({len(event.text.split())}), min_words is "
                         f"{rule.value}", (event.post,), event.at, event.at, event.post)
            for event in line.events if len(event.text.split()) < rule.value]


MIN_WORDS = CadenceRule(name="min_words", description="Fewest words in a post", example="3",
                        default_level=WARNING, parse=count, schema=COUNT_SCHEMA, check=min_words,
                        describe=str)


def test_an_eleventh_rule_is_one_declaration(monkeypatch, tmp_path):
    monkeypatch.setitem(RULES, "min_words", MIN_WORDS)
    repo = ContentRepo(tmp_path)
    repo.write("content/channels.yml", """\
        timezone: Europe/Berlin
        channels:
          chat:
            network: outbox
            cadence: {min_words: 3}
        """)
    repo.post("short", "publish_at: 2026-12-01 09:30\nchannels: [chat]", body="Bread!")
    repo.post("long", "publish_at: 2026-12-02 09:30\nchannels: [chat]", body="Fresh rye bread today.")

    checked = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path), "--now",
                                       "2026-11-30 12:00", "--format", "json"])
    assert json.loads(checked.output)["warnings"] == [{
        "file": "content/posts/2026/12/short.md", "line": 2, "column": 13,
        "code": "cadence-min-words", "message": "chat: short has too few words (1), min_words is 3"}]

    report = CliRunner().invoke(cli, ["cadence", "--root", str(tmp_path), "--now",
                                      "2026-11-30 12:00", "--format", "json"])
    channel = json.loads(report.output)["channels"]["chat"]
    assert channel["rules"] == {"min_words": {"value": "3", "level": "warning"}}
    assert [f["posts"] for f in channel["findings"]] == [["short"]]

    rules = channels_schema()["$defs"]["CadenceRules"]
    assert rules["properties"]["min_words"]["description"] == "Fewest words in a post (default level: warning)"
    assert jsonschema.Draft202012Validator(rules).is_valid({"min_words": {"value": 5, "level": "error"}})
    assert not jsonschema.Draft202012Validator(rules).is_valid({"min_words": 0})
    assert "| [`min_words`](#min_words) | warning | `min_words: 3` | Fewest words in a post |" in rules_table()

    repo.write("content/channels.yml", """\
        timezone: Europe/Berlin
        channels:
          chat:
            network: outbox
            cadence: {min_words: {value: lots}}
        """)
    broken = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path), "--format", "json"])
    assert [(e["code"], e["message"]) for e in json.loads(broken.output)["errors"]] == [
        ("cadence-invalid", "channels.chat.cadence.min_words: must be a whole number of posts, "
                            "e.g. 3, not 'lots'")]
