"""Docs stay true: every command has help, the reference is current, README's commands are CI's."""

from __future__ import annotations

import re

from click.testing import CliRunner

from tagline.annotate.formats.registry import FORMATS
from tagline.annotate.formats.table import render_table, with_table
from tagline.cli import main
from tagline.cli.reference import iter_commands, render_reference
from tagline.eval.baselines.registry import BASELINE_SPECS
from tagline.eval.baselines.table import render_table as render_baselines
from tagline.eval.baselines.table import with_table as with_baselines

from conftest import REPO


def test_every_command_has_help_text():
    for path, command in iter_commands(main, ["tagline"]):
        assert command.help and command.help.strip(), f"{' '.join(path)} has no help"
        for parameter in command.params:
            if parameter.param_type_name == "option" and parameter.name not in ("help",):
                assert parameter.help, f"{' '.join(path)} option {parameter.opts} has no help"


def test_cli_reference_is_current():
    assert (REPO / "docs" / "cli-reference.md").read_text(encoding="utf-8") == render_reference(), \
        "regenerate with: python -m tagline.cli.reference > docs/cli-reference.md"


def test_formats_table_is_current():
    page = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    assert page == with_table(page), "regenerate with: python -m tagline.annotate.formats.table docs/formats.md"
    table = render_table()
    for spec in FORMATS:
        assert f"| `{spec.name}` | {spec.description} |" in table, spec.name


def test_baselines_table_is_current_and_linked():
    page = (REPO / "docs" / "baselines.md").read_text(encoding="utf-8")
    assert page == with_baselines(page), \
        "regenerate with: python -m tagline.eval.baselines.table docs/baselines.md"
    table = render_baselines()
    for spec in BASELINE_SPECS:
        assert f"| `{spec.name}` |" in table and spec.description in table, spec.name
    for linking in ("README.md", "docs/cli.md"):
        assert "baselines.md" in (REPO / linking).read_text(encoding="utf-8"), linking


def test_every_command_appears_in_the_task_guide():
    guide = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for path, command in iter_commands(main, ["tagline"]):
        if isinstance(command, type(main)) and len(path) > 1 and path[-1] in ("annotate", "eval", "corpus"):
            continue
        name = " ".join(path)
        if name == "tagline":
            continue
        assert f"{name} " in guide or f"{name}\n" in guide, f"docs/cli.md never shows `{name}`"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    assert blocks[0].endswith("tagline demo") and "pip install -e ." in blocks[0]
    assert "pytest" in blocks[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1] in ci


def test_suggestion_sources_table_is_current():
    from tagline.eval.suggesters import with_sources_table

    page = (REPO / "docs" / "suggestions.md").read_text(encoding="utf-8")
    assert page == with_sources_table(page), "regenerate with: python -m tagline.eval.suggesters docs/suggestions.md"


def test_export_help_names_only_formats_it_writes_as_folders():
    from tagline.annotate.formats.registry import EXPORT_FORMATS

    result = CliRunner().invoke(main, ["annotate", "export", "--help"], terminal_width=200)
    (named,) = re.findall(r"The file to write \(([^)]*): a folder\)", result.output)
    written = [name.strip() for name in named.split(",")]
    assert "brat" in written and all(name in EXPORT_FORMATS for name in written), named


def test_the_run_arguments_say_that_latest_names_a_run_as_the_readme_tour_uses_it():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "tagline eval compare latest~1 latest" in readme
    for arguments in (["eval", "compare", "--help"], ["eval", "predict", "--help"]):
        shown = " ".join(CliRunner().invoke(main, arguments, terminal_width=200).output.split())
        assert "latest~N" in shown, arguments
