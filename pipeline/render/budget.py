"""What one template may do in one render, and the counting that holds it to that.

Templates come from pull requests, so a template may be hostile: `{{ 'a' * 10**9 }}`
would take gigabytes, nested loops minutes, a macro that calls itself the whole stack.
Jinja's sandbox keeps a template away from Python's internals, not from the machine's
memory and time; these budgets do that. Each is far above what any post needs
(docs/rendering.md lists them); a template over one is a finding at its line.

Sizes are checked *before* anything big is built wherever the size is known in advance
(see `growth`); everything a template builds or writes is then counted against `work`,
and every loop turn, call, filter and operator is a step, checked against `steps` and
against the clock. The clock is injected, so tests never wait. No alarm signal is used:
a render may run off the main thread, `social publish` has its own SIGINT and SIGTERM
handling, and since every single step is bounded in size, looking at the clock at each
step is enough.
"""

from __future__ import annotations

import time
from collections.abc import Callable, ItemsView, KeysView, ValuesView
from dataclasses import dataclass

from jinja2.exceptions import TemplateRuntimeError
from jinja2.utils import Namespace

Clock = Callable[[], float]

TOO_BIG = "template-too-big"
TOO_SLOW = "template-too-slow"
TOO_DEEP = "template-too-deep"


@dataclass(frozen=True)
class Limits:
    """The budgets of one render of one template."""

    #: characters in any one string, or items in any one list, the template builds (and in its source)
    value: int = 100_000
    #: characters of everything it builds and writes, macro bodies and `{% set %}` blocks included
    work: int = 1_000_000
    #: loop turns, calls, filters and operators: the same verdict on every machine
    steps: int = 100_000
    #: wall-clock seconds, for steps that are slow one by one
    seconds: float = 2.0
    #: wall-clock seconds for all renders of one template in one run (one per post, channel and part)
    total_seconds: float = 30.0
    #: calls inside calls (a macro calling itself), and lists, dicts and namespaces inside each other
    depth: int = 50
    #: bits of the largest whole number it computes (10,000 bits: about 3,000 digits)
    number_bits: int = 10_000


class TemplateBudgetError(TemplateRuntimeError):
    """A template went over one of its budgets; `code` is the finding's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def too_big(what: str, size: int, limit: int) -> TemplateBudgetError:
    return TemplateBudgetError(TOO_BIG, f"{what} would build {size:,} characters or items; a template may "
                                        f"build at most {limit:,} at once: check its repetitions, widths "
                                        "and loops")


def refuse_over(what: str, size: int, limit: int) -> None:
    """Raises before `what` builds `size` characters or items, if that is over `limit`."""
    if size > limit:
        raise too_big(what, size, limit)


def weight(value: object, limit: int, per_level: int = 0, max_level: int | None = None) -> int:
    """How much `value` holds once written out: the characters of its strings and one for every
    other item, an item held twice counted twice, so that a list doubled into itself forty times
    weighs what it would print. `per_level` adds that much for each level an item is nested at
    (indentation). Counting stops past `limit`, so it never takes more than `limit` steps.

    Items nested deeper than `max_level` are refused: Python compares, prints and hashes nested
    values by recursing in C, and a tuple nested 200,000 deep crashes the interpreter when hashed.
    """
    total = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if max_level is not None and level > max_level:
            raise TemplateBudgetError(TOO_DEEP, f"the template nests lists, tuples, dicts or namespaces more "
                                                f"than {max_level} deep: check its loops")
        total += level * per_level
        if isinstance(item, str | bytes | bytearray):
            total += max(len(item), 1)
        elif isinstance(item, int):
            total += 1 + item.bit_length() // 64
        else:
            total += 1
        children = _children(item)
        # Every child costs at least one when it is counted: stop before the stack outgrows the limit.
        if total + len(stack) + len(children) > limit:
            return max(total + len(stack) + len(children), limit + 1)
        stack.extend((child, level + 1) for child in children)
    return total


def _children(item: object) -> list:
    if isinstance(item, str | bytes | bytearray | int | float):
        return []
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
        return list(item)
    if isinstance(item, Namespace):
        # What `namespace(...)` holds shows when it is printed; it lives in a name-mangled dict.
        return list(object.__getattribute__(item, "_Namespace__attrs").values())
    return []


class Budget:
    """One render's spending against its Limits.

    `allowance` is what is left of the template's `total_seconds` in this run, when that is
    less than `seconds`.
    """

    def __init__(self, limits: Limits, clock: Clock = time.monotonic, allowance: float | None = None) -> None:
        self.limits = limits
        self.clock = clock
        self.start = clock()
        self.in_all = allowance is not None and allowance < limits.seconds
        self.deadline = self.start + (allowance if self.in_all else limits.seconds)
        self.steps = 0
        self.work = 0
        self.depth = 0

    def step(self) -> None:
        """One loop turn, call, filter or operator."""
        self.steps += 1
        if self.steps > self.limits.steps:
            raise TemplateBudgetError(TOO_SLOW, f"the template takes more than {self.limits.steps:,} steps "
                                                "(loop turns, calls, filters, operators): check its loops")
        if self.clock() > self.deadline:
            if self.in_all:
                raise TemplateBudgetError(TOO_SLOW, f"the template has run longer than "
                                                    f"{self.limits.total_seconds:g} s over all its renders "
                                                    "in this run: check its loops")
            raise TemplateBudgetError(TOO_SLOW, f"the template runs longer than {self.limits.seconds:g} s: "
                                                "check its loops")

    def spend(self, size: int) -> None:
        """`size` characters built or written."""
        self.work += size
        if self.work > self.limits.work:
            raise TemplateBudgetError(TOO_BIG, f"the template builds and writes more than {self.limits.work:,} "
                                               "characters in all: check its loops and macros")

    def enter(self) -> None:
        """A call begins (`leave` when it ends)."""
        self.depth += 1
        if self.depth > self.limits.depth:
            raise TemplateBudgetError(TOO_DEEP, f"calls nest more than {self.limits.depth} deep: check for a "
                                                "macro or a recursive loop that calls itself without end")

    def leave(self) -> None:
        self.depth -= 1
