"""No CRFsuite model file is left in the temporary folder: not by the builtin suggester's workers (which
end with ``os._exit``, and whose trainer may be ended in the middle of a training), nor by ``eval run``;
a process killed outright leaves its scratch folder, which the next one sweeps. sklearn-crfsuite's own
temporary ``model*.crfsuite`` files were left by each of these."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tagline
from tagline.corpus import scratch
from tagline.eval.crf_model import CRFModel
from tagline.eval.entities import CRFTagger
from tagline.eval.entity_features import FeatureSettings

SRC = str(Path(tagline.__file__).parents[1])


def _env(tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAGLINE_")}
    env.update(PYTHONPATH=SRC, TMPDIR=str(tmp))
    return env


def _run(script: str, tmp: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    tmp.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=_env(tmp),
                          capture_output=True, text=True, timeout=timeout)


SESSION = """
    import sys, time
    from pathlib import Path
    from tagline.corpus.workspace import init_workspace
    from tagline.eval.builtin_suggester import BuiltinSuggester

    if __name__ == "__main__":
        workspace = init_workspace(Path(sys.argv[1]) / "sample", sample=True)
        suggester = BuiltinSuggester(workspace, "alice", retrain_every=2)
        sentences = list(workspace.iter_sentences())[:5]
        assert any(s.task == "entities" for s in suggester.suggest(sentences))
        suggester.uncertainty(sentences)  # the predicting worker's CRF marginals
        suggester.learn([{"sentence_id": "x"}, {"sentence_id": "y"}])  # a second training starts
        if sys.argv[2] == "wait":
            while suggester.version < 2:
                suggester.suggest(sentences[:1])
                time.sleep(0.1)
        suggester.close()  # else while the trainer trains: it is ended with os._exit as the command ends
        print("done")
"""


@pytest.fixture
def short_tmp():
    """A temporary folder of a short path: the fork server's socket is made in it (108 bytes at most)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="tl-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("end", ["wait", "mid-training"])
def test_a_builtin_suggester_session_leaves_nothing_in_the_temporary_folder(tmp_path, short_tmp, end):
    result = _run(SESSION, short_tmp, str(tmp_path), end)
    assert result.returncode == 0 and "done" in result.stdout, result.stderr
    deadline = time.monotonic() + 30  # the workers end as the command has ended
    while list(short_tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(short_tmp.iterdir()) == []


@pytest.mark.slow
def test_eval_run_leaves_no_model_file_and_its_saved_model_predicts_as_the_run_did(tmp_path):
    script = """
        import sys
        from tagline.cli import main
        sys.argv = ["tagline", *sys.argv[1:]]
        main()
    """
    tmp = tmp_path / "tmp"
    assert _run(script, tmp, "init", str(tmp_path / "sample"), "--sample").returncode == 0
    for command in (["eval", "build"], ["eval", "run", "--task", "entities", "--baselines", "crf", "--jobs", "2"]):
        result = _run(script, tmp, *command, "-w", str(tmp_path / "sample"))
        assert result.returncode == 0, result.stderr
    assert list(tmp.iterdir()) == []
    from tagline.corpus.workspace import Workspace
    from tagline.eval.run.storage import load_model

    (run,) = (tmp_path / "sample" / "runs").iterdir()
    assert (run / "model.crfsuite").stat().st_size > 0
    sentences = {s["id"]: s for s in Workspace(tmp_path / "sample").iter_sentences()}
    rows = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    model = load_model(run)
    predicted = model.predict([sentences[row["id"]]["text"] for row in rows], [sentences[row["id"]]["lang"] for row in rows])
    assert [[list(span) for span in spans] for spans in predicted] == [row["pred"] for row in rows]


def _tiny() -> tuple[list[str], list[str], list[list[tuple[int, int, str]]]]:
    texts = ["岸田首相は東京で話した。", "石破首相は大阪で話した。", "東京で会議が開かれた。"] * 3
    spans = [[(0, 2, "PERSON"), (5, 7, "LOCATION")], [(0, 2, "PERSON"), (5, 7, "LOCATION")],
             [(0, 2, "LOCATION")]] * 3
    return texts, ["ja"] * len(texts), spans


def test_a_fitted_stacked_crf_leaves_no_file_and_is_saved_loaded_and_pickled_as_it_predicts(tmp_path, monkeypatch):
    import pickle
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    texts, langs, spans = _tiny()
    tagger = CRFTagger(max_iterations=30, settings=FeatureSettings(stack=3, stack_iterations=10))
    tagger.fit(texts, langs, spans)
    assert list((tmp_path / "tmp").iterdir()) == []
    tagger.save(tmp_path)
    assert (tmp_path / "model.crfsuite").read_bytes() == tagger.model.data
    assert (tmp_path / "first.crfsuite").read_bytes() == tagger.first.data
    expected = tagger.predict(texts, langs)
    assert CRFTagger.load(tmp_path).predict(texts, langs) == expected
    copy = pickle.loads(pickle.dumps(tagger))
    assert copy.predict(texts, langs) == expected
    assert copy.model.predict_marginals_single(copy._sentence_features(texts[0], "ja")[1])[0]["B-PERSON"] > 0.5
    assert list((tmp_path / "tmp").iterdir()) == []


HOLD = """
    import os, sys, time
    from tagline.corpus.scratch import scratch_directory
    from tagline.corpus.workers import end_with_command

    with scratch_directory("crf") as directory:
        (directory / "model.crfsuite").write_bytes(b"half")
        print(directory, flush=True)
        if len(sys.argv) > 1:
            end_with_command(int(sys.argv[1]))  # as a worker does: os._exit once that process ends
        time.sleep(60)
"""


def test_a_worker_ended_by_os_exit_removes_its_scratch_folder_first(tmp_path):
    command = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1)"])
    result = _run(HOLD, tmp_path / "tmp", str(command.pid), timeout=50)
    command.wait()
    assert result.returncode == 1  # ended by os._exit, long before its sleep was over
    assert Path(result.stdout.strip()).parent == tmp_path / "tmp" and list((tmp_path / "tmp").iterdir()) == []


def test_a_killed_process_leaves_its_scratch_folder_and_the_next_sweeps_it(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD)], env=_env(tmp), stdout=subprocess.PIPE,
                              text=True)
    killed = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD)], env=_env(tmp), stdout=subprocess.PIPE,
                              text=True)
    try:
        live, dead = (Path(process.stdout.readline().strip()) for process in (holder, killed))
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert (dead / "model.crfsuite").exists() and dead.name.startswith(scratch.PREFIX)
        other = tmp / "model1234.crfsuite"  # not tagline's own
        other.write_bytes(b"x")
        monkeypatch.setattr("tempfile.tempdir", str(tmp))
        monkeypatch.setattr(scratch, "_swept", False)
        texts = _tiny()[0]
        CRFModel.train({"max_iterations": 5}, [[{"w": t}] for t in texts], [["O"] for _ in texts])  # sweeps first
        assert sorted(tmp.iterdir()) == sorted([live, other])  # the running holder's is kept
        assert scratch.sweep_abandoned() == []  # once a process
        holder.kill()
        holder.wait()
        assert scratch.sweep_abandoned(str(tmp)) == [str(live)] and list(tmp.iterdir()) == [other]
    finally:
        for process in (holder, killed):
            process.kill()
            process.wait()
