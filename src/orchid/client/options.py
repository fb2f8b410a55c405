"""Small pieces both clients share: defaults, durations and include flags."""

from __future__ import annotations

from collections.abc import Mapping

from orchid.client.errors import ProtocolError
from orchid.domain.durations import parse_human
from orchid.schemas.base import SimpleDuration
from orchid.schemas.jobs import JobIncludeFlags, JobsExtendRequestItem

DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 100
MAX_FRAME_BYTES = 16 * 1024 * 1024

Duration = SimpleDuration | int | str
"""A SimpleDuration, a number of milliseconds, or a human duration such as "1h30m"."""


def to_duration(value: Duration) -> SimpleDuration:
    """A SimpleDuration from any Duration. Raises ValueError when it is malformed or negative."""
    if isinstance(value, SimpleDuration):
        return value
    ms = parse_human(value) if isinstance(value, str) else value
    if ms < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return SimpleDuration.from_ms(ms)


def extend_items(times: Mapping[str, Duration]) -> list[JobsExtendRequestItem]:
    return [
        JobsExtendRequestItem(job_id=job_id, requested_time=to_duration(time))
        for job_id, time in times.items()
    ]


def include_flags(
    *, updates: bool, product: bool, application: bool, parameters: bool, support: bool
) -> JobIncludeFlags | None:
    flags = JobIncludeFlags(
        include_updates=updates or None,
        include_product=product or None,
        include_application=application or None,
        include_parameters=parameters or None,
        include_support=support or None,
    )
    return flags if flags.model_dump(exclude_none=True) else None


def single_id(ids: list[str]) -> str:
    if len(ids) != 1:
        raise ProtocolError(f"create of one job answered {len(ids)} ids")
    return ids[0]
