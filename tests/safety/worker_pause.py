"""Worker processes that stop for a test to kill one outright (SIGKILL, as the out-of-memory killer
does): each notes its process id in the folder ``WORKER_MARKS`` and waits as it begins a call. Imported
by name in the workers (a spawned build's token workers import it again), so it lives in a module of
its own. ``WORKER_KIND`` says which work runs in workers on a small workspace:

- ``tokens``: the build's token workers (spawned), a chunk of 16 sentences each;
- ``forked``: the forked workers of an export's parts, of a Label Studio import's chunks, and of a
  doccano import's answer lines (``made_aside``), whatever the size of the export or file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

COMMAND = """
import sys
import worker_pause
worker_pause.install()
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""

_run_forked: Any = None  # the real one, once install() has put run_forked in its place


def _pause() -> None:
    marks = Path(os.environ["WORKER_MARKS"])
    (marks / str(os.getpid())).write_text("waiting", encoding="utf-8")
    time.sleep(600)


def tokens_of_chunk(*args: Any) -> Any:
    from tagline.eval.build.tokens import tokens_of_chunk as real  # a spawned worker's own, unpatched

    _pause()
    return real(*args)


def run_forked(*args: Any) -> Any:
    _pause()
    return _run_forked(*args)


def install() -> None:
    """In the command's process, before it runs: the work of ``WORKER_KIND`` in paused workers."""
    global _run_forked
    from tagline.corpus import workers

    workers.cores = lambda: 2
    if os.environ["WORKER_KIND"] == "tokens":
        from tagline.eval.build import tokens

        tokens.PARALLEL_TOKENS_MIN_SENTENCES, tokens.TOKEN_CHUNK_SENTENCES = 0, 16
        tokens.tokens_of_chunk = tokens_of_chunk
        return
    from tagline.annotate.formats import parts
    from tagline.annotate.interop import bulk, bulk_tasks

    parts.PARALLEL_EXPORT_MIN_ANSWERED = 0
    bulk_tasks.WORKER_BYTES = 0
    bulk.ASIDE_RECORDS = 0
    _run_forked, workers._run_forked = workers._run_forked, run_forked
