"""The workspace configuration (tagline.toml): defaults, loading, validation and writing."""

from __future__ import annotations

import copy
import json
import math
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tagline.errors import WorkspaceError
from tagline.schemas import TASKS  # noqa: F401  (the config's tasks are the schemas' tasks)

# Keys the terminal session keeps for itself; a label may not use them.
RESERVED_KEYS = frozenset("usbqx?")

DEFAULT_STANCE_LABELS = [
    {"name": "FAVOR", "key": "f", "description": "the text supports the target or argues for it"},
    {"name": "AGAINST", "key": "a", "description": "the text opposes the target or argues against it"},
    {"name": "NONE", "key": "n", "description": "neither: neutral, unrelated, or no stance can be inferred"},
]
DEFAULT_CLAIM_TYPES = [
    {"name": "not_claim", "key": "0", "description": "not a checkable claim: headings, opinions, questions, rhetoric"},
    {"name": "quantity", "key": "1",
     "description": "a current value or amount: numbers, statistics, comparisons of amounts"},
    {"name": "prediction", "key": "2", "description": "a hypothetical or future claim"},
    {"name": "correlation_causation", "key": "3", "description": "X causes, leads to or goes with Y"},
    {"name": "laws_rules", "key": "4", "description": "about laws, regulations, rules, bans or policy measures"},
    {"name": "personal_experience", "key": "5", "description": "the speaker's own experience, not checkable"},
    {"name": "other_claim", "key": "6",
     "description": "any other checkable factual claim: events, actions, attributions"},
]
DEFAULT_ENTITY_LABELS = [
    {"name": "PERSON", "key": "p", "description": "people, by name"},
    {"name": "ORG", "key": "o", "description": "companies, institutions, agencies, teams"},
    {"name": "GPE", "key": "g", "description": "countries, cities, states, and governments named by place"},
    {"name": "PRODUCT", "key": "r", "description": "products, models, chips, software"},
    {"name": "MONEY", "key": "m", "description": "amounts of money with their unit"},
    {"name": "DATE", "key": "d", "description": "absolute or relative dates and periods"},
    {"name": "EVENT", "key": "e", "description": "named events and projects"},
]
# Foreign entity labels mapped on import: Japanese Wikipedia NER (stockmark) and CoNLL/OntoNotes.
DEFAULT_ENTITY_ALIASES = {
    "人名": "PERSON", "法人名": "ORG", "政治的組織名": "ORG", "その他の組織名": "ORG",
    "地名": "GPE", "施設名": "GPE", "製品名": "PRODUCT", "イベント名": "EVENT",
    "PER": "PERSON", "LOC": "GPE", "NORP": "GPE", "FAC": "GPE", "WORK_OF_ART": "PRODUCT",
}
SAMPLE_TARGETS = ["DeepSeek", "US AI policy"]
# The split seed goes to NumPy's RandomState, which takes 0 to 2**32 - 1 (as every --seed option).
MAX_SEED = 2**32 - 1


def default_config(*, language: str = "ja", targets: list[str] | None = None, name: str = "") -> dict:
    """The configuration ``tagline init`` writes, as a plain dict."""
    return {
        "schema_version": 1,
        "name": name,
        "language": language,
        "tasks": {
            "stance": {"labels": copy.deepcopy(DEFAULT_STANCE_LABELS),
                       "targets": list(SAMPLE_TARGETS if targets is None else targets)},
            "claim_type": {"labels": copy.deepcopy(DEFAULT_CLAIM_TYPES)},
            "entities": {"labels": copy.deepcopy(DEFAULT_ENTITY_LABELS),
                         "aliases": dict(DEFAULT_ENTITY_ALIASES)},
        },
        "split": {"ratios": [0.8, 0.1, 0.1], "group_by": "doc_id", "seed": 13},
    }


@dataclass(frozen=True)
class Config:
    """A validated workspace configuration."""

    data: dict
    path: Path | None = None

    @property
    def language(self) -> str:
        return self.data["language"]

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(task for task in TASKS if task in self.data["tasks"])

    def labels(self, task: str) -> list[str]:
        """The ordered label names of ``task`` (this order is the ClassLabel order everywhere)."""
        return [label["name"] for label in self._task(task)["labels"]]

    def label_specs(self, task: str) -> list[dict]:
        return [dict(label) for label in self._task(task)["labels"]]

    def keys(self, task: str) -> dict[str, str]:
        """Key -> label name for ``task``."""
        return {label["key"]: label["name"] for label in self._task(task)["labels"]}

    @property
    def targets(self) -> list[str]:
        return list(self.data["tasks"].get("stance", {}).get("targets", []))

    @property
    def entity_aliases(self) -> dict[str, str]:
        return dict(self.data["tasks"].get("entities", {}).get("aliases", {}))

    @property
    def split(self) -> dict:
        defaults = {"ratios": [0.8, 0.1, 0.1], "group_by": "doc_id", "seed": 13}
        return {**defaults, **self.data.get("split", {})}

    def _task(self, task: str) -> dict:
        try:
            return self.data["tasks"][task]
        except KeyError:
            raise WorkspaceError(
                f"task {task!r} is not configured", where=str(self.path or "tagline.toml"),
                fix=f"add a [tasks.{task}] table; configured tasks: {', '.join(self.tasks) or 'none'}",
            ) from None


