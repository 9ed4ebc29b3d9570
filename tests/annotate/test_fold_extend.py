"""A saved fold is extended with the lines appended to its answer file since (`annotate/fold_extend.py`)
into exactly the fold of the whole file; a file that is not the one the fold was made of (rewritten in
place, another inode) is folded whole, and a bad appended line is named by its line in the file."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import fields

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agree_columns import as_json, random_workspace, reference_report

from tagline.annotate import columns, fold_extend, gold
from tagline.annotate.agree import agreement_report
from tagline.annotate.fold_cache import CODED, fold_meta, read_fold
from tagline.errors import DataError


def by_name(folded: columns.Folded, names: list[str]) -> dict:
    """Every field of ``folded`` as plain values, its codes as the names they stand for (the codes
    depend on the order the command meets names in), with each column's dtype."""
    plain: dict = {}
    for field in fields(folded):
        value = getattr(folded, field.name)
        if field.name == "span_text":
            plain[field.name] = value.to_pylist()
        elif field.name == "declared" or value is None:
            plain[field.name] = value
        elif field.name == "extent":
            plain[field.name] = (value.number.tolist(), value.number.dtype, value.first.tolist(), value.first.dtype,
                                 value.unknown.to_pylist(), value.events)
        elif field.name in CODED:
            plain[field.name] = ([names[code] if code >= 0 else None for code in value.tolist()], value.dtype)
        else:
            plain[field.name] = (value.tolist(), value.dtype)
    return plain


def saved_extent(workspace, name) -> tuple:
    """What extending the annotator's saved fold needs, and what the fold says it covers, as saved."""
    (file,) = (workspace.build_dir / "index" / "folds" / name).glob("*.fold")
    meta = fold_meta(file)
    assert meta is not None
    extent = read_fold(file, columns.Names(), meta).extent
    return (extent.number.tolist(), extent.first.tolist(), extent.unknown.to_pylist(), extent.events,
            {key: value for key, value in meta.items() if key != "inode"})


def whole_file_fold(workspace, name) -> tuple[dict, tuple]:
    """The annotator's fold made from the whole file, and its extent as saved, the saved folds put
    aside meanwhile."""
    folds = workspace.build_dir / "index" / "folds"
    aside = folds.with_name("aside")
    folds.rename(aside)
    answers = columns.ColumnAnswers(workspace)
    folded = by_name(answers(name), answers.names.names)
    extent = saved_extent(workspace, name)
    shutil.rmtree(folds)
    aside.rename(folds)
    return folded, extent


def no_parsing(*args, **kwargs):
    raise AssertionError("the whole answer file was folded again")


def _split(workspace, name, cuts: list[int]) -> list[bytes]:
    """The annotator's file cut into pieces at line boundaries ``cuts``; the file left as the first."""
    path = workspace.annotation_path(name)
    lines = path.read_bytes().splitlines(keepends=True)
    bounds = [0, *sorted(cut % len(lines) for cut in cuts), len(lines)]
    pieces = [b"".join(lines[start:end]) for start, end in zip(bounds, bounds[1:])]
    path.write_bytes(pieces[0])
    return pieces


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n_sentences=st.integers(1, 40), n_events=st.integers(2, 200),
       cuts=st.lists(st.integers(1, 10**6), min_size=1, max_size=3))
def test_a_saved_fold_extended_with_what_was_appended_is_the_fold_of_the_whole_file(
        tmp_path_factory, monkeypatch, seed, n_sentences, n_events, cuts):
    """Retractions, stance targets, sentences the corpus lacks (first met before or after the cut),
    suggestions, spans and labels not configured, appended once or several times: the same rows in
    the same order, ranks, spans, text and names as the whole file folded."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path_factory.mktemp("ws"), seed, n_sentences, n_events, n_annotators=1)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    pieces = _split(workspace, name, cuts)
    if not pieces[0]:
        return  # nothing to save before the first append
    columns.ColumnAnswers(workspace)(name)  # saved
    for piece in filter(None, pieces[1:]):
        with open(path, "ab") as handle:
            handle.write(piece)
        with monkeypatch.context() as patched:
            patched.setattr(columns, "_fold_file", no_parsing)
            answers = columns.ColumnAnswers(workspace)
            extended = by_name(answers(name), answers.names.names)
        assert len(list((workspace.build_dir / "index" / "folds" / name).glob("*.fold"))) == 1
        saved_again = columns.ColumnAnswers(workspace)  # the extended fold as saved, read back
        assert by_name(saved_again(name), saved_again.names.names) == extended
        # The same fold, and the same extent saved with it: the next piece extends the extended fold.
        assert (extended, saved_extent(workspace, name)) == whole_file_fold(workspace, name)


def test_the_report_and_the_gold_are_those_of_the_whole_files(tmp_path, monkeypatch):
    """Answers added by every annotator after a report: ``agree`` and ``adjudicate`` give what they
    give with the files folded whole, and fold none of them whole."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(gold, "utc_now", lambda: "2026-12-01T00:00:00.000000Z")
    made = []
    for extended in (True, False):
        workspace = random_workspace(tmp_path / str(extended), 21, 120, 900, n_annotators=3, unconfigured=False)
        pieces = {name: _split(workspace, name, [random.Random(name).randrange(300, 800)])
                  for name in workspace.annotators()}
        agreement_report(workspace)
        for name, (_, appended) in pieces.items():
            with open(workspace.annotation_path(name), "ab") as handle:
                handle.write(appended)
        if not extended:
            shutil.rmtree(workspace.build_dir / "index" / "folds")
        with monkeypatch.context() as patched:
            if extended:
                patched.setattr(columns, "_fold_file", no_parsing)
            report = as_json(agreement_report(workspace))
            gold.auto_adjudicate(workspace)
        assert report == as_json(reference_report(workspace))
        made.append((report, workspace.gold_path.read_bytes()))
    assert made[0] == made[1] and made[0][1]


