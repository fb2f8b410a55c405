"""The OpenAPI document, corrected for how Orchid answers errors: FastAPI documents a 422 for every
route with parameters, but Orchid answers bad input with 400 and the {"why", "errorCode"} body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from orchid.api.bulk_body import DOCUMENTED

ERROR_SCHEMA = {
    "title": "CommonErrorMessage",
    "type": "object",
    "properties": {
        "why": {"type": "string", "title": "Why"},
        "errorCode": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Errorcode"},
    },
    "required": ["why", "errorCode"],
}

_ERRORS = {
    "400": "Bad input. Either the request breaks this schema (errorCode INVALID_REQUEST, "
    "MISSING_FIELD, MALFORMED_JSON) or a rule no schema can state: a name that must exist "
    "(UNKNOWN_APPLICATION, UNKNOWN_PRODUCT, UNKNOWN_PROVIDER, UNKNOWN_PARAMETER, ...), a path "
    "that must lead inside a drive (INVALID_PATH, SYMLINK, INVALID_FILE, MOUNT_CONFLICT, "
    "MOUNTS_NOT_SUPPORTED), a bound that is a setting (TOO_MANY_ITEMS, INVALID_NAME, "
    "PARAMETER_TOO_LARGE, TOO_MANY_RESOURCES, TIME_ALLOCATION_TOO_LONG, QUERY_TOO_LONG), or text "
    "that is not storable Unicode (INVALID_TEXT: a lone surrogate)",
    "401": "No bearer token, or an invalid one",
    "404": "Unknown id, or a job of another user",
    "409": "A conflict with the job's state, or a duplicate job",
    "413": "Too large: a request body, an upload chunk, a storage quota, a full disk",
    "429": "Too many requests or jobs for this user now (Retry-After says when to retry)",
    "502": "The provider refused the request",
    "503": "The provider is unreachable for now; retry later",
    "507": "The server's disk is full (errorCode DISK_FULL): nothing was written; retry later",
}

# Every string a client sends is refused with 400 if it holds NUL (decision 15): the schema says
# so with a pattern on every string that has no stricter rule of its own.
NO_NUL = "^[^\\u0000]*$"


def _forbid_nul(node: Any) -> None:
    if isinstance(node, dict):
        if (
            node.get("type") == "string"
            and not {"pattern", "enum", "const", "format"} & node.keys()
        ):
            node["pattern"] = NO_NUL
        for value in node.values():
            _forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_nul(value)


def _require_discriminators(components: dict[str, Any]) -> None:
    """A tagged union's tag is required in each of its variants: the server cannot tell them
    apart without it (pydantic documents it as optional because the classes give it a default)."""
    for node in _walk(components):
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict):
            continue
        tag = discriminator.get("propertyName")
        for ref in (discriminator.get("mapping") or {}).values():
            variant = components.get(str(ref).rsplit("/", 1)[-1])
            if isinstance(variant, dict) and tag:
                required = variant.setdefault("required", [])
                if tag not in required:
                    required.append(tag)


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _add_bulk_bodies(components: dict[str, Any]) -> None:
    """The schemas of the bodies routes read themselves (api/bulk_body.py), as FastAPI would
    have added them for a body parameter."""
    for name, model in DOCUMENTED.items():
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub_name, sub_schema in found.pop("$defs", {}).items():
            components.setdefault(sub_name, sub_schema)
        components.setdefault(name, found)


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["CommonErrorMessage"] = ERROR_SCHEMA
        _add_bulk_bodies(components)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                for code, text in _ERRORS.items():
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/CommonErrorMessage"}
                                }
                            },
                        },
                    )
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        _forbid_nul(schema.get("paths", {}))
        for name, component in components.items():
            if name != "CommonErrorMessage":  # `why` may quote what the client sent
                _forbid_nul(component)
        _require_discriminators(components)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
