"""Property: any schedule the queue writes keeps every rule it must keep.

Random channels (rules at level error, slots inside the allowed days and
hours), random fixed posts that may break rules themselves, random queued posts.
After `social schedule --write`, no error-level finding of the written schedule
involves a post the queue placed, every placed time is a slot at or after now,
and the files read back to exactly the placed times.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cadence.registry import RULES
from pipeline.cadence.values import WEEKDAYS
from pipeline.content.load import load_content
from pipeline.planning.evaluation import evaluate, events_from_content
from pipeline.planning.schedule import schedule

PROJECT = Path(__file__).resolve().parent.parent
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]
# near the autumn and spring clock changes of both Berlin and New York
NOWS = ["2026-10-22 10:00", "2027-03-10 18:30", "2026-12-20 07:00"]
WORDS = ["rye", "stollen", "pretzel", "oven", "flour"]


@st.composite
def channel(draw, name: str) -> tuple[str, list[str]]:
    allowed = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    start = draw(st.integers(0, 12)) * 60
    end = start + draw(st.integers(3, 11)) * 60
    rules = [f'hours: "{start // 60:02d}:00-{end // 60:02d}:00"',
             f"days: [{', '.join(WEEKDAYS[d] for d in sorted(allowed))}]"]
    per_day = draw(st.sampled_from([None, 1, 2, 3]))
    gap = draw(st.sampled_from([None, 30, 120, 180]))
    if per_day and gap and (per_day - 1) * gap > end - start:
        gap = None
    if per_day:
        rules.append(f"max_per_day: {per_day}")
    if gap:
        rules.append(f"min_gap: {gap}m")
    if draw(st.booleans()):
        rules.append(f"max_per_week: {draw(st.integers(2, 8))}")
    if draw(st.booleans()):
        rules.append('blackout: ["2026-10-25", "2026-12-24..2026-12-26", "2027-03-14"]')
    if draw(st.booleans()):
        rules.append("duplicates: {value: 14d, level: error}")
    if draw(st.booleans()):
        rules.append("mix: {promo: 34%, window: 7d, level: error}")
    slots = draw(st.lists(st.tuples(st.sets(st.sampled_from(sorted(allowed)), min_size=1),
                                    st.integers(start, end).map(lambda m: m - m % 15)),
                          min_size=0 if name != "a" else 1, max_size=3))
    slot_text = [f"{','.join(WEEKDAYS[d] for d in sorted(days))} {m // 60:02d}:{m % 60:02d}"
                 for days, m in slots]
    yaml = (f"  {name}:\n    network: outbox\n    cadence: {{{', '.join(rules)}}}\n"
            f"    slots: [{', '.join(repr(s).replace(chr(39), chr(34)) for s in slot_text)}]\n")
    return yaml, slot_text


post_spec = st.tuples(
    st.sets(st.sampled_from(["a", "b"]), min_size=1).map(sorted),
    st.booleans(),                                    # tagged promo
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=4).map(" ".join),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), now=st.sampled_from(NOWS), a=channel("a"), b=channel("b"),
       fixed=st.lists(st.tuples(post_spec, st.integers(0, 21 * 24 * 4)), max_size=8),
       queue=st.lists(post_spec, min_size=1, max_size=6))
def test_the_written_schedule_breaks_no_rule_the_queue_keeps(zone, now, a, b, fixed, queue):
    root = Path(tempfile.mkdtemp(prefix="cadence-property-"))
    try:
        (root / "content" / "posts").mkdir(parents=True)
        shutil.copytree(PROJECT / "templates", root / "templates")
        (root / "content" / "channels.yml").write_text(
            f"timezone: {zone}\nchannels:\n{a[0]}{b[0]}", encoding="utf-8")
        base = load_content(root)
        assert base.config is not None, base.findings
        start = schedule(root, now_text=now).now
        for n, ((channels, promo, text), quarter_hours) in enumerate(fixed):
            at = (start + timedelta(minutes=15 * quarter_hours)).strftime("%Y-%m-%d %H:%MZ")
            write_post(root, f"fixed-{n}", f"publish_at: {at}", channels, promo, text)
        for n, (channels, promo, text) in enumerate(queue):
            write_post(root, f"queued-{n}", "queue: true", channels, promo, text)

        result = schedule(root, now_text=now, write=True)
        placed = {p.post: p for p in result.plan.placed}
        assert len(placed) + len(result.plan.unplaced) == len(queue)

        content = load_content(root)
        assert not [f for f in content.findings if f.level == "error"], content.findings
        zone_info = content.config.zone
        for post_id, placement in placed.items():
            post = content.post(post_id)
            assert post.publish_at == placement.at and not post.queue
            assert placement.at >= result.now
            local = placement.at.astimezone(zone_info)
            clock = f"{local:%H:%M}"
            for cid in placement.channels:
                slots = content.config.channels[cid].slots
                if slots:
                    assert any(s.endswith(clock) and WEEKDAYS[local.weekday()] in expand(s)
                               for s in slots), (cid, slots, local)
        report = evaluate(content.config, events_from_content(content), result.now)
        for cid, channel_result in report.items():
            for found in channel_result.findings:
                if found.level == "error" and not RULES[found.rule].absence:
                    assert not set(found.posts) & set(placed), (cid, found)
    finally:
        shutil.rmtree(root)


def write_post(root: Path, slug: str, when: str, channels: list[str], promo: bool, text: str) -> None:
    tags = "tags: [promo]\n" if promo else ""
    (root / "content" / "posts" / f"{slug}.md").write_text(
        f"---\n{when}\nchannels: [{', '.join(channels)}]\n{tags}---\n{text}\n", encoding="utf-8")


def expand(slot: str) -> set[str]:
    days = slot.split()[0]
    return set(days.split(","))
