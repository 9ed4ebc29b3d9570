"""Shell completion as docs/cli.md documents it: the installed `tagline` command prints Click's completion
script for bash, zsh and fish, and answers the shells' completion requests (run as subprocesses, as
a shell runs them), including run ids and annotator names from the workspace."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tagline

from conftest import REPO

SRC = str(Path(tagline.__file__).parents[1])


@pytest.fixture
def tagline_script() -> Path:
    """The `tagline` command that `pip install` made beside this Python."""
    script = Path(sys.executable).parent / "tagline"
    if not script.is_file():
        pytest.skip("the tagline command is not installed beside this Python (pip install -e .)")
    return script


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("_TAGLINE") and key not in ("TAGLINE_WORKSPACE", "COMP_WORDS", "COMP_CWORD")}
    return {**env, "PYTHONPATH": SRC, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            **extra}


def completions(words: str, cwd: Path | None = None) -> list[str]:
    """What `tagline` offers for the last word of ``words`` (bash's request: ``plain,VALUE`` per line)."""
    typed = words.split(" ")
    done = subprocess.run(["tagline"], env=environment(_TAGLINE_COMPLETE="bash_complete", COMP_WORDS=words,
                                                       COMP_CWORD=str(len(typed) - 1)),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=True)
    assert done.stderr == ""
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line.startswith("plain,")]


def test_the_documented_commands_are_the_ones_tested():
    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert 'eval "$(_TAGLINE_COMPLETE=bash_source tagline)"' in page
    assert 'eval "$(_TAGLINE_COMPLETE=zsh_source tagline)"' in page
    assert "_TAGLINE_COMPLETE=fish_source tagline | source" in page


@pytest.mark.parametrize("shell, start", [("bash", "_tagline_completion() {"), ("zsh", "#compdef tagline"),
                                          ("fish", "function _tagline_completion")])
def test_the_command_prints_each_shells_completion_script(tagline_script, shell, start):
    done = subprocess.run(["tagline"], env=environment(_TAGLINE_COMPLETE=f"{shell}_source"), capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.startswith(start), done.stdout[:200]
    assert "_TAGLINE_COMPLETE=" in done.stdout and "Usage:" not in done.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_with_the_script_loaded_completes_ev_to_eval(tagline_script):
    # As ~/.bashrc does it, then as bash does when Tab is pressed after `tagline ev`.
    script = ('eval "$(_TAGLINE_COMPLETE=bash_source tagline)"\n'
              'COMP_WORDS=(tagline ev); COMP_CWORD=1; _tagline_completion tagline\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n'
              'COMP_WORDS=(tagline eval b); COMP_CWORD=2; COMPREPLY=(); _tagline_completion tagline\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=environment(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["eval", "build"]


def test_zsh_and_fish_requests_are_answered(tagline_script):
    zsh = subprocess.run(["tagline"], env=environment(_TAGLINE_COMPLETE="zsh_complete", COMP_WORDS="tagline ev",
                                                      COMP_CWORD="1"), capture_output=True, text=True, timeout=60)
    assert zsh.stdout.splitlines()[:2] == ["plain", "eval"]
    fish = subprocess.run(["tagline"], env=environment(_TAGLINE_COMPLETE="fish_complete", COMP_WORDS="tagline ev",
                                                       COMP_CWORD="ev"), capture_output=True, text=True, timeout=60)
    assert re.match(r"plain,eval\t", fish.stdout), fish.stdout


def test_options_and_choices_complete(tagline_script):
    assert completions("tagline corpus add --enc") == ["--encoding"]
    assert completions("tagline eval run --task ") == ["all", "stance", "claim_type", "entities"]


def test_run_ids_and_annotator_names_come_from_the_workspace_without_writing(tagline_script, tmp_path):
    from tagline.corpus.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    for name in ("alice", "bob", "carol"):
        (workspace.annotations_dir / f"{name}.jsonl").write_text("", encoding="utf-8")
    for run_id in ("20260101T000000Z-claim_type-majority", "20260102T000000Z-stance-tfidf_svm"):
        (workspace.runs_dir / run_id).mkdir(parents=True)
        (workspace.runs_dir / run_id / "results.json").write_text("{}", encoding="utf-8")
    (workspace.runs_dir / "20260103T000000Z-unfinished").mkdir()  # no results.json: not a run yet
    before = sorted(str(path.relative_to(workspace.root)) for path in workspace.root.rglob("*"))
    inside = workspace.root / "annotations"  # found by walking up, as commands find it

    assert completions("tagline eval compare ", cwd=inside) == [
        "latest", "20260101T000000Z-claim_type-majority", "20260102T000000Z-stance-tfidf_svm"]
    assert completions("tagline eval compare 202601", cwd=inside) == [
        "20260101T000000Z-claim_type-majority", "20260102T000000Z-stance-tfidf_svm"]
    assert completions("tagline eval predict --run 20260102", cwd=inside) == ["20260102T000000Z-stance-tfidf_svm"]
    assert completions("tagline annotate label s1 --annotator b", cwd=inside) == ["bob"]
    assert completions("tagline annotate agree --annotators alice,", cwd=inside) == ["alice,bob", "alice,carol"]
    assert completions(f"tagline annotate -w {workspace.root} retire c", cwd=tmp_path) == ["carol"]
    assert completions("tagline eval build --exclude-annotator ", cwd=tmp_path) == []  # no workspace here
    after = sorted(str(path.relative_to(workspace.root)) for path in workspace.root.rglob("*"))
    assert after == before
