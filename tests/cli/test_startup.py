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
