"""The bulk readers of Label Studio task arrays and CoNLL files: the records, line numbers and
workspace files of the record-by-record readers, the general reader for whatever is not plain, and
bad records refused where they are with nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_import_bulk import workspace_files

from tagline.annotate.formats import conll, conll_bulk, label_studio, label_studio_bulk, label_studio_columns
from tagline.annotate.formats.common import ForeignAnswer, ForeignRecord, ForeignSpan, ReadOptions, ReadResult
from tagline.annotate.interop import bulk_columns, bulk_tasks, import_file
from tagline.annotate.interop.labels import LabelMapper
from tagline.corpus.workspace import init_workspace
from tagline.errors import DataError, InputError

from conftest import interop_cli as cli


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def span(start: int, end: int, label: str, text: str | None = None) -> dict:
    value: dict = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"id": "r", "from_name": "label", "to_name": "text", "type": "labels", "value": value, "origin": "manual"}


def awkward_tasks() -> list[dict]:
    """Tasks that are plain, but each in its own awkward way."""
    two_labels = span(2, 14, "PERSON", "Alice Moreau")
    two_labels["value"]["labels"].append("ORG")
    return [
        {"id": 7, "data": {"text": "  Alice Moreau went to Paris.  ", "n": 1, "flag": True, "deep": {"x": [1]}},
         "annotations": [
             {"id": 11, "completed_by": {"email": "alice@example.com"}, "lead_time": 3.5,
              "result": [span(23, 28, "GPE", "Paris"), two_labels, span(23, 28, "GPE", "Paris")]},
             {"completed_by": 3, "result": []}],
         "predictions": [], "meta": {"any": [[{"thing": None}]]}, "created_at": "2024-01-01T00:00:00Z"},
        {"data": {"text": 'Émile 😀 met Bob, "quoted" \\ back\u2028slash\ttab.'},  # no id: numbered
         "annotations": [{"completed_by": {"username": "bob"}, "result": [span(12, 15, "PERSON")]}]},
        {"id": "", "data": {"text": "No annotations at all."}, "annotations": None},
        {"id": "t/4", "data": {"text": "Carol wrote this."},
         "annotations": [{"completed_by": "carol", "ground_truth": True, "result": [span(0, 5, "PERSON", "Carol")]},
                         {"completed_by": {"id": 9}, "result": None}]},
        {"id": 5, "data": {"text": "Nobody says who."}, "annotations": [{"result": [span(0, 6, "PERSON")]}]},
    ]


LAYOUTS = {
    "indented": lambda tasks: json.dumps(tasks, indent=2, ensure_ascii=False),
    "one line": lambda tasks: json.dumps(tasks),  # every task on line 1: told apart by their numbers
    "crlf": lambda tasks: "\r\n\r\n " + json.dumps(tasks, indent=1).replace("\n", "\r\n") + "\r\n",
    "mixed": lambda tasks: "[" + ",\n\n".join(json.dumps(task, ensure_ascii=False) for task in tasks[:3]) + ", " +
                           " , ".join(json.dumps(task) for task in tasks[3:]) + "\n]\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("options", [ReadOptions(), ReadOptions(predictions=True, split="test", lang="en")])
def test_a_plain_task_array_is_read_in_bulk_as_the_task_reader_reads_it(tmp_path, layout, options):
    path = tmp_path / "tasks.json"
    path.write_bytes(LAYOUTS[layout](awkward_tasks()).encode("utf-8"))
    plain = label_studio_bulk.read_plain(path, options)
    assert plain is not None
    assert plain == label_studio.read_tasks(path, options)
    assert label_studio.read(path, options) == plain
    wheres = [record.where for record in plain.records]
    if layout == "one line":
        assert wheres == [f"{path}:1"] + [f"{path}:1 (record {number})" for number in range(2, 6)]
    if layout == "mixed":
        assert wheres == [f"{path}:1", f"{path}:3", f"{path}:5", f"{path}:5 (record 4)", f"{path}:5 (record 5)"]


def test_a_text_field_named_on_the_command_line_is_read_in_bulk(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": {"body": "Alice left.", "text": "not this"},
                                 "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON")]}]}]),
                    encoding="utf-8")
    options = ReadOptions(text_field="body")
    plain = label_studio_bulk.read_plain(path, options)
    assert plain is not None and plain == label_studio.read_tasks(path, options)
    assert plain.records[0].text == "Alice left." and plain.records[0].meta == {"text": "not this"}


NOT_PLAIN = {
    "a choice": {"type": "choices", "value": {"choices": ["FACT"]}},
    "another result type": {"type": "textarea", "value": {"text": ["a note"]}},
    "labels as a string": {"type": "labels", "value": {"start": 0, "end": 5, "labels": "PERSON"}},
    "no label": {"type": "labels", "value": {"start": 0, "end": 5, "labels": []}},
    "a float offset": {"type": "labels", "value": {"start": 0.0, "end": 5, "labels": ["PERSON"]}},
    "a boolean offset": {"type": "labels", "value": {"start": False, "end": 5, "labels": ["PERSON"]}},
    "a covered text that is a number": {"type": "labels", "value": {"start": 0, "end": 5, "text": 5,
                                                                    "labels": ["PERSON"]}},
}


@pytest.mark.parametrize("what", sorted(NOT_PLAIN))
def test_a_result_that_is_not_a_span_leaves_the_file_to_the_task_reader(tmp_path, what):
    path = tmp_path / "tasks.json"
    tasks = [{"id": 1, "data": {"text": "Alice left."},
              "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON"), NOT_PLAIN[what]]}]}]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    assert label_studio_bulk.read_plain(path, ReadOptions()) is None


def plain_task(**changes) -> dict:
    task: dict = {"id": 1, "data": {"text": "Alice left."},
                  "annotations": [{"completed_by": 1, "result": [span(0, 5, "PERSON")]}]}
    task.update(changes)
    return task


DEEP: list = []
for _ in range(70):
    DEEP = [DEEP]


@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbf" + json.dumps([plain_task()]).encode(),  # a byte order mark
    json.dumps(plain_task()).encode(),  # one task, not an array
    json.dumps(plain_task()).encode() + b"\n" + json.dumps(plain_task(id=2)).encode(),  # JSON Lines
    json.dumps([plain_task()]).encode() + b" trailing",  # text after the array
    json.dumps([plain_task()]).encode().replace(b"Alice", b"Al\xe9ce"),  # not UTF-8
    json.dumps([plain_task()]).encode() + b"\x00",  # a NUL byte
    json.dumps([plain_task()]).encode().replace(b"Alice", b"Al\\ud83dce"),  # a lone surrogate
    b"[]",  # no task
    json.dumps([plain_task(), 3]).encode(),  # a task that is not an object
    json.dumps([plain_task(), plain_task(predictions=[{"result": []}])]).encode(),
    json.dumps([plain_task(completions=[])]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "sentence_id": "d-s0001"})]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "tagline_annotator": "ann"})]).encode(),
    json.dumps([plain_task(data={"text": "   "})]).encode(),  # no text
    json.dumps([plain_task(data={"body": "Alice left."})]).encode(),  # the text in another field
    json.dumps([plain_task(annotations=[{"completed_by": 1, "was_cancelled": True, "result": []}])]).encode(),
    json.dumps([plain_task(annotations=[{"completed_by": 1, "result": [], "tagline_tasks": ["entities"]}])]).encode(),
    json.dumps([plain_task(annotations=[{"completed_by": 1, "result": []}])]).encode(),  # no span in the file
    json.dumps([plain_task(id=True)]).encode(),
    json.dumps([plain_task(data={"text": "Alice left.", "deep": DEEP})]).encode(),  # nested past the limit
])
def test_what_is_not_a_plain_task_array_is_left_to_the_task_reader(tmp_path, content):
    path = tmp_path / "tasks.json"
    path.write_bytes(content)
    assert label_studio_bulk.read_plain(path, ReadOptions()) is None


def imported(tmp_path: Path, name: str, source: Path, monkeypatch, module, reader: str, **options) -> tuple[dict, dict]:
    """The summary and the workspace files of importing ``source`` into a new workspace, with the
    bulk reader ``module.reader`` or (``module`` None) without it."""
    workspace = init_workspace(tmp_path / name, language="en")
    with monkeypatch.context() as patch:
        if module is not None:
            patch.setattr(module, reader, lambda *arguments: None)
            patch.setattr(bulk_tasks, "import_plain_tasks", lambda *arguments, **options: None)
        summary = import_file(workspace, source, **options)
    return summary, workspace_files(workspace.root)


@pytest.mark.parametrize("options", [{"annotator": "dave"}, {"annotator": "dave", "split": "validation", "lang": "ja"}])
def test_a_label_studio_import_in_bulk_writes_the_files_of_the_task_reader(tmp_path, monkeypatch, options):
    source = tmp_path / "tasks.json"
    source.write_text(LAYOUTS["mixed"](awkward_tasks()), encoding="utf-8")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"ORG": ""}', encoding="utf-8")
    options = {"fmt": "label-studio", "label_map": label_map, **options}
    fast = imported(tmp_path, "fast", source, monkeypatch, None, "", **options)
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", **options)
    assert fast == general
    summary, files = fast
    assert summary["events"] == {"alice_example.com": 1, "bob": 1, "carol": 1, "dave": 1, "user3": 1, "user9": 1}
    assert '"source":"' + str(source) + ':5 (record 4)"' in files["documents.jsonl"]


def test_a_bad_span_in_a_plain_task_array_is_refused_at_its_line_with_nothing_written(tmp_path, monkeypatch):
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    tasks = [plain_task(id=number) for number in range(1, 300)]
    tasks.append(plain_task(id=300, annotations=[{"completed_by": 1, "result": [span(0, 40, "PERSON")]}]))
    Path("tasks.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "tasks.json", "--format", "label-studio", "-w", str(workspace.root)])
    assert result.exit_code == 2
    line = max(number for number, text in enumerate(json.dumps(tasks, indent=2).split("\n"), 1) if text == "  {")
    assert result.output.strip().splitlines()[-1].startswith(f"Error: tasks.json:{line} annotation 1: span 0:40")
    assert workspace_files(workspace.root) == before


AWKWARD_CONLL = """-DOCSTART- -X- O O

