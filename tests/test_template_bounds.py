"""Hostile templates: every bomb is refused as a finding at its line, within its budget, never a crash.

Bombs that build something too big are refused before they build it, so these tests need
no clock; the time budget is tested with a fake clock and a tiny template.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.load import load_content
from pipeline.publish.service import publish
from pipeline.render.budget import Limits
from pipeline.render.templates import TemplateProblem, Templates
from pipeline.validation.rendering import render_findings
from tests.sitebuild import build_repo_site

#: refused before the harm is done (not `template-too-long`, which looks only after the text is made)
BUDGET_CODES = {"template-too-big", "template-too-slow", "template-too-deep"}
DOUBLINGS = 40

BOMBS = {
    # repeating
    "str-times-int": "{{ 'a' * 10**9 }}",
    "int-times-str": "{{ 10**9 * 'a' }}",
    "list-times-int": "{{ [1, 2] * 10**9 }}",
    "repeat-twice": "{{ ('a' * 1000) * 1000000 }}",
    # padding and widths
    "percent-width": "{{ '%100000000s' % 'x' }}",
    "percent-precision": "{{ '%.100000000f' % 1.5 }}",
    "percent-star": "{{ '%*s' % (100000000, 'x') }}",
    "percent-mapping": "{{ '%(a)100000000s' % {'a': 1} }}",
    "percent-many-fields": "{{ ('%(a)s' * 10000) % {'a': 'x' * 90000} }}",
    "format-width": "{{ '{:>100000000}'.format('x') }}",
    "format-nested-width": "{{ '{0:{1}}'.format('x', 100000000) }}",
    "format-map-width": "{{ '{a:>100000000}'.format_map({'a': 'x'}) }}",
    "format-many-fields": "{{ ('{0}' * 10000).format('x' * 90000) }}",
    "format-filter": "{{ '%100000000s'|format('x') }}",
    "center-filter": "{{ 'x'|center(10**9) }}",
    "center-filter-constant": "{{ 'x'|center(1000000000) }}",
    "ljust-method": "{{ 'x'.ljust(10**9) }}",
    "rjust-method": "{{ 'x'.rjust(1000000000) }}",
    "zfill-method": "{{ '1'.zfill(10**9) }}",
    "center-method": "{{ 'x'.center(10**9) }}",
    "expandtabs": "{{ 'a\\tb'.expandtabs(10**9) }}",
    "indent-filter": "{{ ('x\\n' * 50000)|indent(100000) }}",
    "indent-string": "{{ ('x\\n' * 50000)|indent('y' * 50000) }}",
    "wordwrap": "{{ ('x ' * 40000)|wordwrap(1, wrapstring='y' * 90000) }}",
    "to-bytes": "{{ (1).to_bytes(10**9, 'big') }}",
    # replacing and joining
    "replace-filter": "{{ ('x' * 90000)|replace('x', 'y' * 90000) }}",
    "replace-empty": "{{ ('x' * 90000).replace('', 'y' * 1000) }}",
    "translate": "{{ ('x' * 90000).translate({120: 'y' * 90000}) }}",
    "join-method": "{{ ('y' * 90000).join('x' * 90000) }}",
    "join-filter": "{{ ('x' * 90000)|list|join('y' * 90000) }}",
    "join-generated": "{{ range(100000)|map('center', 99999)|join }}",
    "list-generated": "{{ range(100000)|map('center', 99999)|list|length }}",
    "batch": "{{ [1]|batch(10**9, 'x')|list }}",
    "slice": "{{ [1]|slice(100000000)|list }}",
    "tojson-indent": "{{ [[[[[[range(20000)|list]]]]]]|tojson(indent=100000) }}",
    # numbers
    "power": "{{ 2 ** (10 ** 9) }}",  # Jinja reads `2 ** 10 ** 9` as (2 ** 10) ** 9
    "power-of-seven": "{{ 7 ** 1000000 }}",
    "int-times-int": "{% set n = 10**3000 %}{{ n * n * n * n * n * n }}",
    # globals
    "range": "{{ range(10**9)|list }}",
    "lipsum": "{{ lipsum(1000000) }}",
    # growing by doubling: concatenation, joins, nested literals, namespaces
    "concat-doubling": "{% set a = 'x' * 90000 %}" + "{% set a = a ~ a %}" * DOUBLINGS + "{{ a|length }}",
    "join-doubling": "{% set a = 'x' * 90000 %}" + "{% set a = [a, a]|join %}" * DOUBLINGS + "{{ a|length }}",
    "plus-doubling": "{% set a = 'x' * 90000 %}" + "{% set a = a + a %}" * DOUBLINGS + "{{ a|length }}",
    "list-doubling": "{% set a = [1] %}" + "{% set a = [a, a] %}" * DOUBLINGS + "{{ a }}",
    "tuple-doubling": "{% set a = (1,) %}" + "{% set a = (a, a) %}" * DOUBLINGS + "{{ a == a }}",
    "dict-doubling": "{% set a = {} %}" + "{% set a = {'x': a, 'y': a} %}" * DOUBLINGS + "{{ a|tojson }}",
    "namespace-doubling": "{% set ns = namespace(a='xx') %}{% for i in range(100) %}"
                          "{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a|length }}",
    "namespace-nesting": "{% set a = namespace(x='x' * 90000) %}"
                         + "{% set a = namespace(l=a, r=a) %}" * DOUBLINGS + "{{ a }}",
    "deep-tuple": "{% set ns = namespace(t=()) %}{% for i in range(99999) %}{% set ns.t = (ns.t,) %}{% endfor %}"
                  "{{ {ns.t: 1} }}",
    "deep-list": "{% set ns = namespace(t=[]) %}{% for i in range(99999) %}{% set ns.t = [ns.t] %}{% endfor %}"
                 "{{ ns.t == ns.t }}",
    "cycler-args": "{% set a = 'x' * 90000 %}{{ cycler(a, a, a, a, a, a, a, a, a, a, a, a).items }}",
    # writing a lot where the output cap does not look: blocks, macros
    "macro-body": "{% macro m() %}{% for i in range(100000) %}{{ big }}{% endfor %}{% endmacro %}"
                  "{% set big = 'x' * 99999 %}{{ m()|length }}",
    "set-block": "{% set x %}{% for i in range(100000) %}{{ 'x' * 99999 }}{% endfor %}{% endset %}"
                 "{{ x|length }}",
    "constant-text-in-loops": "{% for i in range(100000) %}{% set x %}" + "y" * 5000 + "{% endset %}"
                              "{% endfor %}",
    # running long
    "nested-ranges": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "branching-macro": "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
                       "{{ m(40) }}",
    # recursing
    "recursive-macro": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "recursive-loop": "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    "self-include": "{% include 'bomb.j2' %}",
    "self-extends": "{% extends 'bomb.j2' %}",
    "deep-parentheses": "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
}


def refusal(tmp_path, template: str, **options) -> TemplateProblem:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "bomb.j2").write_text(template, encoding="utf-8")
    with pytest.raises(TemplateProblem) as caught:
        Templates(tmp_path, **options).render("bomb.j2", {"text": "Fresh bread today."})
    return caught.value


@pytest.mark.parametrize("template", BOMBS.values(), ids=BOMBS.keys())
def test_a_template_bomb_is_refused_as_a_finding_at_the_template(tmp_path, template):
    finding = refusal(tmp_path, template).finding
    assert finding.file == "templates/bomb.j2" and finding.line == 1
    assert finding.code in BUDGET_CODES, finding


@pytest.mark.parametrize("template", [
    "{{ text }}\n{% set pad = 40 %}\n{{ 'x'|center(10**pad) }}",
    "{{ text }}\n\n{% for i in range(10) %}\n{{ '%100000000s' % i }}\n{% endfor %}",
])
def test_the_finding_names_the_line_of_the_bomb(tmp_path, template):
    finding = refusal(tmp_path, template).finding
    assert (finding.line, finding.code) == (3 if "pad" in template else 4, "template-too-big")
    assert "100,000" in finding.message


def test_the_time_budget_uses_the_injected_clock(tmp_path):
    readings = iter(range(0, 10_000, 1))  # a second passes at every look at the clock

    finding = refusal(tmp_path, "{% for i in range(50) %}{{ i }}{% endfor %}",
                      clock=lambda: next(readings)).finding
    assert finding.code == "template-too-slow" and "2 s" in finding.message


def test_a_template_slow_on_every_post_stops_after_its_total_time(tmp_path):
    # Each render takes 2 s of the fake clock, within the 3 s of one render; 5 s in all is
    # three renders, so validating many posts cannot take hours.
    readings = iter(range(0, 10_000, 1))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "slow.j2").write_text("{% for c in text %}{{ c }}{% endfor %}")  # one step
    templates = Templates(tmp_path, limits=Limits(seconds=3, total_seconds=5), clock=lambda: next(readings))
    assert [templates.render("slow.j2", {"text": "a"}) for _ in range(3)] == ["a", "a", "a"]
    with pytest.raises(TemplateProblem) as caught:
        templates.render("slow.j2", {"text": "a"})
    assert caught.value.finding.code == "template-too-slow"
    assert "5 s over all its renders" in caught.value.finding.message


def test_the_step_budget_stops_a_long_loop_the_same_way_on_every_machine(tmp_path):
    finding = refusal(tmp_path, "{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}",
                      limits=Limits(steps=1_000)).finding
    assert finding.code == "template-too-slow" and "1,000 steps" in finding.message


def test_other_runtime_errors_are_findings_too(tmp_path):
    for template in ("{{ 'x'.encode('no-such-codec') }}", "{{ cycler().next() }}", "{{ [][0:1][5] + 1 }}",
                     "{{ 'x'.encode('y' * 90000) }}"):
        finding = refusal(tmp_path, template).finding
        assert finding.code in {"template-error", "template-undefined"}, (template, finding)
        assert len(finding.message) < 400


def test_a_huge_template_file_is_refused_before_it_is_compiled(tmp_path):
    finding = refusal(tmp_path, "{{ text }}" + " " * 200_000).finding
    assert finding.code == "template-too-big" and "characters" in finding.message


LEGITIMATE = [
    ("{{ text }}{% for tag in tags %} #{{ tag|upper }}{% endfor %}", "Fresh bread today. #BREAD #CAKE"),
    ("{{ '%-6s|' % 'ab' }}{{ '{:>4}'.format(7) }}{{ '%.2f' % 2 }}", "ab    |   72.00"),
    ("{{ 'x'|center(5) }}|{{ ('ab' * 3)|replace('b', 'c') }}|{{ [1, 2]|join('-') }}", "  x  |acacac|1-2"),
    ("{% macro m(n) %}{% if n %}{{ n }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(5) }}", "54321"),
    ("{% set ns = namespace(s='') %}{% for i in range(3) %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.s }}",
     "012"),
    ("{{ (2 ** 64) * 3 }} {{ ([text] * 2)|length }} {{ {'a': [1, (2, 3)]}|tojson }}",
     '55340232221128654848 2 {"a": [1, [2, 3]]}'),
]


@pytest.mark.parametrize(("template", "expected"), LEGITIMATE)
def test_ordinary_templates_still_render(tmp_path, template, expected):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "fine.j2").write_text(template, encoding="utf-8")
    out = Templates(tmp_path).render("fine.j2", {"text": "Fresh bread today.", "tags": ["bread", "cake"]})
    assert out == expected


FEATURES = {
    "base.j2": "{% block body %}base{% endblock %}|{% block tail %}T{% endblock %}\n",
    "child.j2": "{% extends 'base.j2' %}{% block body %}[{{ super() }}]{% for a, b in [(1, 2), (3, 4)] %}"
                "{{ a + b }}{% endfor %}{% set x, y = 5, 6 %}{{ x * y }}{% endblock %}\n",
    "macros.j2": "{% macro box(t, width=8) %}{{ t|center(width) }}{% endmacro %}\n",
    "main.j2": "{% import 'macros.j2' as m %}{% from 'macros.j2' import box %}{{ m.box('a') }}|{{ box('b', 4) }}|"
               "{% filter upper %}{{ text }}{% endfilter %}|{% macro wrap() %}<{{ caller('q') }}>{% endmacro %}"
               "{% call(x) wrap() %}{{ x }}!{% endcall %}|{% for n in tree recursive %}{{ n.name }}"
               "{% if n.kids %}({{ loop(n.kids) }}){% endif %}{% endfor %}|{% for i in range(3) %}"
               "{{ loop.cycle('a', 'b') }}{{ loop.length }}{% endfor %}|{{ {'k': [1, 2]}['k'][1] }}|"
               "{{ '{}-{}'.format(1, 'x') }}|{{ '%05.1f' % 3.14159 }}|{% include 'child.j2' %}|"
               "{{ tags|join(', ') }}|{{ tags|map('upper')|list }}|{% set ns = namespace(n=0) %}"
               "{% for t in tags %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}|{{ text|wordwrap(5) }}|"
               "{{ dict(a=1)|tojson(indent=2) }}|{{ tags|batch(1)|list }}{{ tags|slice(2)|list }}",
}


def test_the_budgets_change_nothing_a_template_writes(tmp_path):
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    for name, source in FEATURES.items():
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / name).write_text(source, encoding="utf-8")
    context = {"text": "Fresh bread today.", "tags": ["bread", "cake"],
               "tree": [{"name": "r", "kids": [{"name": "k", "kids": []}]}]}
    plain = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(tmp_path / "templates")), trim_blocks=True,
                                          lstrip_blocks=True, undefined=StrictUndefined)
    assert Templates(tmp_path).render("main.j2", context) == plain.get_template("main.j2").render(context)


# -- through the commands -------------------------------------------------------------

CHANNELS = """\
timezone: Europe/Berlin
channels:
  notes:
    network: outbox
  bombed:
    network: outbox
    template: bomb.j2
