"""An export onto a disk that fills while it writes: one `Error:` line, no part of the file left (nor
its temporary file), an existing file asked to be replaced kept as it was, the workspace unchanged."""

from __future__ import annotations

import shutil

import pytest
from test_faults_tmpfs import PAGE, _fill, tmpfs  # noqa: F401 (a fixture)

from test_faults import invoke, make_template, snapshot

FORMATS = {"csv": "gold.csv", "doccano": "gold.jsonl", "label-studio": "gold.json", "conll": "gold.conll",
           "spacy": "gold-spacy.json", "prodigy": "gold.jsonl", "brat": "brat"}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_template(tmp_path_factory.mktemp("export") / "ws")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_an_export_onto_a_disk_that_fills_leaves_nothing_half_written(tmpfs, template, tmp_path, fmt):  # noqa: F811
    before = snapshot(template)
    clean = tmp_path / "clean"
    clean.mkdir()
    result = invoke(template, ["annotate", "export", "--format", fmt, "--gold", "--out", str(clean / FORMATS[fmt])])
    assert result.exit_code == 0, result.output
    size = sum(path.stat().st_size for path in clean.rglob("*") if path.is_file())
    outcomes = {"refused": 0, "complete": 0}
    for pages in sorted({0, 1, 2, size // PAGE // 2, size // PAGE + 4}):
        for existing in (False, True):
            out = tmpfs / "out"
            out.mkdir()
            target = out / FORMATS[fmt]
            if existing and fmt != "brat":
                target.write_bytes(b"an earlier export\n")
            args = ["annotate", "export", "--format", fmt, "--gold", "--out", str(target)] + (["--force"] if existing
                                                                                               else [])
            filler = _fill(tmpfs, pages)
            try:
                result = invoke(template, args)
                left = sorted(str(path.relative_to(out)) for path in out.rglob("*"))
                kept = target.read_bytes() if existing and fmt != "brat" else None
            finally:
                filler.unlink()
                shutil.rmtree(out)
            where = f"export {fmt} with {pages} pages free{' over an earlier file' if existing else ''}"
            assert "Traceback" not in result.output, (where, result.output)
            if result.exit_code == 0:
                outcomes["complete"] += 1
                continue
            assert result.exit_code == 2, (where, result.output)
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
            assert len(errors) == 1 and "No space left on device" in errors[0], (where, result.stderr)
            if existing and fmt != "brat":
                assert left == [FORMATS[fmt]] and kept == b"an earlier export\n", (where, left)
            else:
                assert left == [], (where, left)
            outcomes["refused"] += 1
    assert snapshot(template) == before
    assert outcomes["refused"] > 0 and outcomes["complete"] > 0, outcomes
