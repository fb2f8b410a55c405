"""One table maps Slurm states to phases; nothing outside it is ever taken for a success."""

from __future__ import annotations

import pytest

from orchid.providers.slurm.states import STATES, Phase, meaning_of, normalize_state


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        ("PENDING", Phase.QUEUED),
        ("CONFIGURING", Phase.QUEUED),
        ("RUNNING", Phase.RUNNING),
        ("COMPLETING", Phase.RUNNING),
        ("SUSPENDED", Phase.RUNNING),
        ("COMPLETED", Phase.EXITED),
        ("FAILED", Phase.EXITED),
        ("OUT_OF_MEMORY", Phase.EXITED),
        ("CANCELLED", Phase.CANCELLED),
        ("CANCELLED by 0", Phase.CANCELLED),
        ("TIMEOUT", Phase.TIMED_OUT),
        ("DEADLINE", Phase.TIMED_OUT),
        ("NODE_FAIL", Phase.FAILED),
        ("BOOT_FAIL", Phase.FAILED),
        ("PREEMPTED", Phase.FAILED),
    ],
)
def test_the_state_table(state: str, phase: Phase) -> None:
    meaning = meaning_of(state)
    assert meaning is not None and meaning.phase is phase


def test_failures_and_out_of_memory_say_why() -> None:
    for state, meaning in STATES.items():
        if meaning.phase is Phase.FAILED:
            assert meaning.note, state
    oom = meaning_of("OUT_OF_MEMORY")
    assert oom is not None and oom.note == "out of memory"


def test_an_unknown_state_means_nothing() -> None:
    assert meaning_of("SOMETHING_NEW") is None
    assert meaning_of("") is None


def test_states_are_normalized() -> None:
    assert normalize_state("CANCELLED+") == "CANCELLED"
    assert normalize_state(" completed ") == "COMPLETED"
