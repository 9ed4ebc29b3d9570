"""Who gave an import's answers: each annotator id a file gives made an annotator name (once per id),
``--annotator`` for the answers that name no one, checked over the whole file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tagline.annotate.formats.common import ANNOTATOR_NAME, ForeignRecord, annotator_name, plural
from tagline.errors import DataError, InputError


class AnnotatorNames:
    """Names the answers of a file's records, a batch of records at a time (:meth:`name`), as one
    pass over them all would; :meth:`finish` once every record is named."""

    def __init__(self, annotator: str | None) -> None:
        self.annotator = annotator  # --annotator: for the answers that name no annotator
        self.raw_by_name: dict[str, set[Any]] = {}
        self.names: dict[str, str] = {}
        self.missing = 0  # answers that name no annotator, without --annotator
        self.first_missing = ""
        self.used_option = False

    def name(self, records: list[ForeignRecord]) -> None:
        """Give each answer of ``records`` its annotator name; :class:`DataError` for an id that
        makes no valid name."""
        annotator, names = self.annotator, self.names
        for record in records:
            for answer in record.answers:
                if answer.annotator is None:
                    if annotator is None:
                        self.missing += 1
                        self.first_missing = self.first_missing or answer.where
                        continue
                    answer.annotator = annotator
                    self.used_option = True
                    continue
                raw = answer.annotator
                # Each annotator id (a string, as readers give it) named and checked once, not once per answer.
                name = names.get(raw) if type(raw) is str else None
                if name is None:
                    name = annotator_name(raw)
                    if not ANNOTATOR_NAME.match(name):
                        raise DataError(f"annotator {raw!r} cannot be made a valid annotator name",
                                        where=answer.where, fix="rename the annotator in the file")
                    if type(raw) is str:
                        names[raw] = name
                    self.raw_by_name.setdefault(name, set()).add(str(raw))
                answer.annotator = name

    def name_column(self, raws: list[str | None], where: Callable[[int], str]) -> list[str | None]:
        """What :meth:`name` gives a column of answers whose annotator ids are ``raws`` (each a string
        or None; ``where(i)`` says where answer ``i`` is), each id named and checked once: each
        answer's annotator name (None for one that names no one, without ``--annotator``)."""
        named: dict[str | None, str | None] = {}
        for raw in dict.fromkeys(raws):
            if raw is None:
                continue
            name = self.names.get(raw)
            if name is None:
                name = annotator_name(raw)
                if not ANNOTATOR_NAME.match(name):
                    raise DataError(f"annotator {raw!r} cannot be made a valid annotator name",
                                    where=where(raws.index(raw)), fix="rename the annotator in the file")
                self.names[raw] = name
                self.raw_by_name.setdefault(name, set()).add(raw)
            named[raw] = name
        if None in raws:
            named[None] = self.annotator
            if self.annotator is None:
                self.missing += raws.count(None)
                self.first_missing = self.first_missing or where(raws.index(None))
            else:
                self.used_option = True
        return list(map(named.__getitem__, raws))

    def finish(self, path: Path, warnings: list[str]) -> None:
        """Refuse answers that name no one without ``--annotator`` and ids that would share a name;
        add to ``warnings`` whether ``--annotator`` was used."""
        if self.missing:
            raise InputError(f"the file does not say who gave {plural(self.missing, 'answer')} (first at "
                             f"{self.first_missing})", where=str(path),
                             fix="pass --annotator NAME, or --gold to import them as gold")
        for name, raws in self.raw_by_name.items():
            if len(raws) > 1:
                raise DataError(f"annotators {', '.join(sorted(map(repr, raws)))} would all be named {name!r}",
                                where=str(path), fix="make the annotator ids in the file distinct")
        annotator = self.annotator
        if annotator and self.raw_by_name:
            if self.used_option:
                warnings.append(f"--annotator {annotator} was used for the answers that name no annotator; "
                                f"the others keep theirs ({', '.join(sorted(self.raw_by_name))})")
            else:
                warnings.append(f"the file names its annotators ({', '.join(sorted(self.raw_by_name))}); "
                                "--annotator was not used")
