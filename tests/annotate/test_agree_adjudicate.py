"""Agreement and adjudication end to end: the real 3-annotator Prodigy set, gold with provenance."""

from __future__ import annotations

import json
import os
import sys

import orjson
import pexpect
import pytest

from tagline.cli import main
from tagline.corpus.ingest import add_documents
from tagline.corpus.store import append_records, read_records

from conftest import require_shared


def claim_config(ws, labels):
    """Replace the claim-type labels with ``labels`` (keys 1, 2, 3...)."""
    text = ws.config_path.read_text(encoding="utf-8")
    head, _, rest = text.partition("[tasks.claim_type]")
    _, _, tail = rest.partition("[tasks.entities]")
    block = "[tasks.claim_type]\n\n" + "".join(
        f'[[tasks.claim_type.labels]]\nname = "{label}"\nkey = "{n}"\n\n' for n, label in enumerate(labels, 1))
    ws.config_path.write_text(head + block + "[tasks.entities]" + tail, encoding="utf-8")
    ws.__dict__.pop("config", None)


@pytest.fixture
def prodigy_workspace(workspace, tmp_path):
    path = require_shared("formats/prodigy/pydata-ams-2023.3annotators.jsonl")
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    claim_config(workspace, ["accept", "reject", "ignore"])
    documents = tmp_path / "items.jsonl"
    hashes = sorted({row["_input_hash"] for row in rows})
    texts = {row["_input_hash"]: row["text"] for row in rows}
    documents.write_text("".join(json.dumps({"id": f"i{h & 0xffffffff:08x}", "text": texts[h]}) + "\n"
                                 for h in hashes), encoding="utf-8")
    add_documents(workspace, [documents], lang="en")
    first_sentence = {}
    for record in read_records(workspace.sentences_path):
        first_sentence.setdefault(record["doc_id"], record["id"])
    names = {}
    for row in rows:
        annotator = names.setdefault(row["_annotator_id"], f"annotator{len(names) + 1}")
        append_records(workspace.annotation_path(annotator), [{
            "sentence_id": first_sentence[f"i{row['_input_hash'] & 0xffffffff:08x}"], "annotator": annotator,
            "time": "2023-09-16T10:00:00Z", "task": "claim_type", "op": "set", "value": {"label": row["answer"]}}])
    return workspace


def test_agree_reproduces_the_published_reference_values(runner, prodigy_workspace):
    result = runner.invoke(main, ["annotate", "agree", "--task", "claim_type", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["questions"]["claim_type"]
    assert report["n_items"] == 117 and report["unanimous_items"] == 84  # 0.7179 x 117
    assert round(report["observed_agreement"], 4) == 0.8006
    assert round(report["krippendorff_alpha"]["value"], 4) == 0.6075
    assert round(report["fleiss_kappa"]["value"], 4) == 0.6064
    kappas = sorted(round(pair["value"], 4) for pair in report["cohen_kappa"])
    assert kappas == [0.5108, 0.516, 0.7874]
    assert all(key in report for key in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "observed_agreement"))


def test_agree_writes_a_markdown_report_with_contested_sentences(runner, prodigy_workspace, tmp_path):
    out = tmp_path / "report.md"
    result = runner.invoke(main, ["annotate", "agree", "--task", "claim_type", "--report", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Agreement report")
    assert "## claim_type" in text and "Fleiss" in text and "## Contested sentences" in text
    assert "| claim_type | " in text  # each contested sentence with each annotator's answer


def test_adjudicate_majority_unanimous_contested_and_rerun(runner, prodigy_workspace):
    result = runner.invoke(main, ["annotate", "adjudicate", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # 84 unanimous; the other 33 items: 3 annotators, so any 2-1 split is a majority.
    assert summary["by_method"]["unanimous"] == 84
    assert summary["by_method"].get("majority", 0) + len(summary["contested"]) == 33
    gold_lines = prodigy_workspace.gold_path.read_bytes()
    again = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    assert again["written"] == 0 and again["unchanged"] == summary["written"]
    assert prodigy_workspace.gold_path.read_bytes() == gold_lines  # never duplicated

    strict = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--min-agreement", "unanimous",
                                             "--json"]).stdout)
    assert strict["written"] == 0  # majority gold already made is kept, not redone


def _two_annotators(ws):
    sentence = "deepseek_ja-s0053"
    for annotator, label in (("alice", "quantity"), ("bob", "other_claim")):
        append_records(ws.annotation_path(annotator), [{
            "sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
            "task": "claim_type", "op": "set", "value": {"label": label}}])
    return sentence


def _adjudication_screen(ws, columns: int = 80):
    """Two annotators who disagree on one question, and the adjudication screen open on it."""
    for path in ws.annotation_files():
        path.rename(path.with_suffix(".bak"))
    sentence = _two_annotators(ws)
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(ws.root)}
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "adjudicate", "--adjudicator", "judge"],
                          env=env, dimensions=(24, columns), encoding="utf-8", timeout=20)
    child.expect_exact(f"{sentence} · claim_type")
    return sentence, child


