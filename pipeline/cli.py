"""The `social` command: a thin shell over the library.

Each command parses its options, calls one library function and prints the
result through `pipeline.output.echo`, which shows control characters as escapes.
Imports of the library happen inside the commands, so `social --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.output import echo

FORMATS = ("text", "json")


def root_option(func):
    """`--root` and `--brand`: the command gets `root`, the content root they name."""
    @functools.wraps(func)
    def with_root(*args, root: Path | None, brand: str | None, **kwargs):
        return func(*args, root=_content_root(root, brand), **kwargs)

    with_root = click.option(
        "--brand", metavar="NAME",
        help="In a repository of several brands: the one in brands/NAME/ (default: the brand whose "
             "folder holds the current one). `social brands` lists them.",
    )(with_root)
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        show_default="the nearest folder holding content/channels.yml, from the current one up to the "
                     "top of its git repository",
        help="The content repository (holding content/ and templates/); with --brand, the repository "
             "holding brands/.",
    )(with_root)


def _content_root(root: Path | None, brand: str | None) -> Path:
    """The content root of `--root` and `--brand`. Without `--root`, the repository is found from the
    current folder up and named on stderr when it is not the current folder (stdout stays the
    command's output); a repository of several brands needs one named."""
    from pipeline.content.brands import brand_root, find_repository, several_brands
    from pipeline.content.workspace import find_root
    from pipeline.errors import UsageError

    here = Path.cwd()
    if brand is not None:
        return brand_root(root if root is not None else find_repository(here) or here, brand)
    if root is None:
        found = find_root(here)
        if found is None:
            root = find_repository(here) or Path(".")
        elif found == here.resolve():
            root = Path(".")
        else:
            click.echo(f"using the repository at {found}", err=True)
            root = found
    names = several_brands(root)
    if names:
        raise UsageError(f"{root.resolve()} holds several brands ({', '.join(names)}): give --brand NAME, "
                         "or run the command inside brands/NAME/")
    return root


def format_option(*choices: str):
    def decorate(func):
        return click.option(
            "--format", "output_format", type=click.Choice(choices), default=choices[0],
            show_default=True, help="Output for people (text) or programs.",
        )(func)
    return decorate


class SocialGroup(click.Group):
    """Turns the library's expected failures into a message and an exit code, no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PipelineError as error:
            if (ctx.obj or {}).get("debug"):
                raise
            echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=SocialGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks of expected failures too.")
@click.version_option(__version__, prog_name="social")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Social media as code: check, render, schedule and publish the posts in content/."""
    ctx.obj = {"debug": debug}


@cli.command()
@root_option
@format_option("text", "json", "github")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--now", "now_text", metavar="ISO",
              help="Check cadence and posts whose time has passed as if it were this time (default: now).")
@click.option("--checks", default="content,render,cadence,ledger", show_default=True, metavar="A,B",
              help="Which checks: content (always), render, cadence, ledger (ids, and posts whose time has "
                   "passed, against state/ledger.jsonl).")
@click.option("--unused", is_flag=True, help="Also list the files in content/media/ that no post uses (as notices).")
@click.option("--cache/--no-cache", default=True, show_default=True,
              help="Keep each post's reading and render findings in .social-cache/ and use them while nothing "
                   "they depend on changed; --no-cache reads and renders everything and keeps nothing.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Processes to read and render in when many posts changed (default: one per core).")
def validate(root: Path, output_format: str, strict: bool, now_text: str | None, checks: str,
             unused: bool, cache: bool, jobs: int | None) -> None:
    """Check every post and channels.yml; report all problems at once.

    Exit 0 when there are no errors (warnings alone pass unless --strict), 1 with
    errors, 2 when content/channels.yml itself is broken. Only what changed since the
    last run is read and rendered again (see docs/validation.md).
    """
    from pipeline import output as out
    from pipeline.content.workspace import Workspace
    from pipeline.validation import CHECKS, validate_workspace

    chosen = tuple(_split_list(checks))
    unknown = sorted(set(chosen) - set(CHECKS))
    if unknown:
        raise click.BadParameter(f"unknown check {', '.join(unknown)}; checks: {', '.join(CHECKS)}",
                                 param_hint="--checks")
    result = validate_workspace(Workspace(root, now_text=now_text), chosen, unused=unused, cache=cache, jobs=jobs)
    if output_format == "json":
        echo(out.format_json(result.as_dict(strict)))
    elif output_format == "github":
        from pipeline.git import place_of

        place = place_of(root)  # GitHub places annotations by the path from the repository's top
        text = out.format_github(result.findings, prefix=place.prefix if place else "")
        if text:
            echo(text)
        echo(out.summary_line(len(result.errors), len(result.warnings), len(result.notices)))
    else:  # printed as it is: format_text made each piece visible before painting it
        click.echo(out.format_text(result.findings, colour=out.use_colour()))
    if result.config_broken:
        sys.exit(2)
    sys.exit(0 if result.ok(strict) else 1)


