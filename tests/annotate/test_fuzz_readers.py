"""Hypothesis fuzzing of every import reader, of the documents `corpus add` reads and of tagline.toml:
small valid files are cut, spliced with hostile bytes, given values of the wrong type, nested
deeply, given huge or non-finite numbers, byte order marks, NUL characters and lone surrogates.
Each one is either read or refused with a TaglineError; any other exception would reach the user
as a traceback."""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagline.annotate.events import make_event
from tagline.annotate.formats.registry import FORMATS
from tagline.annotate.interop import IMPORT_FORMATS, export, import_file
from tagline.corpus.config import default_config, load_config, render_toml
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument, read_documents
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace
from tagline.errors import TaglineError

from test_import_fuzz import _paths, _replaced, with_check_worthiness_labels

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# The import formats whose files are JSON or JSON Lines, and the documents `corpus add` reads as JSON Lines.
JSON_FORMATS = tuple(spec.name for spec in FORMATS if spec.suffix in (".json", ".jsonl")) + ("jsonl",)
# Field separators of the line formats, for replacing one field of a line.
SEPARATORS = {"csv": ",", "conll": "\t", "webanno-tsv": "\t", "semeval2016": "\t", "brat": "\t",
              "checkthat2019": "\t", "checkthat2020": "\t"}

WEBANNO = ("#FORMAT=WebAnno TSV 3.3\n#T_SP=webanno.custom.Span|value\n\n\n"
           "#Text=Tim Cook met 😊 DeepSeek .\n"
           "1-1\t0-3\tTim\tPERSON[1]\t\n1-2\t4-8\tCook\tPERSON[1]\t\n1-3\t9-12\tmet\t_\t\n"
           "1-4\t13-15\t😊\t_\t\n1-5\t16-24\tDeepSeek\tORG\t\n1-6\t25-26\t.\t_\t\n")
SEMEVAL = "ID\tTarget\tTweet\tStance\r\n10001\tDeepSeek\tDeepSeek is great #SemST\tFAVOR\r\n"
CHECKTHAT = "1\tTRUMP\tWe lost 700,000 jobs last year.\t1\n2\tSYSTEM\t(APPLAUSE)\t0\n3\tHOLT\t Thank you. \t0\n"
CLAIMBUSTER = [{"sentence_id": 7, "label": 1, "text": "We lost 700,000 jobs."}, {"sentence_id": 9, "label": 0, "text": "Hi."}]
STOCKMARK = [{"curid": "1", "text": "レッドフォックス株式会社は東京都にある。",
              "entities": [{"name": "レッドフォックス株式会社", "span": [0, 12], "type": "法人名"},
                           {"name": "東京都", "span": [13, 16], "type": "地名"}]}]

# Raw JSON put in place of one value of a valid record.
RAW_JSON = [
    '"x"', "5", "-1", "2.5", "-0", "true", "null", "[]", "{}", '[5]', '["x"]', '[[1]]', '{"a": 1}', '""', '" "',
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "123456789012345678901234567890", "1" * 5000,
    '"\\ud800"', '"x\\udc00"', '"\\ud83d"', '"\\u0000"', '"a\\u2028b"', '"\\ufeff"', '"' + "x" * 100_000 + '"',
    "[" * 60 + "]" * 60, "[" * 300 + "]" * 300, "[" * 3000 + "]" * 3000, "[" * 100_000,
    '{"a": ' * 300 + "1" + "}" * 300, '{"a": ' * 3000 + "1" + "}" * 3000,
]
# Text put in place of one field of a line.
FIELDS = ["", "x", "-1", "0", "99999999999999999999999", "1" * 5000, "1-2", "B-", "I-", "O", "\u3000", "🇯🇵", '"',
          '"unclosed', "'", "NaN", "inf", "1e999", "[" * 2000, '[[0, 1, "ORG"]]', "[[" * 2000,
          "=SUM(A1)", "'=x", "\ufeff", "\x00", "\\", "#Text=", "-DOCSTART-", "T1", "10 5", "0 99999"]
