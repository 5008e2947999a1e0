"""The storage interface (`Store`), its embedded SQLite implementation, and `open_store`, which
picks the implementation a `--db` value names: a PostgreSQL URL (`postgresql://…`, pg_store.py)
for replicas on several hosts, anything else an SQLite file (WAL mode) shared by the workers of
one host, or `:memory:`, private to one app (tests). The service and the domain see `Store` only.

SQL is written once, in the dialect both engines accept (`?` placeholders, `INSERT … ON CONFLICT
… DO UPDATE`), and rows are read by column name or position. A write transaction is serialised
with every other write to the same database (SQLite's BEGIN IMMEDIATE; an advisory lock on
PostgreSQL), so a read-then-write inside one is never raced, on one host or several.

SQLite: one connection per process, guarded by a lock: workers are processes, each serving requests on
several threads, and a forked child must never reuse its parent's connection, so the connection
is reopened when the pid changes. `:memory:` gives one private database for one app (tests).

Images live outside SQLite (`image_files.py`): beside the database file, so that megabytes of
image never go through the WAL and its checkpoints.

A request's writes are batched: inside `batch()`, `write(fn)` queues `fn(conn)` and the queue is
committed as one transaction when the batch ends, before the answer leaves. Reads inside a batch
do not see its queued writes; only writes whose effect the same request never reads back are
queued (the order, the nonce the explainer remembers, the journal entry, retention sweeps).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from mock_server.image_files import ImageFiles

DEFAULT_DB = "idcard-mock.sqlite3"
SCHEMA_VERSION = 2
WAL_LIMIT_BYTES = 4 * 1024 * 1024
# How long a call waits for another process's write transaction before it fails.
BUSY_TIMEOUT = 30.0

_RECOGNITIONS = """
CREATE TABLE IF NOT EXISTS recognitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL,
    order_no TEXT NOT NULL,
    side TEXT NOT NULL,
    code TEXT NOT NULL,
    fields TEXT NOT NULL,
    warning TEXT NOT NULL,
    multi_warning TEXT NOT NULL,
    clarity TEXT NOT NULL,
    image_file TEXT,
    stored_bytes INTEGER NOT NULL,
    operate_time REAL NOT NULL,
    UNIQUE (app_id, order_no, side)
)
"""

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
CREATE INDEX IF NOT EXISTS tokens_by_expiry ON tokens (expires_at);
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
CREATE INDEX IF NOT EXISTS tickets_by_issue ON tickets (app_id, kind, issued_at);
CREATE INDEX IF NOT EXISTS tickets_by_expiry ON tickets (expires_at);
""" + _RECOGNITIONS + """;
CREATE INDEX IF NOT EXISTS recognitions_by_time ON recognitions (operate_time);
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
STATE_TABLES = ("tokens", "tickets", "recognitions", "journal", "scenario_queue", "recent_nonces")

Write = Callable[[Any], None]
T = TypeVar("T")
_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)


class StoreUnavailable(Exception):
    """The database cannot be reached (a replica whose PostgreSQL is gone). The message names the
    database with its password masked; the call answers the vendor's internal fault."""


def is_database_url(db: str) -> bool:
    return bool(_URL.match(db))


def open_store(db: str | os.PathLike[str] = DEFAULT_DB) -> Store:
    """The store `db` names: a PostgreSQL URL, or an SQLite file (`:memory:`: private)."""
    if is_database_url(str(db)):
        from mock_server.pg_store import PostgresStore

        return PostgresStore(str(db))
    return SqliteStore(db)


