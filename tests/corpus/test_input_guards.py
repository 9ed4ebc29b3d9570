"""Hostile or damaged input to tagline.toml, corpus add and annotate import/export: one `Error:` line
naming the file (or option) and the key or line, exit code 2, no traceback, nothing written; and CSV
exports that a spreadsheet opens without running formulas, read back exactly."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading

import pytest

from tagline.annotate.events import make_event
from tagline.cli import main
from tagline.corpus.config import MAX_SEED
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace
from tagline.schemas import load_schema


def _error(result, *phrases: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


def _set_split(workspace, key: str, value: str) -> None:
    path = workspace.config_path
    text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


def _saved(workspace) -> dict[str, bytes]:
    return {str(path.relative_to(workspace.root)): path.read_bytes()
            for path in sorted(workspace.root.rglob("*")) if path.is_file()}


# --- tagline.toml ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, phrase", [
    ("[nan, 0.1, 0.1]", "split.ratios.0: nan is not a finite number"),
    ("[0.8, 0.1, inf]", "split.ratios.2: inf is not a finite number"),
])
def test_validate_and_build_refuse_split_ratios_that_are_not_finite(runner, sample_workspace, value, phrase):
    _set_split(sample_workspace, "ratios", value)
    line = _error(runner.invoke(main, ["validate"]), "tagline.toml", phrase)
    assert "greater than" not in line  # named once, as not finite, not again by the schema
    _error(runner.invoke(main, ["eval", "build"]), "tagline.toml", phrase)
    assert not (sample_workspace.build_dir / "dataset").exists()


def test_validate_and_build_refuse_a_seed_numpy_cannot_take(runner, sample_workspace):
    _set_split(sample_workspace, "seed", str(2**32))
    phrase = "split/seed: 4294967296 is greater than the maximum of 4294967295"
    _error(runner.invoke(main, ["validate"]), "tagline.toml", phrase)
    line = _error(runner.invoke(main, ["eval", "build"]), "tagline.toml", phrase)
    assert "too few" not in line
    _set_split(sample_workspace, "seed", str(MAX_SEED))
    assert runner.invoke(main, ["validate"]).exit_code == 0


def test_the_config_schema_states_the_seed_range_and_the_ratio_bounds():
    split = load_schema("config")["properties"]["split"]["properties"]
    assert split["seed"]["maximum"] == MAX_SEED == 2**32 - 1
    assert split["ratios"]["items"]["exclusiveMaximum"] == 1


def test_a_tagline_toml_with_a_byte_order_mark_is_read(runner, sample_workspace):
    path = sample_workspace.config_path
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output


def test_a_tagline_toml_nested_too_deeply_is_an_error(runner, sample_workspace):
    path = sample_workspace.config_path
    path.write_text(path.read_text(encoding="utf-8").replace('name = "', "deep = " + "[" * 5000 + "]" * 5000
                                                           + '\nname = "', 1), encoding="utf-8")
    _error(runner.invoke(main, ["validate"]), "tagline.toml", "nested too deeply")


@pytest.mark.parametrize("table, phrase", [
    ('license = "cc-by-4"', "dataset.license 'cc-by-4' is not a licence identifier of the Hugging Face Hub "
                            "(did you mean 'cc-by-4.0'?)"),
    ('license = "other"', 'dataset.license = "other" needs dataset.license_name and dataset.license_link'),
    ('license = "other"\nlicense_name = "news-terms"', 'needs dataset.license_link (e.g. license_name'),
    ('license = "mit"\nlicense_name = "mit"', 'dataset.license_name is only for license = "other"'),
    ('license_link = "LICENSE"', 'dataset.license_link is given without dataset.license = "other"'),
    ('license = "other"\nlicense_name = "News Terms"\nlicense_link = "LICENSE"', "dataset/license_name: 'News Terms'"),
])
def test_validate_and_build_refuse_a_licence_the_hub_would_refuse(runner, sample_workspace, table, phrase):
    path = sample_workspace.config_path
    path.write_text(path.read_text(encoding="utf-8") + f"\n[dataset]\n{table}\n", encoding="utf-8")
    _error(runner.invoke(main, ["validate"]), "tagline.toml", phrase)
    _error(runner.invoke(main, ["eval", "build"]), "tagline.toml", phrase)
    assert not (sample_workspace.build_dir / "dataset").exists()


def test_init_says_where_the_licence_goes_and_a_dataset_table_is_written_back(tmp_path):
    from tagline.corpus.config import default_config, load_config, render_toml

    text = init_workspace(tmp_path / "ws").config_path.read_text(encoding="utf-8")
    assert '# [dataset]\n# license = "cc-by-4.0"\n' in text
    assert load_config(tmp_path / "ws" / "tagline.toml").dataset_license == {"license": "unknown"}
    config = default_config() | {"dataset": {"license": "other", "license_name": "news-terms-1.0",
                                             "license_link": "LICENSE"}}
    path = tmp_path / "tagline.toml"
    path.write_text(render_toml(config), encoding="utf-8")
    assert load_config(path).data == config
    assert load_config(path).dataset_license == config["dataset"]


# --- corpus add --encoding ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, phrase", [
    ("rot13", "--encoding 'rot13' is Python's rot-13 codec, which does not decode text"),
    ("base64", "--encoding 'base64' is Python's base64 codec, which does not decode text"),
    ("no-such-codec", "--encoding 'no-such-codec' is not an encoding Python knows"),
])
def test_corpus_add_refuses_an_encoding_that_is_not_a_text_encoding(runner, workspace, tmp_path, encoding, phrase):
    path = tmp_path / "doc.txt"
    path.write_text("今日は晴れ。", encoding="utf-8")
    before = _saved(workspace)
    line = _error(runner.invoke(main, ["corpus", "add", str(path), "--encoding", encoding]), phrase)
    assert "utf-8, cp932" in line and "euc-jp" in line
    assert _saved(workspace) == before


# --- deeply nested JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["doccano", "label-studio", "prodigy", "spacy", "stockmark-ner"])
@pytest.mark.parametrize("depth", [100, 100_000])
def test_import_refuses_deeply_nested_json_in_every_json_format(runner, workspace, tmp_path, fmt, depth):
    path = tmp_path / "deep.json"
    nested = "[" * depth + "]" * depth
    if fmt in ("doccano", "prodigy"):
        path.write_text('{"text": "今日は晴れ。", "label": []}\n{"text": "x", "meta": ' + nested + "}\n")
        where = "deep.json:2"
    else:
        path.write_text("[\n" + nested + "\n]")
        where = "deep.json"
    before = _saved(workspace)
    _error(runner.invoke(main, ["annotate", "import", str(path), "--format", fmt, "-a", "bob"]),
           where, "nested more than 64 levels deep")
    assert _saved(workspace) == before


def test_corpus_add_refuses_a_jsonl_record_nested_too_deeply_to_store(runner, workspace, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"text": "今日は晴れ。", "meta": {"x": ' + "[" * 300 + "]" * 300 + "}}\n", encoding="utf-8")
    before = _saved(workspace)
    _error(runner.invoke(main, ["corpus", "add", str(path)]), "docs.jsonl:1", "nested more than 64 levels deep")
    assert _saved(workspace) == before


def test_corpus_add_refuses_a_jsonl_record_whose_text_holds_a_nul_at_file_colon_line(runner, workspace, tmp_path):
    """At ``file:line`` of the record (``\\u0000`` in its JSON), as every other refusal of a record says
    where; it said ``file#line``, the record's name in the registry."""
    path = tmp_path / "docs.jsonl"
    texts = ["今日は晴れ。", "明日は雨。", "壊れた\x00文。"]
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts), encoding="utf-8")
    before = _saved(workspace)
    _error(runner.invoke(main, ["corpus", "add", str(path)]), "docs.jsonl:3: the text holds a NUL character")
    assert _saved(workspace) == before


