"""The OpenAPI document, corrected for how Orchid answers errors: FastAPI documents a 422 for every
route with parameters, but Orchid answers bad input with 400 and the {"why", "errorCode"} body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

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
    "400": "Bad input: malformed JSON, a missing or invalid field, an unknown application or product",
    "401": "No bearer token, or an invalid one",
    "404": "Unknown id, or a job of another user",
    "409": "A conflict with the job's state, or a duplicate job",
    "413": "Too large: a request body, an upload chunk, a storage quota, a full disk",
}


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
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
