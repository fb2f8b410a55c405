"""The per-user create rate: a token bucket, with the time passed in."""

from __future__ import annotations

import pytest

from orchid.domain.limits import CreateRate, Limits
from orchid.errors import TooManyRequests


def test_a_burst_up_to_the_rate_then_retry_after_says_when() -> None:
    rate = CreateRate(per_minute=60)
    rate.check("alice", 60, now=0.0)
    rate.take("alice", 60, now=0.0)
    with pytest.raises(TooManyRequests) as refused:
        rate.check("alice", 5, now=1.0)  # one token back after a second, five needed
    assert refused.value.error_code == "RATE_LIMITED"
    assert refused.value.retry_after == 4
    rate.check("alice", 5, now=5.0)
    # ... and it is per user
    rate.check("bob", 60, now=1.0)


def test_more_than_a_minute_of_jobs_at_once_waits_a_minute() -> None:
    with pytest.raises(TooManyRequests) as refused:
        CreateRate(per_minute=10).check("alice", 11, now=0.0)
    assert refused.value.retry_after == 60


def test_queued_and_active_jobs_per_user() -> None:
    limits = Limits(max_active_jobs_per_user=3, max_queued_jobs_per_user=2)
    limits.check_jobs_per_user(active=1, queued=1, adding=1)
    with pytest.raises(TooManyRequests, match="queue") as queued:
        limits.check_jobs_per_user(active=1, queued=2, adding=1)
    assert queued.value.error_code == "TOO_MANY_QUEUED_JOBS"
    with pytest.raises(TooManyRequests) as active:
        limits.check_jobs_per_user(active=3, queued=0, adding=1)
    assert active.value.error_code == "TOO_MANY_ACTIVE_JOBS"
