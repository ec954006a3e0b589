"""Operations whose result can outgrow their input, measured before they run.

`'a' * 10**9`, `'%100000000s' % x`, `'x'.center(10**9)`, `2 ** 10**9`: each is one
step, and by the time it returns the harm is done. Each check here works out how big
the result would be from the operands alone and refuses it over the budget; the
operation runs only when it fits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pipeline.render.budget import TOO_BIG, Limits, TemplateBudgetError, refuse_over, weight

_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
                      r"[hlL]?(?P<type>.?)", re.DOTALL)
_NUMBER = re.compile(r"\d+")
_TEXT = str | bytes | bytearray
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})


def check_binop(operator: str, left: object, right: object, limits: Limits) -> None:
    """Refuses `left <operator> right` (`*`, `**`, `+`, `%`) when its result would be over budget."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and isinstance(seq, _TEXT | list | tuple) and times > 0:
                refuse_over("'*'", weight(seq, limits.value) * times, limits.value)
        if isinstance(left, int) and isinstance(right, int):
            _refuse_number("'*'", abs(left).bit_length() + abs(right).bit_length(), limits)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            # |left| < 2**bits, so the result has fewer than bits * right bits
            _refuse_number("'**'", abs(left).bit_length() * right, limits)
    elif operator == "+":
        if isinstance(left, _TEXT | list | tuple) and isinstance(right, _TEXT | list | tuple):
            refuse_over("'+'", weight(left, limits.value) + weight(right, limits.value), limits.value)
    elif operator == "%" and isinstance(left, str | bytes):
        refuse_over("'%' formatting", percent_size(left, right, limits), limits.value)


def _refuse_number(what: str, bits: int, limits: Limits) -> None:
    if bits > limits.number_bits:
        raise TemplateBudgetError(TOO_BIG, f"{what} would make a number of about {bits:,} bits; a template "
                                           f"may compute numbers of at most {limits.number_bits:,} bits")


def percent_size(form: str | bytes, values: object, limits: Limits) -> int:
    """At most how long `form % values` is: widths and precisions (`*` ones too) and the values."""
    text = form.decode("latin-1") if isinstance(form, bytes) else form
    positional = values if isinstance(values, tuple) else (values,)
    index = 0
    size = len(text)

    def next_value() -> object:
        nonlocal index
        index += 1
        return positional[index - 1] if index <= len(positional) else None

    for match in _PERCENT.finditer(text):
        if match["type"] == "%":
            continue
        width, precision = (_amount(match[part], next_value) for part in ("width", "precision"))
        if match["key"] is not None:
            value = values.get(match["key"]) if isinstance(values, Mapping) else None
        else:
            value = next_value()
        quoted = 6 if match["type"] in "ra" else 1  # a repr may escape every character
        size += width + precision + quoted * weight(value, limits.value)
        if size > limits.value:
            break
    return size


def _amount(written: str | None, next_value) -> int:
    if written == "*":
        value = next_value()
        return abs(value) if isinstance(value, int) else 0
    return int(written) if written else 0


def check_format_spec(spec: str, limits: Limits) -> None:
    """Refuses a `str.format` field whose width or precision is over budget (`{:>100000000}`)."""
    for number in _NUMBER.findall(spec):
        refuse_over(f"the format '{{:{spec[:20]}}}'", int(number), limits.value)


def check_method(method: object, args: Sequence, kwargs: Mapping, limits: Limits) -> tuple | None:
    """Refuses a call of a string or number method that would outgrow the budget.

    Returns the arguments to call it with instead, where checking had to read them (`join`
    reads an iterator once), else None.
    """
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if isinstance(owner, int) and not isinstance(owner, bool) and name == "to_bytes":
        refuse_over("to_bytes", _arg(args, kwargs, 0, "length", 1), limits.value)
    if not isinstance(owner, _TEXT):
        return None
    what = f"{name}()"
    if name in _PADDING:
        refuse_over(what, _arg(args, kwargs, 0, "width", 0), limits.value)
    elif name == "expandtabs":
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
        refuse_over(what, len(owner) + tabs * _arg(args, kwargs, 0, "tabsize", 8), limits.value)
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        refuse_over(what, replaced_size(owner, args[0], args[1], count), limits.value)
    elif name == "translate" and args:
        longest = max((len(v) for v in _values(args[0]) if isinstance(v, _TEXT)), default=1)
        refuse_over(what, len(owner) * max(longest, 1), limits.value)
    elif name == "join" and args:
        items = list(args[0])
        refuse_over(what, joined_size(items, owner, limits), limits.value)
        return (items, *args[1:])
    return None


def replaced_size(text: object, old: object, new: object, count: object) -> int:
    """How long `text.replace(old, new, count)` would be."""
    if not isinstance(text, _TEXT) or not isinstance(old, _TEXT) or not isinstance(new, _TEXT):
        return 0
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * len(new)


def joined_size(items: list, separator: object, limits: Limits) -> int:
    """How long the items joined with `separator` would be, counting no further than the budget."""
    size = len(separator) * max(len(items) - 1, 0) if isinstance(separator, _TEXT) else 0
    for item in items:
        if size > limits.value:
            break
        size += weight(item, limits.value)
    return size


def _values(table: object) -> list:
    if isinstance(table, Mapping):
        return list(table.values())
    return list(table) if isinstance(table, list | tuple) else []


def _arg(args: Sequence, kwargs: Mapping, index: int, name: str, default: object) -> int:
    value = args[index] if len(args) > index else kwargs.get(name, default)
    if isinstance(value, _TEXT):
        return len(value)
    return value if isinstance(value, int) else 0
