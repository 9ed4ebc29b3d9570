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

from tagline._exports import lazy_exports

# Resolved on first use, so that an export does not import the import's modules, nor an import the export's.
_EXPORTS = {
    "BENCHMARK_FORMATS": "tagline.annotate.formats.registry:BENCHMARK_FORMATS",
    "EXPORT_FORMATS": "tagline.annotate.formats.registry:EXPORT_FORMATS",
    "FOLDER_FORMATS": "tagline.annotate.formats.registry:FOLDER_FORMATS",
    "IMPORT_FORMATS": "tagline.annotate.formats.registry:IMPORT_FORMATS",
    "IMPORT_SPLITS": "tagline.annotate.interop.importing:IMPORT_SPLITS",
    "MAP_TASKS": "tagline.annotate.interop.labels:MAP_TASKS",
    "detect_format": "tagline.annotate.interop.detect:detect_format",
    "export": "tagline.annotate.interop.exporting:export",
    "import_file": "tagline.annotate.interop.importing:import_file",
    "load_label_map": "tagline.annotate.interop.labels:load_label_map",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:  # what type checkers and editors see
    from tagline.annotate.formats.registry import (  # noqa: F401
        BENCHMARK_FORMATS,
        EXPORT_FORMATS,
        FOLDER_FORMATS,
        IMPORT_FORMATS,
    )
    from tagline.annotate.interop.detect import detect_format  # noqa: F401
    from tagline.annotate.interop.exporting import export  # noqa: F401
    from tagline.annotate.interop.importing import IMPORT_SPLITS, import_file  # noqa: F401
    from tagline.annotate.interop.labels import MAP_TASKS, load_label_map  # noqa: F401
