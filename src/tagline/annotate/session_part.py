"""What every part of the annotation session (the token cursor, finding spans by text, the use of
suggestions) uses of :class:`~tagline.annotate.session.SessionModel`, declared once for the type
checker; at run time the class is empty."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class SessionPart:
    """The base of the session's parts: the state and methods they share, all kept by the session."""

    if TYPE_CHECKING:
        mode: str
        message: str
        workspace: Any

        @property
        def sentence(self) -> dict[str, Any]: ...

        @property
        def step(self) -> Any: ...

        def spans(self) -> list[dict[str, Any]]: ...

        def _record(self, step: Any, value: dict[str, Any] | None, *, op: str = "set",
                    undoable: bool = True) -> None: ...