class Store:
    """What the service and the domain use, whichever database is behind it.

    `transaction()` yields a connection for one serialised read-write transaction; `query` reads
    outside one; `batch`/`write` gather a request's writes into one transaction; `images` keeps
    the orders' images (`put`, `get`, `delete`, `clear`, `sweep_orphans`)."""

    backend = ""
    images: Any

    def __init__(self) -> None:
        self._local = threading.local()

    def location(self) -> str:
        """Where the data lives, fit to print (no password)."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def query(self, sql: str, params: tuple = ()) -> list[Any]:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def on_ready(self, fn: Write) -> None:
        """Run `fn(conn)` in a transaction as soon as the database answers: now, or, for a
        database that is down at start, before the first call it serves."""
        with self.transaction() as conn:
            fn(conn)

    def health(self) -> dict[str, Any]:
        """The backend, where it is (masked) and whether it answers now."""
        report: dict[str, Any] = {"backend": self.backend, "location": self.location()}
        try:
            self.query("SELECT 1")
        except StoreUnavailable as error:
            return {**report, "reachable": False, "detail": str(error)}
        return {**report, "reachable": True}

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Queue this thread's `write`s and commit them together when the batch ends (nested
        batches join the outer one). Files to delete are removed after the commit."""
        if getattr(self._local, "writes", None) is not None:
            yield
            return
        self._local.writes, self._local.unlinks = [], []
        try:
            yield
        finally:
            writes, unlinks = self._local.writes, self._local.unlinks
            self._local.writes = self._local.unlinks = None
            self._commit(writes, unlinks)

    def write(self, fn: Write) -> None:
        """Run `fn(conn)` in a transaction: the current batch's, or one of its own."""
        writes = getattr(self._local, "writes", None)
        if writes is None:
            self._commit([fn], [])
        else:
            writes.append(fn)

    def unlink_after_commit(self, names: list[str]) -> None:
        """Image files whose records the current write removes: deleted once it has committed."""
        unlinks = getattr(self._local, "unlinks", None)
        if unlinks is None:
            raise RuntimeError("unlink_after_commit outside a write")
        unlinks.extend(names)

    def _commit(self, writes: list[Write], unlinks: list[str]) -> None:
        if not writes:
            return
        outer = getattr(self._local, "unlinks", None)
        self._local.unlinks = unlinks
        try:
            with self.transaction() as conn:
                for fn in writes:
                    fn(conn)
        finally:
            self._local.unlinks = outer
        self.images.delete(unlinks)


class SqliteStore(Store):
    backend = "sqlite"

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_DB) -> None:
        super().__init__()
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.images = ImageFiles(None if self.in_memory else Path(self.path + "-images"))
        with self._lock:
            self._create_schema(self._connection())

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    def location(self) -> str:
        return self.path

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            if not self.in_memory:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                # No busy wait inside SQLite: it would sleep with the whole worker blocked (a
                # gevent worker serves every connection on one thread). `_busy` waits instead.
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
            if not self.in_memory:
                # WAL lets workers read while one writes. A commit is in the operating system's
                # hands once written, so it survives a killed server process; fsync would only
                # guard against an OS crash, and costs every checkpoint a disk flush (the p99).
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")
                # After a checkpoint the log is cut back to this size instead of staying as large
                # as it ever grew.
                conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            conn.row_factory = sqlite3.Row
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        _busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION and _has_table(conn, "images"):
                _migrate_images_out(conn, self.images)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:  # type: ignore[override]
        """Serialised read-write transaction; committed before the caller answers."""
        with self._lock:
            conn = self._connection()
            _busy(lambda: conn.execute("BEGIN IMMEDIATE"))
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
            conn.execute("DELETE FROM meta WHERE key = 'stored_bytes'")
        self.images.clear()

    def query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            conn = self._connection()
            return _busy(lambda: conn.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def _busy(step: Callable[[], T]) -> T:
    """`step`, tried again while another process holds the database (SQLITE_BUSY), with sleeps
    that let the worker serve other connections meanwhile; gives up after BUSY_TIMEOUT seconds."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.0001
    while True:
        try:
            return step()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.002)  # write transactions last a fraction of a millisecond


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone() is not None


def _migrate_images_out(conn: sqlite3.Connection, images: ImageFiles) -> None:
    """A database of schema 1 kept images as blobs beside recognitions keyed by their digest:
    write each referenced image to a file and rebuild `recognitions` in the current shape."""
    from mock_server.orders import RECORD_BYTES

    old = conn.execute(
        "SELECT app_id, order_no, side, code, fields, warning, multi_warning, clarity, "
        "image_digest, operate_time FROM recognitions ORDER BY operate_time"
    ).fetchall()
    conn.execute("DROP TABLE recognitions")
    conn.execute(_RECOGNITIONS)
    total = 0
    for row in old:
        name, size = None, 0
        if row["image_digest"] is not None:
            blob = conn.execute(
                "SELECT data FROM images WHERE digest = ?", (row["image_digest"],)
            ).fetchone()
            if blob is not None:
                size = len(blob["data"])
                name = images.put(bytes(blob["data"]))
        stored = size + RECORD_BYTES
        total += stored
        conn.execute(
            "INSERT INTO recognitions (app_id, order_no, side, code, fields, warning, "
            "multi_warning, clarity, image_file, stored_bytes, operate_time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*tuple(row)[:8], name, stored, row["operate_time"]),
        )
    conn.execute("DROP TABLE images")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta (key, value) VALUES ('stored_bytes', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(total),))
