"""What keeps a session fast on a large corpus stays right: the saved fold of an annotator's answers
(brought up to date with what was appended, not used when the file is not the one it was made
from), and the session's done count and next unfinished sentence after answers, undo and skips,
through a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pexpect
import pytest

from tagline.annotate import answer_index as folding
from tagline.annotate.events import fold_events, iter_annotation_events
from tagline.annotate.scripted import label_sentence, retract_answer
from tagline.annotate.session import ENTER, SKIP, UNDO, SessionModel
from tagline.annotate.session_data import SessionAnswers
from tagline.corpus.config import SAMPLE_TARGETS
from tagline.errors import DataError

FULL = {"stance": {target: "NONE" for target in SAMPLE_TARGETS}, "claim_type": "not_claim", "entities": []}


def answer(workspace, sentence_id, annotator="alice", **only):
    label_sentence(workspace, sentence_id, annotator, **(only or FULL))


def current(workspace, annotator="alice"):
    """The answers as the session reads them through the fold, as plain dicts."""
    index = folding.answer_index(workspace, annotator)
    answers = SessionAnswers(index)
    return {sentence_id.decode(): answers[sentence_id.decode()] for sentence_id in index.ids.tolist()
            if answers[sentence_id.decode()]}


def test_the_saved_fold_is_brought_up_to_date_and_agrees_with_the_events(sample_workspace, monkeypatch):
    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:5]:
        answer(sample_workspace, sentence_id)
    saved = sample_workspace.build_dir / "index" / "answers-alice.npz"
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))
    assert saved.exists()
    first = saved.stat().st_mtime_ns
    retract_answer(sample_workspace, ids[1], "alice", "claim_type")
    answer(sample_workspace, ids[2], claim_type="quantity")
    answer(sample_workspace, ids[9], claim_type="prediction")
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))
    assert saved.stat().st_mtime_ns != first  # saved again with the lines appended since


@pytest.mark.parametrize("fast", [False, True])
def test_the_fold_read_a_block_at_a_time_or_line_by_line_is_the_events_fold(sample_workspace, monkeypatch, fast):
    monkeypatch.setattr(folding, "FAST_AFTER", 0 if fast else 1 << 40)
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:6]:
        answer(sample_workspace, sentence_id)
    retract_answer(sample_workspace, ids[2], "alice", "stance", "DeepSeek")
    answer(sample_workspace, ids[3], claim_type="quantity")
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))
    path = sample_workspace.annotation_path("alice")
    with open(path, "ab") as handle:
        handle.write(b'{"sentence_id": "x"}\n')
    bad_line = len(path.read_bytes().splitlines())
    with pytest.raises(DataError, match=f"alice.jsonl:{bad_line}: not a valid annotation event"):  # either way
        folding.answer_index(sample_workspace, "alice")


@pytest.mark.parametrize("fast", [False, True])
def test_a_stance_event_without_its_target_is_reported_by_its_line(sample_workspace, monkeypatch, fast):
    monkeypatch.setattr(folding, "FAST_AFTER", 0 if fast else 1 << 40)
    answer(sample_workspace, "deepseek_ja-s0001")
    path = sample_workspace.annotation_path("alice")
    with open(path, "ab") as handle:
        handle.write(b'{"sentence_id": "deepseek_ja-s0001", "annotator": "alice", "time": "t", "task": "stance", '
                     b'"op": "retract", "value": null}\n')
    with pytest.raises(DataError, match="alice.jsonl:5: not a valid annotation event"):
        folding.answer_index(sample_workspace, "alice")


# Folds the workspace's answers in Arrow, in a fresh interpreter (so that no other test's imports count),
# and prints whether that loaded pandas beside the fold as the session reads it and the per-line fold.
FOLD_PROBE = """
import json, sys
from tagline.annotate import answer_index as folding
from tagline.annotate.events import fold_events, iter_annotation_events
from tagline.annotate.session_data import SessionAnswers
from tagline.corpus.workspace import Workspace

workspace = Workspace(sys.argv[1])
folding.FAST_AFTER = 0
folded = []
real = folding._fold_arrow
folding._fold_arrow = lambda *args: folded.append(real(*args)) or folded[-1]
index = folding.answer_index(workspace, "alice", saved=False)
pandas = "pandas" in sys.modules
answers = SessionAnswers(index)
def rows(fold):
    return sorted([sentence_id, task, target, value] for sentence_id, slots in fold.items()
                  for (task, target), value in slots.items())
print(json.dumps({"pandas": pandas, "arrow": [tail is not None for tail in folded],
                  "retracted": [sentence_id.decode() for sentence_id, row in zip(index.ids.tolist(), index.offsets.tolist())
                                if max(row) == -1],
                  "fold": rows({sentence_id.decode(): answers[sentence_id.decode()] for sentence_id in index.ids}),
                  "events": rows(fold_events(iter_annotation_events(workspace, "alice")))}))
