"""The parsers read what Slurm 22.05 really prints (recorded by tests/slurm/record.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchid.providers.slurm import commands
from orchid.providers.slurm.parse import (
    code_from_exit_field,
    code_from_wait_status,
    is_transient,
    parse_config,
    parse_sacct,
    parse_sbatch,
    parse_sinfo,
    parse_squeue,
    parse_time_limit,
)

DATA = Path(__file__).parent / "data"
TAG = "4dce5e39"  # the tag of the recording's job root


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def test_sbatch_parsable_prints_the_job_id() -> None:
    assert parse_sbatch(recorded("sbatch_parsable.txt")) == "1"
    assert parse_sbatch("17;cluster-b\n") == "17"
    with pytest.raises(ValueError):
        parse_sbatch("sbatch: error: something\n")


def test_squeue_shows_every_state_with_reason_limit_and_raw_exit_status() -> None:
    # Given the recorded squeue of a cluster with jobs in every phase
    rows = {r.slurm_id: r for r in parse_squeue(recorded("squeue_mixed.txt"))}
    # Then pending jobs carry Slurm's reason ...
    assert (rows["7"].state, rows["7"].reason) == ("PENDING", "Resources")
    assert (rows["8"].state, rows["8"].reason) == ("PENDING", "BeginTime")
    # ... running and finished ones their state, and the exit status is a raw wait status
    assert rows["5"].state == "RUNNING"
    assert (rows["2"].state, code_from_wait_status(rows["2"].exit_status)) == ("FAILED", 3)
    assert (rows["3"].reason, code_from_wait_status(rows["3"].exit_status)) == (
        "JobLaunchFailure",
        137,
    )
    # ... the time limit is in minutes (2:00 is two minutes), None when unlimited
    assert rows["1"].time_limit_minutes == 2 and rows["2"].time_limit_minutes is None
    # ... and the comment names the Orchid job
    assert commands.owner_of(TAG, rows["2"].comment) == "2"
    assert rows["2"].name == commands.job_name(TAG, "2")


def test_a_job_whose_name_holds_the_separator_is_not_taken_for_an_orchid_job() -> None:
    rows = {r.slurm_id: r for r in parse_squeue(recorded("squeue_mixed.txt"))}
    assert commands.owner_of(TAG, rows["4"].comment) is None


def test_squeue_after_cancel_and_timeout() -> None:
    rows = {r.slurm_id: r for r in parse_squeue(recorded("squeue_ended.txt"))}
    # scancel of a running job: SIGTERM (143); of a pending one: no status at all
    assert rows["5"].state == "CANCELLED" and code_from_wait_status(rows["5"].exit_status) == 143
    assert rows["7"].state == "CANCELLED" and rows["7"].exit_status == 0
    assert (rows["10"].state, rows["10"].reason) == ("TIMEOUT", "TimeLimit")


def test_squeue_output_that_is_not_ours_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_squeue("JOBID PARTITION NAME\n")
    assert parse_squeue("") == []


def test_sacct_completion_log_has_exit_and_signal() -> None:
    rows = {r.slurm_id: r for r in parse_sacct(recorded("sacct_completion.txt"))}
    assert (rows["2"].state, code_from_exit_field(rows["2"].exit_code)) == ("FAILED", 3)
    assert code_from_exit_field(rows["3"].exit_code) == 137
    assert rows["10"].state == "TIMEOUT"
    assert rows["2"].name == commands.job_name(TAG, "2")
    assert "999" not in rows  # asked for, never existed


def test_sacct_skips_job_steps() -> None:
    text = "12|COMPLETED|0:0|a\n12.batch|COMPLETED|0:0|batch\n12.0|FAILED|1:0|bash\n"
    assert [r.slurm_id for r in parse_sacct(text)] == ["12"]


def test_config_says_whether_there_is_accounting() -> None:
    config = parse_config(recorded("scontrol_show_config.txt"))
    assert config.cluster_name == "orchid"
    assert not config.has_accounting and config.has_completion_log
    assert config.min_job_age_seconds == 3600


def test_sinfo_lists_each_node_once() -> None:
    nodes = parse_sinfo(recorded("sinfo_nodes.txt"))
    assert [(n.name, n.cpus, n.gpus) for n in nodes] == [("n1", 2, 0), ("n2", 2, 0)]
    assert parse_sinfo("g1|8|64000|gpu:a100:4(S:0-1)\n")[0].gpus == 4


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("UNLIMITED", None),
        ("5:00", 5),
        ("5:01", 6),
        ("1:00:00", 60),
        ("6:01:00", 361),
        ("1-00:00:00", 1440),
        ("30", 30),
    ],
)
def test_time_limits(text: str, minutes: int | None) -> None:
    assert parse_time_limit(text) == minutes


@pytest.mark.parametrize(
    "name",
    [
        "error_squeue_unreachable.txt",
        "error_sbatch_unreachable.txt",
        "error_scancel_unreachable.txt",
        "error_scontrol_update_unreachable.txt",
    ],
)
def test_an_unreachable_controller_is_transient(name: str) -> None:
    assert is_transient(recorded(name))


@pytest.mark.parametrize(
    "name",
    [
        "error_sbatch_invalid_partition.txt",
        "error_scontrol_update_not_operator.txt",
        "error_scontrol_update_finished.txt",
        "error_sacct_no_accounting.txt",
    ],
)
def test_a_refusal_is_not_transient(name: str) -> None:
    assert not is_transient(recorded(name))
