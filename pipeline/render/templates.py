"""Jinja2 templates in a bounded sandbox: a typo, a reach into internals or a bomb is a finding.

`<network>.j2` comes from the repository's templates/ when it has one, else it is
the network's own default template (declared in its module), so a repository
without templates/ renders exactly as one holding copies of the defaults.

Templates arrive in pull requests, so each render runs within the budgets of
`budget.Limits` (time, size, steps, depth), and whatever goes wrong while a template
compiles or runs (an exception of any kind) is a finding at its line, never a
traceback: one channel's template cannot stop the others.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from itertools import islice
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    FunctionLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.runtime import new_context
from jinja2.sandbox import SecurityError

from pipeline.errors import ERROR, Finding, PipelineError
from pipeline.networks import UnknownNetwork, network_class
from pipeline.render.budget import TOO_BIG, TOO_DEEP, Clock, Limits, TemplateBudgetError
from pipeline.render.loader import TEMPLATE_DIR, RepositoryLoader, UnsafeTemplate
from pipeline.render.sandbox import BoundedSandbox

SUFFIX = ".j2"
#: longest text a template may produce; far above any network's limit
MAX_OUTPUT = 100_000
TOO_DEEP_MESSAGE = ("the template calls itself without end (a macro, a recursive loop, an include or "
                    "extends of itself): give the recursion an end")


class TemplateProblem(Exception):
    """A template that cannot be used; carries the finding to report (once per template)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class Templates:
    """Loads templates from `templates/` once and renders them safely."""

    def __init__(self, root: Path, *, limits: Limits | None = None, clock: Clock = time.monotonic,
                 folder: Path | None = None, verbatim: bool = False) -> None:
        """`limits` and `clock` (monotonic seconds) are the render budgets; tests pass small ones.

        `folder` holds the templates (default: templates/), `verbatim` keeps every newline and
        space as written (for files, not messages: templates/new-post.md).
        """
        self.root = root
        self.folder = folder or root / TEMPLATE_DIR
        self.env = BoundedSandbox(
            limits=limits,
            clock=clock,
            loader=ChoiceLoader([RepositoryLoader(self.folder, root), FunctionLoader(default_template)]),
            undefined=StrictUndefined,
            autoescape=False,  # plain text for networks, not HTML
            keep_trailing_newline=verbatim,
            trim_blocks=not verbatim,
            lstrip_blocks=not verbatim,
        )
        self._cache: dict[str, object] = {}
        #: seconds each template has run in this run, held to Limits.total_seconds
        self._seconds: dict[str, float] = {}
        self._merged_globals: dict[int, dict] = {}

    def _globals(self, template) -> dict:
        merged = self._merged_globals.get(id(template))
        if merged is None:
            merged = self._merged_globals[id(template)] = dict(template.globals)
        return merged

    def file_of(self, name: str) -> str:
        """Where a template's problems are reported: its file, or the network that ships it."""
        path = self.folder / name
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else name
        if os.path.lexists(path) or default_template(name) is None:
            return shown
        return f"{shown} (the {name.removesuffix(SUFFIX)} network's default)"

    def load(self, name: str) -> None:
        """Compile the template now (a broken one is reported when it renders)."""
        with contextlib.suppress(TemplateProblem):
            self._template(name)

    def _template(self, name: str):
        found = self._cache.get(name)
        if found is None:
            try:
                found = self.env.get_template(name)
            except UnsafeTemplate as exc:
                found = TemplateProblem(_unsafe_finding(exc))
            except Exception as exc:
                found = TemplateProblem(self._compile_finding(name, exc))
            self._cache[name] = found
        if isinstance(found, TemplateProblem):
            raise found
        return found

    def _compile_finding(self, name: str, exc: Exception) -> Finding:
        where = self.file_of(name)
        if isinstance(exc, TemplateSyntaxError):
            return Finding(where, exc.lineno or 1, 1, ERROR, "template-syntax",
                           f"template syntax error: {exc.message}")
        if isinstance(exc, TemplateBudgetError):
            return Finding(where, 1, 1, ERROR, exc.code, exc.message or str(exc))
        if isinstance(exc, TemplateNotFound):
            return Finding(where, 1, 1, ERROR, "template-missing",
                           f"template {name} is missing ({exc}); add it to {TEMPLATE_DIR}/ or fix "
                           "`template:` in channels.yml")
        if isinstance(exc, RecursionError):
            return Finding(where, 1, 1, ERROR, TOO_DEEP, "the template nests too deep to be read (brackets "
                                                         "or blocks inside each other): flatten it")
        if isinstance(exc, MemoryError):
            return Finding(where, 1, 1, ERROR, TOO_BIG, "the template is too big to be read")
        return Finding(where, 1, 1, ERROR, "template-error", f"template error: {_describe(exc)}")

    def render(self, name: str, context: dict) -> str:
        """The template's output; TemplateProblem says what went wrong and where."""
        template = self._template(name)
        out: list[str] = []
        size = 0
        spent = self._seconds.get(name, 0.0)
        budget = None
        try:
            with self.env.budgeted(self.env.limits.total_seconds - spent) as budget:
                # What Template.generate does, with the globals merged into one plain dict once:
                # merging the template's ChainMap of globals anew for every render costs more
                # than rendering the default templates.
                context_object = new_context(self.env, template.name, template.blocks,
                                             {**self._globals(template), **context}, True, None, None)
                try:
                    chunks = template.root_render_func(context_object)
                    # Taken a batch at a time: the cap holds, without Python work for every chunk.
                    while batch := list(islice(chunks, 256)):
                        size += sum(map(len, batch))
                        if size > MAX_OUTPUT:
                            raise TemplateProblem(Finding(
                                self.file_of(name), 1, 1, ERROR, "template-too-long",
                                f"template output is longer than {MAX_OUTPUT:,} characters; check its loops"))
                        out.append("".join(batch))
                except TemplateProblem:
                    raise
                except Exception:
                    self.env.handle_exception()  # re-raises with the template's own lines in the traceback
        except TemplateProblem:
            raise
        except UnsafeTemplate as exc:  # an included template that is a link
            raise TemplateProblem(_unsafe_finding(exc)) from None
        except TemplateBudgetError as exc:
            raise self._problem(name, exc, exc.code, str(exc)) from None
        except SecurityError as exc:
            raise self._problem(name, exc, "template-unsafe",
                                f"template reaches into Python internals ({exc}); templates may only use the "
                                "documented variables and filters") from None
        except UndefinedError as exc:
            raise self._problem(name, exc, "template-undefined",
                                f"template uses an undefined variable: {exc.message}; variables: "
                                f"{', '.join(sorted(context))}") from None
        except RecursionError as exc:
            raise self._problem(name, exc, TOO_DEEP, TOO_DEEP_MESSAGE) from None
        except MemoryError as exc:
            raise self._problem(name, exc, TOO_BIG, "the template runs out of memory: check its repetitions "
                                                    "and loops") from None
        except TemplateError as exc:
            raise self._problem(name, exc, "template-error", f"template error: {_describe(exc)}") from None
        except Exception as exc:  # whatever a hostile template makes Python raise is its own problem
            raise self._problem(name, exc, "template-error", f"template error: {_describe(exc)}") from None
        finally:
            if budget is not None:
                self._seconds[name] = spent + (budget.clock() - budget.start)
        return "".join(out)

    def _problem(self, name: str, exc: BaseException, code: str, message: str) -> TemplateProblem:
        return TemplateProblem(Finding(self.file_of(name), self._line(name, exc), 1, ERROR, code, message))

    def _line(self, name: str, exc: BaseException) -> int:
        """The template line from the traceback Jinja rewrites to point into the template."""
        path = str(self.folder / name)
        line = 1
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == path and frame.lineno:
                line = frame.lineno
        return line


def _unsafe_finding(exc: UnsafeTemplate) -> Finding:
    return Finding(exc.file, 1, 1, ERROR, exc.problem.code, exc.problem.message)


def render_file(root: Path, path: Path, context: dict) -> str:
    """One template file rendered as written (templates/new-post.md), within the same budgets.

    Raises PipelineError naming the file (relative to `root` when inside it) and the line.
    """
    templates = Templates(root, folder=path.parent, verbatim=True)
    try:
        return templates.render(path.name, context)
    except TemplateProblem as problem:
        found = problem.finding
        raise PipelineError(found.message, file=found.file, line=found.line, code=found.code) from None


def default_template(name: str) -> str | None:
    """The default template a network ships for `<network>.j2`, or None."""
    if not name.endswith(SUFFIX):
        return None
    try:
        return network_class(name.removesuffix(SUFFIX)).template
    except UnknownNetwork:
        return None


def _describe(exc: BaseException) -> str:
    """The error's type and message, cut short: a hostile template can make the message huge."""
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    if isinstance(exc, TemplateError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
