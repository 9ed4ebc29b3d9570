"""A damaged or hand-edited file is refused with an Error: line, never a traceback: every value of a
real export is replaced by values of the wrong type, and every line of a text export is dropped,
doubled, cut or has a field replaced; each import either succeeds or raises a TaglineError."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from tagline.annotate.events import make_event
from tagline.annotate.formats.registry import BY_NAME, FORMATS
from tagline.annotate.interop import export, import_file
from tagline.corpus.ingest import add_source_documents
from tagline.corpus.readers import SourceDocument
from tagline.corpus.store import append_records
from tagline.corpus.workspace import init_workspace
from tagline.errors import TaglineError

WRONG_VALUES = ["x", 5, -1, 2.5, True, None, [], [5], ["x"], [[1]], {}, {"a": 1}]
FIELD_VALUES = ["", "x", "-1", "99999", "0", "1-2", "B-", "\u3000", "🇯🇵", '"']

STOCKMARK = [{"curid": "1", "text": "レッドフォックス株式会社は東京都にある。",
              "entities": [{"name": "レッドフォックス株式会社", "span": [0, 12], "type": "法人名"},
                           {"name": "東京都", "span": [13, 16], "type": "地名"}]}]
CLAIMBUSTER = [{"sentence_id": 7, "label": 1, "text": "We lost 700,000 jobs."}, {"sentence_id": 9, "label": 0, "text": "Hi."}]
# A valid file of each JSON format tagline does not write (the others are tagline's own exports).
JSON_SEEDS = {"stockmark-ner": STOCKMARK, "claimbuster": CLAIMBUSTER}
JSON_FORMATS = [spec.name for spec in FORMATS if spec.suffix in (".json", ".jsonl")]
# The field separator of each line format tagline writes.
SEPARATORS = {"csv": ",", "conll": "\t", "brat": "\t"}
LINE_FORMATS = [spec.name for spec in FORMATS if spec.exports and spec.name not in JSON_FORMATS]


def with_check_worthiness_labels(workspace):
    """The workspace with the check-worthiness labels added to its claim types, so that the
    check-worthiness benchmarks import beside the formats that carry Full Fact claim types."""
    from tagline.corpus.config import CHECK_WORTHINESS_LABELS, render_toml
    from tagline.corpus.workspace import Workspace

    config = copy.deepcopy(workspace.config.data)
    config["tasks"]["claim_type"]["labels"] += CHECK_WORTHINESS_LABELS
    workspace.config_path.write_text(render_toml(config), encoding="utf-8")
    return Workspace(workspace.root)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace whose one sentence has an entity, a claim type and a stance answer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        root = tmp_path_factory.mktemp("fuzz")
        workspace = with_check_worthiness_labels(init_workspace(root / "ws", targets=["DeepSeek"]))
        add_source_documents(workspace, [SourceDocument("d0", "東京はDeepSeekの本社がある。", "t", "txt", "utf-8", "ja",
                                                        single_sentence=True)])
        sentence = next(iter(workspace.iter_sentences()))
        append_records(workspace.annotation_path("alice"), [
            make_event(sentence["id"], "alice", "entities",
                       {"spans": [{"start": 0, "end": 2, "label": "GPE", "text": "東京"}]}),
            make_event(sentence["id"], "alice", "claim_type", {"label": "other_claim"}),
            make_event(sentence["id"], "alice", "stance", {"target": "DeepSeek", "label": "FAVOR"}),
        ])
        yield workspace


def _paths(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, path + (key,))


def _replaced(value, path, new):
    value = copy.deepcopy(value)
    if not path:
        return new
    node = value
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return value


def _import_survives(workspace, path: Path, fmt: str) -> str | None:
    """``None`` when the import worked or was refused with an Error; otherwise the crash."""
    try:
        import_file(workspace, path, fmt=fmt, annotator="bob", predictions=True, dry_run=True)
    except TaglineError:
        pass
    except Exception as error:  # what this test is for: any other exception is a traceback for the user
        return f"{type(error).__name__}: {error}"
    return None


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_json_values_of_the_wrong_type_are_refused_with_an_error(fmt, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    if fmt in JSON_SEEDS:
        original, lines = JSON_SEEDS[fmt], False
    else:
        content = export(workspace, fmt=fmt, annotator="alice")["content"]
        lines = not content.lstrip().startswith("[")
        original = [json.loads(line) for line in content.splitlines() if line.strip()] if lines else json.loads(content)
    crashes = []
    tried = 0
    for path in _paths(original):
        for new in WRONG_VALUES:
            mutated = _replaced(original, path, new)
            file = tmp_path / f"mutated.{fmt}.json"
            if lines and isinstance(mutated, list):
                file.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in mutated) + "\n")
            else:
                file.write_text(json.dumps(mutated, ensure_ascii=False))
            tried += 1
            crash = _import_survives(workspace, file, fmt)
            if crash:
                crashes.append(f"{'/'.join(map(str, path))} = {json.dumps(new)}: {crash}")
    assert tried > 100
    assert crashes == []


def _line_variants(lines: list[str], separator: str):
    for index, line in enumerate(lines):
        yield lines[:index] + lines[index + 1:]
        yield lines[:index] + [line, line] + lines[index + 1:]
        yield lines[:index] + [line[:len(line) // 2]] + lines[index + 1:]
        yield lines[:index] + [line + separator + "extra"] + lines[index + 1:]
        fields = line.split(separator)
        for position in range(len(fields)):
            for new in FIELD_VALUES:
                changed = list(fields)
                changed[position] = new
                yield lines[:index] + [separator.join(changed)] + lines[index + 1:]
            yield lines[:index] + [separator.join(fields[:position] + fields[position + 1:])] + lines[index + 1:]


@pytest.mark.parametrize("fmt", LINE_FORMATS)
def test_damaged_lines_of_text_formats_are_refused_with_an_error(fmt, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    exported = tmp_path / "exported"
    separator = SEPARATORS[fmt]
    if BY_NAME[fmt].folder:
        export(workspace, fmt=fmt, annotator="alice", out=exported)
        originals = {path.name: path.read_text() for path in exported.iterdir()}
        victims = [name for name in originals if name.endswith(BY_NAME[fmt].suffix)]
    else:
        originals = {f"export.{fmt}": export(workspace, fmt=fmt, annotator="alice")["content"]}
        victims = list(originals)
    crashes = []
    tried = 0
    for victim in victims:
        for lines in _line_variants(originals[victim].split("\n"), separator):
            folder = tmp_path / f"case{tried}"
            folder.mkdir()
            for name, text in originals.items():
                (folder / name).write_text("\n".join(lines) if name == victim else text)
            tried += 1
            target = folder if BY_NAME[fmt].folder else folder / victim
            crash = _import_survives(workspace, target, fmt)
            if crash:
                crashes.append(f"{victim} {lines!r}: {crash}")
    assert tried > 30
    assert crashes == []
