"""Turn pydantic's validation errors into findings a person can act on."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ValidationError

from pipeline.errors import ERROR, Finding


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping found at `loc` under `model`."""
    current: object = model
    for step in loc:
        if isinstance(step, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            current = _inner_model(current)
            if isinstance(step, int):
                continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(step)
        if info is None:
            # a dict of models (channels, overrides): the key itself is the step
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: object) -> object:
    """Unwrap Optional/list/dict annotations down to a model class, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    if isinstance(annotation, types.UnionType):
        return None
    return None


def dotted(loc: Iterable) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def schema_findings(
    error: ValidationError,
    model: type[BaseModel],
    file: str,
    place: Callable[[tuple], tuple[int, int]],
    prefix: tuple = (),
    also_known: Iterable[str] = (),
) -> list[Finding]:
    """One finding per problem; an unknown key that looks like a missing one is reported once."""
    problems = error.errors(include_url=False)
    unknown = [p for p in problems if p["type"] == "extra_forbidden"]
    findings = []
    explained_missing: set[tuple] = set()
    for problem in unknown:
        loc = tuple(problem["loc"])
        parent = _model_at(model, loc[:-1])
        known = (list(parent.model_fields) if parent else []) + list(also_known)
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        where = dotted(prefix + loc[:-1])
        message = f"unknown key {loc[-1]!r}" + (f" in {where}" if where else "")
        if guess:
            message += f"; did you mean {guess[0]!r}?"
            explained_missing.add((*loc[:-1], guess[0]))
        elif known:
            message += f"; known keys: {', '.join(known)}"
        line, column = place(prefix + loc)
        findings.append(Finding(file, line, column, ERROR, "unknown-key", message))
    for problem in problems:
        loc = tuple(problem["loc"])
        if problem["type"] == "extra_forbidden" or loc in explained_missing:
            continue
        if problem["type"] == "missing":
            line, column = place(prefix + loc[:-1])
        else:
            line, column = place(prefix + loc + ("<value>",))
        findings.append(
            Finding(file, line, column, ERROR, _code(problem), _message(problem, prefix + loc))
        )
    return findings


def _code(problem: dict) -> str:
    return "missing-key" if problem["type"] == "missing" else "wrong-type"


def _message(problem: dict, loc: tuple) -> str:
    name = dotted(loc)
    kind = problem["type"]
    got = problem.get("input")
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" + (f" in {dotted(loc[:-1])}" if loc[:-1] else "")
    if kind == "literal_error":
        expected = problem.get("ctx", {}).get("expected", "")
        return f"{name} must be one of {expected}, not {got!r}"
    if kind == "list_type":
        return f"{name} must be a list, e.g. {loc[-1]}: [{got if isinstance(got, str) else 'a, b'}]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{name} must be a mapping of keys to values, not {type(got).__name__}"
    if kind == "string_type":
        return f"{name} must be text, not {_kind_of(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be true or false, not {got!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number, not {got!r}"
    if kind == "too_short":
        return f"{name} must not be empty"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "id":
            return (f"id {got!r} may only hold lowercase letters, digits, '-' and '_', "
                    "and must start with a letter or digit")
        return f"{name} {got!r} does not have the expected form ({problem['msg']})"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name} must be {problem['msg'].lower().removeprefix('input should be ')}"
    return f"{name}: {problem['msg']}"


def _kind_of(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"{type(value).__name__} {value!r}"