@cli.command(name="list")
@root_option
@format_option(*FORMATS)
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this time (default: now).")
@click.option("--all", "show_all", is_flag=True, help="Include past posts.")
@click.option("--channel", "channel_ids", multiple=True, help="Only posts to this channel.")
def list_posts(root: Path, output_format: str, now_text: str | None, show_all: bool,
               channel_ids: tuple[str, ...]) -> None:
    """Upcoming posts: local time with offset, channels, status, title."""
    from pipeline.content.listing import list_posts as run
    from pipeline.output import format_json

    listing = run(root, now_text=now_text, include_past=show_all, channels=channel_ids)
    if output_format == "json":
        echo(format_json(listing.as_dict()))
    else:
        echo(listing.as_text())
    if listing.broken_files:
        echo(f"{listing.broken_files} post file(s) have errors and are not listed; "
                   "run `social validate`.", err=True)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.argument("post_id")
def show(root: Path, output_format: str, post_id: str) -> None:
    """One post: its schedule in local time and UTC, channels, media and text."""
    from pipeline.content.listing import show_post
    from pipeline.output import format_json

    shown = show_post(root, post_id)
    echo(format_json(shown.as_dict()) if output_format == "json" else shown.as_text())


@cli.command()
@root_option
@click.argument("title")
@click.option("--at", "publish_at", metavar="'YYYY-MM-DD HH:MM'",
              help="Local publish time (in channels.yml's time zone), or with an offset.")
@click.option("--queue", is_flag=True, help="Take the next free slot instead of a fixed time.")
@click.option("--channels", required=True, metavar="A,B", help="Comma-separated channel ids.")
@click.option("--id", "post_id", help="The post's id (default: the title in lowercase ASCII: "
              "'Grüße aus Zürich' becomes gruesse-aus-zuerich).")
@click.option("--tags", default="", metavar="A,B", help="Comma-separated tags.")
@click.option("--draft", is_flag=True, help="Create it as a draft.")
@click.option("--now", "now_text", metavar="ISO", help="Refuse an --at before this time (default: now).")
def new(root: Path, title: str, publish_at: str | None, queue: bool, channels: str,
        post_id: str | None, tags: str, draft: bool, now_text: str | None) -> None:
    """Write a new post file from templates/new-post.md and print its path.

    Exit 2 when it cannot be written as asked: an unknown channel, a taken id, or an
    --at time that does not exist or has passed.
    """
    from pipeline.content.newpost import create_post
    from pipeline.render.templates import render_file

    path = create_post(
        root, title=title, publish_at=publish_at, queue=queue,
        channels=_split_list(channels), post_id=post_id, tags=_split_list(tags), draft=draft,
        render=render_file,
        now_text=now_text,
    )
    echo(path.as_posix())


@cli.command()
@root_option
@click.option("--check", is_flag=True, help="Only check that schemas/ is up to date (exit 1 if not).")
def schemas(root: Path, check: bool) -> None:
    """Write the JSON Schemas of front matter and channels.yml into schemas/ (for editors)."""
    from pipeline.content.jsonschema import SCHEMA_DIR, schema_files, write_schemas

    if check:
        stale = [name for name, text in schema_files().items()
                 if not (root / SCHEMA_DIR / name).is_file()
                 or (root / SCHEMA_DIR / name).read_text(encoding="utf-8") != text]
        if stale:
            echo(f"out of date: {', '.join(stale)}; run `social schemas`", err=True)
            sys.exit(1)
        echo("schemas/ is up to date.")
        return
    for path in write_schemas(root):
        echo(path.as_posix())