# Bytes spliced into a file.
HOSTILE = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xed\xa0\x80", b"\x80", b"\xff", b"\x81\x40", b'"',
           b"'", b"\\", b",", b"\t", b"\n", b"\r", b"\r\n", b"[", b"]", b"{", b"}", b":", b"#", b"=", b" ",
           b"\xe2\x80\xa8", b"\xc2\x85", b"NaN", b"Infinity", b"1e999", b"9" * 5000, b'"\\ud800"', b"\\ud83d",
           b"\\u0000", b"[" * 3000, b'{"a":' * 3000, b"\x1a", b"\x0c"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace whose sentences have an entity, a claim type and a stance answer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        workspace = with_check_worthiness_labels(init_workspace(tmp_path_factory.mktemp("fuzz") / "ws",
                                                                targets=["DeepSeek"]))
        add_source_documents(workspace, [
            SourceDocument("d0", "東京はDeepSeekの本社がある。", "t", "txt", "utf-8", "ja", single_sentence=True),
            SourceDocument("d1", "=SUM(A1) -5 degrees, @user 'quoted\tTim Cook", "t", "txt", "utf-8", "en",
                           single_sentence=True),
        ])
        first, second = list(workspace.iter_sentences())
        append_records(workspace.annotation_path("alice"), [
            make_event(first["id"], "alice", "entities",
                       {"spans": [{"start": 0, "end": 2, "label": "GPE", "text": "東京"}]}),
            make_event(first["id"], "alice", "claim_type", {"label": "other_claim"}),
            make_event(first["id"], "alice", "stance", {"target": "DeepSeek", "label": "FAVOR"}),
            make_event(second["id"], "alice", "entities",
                       {"spans": [{"start": second["text"].index("Tim"), "end": len(second["text"]), "label": "PERSON",
                                   "text": "Tim Cook"}]}),
            make_event(second["id"], "alice", "claim_type", {"label": "not_claim"}),
        ])
        yield workspace


@pytest.fixture(scope="module")
def seeds(workspace, tmp_path_factory) -> dict[str, dict[str, str]]:
    """A small valid file (name -> text) for every import format: the export of every registered
    format tagline writes (brat's folder of .txt/.ann pairs), and written here for the others."""
    found = {}
    for spec in FORMATS:
        if not spec.exports:
            continue
        if spec.folder:
            folder = tmp_path_factory.mktemp(spec.name) / "out"
            export(workspace, fmt=spec.name, annotator="alice", out=folder)
            found[spec.name] = {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}
        else:
            found[spec.name] = {f"seed{spec.suffix}": export(workspace, fmt=spec.name, annotator="alice")["content"]}
    found["webanno-tsv"] = {"seed.tsv": WEBANNO}
    found["semeval2016"] = {"semeval-train.txt": SEMEVAL}
    found["stockmark-ner"] = {"ner.json": json.dumps(STOCKMARK, ensure_ascii=False)}
    # A debate in its split's folder, which gives its split.
    found["checkthat2019"] = {"training/20160926_1pres.tsv": CHECKTHAT}
    found["checkthat2020"] = {"test_gold/20160926_1pres.tsv": CHECKTHAT.replace("\n", "\r\n")}
    found["claimbuster"] = {"kfold_25ncs.json": json.dumps(CLAIMBUSTER)}
    return found


def test_every_import_format_has_a_seed_file_that_imports(workspace, seeds):
    assert set(seeds) == set(IMPORT_FORMATS)
    for fmt in IMPORT_FORMATS:
        with tempfile.TemporaryDirectory() as folder:
            target = _write(Path(folder), seeds[fmt])
            summary = import_file(workspace, target, fmt=fmt, annotator="bob", dry_run=True)
            assert summary["sentences"] >= 1, fmt


# --- mutations -------------------------------------------------------------------------------------

_PLACEHOLDER = "\u0001placeholder\u0001"


def _replace_json_value(text: str, draw) -> str:
    """``text`` (JSON or JSON Lines) with one value replaced by raw JSON, which may be invalid."""
    lines = not text.lstrip().startswith("[")
    value = [json.loads(line) for line in text.splitlines() if line.strip()] if lines else json.loads(text)
    path = draw(st.sampled_from(list(_paths(value))))
    raw = draw(st.sampled_from(RAW_JSON))
    if not path:
        return raw
    value = _replaced(value, path, _PLACEHOLDER)
    if lines:
        dumped = "\n".join(json.dumps(record, ensure_ascii=False) for record in value) + "\n"
    else:
        dumped = json.dumps(value, ensure_ascii=False, indent=1)
    return dumped.replace(json.dumps(_PLACEHOLDER), raw)


