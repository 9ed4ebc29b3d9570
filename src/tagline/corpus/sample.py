"""The bundled sample corpus: a Japanese news feature on DeepSeek and the US–China AI race."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from tagline.corpus.workspace import Workspace

SAMPLE_DOC_ID = "deepseek_ja"
SAMPLE_ANNOTATOR = "sample-gold"


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
    """Ingest the sample article and copy its gold annotations in (annotator ``sample-gold``)."""
    from tagline.corpus.ingest import add_documents

    add_documents(workspace, [sample_article_path()], lang="ja", doc_id=SAMPLE_DOC_ID)
    annotations = sample_file(f"{SAMPLE_DOC_ID}.annotations.jsonl")
    target = workspace.annotation_path(SAMPLE_ANNOTATOR)
    if annotations.is_file() and not target.exists():
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(annotations, tmp)
        tmp.replace(target)
