"""Which split each sentence goes to: predefined splits kept, the rest grouped by document and stratified."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagline.errors import DataError
from tagline.eval.build.columns import combined, string_array
from tagline.wording import plural

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

SPLIT_NAMES = {2: ("train", "test"), 3: ("train", "validation", "test")}
EVALUATED_SPLITS = ("train", "validation", "test")  # the splits `eval run` fits, tunes and reports on


def parse_ratios(text: str) -> list[float]:
    """``"0.8/0.1/0.1"`` -> ``[0.8, 0.1, 0.1]``; two or three parts summing to 1."""
    try:
        ratios = [float(part) for part in text.replace(",", "/").split("/")]
    except ValueError:
        raise DataError(f"--split {text!r} is not a list of numbers", fix="for example --split 0.8/0.1/0.1") from None
    if len(ratios) not in SPLIT_NAMES or any(r <= 0 for r in ratios) \
            or not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
        raise DataError(f"--split {text!r} must be 2 or 3 positive parts summing to 1",
                        fix="for example --split 0.8/0.1/0.1 or --split 0.9/0.1")
    return ratios


@dataclass
class SplitPlan:
    """The split of every sentence of a build, and how it was made."""

    names: list[str]  # the splits that have sentences: train, validation, test, then any other predefined
    rank: np.ndarray  # each sentence's split, as its place in ``names``
    method: str
    warnings: list[str]


def plan_splits(sentences: pa.Table, strata: Any, label_names: dict[str, str], ratios: list[float], group_by: str,
                seed: int, gold_path: str) -> SplitPlan:
    """The splits of ``sentences`` (a table with ``doc_id`` and ``split``, the predefined split or null),
    stratified by ``strata`` (a string array, or None). A split that cannot be made is an error
    about the gold, at ``gold_path``."""
    import numpy as np

    try:
        codes, code_names, method, warnings = split_codes(sentences["doc_id"], strata, sentences["split"], ratios,
                                                          group_by, seed, label_names)
    except DataError as error:
        raise DataError(error.what, where=error.where or gold_path, fix=error.fix) from None
    names = ordered_split_names([code_names[code] for code in np.flatnonzero(np.bincount(codes)).tolist()])
    rank_of_code = np.array([names.index(name) if name in names else -1 for name in code_names])
    return SplitPlan(names=names, rank=rank_of_code[codes], method=method, warnings=warnings)


def ordered_split_names(split_column: list[str]) -> list[str]:
    order = {"train": 0, "validation": 1, "test": 2}
    return sorted(set(split_column), key=lambda name: (order.get(name, 3), name))


def assign_splits(doc_ids: list[str], strata: list | None, predefined: list[str | None], ratios: list[float],
                  group_by: str, seed: int, *, label_names: dict | None = None) -> tuple[list[str], str, list[str]]:
    """Split names for each item: predefined names are kept; the rest are split by ``ratios``.

    Grouped by document (no document in two splits) and stratified by ``strata`` where possible;
    with fewer documents than splits, falls back to sentence-level stratified splitting.
    Returns ``(splits, method, warnings)``. Deterministic for a seed.
    """
    import pyarrow as pa

    strata_array = None if strata is None else pa.array([None if s is None else str(s) for s in strata], pa.string())
    codes, names, method, warnings = split_codes(pa.array(list(doc_ids)), strata_array,
                                                 pa.array(list(predefined), pa.string()), ratios, group_by, seed,
                                                 label_names or {})
    return [names[code] for code in codes.tolist()], method, warnings


NO_STRATUM = "__none__"  # the stratum of sentences without the label the splits are stratified by


@dataclass
class _Strata:
    """The strata of the items to split: distinct ``values``, each item's index into them, and counts."""

    values: list[str]
    inverse: np.ndarray
    counts: list[int]

    def rare_merged(self, minimum: int, warnings: list[str], label_names: dict[str, str]) -> list[str]:
        """``values`` with those of fewer than ``minimum`` items pooled into one stratum, said in ``warnings``."""
        count_of = dict(zip(self.values, self.counts))
        rare = sorted(label for label, count in count_of.items() if count < minimum)
        if not rare:
            return list(self.values)
        named = {NO_STRATUM: "no gold label", **label_names}  # a sentence without the label stratified by
        names = ", ".join(f"{named.get(label, label)} ({count_of[label]})" for label in rare)
        warnings.append(f"too rare to stratify (fewer than {minimum} sentences): {names}; "
                        "they were pooled into one stratum and split at random with it")
        return ["__rare__" if label in rare else label for label in self.values]


