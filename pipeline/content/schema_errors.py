"""Turn pydantic's validation errors into findings a person can act on."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ValidationError

from pipeline.errors import ERROR, Finding, dotted


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _annotation_at(model: type[BaseModel], loc: tuple) -> object:
    """The annotation of what is found at `loc` under `model`, or None when unknown.

    Steps through models (a field name), lists (an index) and dicts of models
    (`overrides.<channel>`, `channels.<id>`: any key), unwrapping Optional.
    """
    current: object = model
    for step in loc:
        current = _step(current, step)
        if current is None:
            return None
    return current


def _step(annotation: object, step: object) -> object:
    if _is_model(annotation):
        info = annotation.model_fields.get(step) if isinstance(step, str) else None
        return info.annotation if info else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _step(arg, step)
            if found is not None:
                return found
        return None
    if origin is list and isinstance(step, int) and args:
        return args[0]
    if origin is dict and isinstance(step, str) and len(args) == 2:
        return args[1]
    return None


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping found at `loc` under `model`."""
    found = _model_in(_annotation_at(model, loc))
    return found if _is_model(found) else None


def _model_in(annotation: object) -> object:
    """Unwrap Optional/list/dict annotations down to a model class, if any."""
    if _is_model(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if _is_model(found):
            return found
    return None


def _description(model: type[BaseModel], loc: tuple) -> str | None:
    """The schema's description of the field at `loc`, to tell what a value should look like."""
    parent = _model_at(model, loc[:-1]) if loc else None
    info = parent.model_fields.get(loc[-1]) if parent and isinstance(loc[-1], str) else None
    return info.description if info else None


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
        guess = _meant(loc[-1], known)
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
        message = _message(problem, prefix + loc, model, loc)
        findings.append(Finding(file, line, column, ERROR, _code(problem, loc), message))
    return findings


def _meant(key: object, known: list[str]) -> list[str]:
    """The known key an unknown one looks like a misspelling of (at most one)."""
    return difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)


def unread_keys(error: ValidationError, model: type[BaseModel], data: dict) -> frozenset[str]:
    """The top-level keys of `data` whose values `error` makes unusable, as a set of field names.

    A problem anywhere under a key makes the whole key unread. An unknown key that looks
    like a misspelt one (`publsh_at`) stands for the key it meant, when that is not
    written too: the post's real time is then unknown, not absent.
    """
    unread = set()
    for problem in error.errors(include_url=False):
        loc = problem["loc"]
        if not loc:
            continue
        unread.add(str(loc[0]))
        if problem["type"] == "extra_forbidden" and len(loc) == 1:
            unread.update(meant for meant in _meant(loc[0], list(model.model_fields)) if meant not in data)
    return frozenset(unread)


def _code(problem: dict, loc: tuple) -> str:
    if problem["type"] == "missing":
        return "missing-key"
    if problem["type"] in ("string_pattern_mismatch", "string_too_long") and loc == ("id",):
        return "id-invalid"
    if problem["type"] in ("string_too_long", "too_long"):
        return "value-too-long"
    return "wrong-type"


def _message(problem: dict, loc: tuple, model: type[BaseModel], own_loc: tuple) -> str:
    """`loc` names the place for people (with any prefix); `own_loc` is relative to `model`."""
    name = dotted(loc)
    kind = problem["type"]
    got = problem.get("input")
    about = _description(model, own_loc)
    if kind == "missing":
        return (f"missing required key {loc[-1]!r}" + (f" in {dotted(loc[:-1])}" if loc[:-1] else "")
                + "; add it" + (f": {about}" if about else ""))
    if kind == "invalid_key":
        return f"{got!r} cannot be a key; keys are names such as channels or publish_at"
    if kind in ("literal_error", "enum"):
        expected = problem.get("ctx", {}).get("expected", "")
        return f"{name} must be one of {expected}, not {got!r}"
    if kind == "list_type":
        item = _model_in(_annotation_at(model, own_loc))
        if _is_model(item):
            keys = list(item.model_fields)
            first = got if isinstance(got, str) else "..."
            return (f"{name} must be a list of entries with {', '.join(keys)}, e.g. "
                    f"{loc[-1]}: [{{{keys[0]}: {first}, {keys[1] if len(keys) > 1 else ''}: ...}}]")
        return f"{name} must be a list, e.g. {loc[-1]}: [{got if isinstance(got, str) else 'a, b'}]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        entry = _model_at(model, own_loc)
        keys = f" (keys: {', '.join(entry.model_fields)})" if entry else ""
        return (f"{name} must be a mapping of keys to values{keys}, not {_kind_name(got)}"
                + (f" ({about})" if about and not entry else ""))
    if kind == "string_type":
        return f"{name} must be text, not {_kind_of(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be true or false, not {got!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number, not {got!r}"
    if kind == "too_short":
        return f"{name} must not be empty; list at least one" + (f" ({about})" if about else "")
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "id":
            slug = re.sub(r"[^a-z0-9_-]+", "-", str(got).lower()).strip("-_") or "my-post"
            return (f"id {got!r} may only hold lowercase letters, digits, '-' and '_', "
                    f"and must start with a letter or digit, e.g. id: {slug}")
        if problem.get("ctx", {}).get("pattern", "").startswith("^https?://"):
            return f"{name} {got!r} must be a URL starting with https://" + (
                f" ({about})" if about else "")
        return f"{name} {got!r} does not have the expected form" + (
            f": {about}" if about else f" ({problem['msg']})")
    if kind == "string_too_long":
        limit = problem.get("ctx", {}).get("max_length")
        return (f"{name} is {len(str(got))} characters long; at most {limit} are allowed: "
                "shorten it")
    if kind == "too_long":
        limit = problem.get("ctx", {}).get("max_length")
        return f"{name} lists {len(got) if hasattr(got, '__len__') else 'too many'} entries; at most {limit}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name} must be {problem['msg'].lower().removeprefix('input should be ')}"
    return f"{name}: {problem['msg']}"


def _kind_name(value: object) -> str:
    """What kind of value it is, never the value: `credentials: <pasted secret>` lands here."""
    if isinstance(value, dict | list) or value is None:
        return _kind_of(value)
    if isinstance(value, bool | int | float):
        return "a number" if not isinstance(value, bool) else "true or false"
    return "text"


def _kind_of(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"{type(value).__name__} {value!r}"
