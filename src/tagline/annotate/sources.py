"""Suggestion sources that need no model of tagline's: a predictions file, and an external command
speaking the JSON-lines protocol of ``docs/suggestions.md`` (how a local LLM, spaCy or GiNZA
plugs in without a server)."""

from __future__ import annotations

import math
import os
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from tagline.annotate.suggest import Suggestion, suggestion_values
from tagline.corpus.config import Config
from tagline.errors import DataError, InputError

PROTOCOL_VERSION = 1
BATCH = 8  # sentences a program is sent at a time, each batch to be answered within the timeout


def parse_suggestion(record: Mapping[str, Any], config: Config, where: str, *, source: str,
                     sentence_id: str | None = None) -> Suggestion:
    """One suggestion from a record of a predictions file or of a command's answer.

    The record names its task (``task``), or it is told by its fields: ``entities`` (a list of
    ``{"start", "end", "label"}``) for entities, a ``target`` (or an id ``<sentence_id>@<target>``,
    as ``eval predict`` writes) for stance, else a claim type. ``label`` gives the label, ``score``
    (optional) the model's confidence in [0, 1]. An entities record may add ``candidates``, spans
    shaped as its ``entities``, which the session lists off after them.
    """
    sentence_id = sentence_id or record.get("sentence_id") or record.get("id")
    if not isinstance(sentence_id, str) or not sentence_id:
        raise DataError("the record names no sentence (`id` or `sentence_id`)", where=where,
                        fix="give the id of the sentence the suggestion is for")
    target = record.get("target")
    task = record.get("task") or ("entities" if "entities" in record or "spans" in record
                                  else "stance" if target is not None or "@" in sentence_id else "claim_type")
    if task == "stance" and target is None and "@" in sentence_id:
        sentence_id, target = sentence_id.rsplit("@", 1)
    if task not in config.tasks:
        raise DataError(f"task {task!r} is not one of {', '.join(config.tasks)}", where=where)
    score = _score(record.get("score"), where)
    if task == "entities":
        spans = record.get("entities", record.get("spans"))
        candidates = tuple(_spans(record["candidates"], config, where)) if record.get("candidates") is not None else ()
        return Suggestion(sentence_id, task, None, {"spans": _spans(spans, config, where)}, score, source, candidates)
    label = record.get("label")
    labels = config.labels(task)
    if label not in labels:
        raise DataError(f"label {label!r} is not one of {', '.join(labels)}", where=where,
                        fix=f"use the {task} labels of tagline.toml")
    if task == "stance":
        if target is None:
            raise DataError("the stance suggestion names no target", where=where,
                            fix=f"give its `target` (one of {', '.join(config.require_targets())}), or the id "
                                "<sentence_id>@<target>")
        if target not in config.targets:
            raise DataError(f"stance target {target!r} is not one of {', '.join(config.require_targets())}",
                            where=where)
        return Suggestion(sentence_id, task, target, {"target": target, "label": label}, score, source)
    return Suggestion(sentence_id, task, None, {"label": label}, score, source)


