"""The fault suite: a full disk, an I/O error or kill -9 at every write a command makes.

Every write of tagline goes through a few calls (the store's writes, ``fsync``, ``rename``,
``link``, ``mkdir``, ``ftruncate``). A command is first run cleanly while those calls are counted;
then, once per call, it runs again on a fresh copy of the workspace with that call failing
(``ENOSPC`` or ``EIO``), or killing the process (``SIGKILL``). After a failure every file must be
byte-identical to before (timestamps aside) and the command must say, in one ``Error:`` line,
which file and that nothing was saved. After a kill, ``tagline validate`` must pass, and running
the command again must give what one clean run gives. ``tests/safety/test_faults_tmpfs.py`` does the same
with a real full file system where the machine lets tests mount one.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.cli import main

STORE = "tagline.corpus.transaction"
WRITE_CALLS = [(STORE, "_write_all"), (STORE, "_write_file"), (os, "fsync"), (os, "replace"), (os, "rename"),
               (os, "link"), (os, "mkdir"), (os, "ftruncate")]
_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_NAME_STAMP = re.compile(r"\d{8}T\d{6}Z(?:-\d+)?")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with timestamps blanked (a clean run at another moment writes other
    times); the lock file, whose content only names its last holder, is left out, and so is the
    derived data in ``build/index/`` (made on first use, checked on every use, safe to lose)."""
    files = {}
    for directory, _, names in os.walk(root):
        if os.path.relpath(directory, root).startswith(os.path.join("build", "index")):
            continue
        for name in names:
            path = os.path.join(directory, name)
            if name == ".tagline.lock":
                continue
            relative = _NAME_STAMP.sub("STAMP", os.path.relpath(path, root))
            with open(path, "rb") as handle:
                files[relative] = _STAMP.sub(b"TIME", handle.read())
    return files


class Faults:
    """Counts the write calls, and makes the ``at``-th one fail or kill the process."""

    def __init__(self, monkeypatch, *, at: int | None = None, action: str = "count"):
        import importlib

        self.calls = 0
        self.at = at
        self.action = action
        for owner, name in WRITE_CALLS:
            module = importlib.import_module(owner) if isinstance(owner, str) else owner
            monkeypatch.setattr(module, name, self._wrap(getattr(module, name), name))

    def _wrap(self, real, name):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.at:
                if self.action == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                if self.action == "interrupt":
                    raise KeyboardInterrupt  # Ctrl-C arriving during the call
                code = errno.ENOSPC if self.action == "enospc" else errno.EIO
                raise OSError(code, os.strerror(code), str(args[0]) if args and isinstance(args[0], (str, Path))
                              else None)
            return real(*args, **kwargs)
        return call


def invoke(root: Path, args: list[str]):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(cwd)


# ----- the commands and the workspace they run in ------------------------------------------------
DOCCANO = ('{"id": 1, "text": "アリババは杭州の会社だ。", "label": [[0, 5, "ORG"], [6, 8, "GPE"]]}\n'
           '{"id": 2, "text": "テンセントも新しいモデルを出した。", "label": [[0, 5, "ORG"]]}\n')

COMMANDS = {
    "label": ["annotate", "label", "deepseek_ja-s0005", "-a", "a1", "--stance", "DeepSeek=FAVOR",
              "--stance", "US AI policy=NONE", "--claim-type", "quantity", "--entity", "0:2:ORG"],
    "corpus add": ["corpus", "add", "new.txt"],
    "corpus add --replace": ["corpus", "add", "deepseek_ja.txt", "--doc-id", "deepseek_ja", "--replace"],
    "corpus add records": ["corpus", "add", "records.jsonl"],  # the texts of its records in one .texts file
    "import": ["annotate", "import", "carol.jsonl", "--format", "doccano", "-a", "carol"],
    "import --gold": ["annotate", "import", "carol.jsonl", "--format", "doccano", "--gold"],
    # Plain records of other readers, written in bulk by one transaction, a chunk of records at a time.
    "import label-studio": ["annotate", "import", "tasks.json", "--format", "label-studio"],
    "import conll": ["annotate", "import", "ner.conll", "--format", "conll", "-a", "dave"],
    # Named, the sample's answers vote beside bob's, so the gold of the two sentences is made again.
    "adjudicate": ["annotate", "adjudicate", "--annotators", "bob,sample-gold"],
    "export": ["annotate", "export", "--format", "csv", "--gold", "--out", "gold.csv"],
    "agree --report": ["annotate", "agree", "--report", "agreement.md"],
    "retire": ["annotate", "retire", "bob"],
}


