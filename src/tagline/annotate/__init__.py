"""Answers: the terminal session, scripted labels, import and export, agreement and gold."""

from __future__ import annotations

from tagline._exports import lazy_exports

_EXPORTS = {
    "label_sentence": "tagline.annotate.scripted:label_sentence",
    "retract_answer": "tagline.annotate.scripted:retract_answer",
    "parse_stance": "tagline.annotate.scripted:parse_stance",
    "sentence_answers": "tagline.annotate.scripted:sentence_answers",
    "progress": "tagline.annotate.scripted:progress",
    "load_view": "tagline.annotate.events:load_view",
    "SessionModel": "tagline.annotate.session:SessionModel",
    "ORDERS": "tagline.annotate.order:ORDERS",
    "order_sentences": "tagline.annotate.order:order_sentences",
    "import_file": "tagline.annotate.interop:import_file",
    "export": "tagline.annotate.interop:export",
    "agreement_report": "tagline.annotate.agree:agreement_report",
    "auto_adjudicate": "tagline.annotate.gold:auto_adjudicate",
    "record_decision": "tagline.annotate.gold:record_decision",
    "gold_view": "tagline.annotate.gold:gold_view",
    "gold_listing": "tagline.annotate.gold:gold_listing",
    "validate_workspace": "tagline.annotate.validate:validate_workspace",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
