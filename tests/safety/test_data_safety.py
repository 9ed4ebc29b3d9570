"""Nothing saved is lost: exports never write over the workspace, readers check every record, torn
gold is recovered, symbolic links survive a rewrite, and the sample's gold is what adjudication
makes of its answers."""

from __future__ import annotations

import os

import orjson
import pytest

from tagline.cli import main
from tagline.corpus.store import read_records


def _one_error_line(result, *phrases: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def _snapshot(root) -> dict[str, bytes]:
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if name != ".tagline.lock":
                files[os.path.relpath(path, root)] = open(path, "rb").read()
    return files


# ----- exports and reports never write over the workspace ---------------------------------
@pytest.mark.parametrize("target", ["annotations/a1.jsonl", "gold/gold.jsonl", "sentences.jsonl", "tagline.toml",
                                    "documents.jsonl", "documents/deepseek_ja.txt", "annotations/new.jsonl",
                                    "build/x.csv", "runs/x.csv", "sentences.jsonl.20260101T000000Z.bak"])
def test_export_refuses_every_file_the_workspace_manages_even_with_force(runner, sample_workspace, target):
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0001", "-a", "a1",
                                "--claim-type", "quantity"]).exit_code == 0
    before = _snapshot(sample_workspace.root)
    for force in ([], ["--force"]):
        result = runner.invoke(main, ["annotate", "export", "--format", "csv", "--gold", "--out", target, *force])
        _one_error_line(result, target, "the workspace manages")
        assert _snapshot(sample_workspace.root) == before
    assert runner.invoke(main, ["corpus", "stats"]).exit_code == 0


def test_export_through_a_symbolic_link_or_from_another_folder_is_refused(runner, sample_workspace, tmp_path):
    link = tmp_path / "innocent.csv"
    link.symlink_to(sample_workspace.gold_path)
    before = _snapshot(sample_workspace.root)
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "--gold", "--out", str(link), "--force"])
    _one_error_line(result, "the workspace manages")
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.chdir(other)
    result = runner.invoke(main, ["annotate", "export", "--format", "doccano", "--gold", "-w",
                                  str(sample_workspace.root), "--out", str(sample_workspace.sentences_path)])
    _one_error_line(result, "the workspace manages")
    assert _snapshot(sample_workspace.root) == before


def test_export_keeps_an_existing_file_unless_forced(runner, sample_workspace):
    out = sample_workspace.root / "gold.csv"
    out.write_text("mine\n")
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "--gold", "--out", "gold.csv"])
    _one_error_line(result, "gold.csv: already exists", "--force")
    assert out.read_text() == "mine\n"
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "--gold", "--out", "gold.csv", "--force"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("sentence_id") or "deepseek_ja-s0001" in out.read_text("utf-8")
    assert not [name for name in os.listdir(sample_workspace.root) if name.endswith(".tmp")]


def test_brat_export_keeps_existing_files_in_its_folder_and_writes_nothing(runner, sample_workspace, tmp_path):
    folder = tmp_path / "brat"
    exported = runner.invoke(main, ["annotate", "export", "--format", "brat", "--gold", "--out", str(folder)])
    assert exported.exit_code == 0
    written = {path.name: path.read_bytes() for path in folder.iterdir()}
    (folder / next(iter(written))).write_text("edited")
    result = runner.invoke(main, ["annotate", "export", "--format", "brat", "--gold", "--out", str(folder)])
    _one_error_line(result, "already exists")
    assert (folder / next(iter(written))).read_text() == "edited"
    result = runner.invoke(main, ["annotate", "export", "--format", "brat", "--gold", "--out", str(folder), "--force"])
    assert result.exit_code == 0
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == written


def test_agreement_report_is_not_written_over_a_workspace_file_or_an_existing_one(runner, sample_workspace):
    before = _snapshot(sample_workspace.root)
    result = runner.invoke(main, ["annotate", "agree", "--report", "annotations/sample-gold.jsonl"])
    _one_error_line(result, "the workspace manages")
    assert _snapshot(sample_workspace.root) == before
    (sample_workspace.root / "agreement.md").write_text("notes")
    result = runner.invoke(main, ["annotate", "agree", "--report", "agreement.md"])
    _one_error_line(result, "agreement.md: already exists")
    assert (sample_workspace.root / "agreement.md").read_text() == "notes"
    assert runner.invoke(main, ["annotate", "agree", "--report", "agreement.md", "--force"]).exit_code == 0
    assert (sample_workspace.root / "agreement.md").read_text(encoding="utf-8") != "notes"


