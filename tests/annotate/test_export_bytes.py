"""Every export writes the very bytes (and warnings) it wrote before: the SHA-256 of each file and of
the export's report, for every format, view and question on the sample workspace and on an English
workspace of awkward texts and answers, against ``data/export_digests.json``.

The digests were taken from the exports as they were before the writers were made faster. An
intended change of output makes the test fail; after checking the new output by hand, write the
digests again with ``TAGLINE_WRITE_EXPORT_DIGESTS=1`` set when running this file."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tagline.annotate.events import make_event
from tagline.annotate.formats.registry import BY_NAME, EXPORT_FORMATS
from tagline.annotate.interop import export
from tagline.corpus import new_folder
from tagline.corpus.ingest import add_documents
from tagline.corpus.store import append_records
from tagline.corpus.workspace import Workspace, init_workspace
from tagline.errors import TaglineError

DIGESTS = Path(__file__).parent / "data" / "export_digests.json"
TIME = "2026-11-30T12:00:00Z"

# Texts that are hard on tokens and JSON: quotes, backslashes, tabs, several spaces, a line break in
# a sentence, characters outside the BMP, U+2028, leading and trailing white space, CJK.
ARTICLE = ("Acme Corp said on Monday that profits rose.  \"We did it,\" said Alice Moreau\tof Acme.\n"
           "The World Bank warned Kenya\nabout debt. Prices fell by $5 million (or 12%) in Ohio.\n\n"
           "Globex-led talks in Osaka 🙂 failed; the C:\\path\\to\\file stayed. U.S. officials declined.\n")
RECORDS = [
    {"id": "r1", "text": "  Kenji Sato met Li Wei in Berlin.  "},
    {"id": "r2", "text": "Stark Industries\u2028announced   a deal worth 40 million euros."},
    {"id": "r3", "text": "東京でAcme Corpの会議がありました。"},
    {"id": "r4", "text": "=SUM(A1) said \"Initech\" in 2019, item 7."},
    {"id": "r5", "text": "Nothing to see here."},
]


def _spans(text: str, *pieces: tuple[str, str]) -> dict:
    """Entity spans for the first occurrence of each piece of ``text``."""
    spans = []
    for piece, label in pieces:
        start = text.index(piece)
        spans.append({"start": start, "end": start + len(piece), "label": label, "text": piece})
    return {"spans": spans}


def _awkward_workspace(root: Path) -> Workspace:
    workspace = init_workspace(root, language="en", targets=["Acme", "Globex"])
    article, records = root.parent / "article.txt", root.parent / "records.jsonl"
    article.write_text(ARTICLE, encoding="utf-8")
    records.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in RECORDS), encoding="utf-8")
    add_documents(workspace, [article])
    add_documents(workspace, [records])
    sentences = list(workspace.iter_sentences())
    events = []
    for number, sentence in enumerate(sentences):
        text, sentence_id = sentence["text"], sentence["id"]
        pieces = [(piece, label) for piece, label in (
            ("Acme Corp", "ORG"), ("Acme", "ORG"), ("Alice Moreau", "PERSON"), ("Monday", "DATE"), ("Kenya", "GPE"),
            ("Kenya\nabout", "EVENT"), ("$5 million", "MONEY"), ("Globex", "ORG"), ("Osaka 🙂", "GPE"),
            ("Kenji Sato", "PERSON"), ("Li Wei", "PERSON"), ("Berlin", "GPE"), ("東京", "GPE"), ("Initech", "ORG"),
            ("Stark Industries\u2028", "ORG"), ("40 million euros", "MONEY"), ("U.S", "GPE"), ("Prices", "PRODUCT"),
        ) if piece in text]
        # Spans that overlap, and one that starts with white space, where the text allows them.
        if "Corp said" in text:
            pieces.append(("Corp said", "EVENT"))
        if " failed" in text:
            pieces.append((" failed", "EVENT"))
        if number % 5 != 4:  # some sentences without an entity answer
            events.append(make_event(sentence_id, "ann", "entities", _spans(text, *dict.fromkeys(pieces)),
                                     time=TIME))
        if number % 3 != 2:
            events.append(make_event(sentence_id, "ann", "claim_type",
                                     {"label": ["quantity", "not_claim", "prediction"][number % 3]}, time=TIME))
        if number % 2 == 0:
            events.append(make_event(sentence_id, "ann", "stance", {"target": "Acme",
                                                                    "label": ["FAVOR", "AGAINST", "NONE"][number % 3]},
                                     time=TIME))
        if number % 4 == 1:
            events.append(make_event(sentence_id, "ann", "stance", {"target": "Globex", "label": "NONE"}, time=TIME))
    # An answer taken back, and one changed.
    events.append(make_event(sentences[0]["id"], "ann", "claim_type", None, op="retract", time=TIME))
    events.append(make_event(sentences[1]["id"], "ann", "entities", {"spans": []}, time=TIME))
    append_records(workspace.annotation_path("ann"), events)
    return workspace


def _cases(workspace: Workspace, views: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    questions: list[tuple[str, dict]] = [("all", {}), ("entities", {"task": "entities"}),
                                         ("claim_type", {"task": "claim_type"})]
    questions += [(f"stance:{target}", {"task": "stance", "target": target}) for target in workspace.config.targets]
    cases = [(f"{fmt} {view} {question}", {"fmt": fmt, **view_options, **question_options})
             for fmt in EXPORT_FORMATS for view, view_options in views for question, question_options in questions]
    first_view = views[0][1]
    cases += [("conll comments", {"fmt": "conll", "conll_comments": True, "task": "entities", **first_view}),
              ("csv no escape", {"fmt": "csv", "formula_escape": False, **first_view})]
    if "annotator" in first_view:
        cases.append(("label-studio account", {"fmt": "label-studio", "accounts": {
            first_view["annotator"]: "someone@example.org"}, **first_view}))
    return cases


def _digest(workspace: Workspace, out: Path, options: dict, progress=None) -> str:
    """The SHA-256 of what one export writes (each file's name and bytes) and reports (or its error)."""
    try:
        summary = export(workspace, out=out / "export", **options, **({"progress": progress} if progress else {}))
    except TaglineError as error:
        return hashlib.sha256(f"error: {error}".encode()).hexdigest()
    report = {key: value for key, value in summary.items() if key not in ("out", "also_written")}
    hashed = hashlib.sha256(json.dumps(report, ensure_ascii=False, sort_keys=True).encode())
    for path in sorted(out.rglob("*")):
        if path.is_file():
            hashed.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()


def _all_digests(tmp_path: Path, progress=None) -> dict[str, str]:
    sample = init_workspace(tmp_path / "sample", sample=True)
    awkward = _awkward_workspace(tmp_path / "awkward" / "ws")
    from tagline.annotate.gold import auto_adjudicate

    auto_adjudicate(awkward)
    digests = {}
    for name, workspace, views in (
            ("sample", sample, [("gold", {"gold": True}), ("sample-gold", {"annotator": "sample-gold"})]),
            ("awkward", awkward, [("ann", {"annotator": "ann"}), ("gold", {"gold": True})])):
        for case, options in _cases(workspace, views):
            out = tmp_path / "out" / name / case.replace(" ", "_").replace(":", "_")
            out.mkdir(parents=True)
            digests[f"{name}: {case}"] = _digest(workspace, out, options, progress)
    return digests


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(new_folder, "sync_file_system", lambda path: None)
    monkeypatch.delenv("TAGLINE_WORKSPACE", raising=False)


def test_every_export_writes_the_bytes_it_wrote_before(tmp_path):
    digests = _all_digests(tmp_path)
    if os.environ.get("TAGLINE_WRITE_EXPORT_DIGESTS"):
        DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert len(expected) > 100 and set(BY_NAME) >= {case.split()[1] for case in expected}
    changed = sorted(case for case in expected if digests.get(case) != expected[case])
    assert not changed, f"{len(changed)} exports differ from before: {changed[:10]}"
    assert set(digests) == set(expected)


def test_every_export_told_of_its_progress_writes_the_same_bytes(tmp_path):
    """A callback other than the default reads the corpus's sentence count and is called as the
    sentences go: what is written stays the same."""
    calls = []
    digests = _all_digests(tmp_path, progress=lambda done, total, what: calls.append((done, total, what)))
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert digests == expected
    assert ("exporting sentences" in {what for _, _, what in calls} and
            all(total for done, total, what in calls if what == "exporting sentences"))


def test_every_export_of_answers_looked_up_in_their_index_writes_the_same_bytes(tmp_path, monkeypatch):
    """A large annotator's file is not folded into a dict but its answers looked up in the fold's
    index as the sentences go (`interop/export_answers.py`): the same bytes, reports and errors."""
    from tagline.annotate.interop import exporting

    monkeypatch.setattr(exporting, "INDEXED_AFTER", -1)
    looked_up = []
    original = exporting.IndexedAnswers.prefetch
    monkeypatch.setattr(exporting.IndexedAnswers, "prefetch",
                        lambda self, ids: looked_up.append(len(ids)) or original(self, ids))
    digests = _all_digests(tmp_path)
    assert looked_up
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert digests == expected