def _replace_field(text: str, separator: str, draw) -> str:
    lines = text.split("\n")
    index = draw(st.integers(0, len(lines) - 1))
    fields = lines[index].split(separator)
    position = draw(st.integers(0, len(fields) - 1))
    fields[position] = draw(st.sampled_from(FIELDS) | st.text(max_size=8))
    lines[index] = separator.join(fields)
    return "\n".join(lines)


def _mutate_bytes(data: bytes, draw) -> bytes:
    operation = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate", "flip", "bom", "utf16"]))
    at = draw(st.integers(0, len(data)))
    if operation == "truncate":
        return data[:at]
    if operation == "insert":
        splice = draw(st.sampled_from(HOSTILE) | st.binary(min_size=1, max_size=6))
        return data[:at] + splice + data[at:]
    end = draw(st.integers(at, min(len(data), at + 40)))
    if operation == "delete":
        return data[:at] + data[end:]
    if operation == "duplicate":
        return data[:end] + data[at:end] + data[end:]
    if operation == "flip":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if operation == "bom":
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + data
    return data.decode("utf-8", errors="surrogateescape").encode("utf-16", errors="surrogatepass")


@st.composite
def mutated_files(draw, files: dict[str, str], fmt: str) -> dict[str, bytes]:
    name = draw(st.sampled_from(sorted(files)))
    text = files[name]
    if fmt in JSON_FORMATS and draw(st.booleans()):
        text = _replace_json_value(text, draw)
    elif fmt in SEPARATORS and draw(st.booleans()):
        text = _replace_field(text, SEPARATORS[fmt], draw)
    data = text.encode("utf-8", errors="surrogatepass")
    # A value replaced is often worth trying intact: bytes spliced in would mostly break the syntax.
    changed = data != files[name].encode()
    for _ in range(draw(st.integers(0, 1) if changed else st.integers(1, 3))):
        data = _mutate_bytes(data, draw)
    return {**{other: content.encode("utf-8") for other, content in files.items()}, name: data}


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    # brat imports the folder; every other format one file.
    return folder if len(files) > 1 else folder / next(iter(files))


