"""Finding the line and column of a front-matter key, lazily (only when reporting)."""

from __future__ import annotations

from pipeline.content.yamlload import key_positions, position_of


class KeyPlacer:
    """Places keys of one YAML text that starts at `first_line` of its file."""

    __slots__ = ("_positions", "first_line", "text")

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self._positions: dict | None = None

    def __call__(self, path: tuple) -> tuple[int, int]:
        if self._positions is None:
            self._positions = key_positions(self.text)
        if not self._positions:
            return (self.first_line, 1)
        line, column = position_of(self._positions, path)
        return (line + self.first_line - 1, column)

    def line(self, *path: str | int) -> int:
        return self(tuple(path))[0]
