"""Base model and the small shared shapes (bulk requests, pages, durations, errors)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from orchid.domain.durations import duration_ms, split_ms
from orchid.domain.ids import ID_REGEX, MAX_ID_DIGITS
from orchid.domain.limits import MAX_DURATION_FIELD

T = TypeVar("T")

# A `next` token this server issues: a decimal offset or id.
NEXT_PATTERN = f"^[0-9]{{0,{MAX_ID_DIGITS}}}$"
# filterIds and filterProviderIds: up to 1000 comma-separated numbers.
IDS_PATTERN = f"^( *{ID_REGEX} *(, *{ID_REGEX} *){{0,999}})?$"


def _no_bool(value: object) -> object:
    # Lenient parsing turns true/false into 1/0; for a number that is a mistake, not a value.
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


def _bool_only(value: object) -> object:
    # Lenient parsing would take 1, "yes" or "on" for true; the schema says boolean, and a query
    # string can only spell it true or false.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError("true or false is expected")
    return value


# A boolean a client sends: true or false (in a query string, any case), nothing else.
Bool = Annotated[bool, BeforeValidator(_bool_only)]

# Refuses true/false where an integer is expected (query strings "12" still parse). It must come
# after the Field with the bounds in an Annotated, or the bounds are lost from the JSON schema.
NO_BOOL = BeforeValidator(_no_bool)
Int = Annotated[int, NO_BOOL]
PageSize = Annotated[int, Field(ge=-(10**9), le=10**9), NO_BOOL]
# A `next` token; empty means "the first page".
NextToken = Annotated[str, Field(pattern=NEXT_PATTERN)]
Duration = Annotated[int, Field(ge=0, le=MAX_DURATION_FIELD), NO_BOOL]


class Wire(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", serialize_by_alias=True
    )


class SimpleDuration(Wire):
    # Bounded so that no duration a client sends can overflow a 64-bit millisecond count; the
    # configured maximum (max_time_allocation_hours) is checked by the service.
    hours: Duration
    minutes: Duration
    seconds: Duration

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
