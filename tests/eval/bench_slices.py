"""Small slices of the real benchmark files, made at test time in a temporary datasets folder (the
data is never committed): every n-th line of the SemEval-2016 files, and the first lines of a few
CheckThat! 2019 debates. Tests that use them skip where ../shared is absent."""

from __future__ import annotations

from pathlib import Path

from conftest import require_shared

SEMEVAL_STEPS = {"semeval2016-task6-trainingdata.txt": 15, "trialdata-all-annotations.txt": 10,
                 "SemEval2016-Task6-subtaskA-testdata-gold.txt": 12}
CHECKTHAT_DEBATES = {"training": ("20160209_msnbc_dem.tsv", "20170228_trump_address.tsv"),
                     "test_annotated": ("20180131_state_union.tsv", "20190205_trump_state.tsv")}


def semeval_slice(datasets: Path) -> Path:
    """The header and every n-th tweet of each official file, bytes and CRLF line ends kept: about
    190 training and 100 test tweets over all five targets."""
    source = require_shared("datasets/semeval2016-task6")
    folder = datasets / "semeval2016-task6"
    folder.mkdir(parents=True, exist_ok=True)
    for name, step in SEMEVAL_STEPS.items():
        header, *body = [line for line in (source / name).read_bytes().split(b"\r\n") if line]
        (folder / name).write_bytes(b"\r\n".join([header, *body[::step]]) + b"\r\n")
    return folder


def checkthat_slice(datasets: Path, lines: int = 120) -> Path:
    """The first ``lines`` sentences of two training and two test debates of CLEF-2019 Task 1."""
    source = require_shared("datasets/clef2019-checkthat-task1")
    folder = datasets / "clef2019-checkthat-task1"
    for part, names in CHECKTHAT_DEBATES.items():
        (folder / part).mkdir(parents=True, exist_ok=True)
        for name in names:
            text = (source / part / name).read_text(encoding="utf-8")
            (folder / part / name).write_text("".join(text.splitlines(keepends=True)[:lines]), encoding="utf-8")
    return folder


def stockmark_slice(datasets: Path, sentences: int = 150) -> Path:
    """The first ``sentences`` items of Stockmark's ``ner.json``."""
    import json

    source = require_shared("datasets/stockmark-ner-ja/ner.json")
    folder = datasets / "stockmark-ner-ja"
    folder.mkdir(parents=True, exist_ok=True)
    items = json.loads(source.read_text(encoding="utf-8"))[:sentences]
    (folder / "ner.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return folder


def claimbuster_slice(datasets: Path, sentences: int = 120) -> Path:
    """Every n-th item of ClaimBuster's ``kfold_25ncs.json``, about ``sentences`` of them."""
    import json

    source = require_shared("datasets/claimbuster/kfold_25ncs.json")
    folder = datasets / "claimbuster"
    folder.mkdir(parents=True, exist_ok=True)
    items = json.loads(source.read_text(encoding="utf-8"))
    (folder / "kfold_25ncs.json").write_text(json.dumps(items[::len(items) // sentences]), encoding="utf-8")
    return folder
