"""max_unanswered: what others addressed to the channel gets an answer within this long."""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.cadence.declaration import CadenceRule, Rule
from pipeline.cadence.events import CadenceFinding, Timeline
from pipeline.cadence.localtime import format_day, format_span
from pipeline.cadence.values import DURATION_SCHEMA, duration, span_text
from pipeline.errors import WARNING


def max_unanswered(line: Timeline, rule: Rule) -> list[CadenceFinding]:
    """A mention, reply or quote with no answer after the allowed time, or an answer scheduled later."""
    findings = []
    for mention in line.mentions:
        deadline = mention.at + rule.value
        what = f"{mention.author}'s {mention.kind} of {_when(line, mention.at)}"
        if mention.answered_at is None:
            if line.now is not None and line.now > deadline:
                findings.append(rule.finding(
                    f"{what} has waited {format_span(line.now - mention.at)} for an answer; "
                    f"max_unanswered is {format_span(rule.value)}: answer it (`social reply {mention.url}`)",
                    (), mention.at, line.now))
        elif mention.answered_at > deadline:
            findings.append(rule.finding(
                f"{mention.answer} answers {what} only at {_when(line, mention.answered_at)}, "
                f"{format_span(mention.answered_at - mention.at)} later; max_unanswered is "
                f"{format_span(rule.value)}", (mention.answer,), mention.at, mention.answered_at,
                mention.answer))
    return findings


def _when(line: Timeline, moment: datetime) -> str:
    local = moment.astimezone(line.zone)
    return f"{format_day(local.date(), line.year)} {local:%H:%M}"


RULE = CadenceRule(
    name="max_unanswered",
    description="Longest wait for an answer to a mention, reply or quote (from state/inbox.jsonl)",
    example="2d",
    default_level=WARNING,
    parse=duration,
    schema=DURATION_SCHEMA,
    check=max_unanswered,
    describe=span_text,
    absence=True,
    default=timedelta(days=2),
    needs="inbox",
)
