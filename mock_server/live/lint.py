"""`idcard-mock fixtures lint`: a pack refused when it holds anything that looks like real personal
data or a secret, each finding naming the file and the field.

- an ID number (anywhere, in any JSON or text file) that the synthesizer did not make: a recorded
  pack keeps a keyed digest of every synthetic number in `recording.synthetic_numbers`; a generated
  pack is regenerated from its seed (each entry's number is a function of seed, as_of,
  invalid_share and its index);
- an image without the idcard-mock marker (every image the project draws carries one);
- a folder of raw images (`--keep-raw-images` writes one beside a recording, never inside);
- a credential: a value under a credential's name that is not reduced to its format
  (`<redacted:…>`), or any run of more than 40 letters and digits (every token and ticket is 64).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from mock_server import marker, masking
from mock_server.fixtures import MANIFEST_NAME

from . import shapes
from .recorder import digest_of

RAW_FOLDER_WORDS = ("raw",)
_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".bin"})
_DIGESTS = "recording.synthetic_numbers"
_LONG_RUN = re.compile(r"[A-Za-z0-9]{41,}")


@dataclass(frozen=True)
class Finding:
    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.problem}"


class _Known:
    """Tells synthetic ID numbers from others, for one pack."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self._manifest = manifest
        recording = manifest.get("recording") if isinstance(manifest.get("recording"), dict) else {}
        self._salt = str(recording.get("digest_salt", ""))
        self._digests = frozenset(recording.get("synthetic_numbers") or ())
        self._generated: frozenset[str] | None = None

    def synthetic(self, number: str) -> bool:
        if self._salt and digest_of(self._salt, number) in self._digests:
            return True
        return number in self._regenerated()

    def _regenerated(self) -> frozenset[str]:
        if self._generated is None:
            self._generated = frozenset(_generated_numbers(self._manifest))
        return self._generated


def _generated_numbers(manifest: dict[str, Any]) -> set[str]:
    """The numbers a generated pack's entries print, made again from its seed."""
    if not isinstance(manifest.get("seed"), int) or "recording" in manifest:
        return set()
    from mock_server.fixtures.generate import PackGenerator

    try:
        generator = PackGenerator(manifest["seed"], date.fromisoformat(manifest["as_of"]),
                                  float(manifest["invalid_share"]))
    except (KeyError, ValueError, TypeError):
        return set()
    numbers = set()
    for entry in manifest.get("entries") or ():
        try:
            card = generator.fixture(int(entry["id"])).card
        except (KeyError, ValueError, TypeError):
            continue
        numbers.add(card.idcard)
    return numbers


def _strings(value: Any, path: str = ""):
    """Every (field path, key, string) in a JSON value; keys count as strings too."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, "", str(key)
            yield from _strings(item, here) if not isinstance(item, str) else [(here, key, item)]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, str):
        yield path, "", value


def _check_text(name: str, field: str, key: str, text: str, known: _Known) -> list[Finding]:
    found = []
    for match in masking.ID_NUMBER.finditer(text):
        number = match.group().upper()
        if not known.synthetic(number):
            found.append(Finding(name, field, f"an ID number the synthesizer did not make "
                                              f"({masking.id_number(number)})"))
    if key in shapes.CREDENTIAL_FIELDS and text and not shapes.is_redacted(text):
        found.append(Finding(name, field, f"a {key} value kept in clear ({masking.secret(text)})"))
    elif _LONG_RUN.search(text) and not shapes.is_redacted(text):
        found.append(Finding(name, field, "a secret-looking value (a run of more than 40 letters "
                                          "and digits)"))
    return found


def _image_findings(name: str, path: Path) -> list[Finding]:
    try:
        with Image.open(path) as image:
            found = marker.read(image)
    except (UnidentifiedImageError, OSError):
        return [Finding(name, "", "not an image the project drew (unreadable as an image)")]
    if found is None:
        return [Finding(name, "", "an image without the idcard-mock marker (possibly a real card)")]
    return []


def lint(folder: str | Path) -> list[Finding]:
    """Every finding in the pack at `folder`; empty when it may be kept and shared."""
    root = Path(folder)
    manifest_path = root / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [Finding(MANIFEST_NAME, "", f"not a readable JSON manifest ({error})")]
    if not isinstance(manifest, dict):
        return [Finding(MANIFEST_NAME, "", "not a JSON object")]
    known = _Known(manifest)
    findings: list[Finding] = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_dir():
            if any(word in path.name.lower() for word in RAW_FOLDER_WORDS):
                findings.append(Finding(name, "", "a folder of raw images: a pack never holds one"))
            continue
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            findings += _image_findings(name, path)
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            findings.append(Finding(name, "", "a file that is neither an image nor text"))
            continue
        if path.suffix.lower() == ".json":
            try:
                document = json.loads(text)
            except ValueError:
                document = None
            if document is not None:
                for field, key, value in _strings(document):
                    if field.startswith(_DIGESTS):
                        continue  # the keyed digests themselves: 64 hex digits each
                    findings += _check_text(name, field, key, value, known)
                continue
        for number, line in enumerate(text.splitlines(), 1):
            findings += _check_text(name, f"line {number}", "", line, known)
    return findings