Alice B-PERSON
Moreau I-PERSON
left O
Paris B-GPE
, O
France B-GPE
. O


He O
did O
n't O
say O
( O
yet O
) O
, O
"" O
the B-ORG
'' O
can O
not I-ORG
. O
-DOCSTART- -X- O O
Émile B-PERSON
met O
東京 B-GPE
and O
-LRB- O
Bob S-PERSON
-RRB- O
...
Acme I-ORG
Corp I-ORG
Globex I-ORG
Ltd E-ORG
spent O
$ B-MONEY
5 I-MONEY
million I-MONEY
% O
and O
Ann U-PERSON
Lee U-PERSON
met B-PERSON
Ida I-GPE
Ray I-GPE
in L-GPE
2019 I-DATE
# O
#x O
teachers O
' O
books B-PRODUCT

"""


def awkward_conll(columns: int, crlf: bool, tabs: bool = False) -> str:
    text = AWKWARD_CONLL.replace("\n...\n", "\n\n\n")
    if columns > 2:
        text = "\n".join(line if not line or line.startswith("-DOCSTART-") else
                         " ".join([line.split(" ")[0]] + ["X"] * (columns - 2) + [line.split(" ")[1]])
                         for line in text.split("\n"))
    if tabs:  # then a token may hold a space
        text = text.replace(" ", "\t").replace("Moreau\t", "Moreau Jr\t").replace("|", "")
    return text.replace("\n", "\r\n") if crlf else text


def awkward_file(tmp_path: Path, monkeypatch, columns: int, crlf: bool, tabs: bool, lang: str | None,
                 block: int) -> tuple[Path, ReadOptions]:
    """An awkward CoNLL file, read ``block`` sentences at a time, and the options to read it in ``lang``."""
    path = tmp_path / "file.conll"
    path.write_bytes(awkward_conll(columns, crlf, tabs).encode("utf-8"))
    monkeypatch.setattr(conll_bulk, "BLOCK_BYTES", block)
    return path, ReadOptions(lang=lang)


@pytest.mark.parametrize("columns,crlf,tabs", [(2, False, False), (4, True, False), (3, False, True), (2, False, True)])
@pytest.mark.parametrize("lang", ["en", "ja", None])
@pytest.mark.parametrize("block", [conll_bulk.BLOCK_BYTES, 1, 2])
def test_a_plain_conll_file_is_read_in_bulk_as_the_line_reader_reads_it(tmp_path, monkeypatch, columns, crlf, tabs,
                                                                        lang, block):
    path, options = awkward_file(tmp_path, monkeypatch, columns, crlf, tabs, lang, block)
    plain = conll_bulk.read_plain(path, options)
    assert plain is not None
    assert plain == conll.read_lines(path, options)
    assert [record.where for record in plain.records] == [f"{path}:{line}" for line in (3, 12, 27, 36)]
    if lang == "en" and not tabs:  # the first sentence's text made in bulk, the others' by the general reader's rules
        assert [record.text for record in plain.records] == [
            "Alice Moreau left Paris, France.", "He didn't say (yet), \"\" the” cannot.", "Émile met東京and (Bob)",
            "Acme Corp Globex Ltd spent $5 million% and Ann Lee met Ida Ray in 2019 ##x teachers' books"]


def test_tags_are_decoded_in_bulk_as_one_by_one():
    """Every sequence of a few tags, in sentences of one to four tokens."""
    import itertools

    from tagline.annotate.formats.tokens import decode_tags, parse_tag

    tags = ["O", "B-A", "I-A", "E-A", "S-A", "L-B", "U-B", "I-B"]
    sentences = [list(sequence) for size in (1, 2, 3, 4) for sequence in itertools.product(tags, repeat=size)]
    lines = []
    for number, sentence in enumerate(sentences):
        lines += [f"w{number}x{index} {tag}" for index, tag in enumerate(sentence)] + [""]
    reading = conll_bulk._Reading("file.conll", "en")
    (block,) = conll_bulk._blocks("\n".join(lines).encode("utf-8"), " ")
    records = reading.records(block, 0)
    for sentence, record in zip(sentences, records):
        words = record.text.split(" ")
        starts = [sum(len(word) + 1 for word in words[:index]) for index in range(len(words) + 1)]
        expected = [(starts[first], starts[stop] - 1, label) for first, stop, label in
                    decode_tags([parse_tag(tag) for tag in sentence])]
        assert [(span.start, span.end, span.label) for span in record.answers[0].spans] == expected, sentence


@pytest.mark.parametrize("content", [
    "Alice\tB-PERSON\nleft O\n",  # a line without the tab of the others
    "Alice\tB-PERSON\t\n",  # an empty last column
    "Alice\t\tB-PERSON\n",
    "Alice|NNP|B-PERSON left|VBD|O\n",  # one sentence a line
    "# text = Alice left\nAlice B-PERSON\nleft O\n",  # a comment
    "\ufeffAlice B-PERSON\n",  # a byte order mark
    "Alice B-PERSON\nleft X O\n",  # columns that vary
    "Alice B-PERSON\nleft  O\n",  # an empty column
    " Alice B-PERSON\n",  # white space at the start of a line
    "Alice B-PERSON \n",
    "Alice B-PERSON\n \nleft O\n",  # a line of white space
    "Alice PERSON\n",  # not a tag
    "Alice\nleft\n",  # one column
    "\n\n-DOCSTART- -X- O O\n\n",  # no token
    "Alice B-PERSON\r\rleft O\n",
])
def test_what_is_not_a_plain_conll_file_is_left_to_the_line_reader(tmp_path, monkeypatch, content):
    path = tmp_path / "file.conll"
    path.write_text(content, encoding="utf-8", newline="")
    assert conll_bulk.read_plain(path, ReadOptions(lang="en")) is None
    assert conll_bulk.read_columns(path, ReadOptions(lang="en")) is None
    assert conll_bulk.read_plain(tmp_path / "file.conll", ReadOptions(lang="en", columns="token,tag")) is None


@pytest.mark.parametrize("options", [{}, {"split": "test", "lang": "ja"}])
def test_a_conll_import_in_bulk_writes_the_files_of_the_line_reader(tmp_path, monkeypatch, options):
    source = tmp_path / "file.conll"
    source.write_text(awkward_conll(2, False), encoding="utf-8")
    label_map = tmp_path / "map.json"
    label_map.write_text('{"MONEY": "", "B": "PERSON"}', encoding="utf-8")
    options = {"fmt": "conll", "annotator": "carol", "label_map": label_map, **options}
    taken = []
    real = bulk_columns.import_span_columns
    monkeypatch.setattr(bulk_columns, "import_span_columns", lambda *arguments: taken.append(real(*arguments)) or
                        taken[-1])
    fast = imported(tmp_path, "fast", source, monkeypatch, None, "", **options)
    assert taken and taken[0] is not None  # read and written as columns
    monkeypatch.setattr(conll_bulk, "read_columns", lambda *arguments: None)
    records = imported(tmp_path, "records", source, monkeypatch, None, "", **options)  # records read in bulk
    general = imported(tmp_path, "general", source, monkeypatch, conll_bulk, "read_plain", **options)
    assert fast == records == general
    assert fast[0]["events"] == {"carol": 4}
    assert fast[0]["warnings"] == ["1 label left out as the label map says"]


def test_a_conll_import_as_columns_written_a_chunk_at_a_time_makes_the_files_of_the_general_path(tmp_path,
                                                                                                 monkeypatch):
    source = tmp_path / "file.conll"
    source.write_text(awkward_conll(2, False), encoding="utf-8")
    monkeypatch.setattr(bulk_columns, "CHUNK_RECORDS", 2)  # the texts, sentences and answers in several appends
    options = {"fmt": "conll", "annotator": "dave", "split": "train"}
    chunked = imported(tmp_path, "chunked", source, monkeypatch, None, "", **options)
    monkeypatch.setattr(conll_bulk, "read_columns", lambda *arguments: None)
    general = imported(tmp_path, "general", source, monkeypatch, conll_bulk, "read_plain", **options)
    assert chunked == general
    assert '"split":"train"' in chunked[1]["sentences.jsonl"]


@pytest.mark.parametrize("text, why", [
    ("Alice B-PERSON\nleft O\n\nBob B-PERSON\nleft O\n", "a document already in the workspace"),
    ("Alice B-NOPE\nleft O\n", "a label neither configured nor mapped"),
])
def test_conll_columns_that_are_not_plain_are_left_to_the_general_path(tmp_path, monkeypatch, text, why):
    source = tmp_path / "file.conll"
    source.write_text(text, encoding="utf-8")
    workspace = init_workspace(tmp_path / "ws", language="en")
    if why.startswith("a document"):
        import_file(workspace, source, fmt="conll", annotator="carol")
    columns = conll_bulk.read_columns(source, ReadOptions(lang="en"))
    assert columns is not None
    assert bulk_columns.import_span_columns(workspace, columns, "conll", "dave", LabelMapper(workspace.config, {}),
                                            None, None, False, lambda *arguments: None) is None


def test_random_conll_files_are_read_in_bulk_as_line_by_line(tmp_path, monkeypatch):
    """Files of random tokens (words, punctuation, brackets, clitics, quotes, wide characters),
    random tags (some not tags at all) and random blank and DOCSTART lines: whenever the bulk reader
    takes one, it gives the line reader's records."""
    import random

    chooser = random.Random(11)
    tokens = ["Alice", "left", "2019", "U.S.", "e-mail", ".", ",", "%", "...", ")", "(", "n't", "'s", "''", "``",
              '"', "$", "#", "can", "not", "東京", "Émile", "-LRB-", "x1", "3.5"]
    tags = ["O", "O", "O", "B-PER", "I-PER", "E-PER", "S-ORG", "L-ORG", "U-ORG", "I-ORG", "B-ORG"]
    monkeypatch.setattr(conll_bulk, "BLOCK_BYTES", 3)
    taken = 0
    for attempt in range(200):
        lines = []
        for _ in range(chooser.randint(1, 8)):
            lines += [""] * chooser.randint(0, 2) + (["-DOCSTART- -X- O O"] if chooser.random() < 0.2 else [])
            lines += [f"{chooser.choice(tokens)} {chooser.choice(tags)}" for _ in range(chooser.randint(1, 6))]
        if chooser.random() < 0.05:
            lines.append("Bob X-PER")
        if attempt % 3 == 0:  # columns a tab apart, a token with a space in it
            lines = [line.replace(" ", "\t").replace("U.S.\t", "New York\t") for line in lines]
        path = tmp_path / f"file{attempt}.conll"
        path.write_text("\n".join(lines) + "\n" * chooser.randint(0, 2), encoding="utf-8")
        for lang in ("en", None) if attempt % 10 == 0 else ("en",):  # None: each record's language guessed
            plain = conll_bulk.read_plain(path, ReadOptions(lang=lang))
            if plain is not None:
                taken += 1
                assert plain == conll.read_lines(path, ReadOptions(lang=lang)), path.read_text("utf-8")
            assert as_records(conll_bulk.read_columns(path, ReadOptions(lang=lang))) == plain
    assert taken > 150