@pytest.mark.parametrize("longer", [False, True], ids=["same-size", "longer"])
def test_a_file_rewritten_in_place_is_folded_whole(tmp_path, monkeypatch, longer):
    """Other bytes where the saved fold's were (an editor's fix of a line), with or without lines
    appended after them: the digest differs, the whole file is folded."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 22, 60, 300, n_annotators=1)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    agreement_report(workspace)
    data = path.read_bytes()
    changed = data.replace(b'"sentence_id":"d1-s0001"', b'"sentence_id":"d1-s0002"')
    assert changed != data and len(changed) == len(data)
    extra = data.splitlines(keepends=True)[0] if longer else b""
    with open(path, "r+b") as handle:  # in place: the same inode
        handle.write(changed + extra)
    _report_folds_the_file_whole(workspace, monkeypatch)


def _report_folds_the_file_whole(workspace, monkeypatch) -> None:
    """The report is the reference's, and the answer file was folded whole, once."""
    real, whole = columns._fold_file, []
    monkeypatch.setattr(columns, "_fold_file", lambda *args: whole.append(1) or real(*args))
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
    assert whole == [1]


def test_a_file_replaced_by_another_is_folded_whole(tmp_path, monkeypatch):
    """Another file at the path (an atomic rewrite: another inode), even beginning with the same lines."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 23, 60, 300, n_annotators=1)
    path = workspace.annotation_path(workspace.annotators()[0])
    agreement_report(workspace)
    data = path.read_bytes()
    replacement = path.with_name("new.tmp")
    replacement.write_bytes(data + data.splitlines(keepends=True)[0])
    os.replace(replacement, path)
    _report_folds_the_file_whole(workspace, monkeypatch)


def test_a_bad_appended_line_is_named_by_its_line_in_the_file_and_nothing_is_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 24, 30, 200, n_annotators=1)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    agreement_report(workspace)
    folds = workspace.build_dir / "index" / "folds" / name
    before = {file.name: file.read_bytes() for file in folds.glob("*")}
    good = orjson.loads(path.read_bytes().splitlines()[0])
    with open(path, "ab") as handle:
        handle.write(orjson.dumps(good) + b"\n" + orjson.dumps({**good, "time": ""}) + b"\n")
    with pytest.raises(DataError, match=rf"{name}\.jsonl:202"):
        agreement_report(workspace)
    assert {file.name: file.read_bytes() for file in folds.glob("*")} == before


def test_a_half_written_last_line_is_read_as_the_whole_file_reads_it(tmp_path, monkeypatch):
    """A writer mid-append: the line cut short is left out, as the reader of the whole file leaves it
    out, and no fold is saved that covers it."""
    monkeypatch.setattr(columns, "ARROW_MIN_BYTES", 0)
    workspace = random_workspace(tmp_path / "ws", 25, 30, 200, n_annotators=1)
    name = workspace.annotators()[0]
    path = workspace.annotation_path(name)
    agreement_report(workspace)
    lines = path.read_bytes().splitlines(keepends=True)
    with open(path, "ab") as handle:
        handle.write(lines[3] + lines[5][:40])
    reference = as_json(reference_report(workspace))
    assert as_json(agreement_report(workspace)) == reference
    real = fold_extend._merged
    monkeypatch.setattr(fold_extend, "_merged", lambda *args: pytest.fail("extended past a line cut short"))
    assert as_json(agreement_report(workspace)) == reference
    monkeypatch.setattr(fold_extend, "_merged", real)
    with open(path, "ab") as handle:  # the writer finishes its line
        handle.write(lines[5][40:])
    assert as_json(agreement_report(workspace)) == as_json(reference_report(workspace))
    assert len(list((workspace.build_dir / "index" / "folds" / name).glob("*.fold"))) == 1


@settings(max_examples=50, deadline=None)
@given(corpus=st.lists(st.sampled_from([f"d{n}-s0001" for n in range(60)]), min_size=1, max_size=400),
       wanted=st.lists(st.sampled_from([f"d{n}-s0001" for n in range(80)]), min_size=1, max_size=40))
def test_a_few_ids_found_by_scanning_the_corpus_are_those_its_hash_finds(corpus, wanted):
    """The corpus rows of the ids of a few appended lines (the corpus scanned against a hash of
    them) are those ``pc.index_in`` gives hashing the corpus: the first row of an id, -1 if none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids, every = pa.array(corpus * 700, pa.string()), pa.array(wanted, pa.string())  # few: the corpus scanned
    expected = [-1 if row is None else row for row in pc.index_in(every, value_set=ids).to_pylist()]
    assert fold_extend.corpus_rows(every, ids).tolist() == expected
