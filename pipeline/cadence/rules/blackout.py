"""blackout: no posts on these local dates."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.values import InvalidValue
from pipeline.errors import ERROR

_DATE = r"\d{4}-\d{2}-\d{2}"


@dataclass(frozen=True)
class DateSpan:
    """Local dates from `first` to `last`, both included."""

    first: date
    last: date
    text: str


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-24") from None


def parse_blackout(value: object) -> tuple[DateSpan, ...]:
    """Dates and inclusive ranges: `["2026-12-24", "2026-12-31..2027-01-01"]`."""
    if not isinstance(value, list):
        raise InvalidValue(f"must be a list of dates, e.g. blackout: [\"2026-12-24\", "
                           f"\"2026-12-31..2027-01-01\"], not {value!r}")
    spans = []
    for item in value:
        text = str(item).strip()
        first_text, dots, last_text = text.partition("..")
        first = _date(first_text)
        last = _date(last_text) if dots else first
        if last < first:
            raise InvalidValue(f"{text!r} ends before it starts; write the earlier date first: "
                               f"{last_text.strip()}..{first_text.strip()}")
        spans.append(DateSpan(first, last, text))
    return tuple(sorted(spans, key=lambda span: (span.first, span.last)))


def blackout(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """Posts on blackout dates."""
    spans = rule.value
    firsts = [span.first for span in spans]
    # the span reaching furthest among those starting by each index: spans may overlap
    furthest = list(accumulate(spans, lambda best, span: span if span.last > best.last else best))
    findings = []
    for i, day in enumerate(line.dates):
        at = bisect_right(firsts, day) - 1
        if at >= 0 and furthest[at].last >= day:
            post = line.events[i].post
            findings.append(rule.finding(f"{post} at {line.when(i)} falls on blackout "
                                         f"{furthest[at].text}", (post,), line.times[i],
                                         line.times[i], post))
    return findings


RULE = CadenceRule(
    name="blackout",
    description="Local dates or ranges without posts",
    example='["2026-12-24"]',
    default_level=ERROR,
    parse=parse_blackout,
    schema={"type": "array", "items": {
        "type": "string", "pattern": rf"^{_DATE}(\.\.{_DATE})?$",
        "description": 'A local date or an inclusive range: "2026-12-24", "2026-12-31..2027-01-01"'}},
    check=blackout,
    describe=lambda spans: ", ".join(span.text for span in spans),
    engagements=True,
)