def validate_config(data: dict, *, where: str = "tagline.toml") -> list[str]:
    """Every problem with a configuration dict: schema errors, then duplicate names or keys."""
    from tagline.schemas import schema_errors

    # JSON Schema has no way to refuse NaN (every comparison with it is false), so look first.
    not_finite = dict(_non_finite_numbers(data))
    problems = [f"{where}: {key}: {value} is not a finite number" for key, value in not_finite.items()]
    problems += [f"{where}: {message}" for message in schema_errors("config", data)
                 if message.split(": ", 1)[0].replace("/", ".") not in not_finite]
    if problems:
        return problems
    for task, spec in data["tasks"].items():
        names = [label["name"] for label in spec["labels"]]
        keys = [label["key"] for label in spec["labels"]]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{where}: tasks.{task}: label {name!r} is listed twice")
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f"{where}: tasks.{task}: key {key!r} is used by more than one label")
        for key in sorted(set(keys) & RESERVED_KEYS):
            problems.append(
                f"{where}: tasks.{task}: key {key!r} is reserved for the session "
                f"(reserved: {' '.join(sorted(RESERVED_KEYS))})"
            )
    if "entities" in data["tasks"]:
        entity_names = {label["name"] for label in data["tasks"]["entities"]["labels"]}
        for alias, target in data["tasks"]["entities"].get("aliases", {}).items():
            if target not in entity_names:
                problems.append(f"{where}: tasks.entities.aliases: {alias!r} maps to unknown label {target!r}")
    ratios = data.get("split", {}).get("ratios")
    if ratios and abs(sum(ratios) - 1.0) > 1e-6:
        problems.append(f"{where}: split.ratios {ratios} sum to {sum(ratios):g}, not 1 "
                        "(train, validation and test shares, e.g. [0.8, 0.1, 0.1])")
    return problems


def _non_finite_numbers(value, key: str = ""):
    """``(dotted.key, value)`` for every NaN or infinity in a configuration (TOML allows both)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield key, value
    elif isinstance(value, dict):
        for name, child in value.items():
            yield from _non_finite_numbers(child, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _non_finite_numbers(child, f"{key}.{index}")


def load_config(path: str | Path) -> Config:
    """Read and validate ``tagline.toml``; raise :class:`WorkspaceError` listing every problem."""
    path = Path(path)
    try:
        # utf-8-sig: Windows editors may start the file with a byte order mark.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise WorkspaceError("no tagline.toml", where=str(path.parent),
                             fix="run `tagline init DIR` to make a workspace") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise WorkspaceError(f"not valid TOML: {error}", where=str(path),
                             fix="fix the syntax; `tagline init` writes a valid example") from None
    except RecursionError:
        raise WorkspaceError("arrays or tables nested too deeply", where=str(path),
                             fix="fix tagline.toml; `tagline init` writes a valid example") from None
    except ValueError as error:
        if "digits" not in str(error):
            raise
        raise WorkspaceError(f"a number of more than {sys.get_int_max_str_digits()} digits", where=str(path),
                             fix="fix tagline.toml; `tagline init` writes a valid example") from None
    problems = validate_config(data, where=str(path))
    if problems:
        raise WorkspaceError("; ".join(problems), fix="fix tagline.toml")
    return Config(data, path)


def render_toml(data: dict) -> str:
    """Write a configuration dict as TOML (the subset the config uses), with explanatory comments."""
    out = [
        "# tagline workspace configuration. Label order is the class order in built datasets.",
        "# Each label has one key for the terminal session; u s b q x ? are reserved.",
        f"schema_version = {data['schema_version']}",
        f"name = {_string(data.get('name', ''))}",
        f"language = {_string(data['language'])}  # ja, en or auto (detected per document)",
        "",
    ]
    for task in TASKS:
        spec = data["tasks"].get(task)
        if spec is None:
            continue
        out.append(f"[tasks.{task}]")
        if task == "stance":
            out.append(f"targets = [{', '.join(_string(t) for t in spec['targets'])}]")
        if spec.get("aliases"):
            pairs = ", ".join(f"{_string(k)} = {_string(v)}" for k, v in spec["aliases"].items())
            out.append(f"aliases = {{ {pairs} }}")
        out.append("")
        for label in spec["labels"]:
            out.append(f"[[tasks.{task}.labels]]")
            out.append(f"name = {_string(label['name'])}")
            out.append(f"key = {_string(label['key'])}")
            if label.get("description"):
                out.append(f"description = {_string(label['description'])}")
            out.append("")
    split = data.get("split")
    if split:
        out.append("[split]")
        out.append(f"ratios = [{', '.join(repr(float(r)) for r in split['ratios'])}]  # train, validation, test")
        out.append(f"group_by = {_string(split['group_by'])}  # doc_id keeps each document in one split")
        out.append(f"seed = {int(split['seed'])}")
        out.append("")
    return "\n".join(out)


def _string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)
