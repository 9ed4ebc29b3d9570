"""An annotator retired while answers are written under its name by the writers other than ``label``
and the session (test_retire_race.py): ``annotate suggest --write``, ``annotate retract`` and the
imports (the general path and each bulk path). A retirement moves ``annotations/NAME.jsonl`` away with
the workspace lock and then the answer file's lock held; an answer asked about before and written
after it would go to a new file under a retired name, counting nowhere.

The imports and ``suggest --write`` ask whether the name may answer, and write, under the workspace
lock (``suggest --write`` asked before taking it, and did not pass these tests): a retirement started
the moment the question is answered waits for the write (it is caught waiting, no clock involved) and
then archives the new answers with the rest. ``retract`` (as ``label``) asks again with the answer
file's lock held, just before it writes.
"""

from __future__ import annotations

import json
import os
import threading
import warnings

import pytest
from test_retire_race import retired_when_called

from tagline.annotate import answers, scripted
from tagline.annotate.interop import bulk, bulk_columns, bulk_records, bulk_tasks, import_file, importing
from tagline.annotate.retire import retire_annotator
from tagline.annotate.scripted import label_sentence, retract_answer
from tagline.annotate.suggest import Suggestion, write_machine_answers
from tagline.corpus.annotators import archived_files
from tagline.corpus.workspace import LockWaitWarning, Workspace
from tagline.errors import ConflictError


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)