@cli.command()
@root_option
@format_option(*FORMATS)
@click.argument("post_id")
@click.option("--channel", "channel_id", help="Only this channel.")
def render(root: Path, output_format: str, post_id: str, channel_id: str | None) -> None:
    """Each part's exact text per channel, its count and limit, media with alt text, Bluesky facets,
    and where a network charges for posting (X), each part's estimated price.

    The text is what readers will see; JSON adds `wire_text`, the text as the network's
    request carries it (LinkedIn's escaped little text)."""
    from pipeline.render.show import render_post, rendering_dict, rendering_text

    renderings = render_post(root, post_id, channel_id)
    if output_format == "json":
        echo(out_json({"renderings": [rendering_dict(r) for r in renderings]}))
    else:
        echo("\n\n".join(rendering_text(r) for r in renderings))
    sys.exit(0 if all(r.ok for r in renderings) else 1)


class NetworkChoice(click.Choice):
    """The registered networks, read from the registry only when the option is used or shown."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self):
        from pipeline.networks import network_names

        return network_names()

    @choices.setter
    def choices(self, value) -> None:
        pass


@cli.command()
@format_option(*FORMATS)
@click.option("--network", required=True, type=NetworkChoice(), help="A registered network.")
@click.option("--limit", type=int, help="Another limit (a Mastodon instance's max_characters).")
@click.argument("text")
def count(output_format: str, network: str, limit: int | None, text: str) -> None:
    """The length of TEXT as NETWORK counts it, its limit, and Bluesky's facets. Exit 1 if over."""
    from pipeline.render.show import count_report, count_text

    counted = count_text(network, text, limit=limit)
    echo(out_json(counted.as_dict()) if output_format == "json" else count_report(counted))
    sys.exit(0 if counted.ok else 1)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.option("--dry-run", is_flag=True, help="Write what would be sent to outbox/; send nothing.")
@click.option("--now", "now_text", metavar="ISO",
              help="With --dry-run: pretend it is this time; at a later time than the clock, the runs in "
                   "between are taken as done (what they would have sent on time is counted, not missed). "
                   "A real run publishes at the real time and refuses a --now more than 5 minutes from "
                   "the clock.")
@click.option("--channel", "channel_id", help="Only this channel.")
@click.option("--post", "post_id", help="Only this post.")
def publish(root: Path, output_format: str, dry_run: bool, now_text: str | None,
            channel_id: str | None, post_id: str | None) -> None:
    """Publish every due part exactly once, recording each step in state/ledger.jsonl.

    Catches up everything due; a part later than its channel's max_lateness is
    recorded as missed, never sent. Exit 1 when anything failed or is uncertain.
    SIGTERM or SIGINT stops the run after the parts in flight (exit 1); the parts
    not started are reported and go out with the next run. A second signal ends it at once.
    """
    import threading

    from pipeline.publish import summary
    from pipeline.publish.service import publish as run
    from pipeline.publish.stopping import stop_on_signals

    def stopping(name: str) -> None:
        echo(f"{name}: stopping after the parts in flight; the next run sends the rest "
                   "(a second signal stops at once)", err=True)

    live = output_format == "text" and sys.stdout.isatty()
    with stop_on_signals(threading.Event(), stopping) as stop:
        report = run(root, now_text=now_text, dry_run=dry_run, channel_id=channel_id, post_id=post_id,
                     progress=(lambda o: echo(summary.outcome_line(o))) if live else None, stop=stop)
        for warning in report.ledger_warnings:
            echo(f"warning: {warning}", err=True)
        if output_format == "json":
            echo(out_json(summary.report_dict(report)))
        else:
            echo(summary.report_text(report))
        summary.write_job_summary(summary.report_markdown(report))
    sys.exit(0 if report.ok else 1)


class DurationType(click.ParamType):
    """A duration as channels.yml writes one: 90m, 2h, 1d."""

    name = "duration"

    def convert(self, value, param, ctx):
        from datetime import timedelta

        from pipeline.times import parse_duration

        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.option("--now", "now_text", metavar="ISO", help="Look as if it were this time (default: now).")
@click.option("--grace", type=DurationType(), default="1h", show_default=True,
              help="How long a part may be due (or pending) without a run sending it before it needs a person.")
@click.option("--next", "upcoming", type=click.IntRange(0), default=5, show_default=True,
              help="How many of the next scheduled posts to show.")