"""


@pytest.fixture
def bombed(repo):
    repo.write("content/channels.yml", CHANNELS)
    repo.write("templates/bomb.j2", "{{ text }}\n{{ 'a' * 10**9 }}\n")
    repo.post("a", "publish_at: 2026-12-01 09:00\nchannels: [notes, bombed]")
    return repo


def test_validate_reports_the_bomb_once_and_exits_1(bombed):
    result = CliRunner().invoke(cli, ["validate", "--root", str(bombed.root), "--format", "json"])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    errors = json.loads(result.output)["errors"]
    assert [(e["file"], e["line"], e["code"]) for e in errors] == [("templates/bomb.j2", 2, "template-too-big")]
    assert render_findings(load_content(bombed.root))[0].code == "template-too-big"


def test_publish_sends_the_other_channels_and_reports_the_bombed_one(bombed):
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    report = publish(bombed.root, now_text="2026-12-01 10:00", env={}, sleep=lambda s: None, clock=lambda: moment)
    outcomes = {o.channel: o for o in report.result.outcomes}
    assert (outcomes["notes"].state, outcomes["bombed"].state) == ("published", "failed")
    assert outcomes["bombed"].error.startswith("templates/bomb.j2:2: ")
    assert (bombed.root / "outbox/notes/a.1.json").exists()
    assert not (bombed.root / "outbox/bombed").exists()


def test_the_site_builds_with_a_bombed_template(bombed):
    site = build_repo_site(bombed.root, now="2026-12-01 08:00")
    page = (site / "calendar" / "posts" / "a.html").read_text(encoding="utf-8")
    assert "template-too-big" in page or "100,000" in page


@pytest.mark.parametrize(("template", "line", "words"), [
    ("---\ntitle: {{ title }}\n---\n{{ 'a' * 10**9 }}\n", 4, "would build 1,000,000,000"),
    ("---\ntitle: {{ title }}\n---\n{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n", 4, "nest more than"),
    ("---\ntitle: {{ title }}\n{% if %}\n", 3, "syntax error"),
])
def test_social_new_refuses_a_bombed_new_post_template_with_its_line(repo, template, line, words):
    repo.write("templates/new-post.md", template)
    result = CliRunner().invoke(cli, ["new", "--root", str(repo.root), "Cake", "--channels", "outbox",
                                      "--draft"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"templates/new-post.md:{line}: " in result.output and words in result.output
    assert not list((repo.root / "content" / "posts").rglob("*.md"))
