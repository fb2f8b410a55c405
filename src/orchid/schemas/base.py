"""Base model and the small shared shapes (bulk requests, pages, durations, errors)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from orchid.domain.durations import duration_ms, split_ms
from orchid.domain.limits import MAX_DURATION_FIELD

T = TypeVar("T")


class Wire(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", serialize_by_alias=True
    )


class SimpleDuration(Wire):
    # Bounded so that no duration a client sends can overflow a 64-bit millisecond count; the
    # configured maximum (max_time_allocation_hours) is checked by the service.
    hours: int = Field(ge=0, le=MAX_DURATION_FIELD)
    minutes: int = Field(ge=0, le=MAX_DURATION_FIELD)
    seconds: int = Field(ge=0, le=MAX_DURATION_FIELD)

    @property
    def ms(self) -> int:
        return duration_ms(self.hours, self.minutes, self.seconds)

    @classmethod
    def from_ms(cls, ms: int) -> SimpleDuration:
        h, m, s = split_ms(ms)
        return cls(hours=h, minutes=m, seconds=s)


class BulkRequest(Wire, Generic[T]):
    items: list[T] = Field(min_length=1)


class BulkResponse(Wire, Generic[T]):
    responses: list[T]


class FindByStringId(Wire):
    id: str

    @field_validator("id", mode="before")
    @classmethod
    def _accept_numbers(cls, value: object) -> object:
        # Ids are strings on the wire; a client that sends 42 means "42".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Empty(Wire):
    pass


class PageV2(Wire, Generic[T]):
    items_per_page: int
    items: list[T]
    next: str | None


class CommonErrorMessage(Wire):
    why: str
    error_code: str | None
