"""Word clusters learnt from unlabelled text, for the entity CRF: each word's left and right
neighbours counted, weighted by positive pointwise mutual information, reduced by truncated SVD and
grouped by k-means at a few granularities (a flat stand-in for Brown clusters' bit-string prefixes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

SIZES = (32, 128, 512)
"""The numbers of clusters, coarsest first: a word's clusters are listed in this order."""


def learn_clusters(sentences: Iterable[Sequence[str]], *, sizes: Sequence[int] = SIZES, dimensions: int = 100,
                   contexts: int = 3000, min_count: int = 2, random_state: int = 0) -> dict[str, list[str]]:
    """Each word seen ``min_count`` times or more in ``sentences`` (lists of tokens), with its
    cluster number at each of ``sizes``, as strings.

    A word's context is the word before it and the word after it, each one of the ``contexts`` most
    frequent words or "another word"; the sentence's edges count as words. There are never more
    clusters than words with distinct contexts; no word seen often enough gives no clusters.

    Examples
    --------
    >>> sentences = [["東京", "に", "住む"], ["大阪", "に", "住む"], ["東京", "で", "働く"], ["大阪", "で", "働く"]]
    >>> clusters = learn_clusters(sentences, sizes=(3,), dimensions=3)
    >>> clusters["東京"] == clusters["大阪"] != clusters["住む"] == clusters["働く"] != clusters["に"]
    True
    """
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    sentences = [list(sentence) for sentence in sentences]
    counts = Counter(token for sentence in sentences for token in sentence)
    vocabulary = sorted(word for word, count in counts.items() if count >= min_count)
    if len(vocabulary) < 2:
        return {}
    row_of = {word: i for i, word in enumerate(vocabulary)}
    frequent = sorted(counts, key=lambda word: (-counts[word], word))[:contexts]
    column_of = {word: i for i, word in enumerate(["<edge>", *frequent])}
    other, width = len(column_of), len(column_of) + 1
    rows, columns = [], []
    for sentence in sentences:
        padded = ["<edge>", *sentence, "<edge>"]
        for k in range(1, len(padded) - 1):
            row = row_of.get(padded[k])
            if row is not None:
                rows += [row, row]
                columns += [column_of.get(padded[k - 1], other), width + column_of.get(padded[k + 1], other)]
    matrix = csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(vocabulary), 2 * width)).tocoo()
    matrix.sum_duplicates()
    total = matrix.data.sum()
    row_sums = np.bincount(matrix.row, weights=matrix.data, minlength=matrix.shape[0])
    column_sums = np.bincount(matrix.col, weights=matrix.data, minlength=matrix.shape[1])
    pmi = np.log(matrix.data * total / (row_sums[matrix.row] * column_sums[matrix.col]))
    keep = pmi > 0
    weighted = csr_matrix((pmi[keep], (matrix.row[keep], matrix.col[keep])), shape=matrix.shape)
    components = max(1, min(dimensions, min(weighted.shape) - 1))
    vectors = normalize(TruncatedSVD(components, random_state=random_state).fit_transform(weighted))
    clusters: dict[str, list[str]] = {word: [] for word in vocabulary}
    distinct = len(np.unique(vectors.round(6), axis=0))  # words with the same contexts make one point
    for size in sizes:
        labels = KMeans(min(size, distinct), n_init=1, random_state=random_state).fit_predict(vectors)
        for word, label in zip(vocabulary, labels):
            clusters[word].append(str(int(label)))
    return clusters
