"""The project's exception family: every data or usage problem the library reports."""

from __future__ import annotations


class TaglineError(Exception):
    """A problem the user can fix, rendered by the CLI as ``Error: <where>: <what> (<fix>)``.

    Parameters
    ----------
    what : str
        What was found and what was expected.
    where : str, optional
        A file, ``file:line`` or record the problem is in.
    fix : str, optional
        How to fix it.
    """

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        message = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            message += f" ({self.fix})"
        return message


class WorkspaceError(TaglineError):
    """No workspace, or a broken workspace layout or configuration."""


class DataError(TaglineError):
    """A record that does not satisfy its data contract."""


class InputError(TaglineError):
    """An input document or import file that cannot be read."""


class ConflictError(TaglineError):
    """A change that would overwrite or orphan existing data without being asked to."""
