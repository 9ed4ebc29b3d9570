"""`tagline bench`: the benchmark names come from the registry, `--list` says what is present in
the datasets folder, errors are one line with exit code 2, and a run on a slice of the real files
prints our figures beside the published ones, in runs that `eval compare` reads."""

from __future__ import annotations

import io
import json

import pytest
from bench_slices import semeval_slice

from tagline.cli import main
from tagline.cli.bench import bench_cli
from tagline.eval.bench.registry import BENCHMARK_NAMES, BENCHMARKS


def test_the_name_choices_are_the_registry(runner):
    (argument,) = [p for p in bench_cli.params if p.name == "name"]
    assert tuple(argument.type.choices) == BENCHMARK_NAMES
    shown = runner.invoke(main, ["bench", "--help"])
    assert "NAME is one of: " + ", ".join(BENCHMARK_NAMES) + "." in " ".join(shown.stdout.split())
    result = runner.invoke(main, ["bench", "semeval"])
    assert result.exit_code == 2
    assert all(name in result.stderr for name in BENCHMARK_NAMES)
    assert "Traceback" not in result.output


def test_list_says_present_or_absent_and_what_is_needed(runner, tmp_path):
    (tmp_path / "claimbuster").mkdir()
    (tmp_path / "claimbuster" / "kfold_25ncs.json").write_text("[]", encoding="utf-8")
    result = runner.invoke(main, ["bench", "--list", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    shown = result.stdout.splitlines()
    needs = {line.split()[0]: line for line in shown if " needs, in " in line}
    rows = {line.split()[0]: line for line in shown[2:] if line.split() and line.split()[0] in BENCHMARK_NAMES
            and line not in needs.values()}
    assert result.stdout.startswith(f"datasets folder: {tmp_path}\n")
    assert list(rows) == list(BENCHMARK_NAMES)  # each NAME whole, as `tagline bench NAME` takes it
    assert " present " in rows["claimbuster"] and " absent " in rows["stockmark-ner"]
    assert set(needs) == set(BENCHMARK_NAMES) - {"claimbuster"}
    assert "stockmark-ner-ja/ner.json" in needs["stockmark-ner"]
    assert "clef2020-checkthat-task5/training, clef2020-checkthat-task5/test_gold" in needs["clef2020-checkthat-task5"]


def test_list_as_json_and_from_the_environment_variable(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("TAGLINE_DATA", str(tmp_path))
    result = runner.invoke(main, ["bench", "--list", "--json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert listing["data"] == str(tmp_path)
    assert [row["name"] for row in listing["benchmarks"]] == [spec.name for spec in BENCHMARKS]
    assert not any(row["present"] for row in listing["benchmarks"])


def test_list_on_a_narrow_terminal_drops_no_column(tmp_path):
    from rich.console import Console

    from tagline.cli.bench import _listing_table
    from tagline.eval.bench.data import benchmark_status

    rows = benchmark_status(tmp_path)
    screen = Console(width=80, file=io.StringIO(), highlight=False)
    screen.print(_listing_table(rows, width=80))
    shown = screen.file.getvalue()
    assert max(len(line.rstrip()) for line in shown.splitlines()) <= 80
    for row in rows:
        assert row["name"] in shown and row["measure"] in shown and row["duration"] in shown
        assert all(baseline in shown for baseline in row["baselines"])


def test_list_without_a_datasets_folder_lists_every_benchmark_absent_and_what_it_needs(runner, tmp_path,
                                                                                       monkeypatch):
    monkeypatch.delenv("TAGLINE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # no shared/datasets here or above (a temporary folder)
    result = runner.invoke(main, ["bench", "--list"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("datasets folder: none (neither --data nor $TAGLINE_DATA is given")
    assert "pass --data DIR or set TAGLINE_DATA" in result.stdout.splitlines()[0]
    needs = [line for line in result.stdout.splitlines() if " needs, in the datasets folder: " in line]
    assert [line.split()[0] for line in needs] == list(BENCHMARK_NAMES)
    listing = json.loads(runner.invoke(main, ["bench", "--list", "--json"]).stdout)
    assert listing["data"] is None and not any(row["present"] for row in listing["benchmarks"])
    result = runner.invoke(main, ["bench", "--list", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and result.stderr.startswith("Error: --data: ")  # a folder named: still an error


def test_an_absent_benchmark_is_one_error_line_with_status_2(runner, tmp_path):
    result = runner.invoke(main, ["bench", "clef2019-checkthat-task1", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: the clef2019-checkthat-task1 data "
                                                                        "is absent")
    assert "clef2019-checkthat-task1/training" in result.stderr and "--data DIR" in result.stderr


def test_no_name_and_no_list_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["bench", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "name a benchmark" in result.stderr


@pytest.mark.shared
def test_a_run_on_a_slice_prints_ours_beside_the_published_and_its_runs_compare(runner, tmp_path):
    semeval_slice(tmp_path / "datasets")
    workspace = tmp_path / "ws"
    result = runner.invoke(main, ["bench", "semeval2016-task6", "--data", str(tmp_path / "datasets"), "--out",
                                  str(workspace), "--baselines", "majority,tfidf_nb", "--resamples", "50", "--seed", "3",
                                  "--no-tune"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert float(rows["majority"].split()[1]) > 0 and "-stance-majority" in rows["majority"]
    assert "65.22" in result.stdout and "68.98" in result.stdout and "Mohammad et al. 2016" in result.stdout
    assert f"workspace: {workspace}" in result.stdout
    runs = sorted(path.name for path in (workspace / "runs").iterdir())
    assert [run.rsplit("-", 1)[1] for run in runs] == ["majority", "tfidf_nb"]
    assert all((workspace / "runs" / run / name).is_file() for run in runs for name in ("results.json", "report.md"))
    saved = json.loads((workspace / "runs" / runs[1] / "results.json").read_text(encoding="utf-8"))
    assert saved["seed"] == 3 and saved["protocol"]["tuning"] == "defaults"  # --seed and --no-tune reach the run
    compared = runner.invoke(main, ["eval", "compare", "-w", str(workspace), *runs, "--resamples", "50", "--json"])
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["metric"] == "f_avg"


@pytest.mark.shared
def test_on_a_terminal_the_steps_show_in_a_bar_that_is_gone_before_the_figures(tmp_path):
    import re

    from test_progress import BAR, CONTROL, WIDTH, assert_cursor_back, on_a_terminal, tagline_command

    from terminal_screen import screen_lines

    semeval_slice(tmp_path / "datasets")
    command = tagline_command("bench", "semeval2016-task6", "--data", tmp_path / "datasets", "--out", tmp_path / "ws",
                              "--baselines", "majority", "--resamples", "20")
    output, status = on_a_terminal(command, TAGLINE_PROGRESS_DELAY="0")
    assert status == 0, output
    shown = CONTROL.sub("", output)
    for step in ("importing semeval2016-task6-trainingdata.txt", "building the dataset", "stance · majority"):
        assert re.search(rf"{step} .*\d:\d\d:\d\d elapsed", shown), (step, shown[:1500])
    assert_cursor_back(output)
    screen = "\n".join(screen_lines(output, WIDTH))
    assert "Majority class (organisers)  65.22" in screen and BAR not in screen, screen
