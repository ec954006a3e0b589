"""Finding the same or nearly the same text within a time window.

Texts are compared after normalizing (case, URLs, punctuation, spacing), by
rapidfuzz's Indel ratio (2 * longest common subsequence / total length, the
exact form of difflib's ratio). Each text is compared only with the texts of
the window before it, in one C call per text; identical texts are found by a
dictionary first. The cost is n times the posts in one window: linear in n for
any realistic density, and sorting the events (n log n) dominates.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process

NEAR = 90  # percent: "nearly the same"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Lowercase words without URLs, punctuation or extra spacing: what a reader sees as 'the text'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _URL.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def similar_earlier(texts: list[str], times: list[datetime], window: timedelta,
                    near: float = NEAR) -> list[tuple[int, int, float]]:
    """(later, earlier, percent) for each text that repeats one at most `window` older.

    `texts` are normalized and in time order; an empty text never matches. Of several
    earlier matches the most alike (then the latest) is given.
    """
    found = []
    pool = [text or None for text in texts]  # rapidfuzz skips None: an empty text matches nothing
    exact: dict[str, int] = {}
    start = 0
    for index, text in enumerate(texts):
        while times[index] - times[start] > window:
            start += 1
        if not text:
            continue
        previous = exact.get(text)
        exact[text] = index
        if previous is not None and previous >= start:
            found.append((index, previous, 100.0))
            continue
        if start == index:
            continue
        matches = process.extract(text, pool[start:index], scorer=fuzz.ratio, score_cutoff=near, limit=None)
        if matches:
            _, score, offset = max(matches, key=lambda match: (match[1], match[2]))
            found.append((index, start + offset, float(score)))
    return found
