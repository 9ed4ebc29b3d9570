"""The project's exception family: every data or usage problem the library reports."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

_Function = TypeVar("_Function", bound=Callable[..., Any])


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


class StorageError(TaglineError):
    """A file could not be written (disk full, read-only, I/O error); what was there is kept."""


def storage_error(path: object, error: OSError, *, kept: str = "nothing was saved") -> StorageError:
    """A :class:`StorageError` for ``error`` raised while writing ``path``, saying what was kept
    and how to go on."""
    import errno

    reason = error.strerror or str(error)
    fixes = {
        errno.ENOSPC: "free some disk space and run the command again",
        errno.EDQUOT: "free some space within your disk quota and run the command again",
        errno.EROFS: "the file system is read-only; work on a writable copy of the workspace",
        errno.EACCES: "check the permissions of the file and its folder",
        errno.EPERM: "check the permissions of the file and its folder",
        errno.ENOENT: "check the path: its folder must exist",
        errno.EBADF: "the command was started with it closed; give it a file or a pipe",
        errno.EBUSY: "run the command again once the other one has finished",
    }
    return StorageError(f"could not write: {reason}; {kept}", where=str(path),
                        fix=fixes.get(error.errno or 0, "check the disk and run the command again"))


class Interrupted(KeyboardInterrupt):
    """Work stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP (its terminal closed), after cleaning up after itself.

    A ``KeyboardInterrupt``, so that ``except Exception`` in the code it passes through does not
    stop it, and a notebook shows it as it shows Ctrl-C. ``signum`` is the signal; ``detail`` says
    what was left (``"the previous build in build/dataset is kept"``); ``exit_code`` is what a
    shell reports for a process that signal ended, ``128 + signum`` (130, 143, 129).
    """

    def __init__(self, signum: int, detail: str | None = None):
        super().__init__(f"stopped; {detail}" if detail else "stopped")
        self.signum = signum
        self.detail = detail

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def require_count(name: str, value: object, minimum: int = 1) -> None:
    """Refuse a count a script passes below ``minimum`` (or not a whole number) as an :class:`InputError`,
    as the command's option ranges refuse it, rather than a ``ValueError`` from deep inside or a silent
    default."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"{name} must be a whole number of at least {minimum}, not {value!r}",
                         fix=f"pass {name}={minimum} or more")


def takes_workspace(function: _Function) -> _Function:
    """A root function whose ``workspace`` argument, when None or a path rather than an open
    workspace, is an :class:`InputError` that says how to open one, not an ``AttributeError`` from
    inside."""
    import functools
    import inspect

    position = list(inspect.signature(function).parameters).index("workspace")

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        workspace = args[position] if len(args) > position else kwargs.get("workspace")
        if workspace is None or isinstance(workspace, (str, os.PathLike)):
            raise InputError(f"workspace must be an open workspace, not {type(workspace).__name__}",
                             fix="pass tagline.open_workspace(DIRECTORY) or tagline.init_workspace(DIRECTORY)")
        return function(*args, **kwargs)

    return checked  # type: ignore[return-value]
