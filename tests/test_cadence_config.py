"""Bad cadence rules and slots in channels.yml: one error each, at the right line, saying what to do."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cadence.rules.days import Days
from pipeline.cadence.rules.hours import Hours
from pipeline.cli import cli
from pipeline.content.channels import load_config

HEAD = "timezone: Europe/Berlin\n"
NEWS = "channels:\n  news:\n    network: outbox\n"

# (name, channels.yml, [(line, column or None, code, message fragment)])
CASES = [
    ("duration-in-words", HEAD + "defaults:\n  cadence: {min_gap: 2 hours}\n" + NEWS,
     [(3, 22, "duration-invalid", "defaults.cadence.min_gap: '2 hours' is not a duration; write 2h")]),
    ("negative-duration", HEAD + NEWS + "    cadence: {max_silence: -1d}\n",
     [(5, 28, "duration-invalid", "'-1d' is negative")]),
    ("zero-duration", HEAD + NEWS + "    cadence: {min_gap: 0h}\n",
     [(5, 24, "duration-invalid", "no time at all")]),
    ("unknown-rule-with-hint", HEAD + NEWS + "    cadence: {min_gaps: 2h}\n",
     [(5, 15, "unknown-key", "unknown key 'min_gaps' in channels.news.cadence; did you mean 'min_gap'?")]),
    ("unknown-rule-in-defaults", HEAD + "defaults:\n  cadence:\n    silence: 4d\n" + NEWS,
     [(4, 5, "unknown-key", "did you mean 'max_silence'?")]),
    ("hours-end-before-start", HEAD + NEWS + '    cadence: {hours: "20:00-08:00"}\n',
     [(5, 22, "cadence-invalid", "'20:00-08:00' ends before it starts")]),
    ("hours-not-a-window", HEAD + NEWS + "    cadence: {hours: 8-20}\n",
     [(5, 22, "cadence-invalid", "not a time of day")]),
    ("blackout-range-backwards", HEAD + NEWS + '    cadence:\n      blackout: ["2027-01-01..2026-12-31"]\n',
     [(6, 17, "cadence-invalid", "write the earlier date first: 2026-12-31..2027-01-01")]),
    ("blackout-not-a-date", HEAD + NEWS + '    cadence:\n      blackout: ["24.12.2026"]\n',
     [(6, 17, "cadence-invalid", "'24.12.2026' is not a date")]),
    ("days-full-name", HEAD + NEWS + "    cadence: {days: Monday-Friday}\n",
     [(5, 21, "cadence-invalid", "'Monday' is not a weekday; write mon")]),
    ("count-zero", HEAD + NEWS + "    cadence: {max_per_day: 0}\n",
     [(5, 28, "cadence-invalid", "must be at least 1")]),
    ("count-with-words", HEAD + NEWS + "    cadence: {max_per_week: 10 posts}\n",
     [(5, 29, "cadence-invalid", "whole number of posts")]),
    ("level-misspelt", HEAD + NEWS + "    cadence:\n      max_per_day: {value: 3, level: warnig}\n",
     [(6, 20, "cadence-invalid", "level must be one of error, warning, off, not 'warnig'")]),
    ("wrapper-unknown-key", HEAD + NEWS + "    cadence:\n      max_per_day: {value: 3, levle: warning}\n",
     [(6, 20, "cadence-invalid", "unknown key 'levle'")]),
    ("level-without-any-value", HEAD + NEWS + "    cadence:\n      runway: {level: error}\n",
     [(6, 15, "cadence-invalid", "runway has a level but no value")]),
    ("mix-share-without-percent", HEAD + NEWS + "    cadence:\n      mix: {promo: 20}\n",
     [(6, 12, "cadence-invalid", "must be a percentage such as 20%")]),
    ("mix-share-over-100", HEAD + NEWS + "    cadence:\n      mix: {promo: 120%, window: 30d}\n",
     [(6, 12, "cadence-invalid", "a share is at most 100%")]),
    ("mix-without-tag", HEAD + NEWS + "    cadence:\n      mix: {window: 30d}\n",
     [(6, 12, "cadence-invalid", "names no tag")]),
    ("cadence-not-a-mapping", HEAD + NEWS + "    cadence: 3\n",
     [(5, 14, "cadence-invalid", "must be a mapping of rules")]),
    ("slot-on-forbidden-day", HEAD + NEWS + "    cadence: {days: mon-fri}\n    slots: [\"mon 09:00\", \"sat 10:00\"]\n",
     [(6, 26, "slot-forbidden", "slot 'sat 10:00' falls on sat, which days (mon-fri) forbids")]),
    ("slot-outside-hours", HEAD + 'defaults:\n  cadence: {hours: "08:00-20:00"}\n' + NEWS
     + '    slots:\n      - "mon-fri 07:30"\n',
     [(8, 9, "slot-forbidden", "slot 'mon-fri 07:30' is outside hours 08:00-20:00")]),
    ("slot-not-a-slot", HEAD + NEWS + '    slots: ["weekdays 9am"]\n',
     [(5, 13, "slot-invalid", "slot 'weekdays 9am' is not weekdays and a time")]),
    ("slot-bad-day", HEAD + NEWS + '    slots: ["mon-fry 09:00"]\n',
     [(5, 13, "slot-invalid", "'fry' is not a weekday")]),
    ("contradiction-in-defaults-reported-once",
     HEAD + 'defaults:\n  cadence: {max_per_day: 4, min_gap: 5h, hours: "08:00-20:00"}\n' + NEWS
     + "  shop:\n    network: outbox\n",
     [(3, 26, "cadence-contradiction", "defaults: max_per_day 4 can never be reached: with min_gap "
                                       "5h only 3 posts fit into hours 08:00-20:00")]),
    ("contradiction-in-a-channel",
     HEAD + 'defaults:\n  cadence: {hours: "08:00-20:00", min_gap: 2h}\n' + NEWS
     + "    cadence: {max_per_day: 8}\n",
     [(7, 28, "cadence-contradiction", "channel 'news': max_per_day 8 can never be reached: with "
                                       "min_gap 2h only 7 posts fit")]),
    ("contradiction-without-hours", HEAD + NEWS + "    cadence: {max_per_day: 2, min_gap: 1d}\n",
     [(5, 28, "cadence-contradiction", "only 1 post fit into one day")]),
    ("silence-shorter-than-gap", HEAD + NEWS + "    cadence: {min_gap: 6h, max_silence: 3h}\n",
     [(5, 41, "cadence-contradiction", "max_silence 3h is shorter than min_gap 6h")]),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_bad_cadence_config(name: str, text: str, expected: list, tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "channels.yml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path), "--format", "json"])
    errors = json.loads(result.output)["errors"]
    assert result.exit_code == 2, result.output
    shown = json.dumps(errors, indent=2)
    assert len(errors) == len(expected), shown
    for error, (line, column, code, fragment) in zip(errors, expected, strict=True):
        assert error["file"] == "content/channels.yml"
        assert (error["line"], error["code"]) == (line, code), shown
        assert column is None or error["column"] == column, shown
        assert fragment in error["message"], shown


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "content").mkdir(exist_ok=True)
    (tmp_path / "content" / "channels.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_channel_rules_merge_over_defaults_rule_by_rule(tmp_path):
    config, findings = load_config(write(tmp_path, """\
        timezone: Europe/Berlin
        defaults:
          cadence: {max_per_day: 3, min_gap: 2h, max_silence: 4d, hours: "08:00-20:00"}
        channels:
          news:
            network: outbox
            cadence:
              max_per_day: 5
              min_gap: {level: warning}
              max_silence: off
              days: [mon, wed, fri]
          shop:
            network: outbox
            cadence: {hours: {value: "09:00-17:00", level: off}, min_gap: null}
        """))
    assert findings == []
    news, shop = config.channels["news"].cadence, config.channels["shop"].cadence
    assert set(news) == {"max_per_day", "min_gap", "hours", "days"}
    assert (news["max_per_day"].value, news["max_per_day"].level) == (5, "error")
    assert (str(news["min_gap"].value), news["min_gap"].level) == ("2:00:00", "warning")
    assert news["min_gap"].path == ("defaults", "cadence", "min_gap")
    assert news["hours"].value == Hours(8 * 60, 20 * 60, "08:00-20:00")
    assert news["days"].value == Days(frozenset({0, 2, 4}), "mon, wed, fri")
    assert set(shop) == {"max_per_day", "min_gap", "max_silence"}
    assert shop["max_silence"].level == "warning"


def test_day_ranges_wrap_over_the_end_of_the_week_and_24_00_ends_a_day(tmp_path):
    config, findings = load_config(write(tmp_path, """\
        timezone: Europe/Berlin
        channels:
          news:
            network: outbox
            cadence: {days: "fri-mon,wed", hours: "18:00-24:00"}
            slots: ["sat-sun 18:00", "wed 23:59"]
        """))
    assert findings == []
    rules = config.channels["news"].cadence
    assert rules["days"].value.allowed == frozenset({4, 5, 6, 0, 2})
    assert rules["hours"].value.allows(24 * 60) and not rules["hours"].value.allows(17 * 60 + 59)


def test_the_example_channels_load_without_findings():
    config, findings = load_config(Path(__file__).resolve().parent.parent)
    assert findings == []
    assert config.channels["outbox"].cadence["max_silence"].value.days == 14
    assert config.channels["mastodon"].cadence["max_per_day"].value == 4
