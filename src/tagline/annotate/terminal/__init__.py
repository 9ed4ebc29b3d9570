"""The terminal front-end of the annotation session: raw key input and a redrawn screen (rich).

It works in a plain 80x24 terminal, redraws on resize, and leaves the terminal as it found it on
quit, Ctrl-C or SIGTERM. Answers are already on disk when a key has been handled; nothing here
holds unsaved state.

One module per job: :mod:`.keys` (the tty: raw keys, resize, SIGTERM, frames), :mod:`.window`
(fitting a long sentence or a span to the screen), :mod:`.annotation` (the annotation screen and
its loop) and :mod:`.adjudication` (the adjudication screen and its loop).
"""

from tagline.annotate.terminal.adjudication import AdjudicationSession, run_adjudication
from tagline.annotate.terminal.annotation import LABEL_COLOURS, render, run_session
from tagline.annotate.terminal.keys import Terminal
from tagline.annotate.terminal.window import crop, fit_sentence

__all__ = ["LABEL_COLOURS", "AdjudicationSession", "Terminal", "crop", "fit_sentence", "render", "run_adjudication",
           "run_session"]