def status(root: Path, output_format: str, now_text: str | None, grace, upcoming: int) -> None:
    """The whole picture: what needs a person first, then what is due, the ledger, and what comes next.

    Lists unreadable parts, parts posted twice or handled by two runs, uncertain,
    pending and failed parts (with the reason), failed retractions, parts due that
    no run has sent, missed, retractions to do, published and deleted parts, and
    the next scheduled posts with their times. A row marked ! needs a person.

    Exit 0 when nothing needs a person. Exit 1 when something does: a part
    unreadable, uncertain or posted twice (or a racing run that may have posted
    it twice); a part failed while its post is still scheduled; a retraction that
    failed; a part missed in the last 7 days (unless its post has a new time); a
    part due and not sent for longer than --grace, too late to send, or that
    cannot be published; a part pending for longer than --grace. Exit 2 when the
    ledger cannot be read (a damaged line, not a file, no permission).
    """
    from pipeline.publish.status import publishing_status, status_dict, status_text

    found = publishing_status(root, now_text=now_text, grace=grace, upcoming=upcoming)
    for warning in found.warnings:
        echo(f"warning: {warning}", err=True)
    if output_format == "json":
        echo(out_json(status_dict(found)))
    else:
        echo(status_text(found))
    sys.exit(0 if found.ok else 1)


@cli.command()
@root_option
@click.argument("post_id")
@click.option("--channel", "channel_id", required=True, help="The channel of the uncertain part.")
@click.option("--part", type=int, help="The part number, when several are uncertain.")
@click.option("--published", "published_url", metavar="URL", help="It did go out: here it is.")
@click.option("--not-published", is_flag=True, help="It did not go out: the next run sends it.")
@click.option("--send", "send_late", is_flag=True,
              help="A missed part: send it with the next run although it is late.")
def resolve(root: Path, post_id: str, channel_id: str, part: int | None, published_url: str | None,
            not_published: bool, send_late: bool) -> None:
    """Settle an uncertain or unreadable part, or one two runs handled, after looking at the account;
    or send a missed one on purpose."""
    from pipeline.publish.service import resolve as run

    for entry in run(root, post_id, channel_id, part=part, published_url=published_url,
                     not_published=not_published, send_late=send_late):
        echo(f"{entry.post} part {entry.part} on {entry.channel}: {entry.state}")


def out_json(payload: dict) -> str:
    from pipeline.output import format_json

    return format_json(payload)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.option("--now", "now_text", metavar="ISO", help="Pretend it is this time (default: now).")
@click.option("--channel", "channel_ids", multiple=True, help="Only this channel (repeatable).")
@click.option("--against", metavar="REF",
              help="Show what the working tree changes compared with this git ref (e.g. main).")
def cadence(root: Path, output_format: str, now_text: str | None, channel_ids: tuple[str, ...],
            against: str | None) -> None:
    """Each channel week by week: posts per day, the longest gap, and what breaks its rules.

    With --against, the days whose number of posts changes and the findings that
    are new, changed or resolved. Exit 1 when a rule at level error is broken.
    """
    from pipeline.output import format_json
    from pipeline.planning.overview import cadence_report

    result = cadence_report(root, now_text=now_text, channels=channel_ids, against=against)
    for warning in result.read_warnings:
        echo(f"warning: {warning}", err=True)
    echo(format_json(result.as_dict()) if output_format == "json" else result.as_text())
    sys.exit(1 if result.errors else 0)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.option("--now", "now_text", metavar="ISO", help="Fill slots from this time (default: now).")
@click.option("--write", is_flag=True,
              help="Write publish_at into the queued posts (only that line of each file changes).")
def schedule(root: Path, output_format: str, now_text: str | None, write: bool) -> None:
    """Give each post with `queue: true` the first free slot of its channels that keeps every rule.

    Posts queue first come, first served (by the commit that added them). Exit 1
    when a queued post finds no slot.
    """
    from pipeline.output import format_json
    from pipeline.planning.schedule import schedule as run

    result = run(root, now_text=now_text, write=write)
    echo(format_json(result.as_dict()) if output_format == "json" else result.as_text())
    sys.exit(1 if result.plan.unplaced else 0)


@cli.command()
@root_option
@format_option("markdown", "text", "json")
@click.option("--changed", required=True, metavar="BASE..HEAD",
              help="The git range to preview, e.g. origin/main..HEAD (BASE...HEAD: since HEAD left BASE).")
@click.option("--now", "now_text", metavar="ISO", help="Check cadence as if it were this time (default: now).")
@click.option("--max-bytes", type=click.IntRange(2000), default=1_000_000, show_default=True,
              help="Markdown and text stop short of this size with a note on what was left out "
                   "(a job summary takes 1 MiB, a comment 65,536 characters).")