def test_single_annotator_promotes_with_provenance_single(runner, sample_answers_only):
    result = runner.invoke(main, ["annotate", "adjudicate", "--json"])
    summary = json.loads(result.stdout)
    assert summary["by_method"] == {"single": 77 * 4} and summary["contested"] == []
    listing = [json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines()]
    assert len(listing) == 308 and {r["provenance"]["method"] for r in listing} == {"single"}
    assert runner.invoke(main, ["validate"]).exit_code == 0


def test_an_answer_with_a_label_the_config_lacks_never_becomes_gold(runner, workspace, tmp_path):
    from tagline.annotate.scripted import label_sentence

    ws = workspace
    (tmp_path / "news.txt").write_text("米国は輸出規制を強めた。中国は反発した。", encoding="utf-8")
    add_documents(ws, [tmp_path / "news.txt"])
    label_sentence(ws, "news-s0002", "alice", claim_type="other_claim")
    append_records(ws.annotation_path("alice"), [{
        "sentence_id": "news-s0001", "annotator": "alice", "time": "2026-11-28T10:00:00Z",
        "task": "claim_type", "op": "set", "value": {"label": "opinion"}}])  # edited in by hand
    result = runner.invoke(main, ["annotate", "adjudicate"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()[-1:]
    # The answer's file and line (the second: label_sentence wrote the first), as `tagline validate` names it.
    assert line.startswith("Error: annotations/alice.jsonl:2: alice's answer to claim_type for news-s0001 has the "
                           "label 'opinion', which is not one of not_claim,"), line
    assert "no gold was written" in line
    assert not ws.gold_path.exists() or not list(read_records(ws.gold_path))


def test_interactive_adjudication_and_changed_flag(sample_answers_only):
    ws = sample_answers_only
    sentence, child = _adjudication_screen(ws)
    child.expect_exact("[1] quantity")  # each answer under its label's own key, as when annotating
    child.expect_exact("[6] other_claim")
    child.expect_exact("or another label: [0] not_claim  [2] prediction")
    child.send("2")  # a fresh label: 2 is prediction's key, not "the second answer"
    child.expect(pexpect.EOF)
    gold = list(read_records(ws.gold_path))
    assert len(gold) == 1 and gold[0]["provenance"]["method"] == "adjudicated"
    assert gold[0]["provenance"]["adjudicator"] == "judge"
    assert gold[0]["provenance"]["votes"] == {"alice": "quantity", "bob": "other_claim"}
    assert gold[0]["value"] == {"label": "prediction"}

    # A new answer after adjudication flags the gold as changed and offers it again.
    append_records(ws.annotation_path("bob"), [{
        "sentence_id": sentence, "annotator": "bob", "time": "2026-11-28T11:00:00Z",
        "task": "claim_type", "op": "set", "value": {"label": "prediction"}}])
    from click.testing import CliRunner

    runner = CliRunner()
    listing = [json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"],
                                                          env={"TAGLINE_WORKSPACE": str(ws.root)}).stdout.splitlines()]
    assert listing[0]["changed"] is True
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"],
                                       env={"TAGLINE_WORKSPACE": str(ws.root)}).stdout)
    assert summary["contested"][0]["reason"] == "votes changed after adjudication"
    assert summary["changed_since_adjudication"] == [f"{sentence} claim_type"]