class RetiredOnceAsked:
    """Once the writer has been told ``name`` may answer, retire it from another thread (as another
    process would) and go on only when that retirement is done or is caught waiting for the workspace
    lock: a writer that holds that lock from the question to the write keeps it waiting; one that
    does not has its file moved away before it writes."""

    def __init__(self, workspace: Workspace, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.name = workspace.root, name
        self.settled = threading.Event()
        self.waited = False
        self.thread: threading.Thread | None = None
        real_check, real_warn = answers.check_can_answer, warnings.warn

        def check(workspace, annotator):
            real_check(workspace, annotator)
            if annotator == name and self.thread is None:
                self.thread = threading.Thread(target=self._retire)
                self.thread.start()
                assert self.settled.wait(60), "the retirement neither ran nor waited"

        def warn(message, category=UserWarning, *arguments, **options):
            if category is LockWaitWarning and threading.current_thread() is self.thread:
                self.waited = True
                self.settled.set()
                return None
            return real_warn(message, category, *arguments, **options)

        monkeypatch.setattr(answers, "check_can_answer", check)
        monkeypatch.setattr(warnings, "warn", warn)

    def _retire(self) -> None:
        try:
            retire_annotator(Workspace(self.root), self.name)
        finally:
            self.settled.set()

    def finished(self) -> None:
        assert self.thread is not None, "the writer never asked whether the name may answer"
        self.thread.join(60)
        assert not self.thread.is_alive()


def _answers_are_archived_with_the_rest(workspace: Workspace, name: str, before: int, added: int) -> None:
    assert not workspace.annotation_path(name).exists(), "answers were written under a retired name"
    archived = archived_files(workspace, name)
    assert len(archived) == 1
    assert len(archived[0].read_text().splitlines()) == before + added


def test_machine_answers_written_as_their_name_is_retired_are_archived_with_the_rest(sample_workspace, monkeypatch):
    workspace = sample_workspace
    sentences = [s["id"] for s in workspace.iter_sentences()][:4]
    made = [Suggestion(sentence, "claim_type", None, {"label": "quantity"}, 0.9) for sentence in sentences]
    write_machine_answers(workspace, made[:2], "bot", "model")
    race = RetiredOnceAsked(workspace, "bot", monkeypatch)
    write_machine_answers(workspace, made[2:], "bot", "model")
    race.finished()
    assert race.waited
    _answers_are_archived_with_the_rest(workspace, "bot", 2, 2)
    with pytest.raises(ConflictError, match="'bot' was retired"):
        write_machine_answers(workspace, made[:1], "bot", "model")


def test_machine_answers_whose_name_is_retired_before_the_write_are_refused(sample_workspace, monkeypatch):
    """Retired between the computing of the answers and their writing (the suggester's time): refused,
    nothing written under the retired name."""
    workspace = sample_workspace
    sentences = [s["id"] for s in workspace.iter_sentences()][:2]
    made = [Suggestion(sentence, "claim_type", None, {"label": "quantity"}, 0.9) for sentence in sentences]
    write_machine_answers(workspace, made[:1], "bot", "model")
    from tagline.annotate import events

    retired_when_called(monkeypatch, events, "make_event", workspace, "bot")
    with pytest.raises(ConflictError, match="'bot' was retired"):
        write_machine_answers(workspace, made[1:], "bot", "model")
    _answers_are_archived_with_the_rest(workspace, "bot", 1, 0)


def test_a_retraction_whose_annotator_is_retired_before_it_is_written_is_refused(sample_workspace, monkeypatch):
    workspace = sample_workspace
    label_sentence(workspace, "deepseek_ja-s0005", "zed", claim_type="quantity")
    real_fold = scripted.fold_events

    def retired_meanwhile(*arguments, **options):
        folded = real_fold(*arguments, **options)
        retire_annotator(workspace, "zed")
        return folded

    monkeypatch.setattr(scripted, "fold_events", retired_meanwhile)
    with pytest.raises(ConflictError, match="'zed' was retired"):
        retract_answer(workspace, "deepseek_ja-s0005", "zed", "claim_type")
    _answers_are_archived_with_the_rest(workspace, "zed", 1, 0)


def _doccano(path):
    lines = [{"id": number, "text": f"Alice Moreau met Bob in Paris, day {number}.", "label": [[0, 12, "PERSON"]]}
             for number in (1, 2)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return {"fmt": "doccano", "annotator": "zed"}


def _records(path):  # the general reader's records, imported in bulk (bulk_records): the --offsets option
    lines = [{"id": number, "text": f"Alice Moreau met Bob in Paris, day {number}.", "label": [[0, 12, "PERSON"]]}
             for number in (1, 2)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return {"fmt": "doccano", "annotator": "zed", "offsets": "utf16"}


def _conll(path):
    blocks = [f"Alice B-PERSON\nMoreau I-PERSON\nmet O\nday O\n{number} O\n" for number in (1, 2)]
    path.write_text("\n".join(blocks))
    return {"fmt": "conll", "annotator": "zed"}


def _label_studio(path):
    tasks = [{"id": number, "data": {"text": f"Alice Moreau met Bob, day {number}."},
              "annotations": [{"completed_by": "zed", "result": [
                  {"from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": 0, "end": 12, "labels": ["PERSON"]}}]}]} for number in (1, 2)]
    path.write_text(json.dumps(tasks))
    return {"fmt": "label-studio"}


def _general(path):  # claim types: not spans, so planned document by document
    path.write_text("text,label\n" + "".join(f"Prices rose by {number} percent.,quantity\n" for number in (1, 2)))
    return {"fmt": "csv", "annotator": "zed"}


WRITERS = {_doccano: (bulk, "_write"), _records: (bulk_records, "_write"), _conll: (bulk_columns, "_write"),
           _label_studio: (bulk_tasks, "_write"), _general: (importing, "write_import")}


@pytest.mark.parametrize("write", list(WRITERS), ids=lambda write: write.__name__.strip("_"))
def test_answers_imported_as_their_name_is_retired_are_archived_with_the_rest(sample_workspace, monkeypatch,
                                                                            tmp_path, write):
    workspace = sample_workspace
    label_sentence(workspace, "deepseek_ja-s0005", "zed", claim_type="quantity")
    path = tmp_path / f"answers{write.__name__}.{'csv' if write is _general else 'json'}"
    options = write(path)
    module, name = WRITERS[write]  # the path meant is the one taken
    real_writer, taken = getattr(module, name), []
    monkeypatch.setattr(module, name, lambda *arguments, **keywords: taken.append(name) or real_writer(*arguments,
                                                                                                      **keywords))
    race = RetiredOnceAsked(workspace, "zed", monkeypatch)
    summary = import_file(workspace, path, **options)
    race.finished()
    assert summary["events"] == {"zed": 2} and taken == [name], (summary, taken)
    assert race.waited
    _answers_are_archived_with_the_rest(workspace, "zed", 1, 2)
