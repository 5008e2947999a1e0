"""The JSON Schemas in `schemas/`: one registry, one validator per document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from mock_server.resources import data_dir


@cache
def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    documents: dict[str, dict[str, Any]] = {}
    resources = []
    for path in sorted(data_dir("schemas").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "openapi" in document:  # the OpenAPI document references the schemas; it is not one
            continue
        documents[path.name] = document
        resource = Resource.from_contents(document)
        resources.append((path.name, resource))
        if "$id" in document:
            resources.append((document["$id"], resource))
    return Registry().with_resources(resources), documents


def document(name: str) -> dict[str, Any]:
    return _registry()[1][name]


@cache
def app_id_spellings(name: str) -> tuple[str, ...]:
    """The spellings of the app id that request schema `name` accepts, in its order: the
    branches of its `oneOf`, each requiring one spelling (exactly one is sent)."""
    return tuple(branch["required"][0] for branch in document(name)["oneOf"])


def app_id_key(name: str, instance: Mapping[str, Any]) -> str | None:
    """Which of schema `name`'s app id spellings `instance` uses (the first, if several)."""
    return next((k for k in app_id_spellings(name) if isinstance(instance.get(k), str)), None)


@cache
def validator(name: str) -> Draft202012Validator:
    registry, documents = _registry()
    return Draft202012Validator(documents[name], registry=registry)


# Strings longer than this go to the reference validator only (it reads them in place).
_COPY_LIMIT = 1 << 20


@cache
def _compiled(name: str) -> jsonschema_rs.Validator:
    """The same schema compiled by jsonschema-rs: a yes/no answer in a few microseconds."""
    _, documents = _registry()
    registry = jsonschema_rs.Registry(
        [(document["$id"], document) for document in documents.values() if "$id" in document]
    )
    return jsonschema_rs.validator_for(documents[name], registry=registry)


def first_error(name: str, instance: Any) -> ValidationError | None:
    """The most relevant violation of schema `name`, or None when `instance` conforms.

    jsonschema (the reference the contract suite uses) decides; the compiled validator only
    spares the request path that work when it finds the instance valid. It may be stricter than
    the reference (its regular expressions are ECMA-262's, whose `$` does not match before a
    final line break), never laxer: tests/test_schemas.py holds the two to that.
    """
    if not _large(instance):  # handing a 20 MB image to the compiled validator would copy it
        try:
            if _compiled(name).is_valid(instance):
                return None
        except Exception:  # a value it cannot take (a lone surrogate): the reference decides
            pass
    return best_match(validator(name).iter_errors(instance))


def _large(instance: Any) -> bool:
    return isinstance(instance, dict) and any(
        isinstance(v, str) and len(v) > _COPY_LIMIT for v in instance.values())


def describe(error: ValidationError, whole: str = "request") -> str:
    """A short plain-English account of a violation that names the field and never echoes a long
    value (images); `whole` names the instance when the violation is at its top level."""
    where = ".".join(str(p) for p in error.absolute_path) or whole
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "oneOf" and all(set(b) == {"required"} for b in error.validator_value):
        # The app id's spellings: one branch per spelling.
        names = ", ".join(b["required"][0] for b in error.validator_value)
        return f"{where}: exactly one of {names} is required"
    if error.validator == "type":
        return f"{where} must be of type {error.validator_value}"
    rule = json.dumps(error.validator_value, ensure_ascii=False)
    if len(rule) > 120:
        rule = rule[:117] + "..."
    return f"{where} violates {error.validator} {rule}"


class SchemaViolation(Exception):
    """The mock was about to send a response its own schemas reject (strict mode)."""
