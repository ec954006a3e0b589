"""docs/cli.md, generated from the commands' own help so the docs cannot drift.

    python -m pipeline.clidocs > docs/cli.md
"""

from __future__ import annotations

import click

from pipeline.cli import cli


def command_help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    ctx = click.Context(command, parent=parent, info_name=name, terminal_width=88,
                        max_content_width=88, **(cli.context_settings if parent is None else {}))
    return command.get_help(ctx)


def cli_markdown() -> str:
    parts = [
        "# Command line",
        "",
        "Generated from `social --help` by `python -m pipeline.clidocs > docs/cli.md`; a test "
        "fails when this page and the commands disagree.",
        "",
        "Exit codes: 0 ok (warnings alone do not fail; `--strict` makes them fail), "
        "1 errors or failures, 2 usage or configuration error.",
        "",
        "Without `--root`, a command uses the nearest folder holding `content/channels.yml`, from "
        "the current one up (never past the top of a git repository, never one that belongs to "
        "another user), and names it on stderr (`using the repository at /path`) when it is not "
        "the current folder.",
        "",
        "## social",
        "",
        "```text",
        command_help(cli, "social"),
        "```",
    ]
    root = click.Context(cli, info_name="social", **cli.context_settings)
    _commands(cli, root, "social", parts)
    return "\n".join(parts) + "\n"


def _commands(group: click.Group, parent: click.Context, prefix: str, parts: list[str]) -> None:
    """Every command of `group`, and of its sub-groups, each under its own heading."""
    for name in sorted(group.commands):
        command = group.commands[name]
        parts += ["", f"## {prefix} {name}", "", "```text", command_help(command, name, parent), "```"]
        if isinstance(command, click.Group):
            context = click.Context(command, parent=parent, info_name=name)
            _commands(command, context, f"{prefix} {name}", parts)


if __name__ == "__main__":
    click.echo(cli_markdown(), nl=False)
