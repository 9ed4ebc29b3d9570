"""The bundled sample corpus: a Japanese news feature on DeepSeek and the US–China AI race."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tagline.corpus.annotators import SAMPLE_ANNOTATOR, annotator_history, sample_record
from tagline.corpus.workspace import Workspace

SAMPLE_DOC_ID = "deepseek_ja"


def sample_file(name: str) -> Path:
    """Path of a file shipped in ``tagline/samples``."""
    return Path(str(resources.files("tagline").joinpath("samples", name)))


def sample_article_path() -> Path:
    return sample_file(f"{SAMPLE_DOC_ID}.txt")


def sample_gold_sentences() -> list[str]:
    """The hand-checked sentence boundaries of the sample article, one sentence per entry."""
    text = sample_file(f"{SAMPLE_DOC_ID}.sentences.txt").read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line]


def install_sample(workspace: Workspace) -> None:
    """Ingest the sample article, copy its answers in (annotator ``sample-gold``, registered in
    ``annotators.jsonl`` as imported) and, where the workspace has no gold yet, their gold.

    The sample's answers are gold, not votes: they are not counted as an annotator in progress,
    agreement, adjudication or the dataset card. The gold is what ``tagline annotate adjudicate
    --annotators sample-gold`` makes of them (method ``single``; ``tests`` check that it still is),
    shipped as a file so that the sample is ready to build. Files that exist are never written over.
    """
    from tagline.corpus.ingest import add_documents
    from tagline.corpus.store import utc_now

    copies = [(sample_file(f"{SAMPLE_DOC_ID}.annotations.jsonl"), workspace.annotation_path(SAMPLE_ANNOTATOR)),
              (sample_file(f"{SAMPLE_DOC_ID}.gold.jsonl"), workspace.gold_path)]
    with workspace.transaction() as transaction:  # the article, its answers and gold: all or nothing
        add_documents(workspace, [sample_article_path()], lang="ja", doc_id=SAMPLE_DOC_ID, index=False)
        for source, target in copies:
            if not target.exists():
                target.parent.mkdir(exist_ok=True)
                transaction.create_text(target, source.read_text(encoding="utf-8"))
        if SAMPLE_ANNOTATOR not in annotator_history(workspace):
            transaction.append(workspace.annotators_path, [sample_record(utc_now())])