def _score(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1 or \
            (isinstance(value, float) and math.isnan(value)):
        raise DataError(f"score {value!r} is not a number from 0 to 1", where=where)
    return float(value)


def _spans(spans: object, config: Config, where: str) -> list[dict[str, Any]]:
    if not isinstance(spans, list):
        raise DataError("`entities` is not a list of spans", where=where,
                        fix='give [{"start": 0, "end": 2, "label": "ORG"}, ...], offsets into the sentence')
    labels = config.labels("entities")
    found = []
    for span in spans:
        if not (isinstance(span, dict) and all(isinstance(span.get(key), int) and not isinstance(span.get(key), bool)
                                               for key in ("start", "end"))):
            raise DataError(f"entity {span!r} is not {{\"start\": int, \"end\": int, \"label\": ...}}", where=where)
        if span.get("label") not in labels:
            raise DataError(f"entity label {span.get('label')!r} is not one of {', '.join(labels)}", where=where)
        found.append({"start": span["start"], "end": span["end"], "label": span["label"]})
    return found


def _fits(sentence: Mapping[str, Any], suggestion: Suggestion) -> bool:
    """Whether a suggestion's spans lie inside the sentence (a file made for other text may not)."""
    if suggestion.task != "entities":
        return True
    length = len(sentence["text"])
    return all(0 <= span["start"] < span["end"] <= length
               for span in [*suggestion.value["spans"], *suggestion.candidates])


def _completed(sentence: Mapping[str, Any], suggestion: Suggestion) -> Suggestion:
    value = suggestion_values(sentence, suggestion.task, suggestion.target, suggestion.value)
    offered = suggestion_values(sentence, "entities", None, {"spans": suggestion.candidates}) \
        if suggestion.candidates else {"spans": []}
    return Suggestion(suggestion.sentence_id, suggestion.task, suggestion.target, value, suggestion.score,
                      suggestion.source, tuple(offered["spans"]))


class FileSuggester:
    """Suggestions read from a predictions file: the JSON lines ``eval predict`` writes and ``eval
    score`` reads, made by any model anywhere (an LLM's output, a colleague's run).

    The whole file is checked when it is opened, so a malformed one is refused at once with its
    line; spans that do not fit the sentence they name are left out.
    """

    def __init__(self, path: str | os.PathLike[str], config: Config):
        from tagline.corpus.store import iter_lines

        self.path = Path(path)
        self.name = f"file:{self.path.name}"
        if not self.path.is_file():
            raise InputError("no such file", where=str(self.path), fix="give a predictions file (JSON lines)")
        self._by_sentence: dict[str, list[Suggestion]] = {}
        for number, record in iter_lines(self.path):
            suggestion = parse_suggestion(record, config, f"{self.path}:{number}", source=self.name)
            self._by_sentence.setdefault(suggestion.sentence_id, []).append(suggestion)

    def suggest(self, sentences: Sequence[Mapping[str, Any]]) -> Iterable[Suggestion]:
        for sentence in sentences:
            for suggestion in self._by_sentence.get(sentence["id"], []):
                if _fits(sentence, suggestion):
                    yield _completed(sentence, suggestion)


_INTERPRETERS = ("python", "node", "ruby", "perl", "bash", "sh", "uv", "pipx", "npx", "env", "run")


def _program_name(command: str) -> str:
    """The name a command's suggestions are credited to: its script, not its interpreter."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for word in words:
        base = os.path.basename(word)
        if not word.startswith("-") and not base.startswith(_INTERPRETERS):
            return base
    return os.path.basename(words[0]) if words else "command"


class CommandSuggester:
    """Suggestions from an external program, started once and fed in batches over stdin/stdout.

    The protocol (``docs/suggestions.md``): tagline writes a header line with the tasks, labels and
    targets, then one line per sentence (``{"id", "text", "lang"}``); the program answers each
    sentence with one line ``{"id", "suggestions": [{"task", "label" | "entities", "target",
    "score"}]}``, in order. A program that exits, answers out of turn or takes longer than
    ``timeout`` seconds for a batch is stopped and its suggestions switched off.
    """

    def __init__(self, command: str, config: Config, *, timeout: float = 30.0, cwd: str | None = None):
        self.command = command
        self.name = f"cmd:{_program_name(command)}"
        self.config = config
        self.timeout = timeout
        try:
            self._process = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, cwd=cwd, start_new_session=True)
        except (OSError, ValueError) as error:
            raise InputError(f"cannot start {command!r}: {error}", fix="check the command and its path") from None
        assert self._process.stdin is not None and self._process.stdout is not None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._errors: list[str] = []
        threading.Thread(target=self._read, args=(self._process.stdout, self._lines), daemon=True).start()
        self._error_reader = threading.Thread(target=self._read_errors, daemon=True)
        self._error_reader.start()
        header = {"tagline": PROTOCOL_VERSION, "tasks": list(config.tasks),
                  "labels": {task: config.labels(task) for task in config.tasks}, "targets": list(config.targets)}
        self._send([header])

    def suggest(self, sentences: Sequence[Mapping[str, Any]]) -> Iterable[Suggestion]:
        found: list[Suggestion] = []
        for start in range(0, len(sentences), BATCH):
            found.extend(self._suggest_batch(sentences[start:start + BATCH]))
        return found

    def _suggest_batch(self, sentences: Sequence[Mapping[str, Any]]) -> list[Suggestion]:
        self._send([{"id": s["id"], "text": s["text"], "lang": s.get("lang")} for s in sentences])
        deadline = time.monotonic() + self.timeout
        found: list[Suggestion] = []
        for sentence in sentences:
            line = self._next_line(deadline)
            where = f"{self.name}, answer for {sentence['id']}"
            try:
                answer = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise DataError(f"answered {line[:60]!r}, which is not a JSON line", where=where,
                                fix="print one JSON object per sentence, in order") from None
            if not isinstance(answer, dict) or answer.get("id") != sentence["id"]:
                raise DataError(f"answered for {answer.get('id') if isinstance(answer, dict) else answer!r} "
                                f"instead of {sentence['id']!r}", where=where,
                                fix="answer every sentence once, in the order they come")
            for record in answer.get("suggestions") or []:
                if not isinstance(record, dict):
                    raise DataError(f"a suggestion is {record!r}, not an object", where=where)
                suggestion = parse_suggestion(record, self.config, where, source=self.name,
                                              sentence_id=sentence["id"])
                if _fits(sentence, suggestion):
                    found.append(_completed(sentence, suggestion))
        return found

    def close(self) -> None:
        try:
            if self._process.stdin:
                self._process.stdin.close()
            self._process.wait(1)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def _send(self, records: list[dict[str, Any]]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(b"".join(orjson.dumps(record) + b"\n" for record in records))
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._ended() from None

    def _next_line(self, deadline: float) -> bytes:
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self._process.kill()
            raise DataError(f"gave no answer within {self.timeout:g} s", where=self.name,
                            fix="make the program answer each line as it comes (flush its output)") from None
        if line is None:
            raise self._ended()
        return line

    def _ended(self) -> DataError:
        try:
            code = self._process.wait(1)  # its output ended: the exit code follows at once
        except subprocess.TimeoutExpired:
            code = None
        # What it wrote to stderr before it ended is read by another thread: waited for (not for long:
        # a child process of its own may hold stderr open), or the message could lack its reason.
        self._error_reader.join(1)
        said = "; ".join(self._errors[-3:])
        return DataError(f"the program ended (exit code {code})" + (f": {said}" if said else ""), where=self.name,
                         fix="run the command by hand to see what goes wrong")

    @staticmethod
    def _read(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
        for line in iter(stream.readline, b""):
            if line.strip():
                lines.put(line.rstrip(b"\n"))
        lines.put(None)

    def _read_errors(self) -> None:
        stream = self._process.stderr
        assert stream is not None
        for line in iter(stream.readline, b""):
            self._errors.append(line.decode("utf-8", "replace").strip()[:200])
            del self._errors[:-20]
