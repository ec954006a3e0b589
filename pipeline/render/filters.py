"""Jinja's filters, each a counted step whose result is weighed, and checked first where it can outgrow its input.

Every filter is wrapped as one that takes the context: that keeps Jinja from running it
while it compiles a template (when no budget is being kept), and gives the wrapper the
environment whose budget it counts against.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from jinja2 import pass_context
from jinja2.runtime import Context

from pipeline.render.budget import Limits, refuse_over, weight
from pipeline.render.growth import joined_size, percent_size, replaced_size

Check = Callable[[Sequence, Mapping, Limits], "tuple | None"]


def _arg(args: Sequence, kwargs: Mapping, index: int, name: str, default: object = None) -> object:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _length(value: object) -> int:
    return len(value) if isinstance(value, str) else (value if isinstance(value, int) else 0)


def _center(args, kwargs, limits):
    refuse_over("center", _length(_arg(args, kwargs, 1, "width", 80)), limits.value)


def _indent(args, kwargs, limits):
    text = str(args[0])
    lines = text.count("\n") + 1
    refuse_over("indent", len(text) + lines * _length(_arg(args, kwargs, 1, "width", 4)), limits.value)


def _format(args, kwargs, limits):
    refuse_over("format", percent_size(str(args[0]), kwargs or tuple(args[1:]), limits), limits.value)


def _replace(args, kwargs, limits):
    size = replaced_size(str(args[0]), _arg(args, kwargs, 1, "old"), _arg(args, kwargs, 2, "new"),
                         _arg(args, kwargs, 3, "count"))
    refuse_over("replace", size, limits.value)


def _wordwrap(args, kwargs, limits):
    text = str(args[0])
    wrap = _arg(args, kwargs, 3, "wrapstring") or "\n"
    # at worst every character starts a line
    refuse_over("wordwrap", len(text) + (len(text) + 1) * _length(str(wrap)), limits.value)


def _urlize(args, kwargs, limits):
    text = str(args[0])
    per_link = 64 + sum(_length(_arg(args, kwargs, i, name) or "") for i, name in ((3, "target"), (4, "rel")))
    refuse_over("urlize", 3 * len(text) + (len(text.split()) + 1) * per_link, limits.value)


def _batch(args, kwargs, limits, name="batch", count="linecount"):
    size = _length(_arg(args, kwargs, 1, count))
    refuse_over(name, size, limits.value)
    fill = _arg(args, kwargs, 2, "fill_with")
    if fill is not None:
        refuse_over(name, size * weight(fill, limits.value), limits.value)


def _slice(args, kwargs, limits):
    _batch(args, kwargs, limits, "slice", "slices")


def _tojson(args, kwargs, limits):
    indent = _length(_arg(args, kwargs, 1, "indent") or 0)
    refuse_over("tojson", weight(args[0], limits.value, per_level=indent), limits.value)


def _pprint(args, kwargs, limits):
    refuse_over("pprint", weight(args[0], limits.value, per_level=1), limits.value)


def _join(args, kwargs, limits):
    items = list(args[0])
    refuse_over("join", joined_size(items, _arg(args, kwargs, 1, "d", ""), limits), limits.value)
    return (items, *args[1:])


#: the filters whose result can be much bigger than what they are given
CHECKS: dict[str, Check] = {
    "center": _center, "indent": _indent, "format": _format, "replace": _replace, "wordwrap": _wordwrap,
    "urlize": _urlize, "batch": _batch, "slice": _slice, "tojson": _tojson, "pprint": _pprint, "join": _join,
}


def bounded_filters(filters: Mapping[str, Callable]) -> dict[str, Callable]:
    """The filters, each counted as a step, checked first where CHECKS knows how, and its result weighed."""
    return {name: _bounded(func, CHECKS.get(name)) for name, func in filters.items()}


def _bounded(func: Callable, check: Check | None) -> Callable:
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)

    @pass_context
    @functools.wraps(func)
    def bounded(context: Context, *args, **kwargs):
        environment = context.environment
        environment.step()
        if check is not None and args:
            args = check(args, kwargs, environment.limits) or args
        first = {"context": (context,), "eval_context": (context.eval_ctx,),
                 "environment": (environment,)}.get(passes, ())
        return environment.made(func(*first, *args, **kwargs))

    return bounded