def preview(root: Path, output_format: str, changed: str, now_text: str | None, max_bytes: int) -> None:
    """Every post a change adds or changes, as each channel will get it, for review in a pull request.

    For each post file added, changed or renamed between BASE and HEAD: each
    channel's exact text (every thread part), counts against limits, media with
    alt text, and the findings of `social validate` in those files; the posts it
    removes; what it does to the cadence; and, per channel whose network charges
    for posting (X), what its ready posts will cost. Always exits 0: `social
    validate` is the check that fails.
    """
    from pipeline.review.formatting import format_markdown, format_text, preview_dict
    from pipeline.review.preview import build_preview

    result = build_preview(root, changed, now_text=now_text)
    if output_format == "json":
        echo(out_json(preview_dict(result)))
    elif output_format == "text":
        echo(format_text(result, max_bytes), nl=False)
    else:
        echo(format_markdown(result, max_bytes), nl=False)


@cli.command()
@click.argument("report_file", metavar="REPORT", required=False)
@click.option("--failed-step", "failed_steps", multiple=True, metavar="TEXT",
              help="A workflow step that failed (repeatable).")
@click.option("--run-url", metavar="URL", help="The workflow run, linked from the issue.")
@root_option
def failures(report_file: str | None, failed_steps: tuple[str, ...], run_url: str | None, root: Path) -> None:
    """The body of the publish workflow's issue: what failed and why, from `social publish --format json`.

    REPORT is that JSON. A report that says nothing of the run counts as a
    failure: none given, an empty path, a missing, empty or unreadable file, JSON
    of another shape, or `"ok": false` with no part named. The ledger under
    --root (state/ledger.jsonl) is read too: parts that cannot be read, posted
    twice, or whose retraction failed stay in the issue until settled. Prints the
    Markdown body and exits 1 when a part failed, is uncertain or was missed, a
    step failed, the report says nothing, or the ledger needs a person; prints
    "All well" and exits 0 otherwise (the workflow then closes the issue).
    """
    from pipeline.publish.failures import failure_report

    found = failure_report(report_file, failed_steps=failed_steps, run_url=run_url, root=root)
    echo(found.text())
    sys.exit(0 if found.all_well else 1)


@cli.command()
@root_option
@format_option(*FORMATS)
@click.option("--refresh", is_flag=True, help="Read every page again, also those stored already.")
@click.option("--post", "post_id", help="Only this post's link.")
def linkcards(root: Path, output_format: str, refresh: bool, post_id: str | None) -> None:
    """Read the title, description and picture of each post's link into content/linkcards.yml.

    Previews (the calendar site's cards) show link cards from there: the site's build
    never fetches a page, nor does a reader's browser. Links stored already are kept
    unless --refresh. A page that cannot be read is reported and left out (a card is a
    courtesy; exit 0). Commit content/linkcards.yml and content/media/linkcards/ with
    the posts; edit them freely.
    """
    from pipeline.content.linkcards import fetch_link_cards, result_lines
    from pipeline.networks.delivery import Http
    from pipeline.secrets import Secrets

    results = fetch_link_cards(root, Http(secrets=Secrets()), post_id=post_id, refresh=refresh)
    if output_format == "json":
        echo(out_json({"cards": [{"url": r.url, "state": r.state, "title": r.card.title if r.card else None,
                                  "description": r.card.description if r.card else None,
                                  "image": r.card.image if r.card else None} for r in results]}))
    else:
        echo("\n".join(result_lines(results)))


@cli.group()
def channels() -> None:
    """The channels of content/channels.yml: check that each can post."""


@channels.command(name="check")
@root_option
@format_option(*FORMATS, "markdown")
@click.option("--run-url", metavar="URL", help="The workflow run, linked from the Markdown (the issue).")
@click.argument("channel", required=False)
def channels_check(root: Path, output_format: str, run_url: str | None, channel: str | None) -> None:
    """Make the cheapest authenticated call per channel and say whom it would post as.

    One line per channel: the account, or why it cannot post (a missing, expired or
    revoked token, a wrong author, a webhook URL that is not one). Also says when a
    token expires where the network tells (and warns two weeks ahead), and, where a
    network states its real limits (a Mastodon instance's characters per post), the
    lines to put into content/channels.yml when they differ from the channel's. Exit 1
    when a channel cannot post or its token expires within two weeks. `--format
    markdown` is the body of the issue the publish workflow keeps open meanwhile.
    """
    from pipeline.publish.doctor import check_channels, check_lines, check_markdown

    now, checks = check_channels(root, channel_id=channel)
    if output_format == "json":
        echo(out_json({"checked_at": now.isoformat(), "channels": [c.as_dict(now) for c in checks]}))
    elif output_format == "markdown":
        from pipeline.content.brands import brand_of

        echo(check_markdown(now, checks, run_url, brand=brand_of(root) or ""), nl=False)
    else:
        echo("\n".join(check_lines(now, checks)))
    sys.exit(1 if any(c.needs_person(now) for c in checks) else 0)


