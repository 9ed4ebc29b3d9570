"""Text rebuilt from tokens (a CoNLL file without `# text`): how many sentences come back exactly.

Japanese: Stockmark's 5,343 Wikipedia sentences, cut into words by tagline's MeCab tokenizer.
English: ClaimBuster's sentences (white space runs made single spaces), cut into words by spaCy's
English tokenizer, whose own text is the reference. Each rule is tried on the same words: tagline's
rule for the language, no spaces at all, and the rule used before (a space between tokens except
next to a wide character). Needs ../shared/datasets and, for English, spaCy.

    python benchmarks/text_from_tokens.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

from tagline.annotate.formats.tokens import join_tokens
from tagline.corpus.tokenize import tokenize

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def before(tokens: list[str]) -> str:
    """The rule used before: a space between tokens, except next to a wide character."""
    return tokens[0] + "".join(("" if _wide(a[-1]) or _wide(b[0]) else " ") + b for a, b in zip(tokens, tokens[1:]))


def report(name: str, cases: list[tuple[str, list[str]]], lang: str) -> None:
    rules = {f"tagline ({lang})": lambda tokens: join_tokens(tokens, lang)[0], "no spaces": "".join,
             "space unless wide (before)": before}
    print(f"{name}: {len(cases)} sentences")
    for rule, join in rules.items():
        exact = sum(join(tokens) == text for text, tokens in cases)
        print(f"  {rule:28s} {exact:5d} exact ({exact / len(cases):.2%})")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    stockmark = json.loads((DATASETS / "stockmark-ner-ja" / "ner.json").read_text(encoding="utf-8"))
    report("Stockmark NER (ja, MeCab words)",
           [(r["text"], [r["text"][s:e] for s, e in tokenize(r["text"], "ja")]) for r in stockmark], "ja")
    try:
        import spacy
    except ImportError:
        sys.exit("English needs spaCy (pip install spacy)")
    claims = json.loads((DATASETS / "claimbuster" / "kfold_25ncs.json").read_text(encoding="utf-8"))
    texts = [re.sub(r"\s+", " ", record["text"]).strip() for record in claims]
    docs = spacy.blank("en").pipe(text for text in texts if text)
    report("ClaimBuster (en, spaCy words)", [(doc.text, [t.text for t in doc]) for doc in docs], "en")


if __name__ == "__main__":
    main()
