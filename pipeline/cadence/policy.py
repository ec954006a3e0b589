"""Reading the cadence rules and slots of channels.yml into typed values, saying what is wrong.

Pure: takes the values as the YAML loader gave them and returns rules plus
problems, each with the key path in channels.yml where it belongs. A channel's
`cadence` is merged over `defaults.cadence` rule by rule; `{level: warning}`
alone keeps the default's value and changes only the level. What each rule's
value looks like is its declaration's business (`rules/`, listed in `registry.py`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pipeline.cadence.declaration import LEVELS, OFF, CadenceRule, Rule
from pipeline.cadence.localtime import format_span
from pipeline.cadence.registry import RULES
from pipeline.cadence.values import WEEKDAYS, InvalidValue, Slot, parse_slot
from pipeline.errors import dotted


@dataclass(frozen=True)
class Problem:
    """Something wrong in channels.yml: where (a key path), a finding code, what to do."""

    path: tuple
    code: str
    message: str


@dataclass(frozen=True)
class _Layer:
    """One rule as written in one place (defaults or a channel), before merging."""

    value: Any
    level: str | None
    path: tuple


def parse_layer(raw: object, path: tuple) -> tuple[dict[str, _Layer], list[Problem]]:
    """The rules written at `path` (`("defaults", "cadence")` or a channel's cadence)."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [Problem((*path, "<value>"), "cadence-invalid",
                            f"{dotted(path)} must be a mapping of rules, e.g. "
                            "cadence: {max_per_day: 3, min_gap: 2h}")]
    layers: dict[str, _Layer] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        here = (*path, name)
        if name not in RULES:
            guess = difflib.get_close_matches(str(name), RULES, n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known rules: {', '.join(RULES)}"
            problems.append(Problem(here, "unknown-key",
                                    f"unknown key {name!r} in {dotted(path)}; {hint}"))
            continue
        if value is None:  # `min_gap:` with nothing after it: as if not written
            continue
        try:
            layers[name] = _layer(RULES[name], value, here)
        except InvalidValue as exc:
            problems.append(Problem((*here, "<value>"), exc.code, f"{dotted(here)}: {exc}"))
    return layers, problems


def _layer(rule: CadenceRule, value: object, here: tuple) -> _Layer:
    if value == OFF:
        return _Layer(OFF, OFF, here)
    wrapped = isinstance(value, dict) and (
        not rule.inline_level or "value" in value or set(value) == {"level"})
    if not wrapped and rule.inline_level and isinstance(value, dict) and "level" in value:
        value = dict(value)  # the shorthand may carry its level inline
        level = _level(value.pop("level"))
        return _Layer(rule.parse(value), level, here)
    if not wrapped:
        return _Layer(rule.parse(value), None, here)
    unknown = sorted(set(value) - {"value", "level"}, key=str)
    if unknown:
        raise InvalidValue(f"unknown key {unknown[0]!r}; write the rule as a value (e.g. "
                           f"{rule.name}: {rule.example}) or as {{value: {rule.example}, "
                           "level: warning}")
    level = _level(value["level"]) if "level" in value else None
    if "value" not in value:
        if level is None:
            raise InvalidValue("give a value, a level, or both: {value: ..., level: warning}")
        return _Layer(None, level, here)
    return _Layer(rule.parse(value["value"]), level, here)


def _level(value: object) -> str:
    if value not in LEVELS:
        raise InvalidValue(f"level must be one of error, warning, off, not {value!r}")
    return str(value)


def merge(defaults: dict[str, _Layer], channel: dict[str, _Layer], where: str,
          inputs: frozenset[str] = frozenset()) -> tuple[dict[str, Rule], list[Problem]]:
    """The active rules of one channel: its own over the defaults, rule by rule; a rule's own default
    value where neither gives one, if the channel has the input the rule needs (`inputs`)."""
    rules: dict[str, Rule] = {}
    problems: list[Problem] = []
    for name, declared in RULES.items():
        own, base = channel.get(name), defaults.get(name)
        implied = declared.default is not None and (declared.needs is None or declared.needs in inputs)
        if own is None and base is None and not implied:
            continue
        value_from = own if own is not None and own.value is not None else base
        level = (own.level if own is not None and own.level else None) or (
            base.level if base is not None and base.level else None) or declared.default_level
        if (own is not None and own.value == OFF) or level == OFF:
            continue
        if (value_from is None or value_from.value is None) and declared.default is not None:
            rules[name] = Rule(name, declared.default, level, (own or base).path if (own or base) else ())
            continue
        if value_from is None or value_from.value is None or value_from.value == OFF:
            problems.append(Problem((*(own or base).path, "<value>"), "cadence-invalid",
                                    f"{where}: {name} has a level but no value, and defaults "
                                    f"give none to keep; write {{value: {declared.example}, "
                                    f"level: {level}}}"))
            continue
        rules[name] = Rule(name, value_from.value, level, value_from.path)
    return rules, problems


def parse_slots(raw: list[str], path: tuple) -> tuple[list[tuple[Slot, tuple]], list[Problem]]:
    """The slots written at `path`, each with its own key path."""
    slots, problems = [], []
    for index, text in enumerate(raw):
        try:
            slots.append((parse_slot(text), (*path, index)))
        except InvalidValue as exc:
            problems.append(Problem((*path, index), exc.code, f"{dotted(path)}[{index}]: {exc}"))
    return slots, problems


def contradictions(rules: dict[str, Rule], slots: list[tuple[Slot, tuple]], owner: tuple,
                   where: str) -> list[Problem]:
    """Rules that cannot all hold, and slots the rules forbid.

    Only problems that involve something written under `owner` are returned, so a
    contradiction inside defaults is reported once, at defaults, not per channel.
    """
    problems = []

    def mine(*names: str) -> Rule | None:
        for name in names:
            if rules[name].path[:len(owner)] == owner:
                return rules[name]
        return None

    per_day, gap, window = rules.get("max_per_day"), rules.get("min_gap"), rules.get("hours")
    if per_day and gap:
        span = window.value.end - window.value.start if window else 24 * 60 - 1
        fit = int(span // (gap.value.total_seconds() / 60)) + 1
        at = mine("max_per_day", "min_gap", *(["hours"] if window else []))
        if per_day.value > fit and at:
            within = f"hours {window.value.text}" if window else "one day"
            problems.append(Problem(
                (*at.path, "<value>"), "cadence-contradiction",
                f"{where}: max_per_day {per_day.value} can never be reached: with min_gap "
                f"{format_span(gap.value)} only {fit} post{'s' if fit != 1 else ''} fit into {within}; "
                "lower max_per_day or min_gap" + (", or widen hours" if window else "")))
    silence = rules.get("max_silence")
    if silence and gap and silence.value < gap.value:
        at = mine("max_silence", "min_gap")
        if at:
            problems.append(Problem(
                (*at.path, "<value>"), "cadence-contradiction",
                f"{where}: max_silence {format_span(silence.value)} is shorter than min_gap "
                f"{format_span(gap.value)}: every gap would break one of them; make max_silence longer"))
    allowed = rules.get("days")
    for slot, path in slots:
        if allowed:
            forbidden = sorted(slot.days - allowed.value.allowed)
            if forbidden:
                names = ", ".join(WEEKDAYS[day] for day in forbidden)
                problems.append(Problem(path, "slot-forbidden",
                                        f"{where}: slot {slot.text!r} falls on {names}, which days "
                                        f"({allowed.value.text}) forbids: queued posts could never "
                                        "take it; change the slot or days"))
        if window:
            minute = slot.clock.hour * 60 + slot.clock.minute
            if not window.value.allows(minute):
                problems.append(Problem(path, "slot-forbidden",
                                        f"{where}: slot {slot.text!r} is outside hours "
                                        f"{window.value.text}: queued posts could never take it; "
                                        "move the slot into the hours"))
    return problems
