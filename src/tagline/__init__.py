"""tagline: build an annotated sentence corpus from the terminal and benchmark classifiers on it."""

__version__ = "0.1.0"