def split_codes(doc_ids: Any, strata: Any, predefined: Any, ratios: list[float], group_by: str, seed: int,
                label_names: dict[str, str]) -> tuple[np.ndarray, list[str], str, list[str]]:
    """:func:`assign_splits` on Arrow arrays: ``(codes, names, method, warnings)``, the split of item
    ``i`` being ``names[codes[i]]``. ``strata`` is a string array (null: no stratum) or None."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    names = list(SPLIT_NAMES[len(ratios)])
    warnings: list[str] = []
    todo_mask = pc.is_null(predefined).to_numpy(zero_copy_only=False)
    todo = np.flatnonzero(todo_mask)
    codes = np.zeros(len(todo_mask), dtype=np.int64)
    kept = len(todo_mask) - len(todo)
    if kept:
        _keep_predefined(predefined.filter(pa.array(~todo_mask)), ~todo_mask, names, codes, warnings)
    method_parts = [f"{kept} sentences kept their predefined split"] if kept else []
    if not len(todo):
        return codes, names, "; ".join(method_parts) or "predefined", warnings
    todo_indices = pa.array(todo)
    if strata is None:
        values, inverse = [NO_STRATUM], np.zeros(len(todo), dtype=np.int64)
    else:
        encoded = combined(pc.fill_null(strata.take(todo_indices), NO_STRATUM)).dictionary_encode()
        values, inverse = encoded.dictionary.to_pylist(), encoded.indices.to_numpy().astype(np.int64)
    todo_strata = _Strata(values, inverse, np.bincount(inverse, minlength=len(values)).tolist())
    groups = doc_ids.take(todo_indices)
    n_groups = pc.count_distinct(groups).as_py()
    if group_by == "doc_id" and n_groups >= len(ratios):
        codes[todo], method = _grouped_codes(groups, n_groups, todo_strata, ratios, int(seed), warnings, label_names)
    else:
        if group_by == "doc_id":
            warnings.append(f"only {plural(n_groups, 'document')} with gold to divide into {len(ratios)} "
                            "splits: split by sentence instead of by document, so sentences of one document "
                            "appear in several splits")
        codes[todo] = _sentence_codes(todo_strata, ratios, int(seed), names, warnings, label_names)
        method = "sentence-level stratified split (train_test_split)"
    method_parts.append(method)
    return codes, names, "; ".join(method_parts), warnings


def _keep_predefined(given: Any, given_mask: np.ndarray, names: list[str], codes: np.ndarray,
                     warnings: list[str]) -> None:
    """Give the items with a predefined split (``given``, at ``given_mask``) its code, adding its name to
    ``names``; a split that `eval run` does not use is kept, with a warning."""
    import numpy as np
    import pyarrow.compute as pc

    names.extend([name for name in pc.unique(given).to_pylist() if name not in names])
    codes[given_mask] = pc.index_in(given, value_set=string_array(names)).to_numpy()
    unused = sorted(set(names) - set(EVALUATED_SPLITS))
    if unused:
        counts = np.bincount(codes[given_mask], minlength=len(names))
        listed = ", ".join(f"{name!r} ({plural(int(counts[names.index(name)]), 'sentence')})" for name in unused)
        warnings.append(f"predefined split {listed} kept in the dataset, but `tagline eval run` trains on train, "
                        "tunes on validation and reports on test, so it uses those sentences only with --cv K "
                        "(`tagline eval score --split NAME` scores against any split)")


def _grouped_codes(groups: Any, n_groups: int, strata: _Strata, ratios: list[float], seed: int,
                   warnings: list[str], label_names: dict[str, str]) -> tuple[np.ndarray, str]:
    """The split of each item when whole documents (``groups``) go to one split: StratifiedGroupKFold
    folds, given to splits by largest deficit."""
    import numpy as np
    import pyarrow.compute as pc

    n_splits = min(fold_count(ratios), n_groups)
    merged = strata.rare_merged(n_splits, warnings, label_names)
    classes = sorted(set(merged))
    y = np.array([classes.index(label) for label in merged], dtype=np.int64)[strata.inverse]
    distinct = pc.unique(groups)
    distinct = distinct.take(pc.sort_indices(distinct))
    group_of = pc.index_in(groups, value_set=distinct).to_numpy().astype(np.int64)
    fold_of = stratified_group_folds(y, len(classes), group_of, len(distinct), n_splits, seed)
    sizes = np.bincount(fold_of, minlength=n_splits)
    fold_split = np.array(folds_to_splits(sizes, ratios), dtype=np.int64)
    return fold_split[fold_of], (f"grouped by document ({n_groups} documents, no document in two splits), "
                                 f"stratified by label with StratifiedGroupKFold ({n_splits} folds)")


def _sentence_codes(strata: _Strata, ratios: list[float], seed: int, names: list[str], warnings: list[str],
                    label_names: dict[str, str]) -> np.ndarray:
    """The split of each item, split by sentence with scikit-learn's ``train_test_split``, one split after
    another, stratified where every stratum has two items."""
    import numpy as np

    n_items = len(strata.inverse)
    if n_items < len(ratios):
        raise too_few_to_split(n_items, names[:len(ratios)])
    merged = strata.rare_merged(2 * len(ratios), warnings, label_names)
    assigned = np.empty(n_items, dtype=np.int64)
    remaining: np.ndarray = np.arange(n_items)  # typed loosely: numpy's shape types differ between 2.2 and 2.3
    remaining_y, remaining_share = np.array(merged, dtype=object)[strata.inverse], 1.0
    for split_index, ratio in enumerate(ratios[:-1]):
        try:
            chosen, rest, stratified = _take_share(remaining, remaining_y, ratio / remaining_share, seed)
        except ValueError:
            raise too_few_to_split(n_items, names[:len(ratios)]) from None
        if not stratified:
            warnings.append(f"could not stratify the {names[split_index]} split; split at random")
        assigned[chosen] = split_index
        mask = np.isin(remaining, rest)
        remaining, remaining_y = remaining[mask], remaining_y[mask]
        remaining_share -= ratio
    assigned[remaining] = len(ratios) - 1
    return assigned


def _take_share(items: np.ndarray, strata: np.ndarray, share: float, seed: int) -> tuple[Any, Any, bool]:
    """``(chosen, rest, stratified)``: ``share`` of ``items`` chosen, stratified if it can be; ValueError if
    even a random choice cannot be made."""
    from sklearn.model_selection import train_test_split

    stratify = strata if len(set(strata)) > 1 and min(Counter(strata).values()) >= 2 else None
    try:
        chosen, rest = train_test_split(items, train_size=share, random_state=seed, stratify=stratify)
        return chosen, rest, True
    except ValueError:
        chosen, rest = train_test_split(items, train_size=share, random_state=seed)
        return chosen, rest, False


def too_few_to_split(n_sentences: int, split_names: list[str]) -> DataError:
    return DataError(f"only {plural(n_sentences, 'gold sentence')} to divide into {', '.join(split_names)}: "
                     "too few to give every split a sentence",
                     fix="adjudicate more sentences into gold (`tagline annotate adjudicate`)"
                         + (", or ask for two splits with --split 0.8/0.2" if len(split_names) > 2 else ""))


def fold_count(ratios: list[float]) -> int:
    """The fewest folds that make every ratio a whole number of folds (0.8/0.1/0.1: 10), at most 100."""
    for folds in range(len(ratios), 101):
        if all(abs(r * folds - round(r * folds)) < 1e-6 for r in ratios):
            return folds
    return 100


def stratified_group_folds(y: np.ndarray, n_classes: int, groups: np.ndarray, n_groups: int, n_splits: int,
                           seed: int) -> np.ndarray:
    """The test fold of every item under scikit-learn's ``StratifiedGroupKFold(n_splits, shuffle=True,
    random_state=seed)``, given class codes ``y`` (classes in sorted order of their names) and group
    codes ``groups`` (groups in sorted order of their ids).

    The same greedy algorithm and the same floating-point operations as scikit-learn 1.x, so the same
    folds, but the candidate folds of a group are scored in one array operation and items are counted
    with ``bincount``: about 20x faster on 28,000 documents, where scikit-learn's per-item and per-fold
    Python loops took 18 s.
    """
    import numpy as np

    y_cnt = np.bincount(y, minlength=n_classes)
    y_counts_per_group = np.bincount(groups * n_classes + y, minlength=n_groups * n_classes) \
        .reshape(n_groups, n_classes).astype(np.float64)
    rng = np.random.RandomState(seed)
    perm = np.arange(n_groups)
    rng.shuffle(perm)
    y_counts_per_group = y_counts_per_group[perm]
    inv_perm = np.empty_like(perm)
    inv_perm[perm] = np.arange(perm.size)
    groups = inv_perm[groups]
    # Stable sort to keep the shuffled order for groups with the same class distribution variance.
    sorted_groups_idx = np.argsort(-np.std(y_counts_per_group, axis=1), kind="stable")

    y_counts_per_fold = np.zeros((n_splits, n_classes))
    samples_per_fold = [0.0] * n_splits
    one_hot = np.eye(n_splits)[:, :, None]
    divisor = y_cnt.reshape(1, 1, -1)
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    for group_idx in sorted_groups_idx.tolist():
        group_y_counts = y_counts_per_group[group_idx]
        # Row i: the folds as they would be with the group in fold i (adding 0.0 elsewhere is exact).
        proposed = y_counts_per_fold[None, :, :] + one_hot * group_y_counts
        fold_evals = _mean_of_stds(proposed / divisor).tolist()
        best_fold = _best_fold(fold_evals, samples_per_fold)
        y_counts_per_fold[best_fold] += group_y_counts
        samples_per_fold[best_fold] = float(np.sum(y_counts_per_fold[best_fold]))
        fold_of_group[group_idx] = best_fold
    return fold_of_group[groups]


def _mean_of_stds(scaled: np.ndarray) -> np.ndarray:
    """``np.mean(np.std(scaled, axis=1), axis=1)`` for a 3-d array, by the same ufuncs in the same order
    as NumPy's ``_var`` and ``_mean`` (so equal to the last bit), without their per-call Python work,
    which the loop over every group pays once per group."""
    import numpy as np

    folds, classes = scaled.shape[1], scaled.shape[2]
    mean = np.add.reduce(scaled, axis=1, keepdims=True)
    np.true_divide(mean, folds, out=mean)
    deviation = scaled - mean
    np.multiply(deviation, deviation, out=deviation)
    variance = np.add.reduce(deviation, axis=1)
    np.true_divide(variance, folds, out=variance)
    mean_std = np.add.reduce(np.sqrt(variance), axis=1)
    return np.true_divide(mean_std, classes, out=mean_std)


def _best_fold(fold_evals: list[float], samples_per_fold: list[float]) -> int:
    """scikit-learn's choice: the lowest score, and among scores within ``numpy.isclose`` of it, the fold
    with the fewest items so far (the first such fold on a tie)."""
    best_fold, min_eval, min_samples_in_fold = 0, math.inf, math.inf
    for i, fold_eval in enumerate(fold_evals):
        samples_in_fold = samples_per_fold[i]
        close = (abs(fold_eval - min_eval) <= 1e-08 + 1e-05 * abs(min_eval) and math.isfinite(min_eval)) \
            or fold_eval == min_eval  # numpy.isclose
        if fold_eval < min_eval or (close and samples_in_fold < min_samples_in_fold):
            best_fold, min_eval, min_samples_in_fold = i, fold_eval, samples_in_fold
    return best_fold


def folds_to_splits(sizes: np.ndarray, ratios: list[float]) -> list[int]:
    """Give folds to splits so that split sizes come closest to the ratios (largest deficit first)."""
    total = int(sizes.sum())
    targets = [r * total for r in ratios]
    current = [0.0] * len(ratios)
    mapping = [0] * len(sizes)
    order = sorted(range(len(sizes)), key=lambda f: -int(sizes[f]))
    for fold in order:
        split = max(range(len(ratios)), key=lambda s: (targets[s] - current[s]) / max(targets[s], 1e-9))
        mapping[fold] = split
        current[split] += int(sizes[fold])
    return mapping
