"""The domain errors: what a user can fix (a bad file, a missing model, a newer store).

Every one derives from `NewsdeskError`, so the CLI turns any of them into one line and
exit code 4 (5 for a full disk, 2 for a `--db` that is not a store) instead of a
traceback that reads like a partial run (exit 1). Errors about
one input are not exceptions at all: they are `models.InputError` records, collected
while the batch goes on.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base of the errors a user can act on; the message says what to do."""


class ConfigError(NewsdeskError):
    """A setting, environment variable or config file holds a value that is not allowed."""


class SchemaError(NewsdeskError):
    """The store was written by a newer newsdesk, or a migration could not be applied."""


class StoreMissingError(NewsdeskError):
    """A command that reads a store was pointed at a path where there is none."""


class UnsupportedInputError(NewsdeskError):
    """An input that the chosen way of running cannot take (standard input on Dask)."""


class MissingExtraError(NewsdeskError):
    """An optional extra (web, dask) that the command needs is not installed."""

    @classmethod
    def of(cls, extra: str, needed_by: str, exc: ImportError) -> MissingExtraError:
        """The error for `needed_by` failing to import, with the install line that fixes it."""
        return cls(f"{needed_by} needs the {extra} extra: pip install 'newsdesk[{extra}]' ({exc})")


class DiskFullError(NewsdeskError):
    """The disk filled while the store or the output files were written.

    Apart from the other errors because its cure is not a setting but free space, and
    scripts must be able to tell it apart (exit 5): a re-run after freeing space resumes.
    """


class NotAStoreError(NewsdeskError):
    """`--db` names a file that is not an SQLite database, so it cannot be a store."""


def shown(name: str) -> str:
    """A file name as a message prints it: as it is when plain, else quoted with its
    control characters escaped, so a name holding a newline cannot split a message line
    (or forge a second one)."""
    return name if name.isprintable() else repr(name)


def printable(text: str) -> str:
    """`text` with its control characters escaped (a reason may quote an OS message or a
    name), kept on one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
