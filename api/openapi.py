"""OpenAPI 3.1, generated from the operations and their pydantic models (never by hand)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.platform import FileAnswer, Operation, error_statuses
from api.problems import CONTENT_TYPE, KINDS, Problem

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
INFO = {
    "title": "ALTUM bot back-office API",
    "version": "1",
    "description": (
        "How ALTUM's own systems feed the Telegram bot (clients' consultants, users, deals, "
        "invoices, registration reviews) and read what clients do there (the event feed).\n\n"
        "Every request carries `Authorization: Bearer <token>`; a token is made with "
        "`altum-bot api-token create NAME --scope SCOPE …` and each operation names the scope "
        "it needs. Errors are problem details (RFC 9457). Money is a decimal string with two "
        'places, e.g. `"12500.00"`; dates are ISO 8601.\n\n'
        "A POST may carry `Idempotency-Key` (1-255 visible ASCII characters, e.g. a UUID): a "
        "retry with the same key and the same request within 24 hours is answered as the "
        "first was (with `Idempotent-Replayed: true`) and changes nothing; the same key with "
        "another request is refused (422). PUT and PATCH are idempotent by themselves."
    ),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "the same for a retry of this request: answered as the first, done once",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true`: the answer its idempotency key's first request was given",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def build(operations: list[Operation], *, tags: list[tuple[str, str]]) -> dict[str, Any]:
    # Bodies as they are validated, answers as they are serialized (money: strings).
    keyed: dict[tuple[type[BaseModel], Mode], None] = {(Problem, "serialization"): None}
    for operation in operations:
        if operation.body_model is not None:
            keyed[(operation.body_model, "validation")] = None
        if operation.response_model is not None and not _is_file(operation.response_model):
            keyed[(operation.response_model, "serialization")] = None
    schemas_by_key, document = models_json_schema(list(keyed), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = paths.setdefault(operation.path, {})
        item[operation.method.lower()] = _operation(operation, schemas_by_key, document)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name, "description": text} for name, text in tags],
        "paths": paths,
        "components": {
            "schemas": document.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation(
    operation: Operation, schemas: dict[Any, dict[str, Any]], document: dict[str, Any]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": (operation.description + f"\n\nScope: `{operation.scope}`.").strip(),
        "tags": [operation.tag],
        "x-scope": operation.scope,
        "parameters": [
            *_parameters(operation.path_model, "path", document),
            *_parameters(operation.query_model, "query", document),
            *([IDEMPOTENCY_KEY] if operation.remembers else []),
        ],
        "responses": {},
    }
    if operation.body_model is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": schemas[(operation.body_model, "validation")]}
            },
        }
    for status in operation.statuses:
        answer: dict[str, Any] = {"description": _success(status)}
        if operation.response_model is not None and _is_file(operation.response_model):
            binary = {"schema": {"type": "string", "format": "binary"}}
            media_type: str = getattr(operation.response_model, "media_type")  # noqa: B009
            answer["content"] = {media_type: binary}
        elif operation.response_model is not None:
            schema = schemas[(operation.response_model, "serialization")]
            answer["content"] = {"application/json": {"schema": schema}}
        if operation.links and status == operation.status:
            answer["links"] = operation.links
        if operation.remembers:
            answer["headers"] = REPLAYED
        spec["responses"][str(status)] = answer
    problem = {CONTENT_TYPE: {"schema": schemas[(Problem, "serialization")]}}
    for status in error_statuses(operation):
        answer = {"description": _ERRORS.get(status, KINDS[status][1]), "content": problem}
        if status in (429, 503):
            answer["headers"] = {
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
            }
        spec["responses"][str(status)] = answer
    return spec


_ERRORS = {
    429: "Too many requests: this token's rate limit; retry after `Retry-After` seconds",
    503: "Temporarily unavailable: the database cannot be reached, or more writes are queued "
    "than are served in a second (load shedding); nothing was changed; retry after "
    "`Retry-After` seconds",
}


def _is_file(model: type[BaseModel]) -> bool:
    return issubclass(model, FileAnswer)


def _success(status: int) -> str:
    return {200: "OK", 201: "Created", 204: "Done; no content"}.get(status, "OK")


def _parameters(
    model: type[BaseModel] | None, where: str, document: dict[str, Any]
) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = dict(field_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
