"""The domain errors: what a user can fix (a bad file, a missing model, a newer store).

Every one derives from `NewsdeskError`, so the CLI turns any of them into one line and
exit code 4 instead of a traceback that reads like a partial run (exit 1). Errors about
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