def crash_site(error: BaseException) -> str:
    """The exception and the innermost frame of tagline's code it passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if f"{os.sep}tagline{os.sep}" in frame.filename] or frames
    frame = ours[-1]
    return f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno} ({str(error)[:120]})"


def import_outcome(workspace, folder: Path, files: dict[str, bytes], fmt: str) -> str | None:
    """``None`` when the import worked or was refused with a TaglineError; otherwise the crash."""
    target = _write(folder, files)
    try:
        import_file(workspace, target, fmt=fmt, annotator="bob", predictions=True, dry_run=True)
    except TaglineError:
        return None
    except Exception as error:  # what this test is for: any other exception is a traceback for the user
        return crash_site(error)
    return None


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_a_damaged_import_file_is_read_or_refused_with_an_error(fmt, workspace, seeds):
    @SETTINGS
    @given(files=mutated_files(seeds[fmt], fmt))
    def check(files):
        with tempfile.TemporaryDirectory() as folder:
            crash = import_outcome(workspace, Path(folder), files, fmt)
        assert crash is None, crash

    check()


# --- corpus add ------------------------------------------------------------------------------------

DOCUMENT_SEEDS = {
    "txt": {"doc.txt": "東京はDeepSeekの本社がある。\n\nIt is 5 degrees.\n"},
    "md": {"doc.md": "# 見出し\n\n- 東京はDeepSeekの本社がある。\n"},
    "jsonl": {"docs.jsonl": json.dumps({"id": "a", "text": "東京に行った。", "lang": "ja", "split": "train",
                                        "meta": {"source": "web", "tags": ["x"]}}, ensure_ascii=False)
              + "\n" + json.dumps({"text": "It rained.", "lang": "en"}) + "\n"},
    "csv": {"docs.csv": 'id,text,lang,source\na,東京に行った。,ja,web\nb,"It rained,\nthen ""stopped"".",en,\n'},
}


def document_outcome(folder: Path, files: dict[str, bytes], fmt: str) -> str | None:
    """``None`` when the documents are read and can be stored, or are refused with a TaglineError;
    otherwise the crash."""
    path = _write(folder, files)
    try:
        for document in read_documents(path, fmt=fmt, max_document_bytes=2**20):
            orjson.dumps({"meta": document.meta})  # documents.jsonl stores the meta this way
    except TaglineError:
        return None
    except Exception as error:
        return crash_site(error)
    return None


@pytest.mark.parametrize("fmt", sorted(DOCUMENT_SEEDS))
def test_a_damaged_document_is_read_or_refused_with_an_error(fmt):
    @SETTINGS
    @given(files=mutated_files(DOCUMENT_SEEDS[fmt], fmt))
    def check(files):
        with tempfile.TemporaryDirectory() as folder:
            crash = document_outcome(Path(folder), files, fmt)
        assert crash is None, crash

    check()


# --- tagline.toml ----------------------------------------------------------------------------------

TOML_VALUES = ["nan", "+nan", "-nan", "inf", "-inf", "1e400", "0.0", "-0.5", "1.5", "0", "-1", "4294967295",
               "4294967296", "18446744073709551616", "9223372036854775807", "1" * 5000, "true", '""', '"x"',
               '"\\ud800"', '"\\u0000"', "[]", "{}", "[nan, 0.5, 0.5]", "[0.5, 0.5]", "[0.8, 0.1, 0.1, 0.0]",
               "[" * 3000 + "]" * 3000, "{a = " * 3000 + "1" + "}" * 3000, "1979-05-27", "[[1]]"]

SPLIT_VALUES = {
    "ratios": ["[nan, 0.5, 0.5]", "[0.5, nan]", "[inf, 0.1, 0.1]", "[0.8, 0.1, -inf]", "[1e400, 0.5]", "[0.5, 0.5]",
               "[1.0, 0.0]", "[0.7, 0.3, 0.0]", "[]", "[0.9999999, 0.0000001]", "[1e-320, 1.0]", "[0.5, 0.5, 0]"],
    "seed": ["0", "-1", "4294967295", "4294967296", "18446744073709551616", "9223372036854775807", "nan", "1.5",
             '"13"', "1" * 5000],
    "group_by": ['"none"', '"doc"', '""', "1"],
}


@st.composite
def mutated_toml(draw) -> bytes:
    text = render_toml(default_config())
    lines = text.split("\n")
    if draw(st.booleans()):
        assignments = [index for index, line in enumerate(lines) if " = " in line]
        # The [split] values reach the build; drawing them as often as all the others together.
        split_values = [index for index in assignments if index > lines.index("[split]")]
        index = draw(st.sampled_from(split_values) | st.sampled_from(assignments))
        key = lines[index].split(" = ", 1)[0]
        values = st.sampled_from(TOML_VALUES)
        if key in SPLIT_VALUES:
            values = st.sampled_from(SPLIT_VALUES[key]) | values
        lines[index] = f"{key} = {draw(values)}"
    data = "\n".join(lines).encode("utf-8")
    for _ in range(draw(st.integers(0, 2))):
        data = _mutate_bytes(data, draw)
    return data


def config_outcome(folder: Path, data: bytes) -> str | None:
    """``None`` when tagline.toml is refused with a TaglineError, or when it loads and its split settings
    can split a build; otherwise what went wrong."""
    from tagline.eval.build import assign_splits

    path = folder / "tagline.toml"
    path.write_bytes(data)
    try:
        config = load_config(path)
    except TaglineError:
        return None
    except Exception as error:
        return crash_site(error)
    split = config.split
    doc_ids = [f"d{number}" for number in range(20)]
    try:
        assign_splits(doc_ids, None, [None] * len(doc_ids), split["ratios"], split["group_by"], split["seed"])
    except Exception as error:  # a TaglineError too: the configuration was accepted, so the build must work
        return f"validated split settings {split} break a build: {crash_site(error)}"
    return None


@SETTINGS
@given(data=mutated_toml())
def test_a_damaged_tagline_toml_is_read_or_refused_with_an_error(data):
    with tempfile.TemporaryDirectory() as folder:
        crash = config_outcome(Path(folder), data)
    assert crash is None, crash


@pytest.mark.parametrize("offsets", ["9" * 5002 + "-3", "0-²", "١-3"])
def test_webanno_offsets_that_are_not_plain_numbers_are_refused_with_the_line(offsets):
    """Found by the fuzz test above: a token line's offsets of thousands of digits (or of digits
    not ASCII) were a ValueError from int(), not the reader's one-line error."""
    from tagline.annotate.formats.webanno import _token
    from tagline.errors import InputError

    with pytest.raises(InputError, match="are not BEGIN-END"):
        _token(f"1-1\t{offsets}\tTim\tPERSON[1]\t", 7, "seed.tsv:7")
