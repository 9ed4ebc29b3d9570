"""Label maps: reading ``--label-map`` files, and mapping a file's labels to the configured ones (the
map, then the entity aliases of ``tagline.toml``), refusing every unknown label in one message."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from tagline.annotate.formats.common import ForeignRecord
from tagline.annotate.formats.registry import TASKS
from tagline.corpus.readers import json_nesting_problem, read_input
from tagline.errors import DataError, InputError

if TYPE_CHECKING:
    from tagline.corpus.config import Config

MAP_TASKS = TASKS  # a label map may have one table per task


def load_label_map(path: str | Path) -> dict[str | None, dict[str, str | None]]:
    """Read a label map: a JSON or TOML table of foreign label -> configured label, optionally with
    per-task tables (``entities``, ``claim_type``, ``stance``). ``""`` (or JSON ``null``) drops the
    label. Returns ``{None: flat map, task: task map, ...}``."""
    path = Path(path)
    try:
        text = read_input(path).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read the label map: {error}", where=str(path),
                         fix="give a UTF-8 JSON or TOML file") from None
    data: object = None
    errors = []
    parsers: list[tuple[str, Callable[[str], object]]] = [("TOML", tomllib.loads), ("JSON", json.loads)]
    if path.suffix.lower() != ".toml":
        parsers.reverse()
    for name, parse in parsers:
        try:
            data = parse(text)
            break
        except (ValueError, tomllib.TOMLDecodeError) as error:
            errors.append(f"{name}: {error}")
        except RecursionError:
            errors.append(f"{name}: nested too deeply")
    if not isinstance(data, dict):
        raise InputError(f"the label map is not a JSON object or TOML table ({'; '.join(errors) or 'a list'})",
                         where=str(path), fix='write {"foreign label": "CONFIGURED_LABEL", ...}')
    if json_nesting_problem(data):
        raise InputError("the label map nests tables deeper than a label map can", where=str(path),
                         fix='write {"foreign label": "CONFIGURED_LABEL", ...}, optionally under entities, '
                             "claim_type or stance")
    result: dict[str | None, dict[str, str | None]] = {None: {}}
    for key, value in data.items():
        if isinstance(value, dict) and key in MAP_TASKS:
            section = result.setdefault(key, {})
            for foreign, mapped in value.items():
                section[str(foreign)] = _map_value(mapped, path, f"{key}.{foreign}")
        else:
            result[None][str(key)] = _map_value(value, path, str(key))
    return result


def _map_value(value: object, path: Path, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"the label map gives {key!r} the value {value!r}, not a label name", where=str(path),
                         fix='values are configured label names, or "" to leave the label out')
    return value


class _Unknown(Enum):
    UNKNOWN = "unknown"


# An enum member rather than object(), so that `is UNKNOWN_LABEL` narrows what resolve() gives.
UNKNOWN_LABEL: Final = _Unknown.UNKNOWN


class LabelMapper:
    """Foreign label -> configured label: the label map, then the config's entity aliases, then the
    label itself when it is configured."""

    def __init__(self, config: Config, label_map: dict[str | None, dict[str, str | None]]) -> None:
        self.config = config
        self.label_map = label_map
        self.bad_values: dict[tuple[str, str], str] = {}
        self._resolved: dict[tuple[str, str], str | None | Literal[_Unknown.UNKNOWN]] = {}

    def resolve(self, task: str, label: str) -> str | None | Literal[_Unknown.UNKNOWN]:
        """The configured label, ``None`` when the map leaves the label out, or ``UNKNOWN_LABEL``."""
        key = (task, label)
        if key not in self._resolved:  # a file holds few labels, each many times
            self._resolved[key] = self._resolve(task, label)
        return self._resolved[key]

    def _resolve(self, task: str, label: str) -> str | None | Literal[_Unknown.UNKNOWN]:
        configured = self.config.labels(task)
        for table in (self.label_map.get(task, {}), self.label_map.get(None, {})):
            if label in table:
                mapped = table[label]
                if mapped is not None and mapped not in configured:
                    self.bad_values[(task, label)] = mapped
                    return UNKNOWN_LABEL
                return mapped
        if task == "entities":
            aliases = self.config.entity_aliases
            if label in aliases:
                return aliases[label]
        return label if label in configured else UNKNOWN_LABEL


def map_labels(records: list[ForeignRecord], mapper: LabelMapper, config: Config, task: str, target: str | None,
               path: Path) -> int:
    """Give every answer of ``records`` its task and target (classification labels the file does not
    place go to ``task``/``target``) and its configured labels, in place. A missing task or stance
    target and every unknown label are refused, all in one message; returns how many labels the map
    left out."""
    unknown: dict[tuple[str, str], list] = {}
    missing_targets: dict[str, str] = {}
    missing_tasks: dict[str, str] = {}
    dropped = 0
    # Entity labels this file maps to a configured label: a look-up per span instead of a call.
    resolved: dict[str, str] = {}
    configured_tasks = config.tasks  # a property that makes its tuple anew: once, not once per answer
    for record in records:
        kept = []
        for answer in record.answers:
            if answer.kind == "spans":
                destination, answer_target = "entities", None
            elif answer.task:
                destination, answer_target = answer.task, answer.target
            else:
                destination, answer_target = task, target
            if destination not in configured_tasks:
                missing_tasks.setdefault(destination, answer.where)
                continue
            if destination == "stance":
                # Readers name a target with every stance answer, and --task stance needs --target.
                assert answer_target is not None
                if answer_target not in config.targets:
                    missing_targets.setdefault(answer_target, answer.where)
                    continue
            answer.task, answer.target = destination, answer_target
            if answer.kind == "spans":
                spans = []
                for span in answer.spans:
                    mapped = resolved.get(span.label) or mapper.resolve("entities", span.label)
                    if mapped is UNKNOWN_LABEL:
                        unknown.setdefault(("entities", span.label), [0, span.where or answer.where])[0] += 1
                    elif mapped is None:
                        dropped += 1
                    else:
                        resolved[span.label] = mapped
                        span.label = mapped
                        spans.append(span)
                answer.spans = spans
                kept.append(answer)
                continue
            assert answer.label is not None  # readers give every "label" answer its label
            mapped = mapper.resolve(destination, answer.label)
            if mapped is UNKNOWN_LABEL:
                unknown.setdefault((destination, answer.label), [0, answer.where])[0] += 1
            elif mapped is None:
                dropped += 1
            else:
                answer.label = mapped
                kept.append(answer)
        record.answers = kept
    if missing_tasks:
        names = ", ".join(sorted(missing_tasks))
        raise DataError(f"the file has answers for {names}, which tagline.toml does not configure",
                        where=next(iter(missing_tasks.values())),
                        fix=f"add a [tasks.{next(iter(missing_tasks))}] table")
    if missing_targets:
        listed = sorted(missing_targets)
        line = "targets = [" + ", ".join(json.dumps(t, ensure_ascii=False) for t in config.targets + listed) + "]"
        raise DataError(
            f"stance target{'s' if len(listed) > 1 else ''} {', '.join(repr(t) for t in listed)} "
            f"{'are' if len(listed) > 1 else 'is'} not in the workspace configuration",
            where=missing_targets[listed[0]],
            fix=f"add {'them' if len(listed) > 1 else 'it'} to [tasks.stance] in tagline.toml: {line}")
    if unknown:
        raise DataError(_unknown_message(unknown, mapper, config), where=str(path),
                        fix=_unknown_fix(unknown, config))
    return dropped


def _unknown_message(unknown: dict, mapper: LabelMapper, config: Config) -> str:
    parts = []
    for task in MAP_TASKS:
        items = [(label, count, where) for (t, label), (count, where) in unknown.items() if t == task]
        if not items:
            continue
        shown = []
        for label, count, where in sorted(items):
            note = " (a span without a value)" if label == "*" else ""
            bad = mapper.bad_values.get((task, label))
            if bad:
                note = f" (the label map gives {bad!r}, which is not a configured {task} label)"
            shown.append(f"{label!r}{note} ×{count}, first at {where}")
        parts.append(f"{task}: " + "; ".join(shown) + f" — configured: {', '.join(config.labels(task))}")
    return "labels not in the workspace configuration: " + " | ".join(parts)


def _unknown_fix(unknown: dict, config: Config) -> str:
    example = {}
    for (task, label) in sorted(unknown, key=lambda item: (MAP_TASKS.index(item[0]), item[1])):
        example[label] = _guess(label, config.labels(task))
        if len(example) >= 4:
            break
    sample = json.dumps(example, ensure_ascii=False)
    return (f"map them with --label-map FILE, a JSON or TOML table of foreign label -> configured label, e.g. "
            f"{sample} (\"\" leaves a label out); entity labels can also get aliases in [tasks.entities] "
            "aliases in tagline.toml")


def _guess(label: str, configured: list[str]) -> str:
    """A configured label the foreign one plausibly means (same name in another case, or one a
    prefix of the other: Organization -> ORG), else "" (leave it out)."""
    folded = label.casefold()
    for name in configured:
        if name.casefold() == folded:
            return name
    for name in configured:
        other = name.casefold()
        if min(len(other), len(folded)) >= 3 and (folded.startswith(other) or other.startswith(folded)):
            return name
    return ""
