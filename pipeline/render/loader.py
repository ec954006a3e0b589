"""Templates read from the repository's templates/ folder: regular files only, never a link.

Jinja's FileSystemLoader follows symbolic links, so a pull request adding
templates/_footer.j2 -> /proc/self/environ would put the runner's secrets into a
post. This loader reads through pipeline.files instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import BaseLoader, TemplateError, TemplateNotFound
from jinja2.loaders import split_template_path

from pipeline.files import RegularFiles, UnsafeFile

TEMPLATE_DIR = "templates"
#: the largest template file read at all (the sandbox refuses one over its own limit, in characters)
MAX_TEMPLATE_BYTES = 1_000_000


class UnsafeTemplate(TemplateError):
    """A template file that is a link, not a regular file, or too large."""

    def __init__(self, file: str, problem: UnsafeFile) -> None:
        super().__init__(problem.message)
        self.file = file
        self.problem = problem


class RepositoryLoader(BaseLoader):
    """Loads `name` from `folder` (templates/ of the repository at `root`, or the package's own
    folder); a missing file is TemplateNotFound. Inside `root`, no folder on the way may be a link."""

    def __init__(self, folder: Path, root: Path | None = None) -> None:
        folder, root = Path(os.path.abspath(folder)), Path(os.path.abspath(root or folder))
        # Lexically: a templates/ that is a link to elsewhere is still inside, and refused.
        inside = folder.is_relative_to(root)
        self.files = RegularFiles(root if inside else folder)
        self.folder = folder
        self.prefix = folder.relative_to(root).as_posix() if inside else ""
        self.shown = self.prefix

    def get_source(self, environment, template: str):
        pieces = split_template_path(template)  # refuses '..' and absolute names
        relative = "/".join([self.prefix, *pieces]) if self.prefix not in ("", ".") else "/".join(pieces)
        shown = "/".join([self.shown, *pieces]) if self.shown not in ("", ".") else "/".join(pieces)
        path = self.folder.joinpath(*pieces)
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        try:
            raw = self.files.read(relative, MAX_TEMPLATE_BYTES, "template")
        except UnsafeFile as problem:
            if problem.code == "file-unreadable" and not os.path.lexists(path):
                raise TemplateNotFound(template) from None
            raise UnsafeTemplate(shown, problem) from None
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsafeTemplate(shown, UnsafeFile(
                "encoding", f"{shown} is not UTF-8 (byte 0x{raw[exc.start]:02x} cannot be "
                "read); save it as UTF-8")) from None
        # Templates never change during a run: no reload check.
        return source, str(path), lambda: True