# ----- every reader checks every record ----------------------------------------------------
BROKEN_EVENTS = {
    "empty object": b"{}\n",
    "no op": b'{"sentence_id":"deepseek_ja-s0001","annotator":"a1","time":"2026-01-01T00:00:00Z","task":"claim_type",'
             b'"value":{"label":"quantity"}}\n',
    "value of the wrong shape": b'{"sentence_id":"deepseek_ja-s0001","annotator":"a1","time":"2026-01-01T00:00:00Z",'
                                b'"task":"entities","op":"set","value":{"label":"ORG"}}\n',
    "a span without offsets": b'{"sentence_id":"deepseek_ja-s0001","annotator":"a1","time":"2026-01-01T00:00:00Z",'
                              b'"task":"entities","op":"set","value":{"spans":[{"label":"ORG","text":"x"}]}}\n',
    "a number for a sentence id": b'{"sentence_id":7,"annotator":"a1","time":"2026-01-01T00:00:00Z",'
                                  b'"task":"claim_type","op":"set","value":{"label":"quantity"}}\n',
}
READING_COMMANDS = [["annotate", "progress"], ["annotate", "agree"], ["annotate", "adjudicate"],
                    ["annotate", "export", "--format", "csv", "--annotator", "a1"],
                    ["annotate", "show", "deepseek_ja-s0001"], ["eval", "build", "--no-tokens"]]


@pytest.mark.parametrize("damage", sorted(BROKEN_EVENTS))
def test_an_event_that_breaks_the_contract_is_an_error_at_its_line_in_every_command(runner, sample_workspace, damage):
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0002", "-a", "a1",
                                "--claim-type", "quantity"]).exit_code == 0
    path = sample_workspace.annotation_path("a1")
    with open(path, "ab") as handle:
        handle.write(BROKEN_EVENTS[damage])
    before = _snapshot(sample_workspace.root)
    for command in READING_COMMANDS:
        result = runner.invoke(main, command)
        _one_error_line(result, "annotations/a1.jsonl:2: ")
        assert _snapshot(sample_workspace.root) == before, command
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2 and "annotations/a1.jsonl:2:" in result.output


GOLD_LINE_WITHOUT_PROVENANCE = b'{"sentence_id":"deepseek_ja-s0001","task":"claim_type","value":{"label":"quantity"}}\n'
GOLD_STANCE_WITHOUT_TARGET = (b'{"sentence_id":"deepseek_ja-s0001","task":"stance","value":{"label":"FAVOR"},'
                              b'"provenance":{"method":"single","votes":{}},"time":"2026-01-01T00:00:00Z"}\n')


@pytest.mark.parametrize("path, line, commands", [
    ("gold/gold.jsonl", GOLD_LINE_WITHOUT_PROVENANCE, ["annotate gold", "eval build --no-tokens", "annotate adjudicate",
                                                       "annotate export --format csv --gold"]),
    ("gold/gold.jsonl", GOLD_STANCE_WITHOUT_TARGET, ["annotate gold", "annotate adjudicate"]),
    ("sentences.jsonl", b'{"id":"deepseek_ja-s0999","doc_id":"deepseek_ja"}\n',
     ["annotate progress", "eval build --no-tokens", "corpus stats", "annotate gold", "annotate agree"]),
    ("documents.jsonl", b'{"doc_id":"x"}\n', ["corpus stats", "corpus add README.txt"]),
])
def test_damaged_gold_sentences_and_registry_lines_are_errors_at_their_line(runner, sample_workspace, path, line,
                                                                             commands):
    (sample_workspace.root / "README.txt").write_text("新しい文。", encoding="utf-8")
    target = sample_workspace.root / path
    number = target.read_bytes().count(b"\n") + 1
    with open(target, "ab") as handle:
        handle.write(line)
    before = _snapshot(sample_workspace.root)
    for command in commands:
        _one_error_line(runner.invoke(main, command.split()), f"{path}:{number}: ")
        assert _snapshot(sample_workspace.root) == before, command


def test_the_terminal_session_model_refuses_a_damaged_answer_file_with_its_line(sample_workspace):
    from tagline.annotate.session import SessionModel
    from tagline.errors import DataError

    with open(sample_workspace.annotation_path("alice"), "wb") as handle:
        handle.write(b"{}\n")
    with pytest.raises(DataError, match=r"alice\.jsonl:1: not a valid annotation event"):
        SessionModel.open(sample_workspace, "alice")


