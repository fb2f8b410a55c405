"""A bulk request body (`{"items": [...]}`) read item by item, without holding the event loop.

FastAPI would parse and validate a body of thousands of items in one go: for 5,000 job
specifications that is about a second during which no other call, follow stream or expiry runs.
`read_bulk` decodes the JSON one item at a time, refuses more items than the bound as soon as it
has counted them, checks each item's text (NUL, lone surrogates) and validates it on its own,
yielding to the loop between items (see service/pacing.py). The answers are those FastAPI gives
for the same body: 400 MALFORMED_JSON, TOO_MANY_ITEMS, INVALID_TEXT, or the validation errors
with their location (`items.3.product: ...`).

A route that reads its body this way documents it with `openapi_body(...)`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from orchid.api.strict import check_json
from orchid.domain.limits import Limits
from orchid.errors import BadRequest
from orchid.schemas.base import BulkRequest
from orchid.service.pacing import Pacer

M = TypeVar("M", bound=BaseModel)

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# At most this many validation errors are collected (the answer names the first few).
_MAX_ERRORS = 5


# The bodies documented by `openapi_body`, whose schemas api/openapi.py adds to the components.
DOCUMENTED: dict[str, type[BaseModel]] = {}


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` of a route that reads a `BulkRequest[model]` body itself: the same
    request body FastAPI would document for a `BulkRequest[model]` parameter."""
    bulk: type[BaseModel] = BulkRequest[model]  # type: ignore[valid-type]
    name = bulk.__name__.replace("[", "_").replace("]", "_")
    DOCUMENTED[name] = bulk
    return {
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
            "required": True,
        }
    }


async def read_bulk(request: Request, model: type[M], limits: Limits, pacer: Pacer) -> list[M]:
    """The validated items of the request's `{"items": [...]}` body (at least one)."""
    body = await request.body()
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        text = body.decode("utf-8-sig")  # a byte order mark is tolerated, as json.loads does
    except UnicodeDecodeError:
        raise BadRequest("the request body is not valid UTF-8", "MALFORMED_JSON") from None
    try:
        members = await _members(text, limits, pacer)
    except ValueError:  # json.JSONDecodeError included
        raise BadRequest("the request body is not valid JSON", "MALFORMED_JSON") from None
    except RecursionError:
        raise BadRequest("the request body is nested too deeply", "MALFORMED_JSON") from None
    raw_items = members.get("items") if isinstance(members, dict) else None
    if not isinstance(raw_items, list) or not raw_items:
        # Not an object with a list of items: small, and validating it whole gives the error
        # FastAPI would (MISSING_FIELD, too short, not an object...).
        check_json(members)
        try:
            whole = BulkRequest[model].model_validate(members, from_attributes=True)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise RequestValidationError(_located(exc, ("body",))) from None
        return list(whole.items)
    check_json({k: v for k, v in members.items() if k != "items"})
    items: list[M] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        check_json(raw, f"body.items[{index}]")
        try:
            items.append(model.model_validate(raw, from_attributes=True))
        except ValidationError as exc:
            errors.extend(_located(exc, ("body", "items", index)))
            if len(errors) >= _MAX_ERRORS:
                break
        await pacer.tick()
    if errors:
        raise RequestValidationError(errors[:_MAX_ERRORS])
    return items


async def _members(text: str, limits: Limits, pacer: Pacer) -> Any:
    """The decoded body: an object's members, with the elements of an `items` array decoded one
    by one; any other JSON value as it is. ValueError when the text is not one JSON value."""
    at = _skip(text, 0)
    if not text.startswith("{", at):
        value, end = _DECODER.raw_decode(text, at)
        if _skip(text, end) != len(text):
            raise ValueError("extra data")
        return value
    members: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text.startswith("}", at):
        at += 1
    else:
        while True:
            key, at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if not isinstance(key, str) or not text.startswith(":", at):
                raise ValueError("expected a member name and ':'")
            at = _skip(text, at + 1)
            if key == "items" and text.startswith("[", at):
                members[key], at = await _array(text, at, limits, pacer)
            else:
                members[key], at = _DECODER.raw_decode(text, at)
            at = _skip(text, at)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif text.startswith("}", at):
                at += 1
                break
            else:
                raise ValueError("expected ',' or '}'")
    if _skip(text, at) != len(text):
        raise ValueError("extra data")
    return members


async def _array(text: str, at: int, limits: Limits, pacer: Pacer) -> tuple[list[Any], int]:
    """Decode the array starting at `at` element by element; TOO_MANY_ITEMS once it holds more
    than the bound (the rest is never decoded)."""
    elements: list[Any] = []
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return elements, at + 1
    while True:
        value, at = _DECODER.raw_decode(text, at)
        elements.append(value)
        if len(elements) > limits.max_bulk_items:
            limits.check_bulk(len(elements))
        await pacer.tick()
        at = _skip(text, at)
        if text.startswith(",", at):
            at = _skip(text, at + 1)
        elif text.startswith("]", at):
            return elements, at + 1
        else:
            raise ValueError("expected ',' or ']'")


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _located(exc: ValidationError, prefix: tuple[str | int, ...]) -> list[dict[str, Any]]:
    return [{**error, "loc": (*prefix, *error["loc"])} for error in exc.errors(include_url=False)]
