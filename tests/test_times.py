from datetime import UTC, datetime, timedelta

import pytest

from pipeline.times import (
    TimeError,
    format_local,
    load_zone,
    parse_duration,
    parse_publish_at,
    utc_iso,
)

BERLIN = load_zone("Europe/Berlin")
NEW_YORK = load_zone("America/New_York")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("2026-12-01 09:30", "2026-12-01 09:30+01:00"),
        ("2026-12-01T09:30", "2026-12-01 09:30+01:00"),
        ("2026-12-01 9:30", "2026-12-01 09:30+01:00"),
        ("2026-12-01 09:30:15", "2026-12-01 09:30+01:00"),
        ("2026-07-01 09:30", "2026-07-01 09:30+02:00"),
        ("2026-12-01 09:30+02:00", "2026-12-01 08:30+01:00"),
        ("2026-12-01 09:30Z", "2026-12-01 10:30+01:00"),
        ("2026-12-01 09:30 -0500", "2026-12-01 15:30+01:00"),
    ],
)
def test_publish_at_is_local_unless_it_has_an_offset(text, shown):
    assert format_local(parse_publish_at(text, BERLIN), BERLIN) == shown


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12:30", "publish-at-time-only"),
        ("2026-12-01", "publish-at-no-time"),
        ("2026-13-01 10:00", "publish-at-invalid"),
        ("2026-02-30 10:00", "publish-at-invalid"),
        ("2026-12-01 25:00", "publish-at-invalid"),
        ("tomorrow", "publish-at-invalid"),
        ("2027-03-28 02:30", "time-nonexistent"),
        ("2026-10-25 02:30", "time-ambiguous"),
    ],
)
def test_bad_publish_at_names_the_problem(text, code):
    with pytest.raises(TimeError) as caught:
        parse_publish_at(text, BERLIN)
    assert caught.value.code == code


def test_ambiguous_time_suggests_both_offsets():
    with pytest.raises(TimeError) as caught:
        parse_publish_at("2026-11-01 01:30", NEW_YORK)
    assert "2026-11-01 01:30-04:00" in caught.value.message
    assert "2026-11-01 01:30-05:00" in caught.value.message


def test_an_offset_settles_the_overlap():
    first = parse_publish_at("2026-10-25 02:30+02:00", BERLIN)
    second = parse_publish_at("2026-10-25 02:30+01:00", BERLIN)
    assert second - first == timedelta(hours=1)
    assert format_local(second, BERLIN) == "2026-10-25 02:30+01:00"


def test_gap_in_new_york():
    with pytest.raises(TimeError) as caught:
        parse_publish_at("2027-03-14 02:15", NEW_YORK)
    assert "does not exist in America/New_York" in caught.value.message


def test_unknown_zone():
    with pytest.raises(TimeError) as caught:
        load_zone("Europe/Atlantis")
    assert caught.value.code == "timezone-unknown"


@pytest.mark.parametrize(
    ("text", "delta"),
    [("90m", timedelta(minutes=90)), ("2h", timedelta(hours=2)), ("4d", timedelta(days=4)),
     ("1w", timedelta(weeks=1)), ("1d12h", timedelta(days=1, hours=12))],
)
def test_durations(text, delta):
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["2 hours", "-1d", "", "h", "1.5h", "2x"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_ledger_times_are_utc_with_z():
    assert utc_iso(datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)) == "2026-12-01T08:30:00Z"
    assert utc_iso(datetime(2026, 12, 1, 8, 30, 0, 5, tzinfo=UTC)) == "2026-12-01T08:30:00.000005Z"
