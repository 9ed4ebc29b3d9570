"""Generate docs/cli-reference.md from the commands' own --help (``python -m tagline.cli.reference``)."""

from __future__ import annotations

import click


def iter_commands(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            subcommand = command.get_command(context, name)
            if subcommand is not None:
                yield from iter_commands(subcommand, path + [name])


def render_reference() -> str:
    from tagline.cli import main

    parts = ["# Command reference", "",
             "Generated from `--help` by `python -m tagline.cli.reference > docs/cli-reference.md`; "
             "`tests/cli/test_docs.py` fails when it is out of date. "
             "For tasks and JSON shapes see [cli.md](cli.md).", ""]
    for path, command in iter_commands(main, ["tagline"]):
        context = click.Context(command, info_name=" ".join(path), terminal_width=100, max_content_width=100,
                                help_option_names=["-h", "--help"])  # as the root command sets for all
        parts += [f"## {' '.join(path)}", "", "```", command.get_help(context), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_reference(), end="")
