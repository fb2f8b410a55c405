"""The job state machine: the one transition table, expiry arithmetic and the status wording."""

from __future__ import annotations

import itertools

import pytest

from orchid.domain.states import (
    ACTIVE_STATES,
    FINAL_STATES,
    TRANSITIONS,
    JobState,
    can_transition,
    ensure_transition,
    expires_at,
    status_completed,
)
from orchid.errors import Conflict, InvalidTransition

Q, R, C = JobState.IN_QUEUE, JobState.RUNNING, JobState.CANCELING
S, F, E = JobState.SUCCESS, JobState.FAILURE, JobState.EXPIRED

# Written out by hand on purpose: a change to the table in src/ must be made here too, deliberately.
ALLOWED: frozenset[tuple[JobState, JobState]] = frozenset(
    {
        (Q, R),
        (Q, C),
        (Q, S),
        (Q, F),
        (R, C),
        (R, S),
        (R, F),
        (R, E),
        (C, S),
        (C, F),
    }
)

ALL_PAIRS = list(itertools.product(JobState, JobState))


def test_there_are_exactly_six_states_three_of_them_final() -> None:
    assert [s.value for s in JobState] == [
        "IN_QUEUE",
        "RUNNING",
        "CANCELING",
        "SUCCESS",
        "FAILURE",
        "EXPIRED",
    ]
    assert {s for s in JobState if s.is_final} == {S, F, E} == FINAL_STATES
    assert {Q, R, C} == ACTIVE_STATES


def test_the_table_has_a_row_for_every_state_and_nothing_else() -> None:
    assert set(TRANSITIONS) == set(JobState)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "new"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_of_states_is_allowed_exactly_when_the_table_says_so(
    current: JobState, new: JobState
) -> None:
    expected = (current, new) in ALLOWED
    assert can_transition(current, new) is expected
    if expected:
        ensure_transition(current, new)  # does not raise
    else:
        with pytest.raises(InvalidTransition) as raised:
            ensure_transition(current, new)
        # An invalid transition is a conflict with the job's current state (HTTP 409).
        assert isinstance(raised.value, Conflict)
        assert raised.value.status_code == 409
        assert raised.value.error_code == "INVALID_TRANSITION"
        assert str(current) in raised.value.why and str(new) in raised.value.why


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
def test_a_final_state_never_changes_again(final: JobState) -> None:
    for other in JobState:
        assert not can_transition(final, other)


def test_no_state_moves_to_itself_or_back_to_the_queue() -> None:
    for state in JobState:
        assert not can_transition(state, state)
        assert not can_transition(state, Q)


# ---- expiresAt ----

STARTED = 1_700_000_000_000
HOUR = 3_600_000


def test_expires_at_is_started_plus_allocation_plus_extensions_while_active() -> None:
    assert expires_at(R, STARTED, HOUR, 0) == STARTED + HOUR
    assert expires_at(R, STARTED, HOUR, 90_000) == STARTED + HOUR + 90_000
    # CANCELING is not final: the deadline is still shown while the job stops.
    assert expires_at(C, STARTED, HOUR, 5_000) == STARTED + HOUR + 5_000


def test_expires_at_is_null_before_the_start() -> None:
    assert expires_at(Q, None, HOUR, 0) is None
    assert expires_at(Q, None, HOUR, 60_000) is None


def test_expires_at_is_null_without_an_allocation() -> None:
    assert expires_at(R, STARTED, None, 0) is None


@pytest.mark.parametrize("final", sorted(FINAL_STATES))
def test_expires_at_is_null_once_the_job_is_final(final: JobState) -> None:
    assert expires_at(final, STARTED, HOUR, 60_000) is None


# ---- status wording ----


def test_one_replica_reports_its_exit_code() -> None:
    assert status_completed({0: 3}) == "Your job has completed (exit code 3)"
    assert status_completed({0: 0}) == "Your job has completed (exit code 0)"


def test_replicas_that_agree_report_one_exit_code() -> None:
    assert status_completed({0: 0, 1: 0, 2: 0}) == "Your job has completed (exit code 0)"


def test_replicas_that_disagree_report_every_rank_in_rank_order() -> None:
    assert (
        status_completed({2: 1, 0: 0, 1: 137})
        == "Your job has completed (exit codes rank 0: 0, rank 1: 137, rank 2: 1)"
    )