def test_a_label_map_nested_too_deeply_is_an_error(runner, workspace, tmp_path):
    source = tmp_path / "items.csv"
    source.write_text("text,label\n今日は晴れ。,Fact\n", encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text('{"Fact": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    command = ["annotate", "import", str(source), "--format", "csv", "-a", "bob", "--label-map"]
    _error(runner.invoke(main, [*command, str(deep)]), "deep.json", "nested too deeply")
    shallow = tmp_path / "shallow.json"
    shallow.write_text('{"Fact": {"a": ' + "[" * 100 + "]" * 100 + "}}", encoding="utf-8")
    _error(runner.invoke(main, [*command, str(shallow)]), "shallow.json", "nests tables deeper than a label map can")
    assert not workspace.annotation_path("bob").exists()


# --- CSV: one strict reader --------------------------------------------------------------------------

def test_corpus_add_and_import_refuse_an_unclosed_quote_alike(runner, workspace, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\na,"今日は晴れ。\nb,明日は雨。\n', encoding="utf-8")
    before = _saved(workspace)
    expected = f"Error: {path}:2: not valid CSV (a quoted field is never closed)"
    added = _error(runner.invoke(main, ["corpus", "add", str(path)]), expected)
    imported = _error(runner.invoke(main, ["annotate", "import", str(path), "--format", "csv", "-a", "bob"]), expected)
    assert added == imported
    assert _saved(workspace) == before


def test_corpus_add_reads_long_and_multi_line_csv_fields_and_keeps_the_ids_it_gave_before(runner, workspace,
                                                                                          tmp_path):
    path = tmp_path / "t.csv"
    long_text = "長い文です。" * 40_000  # beyond the csv module's default limit of 131,072 characters per field
    path.write_text(f'text\n"一行目。\n二行目。"\n{long_text}\n', encoding="utf-8")
    result = runner.invoke(main, ["corpus", "add", str(path), "--json"])
    assert result.exit_code == 0, result.output
    # A record's default id names its last line, as it did before CSV reading was made strict.
    assert [added["doc_id"] for added in json.loads(result.stdout)["added"]] == ["t-3", "t-4"]


# --- CSV export: formula injection -------------------------------------------------------------------

RISKY = ["=SUM(A1)", "-5 degrees", "@user", "'quoted", "+1 more", "'plain", "plain"]


@pytest.fixture
def risky_workspace(workspace):
    add_source_documents(workspace, [SourceDocument(f"d{index}", text, "t", "txt", "utf-8", "en",
                                                    single_sentence=True)
                                     for index, text in enumerate(RISKY)])
    append_records(workspace.annotation_path("alice"), [
        make_event(sentence["id"], "alice", "claim_type", {"label": "not_claim"})
        for sentence in workspace.iter_sentences()])
    return workspace


def _texts(content: str) -> list[str]:
    return [row["text"] for row in csv.DictReader(io.StringIO(content, newline=""))]


def test_csv_export_escapes_formula_cells_and_import_reads_them_back_exactly(runner, risky_workspace, tmp_path):
    out = tmp_path / "export.csv"
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "-a", "alice", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = _texts(out.read_text(encoding="utf-8"))
    assert written == ["'=SUM(A1)", "'-5 degrees", "'@user", "''quoted", "'+1 more", "''plain", "plain"]

    other = init_workspace(tmp_path / "other", language="en")
    result = runner.invoke(main, ["annotate", "import", str(out), "--format", "csv", "-a", "alice",
                                  "-w", str(other.root)])
    assert result.exit_code == 0, result.output
    assert [sentence["text"] for sentence in other.iter_sentences()] == RISKY


def test_csv_export_without_formula_escape_writes_cells_as_they_are(runner, risky_workspace):
    result = runner.invoke(main, ["annotate", "export", "--format", "csv", "-a", "alice", "--no-formula-escape"])
    assert result.exit_code == 0, result.output
    assert _texts(result.stdout) == RISKY
    _error(runner.invoke(main, ["annotate", "export", "--format", "doccano", "-a", "alice", "--no-formula-escape"]),
           "--no-formula-escape applies to CSV, not doccano")


# --- what is not a regular file, and size limits --------------------------------------------------------

def test_corpus_add_refuses_a_named_pipe_without_waiting_for_a_writer(runner, workspace, tmp_path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)

    def feed() -> None:  # a reader that waited for a writer would get this text as a document
        try:
            with open(pipe, "wb") as writer:
                writer.write("今日は晴れ。".encode())
        except OSError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    before = _saved(workspace)
    result = runner.invoke(main, ["corpus", "add", str(pipe)])
    os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))  # lets the writer's open return
    feeder.join(5)
    _error(result, f"{pipe}: not a regular file but a named pipe")
    assert _saved(workspace) == before


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("command", [["corpus", "add", "/dev/zero", "--max-size", "1K"],
                                     ["annotate", "import", "/dev/zero", "--format", "csv", "-a", "bob"]])
def test_a_device_is_refused_at_once(runner, workspace, command):
    _error(runner.invoke(main, command), "/dev/zero: not a regular file but a device")


def test_corpus_add_refuses_a_document_over_the_size_limit(runner, workspace, tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("今日は晴れ。" * 100, encoding="utf-8")  # 1,800 bytes
    records = tmp_path / "big.jsonl"
    records.write_text(json.dumps({"text": "短い。"}) + "\n" + json.dumps({"text": "今日は晴れ。" * 100}) + "\n",
                       encoding="utf-8")
    before = _saved(workspace)
    _error(runner.invoke(main, ["corpus", "add", str(path), "--max-size", "1K"]),
           f"{path}: larger than the limit of 1 KiB for one document", "--max-size 1G")
    _error(runner.invoke(main, ["corpus", "add", str(records), "--max-size", "1KiB"]),
           f"{records}:2: the text is larger than the limit of 1 KiB")
    _error(runner.invoke(main, ["corpus", "add", str(path), "--max-size", "lots"]), "--max-size 'lots' is not a size")
    assert _saved(workspace) == before
    result = runner.invoke(main, ["corpus", "add", str(path), str(records), "--max-size", "2K"])
    assert result.exit_code == 0, result.output


def test_a_label_map_with_a_byte_order_mark_is_read(runner, workspace, tmp_path):
    source = tmp_path / "items.csv"
    source.write_text("text,label\n今日は晴れ。,Fact\n", encoding="utf-8")
    label_map = tmp_path / "labels.toml"
    label_map.write_bytes(b"\xef\xbb\xbf" + b'Fact = "other_claim"\n')
    result = runner.invoke(main, ["annotate", "import", str(source), "--format", "csv", "-a", "bob",
                                  "--label-map", str(label_map)])
    assert result.exit_code == 0, result.output
