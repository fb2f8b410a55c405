"""The bounds every input has (decision 15), as plain values and rules without I/O.

The runtime builds `Limits` from the settings; the service and the API enforce them. Each check
raises BadRequest with a stable errorCode and a `why` that names the bound and its setting.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from orchid.domain.durations import MS_PER_HOUR
from orchid.errors import BadRequest, TooManyRequests

# Integers a client sends are range-checked against these before anything computes with them, so
# no arithmetic can leave the 64-bit range of the database columns.
MAX_DURATION_FIELD = 10**9
MAX_TIMESTAMP_MS = 10**15  # year 33658: far beyond any real createdAt, far below 2**63
MAX_ITEMS_TO_SKIP = 10**9


@dataclass(frozen=True)
class Limits:
    max_bulk_items: int = 1000
    max_name_chars: int = 200
    max_parameter_bytes: int = 64 * 1024
    max_time_allocation_ms: int = 24 * 365 * MS_PER_HOUR
    max_replicas: int = 10_000
    max_resources: int = 100
    max_query_chars: int = 200
    max_active_jobs_per_user: int = 2000
    max_queued_jobs_per_user: int = 1000
    creates_per_minute_per_user: int = 3000

    def check_jobs_per_user(self, active: int, queued: int, adding: int) -> None:
        """Per user and for every user (admins too): new jobs start queued and active."""
        if queued + adding > self.max_queued_jobs_per_user:
            raise TooManyRequests(
                f"you have {queued} jobs waiting in the queue; at most "
                f"{self.max_queued_jobs_per_user} may wait (setting max_queued_jobs_per_user)",
                "TOO_MANY_QUEUED_JOBS",
            )
        if active + adding > self.max_active_jobs_per_user:
            raise TooManyRequests(
                f"you have {active} active jobs; at most {self.max_active_jobs_per_user} may be "
                "active (setting max_active_jobs_per_user)",
                "TOO_MANY_ACTIVE_JOBS",
            )

    def check_resources(self, count: int) -> None:
        """Files a job mounts: its resources and file parameters together."""
        if count > self.max_resources:
            raise BadRequest(
                f"a job can mount at most {self.max_resources} files or folders (resources and "
                f"file parameters), this one asks for {count} (setting max_resources)",
                "TOO_MANY_RESOURCES",
            )

    def check_bulk(self, count: int) -> None:
        if count > self.max_bulk_items:
            raise BadRequest(
                f"a request can hold at most {self.max_bulk_items} items, this one has {count} "
                "(setting max_bulk_items)",
                "TOO_MANY_ITEMS",
            )

    def check_name(self, name: str | None) -> None:
        if name is None:
            return
        if len(name) > self.max_name_chars:
            raise BadRequest(
                f"a job name can be at most {self.max_name_chars} characters (setting "
                "max_name_chars)",
                "INVALID_NAME",
            )
        if has_control(name):
            raise BadRequest(
                "a job name cannot contain NUL or other control characters", "INVALID_NAME"
            )

    def check_parameter(self, name: str, value: str) -> None:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.max_parameter_bytes:
            raise BadRequest(
                f"the value of '{name}' is {size} bytes; at most {self.max_parameter_bytes} are "
                "accepted (setting max_parameter_bytes)",
                "PARAMETER_TOO_LARGE",
            )
        if "\0" in value:
            raise BadRequest(f"the value of '{name}' contains a NUL character", "INVALID_TEXT")

    def check_time_allocation(self, ms: int, what: str = "timeAllocation") -> None:
        if ms > self.max_time_allocation_ms:
            hours = self.max_time_allocation_ms // MS_PER_HOUR
            raise BadRequest(
                f"{what} can be at most {hours} hours (setting max_time_allocation_hours)",
                "TIME_ALLOCATION_TOO_LONG",
            )

    def check_replicas(self, replicas: int) -> None:
        if replicas > self.max_replicas:
            raise BadRequest(
                f"a job can have at most {self.max_replicas} replicas (setting max_replicas)",
                "INVALID_REPLICAS",
            )

    def check_query(self, what: str, text: str | None) -> None:
        if text is not None and len(text) > self.max_query_chars:
            raise BadRequest(
                f"{what} can be at most {self.max_query_chars} characters (setting "
                "max_query_chars)",
                "QUERY_TOO_LONG",
            )


# Surrogates are always "lone" in a Python str decoded from JSON (pairs become one code point).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_control(text: str) -> bool:
    """Whether `text` holds a control character (C0, DEL, C1) or a lone surrogate."""
    return _CONTROL.search(text) is not None


def bad_text(text: str, *, nul: bool = True) -> str | None:
    """Why `text` cannot be taken from a client at all (NUL unless `nul` is False, a lone
    surrogate), or None."""
    if nul and "\0" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text) is not None:
        return "contains a lone surrogate (not valid Unicode)"
    return None


class CreateRate:
    """A token bucket per user: `per_minute` jobs a minute, in bursts up to as many. Pure: the
    caller passes the time (monotonic seconds)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, at)

    def _tokens(self, user: str, now: float) -> float:
        tokens, at = self._buckets.get(user, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - at) * self.per_minute / 60.0)

    def check(self, user: str, jobs: int, now: float) -> None:
        """Raise TooManyRequests (with Retry-After) if `jobs` cannot be created now."""
        tokens = self._tokens(user, now)
        if jobs <= tokens:
            return
        if jobs > self.per_minute:
            wait = 60
        else:
            wait = max(1, math.ceil((jobs - tokens) * 60.0 / self.per_minute))
        raise TooManyRequests(
            f"at most {self.per_minute} jobs a minute may be created (setting "
            f"creates_per_minute_per_user); retry in {wait} s",
            "RATE_LIMITED",
            retry_after=wait,
        )

    def take(self, user: str, jobs: int, now: float) -> None:
        self._buckets[user] = (self._tokens(user, now) - jobs, now)
        if len(self._buckets) > 100_000:  # users that have refilled carry no information
            self._buckets = {
                u: (t, a)
                for u, (t, a) in self._buckets.items()
                if self._tokens(u, now) < self.per_minute
            }
