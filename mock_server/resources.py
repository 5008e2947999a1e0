"""Where the shipped data lives: beside the package, in `idcard_mock_data/` once installed or at the
top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`schemas`, `fixtures`: `idcard_mock_data/<name>` in a wheel, `<repo>/<name>` in a checkout."""
    for candidate in (_PACKAGE.parent / "idcard_mock_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"idcard-mock data folder {name!r} is missing from the installation")
