"""A manual check against a running Label Studio server (not run in CI): tagline's Label Studio export
goes in through Label Studio's API and comes back out as JSON, JSON-MIN and CSV, and each export
brings the same answers back into tagline.

Label Studio is a Django server with its own dependencies, so it goes in a virtualenv of its own, and
it listens on the loopback address only:

    python3.11 -m venv /tmp/lsvenv && /tmp/lsvenv/bin/pip install label-studio
    LABEL_STUDIO_BASE_DATA_DIR=/tmp/lsdata LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \\
    LABEL_STUDIO_USERNAME=owner@example.org LABEL_STUDIO_PASSWORD=change-me \\
    LABEL_STUDIO_USER_TOKEN=0123456789abcdef0123456789abcdef01234567 \\
        /tmp/lsvenv/bin/label-studio start --no-browser --host 127.0.0.1 --port 8089

    PYTHONPATH=src python scripts/label_studio_roundtrip.py --url http://127.0.0.1:8089 \\
        --token 0123456789abcdef0123456789abcdef01234567 --account owner@example.org

It makes the sample workspace in a temporary folder, gives annotator ``a1`` the sample's answers, and
then, printing what Label Studio says at each step:

1. imports the tasks with ``completed_by: {"email": "a1"}`` (how tagline wrote them before): refused;
2. creates a project with the exported labelling configuration;
3. imports the export (no ``completed_by``), and the export made with ``--ls-users a1=ACCOUNT``;
4. answers the first task's claim type in Label Studio as the account (an annotation made there);
5. exports the project as JSON, JSON_MIN and CSV, and imports each into a new workspace and into the
   workspace it came from: a1's answers must come back unchanged, the account's answer apart from
   them, and nothing else new.

``--sentences N`` uses a workspace of the sample's first N sentences; ``--keep DIR`` keeps Label
Studio's exports (tests/annotate/data/label-studio/server/ holds those of ``--sentences 4``).
Exit status 0 when every export gives the answers back, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path


def call(url: str, token: str, method: str = "GET", body: object = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def said(status: int, body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return f"{status} {text[:300]}"


def answers_by_text(workspace, annotator: str) -> dict:
    from tagline.annotate.events import load_view

    view = load_view(workspace, annotator)
    texts = {sentence["id"]: sentence["text"] for sentence in workspace.iter_sentences()}
    return {(texts[sentence_id], task, target): value for sentence_id, current in view.answers.items()
            for (task, target), value in current.items()}


def make_workspace(folder: Path, sentences: int | None):
    """The sample workspace, or one of its first ``sentences`` sentences, where a1 gave the sample's answers."""
    from tagline.annotate.events import load_view, make_event
    from tagline.corpus.ingest import add_source_documents
    from tagline.corpus.readers import SourceDocument
    from tagline.corpus.store import append_records
    from tagline.corpus.workspace import init_workspace

    sample = init_workspace(folder / "sample", sample=True)
    gold = load_view(sample, "sample-gold").answers
    workspace = sample
    ids = {s["id"]: s["id"] for s in sample.iter_sentences()}
    if sentences:
        workspace = init_workspace(folder / "small", targets=sample.config.targets)
        chosen = list(sample.iter_sentences())[:sentences]
        add_source_documents(workspace, [SourceDocument(f"sample{index + 1}", s["text"], "sample", "txt", "utf-8", "ja",
                                                        single_sentence=True) for index, s in enumerate(chosen)])
        by_text = {s["text"]: s["id"] for s in workspace.iter_sentences()}
        ids = {s["id"]: by_text[s["text"]] for s in chosen}
    append_records(workspace.annotation_path("a1"), [
        make_event(ids[sentence_id], "a1", task, value) for sentence_id, current in gold.items() if sentence_id in ids
        for (task, _), value in current.items()])
    return workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8089")
    parser.add_argument("--token", required=True, help="a Label Studio (legacy) API token")
    parser.add_argument("--account", required=True, help="the email of a member of the Label Studio organisation")
    parser.add_argument("--sentences", type=int, default=None, help="only the sample's first N sentences")
    parser.add_argument("--keep", type=Path, default=None, help="keep Label Studio's exports in this folder")
    arguments = parser.parse_args(argv)
    base, token = arguments.url.rstrip("/"), arguments.token

    from tagline.annotate.interop import export, import_file
    from tagline.corpus.workspace import init_workspace

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workspace = make_workspace(folder, arguments.sentences)
        expected = answers_by_text(workspace, "a1")
        out = folder / "a1.json"
        export(workspace, fmt="label-studio", annotator="a1", out=out)
        mapped = folder / "a1-mapped.json"
        export(workspace, fmt="label-studio", annotator="a1", out=mapped, accounts={"a1": arguments.account})
        config = (folder / "a1.label_config.xml").read_text(encoding="utf-8")
        tasks = json.loads(out.read_text(encoding="utf-8"))

        status, body = call(f"{base}/api/projects", token, "POST", {"title": "tagline check", "label_config": config})
        print("create project with a1.label_config.xml:", said(status, body))
        if status != 201:
            return 1
        project = json.loads(body)["id"]
        old = json.loads(json.dumps(tasks))
        for task in old:
            for annotation in task.get("annotations", []):
                annotation["completed_by"] = {"email": "a1"}
        print("import with completed_by {email: a1}:", said(*call(f"{base}/api/projects/{project}/import", token,
                                                                  "POST", old)))
        print("import a1.json:", said(*call(f"{base}/api/projects/{project}/import", token, "POST", tasks)))
        status, body = call(f"{base}/api/projects", token, "POST",
                            {"title": "tagline check (accounts)", "label_config": config})
        mapped_project = json.loads(body)["id"]
        print(f"import a1-mapped.json (completed_by {arguments.account}):",
              said(*call(f"{base}/api/projects/{mapped_project}/import", token, "POST",
                         json.loads(mapped.read_text(encoding="utf-8")))))
        first = json.loads(call(f"{base}/api/tasks?project={project}", token)[1])["tasks"][0]["id"]
        made = {"result": [{"from_name": "claim_type", "to_name": "text", "type": "choices",
                            "value": {"choices": ["quantity"]}}], "ground_truth": False}
        print("annotate the first task in Label Studio:",
              said(*call(f"{base}/api/tasks/{first}/annotations/", token, "POST", made)))

        for number, export_type, suffix in ((project, "JSON", ".json"), (project, "JSON_MIN", ".json"),
                                            (project, "CSV", ".csv"), (mapped_project, "JSON", ".json")):
            status, body = call(f"{base}/api/projects/{number}/export?exportType={export_type}", token)
            name = f"{'mapped-' if number == mapped_project else ''}{export_type.lower()}{suffix}"
            path = folder / name
            path.write_bytes(body)
            if arguments.keep:
                arguments.keep.mkdir(parents=True, exist_ok=True)
                (arguments.keep / name).write_bytes(body)
            fresh = init_workspace(folder / f"fresh-{name}")
            summary = import_file(fresh, path, fmt="label-studio")
            back = answers_by_text(fresh, "a1") if "a1" in fresh.annotators() else {}
            others = {name: count for name, count in summary["events"].items() if name != "a1"}
            again = import_file(workspace, path, fmt="label-studio")
            # The answer made in Label Studio is its account's (and says "no entities" too: Label Studio
            # does not tell an annotation without spans from one that did not look for them).
            same = back == expected and len(others) == (0 if number == mapped_project else 1) \
                and again["documents_added"] == 0 and set(again["events"]) <= set(others)
            ok &= same
            print(f"project {number} {export_type}: {status}, {len(body)} bytes; into a new workspace: "
                  f"{summary['events']}, a1's answers {'the same' if back == expected else 'DIFFER'}; "
                  f"into the workspace it came from: {again['documents_added']} documents, {again['events']} new "
                  f"answers, {again['unchanged']} unchanged; warnings: {summary['warnings'] or 'none'}")
    print("every export gave the answers back" if ok else "SOME EXPORT DID NOT GIVE THE ANSWERS BACK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
