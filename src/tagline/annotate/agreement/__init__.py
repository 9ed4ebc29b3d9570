"""Inter-annotator agreement for labels and entity spans, as JSON-ready reports and Markdown.

Every function here is pure: it takes plain mappings and returns plain dicts, lists, strings,
ints, floats and ``None`` (never NaN and never numpy types), so a report can be written with
``json`` or ``orjson`` as it is. Krippendorff's alpha comes from the ``krippendorff`` package;
Cohen's and Fleiss' kappa are computed from their count tables by :mod:`.kappa` (checked against
scikit-learn and statsmodels by the tests), because importing those libraries cost more than the
whole report. numpy and krippendorff are imported inside the functions that use them, so that
importing this package stays cheap.

Data conditions that make a coefficient undefined (one annotator, no shared items, every rating the
same label) give ``None`` for that coefficient and a sentence in the report's ``notes`` list.
``ValueError`` is raised only for calls that break the documented contract (wrong types).

One module per job: :mod:`.labels` (categorical labels), :mod:`.spans` (entity spans),
:mod:`.markdown` (either report as Markdown), :mod:`.kappa` (the two kappas), and :mod:`.common`
(what the two measures share).
"""

from tagline.annotate.agreement.labels import label_agreement
from tagline.annotate.agreement.markdown import render_markdown
from tagline.annotate.agreement.spans import OUTSIDE, span_agreement

__all__ = ["OUTSIDE", "label_agreement", "render_markdown", "span_agreement"]
