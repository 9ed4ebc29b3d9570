"""Corpus statistics and listings, computed in one streaming pass over sentences.jsonl."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from tagline.corpus.workspace import Workspace
from tagline.errors import DataError, takes_workspace


@takes_workspace
def corpus_stats(workspace: Workspace) -> dict[str, Any]:
    """Counts of documents, sentences and characters, by language and split, and sentence lengths."""
    documents = workspace.documents()
    lengths: list[int] = []
    by_lang: Counter[str] = Counter()
    by_split: Counter[str] = Counter()
    per_doc: Counter[str] = Counter()
    for record in workspace.iter_sentences():
        lengths.append(len(record["text"]))
        by_lang[record["lang"]] += 1
        by_split[record.get("split", "(unassigned)")] += 1
        per_doc[record["doc_id"]] += 1
    return {
        "workspace": str(workspace.root),
        "documents": len(documents),
        "sentences": len(lengths),
        "characters": sum(lengths),
        "by_lang": dict(sorted(by_lang.items())),
        "by_split": dict(sorted(by_split.items())),
        "sentence_length": {
            "mean": round(statistics.fmean(lengths), 2) if lengths else 0,
            "median": statistics.median(lengths) if lengths else 0,
            "min": min(lengths, default=0),
            "max": max(lengths, default=0),
        },
        "sentences_per_document": {
            "mean": round(statistics.fmean(per_doc.values()), 2) if per_doc else 0,
            "max": max(per_doc.values(), default=0),
        },
        "annotators": workspace.annotators(),
    }


def list_documents(workspace: Workspace) -> list[dict[str, Any]]:
    """The current registry record of every document, in the order they were first added."""
    return list(workspace.documents().values())


def show(workspace: Workspace, identifier: str) -> dict[str, Any]:
    """A document (its record and sentences) or one sentence, by id."""
    documents = workspace.documents()
    if identifier in documents:
        sentences = [r for r in workspace.iter_sentences() if r["doc_id"] == identifier]
        return {"document": documents[identifier], "sentences": sentences}
    for record in workspace.iter_sentences():
        if record["id"] == identifier:
            return {"sentence": record}
    known = ", ".join(list(documents)[:5])
    fix = (f"see `tagline corpus list`; documents include {known}" if known
           else "the workspace has no documents yet; run `tagline corpus add FILE`")
    raise DataError(f"no document or sentence with id {identifier!r}", where=str(workspace.root), fix=fix)