BULK_CHUNK_RECORDS = 2  # the plain records' chunk in these tests: the files below take two chunks
_SENTENCES = [[("アリババ", "B-ORG"), ("は", "O"), ("杭州", "B-GPE"), ("の", "O"), ("会社", "O"), ("だ", "O"), ("。", "O")],
              [("ソニー", "B-ORG"), ("は", "O"), ("東京", "B-GPE"), ("に", "O"), ("ある", "O"), ("。", "O")],
              [("楽天", "B-ORG"), ("も", "O"), ("新しい", "O"), ("モデル", "O"), ("を", "O"), ("出した", "O"),
               ("。", "O")]]
CONLL = "\n\n".join("\n".join(f"{token}\t{tag}" for token, tag in sentence) for sentence in _SENTENCES) + "\n"


def label_studio_tasks() -> list[dict]:
    """A Label Studio task array of the sentences above, each answered by two annotators (one with no span)."""
    tasks = []
    for number, sentence in enumerate(_SENTENCES, 1):
        text = "".join(token for token, _ in sentence)
        name = sentence[0][0]
        spans = [{"from_name": "label", "to_name": "text", "type": "labels",
                  "value": {"start": 0, "end": len(name), "text": name, "labels": ["ORG"]}}]
        tasks.append({"id": number, "data": {"text": text, "page": number}, "annotations": [
            {"completed_by": {"email": "dave@example.com"}, "result": spans},
            {"completed_by": {"email": "erin@example.com"}, "result": []}]})
    return tasks


@pytest.fixture(autouse=True)
def small_bulk_chunks(monkeypatch):
    """Plain records (a Label Studio file's tasks, a CoNLL file's columns) written a few at a time, so
    that a fault falls between two chunks' writes too."""
    from tagline.annotate.formats import label_studio_bulk
    from tagline.annotate.interop import bulk_columns, bulk_records, bulk_tasks

    for module in (bulk_records, bulk_columns, bulk_tasks):
        monkeypatch.setattr(module, "CHUNK_RECORDS", BULK_CHUNK_RECORDS)
    monkeypatch.setattr(label_studio_bulk, "_BLOCK", 256)  # the task array read a task or two at a time


def make_template(root: Path) -> Path:
    """A sample workspace at ``root`` with a second annotator who agrees with the sample on two
    sentences (so adjudication among the two writes gold), a new document, an edited copy of the sample article,
    a doccano export, a Label Studio export and a CoNLL file, ready for every command above."""
    import json

    from tagline.corpus.sample import sample_article_path

    assert CliRunner().invoke(main, ["init", str(root), "--sample"]).exit_code == 0
    for number in ("0001", "0002"):
        assert invoke(root, ["annotate", "label", f"deepseek_ja-s{number}", "-a", "bob",
                             "--claim-type", "not_claim"]).exit_code == 0
    (root / "new.txt").write_text("新しい記事の一文目。二文目もある。", encoding="utf-8")
    text = sample_article_path().read_text(encoding="utf-8")
    (root / "deepseek_ja.txt").write_text(text.replace("。", "。\n", 3).replace("米国", "アメリカ", 2), encoding="utf-8")
    (root / "carol.jsonl").write_text(DOCCANO, encoding="utf-8")
    (root / "records.jsonl").write_text('{"id": "r1", "text": "一つ目の記録。"}\n{"id": "r2", "text": "二つ目の記録だ。"}\n',
                                        encoding="utf-8")
    (root / "tasks.json").write_text(json.dumps(label_studio_tasks(), ensure_ascii=False, indent=1), encoding="utf-8")
    (root / "ner.conll").write_text(CONLL, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("faults") / "ws")


def fresh(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "ws", symlinks=True))


def clean_run(template: Path, tmp_path: Path, command: str, monkeypatch, *, counter: type = Faults,
              commands: dict[str, list[str]] = COMMANDS) -> tuple[int, dict[str, bytes]]:
    """The number of calls ``counter`` (:class:`Faults`: the write calls) counts as the command runs,
    and the workspace it leaves."""
    root = fresh(template, tmp_path / "clean")
    with monkeypatch.context() as patch:
        counted = counter(patch)
        result = invoke(root, commands[command])
    assert result.exit_code == 0, result.output
    return counted.calls, snapshot(root)


