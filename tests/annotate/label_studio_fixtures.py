"""Label Studio's JSON-MIN and CSV exports of the real Label Studio files in ../shared/formats/label-studio,
made with Label Studio's own converter (label_studio_sdk.converter, offline).

The converter needs a labelling configuration and task ids. Each file's configuration is made from its
own results (one control per ``from_name``, with the labels it uses, on the object its ``to_name``
names, reading the data field its ``$`` source or the task's only text field); tasks without an ``id``
(files meant for import) get the ids Label Studio gives them on import, 1, 2, ... Nothing else is changed.

    python tests/annotate/label_studio_fixtures.py   # writes tests/annotate/data/label-studio/
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "formats" / "label-studio"
FIXTURES = Path(__file__).resolve().parent / "data" / "label-studio"
SOURCES = ("ner_annotations_1.json", "sentiment_annotations_1.json", "humor_dataset_2_annotations.json")
EXPORTS = {"JSON_MIN": ("result.json", ".json_min.json"), "CSV": ("result.csv", ".csv")}


def tasks_of(source: Path) -> list[dict]:
    value = json.loads(source.read_text(encoding="utf-8"))
    tasks = value if isinstance(value, list) else [value]
    return [{"id": number, **task} if "id" not in task else task for number, task in enumerate(tasks, 1)]


def config_of(tasks: list[dict]) -> str:
    """A labelling configuration with a control for every ``from_name`` the tasks' results use."""
    controls: dict[str, tuple[str, str, list[str]]] = {}
    objects: dict[str, str] = {}
    for task in tasks:
        for annotation in task.get("annotations", []):
            for result in annotation["result"]:
                kind = result["type"]
                values = result["value"][kind]
                tag, to_name, seen = controls.setdefault(result["from_name"], (kind, result["to_name"], []))
                seen += [value for value in values if value not in seen]
                data_key = result.get("source", "").lstrip("$") or \
                    next(key for key, value in task["data"].items() if isinstance(value, str))
                objects[to_name] = data_key
    view = ElementTree.Element("View")
    for name, data_key in objects.items():
        ElementTree.SubElement(view, "Text", name=name, value="$" + data_key)
    for name, (kind, to_name, values) in controls.items():
        control = ElementTree.SubElement(view, kind.capitalize(), name=name, toName=to_name)
        for value in values:
            ElementTree.SubElement(control, "Label" if kind == "labels" else "Choice", value=value)
    return ElementTree.tostring(view, encoding="unicode")


def convert(tasks: list[dict], config: str, export_type: str, out: Path) -> None:
    """Label Studio's converter run on ``tasks``, its ``export_type`` output copied to ``out``."""
    from label_studio_sdk.converter import Converter

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "tasks.json"
        source.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
        Converter(config, project_dir=tmp, download_resources=False).convert(
            str(source), str(Path(tmp) / "out"), export_type, is_dir=False)
        shutil.copyfile(Path(tmp) / "out" / EXPORTS[export_type][0], out)


def make(folder: Path) -> list[Path]:
    """Every fixture, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in SOURCES:
        tasks = tasks_of(SHARED / name)
        config = config_of(tasks)
        for export_type, (_, suffix) in EXPORTS.items():
            out = folder / (Path(name).stem + suffix)
            convert(tasks, config, export_type, out)
            made.append(out)
    return made


if __name__ == "__main__":
    for path in make(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES):
        print(path)