"""


def test_the_arrow_fold_of_mixed_answers_is_the_events_fold_without_pandas(sample_workspace):
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:8]:
        answer(sample_workspace, sentence_id)
    answer(sample_workspace, ids[0], stance={"DeepSeek": "FAVOR"}, claim_type="quantity", entities=["0:2:ORG"])
    answer(sample_workspace, ids[1], entities=["0:4:PERSON", "5:7:GPE"])
    retract_answer(sample_workspace, ids[2], "alice", "stance", "DeepSeek")
    retract_answer(sample_workspace, ids[3], "alice", "claim_type")
    retract_answer(sample_workspace, ids[3], "alice", "entities")
    answer(sample_workspace, ids[3], claim_type="prediction")  # answered again after its retraction
    for task, target in [("stance", "DeepSeek"), ("stance", "US AI policy"), ("claim_type", None), ("entities", None)]:
        retract_answer(sample_workspace, ids[4], "alice", task, target)  # nothing left of its answers
    answer(sample_workspace, ids[9], stance={"US AI policy": "AGAINST"})
    completed = subprocess.run([sys.executable, "-c", FOLD_PROBE, str(sample_workspace.root)], capture_output=True,
                               text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert completed.returncode == 0, completed.stderr
    probe = json.loads(completed.stdout)
    assert probe["arrow"] == [True]  # folded in Arrow, not line by line
    assert probe["fold"] == probe["events"]
    assert {"stance", "claim_type", "entities"} <= {task for _, task, _, _ in probe["fold"]}
    assert probe["retracted"] == [ids[4]]
    assert not probe["pandas"]


def test_a_saved_fold_of_another_file_is_not_used(sample_workspace, monkeypatch):
    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    answer(sample_workspace, ids[0])
    answer(sample_workspace, ids[1])
    path = sample_workspace.annotation_path("alice")
    saved = sample_workspace.build_dir / "index" / "answers-alice.npz"
    folding.answer_index(sample_workspace, "alice")
    # The same lines in another order, in a new file of the same size: other offsets, another inode.
    lines = path.read_bytes().splitlines(keepends=True)
    path.unlink()
    path.write_bytes(b"".join(lines[4:] + lines[:4]))
    assert folding._load(saved, path) is None
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))
    # The last line changed in place (same inode, same size): the digest of the end no longer matches.
    folding.answer_index(sample_workspace, "alice")
    data = path.read_bytes()
    last = data.rfind(ids[0].encode())
    with open(path, "r+b") as handle:
        handle.seek(last)
        handle.write(ids[2].encode())
    assert folding._load(saved, path) is None
    assert ids[2] in current(sample_workspace)
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))


def test_a_file_replaced_while_it_is_folded_does_not_get_the_fold_of_the_file_read(sample_workspace, monkeypatch):
    """The file is archived (a retirement) and a new one made while a session folds the old one: the
    new file's first answer is another sentence's, and its end is the same bytes as the old file's,
    so only the inode read before the fold tells the saved fold is not the new file's."""
    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    answer(sample_workspace, ids[0])
    answer(sample_workspace, ids[1])
    path = sample_workspace.annotation_path("alice")
    old = path.read_bytes()
    first = old.index(b"\n") + 1
    replaced = old[:first].replace(ids[0].encode(), ids[2].encode()) + old[first:]
    assert len(replaced) == len(old) and ids[0] != ids[2]
    real = folding._fold_lines

    def fold_then_replace(*args):
        folded = real(*args)
        path.rename(path.with_suffix(".archived"))
        path.write_bytes(replaced)
        return folded

    monkeypatch.setattr(folding, "_fold_lines", fold_then_replace)
    folding.answer_index(sample_workspace, "alice")
    monkeypatch.setattr(folding, "_fold_lines", real)
    saved = folding._load(sample_workspace.build_dir / "index" / "answers-alice.npz", path)
    assert saved is None or ids[0].encode() not in saved.ids.tolist()
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))


def doccano_file(path, texts):
    """A doccano file of Japanese ``texts``, each with its first two characters as a PERSON."""
    import json

    path.write_text("".join(json.dumps({"text": text, "label": [[0, 2, "PERSON"]]}, ensure_ascii=False) + "\n"
                            for text in texts), encoding="utf-8")
    return path


def test_an_import_leaves_the_fold_of_the_answers_it_wrote(sample_workspace, tmp_path, monkeypatch):
    from tagline.annotate.interop import import_file

    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    answer(sample_workspace, "deepseek_ja-s0001")
    import_file(sample_workspace, doccano_file(tmp_path / "batch.jsonl", [f"山田太郎は{n}回来た。" for n in range(5)]),
                fmt="doccano", annotator="alice")
    path = sample_workspace.annotation_path("alice")
    saved = folding._load(sample_workspace.build_dir / "index" / "answers-alice.npz", path)
    assert saved is not None and saved.covered == path.stat().st_size  # folded by the import, to its end
    assert len(saved.ids) == 6
    folded = []
    real = folding._fold_lines
    monkeypatch.setattr(folding, "_fold_lines", lambda path, start, size, lines: folded.append(size - start) or
                        real(path, start, size, lines))
    assert current(sample_workspace) == fold_events(iter_annotation_events(sample_workspace, "alice"))
    assert folded == [0]  # the next session had no line left to fold


