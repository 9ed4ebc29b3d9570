"""Suggestions from the project's own models: the baselines trained on the gold and the annotator's
answers so far (``builtin``, retrained in a background process as answers come), or a model a run
saved (``run:RUN_ID``). Both implement the suggester interface of :mod:`tagline.annotate.suggest`;
``builtin`` also says how unsure it is, for ``--order uncertain``."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tagline.annotate.suggest import Slot, Suggestion, suggestion_values
from tagline.corpus.workspace import Workspace
from tagline.eval.baselines.debate import debate_lines
from tagline.eval.baselines.registry import reads_context
from tagline.eval.suggesters import RETRAIN_EVERY
from tagline.eval.uncertainty import MEASURE, class_uncertainty, crf_uncertainty
from tagline.wording import plural

# Retrain after this many new answers; one training runs at a time, in another process, so a key
# press never waits for it.
MIN_EXAMPLES = 2  # a question needs answers of at least two labels before a classifier is trained for it
CRF_ITERATIONS = 100  # half the entity baseline's: 0.5 s instead of 1.7 s on the sample, retrained often
# The CRF learns from at most this many sentences with entity answers (the annotator's own first,
# then the gold), so a retraining stays in seconds as the gold grows; the classifiers take all.
CRF_MAX_SENTENCES = 2000


@dataclass
class TrainingData:
    """What the models learn from: per question, sentence texts and their answers."""

    lang: str
    tasks: list[str]
    targets: list[str]
    labels: dict[str, list[str]]
    texts: dict[str, str] = field(default_factory=dict)  # sentence id -> text
    langs: dict[str, str] = field(default_factory=dict)
    answers: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)  # slot -> id -> value
    own: set[str] = field(default_factory=set)  # sentences the annotator answered (their answers come first)


@dataclass
class TrainedModels:
    """Fitted models per question; a question without one gets no suggestion."""

    classifiers: dict[tuple[str, str | None], Any] = field(default_factory=dict)
    tagger: Any = None
    examples: int = 0


def training_data(workspace: Workspace, annotator: str | None) -> TrainingData:
    """The gold view, with this annotator's own current answers on top (they are the freshest)."""
    from tagline.annotate.events import load_view
    from tagline.annotate.gold import gold_view

    config = workspace.config
    sentences = {s["id"]: s for s in workspace.iter_sentences()}
    langs = Counter(s["lang"] for s in sentences.values())
    data = TrainingData(lang=langs.most_common(1)[0][0] if langs else "ja", tasks=list(config.tasks),
                        targets=list(config.targets), labels={task: config.labels(task) for task in config.tasks})
    for (sentence_id, task, target), record in gold_view(workspace).items():
        if sentence_id in sentences:
            data.answers.setdefault((task, target), {})[sentence_id] = record["value"]
    if annotator:
        for sentence_id, answers in load_view(workspace, annotator).answers.items():
            if sentence_id in sentences:
                data.own.add(sentence_id)
                for slot, value in answers.items():
                    data.answers.setdefault(slot, {})[sentence_id] = value
    used = {sentence_id for by_sentence in data.answers.values() for sentence_id in by_sentence}
    data.texts = {sentence_id: sentences[sentence_id]["text"] for sentence_id in used}
    data.langs = {sentence_id: sentences[sentence_id]["lang"] for sentence_id in used}
    return data


def _classifier(lang: str) -> Any:
    """The baselines' TF-IDF features with a logistic regression fitted by stochastic gradient descent.

    The ``tfidf_logreg`` baseline's L-BFGS fit took 1.5-8 s per question on the 77 sample sentences
    on a busy 2-core machine, SGD on the same log loss 0.02 s; a suggester retrained as answers come
    needs the latter. Its probabilities are the scores suggestions carry.
    """
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    from tagline.eval.baselines import text_features

    return Pipeline([("features", text_features(lang)),
                     ("classifier", SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0))])