@cli.group()
def profiles() -> None:
    """Profiles as code: content/profiles/<channel>.yml against the live profiles."""


@profiles.command(name="diff")
@root_option
@click.argument("channel", required=False)
def profiles_diff(root: Path, channel: str | None) -> None:
    """Show what differs between content/profiles/ and each live profile.

    A field changed in the app since the last sync is marked `!`: a sync leaves it as
    it is. Exit 1 when a profile cannot be read from its network.
    """
    from pipeline.publish.profilesync import diff_lines, profile_diffs

    diffs = profile_diffs(root, channel_id=channel)
    echo("\n".join(diff_lines(diffs)) or "No profiles in content/profiles/.")
    sys.exit(1 if any(d.problem for d in diffs) else 0)


@profiles.command(name="sync")
@root_option
@click.option("--force", is_flag=True, help="Also overwrite fields changed in the app since the last sync.")
@click.argument("channel", required=False)
def profiles_sync(root: Path, force: bool, channel: str | None) -> None:
    """Apply content/profiles/ to the live profiles, field by field.

    Only what differs is written. A field someone changed in the app since the last
    sync is reported and left alone (unless --force); Bluesky also refuses a write
    over a profile changed meanwhile. What was written goes to state/profiles.jsonl
    (push it with `social state push`). Exit 1 when anything was left unsynced.
    """
    from pipeline.publish.profilesync import diff_lines, profile_diffs

    diffs = profile_diffs(root, channel_id=channel, apply=True, force=force)
    echo("\n".join(diff_lines(diffs, applied=True)) or "No profiles in content/profiles/.")
    left = any(d.problem or (d.conflicts and not force) for d in diffs)
    sys.exit(1 if left else 0)


@cli.group()
def stats() -> None:
    """Growth: follower counts and each post's engagement, read into state/metrics.jsonl."""


@stats.command(name="collect")
@root_option
@format_option(*FORMATS)
@click.option("--channel", "channel_id", help="Only this channel.")
@click.option("--window", type=DurationType(), default="60d", show_default=True,
              help="Read again the parts published this far back (older ones keep their last counts).")
def stats_collect(root: Path, output_format: str, channel_id: str | None, window) -> None:
    """Read each channel's followers and what its recent parts earned; append to state/metrics.jsonl.

    Likes, reposts, replies and quotes of every part the ledger holds as published
    within --window; a part's line is written only when its counts changed. A network
    that cannot read metrics is skipped with a note. Push the file with `social state
    push`. Exit 1 when a channel could not be read (the others are still written).
    """
    from pipeline.growth.collect import collect

    report = collect(root, channel_id=channel_id, window=window)
    for warning in report.warnings:
        echo(f"warning: {warning}", err=True)
    echo(out_json(report.as_dict()) if output_format == "json" else report.as_text())
    sys.exit(0 if report.ok else 1)


