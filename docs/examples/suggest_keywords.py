"""A suggestion source for `tagline annotate --suggest cmd:...`, with nothing but the standard library.

It speaks tagline's JSON-lines protocol (docs/suggestions.md): the first line it reads is the header
(tasks, labels, stance targets), then one line per sentence; it answers every sentence with one line,
in order, and flushes. Its "model" is a word list: every occurrence of a listed name is suggested as
an entity, and a sentence with a digit is suggested as a `quantity` claim.

    tagline annotate --annotator alice --suggest "cmd:python docs/examples/suggest_keywords.py"
    tagline annotate suggest --source "cmd:python docs/examples/suggest_keywords.py names.json"

An optional argument names a JSON file {"surface": "LABEL", ...} to use instead of the list below.
"""

import json
import sys

NAMES = {"DeepSeek": "ORG", "OpenAI": "ORG", "エヌビディア": "ORG", "Nvidia": "ORG", "梁文峰": "PERSON",
         "米国": "GPE", "中国": "GPE", "アメリカ": "GPE", "トランプ": "PERSON"}


def main() -> None:
    names = NAMES
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as handle:
            names = json.load(handle)
    header = json.loads(sys.stdin.readline())
    entity_labels = set(header["labels"].get("entities", []))
    claim_labels = set(header["labels"].get("claim_type", []))
    for line in sys.stdin:
        sentence = json.loads(line)
        text = sentence["text"]
        suggestions = []
        if "entities" in header["tasks"]:
            spans = []
            for surface, label in names.items():
                start = text.find(surface)
                while start >= 0 and label in entity_labels:
                    spans.append({"start": start, "end": start + len(surface), "label": label})
                    start = text.find(surface, start + len(surface))
            suggestions.append({"task": "entities", "entities": spans, "score": 0.6})
        if "claim_type" in header["tasks"] and "quantity" in claim_labels and any(c.isdigit() for c in text):
            suggestions.append({"task": "claim_type", "label": "quantity", "score": 0.55})
        print(json.dumps({"id": sentence["id"], "suggestions": suggestions}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
