"""Documents in, sentences out: workspaces, readers, segmentation, ids and offsets, the JSONL store."""

from __future__ import annotations

from tagline._exports import lazy_exports

_EXPORTS = {
    "Workspace": "tagline.corpus.workspace:Workspace",
    "init_workspace": "tagline.corpus.workspace:init_workspace",
    "find_workspace": "tagline.corpus.workspace:find_workspace",
    "add_documents": "tagline.corpus.ingest:add_documents",
    "segment": "tagline.corpus.segment:segment",
    "corpus_stats": "tagline.corpus.stats:corpus_stats",
    "append_records": "tagline.corpus.store:append_records",
    "read_records": "tagline.corpus.store:read_records",
    "Transaction": "tagline.corpus.store:Transaction",
    "ProgressCallback": "tagline.corpus.progress:ProgressCallback",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
