"""tagline: build an annotated sentence corpus from the terminal and benchmark classifiers on it.

The library under the ``tagline`` command. Every command is one of these calls plus printing::

    import tagline
    workspace = tagline.init_workspace("news", sample=True)   # or tagline.open_workspace("news")
    tagline.label_sentence(workspace, "deepseek_ja-s0053", "alice", claim_type="other_claim")
    tagline.auto_adjudicate(workspace)
    tagline.build_dataset(workspace)
    results = tagline.run_evaluation(workspace, task="claim_type", cv=5)

See ``docs/api.md``. Names are imported from their modules on first use, so ``import tagline`` is
cheap.
"""

from __future__ import annotations

from tagline._exports import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which --help does not need

__version__ = "0.1.0"

_EXPORTS = {
    # workspaces and documents
    "Workspace": "tagline.corpus.workspace:Workspace",
    "init_workspace": "tagline.corpus.workspace:init_workspace",
    "open_workspace": "tagline.corpus.workspace:find_workspace",
    "add_documents": "tagline.corpus.ingest:add_documents",
    "corpus_stats": "tagline.corpus.stats:corpus_stats",
    "IngestReport": "tagline.corpus.ingest:IngestReport",
    # annotating
    "label_sentence": "tagline.annotate.scripted:label_sentence",
    "retract_answer": "tagline.annotate.scripted:retract_answer",
    "parse_stance": "tagline.annotate.scripted:parse_stance",
    "sentence_answers": "tagline.annotate.scripted:sentence_answers",
    "progress": "tagline.annotate.scripted:progress",
    "load_view": "tagline.annotate.events:load_view",
    "AnnotatorView": "tagline.annotate.events:AnnotatorView",
    "import_file": "tagline.annotate.interop:import_file",
    "export": "tagline.annotate.interop:export",
    "validate_workspace": "tagline.annotate.validate:validate_workspace",
    "LineProblem": "tagline.corpus.store:LineProblem",
    # agreement and gold
    "agreement_report": "tagline.annotate.agree:agreement_report",
    "auto_adjudicate": "tagline.annotate.gold:auto_adjudicate",
    "AdjudicationResult": "tagline.annotate.gold:AdjudicationResult",
    "Contested": "tagline.annotate.gold:Contested",
    "record_decision": "tagline.annotate.gold:record_decision",
    "gold_view": "tagline.annotate.gold:gold_view",
    "gold_listing": "tagline.annotate.gold:gold_listing",
    # datasets and evaluation
    "build_dataset": "tagline.eval.build:build_dataset",
    "BuildReport": "tagline.eval.build.plan:BuildReport",
    "run_evaluation": "tagline.eval.run:run_evaluation",
    "Execution": "tagline.corpus.execution:Execution",
    "list_runs": "tagline.eval.run:list_runs",
    "score_predictions": "tagline.eval.score:score_predictions",
    "compare_runs": "tagline.eval.score:compare_runs",
    "predict_file": "tagline.eval.score:predict_file",
    "run_demo": "tagline.eval.demo:run_demo",
    "DemoResult": "tagline.eval.demo:DemoResult",
    "run_benchmark": "tagline.eval.bench.runner:run_benchmark",
    "BenchResult": "tagline.eval.bench.runner:BenchResult",
    "benchmark_status": "tagline.eval.bench.data:benchmark_status",
    # model suggestions
    "open_suggester": "tagline.eval.suggesters:open_suggester",
    "Suggester": "tagline.annotate.suggest:Suggester",
    "Suggestion": "tagline.annotate.suggest:Suggestion",
    "SuggestionFeed": "tagline.annotate.suggest:SuggestionFeed",
    "suggest_for": "tagline.annotate.suggest:suggest_for",
    # errors, records and progress
    "ProgressCallback": "tagline.corpus.progress:ProgressCallback",
    "TaglineError": "tagline.errors:TaglineError",
    "DataError": "tagline.errors:DataError",
    "InputError": "tagline.errors:InputError",
    "WorkspaceError": "tagline.errors:WorkspaceError",
    "ConflictError": "tagline.errors:ConflictError",
    "StorageError": "tagline.errors:StorageError",
    "Sentence": "tagline.schemas.records:Sentence",
    "Document": "tagline.schemas.records:Document",
    "Event": "tagline.schemas.records:Event",
    "Gold": "tagline.schemas.records:Gold",
    "RunResult": "tagline.schemas.records:RunResult",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see
    from tagline.annotate.agree import agreement_report
    from tagline.annotate.events import AnnotatorView, load_view
    from tagline.annotate.gold import (
        AdjudicationResult,
        Contested,
        auto_adjudicate,
        gold_listing,
        gold_view,
        record_decision,
    )
    from tagline.annotate.interop import export, import_file
    from tagline.annotate.scripted import (
        label_sentence,
        parse_stance,
        progress,
        retract_answer,
        sentence_answers,
    )
    from tagline.annotate.suggest import Suggester, Suggestion, SuggestionFeed, suggest_for
    from tagline.annotate.validate import validate_workspace
    from tagline.corpus.execution import Execution
    from tagline.corpus.ingest import IngestReport, add_documents
    from tagline.corpus.progress import ProgressCallback
    from tagline.corpus.stats import corpus_stats
    from tagline.corpus.store import LineProblem
    from tagline.corpus.workspace import Workspace, init_workspace
    from tagline.corpus.workspace import find_workspace as open_workspace
    from tagline.errors import (
        ConflictError,
        DataError,
        InputError,
        StorageError,
        TaglineError,
        WorkspaceError,
    )
    from tagline.eval.bench.data import benchmark_status
    from tagline.eval.bench.runner import BenchResult, run_benchmark
    from tagline.eval.build import build_dataset
    from tagline.eval.build.plan import BuildReport
    from tagline.eval.demo import DemoResult, run_demo
    from tagline.eval.run import list_runs, run_evaluation
    from tagline.eval.score import compare_runs, predict_file, score_predictions
    from tagline.eval.suggesters import open_suggester
    from tagline.schemas.records import Document, Event, Gold, RunResult, Sentence