def test_agree_with_one_annotator_or_unknown_annotator(runner, sample_workspace):
    result = runner.invoke(main, ["annotate", "agree", "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)["questions"]["claim_type"]
    assert report["cohen_kappa"] == [] and report["fleiss_kappa"]["value"] is None and report["notes"]
    result = runner.invoke(main, ["annotate", "agree", "--annotators", "nobody"])
    assert result.exit_code == 2 and "no annotations by nobody" in result.stderr


def test_entity_agreement_uses_tokens(runner, sample_workspace):
    ws = sample_workspace
    append_records(ws.annotation_path("bob"), [{
        "sentence_id": "deepseek_ja-s0053", "annotator": "bob", "time": "2026-11-28T10:00:00Z",
        "task": "entities", "op": "set", "value": {"spans": [{"start": 0, "end": 3, "label": "PERSON", "text": "梁文峰"}]}}])
    # The sample's answers are gold, not a vote; named, they are compared like anyone's.
    report = json.loads(runner.invoke(main, ["annotate", "agree", "--task", "entities", "--annotators",
                                             "bob,sample-gold", "--json"]).stdout)
    entities = report["questions"]["entities"]
    pair = entities["pairwise"][0]
    assert pair["exact"]["f1"] == 1.0 and pair["n_items"] == 1
    assert entities["krippendorff_alpha"]["unit"] == "token"


def test_adjudication_keys_reach_every_label_and_every_entity_answer(sample_workspace):
    """Every label of the claim-type scheme (keys 0-6) can be chosen, an answer's key picks it, and
    entity answers, which have no label key, are numbered."""
    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.terminal import AdjudicationSession

    ws = sample_workspace
    for path in ws.annotation_files():
        path.rename(path.with_suffix(".bak"))
    ws.gold_path.unlink(missing_ok=True)
    sentence = _two_annotators(ws)
    spans = {"alice": [{"start": 0, "end": 2, "label": "ORG", "text": ""}], "bob": []}
    text = next(s["text"] for s in ws.iter_sentences() if s["id"] == sentence)
    for annotator, given in spans.items():
        for span in given:
            span["text"] = text[span["start"]:span["end"]]
        append_records(ws.annotation_path(annotator), [{
            "sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
            "task": "entities", "op": "set", "value": {"spans": given}}])
    contested = auto_adjudicate(ws).contested
    by_task = {item.task: item for item in contested}
    assert set(by_task) == {"claim_type", "entities"}
    session = AdjudicationSession(ws, list(contested), "judge")
    answers, fresh = session.choices(by_task["claim_type"])
    assert [(key, value["label"], who) for key, value, who in answers] == [("1", "quantity", ["alice"]),
                                                                           ("6", "other_claim", ["bob"])]
    keys = {key: value["label"] for key, value, _ in answers} | {key: value["label"] for key, value in fresh}
    assert keys == {"0": "not_claim", "1": "quantity", "2": "prediction", "3": "correlation_causation",
                    "4": "laws_rules", "5": "personal_experience", "6": "other_claim"}
    entity_answers, entity_fresh = session.choices(by_task["entities"])
    # entities are decided span by span: alice's one span, marked by one of the two, starts off
    assert [(key, who) for key, _, who in entity_answers] == [("1", ["alice"])] and entity_fresh == []

    while session.items[session.position].task != "claim_type":
        session.handle_key("s")
    session.handle_key("0")  # not_claim: nobody's answer, reachable all the same
    session.handle_key("1")  # alice's span on
    session.handle_key("ENTER")
    assert session.finished
    gold = {record["task"]: record for record in read_records(ws.gold_path)}
    assert gold["claim_type"]["value"] == {"label": "not_claim"}
    assert gold["entities"]["value"] == {"spans": spans["alice"]}


def test_a_document_only_one_annotator_answered_becomes_single_gold_in_a_shared_workspace(runner, sample_workspace,
                                                                                           tmp_path):
    # The sample's answers are its gold (as `init --sample` leaves it); alice alone answers a new
    # document.
    assert runner.invoke(main, ["annotate", "adjudicate"]).exit_code == 0
    source = tmp_path / "new.txt"
    source.write_text("米国は新たな輸出規制を発表した。中国は反発した。", encoding="utf-8")
    assert runner.invoke(main, ["corpus", "add", str(source)]).exit_code == 0
    assert runner.invoke(main, ["annotate", "label", "new-s0001", "-a", "alice", "--claim-type", "laws_rules"]).exit_code == 0
    # bob answers one question of the sample, whose answers are gold, not votes: its gold stands.
    assert runner.invoke(main, ["annotate", "label", "deepseek_ja-s0001", "-a", "bob", "--claim-type",
                                "quantity"]).exit_code == 0
    sample_gold = sample_workspace.gold_path.read_bytes().splitlines()
    summary = json.loads(runner.invoke(main, ["annotate", "adjudicate", "--json"]).stdout)
    gold = {(r["sentence_id"], r["task"]): r for r in
            (json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines())}
    assert gold[("new-s0001", "claim_type")]["provenance"]["method"] == "single"
    assert gold[("new-s0001", "claim_type")]["value"] == {"label": "laws_rules"}
    assert not summary["contested"] and summary["by_method"] == {"single": 1}
    assert gold[("deepseek_ja-s0001", "claim_type")]["value"] == {"label": "not_claim"}  # the sample's
    assert sample_workspace.gold_path.read_bytes().splitlines()[:-1] == sample_gold
    # When bob answers alice's document too, alice's single gold is remade from both votes.
    assert runner.invoke(main, ["annotate", "label", "new-s0001", "-a", "bob", "--claim-type", "laws_rules"]).exit_code == 0
    runner.invoke(main, ["annotate", "adjudicate"])
    gold = [json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines()]
    (record,) = [r for r in gold if r["sentence_id"] == "new-s0001" and r["task"] == "claim_type"]
    assert record["provenance"]["method"] == "unanimous"


def test_quitting_the_adjudication_screen_says_how_to_go_on(sample_answers_only):
    ws = sample_answers_only
    _, child = _adjudication_screen(ws, columns=100)
    child.send("q")
    child.expect_exact("1 question needs an adjudicator (run again with --adjudicator judge to go on):")
    child.expect(pexpect.EOF)
    assert "this is not one" not in child.before
    assert not ws.gold_path.exists() or not list(read_records(ws.gold_path))


@pytest.mark.parametrize("width, height", [(80, 24), (80, 12), (60, 12), (100, 8)])
def test_the_adjudication_screen_keeps_its_header_and_every_choice_on_a_short_terminal(sample_workspace, width,
                                                                                      height):
    from rich.console import Console

    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.terminal import AdjudicationSession

    ws = sample_workspace
    for path in ws.annotation_files():
        path.rename(path.with_suffix(".bak"))
    sentence = "deepseek_ja-s0005"  # one of the longest sentences of the sample
    for annotator, label in (("alice", "quantity"), ("bob", "other_claim")):
        append_records(ws.annotation_path(annotator), [{
            "sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
            "task": "claim_type", "op": "set", "value": {"label": label}}])
    session = AdjudicationSession(ws, list(auto_adjudicate(ws).contested), "judge")
    console = Console(width=width, record=True, file=open(os.devnull, "w"))
    console.print(session.render(width, height))
    shown = console.export_text().rstrip("\n").split("\n")
    assert len(shown) <= height - 1, shown
    assert shown[0].startswith("tagline adjudicate") and any("[1] quantity" in line for line in shown)
    assert any("[6] other_claim" in line for line in shown)
    assert any("[ ] decides" in line for line in shown)
    for key, label in (("0", "not_claim"), ("3", "correlation_causation"), ("4", "laws_rules"),
                       ("5", "personal_experience")):  # the other labels: each key on the row of its label
        assert any(f"[{key}] {label}" in line for line in shown), (key, shown)


def test_adjudicating_a_sentence_of_millions_of_characters_draws_a_screenful(giant_workspace):
    ws = giant_workspace
    (sentence,) = [record["id"] for record in ws.iter_sentences()]
    for annotator, label in (("alice", "quantity"), ("bob", "other_claim")):
        append_records(ws.annotation_path(annotator), [{
            "sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z",
            "task": "claim_type", "op": "set", "value": {"label": label}}])
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(ws.root)}
    child = pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "adjudicate", "--adjudicator", "judge"],
                          env=env, dimensions=(24, 80), encoding="utf-8", timeout=15)
    frame_limit = 4 * 24 * 80  # the screen's cells and colour codes, not the sentence's 9 million characters
    for key in (None, "s"):  # the first screen, then s (the only question, shown again)
        if key:
            child.timeout = 5
            child.send(key)
        child.expect_exact("\x1b[H\x1b[2J")
        child.expect_exact("as you go)")  # the end of the last row
        frame = child.before
        assert f"{sentence} · claim_type" in frame and "more characters" in frame
        assert "[1] quantity" in frame and "[6] other_claim" in frame and len(frame) < frame_limit
    child.send("1")
    child.expect(pexpect.EOF)
    (gold,) = read_records(ws.gold_path)
    assert gold["value"] == {"label": "quantity"} and gold["provenance"]["adjudicator"] == "judge"


