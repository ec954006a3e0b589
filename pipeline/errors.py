"""The one error tree, and the finding that validation collects instead of raising."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
#: for information only: what will happen (a text split into a thread), or a check that could not run;
#: never fails a build, not even with --strict
NOTICE = "notice"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one place: what every check reports, sorted by file and line."""

    file: str
    line: int
    column: int
    level: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


def dotted(path: Iterable) -> str:
    """A key path as people write it: `channels.news.cadence`, `slots[0]`."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


class PipelineError(Exception):
    """An expected failure: printed as a message, never as a traceback."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        code: str = "error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.code = code

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class ConfigError(PipelineError):
    """The repository's configuration (channels.yml, layout) cannot be used."""

    exit_code = 2


class UsageError(PipelineError):
    """The command was called in a way that cannot work (unknown post id, bad flag value)."""

    exit_code = 2