def train_models(data: TrainingData) -> TrainedModels:
    """Fit a TF-IDF logistic regression per label question and a CRF for entities (run in a worker)."""
    trained = TrainedModels()
    for (task, target), by_sentence in data.answers.items():
        if task == "entities":
            continue
        ids = sorted(by_sentence)
        labels = [by_sentence[sentence_id]["label"] for sentence_id in ids]
        trained.examples = max(trained.examples, len(ids))
        if len(set(labels)) < MIN_EXAMPLES:
            continue
        model = _classifier(data.lang)
        model.fit([data.texts[sentence_id] for sentence_id in ids], labels)
        trained.classifiers[(task, target)] = model
    entity_answers = data.answers.get(("entities", None), {})
    if any(value["spans"] for value in entity_answers.values()):
        from tagline.eval.entities import CRFTagger

        ids = sorted(entity_answers, key=lambda sentence_id: (sentence_id not in data.own, sentence_id))
        ids = ids[:CRF_MAX_SENTENCES]
        trained.tagger = CRFTagger(max_iterations=CRF_ITERATIONS).fit(
            [data.texts[i] for i in ids], [data.langs[i] for i in ids],
            [[(s["start"], s["end"], s["label"]) for s in entity_answers[i]["spans"]] for i in ids])
    return trained


def suggestions_from(models: TrainedModels, sentences: Sequence[Mapping[str, Any]], source: str
                     ) -> list[Suggestion]:
    """What the fitted models say about ``sentences``, with the probability of each answer as its score."""
    found: list[Suggestion] = []
    texts = [sentence["text"] for sentence in sentences]
    for (task, target), model in models.classifiers.items():
        probabilities = model.predict_proba(texts)
        classes = list(model.classes_)
        for sentence, row in zip(sentences, probabilities):
            best = int(row.argmax())
            value = suggestion_values(sentence, task, target, {"label": str(classes[best])})
            found.append(Suggestion(sentence["id"], task, target, value, float(row[best]), source))
    if models.tagger is not None:
        for sentence, (spans, score, candidates) in zip(sentences, _tag(models.tagger, sentences)):
            value, offered = (suggestion_values(sentence, "entities", None, {"spans": [
                {"start": s, "end": e, "label": label} for s, e, label in chosen]}) for chosen in (spans, candidates))
            found.append(Suggestion(sentence["id"], "entities", None, value, score, source,
                                    tuple(offered["spans"])))
    return found


def uncertainty_from(models: TrainedModels, sentences: Sequence[Mapping[str, Any]], measure: str = MEASURE
                     ) -> list[dict[Slot, float]]:
    """How unsure the fitted models are of each question of each sentence (see
    :mod:`tagline.eval.uncertainty`): over the class probabilities of each label question, and the
    CRF's tag marginals for entities."""
    found: list[dict[Slot, float]] = [{} for _ in sentences]
    texts = [sentence["text"] for sentence in sentences]
    for slot, model in models.classifiers.items():
        for by_slot, value in zip(found, class_uncertainty(model.predict_proba(texts), measure)):
            by_slot[slot] = float(value)
    if models.tagger is not None:
        for by_slot, sentence in zip(found, sentences):
            _, features = models.tagger._sentence_features(sentence["text"], sentence["lang"])
            value = crf_uncertainty(models.tagger.model.tagger_, features, measure)
            if value is not None:
                by_slot[("entities", None)] = value
    return found


def _tag(tagger: Any, sentences: Sequence[Mapping[str, Any]]) -> Iterable[tuple[list, float | None, list]]:
    """Spans per sentence, how sure the CRF is of the whole tag sequence (mean token marginal), and
    the candidate spans it does not tag (:mod:`tagline.eval.span_candidates`)."""
    from tagline.eval.entities import bio_to_spans
    from tagline.eval.span_candidates import span_candidates

    for sentence in sentences:
        offsets, features = tagger._sentence_features(sentence["text"], sentence["lang"])
        if not offsets:
            yield [], None, []
            continue
        tags = tagger.model.predict_single(features)
        spans = bio_to_spans(offsets, tags)
        marginals = getattr(tagger.model, "predict_marginals_single", None)
        if marginals is None:
            yield spans, None, []
            continue
        token_marginals = marginals(features)
        score = sum(token[tag] for token, tag in zip(token_marginals, tags)) / len(tags)
        yield spans, score, span_candidates(offsets, token_marginals, spans)


