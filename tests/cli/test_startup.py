"""`--help` must stay instant: no command's help may import the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("datasets", "sklearn", "numpy", "pyarrow", "pandas", "scipy", "matplotlib", "statsmodels", "fugashi",
         "syntok", "jsonschema", "joblib", "threadpoolctl", "dask", "distributed")

PROBE = r"""
import json, sys
import click
from tagline.cli import main

paths = []
def walk(command, path):
    paths.append(path)
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            walk(command.get_command(ctx, name), path + [name])
walk(main, [])
for path in paths:
    try:
        main.main(path + ["--help"], prog_name="tagline", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps({"paths": [" ".join(p) for p in paths],
                  "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def test_help_of_every_command_imports_no_heavy_library():
    completed = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + PROBE],
                               capture_output=True, text=True, check=True)
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert len(report["paths"]) >= 8, report["paths"]
    assert report["heavy"] == [], f"--help imported {report['heavy']}"


EXPORT_PROBE = r"""
import sys
from tagline.cli import main

try:
    main.main(sys.argv[1:], prog_name="tagline", standalone_mode=False)
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""
# What an export of a file has no use for: threads (only files written side by side use them) and
# importlib.resources (tempfile, zipfile: the configuration's schema is read by pkgutil).
NOT_FOR_AN_EXPORT = ("concurrent.futures", "importlib.resources", "numpy", "pyarrow", "jsonschema")


def test_an_export_to_a_file_imports_nothing_it_does_not_use(sample_workspace, tmp_path):
    import os
    from pathlib import Path

    import tagline

    # The sources under test, wherever the current directory is (the workspace)
    environment = {**os.environ, "PYTHONPATH": str(Path(tagline.__file__).resolve().parents[1])}
    for out in (tmp_path / "first.conll", tmp_path / "out.conll"):  # the first checks the configuration in full
        completed = subprocess.run([sys.executable, "-c", EXPORT_PROBE, "annotate", "export", "--format", "conll",
                                    "--gold", "-o", str(out), "-w", str(sample_workspace.root)],
                                   capture_output=True, text=True, check=True, env=environment)
    imported = completed.stdout.split()
    assert out.exists() and "tagline.annotate.formats.conll" in imported
    assert [name for name in NOT_FOR_AN_EXPORT if name in imported] == []
