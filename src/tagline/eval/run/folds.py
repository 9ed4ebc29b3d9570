"""The folds of `eval run --cv K`: by document where it can, else by sentence for stance (a
sentence's target rows share a fold), else stratified by label, else plain k-fold."""

from __future__ import annotations

from tagline.errors import DataError
from tagline.eval.run.data import TaskData


def cv_folds(data: TaskData, k: int, seed: int, strata: list[str]) -> tuple[list[tuple[list[int], list[int]]], str]:
    """The ``k`` folds of a cross-validation over ``data`` as (train, test) index lists, and how they
    were made, in words for the run's ``mode``. Folds are grouped by document where there are ``k``
    documents or more; otherwise stance rows are grouped by sentence, and other tasks stratified by
    ``strata`` where every stratum has ``k`` items, else split plainly."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    n = len(data.ids)
    x = np.zeros(n)
    groups = data.doc_ids
    # A stance row is one sentence and one target: a sentence's rows must share a fold, or a pooled
    # model would be tested on a text it was trained on.
    sentences = [row_id.split("@", 1)[0] for row_id in data.ids] if data.task == "stance" else None
    if len(set(groups)) >= k:
        splitter, how = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed), "grouped by document"
        folds = list(splitter.split(x, strata, groups))
    elif sentences is not None:
        if len(set(sentences)) < k:
            raise DataError(f"--cv {k} is more folds than the {len(set(sentences))} sentences with stance gold",
                            fix=f"use at most --cv {len(set(sentences))} (5 or 10 is usual)")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "the least populated class ...": said in `how`
            splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            folds = list(splitter.split(x, strata, sentences))
        how = "grouped by sentence (too few documents to group by document)"
        if any(len(test) == 0 for _, test in folds):
            from sklearn.model_selection import GroupKFold

            folds = list(GroupKFold(n_splits=k).split(x, strata, sentences))
    elif min(np.unique(strata, return_counts=True)[1]) >= k:
        splitter, how = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed), \
            "stratified by label (too few documents to group)"
        folds = list(splitter.split(x, strata))
    else:
        splitter, how = KFold(n_splits=k, shuffle=True, random_state=seed), \
            "plain k-fold (too few documents to group, a class too rare to stratify)"
        folds = list(splitter.split(x))
    return [(list(a), list(b)) for a, b in folds], how
