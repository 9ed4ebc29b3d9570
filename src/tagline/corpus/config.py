"""The workspace configuration (tagline.toml): defaults, loading, validation and writing."""

from __future__ import annotations

import contextlib
import copy
import json
import math
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tagline.errors import DataError, WorkspaceError
from tagline.schemas import TASKS  # noqa: F401  (the config's tasks are the schemas' tasks)

if TYPE_CHECKING:
    from tagline.corpus.execution import Execution

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
CHECK_WORTHINESS_LABELS = [
    {"name": "check_worthy", "key": "c",
     "description": "worth fact-checking: a factual claim the public would want checked"},
    {"name": "not_check_worthy", "key": "n",
     "description": "not worth checking: no factual claim, or one nobody would check"},
]
# The claim-type label sets `tagline init --claim-types` offers. Check-worthiness (the CLEF CheckThat!
# and ClaimBuster benchmarks) is not a claim type: a check-worthy sentence can be of any checkable
# Full Fact type, and an unremarkable factual claim is not check-worthy, so neither set maps onto
# the other (docs/formats.md, "Check-worthiness benchmarks").
CLAIM_TYPE_SETS = {"full-fact": DEFAULT_CLAIM_TYPES, "check-worthiness": CHECK_WORTHINESS_LABELS}
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
# The licence identifiers the Hugging Face Hub accepts in a card's `license` (its list of licences,
# https://huggingface.co/docs/hub/repositories-licenses, and the ones its metadata check takes). A
# licence not among them is written as `other`, with a `license_name` and a `license_link`.
HUB_LICENSES = frozenset("""
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m
    afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0
    cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
    cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
    cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0
    gfdl gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl
    apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl
    lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3
    llama4 grok2-community gemma unknown other
""".split())
# How to give a workspace stance targets, for every message about a workspace that has none.
ADD_TARGETS = 'list them in tagline.toml under [tasks.stance], e.g. targets = ["DeepSeek", "US AI policy"]'
# The split seed goes to NumPy's RandomState, which takes 0 to 2**32 - 1 (as every --seed option).
MAX_SEED = 2**32 - 1


