"""The execution setting and the loops shared out through joblib on this machine: the same results
with one process and with several (the Dask cluster's tests are in test_dask_cluster.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tagline.cli import main
from tagline.corpus.execution import Execution
from tagline.errors import DataError

# Runs that reach each loop shared out: the folds of a cross-validation with the tuning nested in
# them, a tuning grid scored on validation with a model per target inside each setting, a stance
# model per target tuned by cross-validation on train (no validation: the grid's folds inside each
# target), and the CRF's folds.
RUNS = [
    ["--task", "claim_type", "--baselines", "tfidf_svm", "--cv", "2"],
    ["--task", "stance", "--baselines", "tfidf_logreg"],
    ["--task", "stance", "--baselines", "tfidf_svm", "--cv", "2"],
    ["--task", "entities", "--baselines", "crf", "--cv", "2"],
]


def comparable_runs(runner, workspace: Path, options: list[str], runs: list[list[str]] = RUNS) -> list[dict]:
    """Each of ``runs`` with ``options``: its results.json (but for its id, time and duration) and
    its predictions."""
    outcomes = []
    for run in runs:
        result = runner.invoke(main, ["eval", "run", "-w", str(workspace), *run, "--resamples", "200", "--json",
                                      *options])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        directory = workspace / "runs" / document["run_id"]
        predictions = (directory / "predictions.jsonl").read_text(encoding="utf-8")
        for key in ("run_id", "created", "seconds"):
            document.pop(key)
        outcomes.append({"result": document, "predictions": predictions})
    return outcomes


@pytest.mark.slow
def test_eval_run_gives_the_same_results_in_one_process_and_in_two(runner, built_sample_module):
    one = comparable_runs(runner, built_sample_module, ["--jobs", "1"])
    two = comparable_runs(runner, built_sample_module, ["--jobs", "2"])
    assert two == one
    tuned = one[0]["result"]["params"]
    assert len(tuned["folds"]) == 2 and tuned["chosen"]  # the nested tuning ran in each fold
    assert "tuned on validation" in one[1]["result"]["mode"]


def _pid_and_inner_pids(count: int) -> tuple[int, list[int]]:
    from tagline.eval.parallel import map_tasks

    return os.getpid(), map_tasks(os.getpid, [()] * count)


def test_tasks_run_in_worker_processes_in_order_and_their_own_loops_stay_there():
    from tagline.eval.parallel import executing, map_tasks

    done: list[int] = []
    with executing(Execution(jobs=2)):
        squares = map_tasks(pow, [(n, 2) for n in range(7)], on_result=done.append)
        nested = map_tasks(_pid_and_inner_pids, [(3,)] * 4)
    assert squares == [n * n for n in range(7)] and done == list(range(7))
    assert all(pid != os.getpid() and inner == [pid] * 3 for pid, inner in nested)
    # Outside the block, and with one job, everything runs here.
    assert map_tasks(os.getpid, [()] * 2) == [os.getpid()] * 2
    with executing(Execution(jobs=1)):
        assert map_tasks(os.getpid, [()] * 2) == [os.getpid()] * 2


def test_execution_settings_from_the_config_and_the_options():
    assert Execution.from_config({}) == Execution()
    assert Execution.from_config({"scheduler": "tcp://h:8786"}) == Execution(backend="dask", scheduler="tcp://h:8786")
    configured = Execution.from_config({"backend": "dask", "scheduler": "tcp://h:8786", "jobs": 8})
    assert configured.with_overrides() == configured
    assert configured.with_overrides(backend="local") == Execution()
    assert configured.with_overrides(jobs=2) == Execution(jobs=2, backend="dask", scheduler="tcp://h:8786")
    assert Execution(jobs=3).with_overrides(scheduler="tcp://x:1") == Execution(backend="dask", scheduler="tcp://x:1")
    assert Execution(jobs=3).with_overrides(backend="local") == Execution(jobs=3)
    with pytest.raises(DataError, match="is for the dask backend"):
        Execution(scheduler="tcp://h:8786")
    with pytest.raises(DataError, match="at least 1"):
        Execution(jobs=0)


def test_a_bad_execution_table_or_option_is_an_error_that_says_what_to_do(runner, built_sample_module, tmp_path):
    import shutil

    workspace = tmp_path / "ws"
    shutil.copytree(built_sample_module, workspace)
    config = workspace / "tagline.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original + '\n[execution]\nbackend = "local"\nscheduler = "tcp://h:8786"\n', encoding="utf-8")
    result = runner.invoke(main, ["eval", "run", "-w", str(workspace), "--task", "claim_type"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "execution: a scheduler address (tcp://h:8786) is for the dask " \
        "backend (choose the dask backend for it" in result.stderr and "Traceback" not in result.output
    config.write_text(original + "\n[execution]\njobs = 0\n", encoding="utf-8")
    result = runner.invoke(main, ["eval", "run", "-w", str(workspace), "--task", "claim_type"])
    assert result.exit_code == 2 and "execution/jobs: 0 is less than the minimum of 1" in result.stderr
    config.write_text(original, encoding="utf-8")
    result = runner.invoke(main, ["eval", "run", "-w", str(workspace), "--backend", "local", "--scheduler", "tcp://h:1"])
    assert result.exit_code == 2 and "is for the dask backend" in result.stderr


def test_the_dask_backend_without_a_scheduler_says_how_to_give_one(runner, built_sample_module, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    result = runner.invoke(main, ["eval", "run", "-w", str(built_sample_module), "--task", "claim_type", "--backend", "dask"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    try:
        import distributed  # noqa: F401
    except ImportError:
        assert "pip install 'tagline[dask]'" in result.stderr
    else:
        assert "needs the address of a Dask scheduler (pass --scheduler tcp://HOST:8786" in result.stderr
