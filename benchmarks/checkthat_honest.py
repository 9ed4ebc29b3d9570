"""checkthat_ideas.py's candidates as whole models (every part refitted on the debates it is given):
``--honest NAME`` refits NAME and the reference in every leave-one-debate-out fold of the 19
CLEF-2019 training debates, ``--test NAME`` fits it on them and scores the 7 test debates once
(checkthat.py's table and per-debate figures). The reference is checkthat.py's ``--rows char`` model
(make_speaker_svm_with_corpus with the ClaimBuster, CLEF-2020 and character-n-gram priors).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from checkthat import FOLDERS, clef2020_prior, flatten, load, report
from checkthat_ideas import Averaged, vectorizer
from checkthat_more import claimbuster_file
from checkthat_variants import per_debate_ap, versus
from sklearn.base import BaseEstimator, TransformerMixin

CORPUS_DOC = "corpus sentence"
"""How WithCorpus names the document of a second corpus's sentence (one document each)."""


class KindInteractions(TransformerMixin, BaseEstimator):
    """checkthat_ideas.py's ``kind`` columns as a transformer of DebateLine items: the three debate
    cues (debate_kind) times each prior's score, each side standardised on the debate lines fitted
    on, the 9 products standardised there too; a second corpus's sentence gets zeros."""

    def __init__(self, priors: list | None = None) -> None:
        self.priors = priors

    def _parts(self, lines):
        from checkthat_ideas import debate_kind

        from tagline.eval.baselines.prior import prior_scores

        debate = np.array([not str(getattr(line, "doc_id", "")).startswith(CORPUS_DOC) for line in lines])
        return debate, debate_kind(list(lines)), np.hstack([prior_scores(lines, p) for p in self.priors])

    def _products(self, kind, scores):
        kind = (kind - self.kind_mean_) / self.kind_std_
        scores = (scores - self.score_mean_) / self.score_std_
        return np.hstack([kind[:, [k]] * scores[:, [p]] for p in range(scores.shape[1]) for k in range(3)])

    def fit(self, lines, y=None):
        debate, kind, scores = self._parts(lines)
        self.kind_mean_, self.kind_std_ = kind[debate].mean(0), np.where(kind[debate].std(0) > 0, kind[debate].std(0), 1)
        self.score_mean_, self.score_std_ = scores[debate].mean(0), scores[debate].std(0)
        products = self._products(kind[debate], scores[debate])
        self.mean_, self.std_ = products.mean(0), np.where(products.std(0) > 0, products.std(0), 1)
        return self

    def transform(self, lines):
        debate, kind, scores = self._parts(lines)
        out = (self._products(kind, scores) - self.mean_) / self.std_
        out[~debate] = 0.0
        return out


class RankAverage:
    """The within-debate rank average of ``model`` (1 - ``share``) and a logistic regression over
    character 3–6-grams (``share``) trained on the debates and ``texts`` (weight 0.1)."""

    def __init__(self, model, texts, labels, share):
        self.model, self.texts, self.labels, self.share = model, list(texts), list(labels), share

    def fit(self, lines, labels):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        self.model.fit(lines, labels)
        self.classes_ = self.model.classes_
        self.other = Pipeline([("ngrams", vectorizer("charlr")), ("classifier", LogisticRegression(C=3.0, max_iter=2000))])
        weights = [1.0] * len(lines) + [0.1] * len(self.texts)
        self.other.fit([str(t) for t in lines] + self.texts, list(labels) + self.labels,
                       classifier__sample_weight=weights)
        return self

    def decision_function(self, lines):
        from checkthat_variants import ranks_within

        from tagline.annotate.formats.checkworthiness import CHECK_WORTHY
        from tagline.eval.baselines import positive_scores

        groups = np.array([getattr(line, "doc_id", "") for line in lines])
        first = positive_scores(self.model, lines, positive=CHECK_WORTHY)
        second = positive_scores(self.other, [str(t) for t in lines], positive=CHECK_WORTHY)
        combined = (1 - self.share) * ranks_within(np.asarray(first), groups) + \
            self.share * ranks_within(np.asarray(second), groups)
        return combined if self.classes_[1] == CHECK_WORTHY else -combined


