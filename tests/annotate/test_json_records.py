"""A JSON array file read record by record (`formats/common.json_records`): whatever follows the
array's closing bracket but white space is refused at its line, as a JSON reader refuses it, rather
than left unread (a second array's tasks were dropped, and the import said it had read the file)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_import_bulk import workspace_files

from tagline.annotate.formats.common import json_records
from tagline.corpus.workspace import init_workspace
from tagline.errors import InputError

from conftest import interop_cli as cli


def task(number: int) -> dict:
    return {"id": number, "data": {"text": f"Bob met Carol on day {number}."},
            "annotations": [{"completed_by": {"email": "ann@example.com"}, "result": [
                {"type": "labels", "value": {"start": 0, "end": 3, "text": "Bob", "labels": ["PERSON"]}}]}]}


AFTER = {"a second array": "\n" + json.dumps([task(3)], indent=2), "a word": "\nnot json\n", "a comma": ",\n",
         "a second task": ",\n" + json.dumps(task(3)), "an ideographic space": "\u3000",
         "a no-break space": "\n\u00a0\n"}  # (white space to Unicode, not to JSON)


@pytest.mark.parametrize("after", AFTER)
def test_what_follows_a_json_array_is_refused_at_its_line(tmp_path, after):
    path = tmp_path / "tasks.json"
    array = json.dumps([task(1), task(2)], indent=2)
    path.write_text(array + AFTER[after], encoding="utf-8")
    line = array.count("\n") + 1 + (AFTER[after][0] == "\n")  # where the first thing after the array is
    with pytest.raises(InputError) as raised:
        list(json_records(path))
    assert raised.value.where == f"{path}:{line}", raised.value


@pytest.mark.parametrize("after", AFTER)
def test_an_import_of_an_array_with_more_after_it_writes_nothing(tmp_path, monkeypatch, after):
    workspace = init_workspace(tmp_path / "ws", language="en")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks.json").write_text(json.dumps([task(1), task(2)]) + AFTER[after], encoding="utf-8")
    before = workspace_files(workspace.root)
    result = CliRunner().invoke(cli, ["import", "tasks.json", "--format", "label-studio", "-w", str(workspace.root)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: tasks.json:"), result.output
    assert workspace_files(workspace.root) == before


def test_white_space_after_the_array_is_the_file_s_end(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([task(1), task(2)]) + " \r\n\t\n", encoding="utf-8")
    assert len(list(json_records(path))) == 2


def test_white_space_that_json_does_not_know_between_records_is_refused(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text("[" + json.dumps(task(1)) + "\u3000,\n" + json.dumps(task(2)) + "]", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        list(json_records(path))
    assert raised.value.where == f"{path}:1", raised.value
