"""The cadence rules in their order, and what is generated from their declarations.

To add a rule: write `rules/<name>.py` (its value, its check, its `RULE`), list it
here, add its scenario and its section in docs/cadence.md. The parser, the JSON
Schema, the docs table, the report and the queue take it from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.cadence.declaration import LEVELS, CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.rules import (
    blackout,
    days,
    duplicates,
    hours,
    max_engagements_per_day,
    max_per_day,
    max_per_week,
    max_silence,
    max_unanswered,
    min_gap,
    mix,
    runway,
)

#: name -> declaration, in the order rules are applied, reported and documented
RULES: dict[str, CadenceRule] = {module.RULE.name: module.RULE for module in (
    max_per_day, max_per_week, min_gap, max_silence, runway, hours, days, blackout, duplicates, mix,
    max_engagements_per_day, max_unanswered,
)}

_LEVEL_SCHEMA = {"enum": list(LEVELS), "type": "string",
                 "description": "error blocks, warning informs, off turns the rule off "
                                "(default: the rule's own level)"}


def check(line: Timeline, rules: Mapping[str, Rule]) -> list[CadenceFinding]:
    """Every finding of `rules` on one timeline, in time order."""
    findings = []
    for rule in rules.values():
        findings.extend(check_rule(line, rule))
    findings.sort(key=lambda f: (f.start, f.end, f.rule, f.posts))
    return findings


def check_rule(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """One rule's findings: on the posts alone, or with likes and reposts for the rules that count them."""
    declared = RULES[rule.name]
    return declared.check(line if declared.engagements else line.posts(), rule)


def describe(rule: Rule) -> str:
    """A rule's value as people write it: `2h`, `08:00-20:00`, `promo 20% in 30d`."""
    return RULES[rule.name].describe(rule.value)


def cadence_schema() -> dict:
    """The JSON Schema of a `cadence:` section: each rule plain, `{value, level}`, or off."""
    return {
        "title": "CadenceRules",
        "description": "Posting cadence rules: each value plain (`max_per_day: 3`) or "
                       "`{value: 3, level: warning}`.",
        "type": "object",
        "properties": {name: _rule_schema(rule) for name, rule in RULES.items()},
        "additionalProperties": False,
    }


def _rule_schema(rule: CadenceRule) -> dict:
    plain = rule.schema
    if rule.inline_level:
        plain = {**plain, "properties": {**plain.get("properties", {}), "level": _LEVEL_SCHEMA}}
    wrapped = {
        "type": "object",
        "description": "The value with its level; without a value, the value from defaults",
        "properties": {"value": rule.schema, "level": _LEVEL_SCHEMA},
        "additionalProperties": False,
        "minProperties": 1,
    }
    return {
        "description": f"{rule.description} (default level: {rule.default_level})",
        "anyOf": [plain, wrapped, {"const": "off", "type": "string"}, {"type": "null"}],
    }
