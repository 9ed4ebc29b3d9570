"""Importing peer annotation tools' files and public benchmarks into a workspace, and exporting one
view of the answers (an annotator's, or gold) to those tools' formats. See ``docs/formats.md``.

An import is all or nothing: the whole file is read, its labels mapped, its offsets checked against
the sentences they will land in, and every answer validated before anything is written. Re-importing
the same file adds nothing: unchanged documents are left alone and an answer equal to the current
one is not written again.

One module per job: :mod:`.detect` (which format a file is in), :mod:`.labels` (label maps),
:mod:`.plan` (where records and answers land, and what changes), :mod:`.writing` (the transaction),
:mod:`.importing` and :mod:`.exporting` (the two public functions). The formats themselves are in
:mod:`tagline.annotate.formats`, listed by its registry.
"""

from tagline.annotate.formats.registry import BENCHMARK_FORMATS, EXPORT_FORMATS, FOLDER_FORMATS, IMPORT_FORMATS
from tagline.annotate.interop.detect import detect_format
from tagline.annotate.interop.exporting import export
from tagline.annotate.interop.importing import IMPORT_SPLITS, import_file
from tagline.annotate.interop.labels import MAP_TASKS, load_label_map

__all__ = ["BENCHMARK_FORMATS", "EXPORT_FORMATS", "FOLDER_FORMATS", "IMPORT_FORMATS", "IMPORT_SPLITS", "MAP_TASKS",
           "detect_format", "export", "import_file", "load_label_map"]
