"""Splitting a text that is too long into thread parts: at sentences, then words."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
_SPACE = re.compile(r"\s+")

#: fits(text, part_number, part_count) -> whether the rendered part is within the limit
Fits = Callable[[str, int, int], bool]


def split_into_parts(text: str, fits: Fits, max_parts: int = 25) -> list[str] | None:
    """Split `text` into as few parts as fit; None when no split fits (a word too long).

    The numbering (`1/3`) depends on the count of parts, so the split is redone
    until the count it assumed is the count it produced.
    """
    if fits(text, 1, 1):
        return [text]
    pieces = _pieces(text)
    assumed = 2
    for _ in range(6):
        parts = _greedy(pieces, fits, assumed)
        if parts is None or len(parts) > max_parts:
            return None
        if len(parts) == assumed:
            return parts
        assumed = len(parts)
    return parts


@lru_cache(maxsize=256)  # a text is split again when the count of parts changes its numbering
def _pieces(text: str) -> tuple[tuple[str, str], ...]:
    """(piece, separator after it): sentences, keeping paragraph breaks."""
    pieces = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        gap = match.group(0)
        pieces.append((text[position:end], "\n\n" if "\n\n" in gap else "\n" if "\n" in gap else " "))
        position = match.end()
    if position < len(text):
        pieces.append((text[position:], ""))
    return tuple((piece, sep) for piece, sep in pieces if piece.strip())


def _greedy(pieces: tuple[tuple[str, str], ...], fits: Fits, total: int) -> list[str] | None:
    parts: list[str] = []
    current = ""
    queue = list(pieces)
    while queue:
        piece, sep = queue.pop(0)
        candidate = current + piece
        number = len(parts) + 1
        if fits(candidate, number, total):
            current = candidate + sep
            continue
        if current:
            parts.append(current.strip())
            current = ""
            queue.insert(0, (piece, sep))
            continue
        words = _SPACE.split(piece)
        if len(words) == 1:
            return None  # one word longer than a whole part: nothing sensible to do
        # The sentence alone is too long: take as many of its words as fit.
        taken = 1
        while taken < len(words) and fits(" ".join(words[: taken + 1]), number, total):
            taken += 1
        if not fits(" ".join(words[:taken]), number, total):
            return None
        parts.append(" ".join(words[:taken]))
        queue.insert(0, (" ".join(words[taken:]), sep))
    if current.strip():
        parts.append(current.strip())
    return parts
