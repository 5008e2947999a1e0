"""SQLite persistence shared by every server worker (WAL mode), or private in memory for tests.

One connection per process, guarded by a lock: workers are processes (gunicorn), and a forked
child must never reuse its parent's connection, so the connection is reopened when the pid
changes. `:memory:` gives one private database for one app (tests).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DB = "idcard-mock.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS apps (
    app_id TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    value TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_app ON tokens (app_id, expires_at);
CREATE TABLE IF NOT EXISTS tickets (
    value TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    token TEXT NOT NULL,
    user_id TEXT,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_by_app ON tickets (app_id, kind, expires_at);
CREATE TABLE IF NOT EXISTS images (
    digest TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recognitions (
    app_id TEXT NOT NULL,
    order_no TEXT NOT NULL,
    side TEXT NOT NULL,
    code TEXT NOT NULL,
    fields TEXT NOT NULL,
    warning TEXT NOT NULL,
    multi_warning TEXT NOT NULL,
    clarity TEXT NOT NULL,
    image_digest TEXT,
    operate_time REAL NOT NULL,
    PRIMARY KEY (app_id, order_no, side)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no TEXT,
    entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenario_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    endpoint TEXT,
    remaining INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS recent_nonces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL,
    order_no TEXT NOT NULL,
    nonce TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recent_nonces_by_app ON recent_nonces (app_id, id);
"""

# What `POST /_mock/reset` empties: everything the calls and the admin surface create. The apps
# (configuration) stay; the clock's offset lives in `meta` and is reset by the clock itself.
STATE_TABLES = (
    "tokens", "tickets", "images", "recognitions", "journal", "scenario_queue", "recent_nonces",
)


class Store:
    def __init__(self, path: str | os.PathLike[str] = DEFAULT_DB) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        with self._lock:
            self._connection().executescript(_SCHEMA)

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            if not self.in_memory:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            if not self.in_memory:
                # WAL lets workers read while one writes. A commit is in the operating system's
                # hands once written, so it survives a killed server process; fsync would only
                # guard against an OS crash, and costs every checkpoint a disk flush (the p99).
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
            conn.row_factory = sqlite3.Row
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Serialised read-write transaction; committed before the caller answers."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reset_state(self) -> None:
        with self.transaction() as conn:
            for table in STATE_TABLES:
                conn.execute(f"DELETE FROM {table}")

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
