"""Jinja's immutable sandbox, held to a budget: what a template builds, writes and runs is counted.

Where a template can make something big or run long, the environment gets a say:
operators (`call_binop`), calls, `str.format`, filters and `range` are checked before
they run (see `growth`); the code Jinja compiles a template to is changed a little, so
that every loop turn is a step and `~`, list, tuple and dict literals and every piece of
written text are weighed (`BoundedCodeGenerator`). Only text that Jinja computes while
compiling escapes this; filters are kept from running then (see `filters`), which leaves
only what the template's own source spells out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from functools import update_wrapper
from types import BuiltinMethodType, MethodType, TracebackType

from jinja2 import BaseLoader, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import generate_lorem_ipsum
from markupsafe import Markup

from pipeline.render.budget import TOO_BIG, Budget, Clock, Limits, TemplateBudgetError, refuse_over, weight
from pipeline.render.filters import bounded_filters
from pipeline.render.growth import check_binop, check_format_spec, check_method


class BoundedCodeGenerator(CodeGenerator):
    """Compiles templates so that loops are counted and built or written text is weighed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: set[int] = set()

    def visit(self, node: nodes.Node, *args, **kwargs):
        # A loop's iterable, compiled as `environment.looped(...)`: each turn is a step. (Jinja
        # allows no new node types, and a call node would go through the sandbox's `call`.)
        if id(node) not in self._loop_iterables:
            return super().visit(node, *args, **kwargs)
        self.write("environment.looped(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables.add(id(node.iter))
        try:
            super().visit_For(node, frame)
        finally:
            self._loop_iterables.discard(id(node.iter))

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.joined((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._built(super().visit_List, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # a target: `{% for a, b in ... %}`, `{% set a, b = ... %}`
            super().visit_Tuple(node, frame)
        else:
            self._built(super().visit_Tuple, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._built(super().visit_Dict, node, frame)

    def _built(self, visit, node: nodes.Node, frame: Frame) -> None:
        self.write("environment.built(")
        visit(node, frame)
        self.write(")")

    def _output_const_repr(self, group) -> str:
        return f"environment.emitted({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize) -> None:
        self.write("environment.emitted(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with Limits on every render made inside `budgeted()`."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator

    def __init__(self, *, limits: Limits | None = None, clock: Clock = time.monotonic, **options) -> None:
        self.limits = limits or Limits()
        if options.get("loader") is not None:
            options["loader"] = SizedLoader(options["loader"], self.limits.value)
        super().__init__(**options)
        self.clock = clock
        self.budget: Budget | None = None
        self.filters = bounded_filters(self.filters)
        self.globals.update(range=self._range, lipsum=self._lipsum)

    def budgeted(self, allowance: float | None = None) -> BudgetScope:
        """A fresh budget for the render inside `with` (one at a time: a Templates object is not
        shared by threads); `allowance` is what is left of the template's total_seconds."""
        return BudgetScope(self, allowance)

    # -- counting, called by the compiled templates and by the filters ---------------

    def step(self) -> None:
        if self.budget is not None:
            self.budget.step()

    def made(self, value):
        """`value` was built: refused over the budget for one value, else counted as work."""
        size = weight(value, self.limits.value, max_level=self.limits.depth)
        if size > self.limits.value:
            raise TemplateBudgetError(TOO_BIG, f"the template builds a value of more than {self.limits.value:,} "
                                               "characters or items: check its repetitions and loops")
        if self.budget is not None:
            self.budget.spend(size)
        return value

    built = made  # list, tuple and dict literals

    def emitted(self, text: str) -> str:
        """A piece of text the template writes, to its output or into a macro, block or `{% set %}`."""
        if self.budget is not None:
            self.budget.spend(len(text))
        return text

    def joined(self, parts: Iterable) -> str:
        """`a ~ b ~ c`, weighed before it is joined."""
        texts = [str(part) for part in parts]
        refuse_over("'~'", sum(map(len, texts)), self.limits.value)
        return self.made("".join(texts))

    def looped(self, iterable: Iterable) -> Iterator:
        """What a `{% for %}` loop iterates: each turn is a step."""
        for item in iterable:
            self.step()
            yield item

    # -- the sandbox's hooks -------------------------------------------------------------

    def call_binop(self, context, operator: str, left, right):
        self.step()
        check_binop(operator, left, right, self.limits)
        return self.made(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's own signature
        __self.step()
        refuse_over("a call", weight(args, __self.limits.value) + weight(kwargs, __self.limits.value),
                    __self.limits.value)
        args = check_method(__obj, args, kwargs, __self.limits) or args
        budget = __self.budget
        if budget is not None:
            budget.enter()
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            if budget is not None:
                budget.leave()
        return __self.made(result)

    def wrap_str_format(self, value) -> Callable[..., str] | None:
        """`str.format` and `format_map` with every field's width and the whole result checked."""
        if not (isinstance(value, MethodType | BuiltinMethodType) and value.__name__ in ("format", "format_map")
                and isinstance(value.__self__, str)):
            return None
        text = value.__self__
        formatter = (BoundedEscapeFormatter(self, escape=text.escape) if isinstance(text, Markup)
                     else BoundedFormatter(self))
        by_name = value.__name__ == "format_map"

        def wrapper(*args, **kwargs) -> str:
            if by_name:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return type(text)(formatter.vformat(text, args, kwargs))

        return update_wrapper(wrapper, value)

    # -- globals ----------------------------------------------------------------------

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        refuse_over("range()", len(numbers), self.limits.value)
        return numbers

    def _lipsum(self, n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        refuse_over("lipsum()", n * max * 12, self.limits.value)  # words are at most 12 characters
        return generate_lorem_ipsum(n, html, min, max)


class BoundedFormatter(SandboxedFormatter):
    """`str.format` in the sandbox, refusing a width or a result over budget."""

    def __init__(self, env: BoundedSandbox, **kwargs) -> None:
        super().__init__(env, **kwargs)
        self._limits = env.limits
        self._written = 0

    def vformat(self, format_string, args, kwargs):
        self._written = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value, format_spec: str):
        check_format_spec(format_spec, self._limits)
        text = super().format_field(value, format_spec)
        self._written += len(text)
        refuse_over("format()", self._written, self._limits.value)
        return text


class BoundedEscapeFormatter(BoundedFormatter, SandboxedEscapeFormatter):
    pass


class SizedLoader(BaseLoader):
    """Refuses a template source too big to be a template, before Jinja compiles it."""

    def __init__(self, loader: BaseLoader, limit: int) -> None:
        self.loader = loader
        self.limit = limit

    def get_source(self, environment, template: str):
        source, filename, uptodate = self.loader.get_source(environment, template)
        if len(source) > self.limit:
            raise TemplateBudgetError(TOO_BIG, f"{template} has {len(source):,} characters; a template may "
                                               f"have at most {self.limit:,}")
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


class BudgetScope:
    """`with environment.budgeted():` (a plain class: it is entered for every render of every part)."""

    __slots__ = ("allowance", "environment")

    def __init__(self, environment: BoundedSandbox, allowance: float | None) -> None:
        self.environment = environment
        self.allowance = allowance

    def __enter__(self) -> Budget:
        environment = self.environment
        budget = environment.budget = Budget(environment.limits, environment.clock, self.allowance)
        return budget

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.environment.budget = None
