"""Jinja2 templates in the immutable sandbox: a typo or a reach into internals is a finding.

`<network>.j2` comes from the repository's templates/ when it has one, else it is
the network's own default template (declared in its module), so a repository
without templates/ renders exactly as one holding copies of the defaults.
"""

from __future__ import annotations

import os
import traceback
from itertools import islice
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    FunctionLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.runtime import new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from pipeline.errors import ERROR, Finding
from pipeline.networks import UnknownNetwork, network_class
from pipeline.render.loader import TEMPLATE_DIR, RepositoryLoader, UnsafeTemplate

SUFFIX = ".j2"
#: longest text a template may produce; far above any network's limit
MAX_OUTPUT = 100_000


class TemplateProblem(Exception):
    """A template that cannot be used; carries the finding to report (once per template)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class Templates:
    """Loads templates from `templates/` once and renders them safely."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = ImmutableSandboxedEnvironment(
            loader=ChoiceLoader([RepositoryLoader(root), FunctionLoader(default_template)]),
            undefined=StrictUndefined,
            autoescape=False,  # plain text for networks, not HTML
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._cache: dict[str, object] = {}
        self._merged_globals: dict[int, dict] = {}

    def _globals(self, template) -> dict:
        merged = self._merged_globals.get(id(template))
        if merged is None:
            merged = self._merged_globals[id(template)] = dict(template.globals)
        return merged

    def file_of(self, name: str) -> str:
        """Where a template's problems are reported: its file, or the network that ships it."""
        if os.path.lexists(self.root / TEMPLATE_DIR / name) or default_template(name) is None:
            return f"{TEMPLATE_DIR}/{name}"
        return f"{TEMPLATE_DIR}/{name} (the {name.removesuffix(SUFFIX)} network's default)"

    def _template(self, name: str):
        found = self._cache.get(name)
        if found is None:
            try:
                found = self.env.get_template(name)
            except TemplateSyntaxError as exc:
                found = TemplateProblem(Finding(self.file_of(name), exc.lineno or 1, 1, ERROR,
                                                "template-syntax", f"template syntax error: {exc.message}"))
            except UnsafeTemplate as exc:
                found = TemplateProblem(_unsafe_finding(exc))
            except TemplateError as exc:
                found = TemplateProblem(Finding(self.file_of(name), 1, 1, ERROR, "template-missing",
                                                f"template {name} is missing ({exc}); add it to "
                                                f"{TEMPLATE_DIR}/ or fix `template:` in channels.yml"))
            self._cache[name] = found
        if isinstance(found, TemplateProblem):
            raise found
        return found

    def render(self, name: str, context: dict) -> str:
        """The template's output; TemplateProblem says what went wrong and where."""
        template = self._template(name)
        out: list[str] = []
        size = 0
        try:
            # What Template.generate does, with the globals merged into one plain dict once:
            # merging the template's ChainMap of globals anew for every render costs more
            # than rendering the default templates.
            context_object = new_context(self.env, template.name, template.blocks,
                                         {**self._globals(template), **context}, True, None, None)
            try:
                chunks = template.root_render_func(context_object)
                # Joined a batch at a time: the cap holds, without Python work for every chunk.
                while batch := "".join(islice(chunks, 256)):
                    out.append(batch)
                    size += len(batch)
                    if size > MAX_OUTPUT:
                        raise TemplateProblem(Finding(
                            self.file_of(name), 1, 1, ERROR, "template-too-long",
                            f"template output is longer than {MAX_OUTPUT} characters; check its loops"))
            except TemplateProblem:
                raise
            except Exception:
                self.env.handle_exception()  # re-raises with the template's own lines in the traceback
        except UnsafeTemplate as exc:  # an included template that is a link
            raise TemplateProblem(_unsafe_finding(exc)) from None
        except SecurityError as exc:
            raise TemplateProblem(Finding(
                self.file_of(name), self._line(name, exc), 1, ERROR, "template-unsafe",
                f"template reaches into Python internals ({exc}); templates may only use the "
                "documented variables and filters")) from None
        except UndefinedError as exc:
            raise TemplateProblem(Finding(
                self.file_of(name), self._line(name, exc), 1, ERROR, "template-undefined",
                f"template uses an undefined variable: {exc.message}; variables: "
                f"{', '.join(sorted(context))}")) from None
        except TemplateError as exc:
            raise TemplateProblem(Finding(self.file_of(name), self._line(name, exc), 1, ERROR,
                                          "template-error", f"template error: {exc}")) from None
        except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
            raise TemplateProblem(Finding(self.file_of(name), self._line(name, exc), 1, ERROR,
                                          "template-error", f"template error: {exc}")) from None
        return "".join(out)

    def _line(self, name: str, exc: BaseException) -> int:
        """The template line from the traceback Jinja rewrites to point into the template."""
        path = str(self.root / TEMPLATE_DIR / name)
        line = 1
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == path and frame.lineno:
                line = frame.lineno
        return line


def _unsafe_finding(exc: UnsafeTemplate) -> Finding:
    return Finding(exc.file, 1, 1, ERROR, exc.problem.code, exc.problem.message)


def default_template(name: str) -> str | None:
    """The default template a network ships for `<network>.j2`, or None."""
    if not name.endswith(SUFFIX):
        return None
    try:
        return network_class(name.removesuffix(SUFFIX)).template
    except UnknownNetwork:
        return None