def _contested_pair(ws):
    """Two annotators disagreeing on the claim type and the spans of one sentence; the screen on them."""
    from tagline.annotate.gold import auto_adjudicate
    from tagline.annotate.terminal import AdjudicationSession

    for path in ws.annotation_files():
        path.rename(path.with_suffix(".bak"))
    ws.gold_path.unlink(missing_ok=True)
    sentence = _two_annotators(ws)
    text = next(s["text"] for s in ws.iter_sentences() if s["id"] == sentence)
    for annotator, spans in (("alice", [(0, 2, "ORG"), (2, 4, "GPE")]), ("bob", [(0, 2, "ORG")])):
        append_records(ws.annotation_path(annotator), [{
            "sentence_id": sentence, "annotator": annotator, "time": "2026-11-28T10:00:00Z", "task": "entities",
            "op": "set", "value": {"spans": [{"start": s, "end": e, "label": label, "text": text[s:e]}
                                             for s, e, label in spans]}}])
    session = AdjudicationSession(ws, list(auto_adjudicate(ws).contested), "judge")
    return sentence, session


def test_the_review_screen_takes_back_a_decision_and_goes_back(sample_answers_only):
    from tagline.annotate.gold import gold_view

    ws = sample_answers_only
    sentence, session = _contested_pair(ws)
    while session.items[session.position].task != "claim_type":
        session.handle_key("s")
    session.handle_key("1")  # quantity, by mistake
    assert gold_view(ws)[(sentence, "claim_type", None)]["value"] == {"label": "quantity"}
    session.handle_key("u")  # taken back: the question has no gold again, and is shown
    assert (sentence, "claim_type", None) not in gold_view(ws)
    assert session.items[session.position].task == "claim_type" and "taken back" in session.message
    session.handle_key("6")
    assert gold_view(ws)[(sentence, "claim_type", None)]["value"] == {"label": "other_claim"}
    session.handle_key("b")  # back to the decided question: a key decides it again
    assert session.items[session.position].task == "claim_type" and session.position in session.decisions
    session.handle_key("0")
    assert gold_view(ws)[(sentence, "claim_type", None)]["value"] == {"label": "not_claim"}
    methods = [r["provenance"]["method"] for r in read_records(ws.gold_path)]
    assert methods == ["adjudicated", "reopened", "adjudicated", "adjudicated"]  # every decision kept