def default_config(*, language: str = "ja", targets: list[str] | None = None, name: str = "",
                   claim_types: str = "full-fact") -> dict:
    """The configuration ``tagline init`` writes, as a plain dict: stance toward ``targets`` only
    (none when not given; the sample's targets come with the sample, see ``init_workspace``), and
    the claim-type label set ``claim_types`` (a key of :data:`CLAIM_TYPE_SETS`)."""
    if claim_types not in CLAIM_TYPE_SETS:
        raise ValueError(f"unknown claim-type label set {claim_types!r}; expected one of {', '.join(CLAIM_TYPE_SETS)}")
    return {
        "schema_version": 1,
        "name": name,
        "language": language,
        "tasks": {
            "stance": {"labels": copy.deepcopy(DEFAULT_STANCE_LABELS),
                       "targets": list(targets or [])},
            "claim_type": {"labels": copy.deepcopy(CLAIM_TYPE_SETS[claim_types])},
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

    def require_targets(self) -> list[str]:
        """The stance targets; a :class:`WorkspaceError` saying how to add some when there are none."""
        if not self.targets:
            raise WorkspaceError("stance has no targets in this workspace", where=str(self.path or "tagline.toml"),
                                 fix=ADD_TARGETS)
        return self.targets

    def stance_target(self, target: str | None, *, option: str = "--target") -> str:
        """``target`` checked against the stance targets; ``None`` stands for the only target when
        there is one. The errors say which targets there are and how to give one (``option``)."""
        import shlex

        targets = self.require_targets()
        if target is None:
            if len(targets) == 1:
                return targets[0]
            raise DataError(f"{option} is needed for stance; the workspace's targets are {', '.join(targets)}",
                            fix=f"for example {option} {shlex.quote(targets[0])}")
        if target not in targets:
            raise DataError(f"stance target {target!r} is not one of {', '.join(targets)}",
                            fix=f"give one of them with {option}, or add it to targets under [tasks.stance] "
                                "in tagline.toml")
        return target

    @property
    def entity_aliases(self) -> dict[str, str]:
        return dict(self.data["tasks"].get("entities", {}).get("aliases", {}))

    @property
    def split(self) -> dict:
        defaults = {"ratios": [0.8, 0.1, 0.1], "group_by": "doc_id", "seed": 13}
        return {**defaults, **self.data.get("split", {})}

    @property
    def execution(self) -> Execution:
        """Where the heavy loops run (the ``[execution]`` table; this machine, one process, without it)."""
        from tagline.corpus.execution import Execution

        return Execution.from_config(self.data.get("execution", {}))

    @property
    def dataset_license(self) -> dict[str, str]:
        """The built dataset's licence as the card writes it: ``license`` (a Hub identifier, in lower
        case; ``unknown`` when ``[dataset]`` gives none) and, for ``other``, ``license_name`` and
        ``license_link``."""
        dataset = self.data.get("dataset", {})
        fields = {"license": dataset.get("license", "unknown").lower()}
        fields.update({key: dataset[key] for key in ("license_name", "license_link") if key in dataset})
        return fields

    def _task(self, task: str) -> dict:
        try:
            return self.data["tasks"][task]
        except KeyError:
            raise WorkspaceError(
                f"task {task!r} is not configured", where=str(self.path or "tagline.toml"),
                fix=f"add a [tasks.{task}] table; configured tasks: {', '.join(self.tasks) or 'none'}",
            ) from None


def validate_config(data: dict, *, where: str = "tagline.toml", schema_checked: bool = False) -> list[str]:
    """Every problem with a configuration dict: schema errors, then duplicate names or keys.
    ``schema_checked``: the same configuration was found to match the schema before (see
    :func:`load_config`), so the schema is not checked again."""
    # JSON Schema has no way to refuse NaN (every comparison with it is false), so look first.
    not_finite = dict(_non_finite_numbers(data))
    problems = [f"{where}: {key}: {value} is not a finite number" for key, value in not_finite.items()]
    if not schema_checked:
        from tagline.schemas import schema_errors

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
    return problems + _license_problems(data.get("dataset", {}), where) + _execution_problems(data, where)


def _execution_problems(data: dict, where: str) -> list[str]:
    """``[execution]``: a scheduler address only with the dask backend, at least one local job."""
    from tagline.corpus.execution import Execution

    try:
        Execution.from_config(data.get("execution", {}))
    except DataError as error:
        return [f"{where}: execution: {error.what}" + (f" ({error.fix})" if error.fix else "")]
    return []


def _license_problems(dataset: dict, where: str) -> list[str]:
    """``[dataset]``: a licence the Hub knows, and a name and link exactly when it is ``other``."""
    if "license" not in dataset:
        return [f"{where}: dataset.{key} is given without dataset.license = \"other\""
                for key in ("license_name", "license_link") if key in dataset]
    license_id = dataset["license"].lower()
    if license_id not in HUB_LICENSES:
        import difflib

        close = difflib.get_close_matches(license_id, sorted(HUB_LICENSES), n=1)
        return [f"{where}: dataset.license {dataset['license']!r} is not a licence identifier of the Hugging Face "
                "Hub" + (f" (did you mean {close[0]!r}?)" if close else "") + "; for another licence write "
                'license = "other" with license_name and license_link (see docs/cli.md)']
    missing = [key for key in ("license_name", "license_link") if key not in dataset]
    if license_id == "other" and missing:
        return [f"{where}: dataset.license = \"other\" needs {' and '.join(f'dataset.{key}' for key in missing)} "
                '(e.g. license_name = "my-licence-1.0", license_link = "LICENSE" or the URL of its terms)']
    if license_id != "other":
        return [f"{where}: dataset.{key} is only for license = \"other\"; {license_id!r} is named by its identifier"
                for key in ("license_name", "license_link") if key in dataset]
    return []


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
    """Read and validate ``tagline.toml``; raise :class:`WorkspaceError` listing every problem.

    Checking against the JSON Schema (importing jsonschema, then validating) took most of a short
    command's own time, so a configuration found valid is remembered outside the workspace, in
    ``$XDG_CACHE_HOME/tagline/checked-configs/`` (``~/.cache`` by default): one small file per
    configuration file, holding a hash of its bytes and of the schema's. While both are unchanged
    the schema is not checked again; the other checks always run."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        # utf-8-sig: Windows editors may start the file with a byte order mark.
        data = tomllib.loads(raw.decode("utf-8-sig"))
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
    checked_path, fingerprint = _checked_path(path), _fingerprint(raw)
    try:
        checked = checked_path is not None and checked_path.read_text(encoding="utf-8") == fingerprint
    except (OSError, UnicodeDecodeError):
        checked = False
    problems = validate_config(data, where=str(path), schema_checked=checked)
    if problems:
        raise WorkspaceError("; ".join(problems), fix="fix tagline.toml")
    if checked_path is not None and not checked:
        _remember(checked_path, fingerprint)
    return Config(data, path)


def _checked_path(path: Path) -> Path | None:
    """Where the fingerprint of the configuration at ``path`` is remembered once it is found valid
    (None when there is no home folder for the cache)."""
    import hashlib
    import os

    given = os.environ.get("XDG_CACHE_HOME", "")
    try:  # a relative one is ignored, as the XDG specification says: it could name the workspace itself
        cache = Path(given) if os.path.isabs(given) else Path.home() / ".cache"
    except RuntimeError:
        return None
    name = hashlib.blake2b(os.fsencode(path.resolve()), digest_size=16).hexdigest()
    return cache / "tagline" / "checked-configs" / name


def _fingerprint(raw: bytes) -> str:
    """A hash of a configuration's bytes and of the schema it is checked against."""
    import hashlib
    import pkgutil

    # pkgutil reads package data as importlib.resources does, without importing tempfile and zipfile
    # (a hundredth of a short command's time)
    schema = pkgutil.get_data("tagline.schemas", "config.schema.json") or b""
    return hashlib.blake2b(len(schema).to_bytes(8, "big") + schema + raw, digest_size=32).hexdigest() + "\n"


def _remember(path: Path, fingerprint: str) -> None:
    """Write ``fingerprint`` to ``path`` whole (a new file renamed over it), first removing what saves
    killed before their rename left; where the cache cannot be written, configurations are checked
    in full every time instead."""
    import os

    from tagline.corpus.primitives import temporary_file
    from tagline.corpus.store import sweep_temporaries

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # the name sweep_temporaries knows
    with contextlib.suppress(OSError):  # the temporary file is removed
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_temporaries(path.parent)
        with temporary_file(temporary) as fd:  # locked: a running writer's until it is renamed
            os.write(fd, fingerprint.encode("utf-8"))
            os.replace(temporary, path)


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
    dataset = data.get("dataset")
    if dataset:
        out.append("[dataset]  # the built dataset's licence, written to its card")
        out += [f"{key} = {_string(dataset[key])}" for key in ("license", "license_name", "license_link")
                if key in dataset]
        out.append("")
    else:
        out += ["# The built dataset's licence, written to its card: a Hugging Face Hub licence identifier, or",
                '# "other" with license_name and license_link. Until it is set, the card says "unknown".',
                "# [dataset]", '# license = "cc-by-4.0"', ""]
    return "\n".join(out)


def _string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)
