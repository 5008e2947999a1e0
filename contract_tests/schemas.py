"""The JSON Schemas of `schemas/`, the project's statement of the vendor's wire format, loaded
with jsonschema directly.

They are found beside the suite's package: `idcard_mock_data/schemas` once installed, the
repository's `schemas/` in a checkout.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource

from contract_tests import SUITE_DIR


def schema_dir() -> Path:
    for candidate in (SUITE_DIR.parent / "idcard_mock_data" / "schemas", SUITE_DIR.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the contract suite's schemas/ folder is missing from the installation")


@cache
def _documents() -> tuple[Registry, dict[str, dict[str, Any]]]:
    documents: dict[str, dict[str, Any]] = {}
    resources = []
    for path in sorted(schema_dir().glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "openapi" in document:  # the OpenAPI document refers to the schemas; it is not one
            continue
        documents[path.name] = document
        resource = Resource.from_contents(document)
        resources.append((path.name, resource))
        if "$id" in document:
            resources.append((document["$id"], resource))
    return Registry().with_resources(resources), documents


def document(name: str) -> dict[str, Any]:
    return _documents()[1][name]


@cache
def validator(name: str, pointer: str | None = None) -> Draft202012Validator:
    """A validator of document `name`, or of the part of a document that `pointer` names
    (`/$defs/success` in the same document, `common.json#/$defs/...` in another)."""
    registry, documents = _documents()
    base = Draft202012Validator(documents[name], registry=registry)
    if not pointer:
        return base
    other, _, fragment = pointer.rpartition("#") if "#" in pointer else ("", "", pointer)
    uri = documents[other or name]["$id"] + "#" + fragment
    return base.evolve(schema={"$ref": uri})


def describe(error: ValidationError, whole: str) -> str:
    """A violation in a few words that name the field and never echo a long value."""
    where = ".".join(str(p) for p in error.absolute_path) or whole
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "type":
        return f"{where} must be of type {error.validator_value}"
    rule = json.dumps(error.validator_value, ensure_ascii=False)
    if len(rule) > 120:
        rule = rule[:117] + "..."
    return f"{where} violates {error.validator} {rule}"


def violations(name: str, instance: Any, pointer: str | None = None, whole: str = "the answer") -> list[str]:
    """Every violation of `name` (or its part `pointer`), most relevant first, described."""
    errors = sorted(validator(name, pointer).iter_errors(instance), key=relevance, reverse=True)
    return [describe(e, whole) for e in errors]
