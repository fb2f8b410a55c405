"""Command builders: every value is its own argv element, and nothing the user typed is in it."""

from __future__ import annotations

from pathlib import Path

from orchid.domain.sandbox import UnixIdentity
from orchid.providers.slurm import SlurmOptions, commands
from orchid.providers.slurm.commands import Submission

OPTIONS = SlurmOptions(job_root=Path("/shared/jobs"), partition="debug")


def test_sbatch_asks_for_one_task_per_node_with_the_product_and_a_backstop_limit() -> None:
    job = Submission("42", Path("/shared/jobs/42"), 3, 2, 4, 0, 90 * 60_000)
    argv = commands.sbatch_argv(OPTIONS, "t", job, Path("/shared/jobs/42/orchid-batch.sh"))
    assert argv == [
        "sbatch",
        "--parsable",
        "--job-name=orchid-t-42",
        "--comment=orchid:t:42",
        "--nodes=3",
        "--ntasks-per-node=1",
        "--cpus-per-task=2",
        "--mem=4096M",
        "--chdir=/shared/jobs/42",
        "--output=/shared/jobs/42/batch.stdout",
        "--error=/shared/jobs/42/batch.stderr",
        "--no-requeue",
        "--time=91",
        "--partition=debug",
        "/shared/jobs/42/orchid-batch.sh",
    ]


def test_one_replica_is_the_batch_script_itself_writing_rank_0s_files() -> None:
    job = Submission("7", Path("/j/7"), 1, 1, 1, 0, None)
    argv = commands.sbatch_argv(OPTIONS, "t", job, Path("/j/7/orchid-batch.sh"))
    assert {"--output=/j/7/rank-0.stdout", "--error=/j/7/rank-0.stderr"} <= set(argv)


def test_sbatch_options_that_are_configured_only() -> None:
    options = SlurmOptions(
        job_root=Path("/j"), account="proj", qos="high", bin_dir=Path("/opt/slurm/bin")
    )
    job = Submission("7", Path("/j/7"), 1, 1, 1, 2, None)
    argv = commands.sbatch_argv(options, "t", job, Path("/j/7/orchid-batch.sh"))
    assert argv[0] == "/opt/slurm/bin/sbatch"
    assert {"--account=proj", "--qos=high", "--gpus-per-node=2"} <= set(argv)
    assert not any(a.startswith(("--time", "--partition")) for a in argv)


def test_time_limits_round_up_to_minutes_and_add_the_backstop() -> None:
    assert commands.time_limit_minutes(1) == 2
    assert commands.time_limit_minutes(60_000) == 2
    assert commands.time_limit_minutes(5 * 3_600_000) == 301


def test_extend_sets_an_absolute_limit() -> None:
    assert commands.extend_argv(OPTIONS, "12", 6 * 3_600_000) == [
        "scontrol",
        "update",
        "JobId=12",
        "TimeLimit=361",
    ]


def test_one_squeue_for_every_job_finished_ones_included() -> None:
    argv = commands.squeue_argv(OPTIONS, [1001, 0, 1001])
    assert argv[:4] == ["squeue", "--noheader", "--users=0,1001", "--states=all"]
    assert argv[4] == "--Format=JobID:|,State:|,Reason:|,TimeLimit:|,exit_code:|,Name:|,Comment:|"


def test_sacct_reads_the_completion_log_without_accounting_storage() -> None:
    assert commands.sacct_argv(OPTIONS, ["1", "2"], completion=True)[-2:] == [
        "--format=JobID,State,ExitCode,JobName",
        "--completion",
    ]
    assert "--allocations" in commands.sacct_argv(OPTIONS, ["1"], completion=False)


def test_comments_name_the_orchid_job_of_this_tag_only() -> None:
    comment = commands.job_comment("abc", "17")
    assert commands.owner_of("abc", comment) == "17"
    assert commands.owner_of("xyz", comment) is None
    assert commands.owner_of("abc", "orchid:abc:") is None
    assert commands.owner_of("abc", "") is None


def test_the_tag_comes_from_the_job_root() -> None:
    assert SlurmOptions(job_root=Path("/a")).tag != SlurmOptions(job_root=Path("/b")).tag
    assert SlurmOptions(job_root=Path("/a")).tag == SlurmOptions(job_root=Path("/a")).tag


def test_a_command_runs_as_the_users_account_through_setpriv() -> None:
    argv = commands.as_account(UnixIdentity("alice", 1001, 1002), ["sbatch", "x.sh"])
    assert argv == [
        "/usr/bin/setpriv",
        "--reuid=1001",
        "--regid=1002",
        "--init-groups",
        "--",
        "sbatch",
        "x.sh",
    ]
