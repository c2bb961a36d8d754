"""The SQLite connection every store module writes through, and its transactions.

Apart from `db.py` so that the migrations and the review trail can take the write lock
without importing the `Store` that imports them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any


def connect(path: Path, *, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL and foreign keys on."""
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=timeout, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    try:  # the first statement is where a file that is not a database fails
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # WAL with synchronous=NORMAL keeps every commit across a process kill; only a
        # power loss can drop the last transactions, and never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error; nests as a no-op.

    IMMEDIATE takes the write lock up front, so two writers queue on `timeout` instead of
    failing halfway with a busy error after reading.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._conn.in_transaction
        if self._outer:
            self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:  # SQLite may have rolled back itself (a full disk)
            self._conn.execute("ROLLBACK")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""`json.dumps` with these options builds an encoder per call; a save writes dozens."""


def dumps(value: Any) -> str:
    """JSON as the store keeps it: compact, and not escaped to ASCII."""
    return _ENCODER.encode(value)
