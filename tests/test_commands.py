"""`social list`, `show`, `new`, `schemas` and the CLI's start-up, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.content.newpost import slugify, yaml_scalar
from pipeline.content.yamlload import load_yaml


def run(repo, *args):
    result = CliRunner().invoke(cli, [*args, "--root", str(repo.root)])
    return result


def test_list_shows_upcoming_posts_with_offsets_in_time_order(repo):
    repo.post("late", "title: Late one\npublish_at: 2026-12-03 18:00\nchannels: [mastodon]")
    repo.post("early", "title: Early one\npublish_at: 2026-12-02 08:15\nchannels: [mastodon, bluesky]")
    repo.post("summer", "publish_at: 2026-07-02 08:15\nchannels: [outbox]", month="2026/07")
    repo.post("queued", "queue: true\nchannels: [mastodon]")
    repo.post("idea", "status: draft\nchannels: [linkedin]")
    result = run(repo, "list", "--now", "2026-12-01 00:00")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["2026-12-02", "08:15+01:00", "mastodon,bluesky", "ready", "early"]
    assert lines[0].endswith("Early one")
    assert lines[1].split()[:2] == ["2026-12-03", "18:00+01:00"]
    assert lines[2].split()[:3] == ["queued", "mastodon", "ready"]
    assert lines[3].split()[:3] == ["unscheduled", "linkedin", "draft"]
    assert "summer" not in result.output


def test_list_all_includes_the_past_and_summer_time_offsets(repo):
    repo.post("summer", "publish_at: 2026-07-02 08:15\nchannels: [outbox]", month="2026/07")
    result = run(repo, "list", "--all", "--format", "json")
    data = json.loads(result.output)
    assert data["posts"][0]["publish_at"] == "2026-07-02 08:15+02:00"
    assert data["posts"][0]["publish_at_utc"] == "2026-07-02T06:15:00Z"
    assert data["timezone"] == "Europe/Berlin"


def test_list_filters_by_channel_and_rejects_unknown_ones(repo):
    repo.post("a", "publish_at: 2026-12-02 08:15\nchannels: [mastodon]")
    repo.post("b", "publish_at: 2026-12-02 12:15\nchannels: [bluesky]")
    result = run(repo, "list", "--all", "--channel", "bluesky")
    assert " b" in result.output and " a " not in result.output
    result = run(repo, "list", "--channel", "blusky")
    assert result.exit_code == 2
    assert "unknown channel 'blusky'" in result.output


def test_list_skips_broken_posts_and_says_so(repo):
    repo.post("good", "publish_at: 2026-12-02 08:15\nchannels: [mastodon]")
    repo.post("bad", "publish_at: 2026-12-02\nchannels: [mastodon]")
    result = CliRunner().invoke(cli, ["list", "--all", "--root", str(repo.root)])
    assert "good" in result.stdout and "bad" not in result.stdout
    assert "1 post file(s) have errors" in result.stderr


def test_show_gives_local_and_utc_time_and_thread_parts(repo):
    repo.post("thread", "title: How we bake\npublish_at: 2026-12-02 08:15\nchannels: [mastodon]",
              body="First part.\n\n---\n\nSecond part.")
    result = run(repo, "show", "thread")
    assert result.exit_code == 0, result.output
    assert "2026-12-02 08:15+01:00 (Europe/Berlin), 2026-12-02T07:15:00Z" in result.output
    assert "--- part 2/2 ---\nSecond part." in result.output
    data = json.loads(run(repo, "show", "thread", "--format", "json").output)
    assert data["parts"] == ["First part.", "Second part."]


def test_show_unknown_id(repo):
    result = CliRunner().invoke(cli, ["show", "nope", "--root", str(repo.root)], standalone_mode=True)
    assert result.exit_code != 0
    proc = subprocess.run([sys.executable, "-m", "pipeline", "show", "nope", "--root", str(repo.root)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no post with id 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_new_writes_a_valid_post_and_prints_its_path(repo):
    result = run(repo, "new", "Winter: cake launch!", "--at", "2026-12-05 10:00", "--now", "2026-12-01 08:00",
                 "--channels", "mastodon,bluesky", "--tags", "launch,promo")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "content/posts/2026/12/winter-cake-launch.md"
    written = (repo.root / result.output.strip()).read_text()
    front = load_yaml(written.split("---\n")[1])
    assert front["title"] == "Winter: cake launch!"
    assert front["publish_at"] == "2026-12-05 10:00"
    assert front["channels"] == ["mastodon", "bluesky"]
    assert front["tags"] == ["launch", "promo"]
    listed = run(repo, "list", "--now", "2026-12-01 00:00")
    assert "winter-cake-launch" in listed.output


def test_a_repository_without_templates_validates_renders_and_writes_new_posts(repo):
    import shutil

    shutil.rmtree(repo.root / "templates")
    # The post goes out at the real time (a real run), whatever the hour: no posting-hours rule here.
    channels = repo.root / "content" / "channels.yml"
    without_hours = channels.read_text().replace(', hours: "08:00-20:00"', "")
    assert without_hours != channels.read_text()
    channels.write_text(without_hours)
    due = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M+00:00")  # a real run: real time
    created = run(repo, "new", "Rye week", "--at", due, "--now", due, "--channels", "mastodon,bluesky,outbox")
    assert created.exit_code == 0, created.output
    assert "channels: [mastodon, bluesky, outbox]" in (repo.root / created.output.strip()).read_text()
    assert run(repo, "validate", "--now", "2026-12-01 09:00").exit_code == 0
    rendered = run(repo, "render", "rye-week", "--format", "json")
    assert rendered.exit_code == 0, rendered.output
    texts = {r["channel"]: r["parts"][0]["text"] for r in json.loads(rendered.output)["renderings"]}
    assert texts["mastodon"].startswith("Write the post here.") and set(texts) == {"mastodon", "bluesky", "outbox"}
    published = run(repo, "publish")  # outbox only: no credentials needed
    assert "outbox" in published.output


def test_new_keeps_an_offset_that_settles_a_dst_overlap(repo):
    result = run(repo, "new", "Night owl", "--at", "2026-10-25 02:30+01:00", "--now", "2026-10-01 08:00",
                 "--channels", "outbox")
    assert result.exit_code == 0, result.output
    assert "publish_at: 2026-10-25 02:30+01:00" in (repo.root / result.output.strip()).read_text()


def test_new_refuses_what_would_not_validate(repo):
    at = ("new", "X", "--now", "2026-12-01 08:00", "--at")
    assert "unknown channel" in run(repo, *at, "2026-12-05 10:00", "--channels", "myspace").output
    assert "does not exist" in run(repo, *at, "2027-03-28 02:30", "--channels", "outbox").output
    assert "--queue, or --draft" in run(repo, "new", "X", "--channels", "outbox").output
    repo.post("taken", "publish_at: 2026-12-02 08:15\nchannels: [mastodon]")
    result = run(repo, "new", "Taken", "--at", "2026-12-05 10:00", "--now", "2026-12-01 08:00", "--channels", "outbox")
    assert result.exit_code == 2 and "is taken by" in result.output


def test_new_draft_and_queue(repo):
    draft = run(repo, "new", "Some idea", "--draft", "--channels", "outbox").output.strip()
    assert draft == "content/posts/unscheduled/some-idea.md"
    queued = run(repo, "new", "Next slot", "--queue", "--channels", "mastodon").output.strip()
    assert "queue: true" in (repo.root / queued).read_text()


def test_slugs_and_yaml_scalars():
    assert slugify("Crème brûlée & Co: NEW!") == "creme-brulee-co-new"
    for value in ["plain words", "a: colon", "yes", "#tag", "[list]", "quote \"x\"", "trailing "]:
        assert load_yaml(f"v: {yaml_scalar(value)}")["v"] == value


def test_schemas_are_up_to_date():
    from pathlib import Path

    from pipeline.content.jsonschema import schema_files

    folder = Path(__file__).resolve().parent.parent / "schemas"
    for name, text in schema_files().items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"run `social schemas` ({name})"


def test_channels_schema_offers_each_networks_options():
    from pipeline.content.jsonschema import channels_schema

    branches = channels_schema()["$defs"]["ChannelConfig"]["oneOf"]
    mastodon = next(b for b in branches if b["properties"]["network"] == {
        "const": "mastodon", "description": b["properties"]["network"]["description"]})
    assert "instance" in mastodon["properties"] and "instance" in mastodon["required"]
    assert mastodon["additionalProperties"] is False


def test_help_is_fast_because_heavy_modules_are_not_imported():
    code = ("import sys; from pipeline.cli import cli; "
            "heavy = {'requests', 'jinja2', 'mkdocs', 'pydantic', 'yaml', 'frontmatter'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "validate" in proc.stdout


def test_every_command_is_documented_in_docs_cli():
    from pathlib import Path

    from pipeline.clidocs import cli_markdown

    page = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    assert page.read_text(encoding="utf-8") == cli_markdown(), (
        "run: python -m pipeline.clidocs > docs/cli.md")


def test_plain_pytest_collects_the_tests_as_python_m_pytest_does():
    pytest_command = Path(sys.executable).with_name("pytest")
    done = subprocess.run([str(pytest_command), "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/test_publish.py"], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No module named 'tests'" not in done.stdout


@pytest.mark.parametrize(("title", "slug"), [
    ("Straße", "strasse"),
    ("Grüße & Ümläute", "gruesse-uemlaeute"),  # Ü is Ue as ü is ue
    ("ÄÖÜ äöü ẞ", "aeoeue-aeoeue-ss"),
    ("Zürich", "zuerich"),
    ("Crème brûlée", "creme-brulee"),
    ("Ærøskøbing", "aeroskobing"),
    ("Привет, мир", "privet-mir"),
    ("こんにちは", "konnichiha"),
    ("東京の冬", "dong-jing-no-dong"),
    ("🎄🎁", "christmas-tree-gift"),
    ("Stollen 🎄", "stollen-christmas-tree"),
    ("Zu\u0308rich", "zuerich"),  # decomposed ü
])
def test_titles_in_any_script_make_readable_ascii_slugs(title, slug):
    assert slugify(title) == slug


@pytest.mark.parametrize("title", ["!!!", "   ", "---", "\u200b"])
def test_a_title_with_nothing_to_spell_gives_no_slug(title):
    assert slugify(title) == ""


def test_new_with_a_title_that_spells_nothing_names_the_post_by_its_date(repo):
    result = run(repo, "new", "!!!", "--at", "2026-12-05 10:00", "--channels", "mastodon")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "content/posts/2026/12/post-2026-12-05.md"
    result = run(repo, "new", "Straße", "--at", "2026-12-05 10:00", "--channels", "mastodon")
    assert result.output.strip() == "content/posts/2026/12/strasse.md"


def test_render_and_show_an_unknown_id_suggest_the_nearest(repo):
    repo.post("winter-cake-launch", "publish_at: 2026-12-02 09:00\nchannels: [mastodon]")
    for command in ("render", "show"):
        result = run(repo, command, "winter-cake-lunch")
        assert result.exit_code == 2
        assert "no post with id 'winter-cake-lunch'; did you mean 'winter-cake-launch'?" in result.output
    result = run(repo, "render", "zzzz")
    assert "no post with id 'zzzz'; `social list --all` shows them all" in result.output


def test_render_and_show_say_no_alt_text_rather_than_none(repo):
    from PIL import Image

    (repo.root / "content/media").mkdir(parents=True)
    Image.new("RGB", (64, 48), "wheat").save(repo.root / "content/media/loaf.png")
    repo.post("loaf", "publish_at: 2026-12-02 09:00\nchannels: [outbox]\nmedia:\n  - path: media/loaf.png")
    result = run(repo, "render", "loaf")
    assert "None" not in result.output
    assert "[image media/loaf.png, 64x48] no alt text" in result.output
    shown = run(repo, "show", "loaf").output
    assert "None" not in shown and "image:     media/loaf.png (64x48) no alt text" in shown
    data = json.loads(run(repo, "render", "loaf", "--format", "json").output)
    assert data["renderings"][0]["parts"][0]["media"][0]["alt"] is None


def test_publish_with_an_unknown_post_id_says_so_instead_of_nothing_due(repo):
    repo.post("winter-cake-launch", "publish_at: 2026-12-02 09:00\nchannels: [outbox]")
    result = run(repo, "publish", "--dry-run", "--post", "winter-cake-lunch", "--now", "2026-12-02 09:30")
    assert result.exit_code == 2
    assert "no post with id 'winter-cake-lunch'; did you mean 'winter-cake-launch'?" in result.output
    result = run(repo, "publish", "--dry-run", "--post", "winter-cake-launch", "--now", "2026-12-01 09:30")
    assert result.exit_code == 0 and "Nothing due" in result.output