# The workers' niceness: on a busy machine the session's process gets the CPU first, so key
# presses are not slowed by a training or predictions (p95 Space to screen 20-37 ms instead of
# 34-46 ms at a load of 8 on 2 cores; the first suggestions came as soon).
WORKER_NICENESS = 10


def _quiet_worker(command_pid: int) -> None:
    from tagline.corpus.workers import end_with_command

    # The terminal's Ctrl-C is for the session, which stops the worker itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICENESS)
    # A command killed outright cannot stop it; and its parent is the fork server, not the command.
    end_with_command(command_pid)


def warm_up(lang: str) -> None:
    """Import what reading and using the fitted models takes (scikit-learn, CRFsuite, MeCab and its
    dictionary), so that the first model is used as soon as its training is done.

    Run in the predicting process while the first training runs in the training one: the imports
    and the training take seconds each (1.5 s and 0.7 s of CPU on the sample, several times that on
    a busy machine), and one after the other they made the first suggestions wait for both.
    """
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import sklearn_crfsuite  # noqa: F401

    from tagline.corpus.tokenize import tokenize_with_pos
    from tagline.eval.baselines import text_features

    text_features(lang)
    if lang in ("ja", "en"):
        tokenize_with_pos("a", lang)


# ----- the two worker processes of the built-in suggester -------------------------------------
# They hand each other the fitted models as pickled bytes, which the session's process passes on
# without reading, so it never imports scikit-learn nor spends its time (and its GIL, which the key
# presses need) on models.
_served: TrainedModels | None = None  # in the predicting process: the models it answers with


def _train(data: TrainingData) -> bytes:
    return pickle.dumps(train_models(data), protocol=pickle.HIGHEST_PROTOCOL)


def _train_workspace(root: str, annotator: str | None) -> bytes:
    return _train(training_data(Workspace(root), annotator))


def _serve(models: bytes) -> None:
    global _served
    _served = pickle.loads(models)  # made by our own training process a moment ago


def _predict(sentences: list[dict[str, Any]], source: str) -> list[Suggestion]:
    return suggestions_from(_served, sentences, source) if _served is not None else []


def _measure(sentences: list[dict[str, Any]]) -> list[dict[Slot, float]]:
    return uncertainty_from(_served, sentences) if _served is not None else [{} for _ in sentences]


def _worker() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_quiet_worker, initargs=(os.getpid(),))


def _result(worker: ProcessPoolExecutor, future: Future[Any]) -> Any:
    """``future``'s result; if its worker ended as it started (a script that opens the builtin
    suggester outside ``if __name__ == "__main__":``, which the worker imports again), the error
    that says so instead of ``BrokenProcessPool``."""
    from concurrent.futures.process import BrokenProcessPool

    from tagline.corpus.workers import raise_if_refused

    try:
        return future.result()
    except BrokenProcessPool:
        raise_if_refused(worker, 'open the builtin suggester under `if __name__ == "__main__":` '
                                 "(its workers import the script again)")
        raise