def test_the_layout_of_a_conll_file_checked_some_lines_at_a_time_is_the_layout_of_the_whole(monkeypatch):
    """Each block of lines (down to a sentence at a time) must have the columns of the first."""
    texts = [conll_bulk._DOCSTART.sub("", awkward_conll(columns, False)) for columns in (2, 4)]
    texts += ["a O\n\nb O\nc O\n", "a O\n\n\n", "a O\n\nb X O\n", "a O\n\nb\n", "a\n", "a O\n\nb O\n\nc\n",
              "a O\n\nb O\n\nc X O\n"]

    def plain(text: str, block: int) -> bool:
        monkeypatch.setattr(conll_bulk, "BLOCK_BYTES", block)
        try:
            list(conll_bulk._blocks(text.encode("utf-8"), " "))
        except conll_bulk._NotPlain:
            return False
        return True

    for text in texts:
        assert plain(text, 1) == plain(text, 5) == plain(text, 1 << 24), text
    assert [plain(text, 1) for text in texts] == [True] * 4 + [False] * 5


def as_records(columns: conll_bulk.SpanColumns | None) -> ReadResult | None:
    """The records of the columns, as the bulk reader gives them."""
    if columns is None:
        return None
    records = [ForeignRecord(text=text, where=f"{columns.path}:{line}", key=str(number),
                             answers=[ForeignAnswer("spans", f"{columns.path}:{line}", spans=[])])
               for number, (text, line) in enumerate(zip(columns.texts, columns.lines), 1)]
    for record, start, end, label in zip(*(column.tolist() for column in columns.spans())):
        text = records[record].text
        records[record].answers[0].spans.append(ForeignSpan(start, end, columns.labels[label], text[start:end]))
    return ReadResult(records, own_offsets=True)


