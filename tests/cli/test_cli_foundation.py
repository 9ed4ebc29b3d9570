"""The CLI for the foundation: init, corpus add/list/show/stats, validate, errors and --json."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagline.cli import main
from tagline.corpus.sample import sample_article_path


def test_init_sample_then_stats_json(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    result = runner.invoke(main, ["init", str(tmp_path / "ws"), "--sample", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sentences"] == 77
    monkeypatch.chdir(tmp_path / "ws" / "annotations")  # found by walking up
    result = runner.invoke(main, ["corpus", "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert (stats["documents"], stats["sentences"], stats["by_lang"]) == (1, 77, {"ja": 77})
    document_text = (tmp_path / "ws" / "documents" / "deepseek_ja.txt").read_text(encoding="utf-8")
    assert stats["characters"] == sum(len(line) for line in document_text.splitlines())


def test_init_sample_writes_its_gold_which_stays_gold_when_a_second_annotator_joins(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    result = runner.invoke(main, ["init", str(tmp_path / "ws"), "--sample", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gold_records"] == 308
    monkeypatch.chdir(tmp_path / "ws")
    result = runner.invoke(main, ["annotate", "label", "deepseek_ja-s0053", "-a", "bob", "--stance", "DeepSeek=NONE"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["annotate", "adjudicate", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    # The sample's answers are its gold, not a vote beside bob's: nothing is decided again.
    assert outcome["written"] == 0 and outcome["unchanged"] == 308 and not outcome["contested"]
    result = runner.invoke(main, ["eval", "build", "--json"])
    assert result.exit_code == 0, result.output
    assert sum(json.loads(result.stdout)["configs"]["sentences"].values()) == 77
    again = runner.invoke(main, ["init", str(tmp_path / "ws"), "--sample", "--json"])
    assert again.exit_code == 2  # an existing workspace, and its gold, are left alone


def test_init_writes_the_documented_layout_and_defaults(tmp_path):
    from tagline.corpus.workspace import Workspace, init_workspace

    init_workspace(tmp_path / "w")
    for name in ("tagline.toml", "sentences.jsonl", "documents.jsonl", "annotations", "build", "runs", "documents"):
        assert (tmp_path / "w" / name).exists(), name
    config = Workspace(tmp_path / "w").config
    assert config.labels("stance") == ["FAVOR", "AGAINST", "NONE"]
    assert config.targets == []  # only the targets it is given (the sample's come with --sample)
    assert config.labels("claim_type") == ["not_claim", "quantity", "prediction", "correlation_causation",
                                           "laws_rules", "personal_experience", "other_claim"]
    assert config.labels("entities") == ["PERSON", "ORG", "GPE", "PRODUCT", "MONEY", "DATE", "EVENT"]
    assert config.entity_aliases["人名"] == "PERSON"


def test_init_refuses_existing_workspace(runner, workspace):
    result = runner.invoke(main, ["init", str(workspace.root)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "already exists" in result.stderr


def test_corpus_add_shift_jis_copy_gives_identical_sentences(runner, workspace, tmp_path):
    sjis = tmp_path / "article-sjis.txt"
    sjis.write_bytes(sample_article_path().read_text(encoding="utf-8").encode("shift_jis"))
    assert runner.invoke(main, ["corpus", "add", str(sample_article_path()), "--doc-id", "utf8"]).exit_code == 0
    result = runner.invoke(main, ["corpus", "add", str(sjis), "--doc-id", "sjis", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"][0]["encoding"] == "cp932"
    shown = {}
    for doc_id in ("utf8", "sjis"):
        result = runner.invoke(main, ["corpus", "show", doc_id, "--json"])
        shown[doc_id] = [s["text"] for s in json.loads(result.stdout)["sentences"]]
    assert shown["utf8"] == shown["sjis"] and len(shown["utf8"]) == 77
    listed = runner.invoke(main, ["corpus", "list", "--json"]).stdout.splitlines()
    assert [json.loads(line)["doc_id"] for line in listed] == ["utf8", "sjis"]
    one = json.loads(runner.invoke(main, ["corpus", "show", "sjis-s0053", "--json"]).stdout)
    assert one["sentence"]["text"].endswith("と述べています。")


def test_errors_are_one_line_exit_2_without_traceback(runner, workspace, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\xff\xfe\xfd\xfc")
    result = runner.invoke(main, ["corpus", "add", str(bad)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {bad}: ") and "byte offset 2" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "said", "help_of"), [
    (["corpus", "add", "x.txt", "--lang", "fr"], "Invalid value for '--lang': 'fr'", "corpus add"),
    (["annotate", "--bogus"], "No such option '--bogus'", "annotate"),
    (["--bogus"], "No such option '--bogus'", ""),
    (["annotate", "label"], "Missing argument 'SENTENCE_ID'", "annotate label"),
    # click lists a missing option's choices a line each
    (["eval", "score", "x.jsonl"], "Missing option '--task'. Choose from: stance, claim_type, entities", "eval score"),
])
def test_usage_errors_are_one_error_line_that_says_where_help_is(runner, workspace, args, said, help_of):
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {said}") and line.endswith(f"(see `{' '.join(['main', *help_of.split()])} --help`)")


def test_a_session_under_a_name_that_cannot_answer_says_so_before_asking_for_a_terminal(runner, workspace):
    result = runner.invoke(main, ["annotate", "--annotator", "bad name"])  # the runner is no terminal
    assert result.exit_code == 2 and result.stderr.strip().splitlines() == [
        "Error: annotator name 'bad name' is not allowed (use letters, digits, '.', '_' or '-', starting with a "
        "letter or digit (at most 64))"]
    result = runner.invoke(main, ["annotate", "--annotator", "carol"])
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\x80\x80\x80")
    from tagline.corpus.workspace import init_workspace

    init_workspace(tmp_path / "w")
    completed = subprocess.run([sys.executable, "-m", "tagline", "--debug", "corpus", "add", str(bad)],
                               cwd=tmp_path / "w", capture_output=True, text=True)
    assert completed.returncode != 0 and "Traceback" in completed.stderr and "InputError" in completed.stderr
    completed = subprocess.run([sys.executable, "-m", "tagline", "corpus", "add", str(bad)],
                               cwd=tmp_path / "w", capture_output=True, text=True)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr


def test_no_workspace_error_says_how_to_fix(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["corpus", "stats"])
    assert result.exit_code == 2 and "tagline init" in result.stderr


def test_workspace_from_environment_variable(runner, workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TAGLINE_WORKSPACE", str(workspace.root))
    result = runner.invoke(main, ["corpus", "stats", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["workspace"] == str(workspace.root)


def test_validate_reports_every_planted_problem_with_line_numbers(runner, sample_workspace):
    ws = sample_workspace
    assert runner.invoke(main, ["validate"]).exit_code == 0
    good = {"sentence_id": "deepseek_ja-s0001", "annotator": "bob", "time": "2026-11-28T09:00:00Z",
            "task": "claim_type", "op": "set", "value": {"label": "not_claim"}}
    lines = [
        good,
        {**good, "value": {"label": "MAYBE"}},
        {**good, "sentence_id": "nope-s0001"},
        {**good, "task": "entities", "value": {"spans": [{"start": 0, "end": 2, "label": "ORG", "text": "DeepSeek"}]}},
        {**good, "annotator": "carol"},
    ]
    path = ws.annotation_path("bob")
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n{not json\n", encoding="utf-8")
    before = path.read_bytes()
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2
    out = result.stdout
    assert "annotations/bob.jsonl:2: label 'MAYBE' is not one of not_claim, quantity" in out
    assert "annotations/bob.jsonl:3: sentence id 'nope-s0001' is not in sentences.jsonl" in out
    assert "annotations/bob.jsonl:4: span 1 (0:2 ORG): offsets cover '中国' but the span text is 'DeepSeek'" in out
    assert "annotations/bob.jsonl:5: annotator 'carol' does not match the file name 'bob'" in out
    assert "annotations/bob.jsonl:6: not valid JSON" in out
    assert ":1:" not in out.replace("bob.jsonl:1", "")  # the good line is not reported
    report = json.loads(runner.invoke(main, ["validate", "--json"]).stdout)
    assert not report["ok"] and len(report["errors"]) == 5
    assert path.read_bytes() == before  # validation never rewrites


def test_validate_catches_sentence_offsets_that_do_not_match(runner, sample_workspace):
    ws = sample_workspace
    lines = ws.sentences_path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[9])
    record["start"] += 1
    lines[9] = json.dumps(record, ensure_ascii=False)
    ws.sentences_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "sentences.jsonl:10: offsets" in result.stdout


def test_validate_lists_torn_line_as_warning_not_error(runner, sample_workspace):
    path = sample_workspace.annotation_path("dave")
    path.write_bytes(b'{"sentence_id": "deepseek_ja-s0001", "annot')
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "dave.jsonl:1: warning: incomplete last line" in result.stdout


def test_a_command_prints_warnings_once_on_stderr_and_the_caller_keeps_its_warning_hook(runner, sample_workspace):
    shown_by_caller = []

    def callers_hook(message, category, filename, lineno, file=None, line=None):
        shown_by_caller.append(str(message))

    with open(sample_workspace.gold_path, "ab") as handle:
        handle.write(b'{"sentence_id": "deepseek_ja-s00')
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = callers_hook
        result = runner.invoke(main, ["annotate", "gold"])
        assert result.exit_code == 0, result.output
        assert [line for line in result.stderr.splitlines() if line.startswith("Warning:")] == [
            f"Warning: {sample_workspace.gold_path}:309: incomplete last line (a write cut short by a crash); "
            "skipped, the lines before it are intact and the next append moves it to gold.jsonl.torn"]
        assert warnings.showwarning is callers_hook
        failed = runner.invoke(main, ["annotate", "show", "no-such-sentence"])
        assert failed.exit_code == 2 and failed.stderr.startswith("Error: ")
        assert warnings.showwarning is callers_hook
        warnings.warn("a warning of the caller's own, after the commands", stacklevel=1)
    assert shown_by_caller == ["a warning of the caller's own, after the commands"]


def test_a_warning_a_library_gives_again_for_every_baseline_is_printed_once(capsys):
    # scikit-learn warns of a class too rare for the folds once per baseline, under catch_warnings
    # (which forgets what was shown): `eval run` printed the same line seven times.
    from tagline.cli import _warnings_printed

    with _warnings_printed():
        for _ in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.warn("The least populated class in y has only 2 members", UserWarning, stacklevel=1)
        warnings.warn("another warning", UserWarning, stacklevel=1)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["Warning: The least populated class in y has only 2 members", "Warning: another warning"]


def test_bad_config_is_reported_with_every_problem(runner, workspace):
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(text.replace('key = "a"', 'key = "f"').replace('key = "0"', 'key = "q"'),
                                     encoding="utf-8")
    result = runner.invoke(main, ["corpus", "stats"])
    assert result.exit_code == 2
    assert "key 'f' is used by more than one label" in result.stderr
    assert "key 'q' is reserved" in result.stderr


def test_corpus_list_piped_keeps_long_ids_and_paths_whole(runner, workspace, tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    name = "a_document_whose_name_is_far_longer_than_eighty_columns_of_a_terminal_would_allow"
    source = tmp_path / f"{name}.txt"
    source.write_text("これは文です。", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(source)]).exit_code == 0
    result = runner.invoke(main, ["corpus", "list"])
    assert result.exit_code == 0
    (row,) = [line for line in result.stdout.splitlines() if name in line]
    assert row.split() == [name, "ja", "1", "utf-8", str(source)]
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def test_init_sample_with_targets_keeps_the_samples_targets_and_a_valid_workspace(runner, tmp_path):
    result = runner.invoke(main, ["init", str(tmp_path / "ws"), "--sample", "--target", "Foo", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["gold_records"] == 308
    from tagline.corpus.workspace import Workspace

    assert Workspace(tmp_path / "ws").config.targets == ["DeepSeek", "US AI policy", "Foo"]
    assert runner.invoke(main, ["validate", "-w", str(tmp_path / "ws")]).exit_code == 0


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec="utf-8") | st.sampled_from(["\x00", "\x1f", "\x7f", "\u2028", '"', "\\", "é", "東"])),
    lambda children: st.lists(children, max_size=4) | st.tuples(children)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3), children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_json_values)
def test_json_output_is_the_standard_library_s_indented_json_exactly(document):
    """``--json`` output is written by orjson where it writes the document as ``json.dumps(indent=2)``
    would (the standard library's indented writer is pure Python: a minute for a large report), and by
    the standard library elsewhere: byte for byte the same either way."""
    from tagline.cli.output import indented_json

    assert indented_json(document) == json.dumps(document, ensure_ascii=False, indent=2)


def test_json_output_of_a_large_report_is_written_by_orjson(monkeypatch):
    from tagline.cli import output

    document = {"contested": [{"sentence_id": f"d-s{i}", "votes": {"alice": "FAVOR", "bob": 0.25}} for i in range(50)]}
    monkeypatch.setattr(output.json, "dumps", lambda *args, indent=None, **kwargs:
                        json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode(args[0])
                        if indent is None else pytest.fail("the standard library indented the document"))
    assert json.loads(output.indented_json(document)) == document


def test_a_long_line_is_wrapped_at_words_on_a_terminal_and_kept_whole_in_a_pipe(monkeypatch):
    import io

    from tagline.cli.output import fitted

    line = "  note: Configured labels never used: not_claim, prediction, correlation_causation, laws_rules."
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a pipe
    assert fitted(line, indent="        ") == line

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.setenv("COLUMNS", "40")
    rows = fitted(line, indent="        ").split("\n")
    assert len(rows) > 1 and all(len(row) <= 40 for row in rows)
    assert rows[0].startswith("  note: ") and all(row.startswith("        ") for row in rows[1:])
    assert " ".join(row.strip() for row in rows) == line.strip()  # no word cut, none lost
    assert fitted("first line\nsecond line") == "first line\nsecond line"  # its own lines kept
