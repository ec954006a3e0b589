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
from functools import lru_cache

from rapidfuzz import fuzz, process

NEAR = 90  # percent: "nearly the same"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1 << 16)  # a post's text recurs on each of its channels
def normalize(text: str) -> str:
    """Lowercase words without URLs, punctuation or extra spacing: what a reader sees as 'the text'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return _NOT_WORD.sub(" ", text).strip()


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
        # newest first: of equally alike texts, extractOne keeps the first it meets
        best = process.extractOne(text, pool[index - 1:start - 1 if start else None:-1],
                                  scorer=fuzz.ratio, score_cutoff=near)
        if best is not None:
            found.append((index, index - 1 - best[2], float(best[1])))
    return found