class BuiltinSuggester:
    """The baselines, trained on the gold and ``annotator``'s answers, retrained every ``retrain_every``
    new answers.

    Two worker processes do the work: one trains, the other predicts with the last model trained,
    so suggestions go on coming from that model while the next one trains, and neither the
    training nor the predictions run in the session's process. Suggestions wait for the first
    training only; meanwhile :attr:`status` says what it trains on.
    """

    name = "builtin"

    def __init__(self, workspace: Workspace, annotator: str | None = None, *, retrain_every: int = RETRAIN_EVERY):
        from tagline.corpus.workers import refuse_to_start

        refuse_to_start(forkserver=True)  # a worker importing a script that opens one outside a main guard
        self.workspace = workspace
        self.annotator = annotator
        self.retrain_every = retrain_every
        self.version = 0  # models trained and taken; 0 until the first
        self._new_answers = 0
        self._trainer = _worker()
        self._predictor = _worker()
        # The first training's data is read here, to say how much it is; later ones in the trainer.
        data = training_data(workspace, annotator)
        self.status: str | None = f"training the builtin model on {plural(len(data.texts), 'answered sentence')}"
        self._training: Future[bytes] | None = self._trainer.submit(_train, data)
        self.trainings = 1
        self._predictor.submit(warm_up, data.lang)

    def suggest(self, sentences: Sequence[Mapping[str, Any]]) -> list[Suggestion]:
        self._take_trained(wait=self.version == 0)
        return _result(self._predictor, self._predictor.submit(_predict, [dict(s) for s in sentences], self.name)) \
            if self.version else []

    def uncertainty(self, sentences: Sequence[Mapping[str, Any]]) -> list[dict[Slot, float]]:
        self._take_trained(wait=self.version == 0)
        return _result(self._predictor, self._predictor.submit(_measure, [dict(s) for s in sentences])) \
            if self.version else [{} for _ in sentences]

    def learn(self, events: Sequence[Mapping[str, Any]]) -> None:
        self._new_answers += len(events)
        self._take_trained(wait=False)
        if self._new_answers >= self.retrain_every and self._training is None:
            self._new_answers = 0
            self._training = self._trainer.submit(_train_workspace, str(self.workspace.root), self.annotator)
            self.trainings += 1

    def close(self) -> None:
        for worker in (self._trainer, self._predictor):
            worker.shutdown(wait=False, cancel_futures=True)

    def _take_trained(self, *, wait: bool) -> None:
        """Hand a finished training's models to the predicting process (which answers in order, so
        every prediction asked after this uses them)."""
        if self._training is None or not (wait or self._training.done()):
            return
        self._predictor.submit(_serve, _result(self._trainer, self._training))
        self._training = None
        self.version += 1
        self.status = None


class RunSuggester:
    """Suggestions from the model a run saved, for that run's task."""

    def __init__(self, workspace: Workspace, run_id: str):
        from tagline.eval.run import find_run, load_model, read_run_result

        directory = find_run(workspace, run_id)
        result = read_run_result(directory)
        self.task = result["task"]
        self.name = f"run:{result['run_id']}"
        self.model = load_model(directory)
        self.targets = list(workspace.config.targets)
        self.context = reads_context(str(result["baseline"]))

    def suggest(self, sentences: Sequence[Mapping[str, Any]]) -> list[Suggestion]:
        texts = [sentence["text"] for sentence in sentences]
        if self.task == "entities":
            langs = [sentence["lang"] for sentence in sentences]
            spans = self.model.predict(texts, langs)
            return [Suggestion(sentence["id"], "entities", None,
                               suggestion_values(sentence, "entities", None,
                                                 {"spans": [{"start": s, "end": e, "label": label}
                                                            for s, e, label in found]}), None, self.name)
                    for sentence, found in zip(sentences, spans)]
        pairs: list[tuple[str | None, Mapping[str, Any]]] = [(None, sentence) for sentence in sentences]
        if self.task == "stance":
            pairs = [(target, sentence) for sentence in sentences for target in self.targets]
        inputs: list[Any] = [(target, sentence["text"]) if target else sentence["text"] for target, sentence in pairs]
        if self.context:  # a debate baseline: each sentence with its document and speaker
            inputs = debate_lines(texts, [sentence["doc_id"] for sentence in sentences],
                                  [(sentence.get("meta") or {}).get("speaker") for sentence in sentences])
        labels = [str(label) for label in self.model.predict(inputs)]
        scores = _scores(self.model, inputs, labels)
        return [Suggestion(sentence["id"], self.task, target,
                           suggestion_values(sentence, self.task, target, {"label": label}), score, self.name)
                for (target, sentence), label, score in zip(pairs, labels, scores)]


def _scores(model: Any, inputs: list[Any], labels: list[str]) -> list[float | None]:
    if not hasattr(model, "predict_proba"):
        return [None] * len(inputs)
    try:
        probabilities = model.predict_proba(inputs)
    except (AttributeError, ValueError, TypeError):
        return [None] * len(inputs)
    classes = list(model.classes_)
    return [float(row[classes.index(label)]) if label in classes else None for row, label in zip(probabilities, labels)]


def open_builtin(workspace: Workspace, argument: str, *, annotator: str | None = None,
                 retrain_every: int | None = None, **_: object) -> BuiltinSuggester:
    return BuiltinSuggester(workspace, annotator, retrain_every=retrain_every or RETRAIN_EVERY)


def open_run(workspace: Workspace, argument: str, **_: object) -> RunSuggester:
    return RunSuggester(workspace, argument)
