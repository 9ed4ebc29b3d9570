"""A worker's fold that stops for the test to press Ctrl-C: while it folds, or between the writing of
its saved fold's temporary file and its rename. Imported by name in the worker processes (spawned
interpreters), so it lives in a module of its own; ``FOLD_MARKS`` is the folder where each worker
notes its process id once it has reached the pause named by ``FOLD_PAUSE``."""

from __future__ import annotations

import os
import time
from pathlib import Path

# The command run in a terminal: every answer file folded by Arrow and in workers (as files of 256 MB
# are), two cores, and the workers' fold paused when FOLD_PAUSE is set.
COMMAND = """
import os, sys
import fold_pause
from tagline.annotate import columns, fold_workers
from tagline.corpus import workers
if os.environ.get("FOLD_PAUSE"):
    fold_workers.fold_in_worker = fold_pause.fold_in_worker
fold_workers.PARALLEL_FOLD_MIN_BYTES = 0
columns.ARROW_MIN_BYTES = 0
workers.cores = lambda: 2
from tagline.cli import main
sys.argv[0] = "tagline"
main()
"""


def fold_in_worker(root: str, path: str, corpus_stamp: str, key: str):
    from tagline.annotate import fold_workers

    marks = Path(os.environ["FOLD_MARKS"])
    if os.environ["FOLD_PAUSE"] == "folding":
        (marks / str(os.getpid())).write_text(path, encoding="utf-8")
        time.sleep(600)
    else:  # saving: the temporary file is written, its rename waits
        rename = os.replace

        def paused(source, target):
            (marks / str(os.getpid())).write_text(str(source), encoding="utf-8")
            time.sleep(600)
            rename(source, target)

        os.replace = paused
    return fold_workers.fold_in_worker(root, path, corpus_stamp, key)