def make(name: str, texts, labels, priors, n_debate_lines: int) -> Any:
    from tagline.eval.baselines.prior import make_speaker_svm_with_corpus

    model = make_speaker_svm_with_corpus(texts, labels, *priors, lang="en")
    kind, _, value = name.partition("_")
    if kind == "tf":
        model.model.set_params(features__speaker__text__ngrams=vectorizer(value))
    elif kind == "sgd":
        model.model.set_params(classifier=Averaged(value, n_debate_lines + 0.1 * len(texts)))
    elif kind == "kind":
        features = model.model.named_steps["features"]
        features.transformer_list.append(("kind", KindInteractions(priors)))
        features.transformer_weights["kind"] = float(value)
    elif kind == "rank":
        return RankAverage(model, texts, labels, float(value))
    elif name != "reference":
        raise ValueError(name)
    return model


def setting(shared: Path):
    from tagline.annotate.formats.checkworthiness import LABELS
    from tagline.eval.baselines.prior import CrossFittedPrior, make_char_prior

    data = load(shared / "datasets" / FOLDERS["2019"], "2019")
    exclude = [row["text"] for _, rows in data["train"] + data["test"] for row in rows]
    cb_texts, cb_numbers = claimbuster_file(shared, "30", exclude)
    cb_labels = [LABELS[label] for label in cb_numbers]
    priors = [CrossFittedPrior().fit(cb_texts, cb_labels), clef2020_prior(shared, data["train"] + data["test"])[0],
              CrossFittedPrior(factory=make_char_prior).fit(cb_texts, cb_labels)]
    return data, cb_texts, cb_labels, priors


def honest(shared: Path, names: str, store: Path) -> None:
    """Each of ``names`` (comma-separated; the reference too) refitted whole in every fold, folds in
    two processes; per-debate APs kept in ``store`` (NAME.json) and read from there when present."""
    from joblib import Parallel, delayed

    from tagline.annotate.formats.checkworthiness import CHECK_WORTHY
    from tagline.eval.baselines import positive_scores

    started = time.process_time()
    data, cb_texts, cb_labels, priors = setting(shared)
    texts, labels, groups = flatten(data["train"], context=True)
    y, groups = np.array([label == CHECK_WORTHY for label in labels], dtype=int), np.array(groups)

    def fold(name, held_out):
        tr, te = np.flatnonzero(groups != held_out), np.flatnonzero(groups == held_out)
        model = make(name, cb_texts, cb_labels, priors, len(tr))
        model.fit([texts[i] for i in tr], [labels[i] for i in tr])
        return name, held_out, positive_scores(model, [texts[i] for i in te], positive=CHECK_WORTHY)

    wanted = ["reference"] + [n for n in names.split(",") if n and n != "reference"]
    per = {n: json.loads((store / f"{n}.json").read_text()) for n in wanted if (store / f"{n}.json").is_file()}
    jobs = [(n, g) for n in wanted if n not in per for g in np.unique(groups)]
    for name, g, scores in Parallel(n_jobs=2)(delayed(fold)(n, g) for n, g in jobs):
        per.setdefault(name, {})[str(g)] = per_debate_ap(y[groups == g], np.asarray(scores), groups[groups == g])[g]
    for name in wanted:
        (store / f"{name}.json").write_text(json.dumps(per[name], sort_keys=True))
        line = f"honest {name:<20}MAP {np.mean(list(per[name].values())):.4f}"
        print(line + (versus(per[name], per["reference"]) if name != "reference" else ""), flush=True)
    print(f"({time.process_time() - started:.0f} CPU s in the parent; folds in 2 processes)")


def test(shared: Path, name: str) -> None:
    """``name`` fitted on the 19 training debates, scored once on the 7 test debates."""
    from tagline.annotate.formats.checkworthiness import CHECK_WORTHY
    from tagline.eval.baselines import positive_scores

    data, cb_texts, cb_labels, priors = setting(shared)

    def fit_and_score(train, test_debates):
        lines, labels, _ = flatten(train, context=True)
        model = make(name, cb_texts, cb_labels, priors, len(lines)).fit(lines, labels)
        return positive_scores(model, flatten(test_debates, context=True)[0], positive=CHECK_WORTHY), \
            f"checkthat_ideas.py's {name}"

    args = argparse.Namespace(resamples=1000, seed=0, per_debate=True)
    report("CLEF-2019 Task 1, test debates", data["train"], data["test"], [(name, fit_and_score)], args)