def test_entities_are_decided_span_by_span(sample_answers_only):
    from tagline.annotate.gold import gold_view

    ws = sample_answers_only
    sentence, session = _contested_pair(ws)
    while session.items[session.position].task != "entities":
        session.handle_key("s")
    answers, _ = session.choices(session.items[session.position])
    assert [(v["spans"][0]["label"], who) for _, v, who in answers] == [("ORG", ["alice", "bob"]), ("GPE", ["alice"])]
    assert session.selected(session.position) == {1}  # both marked ORG: on; GPE by one of two: off
    session.handle_key("2")  # alice's GPE on
    session.handle_key("1")  # ORG off
    session.handle_key("ENTER")
    (gold_spans,) = [r["value"]["spans"] for key, r in gold_view(ws).items() if key[1] == "entities"]
    assert [(s["start"], s["end"], s["label"]) for s in gold_spans] == [(2, 4, "GPE")]


def test_reopen_offers_a_decided_question_again_and_keeps_its_history(runner, sample_workspace):
    gold = {(r["sentence_id"], r["task"]) for r in read_records(sample_workspace.gold_path)}
    assert ("deepseek_ja-s0010", "claim_type") in gold
    result = runner.invoke(main, ["annotate", "adjudicate", "--reopen", "deepseek_ja-s0010", "--task", "claim_type",
                                  "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reopened"] == 1
    assert [(c["sentence_id"], c["question"], c["reason"]) for c in summary["contested"]] == [
        ("deepseek_ja-s0010", "claim_type", "reopened")]
    listing = [json.loads(line) for line in runner.invoke(main, ["annotate", "gold", "--json"]).stdout.splitlines()]
    assert len(listing) == 307 and ("deepseek_ja-s0010", "claim_type") not in {(r["sentence_id"], r["task"])
                                                                              for r in listing}
    assert runner.invoke(main, ["validate"]).exit_code == 0
    # a whole document
    result = runner.invoke(main, ["annotate", "adjudicate", "--reopen", "deepseek_ja", "--task", "stance",
                                  "--target", "DeepSeek", "--json"])
    assert json.loads(result.stdout)["reopened"] == 77
    result = runner.invoke(main, ["annotate", "adjudicate", "--reopen", "nothing-s0001"])
    assert result.exit_code == 2 and "matches no decided question" in result.stderr


def test_a_reopened_question_has_no_gold_in_the_build(runner, sample_workspace):
    assert runner.invoke(main, ["annotate", "adjudicate", "--reopen", "deepseek_ja-s0010", "--task",
                                "claim_type"]).exit_code == 0
    result = runner.invoke(main, ["eval", "build", "--no-tokens", "--json"])
    assert result.exit_code == 0, result.output
    import datasets

    built = datasets.load_from_disk(str(sample_workspace.build_dir / "dataset" / "sentences"))
    rows = {row["id"]: row for split in built.values() for row in split}
    assert rows["deepseek_ja-s0010"]["claim_type"] is None  # its stance and entities stay gold
    assert rows["deepseek_ja-s0011"]["claim_type"] is not None


def test_agreement_reads_each_answer_file_once(prodigy_workspace, monkeypatch):
    # The votes, the suggestion counts and the machine table all come from one reading of each file:
    # at a million sentences each reading costs seconds.
    import tagline.corpus.store as store
    from tagline.annotate.agree import agreement_report

    reads: list[str] = []
    real = store.read_records

    def counted(path, *args, **kwargs):
        reads.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(store, "read_records", counted)
    report = agreement_report(prodigy_workspace, tasks=["claim_type"])
    answer_files = [name for name in reads if name.startswith("annotator")]
    assert report["questions"]["claim_type"]["n_items"] == 117
    assert sorted(answer_files) == sorted(set(answer_files)) and len(answer_files) == 3