@stats.command(name="suggest-slots")
@root_option
@format_option(*FORMATS)
@click.argument("channel", required=False)
@click.option("--metrics", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read this history instead of state/metrics.jsonl (a copy, or the demo's sample).")
def stats_suggest_slots(root: Path, output_format: str, channel: str | None, metrics: Path | None) -> None:
    """Propose queue slots from the local hours that earned the most engagement per post.

    Reads state/metrics.jsonl. Says how many posts the suggestion rests on and prints
    the change to make in content/channels.yml (it changes no file). Refuses, and
    exits 1, with fewer than 20 posts whose counts have settled (two days old) in the
    last 180 days, or when no hour has 3 posts yet (docs/growth.md has the whole rule).
    Without CHANNEL: every channel whose network reads metrics.
    """
    from pipeline.growth.slots import suggest_slots

    zone, suggestions, warnings = suggest_slots(root, channel, metrics=metrics)
    for warning in warnings:
        echo(f"warning: {warning}", err=True)
    source = str(metrics) if metrics else "state/metrics.jsonl"
    if output_format == "json":
        echo(out_json({"source": source, "timezone": zone.key, "channels": [s.as_dict() for s in suggestions]}))
    else:
        echo(f"From {source}:\n" + ("\n\n".join(s.as_text(zone) for s in suggestions) or "No channel reads metrics."))
    sys.exit(0 if suggestions and all(s.refused is None for s in suggestions) else 1)


@cli.group()
def inbox() -> None:
    """What others addressed to the channels: mentions, replies and quotes (docs/inbox.md)."""


@inbox.command(name="collect")
@root_option
@format_option(*FORMATS)
@click.option("--channel", "channel_id", help="Only this channel.")
@click.option("--first", type=DurationType(), default="14d", show_default=True,
              help="How far back the first collection of a channel reads.")
def inbox_collect(root: Path, output_format: str, channel_id: str | None, first) -> None:
    """Append what others addressed to each channel since the last collection to state/inbox.jsonl.

    Reads mentions, replies and quotes where the network allows (Mastodon's
    notifications, Bluesky's listNotifications); channels whose network reads no
    inbox are skipped with the reason. Nothing is marked as read on the network.
    Push the file with `social state push`. Exit 1 when a channel could not be read.
    """
    from pipeline.publish.collect import collect_inbox

    result = collect_inbox(root, channel_id=channel_id, first=first)
    for warning in result.warnings:
        echo(f"warning: {warning}", err=True)
    echo(out_json(result.as_dict()) if output_format == "json" else result.as_text())
    sys.exit(0 if result.ok else 1)


@cli.command()
@root_option
@click.argument("url")
@click.option("--channel", "channel_id", help="The channel to answer from (default: the one whose inbox holds "
              "the post, else the one channel that recognises its address).")
@click.option("--text", help="The answer; without it the post's text is left to write (validation says so "
              "until it is there).")
@click.option("--at", "publish_at", metavar="'YYYY-MM-DD HH:MM'",
              help="Local publish time (default: the first quarter hour two hours from now or later that "
                   "keeps the channel's rules).")
@click.option("--queue", is_flag=True, help="Take the channel's next free slot instead of a time.")
@click.option("--id", "post_id", help="The post's id (default: reply- and the author's name).")
@click.option("--now", "now_text", metavar="ISO", help="Suggest a time as if it were this time.")
def reply(root: Path, url: str, channel_id: str | None, text: str | None, publish_at: str | None, queue: bool,
          post_id: str | None, now_text: str | None) -> None:
    """Write a post answering the post at URL (reply_to set), ready for a pull request; print its path.

    What the other account wrote (when state/inbox.jsonl holds it) goes into the file
    as a comment for the review. Refuses, saying what to do, when no channel (or more
    than one) fits the URL, or when a post already answers it.
    """
    from pipeline.planning.reply import write_reply

    written = write_reply(root, url, channel_id=channel_id, text=text, at=publish_at, queue=queue,
                          post_id=post_id, now_text=now_text)
    echo(written.path.as_posix())
    echo(written.summary(), err=True)


@cli.group()
def state() -> None:
    """The `state` branch that holds the ledger: check it out into state/, push it."""


@state.command(name="checkout")
@root_option
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
@click.option("--branch", metavar="NAME", show_default="state; a brand's: state-BRAND",
              help="The branch holding the ledger.")
@click.option("--read-only", is_flag=True,
              help="Check out what the last fetch saw, detached, to read only (the pull-request check).")
def state_checkout(root: Path, remote: str, branch: str | None, read_only: bool) -> None:
    """Check out the state branch into state/ (a git worktree), starting it empty on first use.

    With GITHUB_TOKEN set, git fetches with it from GITHUB_SERVER_URL (default
    https://github.com), as a header for that one git process: it is never written to
    .git/config, so a checkout that kept no credentials needs none.
    """
    from pipeline.content.brands import state_branch_of
    from pipeline.git import TokenAuth
    from pipeline.state.branch import checkout_state, checkout_state_read_only

    branch = branch or state_branch_of(root)
    if read_only:
        how = checkout_state_read_only(root, remote=remote, branch=branch)
    else:
        how = checkout_state(root, remote=remote, branch=branch, auth=TokenAuth.from_environment(os.environ))
    echo({"existing": f"Checked out {remote} {branch} into state/.",
                "created": f"{remote} has no {branch} branch yet: state/ starts it empty.",
                "present": "state/ is already checked out.",
                "read-only": f"Checked out {remote}/{branch} into state/, to read only.",
                "missing": f"No {remote}/{branch} was fetched: the ledger is empty."}[how])


@state.command(name="push")
@root_option
@format_option(*FORMATS)
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
@click.option("--branch", metavar="NAME", show_default="state; a brand's: state-BRAND",
              help="The branch holding the ledger.")
@click.option("--message", default="Publish run", show_default=True, help="The commit message.")
@click.option("--attempts", type=click.IntRange(1, 20), default=5, show_default=True,
              help="Pushes to try before failing.")
@click.option("--backoff", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds to wait after the first rejected push; doubles each time.")
def state_push(root: Path, output_format: str, remote: str, branch: str | None, message: str, attempts: int,
               backoff: float) -> None:
    """Commit state/ledger.jsonl (and metrics.jsonl) if changed and push, retrying a rejected push.

    A rejected push fetches and rebases; a conflicting rebase is aborted and the
    append-only files are merged line by line (the remote's lines, then ours);
    parts the merge shows were posted twice or handled by two runs are listed. In
    GitHub Actions, writes changed=true|false to $GITHUB_OUTPUT. Exit 1 when the
    push still fails after --attempts. GITHUB_TOKEN, when set, is what git fetches and
    pushes with, as for `social state checkout`.
    """
    from pipeline.content.brands import state_branch_of
    from pipeline.git import TokenAuth
    from pipeline.state.branch import push_state, write_output

    branch = branch or state_branch_of(root)
    result = push_state(root / "state", remote=remote, branch=branch, message=message, attempts=attempts,
                        backoff=backoff, auth=TokenAuth.from_environment(os.environ))
    write_output("changed", "true" if result.committed else "false")
    echo(out_json(result.as_dict()) if output_format == "json" else result.as_text())


@cli.command(name="brands")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              show_default="the repository holding the current folder",
              help="The repository: holding brands/, or content/ for one brand.")
@format_option("text", "json", "matrix")
@click.option("--strict", is_flag=True, help="Exit 1 when a folder in brands/ is not a brand.")
def brands_command(root: Path | None, output_format: str, strict: bool) -> None:
    """The brands of a repository: each folder in brands/ holding content/channels.yml.

    A repository without brands/ is one brand, at its top. Each brand has its own state
    branch (state-BRAND), GitHub environment of secrets (publish-BRAND) and failure
    issue. `--format matrix` is one line of JSON for the publish workflow's
    `strategy.matrix.include`. A folder in brands/ that is not a brand (no
    content/channels.yml, or a name that cannot name a branch) is named on stderr.
    """
    from pipeline.content.brands import find_repository, list_brands
    from pipeline.publish.matrix import brands_text, matrix_entries

    repository = root if root is not None else find_repository(Path.cwd()) or Path(".")
    found = list_brands(repository)
    for problem in found.refused:
        echo(f"warning: {problem}", err=True)
    if output_format == "matrix":
        click.echo(json.dumps(matrix_entries(found), ensure_ascii=True, separators=(",", ":")))
    elif output_format == "json":
        echo(out_json({"multi": found.multi, "brands": matrix_entries(found), "refused": found.refused}))
    else:
        echo(brands_text(found))
    sys.exit(1 if strict and found.refused else 0)


@state.command(name="restore")
@root_option
@format_option(*FORMATS)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
@click.option("--branch", default="state", show_default=True, help="The branch holding the ledger.")
@click.option("--attempts", type=click.IntRange(1, 20), default=5, show_default=True,
              help="Pushes to try before failing.")
def state_restore(root: Path, output_format: str, files: tuple[Path, ...], remote: str, branch: str,
                  attempts: int) -> None:
    """Put the ledger of a run whose push failed (the unpushed-ledger artifact) on the state branch.

    FILES are the artifact's files (ledger.jsonl, metrics.jsonl), each named as the
    state file it restores. Their lines that state/ lacks are appended after the
    branch's own, so what others pushed meanwhile stays; then the state is pushed as
    by `social state push`. Run `social state checkout` first.
    """
    from pipeline.git import TokenAuth
    from pipeline.state.branch import restore_state

    result = restore_state(root / "state", list(files), remote=remote, branch=branch, attempts=attempts,
                           auth=TokenAuth.from_environment(os.environ))
    echo(out_json(result.as_dict()) if output_format == "json" else result.as_text())


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def main() -> None:
    """Entry point of `social` and `python -m pipeline`."""
    cli(prog_name="social")
