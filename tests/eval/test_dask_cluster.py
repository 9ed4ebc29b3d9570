"""A Dask cluster of two worker processes on 127.0.0.1: eval run and eval build give there exactly
what they give in one process, and the build's Parquet shards are read by dask.dataframe as they are."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="Dask is not installed (pip install 'tagline[dask]'; .ci/run installs it)")
pytest.importorskip("dask.dataframe", reason="dask.dataframe is not installed (pip install 'tagline[dask]')")

from test_parallel import RUNS, comparable_runs  # noqa: E402

from tagline.cli import main  # noqa: E402
from tagline.corpus.execution import Execution  # noqa: E402


@pytest.fixture(scope="module")
def scheduler() -> str:
    """The address of a LocalCluster with two single-threaded worker processes, one per module."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _worker_pid() -> tuple[int, str]:
    from distributed import get_worker

    return os.getpid(), get_worker().address


def test_tasks_run_on_the_clusters_workers(scheduler):
    from tagline.eval.parallel import executing, map_tasks

    with executing(Execution(backend="dask", scheduler=scheduler)):
        ran = map_tasks(_worker_pid, [()] * 6)
        assert map_tasks(pow, [(n, 3) for n in range(5)]) == [n ** 3 for n in range(5)]
    assert all(pid != os.getpid() for pid, _ in ran) and all(address.startswith("tcp://127.0.0.1:") for _, address in ran)


@pytest.mark.slow
def test_eval_run_on_the_cluster_equals_the_run_in_one_process(runner, built_sample_module, scheduler):
    # The folds of a cross-validation (with a tuning inside each), and a grid scored on validation.
    runs = RUNS[:2]
    here = comparable_runs(runner, built_sample_module, ["--jobs", "1"], runs)
    assert comparable_runs(runner, built_sample_module, ["--backend", "dask", "--scheduler", scheduler], runs) == here


def test_eval_build_makes_tokens_on_the_cluster_and_writes_the_same_dataset(runner, built_sample_module, scheduler, tmp_path,
                                                                             monkeypatch):
    from tagline.eval.build import tokens

    workspace = tmp_path / "ws"
    shutil.copytree(built_sample_module, workspace)
    # The scheduler from tagline.toml, and chunks of ten sentences so that the sample makes several tasks.
    with (workspace / "tagline.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[execution]\nscheduler = "{scheduler}"\n')
    monkeypatch.setattr(tokens, "TOKEN_CHUNK_SENTENCES", 10)
    from distributed import Client, get_task_stream

    with Client(scheduler, set_as_default=False) as client:
        with get_task_stream(client) as on_cluster:
            result = runner.invoke(main, ["eval", "build", "-w", str(workspace), "--out", str(tmp_path / "on_dask")])
            assert result.exit_code == 0, result.output
        with get_task_stream(client) as not_on_cluster:
            result = runner.invoke(main, ["eval", "build", "-w", str(workspace), "--backend", "local", "--jobs", "1",
                                          "--out", str(tmp_path / "here")])
            assert result.exit_code == 0, result.output
    assert len(on_cluster.data) >= 1 and not_on_cluster.data == []
    on_dask = sorted(p.relative_to(tmp_path / "on_dask") for p in (tmp_path / "on_dask").rglob("*") if p.is_file())
    here = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*") if p.is_file())
    assert on_dask == here and any(path.suffix == ".parquet" for path in here)
    for path in here:
        if path.suffix in (".parquet", ".arrow") or path.name in ("splits.jsonl", "fingerprint.json"):
            assert (tmp_path / "on_dask" / path).read_bytes() == (tmp_path / "here" / path).read_bytes(), path


def test_the_parquet_shards_are_read_by_dask_dataframe_as_they_are(built_sample_module: Path, scheduler):
    import dask.dataframe as dd
    import pyarrow.parquet as pq
    from distributed import Client

    data = built_sample_module / "build" / "dataset" / "data"
    configs = sorted(path.name for path in data.iterdir() if path.is_dir())
    assert {"sentences", "stance"} <= set(configs)
    with Client(scheduler, set_as_default=False) as client:
        for config in configs:
            frame = dd.read_parquet(str(data / config))
            read = client.compute(frame).result()
            expected = pq.read_table(data / config).to_pandas()
            assert len(read) == len(expected) > 0 and list(read.columns) == list(expected.columns)
            key = "id" if "id" in read.columns else read.columns[0]
            assert sorted(read[key].tolist()) == sorted(expected[key].tolist())
        stance = client.compute(dd.read_parquet(str(data / "stance"))).result()
        assert set(stance["target"]) == {"DeepSeek", "US AI policy"}
