"""Files that hold secrets: read only while no one else can read them, created so that no one else
can (the apps file, the SQLite database with its tokens, tickets and images)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# Any read permission for the file's group or for others.
_OTHERS_READ = stat.S_IRGRP | stat.S_IROTH


class PrivateFileError(ValueError):
    pass


def read_private(path: str | os.PathLike[str]) -> str:
    """The text of a file that only its owner may read; refused otherwise, before reading it."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError as error:
        raise PrivateFileError(f"cannot read {path}: {error.strerror}") from None
    if mode & _OTHERS_READ:
        raise PrivateFileError(
            f"{path} is readable by its group or by others (mode {mode:04o}); it holds secrets: "
            f"chmod 600 {path}"
        )
    return Path(path).read_text(encoding="utf-8")


def create_private(path: str | os.PathLike[str]) -> None:
    """Create `path` empty with mode 0600 (its folder as needed), unless it exists: a file created
    this way keeps the mode whatever writes it later, and SQLite gives its -wal and -shm files the
    mode of the database."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
