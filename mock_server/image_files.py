"""The images orders keep, one file per recognition in a folder beside the database, or in memory.

Files keep megabytes of image out of SQLite's WAL: one `write` of the bytes instead of a blob
copied into the log and again into the database at each checkpoint. A file is written in full
before the record that names it is committed (no reader opens a file before its record exists),
and deleted only after the record that named it is gone: a killed server leaves at worst a file
no record names, whole or partial, which `sweep_orphans` removes at the next start.

Like the database, files are written without fsync: once written they are the operating system's,
and survive a killed server; only an operating-system crash could lose them.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

# A file younger than this may belong to a record another worker has not committed yet.
ORPHAN_GRACE_SECONDS = 300.0
_SUFFIX = ".img"


class ImageFiles:
    def __init__(self, folder: Path | None) -> None:
        """`folder` None keeps the images in this object (an in-memory store)."""
        self.folder = folder
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def put(self, data: bytes) -> str:
        """Store `data` under a new name and return the name."""
        name = secrets.token_hex(16) + _SUFFIX
        if self.folder is None:
            with self._lock:
                self._memory[name] = data
            return name
        path = self.folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with open(fd, "wb", closefd=True) as handle:
                handle.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return name

    def get(self, name: str) -> bytes | None:
        if self.folder is None:
            with self._lock:
                return self._memory.get(name)
        try:
            return (self.folder / _checked(name)).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            if self.folder is None:
                with self._lock:
                    self._memory.pop(name, None)
            else:
                (self.folder / _checked(name)).unlink(missing_ok=True)

    def clear(self) -> None:
        if self.folder is None:
            with self._lock:
                self._memory.clear()
            return
        for path in self.folder.iterdir():
            if path.name.endswith(_SUFFIX):
                path.unlink(missing_ok=True)

    def sweep_orphans(self, referenced: Callable[[str], bool], now: float | None = None) -> int:
        """Delete files no record names (`referenced(name)` false) and older than the grace
        period; returns how many went."""
        if self.folder is None:
            return 0
        cutoff = (now if now is not None else time.time()) - ORPHAN_GRACE_SECONDS
        removed = 0
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            name = path.name
            if name.endswith(_SUFFIX) and not referenced(name):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _checked(name: str) -> str:
    """A stored name is ours (hex and the suffix): never a path the database could redirect."""
    if not (name.endswith(_SUFFIX) and name[: -len(_SUFFIX)].isalnum() and "/" not in name):
        raise ValueError(f"not an image file name: {name!r}")
    return name