@pytest.mark.parametrize("columns,crlf,tabs", [(2, False, False), (4, True, False), (3, False, True)])
@pytest.mark.parametrize("lang", ["en", "ja", None])
@pytest.mark.parametrize("block", [conll_bulk.BLOCK_BYTES, 1, 2])
def test_a_plain_conll_file_read_as_columns_holds_the_records_read_in_bulk(tmp_path, monkeypatch, columns, crlf, tabs,
                                                                          lang, block):
    path, options = awkward_file(tmp_path, monkeypatch, columns, crlf, tabs, lang, block)
    read = conll_bulk.read_columns(path, options)
    assert read is not None and len(read.texts) == 4
    assert as_records(read) == conll_bulk.read_plain(path, options)


def test_random_task_arrays_are_read_in_bulk_as_task_by_task(tmp_path):
    """Arrays of random tasks (annotators named in every way, spans, meta, some not plain) in random
    layouts: whenever the bulk reader takes one, it gives the task reader's records and lines."""
    import random

    chooser = random.Random(5)
    annotators = [{"email": "a@example.com"}, {"username": "bob"}, {"id": 4}, 7, "carol", None, {}]
    results = [span(0, 5, "PERSON", "Alice"), span(6, 10, "GPE"), span(0, 3, "ORG", "Ali"),
               {"type": "choices", "value": {"choices": ["FACT"]}}]
    extras = [{}, {"page": 2}, {"origin": "web"}, {"score": 0.5}, {"flag": False}]
    taken = 0
    for attempt in range(150):
        tasks = []
        for number in range(chooser.randint(1, 6)):
            task: dict = {"data": {"text": "Alice left.", **chooser.choice(extras)}}
            if chooser.random() < 0.8:
                task["id"] = chooser.choice([number, str(number), f"t{number}", ""])
            task["annotations"] = [
                {**({"completed_by": who} if (who := chooser.choice(annotators)) is not None else {}),
                 "result": chooser.sample(results[:3] if chooser.random() < 0.9 else results, chooser.randint(0, 2))}
                for _ in range(chooser.randint(0, 2))]
            tasks.append(task)
        indent = chooser.choice([None, 0, 1, 4, "\t"])
        separators = chooser.choice([(",", ":"), (", ", ": "), (" ,\n", " : ")]) if indent is None else None
        text = json.dumps(tasks, indent=indent, separators=separators, ensure_ascii=chooser.random() < 0.5)
        path = tmp_path / f"tasks{attempt}.json"
        path.write_text(chooser.choice(["", "\n", " \r\n"]) + text + chooser.choice(["", "\n"]), encoding="utf-8")
        plain = label_studio_bulk.read_plain(path, ReadOptions())
        if plain is not None:
            taken += 1
            assert plain == label_studio.read_tasks(path, ReadOptions()), path.read_text("utf-8")
    assert taken > 50


