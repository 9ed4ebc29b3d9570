"""An annotator retired while ``annotate suggest --write`` writes a machine's answers under its name.
A retirement moves ``annotations/NAME.jsonl`` away with the workspace lock and then the answer file's
lock held; ``suggest --write`` asked whether the name may answer before it took the workspace lock,
so a name retired meanwhile (while its model ran) got its answers in a new file under a retired
name, counting nowhere.

Now it asks, and writes, under the workspace lock: a retirement started the moment the question is
answered waits for the write (it is caught waiting, no clock involved) and then archives the new
answers with the rest; one that came before is seen, and the answers are refused.
"""

from __future__ import annotations

import os
import threading
import warnings

import pytest

from tagline.annotate import answers
from tagline.annotate.retire import retire_annotator
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

    real_make = events.make_event

    def retired_meanwhile(*arguments, **options):
        monkeypatch.setattr(events, "make_event", real_make)
        retire_annotator(workspace, "bot")
        return real_make(*arguments, **options)

    monkeypatch.setattr(events, "make_event", retired_meanwhile)
    with pytest.raises(ConflictError, match="'bot' was retired"):
        write_machine_answers(workspace, made[1:], "bot", "model")
    _answers_are_archived_with_the_rest(workspace, "bot", 1, 0)