@pytest.mark.parametrize("command", ["import label-studio", "import conll"])
def test_the_plain_records_imports_take_the_bulk_path_in_several_chunks(template, tmp_path, monkeypatch, command):
    """Else the faults above would try the general path, which other commands try already. A Label
    Studio task array is read and written a chunk of tasks at a time, a CoNLL file with its annotator
    as columns."""
    from tagline.annotate.interop import bulk_columns, bulk_tasks
    from tagline.corpus.transaction import Transaction

    taken, appended = [], []
    module, name = (bulk_columns, "import_span_columns") if command == "import conll" \
        else (bulk_tasks, "import_plain_tasks")
    real, real_append = getattr(module, name), Transaction.append_bytes
    monkeypatch.setattr(module, name, lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    monkeypatch.setattr(Transaction, "append_bytes",
                        lambda self, path, *a, **k: appended.append(Path(path).name) or real_append(self, path, *a, **k))
    result = invoke(fresh(template, tmp_path), COMMANDS[command])
    assert result.exit_code == 0, result.output
    assert taken and taken[0] is not None
    assert appended.count("sentences.jsonl") == 2 and appended.count("dave.jsonl" if command == "import conll"
                                                                      else "dave_example.com.jsonl") == 2, appended


# ----- a failing write -----------------------------------------------------------------------
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_failing_write_at_any_point_leaves_every_file_as_it_was(template, tmp_path, monkeypatch, command):
    calls, after = clean_run(template, tmp_path, command, monkeypatch)
    assert calls > 0
    before = snapshot(template)
    outcomes = {"unchanged": 0, "complete": 0}
    for at in range(1, calls + 1):
        for action in ("enospc", "eio") if at % 2 else ("enospc",):
            root = fresh(template, tmp_path / f"{at}-{action}")
            with monkeypatch.context() as patch:
                Faults(patch, at=at, action=action)
                result = invoke(root, COMMANDS[command])
            state = snapshot(root)
            where = f"{command}: {action} at write call {at} of {calls}"
            assert "Traceback" not in result.output, where
            assert not [name for name in state if name.endswith((".tmp", ".old")) or ".tagline.journal" in name], \
                (where, sorted(state))
            if result.exit_code == 0:  # the failing call came after the change was complete
                assert state == after, where
                outcomes["complete"] += 1
                continue
            assert result.exit_code == 2, (where, result.output)
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert len(errors) == 1, (where, result.stderr)
            reason = "No space left on device" if action == "enospc" else "Input/output error"
            assert reason in errors[0] and ("nothing was saved" in errors[0] or "was not" in errors[0]), \
                (where, errors[0])
            assert state == before, (where, set(state.items()) ^ set(before.items()))
            outcomes["unchanged"] += 1
    assert outcomes["unchanged"] > 0, outcomes


@pytest.mark.parametrize("command", ["corpus add records", "import", "import label-studio", "import conll", "label",
                                     "retire"])
def test_ctrl_c_at_any_write_leaves_the_workspace_as_it_was_or_as_the_command_made_it(template, tmp_path,
                                                                                      monkeypatch, command):
    """Interrupted at the last moment (the folders' fsync), a change may stay until the next command
    finds its journal and undoes it, as after a kill; it is never left half made."""
    calls, after = clean_run(template, tmp_path, command, monkeypatch)
    before = snapshot(template)
    undone = 0
    for at in range(1, calls + 1):
        root = fresh(template, tmp_path / f"{at}")
        with monkeypatch.context() as patch:
            Faults(patch, at=at, action="interrupt")
            result = invoke(root, COMMANDS[command])
        where = f"{command}: Ctrl-C at write call {at} of {calls}"
        assert "Traceback" not in result.output and result.exit_code in (0, 130), (where, result.output)
        assert result.exit_code == 0 or result.stderr.startswith(("Interrupted: ", "Interrupted after saving: ")), \
            (where, result.output)
        assert invoke(root, ["validate"]).exit_code == 0, where  # and the journal, if any, is used
        state = snapshot(root)
        assert not [name for name in state if name.endswith((".tmp", ".old")) or ".tagline.journal" in name], \
            (where, sorted(state))
        assert state in (before, after), (where, sorted(set(state) ^ set(before)))
        # Past its point of no return (the indexes it then brings up to date): saved, as it says.
        assert state == after or not result.stderr.startswith("Interrupted after saving: "), where
        undone += state == before
    assert undone > 0


def test_a_failing_init_leaves_no_half_made_workspace(tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        faults = Faults(patch)
        assert CliRunner().invoke(main, ["init", str(tmp_path / "clean"), "--sample"]).exit_code == 0
    for at in range(1, faults.calls + 1):
        target = tmp_path / f"w{at}" / "ws"
        with monkeypatch.context() as patch:
            Faults(patch, at=at, action="enospc")
            result = CliRunner().invoke(main, ["init", str(target), "--sample"])
        if result.exit_code == 0:
            continue
        assert result.exit_code == 2 and "No space left on device" in result.stderr, (at, result.output)
        assert not (tmp_path / f"w{at}").exists(), (at, list(os.walk(tmp_path / f"w{at}")))


# ----- kill -9 ---------------------------------------------------------------------------------
KILLED_COMMANDS = ["corpus add", "corpus add --replace", "corpus add records", "import", "import --gold",
                   "import label-studio", "import conll", "adjudicate", "label", "retire"]


def _killed_at(root: Path, args: list[str], at: int) -> int:
    """Run the command in a forked child that kills itself at its ``at``-th write call; return the
    signal that ended it (0 if it finished)."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest clean-up may run here
        try:
            patch = pytest.MonkeyPatch()
            Faults(patch, at=at, action="kill")
            os.chdir(root)
            CliRunner().invoke(main, args)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0


@pytest.mark.parametrize("command", KILLED_COMMANDS)
def test_kill_9_at_any_write_leaves_a_valid_workspace_and_running_again_completes(template, tmp_path, monkeypatch,
                                                                                   command):
    calls, after = clean_run(template, tmp_path, command, monkeypatch)
    before = snapshot(template)
    kept_whole = 0
    for at in range(1, calls + 1):
        root = fresh(template, tmp_path / f"{at}")
        assert _killed_at(root, COMMANDS[command], at) == signal.SIGKILL, at
        result = invoke(root, ["validate"])
        where = f"{command}: killed at write call {at} of {calls}"
        assert result.exit_code == 0, (where, result.output)
        state = snapshot(root)
        assert ".tagline.journal" not in state, where
        kept_whole += state == before
        result = invoke(root, COMMANDS[command])
        assert result.exit_code == 0, (where, result.output)
        # A kill after an append reached the file but before the command ended: running `label`
        # again appends the same answers a second time, which changes nothing in what they say.
        state = {name: b"\n".join(dict.fromkeys(data.split(b"\n"))) if name.endswith(".jsonl") else data
                 for name, data in snapshot(root).items() if not name.endswith(".torn")}
        assert state == after, (where, sorted(set(state) ^ set(after)),
                                [name for name in state if state.get(name) != after.get(name)])
    if command != "label":  # a killed label may leave its new, still empty, answer file
        assert kept_whole > 0, "no kill was undone"


@pytest.mark.slow
def test_kill_9_during_a_build_keeps_the_previous_build_and_the_next_build_completes(template, tmp_path):
    import random
    import subprocess
    import sys
    import time

    root = fresh(template, tmp_path)
    command = [sys.executable, "-m", "tagline", "eval", "build", "--no-tokens"]
    started = time.perf_counter()
    subprocess.run(command, cwd=root, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    previous = snapshot(root / "build" / "dataset")
    chooser = random.Random(7)
    for trial in range(4):
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chooser.uniform(0.3, 1.0) * seconds)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert invoke(root, ["validate"]).exit_code == 0, trial
        dataset = root / "build" / "dataset"
        if dataset.is_dir():  # the old build, or the new one whole: never a half-written folder
            assert (dataset / "fingerprint.json").is_file() and (dataset / "README.md").is_file(), trial
        else:  # killed between moving the old build aside and the new one into place
            assert snapshot(root / "build" / "dataset.previous") == previous, trial
    result = invoke(root, ["eval", "build", "--no-tokens"])
    assert result.exit_code == 0, result.output
    assert invoke(root, ["eval", "run", "--task", "claim_type", "--baselines", "majority"]).exit_code == 0
    assert not [path for path in (root / "build").iterdir() if path.name.startswith(".")]


def test_a_recovery_killed_at_any_write_is_finished_by_the_next_command_temporary_files_and_all(template, tmp_path,
                                                                                               monkeypatch):
    """`corpus add --replace` killed while its new text is still a temporary file in documents/, then
    the recovery killed at each of its own writes: the next command leaves the workspace as it was,
    without that temporary file (swept before the journal goes, so a recovery killed after the
    journal went has not left it for good)."""
    import shutil

    command = COMMANDS["corpus add --replace"]
    before = snapshot(template)
    killed = None
    for at in range(1, 40):  # the first kill that leaves a journal and a temporary text in documents/
        root = fresh(template, tmp_path / f"command-{at}")
        assert _killed_at(root, command, at) == signal.SIGKILL
        if (root / ".tagline.journal").exists() and list((root / "documents").glob(".*.tmp")):
            killed = root
            break
    assert killed is not None
    for at in range(1, 100):  # until the command that recovers is no longer killed
        root = Path(shutil.copytree(killed, tmp_path / f"recovery-{at}", symlinks=True))
        finished = _killed_at(root, ["validate"], at) != signal.SIGKILL
        assert invoke(root, ["validate"]).exit_code == 0, at
        assert snapshot(root) == before, (at, sorted(set(snapshot(root)) ^ set(before)))
        if finished:
            break
    assert finished and at > 2