@pytest.mark.parametrize("fmt", ["label-studio", "conll"])
def test_plain_records_written_a_chunk_at_a_time_make_the_files_of_the_general_path(tmp_path, monkeypatch, fmt):
    from tagline.annotate.interop import bulk_records

    source = tmp_path / ("tasks.json" if fmt == "label-studio" else "file.conll")
    source.write_text(LAYOUTS["mixed"](awkward_tasks()) if fmt == "label-studio" else awkward_conll(2, False),
                      encoding="utf-8")
    # The texts, sentences and answers in several appends; a Label Studio file's chunks are checked
    # and written as the file is read.
    bulk = bulk_tasks if fmt == "label-studio" else bulk_records
    monkeypatch.setattr(bulk, "CHUNK_RECORDS", 2)
    taken = []
    entry = "import_plain_tasks" if fmt == "label-studio" else "import_plain_records"
    real = getattr(bulk, entry)

    def watched(*arguments, **options):
        taken.append(real(*arguments, **options))
        return taken[-1]

    options = {"fmt": fmt, "annotator": "dave", "split": "train"}
    monkeypatch.setattr(conll_bulk, "read_columns", lambda *arguments: None)  # CoNLL's records, not its columns
    monkeypatch.setattr(bulk, entry, watched)
    chunked = imported(tmp_path, "chunked", source, monkeypatch, None, "", **options)
    general = imported(tmp_path, "general", source, monkeypatch, bulk_records, "import_plain_records", **options)
    assert taken and taken[0] is not None
    assert chunked == general


AWKWARD_TEXT = st.lists(st.sampled_from(list('ab []{},:"\\/\t') + ["\u2028", "é", "😀", "\\u", "\\\"", "\"}", "}]"]),
                        min_size=1, max_size=12).map("".join)


