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
    }
    return StorageError(f"could not write: {reason}; {kept}", where=str(path),
                        fix=fixes.get(error.errno or 0, "check the disk and run the command again"))