# ----- a torn gold tail -----------------------------------------------------------------------
@pytest.mark.parametrize("tail", [b'{"sentence_id":"deepseek_ja-s00', b"\x00" * 300])
def test_a_torn_or_zero_filled_gold_tail_is_a_warning_everywhere_and_set_aside_by_the_next_append(
        runner, sample_workspace, tail):
    with open(sample_workspace.gold_path, "ab") as handle:
        handle.write(tail)
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0 and "incomplete last line" in result.stderr + result.stdout
    result = runner.invoke(main, ["eval", "build", "--no-tokens"])
    assert result.exit_code == 0, result.output
    assert "incomplete last line" in result.stderr
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0003", "-a", "bob",
                                "--claim-type", "not_claim"]).exit_code == 0
    # Named, the sample's answers vote beside bob's: the two agree, and gold is appended.
    result = runner.invoke(main, ["annotate", "adjudicate", "--task", "claim_type", "--annotators", "bob,sample-gold",
                                  "--json"])
    assert result.exit_code == 0 and orjson.loads(result.stdout)["written"] == 1
    aside = orjson.loads((sample_workspace.root / "gold" / "gold.jsonl.torn").read_bytes())
    assert aside["text"].encode("utf-8", "replace")[:10] == tail.decode("utf-8", "replace").encode("utf-8")[:10]
    assert runner.invoke(main, ["validate"]).exit_code == 0
    assert sample_workspace.gold_path.read_bytes().endswith(b"}\n")


# ----- symbolic links ----------------------------------------------------------------------------
def test_replacing_a_document_keeps_a_symlinked_sentences_file_a_link(runner, workspace, tmp_path):
    (tmp_path / "a.txt").write_text("一つ目の文。二つ目の文。", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(tmp_path / "a.txt")]).exit_code == 0
    elsewhere = tmp_path / "store" / "sentences.jsonl"
    elsewhere.parent.mkdir()
    os.replace(workspace.sentences_path, elsewhere)
    workspace.sentences_path.symlink_to(elsewhere)
    (tmp_path / "a.txt").write_text("一つ目の文。三つ目の文。", encoding="utf-8")
    result = runner.invoke(main, ["corpus", "add", str(tmp_path / "a.txt"), "--replace"])
    assert result.exit_code == 0, result.output
    assert workspace.sentences_path.is_symlink() and os.readlink(workspace.sentences_path) == str(elsewhere)
    texts = [record["text"] for record in read_records(elsewhere)]
    assert texts == ["一つ目の文。", "三つ目の文。"]
    assert [p.name for p in elsewhere.parent.iterdir() if p.name.endswith(".bak")]  # the old file is kept


# ----- the sample ---------------------------------------------------------------------------------
def test_the_shipped_sample_gold_is_what_adjudication_makes_of_the_sample_answers(sample_answers_only):
    from tagline.annotate.gold import auto_adjudicate
    from tagline.corpus.sample import SAMPLE_DOC_ID, sample_file

    made = auto_adjudicate(sample_answers_only).written
    shipped = list(read_records(sample_file(f"{SAMPLE_DOC_ID}.gold.jsonl"), kind="gold"))
    assert len(shipped) == 308
    assert [{**record, "time": None} for record in made] == [{**record, "time": None} for record in shipped]


def test_the_library_init_with_the_sample_is_ready_to_build(tmp_path):
    from tagline.corpus.workspace import init_workspace
    from tagline.eval.build import build_dataset

    workspace = init_workspace(tmp_path / "w", sample=True)
    report = build_dataset(workspace, tokens=False)
    assert sum(report.configs["sentences"].values()) == 77


def test_init_never_writes_over_a_config_made_meanwhile(tmp_path, monkeypatch):
    from tagline.corpus import workspace as workspace_module
    from tagline.errors import WorkspaceError

    root = tmp_path / "w"
    real = workspace_module.render_toml

    def render_and_race(config):  # another init finishes between our check and our write
        root.mkdir(exist_ok=True)
        (root / "tagline.toml").write_text("# theirs\n")
        return real(config)

    monkeypatch.setattr(workspace_module, "render_toml", render_and_race)
    with pytest.raises(WorkspaceError, match="made by another command meanwhile"):
        workspace_module.init_workspace(root)
    assert (root / "tagline.toml").read_text() == "# theirs\n"


def test_a_run_folder_appears_whole_or_not_at_all(sample_workspace, monkeypatch):
    from tagline.eval.build import build_dataset
    from tagline.eval.run import run_evaluation, storage

    build_dataset(sample_workspace, tokens=False)

    def broken_plot(*args, **kwargs):
        raise OSError(28, "No space left on device", str(sample_workspace.runs_dir / "x" / "confusion.png"))

    monkeypatch.setattr(storage, "plot_confusion", broken_plot)
    from tagline.errors import StorageError

    with pytest.raises(StorageError, match="No space left on device; the run was not saved"):
        run_evaluation(sample_workspace, task="claim_type", baselines=["majority"])
    assert list(sample_workspace.runs_dir.iterdir()) == []