def test_done_flags_follow_answers_undo_and_skips_in_the_model(sample_workspace, monkeypatch):
    import tagline.annotate.session as session

    monkeypatch.setattr(session, "NEXT_BLOCK", 2)  # looking for the next sentence crosses blocks
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:3] + ids[4:7]:
        answer(sample_workspace, sentence_id)
    model = SessionModel.open(sample_workspace, "alice")
    assert (model.position, model.done_count()) == (3, 6)
    for key in ["f", "n", "0", ENTER]:
        model.handle_key(key)
    assert (model.position, model.done_count()) == (7, 7)  # 4, 5 and 6 were done: on to 7
    model.handle_key(UNDO)  # the entities of sentence 3 retracted: not done any more
    assert (model.position, model.done_count()) == (3, 6)
    model.handle_key(SKIP)
    assert model.position == 7
    model.position = len(ids) - 1
    model.handle_key(SKIP)  # past the end: round to the first unfinished
    assert model.position == 3
    assert model.done_count() == sum(model._answered(p) for p in range(len(ids)))


def spawn(workspace, annotator="alice"):
    env = {**os.environ, "TERM": "xterm-256color", "TAGLINE_WORKSPACE": str(workspace.root)}
    env.pop("NO_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "tagline", "annotate", "--annotator", annotator],
                         cwd=str(workspace.root), env=env, dimensions=(24, 80), encoding="utf-8", timeout=20)


@pytest.mark.parametrize("saved_fold", [False, True])
def test_done_count_and_next_sentence_through_the_terminal(sample_workspace, monkeypatch, saved_fold):
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:1] + ids[2:4]:
        answer(sample_workspace, sentence_id)
    answer(sample_workspace, ids[1], claim_type="quantity")  # s0002 half done
    if saved_fold:  # the session opens from the saved fold, then a retraction appended after it
        monkeypatch.setattr(folding, "SAVE_AFTER", 0)
        folding.answer_index(sample_workspace, "alice")
        answer(sample_workspace, ids[4])
        retract_answer(sample_workspace, ids[4], "alice", "entities")
    child = spawn(sample_workspace)
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.expect_exact("3/77 done")
    for key in "fn\r":  # the claim type was answered before: Enter keeps it
        child.send(key)
    child.expect_exact("entities: / to find")
    child.send("\r")
    child.expect_exact("deepseek_ja-s0005 (5/77)")  # s0003 and s0004 were done
    child.expect_exact("4/77 done")
    child.send("u")  # the entities of s0002 retracted
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.expect_exact("3/77 done")
    child.send("s")
    child.expect_exact("deepseek_ja-s0005 (5/77)")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    child = spawn(sample_workspace)  # starting again: the same place and count
    child.expect_exact("deepseek_ja-s0002 (2/77)")
    child.expect_exact("3/77 done")
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("then", ["opened", "appended then opened"])
def test_an_answer_file_edited_in_place_is_read_as_it_now_is_and_not_through_the_stale_fold(sample_workspace,
                                                                                           monkeypatch, then):
    """An editor that writes the file in place (same inode) changes an early line, keeping its length
    and the file's end: the saved fold still matches the file's size and last bytes. The session must
    not show what the fold says (a question answered that is not, one not answered that is) where the
    agreement, which folds the file as it now is, shows the other, nor ask to be started again, even
    when answers were appended after the edit (the fold's digest covers every byte it covers)."""
    monkeypatch.setattr(folding, "SAVE_AFTER", 0)
    ids = [sentence["id"] for sentence in sample_workspace.iter_sentences()]
    for sentence_id in ids[:6]:
        answer(sample_workspace, sentence_id)
    folding.answer_index(sample_workspace, "alice")  # saved
    path = sample_workspace.annotation_path("alice")
    data = path.read_bytes()
    edited = data.replace(ids[0].encode(), ids[7].encode(), 1)  # the first line moved to another sentence
    assert len(edited) == len(data) and data.index(ids[0].encode()) < len(data) - 2048
    inode = path.stat().st_ino
    with open(path, "r+b") as handle:
        handle.write(edited)
    assert path.stat().st_ino == inode
    if then.startswith("appended"):
        answer(sample_workspace, ids[9], claim_type="quantity")
    expected = fold_events(iter_annotation_events(sample_workspace, "alice"))
    assert ids[7] in expected  # what `annotate agree` counts
    assert current(sample_workspace) == expected  # the saved fold is not this file's: never asked to start again