@st.composite
def task_arrays(draw) -> tuple[bytes, bool]:
    """A task array of strings holding brackets, braces, escaped quotes and backslashes, in a random
    layout (indented or not, CRLF, white space around it, sometimes a byte order mark); whether it
    has the mark."""
    tasks = []
    for number in range(draw(st.integers(1, 6))):
        text = "x" + draw(AWKWARD_TEXT) + "y"
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        annotations = [{"completed_by": draw(st.sampled_from([{"email": "a@example.com"}, "bob", 3])),
                        "result": [span(start, end, "PERSON", text[start:end])] * draw(st.integers(0, 2))}
                       for _ in range(draw(st.integers(0, 2)))]
        tasks.append({"id": number, "data": {"text": text, "note": draw(AWKWARD_TEXT)}, "annotations": annotations,
                      "meta": {"deep": [{"s": draw(AWKWARD_TEXT)}]}})
    indent = draw(st.sampled_from([None, 0, 1, 2, "\t"]))
    text = json.dumps(tasks, indent=indent, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    text = draw(st.sampled_from(["", "\n", " \r\n "])) + text + draw(st.sampled_from(["", "\n", "\r\n"]))
    bom = draw(st.integers(0, 9)) == 0
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"), bom


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=task_arrays(), block=st.sampled_from([1, 2, 5, 16, 61, 200, 1 << 23]))
def test_task_arrays_read_a_block_at_a_time_give_the_task_readers_records(tmp_path, array, block):
    """Whatever the blocks the file is read in (a task, a string, an escape cut between two), the
    bulk reader gives the task reader's records and lines, or leaves the file to it (a byte order mark)."""
    content, bom = array
    path = tmp_path / "tasks.json"
    path.write_bytes(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(label_studio_bulk, "_BLOCK", block)
        plain = label_studio_bulk.read_plain(path, ReadOptions())
    general = label_studio.read_tasks(path, ReadOptions())
    if bom:
        assert plain is None
    elif any(answer.spans for record in general.records for answer in record.answers):
        assert plain == general, content
    else:
        assert plain is None  # no span in the file: the task reader's


def test_a_task_array_is_read_and_made_records_a_block_at_a_time(tmp_path, monkeypatch):
    """The records of the first blocks come before the rest of the file is read: a file found not
    plain at its end has given records already."""
    path = tmp_path / "tasks.json"
    tasks = [plain_task(id=number) for number in range(1, 201)]
    path.write_text(json.dumps(tasks, indent=2)[:-1] + ', {"data": 3}]', encoding="utf-8")
    monkeypatch.setattr(label_studio_bulk, "_BLOCK", 4096)
    chunks = label_studio_bulk.plain_records(path, ReadOptions())
    first = next(chunks)
    assert 0 < len(first) < 200
    assert [record.key for record in first] == [str(number) for number in range(1, len(first) + 1)]
    with pytest.raises(label_studio_bulk.NotPlain):
        list(chunks)
    assert label_studio_bulk.read_plain(path, ReadOptions()) is None


@pytest.mark.parametrize("block", [97, 4096])
def test_a_label_studio_import_read_and_written_a_chunk_at_a_time_writes_the_files_of_the_task_reader(
        tmp_path, monkeypatch, block):
    tasks = awkward_tasks() + awkward_tasks() + awkward_tasks()
    for number, task in enumerate(tasks):
        task["id"] = number
    source = tmp_path / "tasks.json"
    source.write_text("\r\n" + json.dumps(tasks, indent=1, ensure_ascii=False).replace("\n", "\r\n"),
                      encoding="utf-8")
    monkeypatch.setattr(label_studio_bulk, "_BLOCK", block)
    monkeypatch.setattr(bulk_tasks, "CHUNK_RECORDS", 4)
    taken = []
    real = bulk_tasks.import_plain_tasks
    monkeypatch.setattr(bulk_tasks, "import_plain_tasks", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    options = {"fmt": "label-studio", "annotator": "dave", "split": "test"}
    chunked = imported(tmp_path, "chunked", source, monkeypatch, None, "", **options)
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", **options)
    assert taken and taken[0] is not None
    assert chunked == general
    assert "duplicate span" in " ".join(chunked[0]["warnings"])


def import_with_a_late_bad_task(tmp_path, monkeypatch, result: list) -> tuple:
    """An import of 299 plain tasks and a 300th whose one annotation's ``result`` is given, read in
    blocks of 1,000 bytes and written 50 records at a time; its result, the document lines written
    chunk by chunk, the line of the last task in the file, and whether the workspace is as before."""
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(label_studio_bulk, "_BLOCK", 1000)
    monkeypatch.setattr(bulk_tasks, "CHUNK_RECORDS", 50)
    tasks = [plain_task(id=number) for number in range(1, 300)]
    tasks.append(plain_task(id=300, annotations=[{"completed_by": 1, "result": result}]))
    Path("tasks.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    before = workspace_files(workspace.root)
    appended: list = []
    real = bulk_tasks._document_lines
    monkeypatch.setattr(bulk_tasks, "_document_lines", lambda *a: appended.append(real(*a)) or appended[-1])
    outcome = CliRunner().invoke(cli, ["import", "tasks.json", "--format", "label-studio", "-w", str(workspace.root)])
    line = max(number for number, text in enumerate(json.dumps(tasks, indent=2).split("\n"), 1) if text == "  {")
    return outcome, appended, line, workspace_files(workspace.root) == before


def test_a_bad_span_in_a_later_chunk_undoes_the_chunks_written_before_it(tmp_path, monkeypatch):
    result, appended, line, unchanged = import_with_a_late_bad_task(tmp_path, monkeypatch, [span(0, 40, "PERSON")])
    assert result.exit_code == 2
    assert len(appended) >= 5  # the chunks before the bad one were written, then undone
    assert result.output.strip().splitlines()[-1].startswith(f"Error: tasks.json:{line} annotation 1: span 0:40")
    assert unchanged


def test_a_dry_run_of_a_plain_task_array_reports_what_the_general_path_reports_and_writes_nothing(
        tmp_path, monkeypatch):
    source = tmp_path / "tasks.json"
    source.write_text(LAYOUTS["indented"](awkward_tasks()), encoding="utf-8")
    taken = []
    real = bulk_tasks.import_plain_tasks
    monkeypatch.setattr(bulk_tasks, "import_plain_tasks", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    options = {"fmt": "label-studio", "annotator": "dave", "dry_run": True}
    fast = imported(tmp_path, "fast", source, monkeypatch, None, "", **options)
    general = imported(tmp_path, "general", source, monkeypatch, label_studio_bulk, "read_plain", **options)
    assert taken and taken[0] is not None
    assert fast == general
    assert fast[0]["dry_run"] and fast[1] == workspace_files(init_workspace(tmp_path / "new", language="en").root)


def test_a_task_array_imported_again_is_left_to_the_general_path(tmp_path, monkeypatch):
    source = tmp_path / "tasks.json"
    source.write_text(LAYOUTS["indented"](awkward_tasks()), encoding="utf-8")
    taken = []
    real = bulk_tasks.import_plain_tasks
    monkeypatch.setattr(bulk_tasks, "import_plain_tasks", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    workspace = init_workspace(tmp_path / "ws", language="en")
    first = import_file(workspace, source, fmt="label-studio", annotator="dave")
    again = import_file(workspace, source, fmt="label-studio", annotator="dave")
    assert taken[0] is not None and taken[1] is None  # its documents are in the workspace now
    assert first["documents_added"] == 5 and again["documents_added"] == 0 and again["documents_unchanged"] == 5


@pytest.mark.parametrize("mark", ["-DOCSTART-", "-DOCSTART- -X- O O", "-DOCSTART-\u00a0O", "-DOCSTART-\x1cO",
                                  "-DOCSTART-\u3000O", "-DOCSTART-x O"])
@pytest.mark.parametrize("block", [conll_bulk.BLOCK_BYTES, 1])
def test_document_starts_are_blanked_in_bulk_as_the_line_reader_skips_them(tmp_path, monkeypatch, mark, block):
    """White space after the mark is Unicode's for the line reader: the bulk reader blanks the same lines."""
    monkeypatch.setattr(conll_bulk, "BLOCK_BYTES", block)
    path = tmp_path / "file.conll"
    path.write_text(f"{mark}\n\nAlice B-PERSON\nleft O\n\n{mark}\nBob B-PERSON\n", encoding="utf-8")
    for read in (conll_bulk.read_plain, lambda *arguments: as_records(conll_bulk.read_columns(*arguments))):
        plain = read(path, ReadOptions(lang="en"))
        assert plain is None or plain == conll.read_lines(path, ReadOptions(lang="en"))
    assert conll_bulk.read_plain(path, ReadOptions(lang="en")) is not None  # "-DOCSTART-x" a token, tagged O


def as_projection(records: list[ForeignRecord]) -> list[tuple]:
    """What a record of a plain task array holds that the columns hold too (all but ``gold``)."""
    return [(record.text, record.where, record.key, record.meta or None,
             [(answer.where, answer.annotator, [(span.start, span.end, span.label, span.text) for span in answer.spans])
              for answer in record.answers]) for record in records]


def columns_projection(path: Path) -> list[tuple] | None:
    """The tasks :func:`label_studio_columns.plain_columns` reads, made records again (see
    :func:`as_projection`), or None when it leaves the file to the general reader."""
    import numpy as np

    try:
        columns = label_studio_columns.TaskColumns.joined(
            list(label_studio_columns.plain_columns(path, ReadOptions())) or [])
    except label_studio_bulk.NotPlain:
        return None
    tasks = []
    for task, text in enumerate(columns.texts):
        answers = []
        for answer in np.flatnonzero(columns.answer_tasks == task).tolist():
            spans = [(int(columns.starts[index]), int(columns.ends[index]), columns.labels[index],
                      columns.span_texts[index]) for index in np.flatnonzero(columns.span_answers == answer).tolist()]
            answers.append((columns.answer_where(answer), columns.annotators[answer], spans))
        tasks.append((text, columns.wheres[task], columns.keys[task], columns.metas[task], answers))
    return tasks


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=task_arrays(), block=st.sampled_from([1, 2, 5, 16, 61, 200, 1 << 20]))
def test_task_arrays_read_as_columns_hold_the_records_read_in_bulk(tmp_path, array, block):
    """Whatever the blocks the file is read in, its columns hold the records the bulk reader gives
    (texts, sources, keys, meta, each annotation's annotator and spans), or both leave the file."""
    content, _ = array
    path = tmp_path / "tasks.json"
    path.write_bytes(content)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(label_studio_bulk, "_BLOCK", block)
        plain = label_studio_bulk.read_plain(path, ReadOptions())
        columns = columns_projection(path)
    assert columns == (as_projection(plain.records) if plain is not None else None), content


def random_task_array(chooser) -> str:
    """Tasks a plain import may take or not, in a random layout, the gaps between two tasks not all alike."""
    texts = ["Alice met Bob in Paris.", "  Carol left Osaka.  ", "Émile 😀 met Dan\u2028in Kyoto.", "Acme Corp"]
    labels = ["PERSON", "GPE", "ORG", "LOC", "MISC", "B-PER"]  # LOC: mapped; MISC: left out; B-PER: unknown
    annotators = [{"email": "a@example.com"}, {"username": "bob"}, {"id": 4}, 7, "carol", None, {"email": ""}]
    tasks = []
    for number in range(chooser.randint(1, 7)):
        text = chooser.choice(texts)
        data: dict = {"text": text, **chooser.choice([{}, {"page": 2}, {"origin": "web", "flag": True}])}
        task: dict = {"data": data}
        if chooser.random() < 0.9:
            task["id"] = chooser.choice([number + 1, number + 1, str(number + 1), f"t/{number}", ""])
        annotations = []
        for who in chooser.sample(annotators, chooser.randint(0, 3)):
            results = []
            for _ in range(chooser.randint(0, 4)):
                start = chooser.randint(0, len(text) - 1)
                end = chooser.randint(start + 1, len(text))
                result = span(start, end, chooser.choice(labels[:5] if chooser.random() < 0.95 else labels),
                              text[start:end] if chooser.random() < 0.7 else None)
                if chooser.random() < 0.2:
                    result["value"]["labels"].append(chooser.choice(labels[:3]))
                results.append(result)
            results += chooser.sample(results, min(len(results), chooser.randint(0, 1)))  # a span twice
            annotation: dict = {"result": results}
            if who is not None:
                annotation["completed_by"] = who
            annotations.append(annotation)
        task["annotations"] = annotations
        tasks.append(task)
    indent = chooser.choice([None, 1, 2, "\t"])
    parts = [json.dumps(task, indent=indent, ensure_ascii=chooser.random() < 0.5) for task in tasks]
    gaps = [chooser.choice([",", ", ", ",\n", "\n,\n\n  "]) if chooser.random() < 0.3 else "," + ("\n" if indent else "")
            for _ in parts[1:]]
    return "[" + parts[0] + "".join(gap + part for gap, part in zip(gaps, parts[1:])) + "]\n"


def test_random_task_arrays_imported_in_bulk_write_the_files_of_the_general_path(tmp_path, monkeypatch):
    """Random task arrays (spans inside the text or not, labels mapped, left out or unknown, spans
    repeated, several labels on a span, annotators named in every way or not at all), read a few
    bytes and written a few tasks at a time: an import that takes one writes what the general path
    writes, and says what it says."""
    assert sum(outcome is not None for outcome in random_task_arrays_compared(tmp_path, monkeypatch)) > 10


def random_task_arrays_compared(tmp_path, monkeypatch, first: str = "bulk", after_each=lambda: None) -> list:
    """Forty random task arrays imported by ``import_file`` (``first``) and by the general path, read a
    few bytes and written a few tasks at a time, each pair compared (files and errors); what each
    import's bulk reader returned (None where it left the file to the general path)."""
    import random

    chooser = random.Random(11)
    label_map = tmp_path / "map.json"
    label_map.write_text('{"LOC": "GPE", "MISC": ""}', encoding="utf-8")
    taken: list = []
    real = bulk_tasks.import_plain_tasks
    monkeypatch.setattr(bulk_tasks, "import_plain_tasks", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    for attempt in range(40):
        source = tmp_path / f"tasks{attempt}.json"
        source.write_text(random_task_array(chooser), encoding="utf-8")
        monkeypatch.setattr(label_studio_bulk, "_BLOCK", chooser.choice([64, 300, 1 << 20]))
        monkeypatch.setattr(bulk_tasks, "CHUNK_RECORDS", chooser.choice([1, 3, 10_000]))
        options = {"fmt": "label-studio", "label_map": label_map, "annotator": chooser.choice([None, "dave"])}
        outcomes = []
        for name, module in ((f"{first}{attempt}", None), (f"general{attempt}", label_studio_bulk)):
            try:
                outcomes.append(imported(tmp_path, name, source, monkeypatch, module, "read_plain", **options))
            except (DataError, InputError) as error:
                outcomes.append((str(error), workspace_files(tmp_path / name)))
        assert outcomes[0] == outcomes[1], source.read_text("utf-8")
        after_each()
    return taken


def test_annotator_ids_named_as_a_column_are_named_as_answer_by_answer():
    from tagline.annotate.interop.annotators import AnnotatorNames

    raws = ["a@example.com", None, "bob", "a@example.com", "user4", None]
    for option in (None, "dave"):
        records = [ForeignRecord("x", where=f"f:{number}", key=str(number),
                                 answers=[ForeignAnswer("spans", f"f:{number} annotation 1", [], annotator=raw)])
                   for number, raw in enumerate(raws, 1)]
        one_by_one, as_column = AnnotatorNames(option), AnnotatorNames(option)
        one_by_one.name(records)
        names = as_column.name_column(list(raws), lambda answer: f"f:{answer + 1} annotation 1")
        assert names == [record.answers[0].annotator for record in records]
        assert vars(as_column) == vars(one_by_one)
    with pytest.raises(DataError) as refused:
        AnnotatorNames(None).name_column(["bob", "!!!"], lambda answer: f"f:{answer + 1} annotation 1")
    assert refused.value.where == "f:2 annotation 1"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 40), st.integers(0, 14), st.integers(0, 14), st.integers(0, 2)), max_size=8),
       st.booleans())
def test_stated_span_texts_are_checked_at_once_as_span_by_span(texts, picks, ascii_only):
    """The stated text of every span compared with the text it covers in one NumPy comparison: a
    chunk is refused (left to the general path) exactly when some span's stated text is not the text
    it covers, ASCII or not, a span past its text's end included."""
    import numpy as np

    if ascii_only:
        texts = [text.encode("ascii", "replace").decode("ascii") for text in texts]
    tasks = [pick % len(texts) for pick, *_ in picks]
    starts = [start for _, start, _, _ in picks]
    ends = [start + width for _, start, width, _ in picks]
    said = []
    for task, start, end, (*_, how) in zip(tasks, starts, ends, picks):
        covered = texts[task][start:end]
        said.append(covered if how == 0 or not covered else covered[:-1] + "\u00e9" if how == 1 else covered + "x")
    columns = label_studio_columns.TaskColumns(
        list(texts), [str(number) for number in range(len(texts))], [""] * len(texts), [None] * len(texts),
        np.array(tasks, dtype=np.int64), ["a"] * len(tasks), np.arange(len(tasks), dtype=np.int64),
        np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), ["PERSON"] * len(tasks), list(said))
    expected = all(len(stated) == end - start and texts[task].startswith(stated, start, end)
                   for task, start, end, stated in zip(tasks, starts, ends, said))
    try:
        bulk_tasks._covering(columns)
    except label_studio_bulk.NotPlain:
        assert not expected
    else:
        assert expected
