"""Jinja2 templates in the immutable sandbox: a typo or a reach into internals is a finding."""

from __future__ import annotations

import traceback
from itertools import islice
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from pipeline.errors import ERROR, Finding

TEMPLATE_DIR = "templates"
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
            loader=FileSystemLoader(str(root / TEMPLATE_DIR)),
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
        return f"{TEMPLATE_DIR}/{name}"

    def _template(self, name: str):
        found = self._cache.get(name)
        if found is None:
            try:
                found = self.env.get_template(name)
            except TemplateSyntaxError as exc:
                found = TemplateProblem(Finding(self.file_of(name), exc.lineno or 1, 1, ERROR,
                                                "template-syntax", f"template syntax error: {exc.message}"))
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
