"""Record real Slurm output for the parser tests into tests/slurm/data/ (not a test itself).

    .venv/bin/python -m tests.slurm.record [--with-timeout]

Starts a private cluster (scripts/slurm-up), drives jobs into every state the provider handles,
and saves what Orchid's own command lines (orchid.providers.slurm.commands) print, plus the
messages of refusals and of an unreachable controller. `--with-timeout` adds a job that hits its
Slurm time limit (about 90 s more).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchid.providers.slurm import SlurmOptions, commands
from orchid.providers.slurm.parse import parse_squeue
from tests.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def main() -> None:
    with_timeout = "--with-timeout" in sys.argv
    base = Path(tempfile.mkdtemp(prefix="orchid-record-"))
    base.chmod(0o755)  # munged wants every directory above its socket world-executable
    cluster = base / "cluster"
    ctld, slurmd = free_port(), free_port()
    env = {**os.environ, "NODES": "2", "VCPUS": "2", "MESSAGE_TIMEOUT": "3"}
    subprocess.run(
        [ROOT / "scripts/slurm-up", cluster, str(ctld), str(slurmd)], env=env, check=True
    )
    os.environ["SLURM_CONF"] = str(cluster / "etc/slurm.conf")
    jobs = base / "jobs"
    jobs.mkdir()
    options = SlurmOptions(job_root=jobs, partition="debug")
    tag = options.tag
    try:
        record(options, tag, jobs, with_timeout)
    finally:
        subprocess.run([ROOT / "scripts/slurm-down", cluster], check=False)
        shutil.rmtree(base, ignore_errors=True)
    print(f"recorded into {DATA}")


def sh(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def save(name: str, text: str) -> None:
    DATA.mkdir(exist_ok=True)
    (DATA / name).write_text(text)


def submit(tag: str, job_id: str, jobs: Path, script: str, *extra: str) -> str:
    folder = jobs / job_id
    folder.mkdir()
    out = sh(
        [
            "sbatch",
            "--parsable",
            f"--job-name={commands.job_name(tag, job_id)}",
            f"--comment={commands.job_comment(tag, job_id)}",
            f"--output={folder}/batch.stdout",
            "--no-requeue",
            *extra,
            "--wrap",
            script,
        ]
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def wait_for(options: SlurmOptions, slurm_id: str, *states: str, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = parse_squeue(sh(commands.squeue_argv(options, [os.geteuid()])).stdout)
        if any(r.slurm_id == slurm_id and r.state in states for r in rows):
            return
        time.sleep(0.1)
    raise AssertionError(f"job {slurm_id} never reached {states}")


def record(options: SlurmOptions, tag: str, jobs: Path, with_timeout: bool) -> None:
    # sbatch --parsable, with Orchid's own command line
    folder = jobs / "1"
    folder.mkdir()
    (folder / "orchid-batch.sh").write_text("#!/bin/bash\ntrue\n")
    submission = commands.Submission("1", folder, 1, 1, 1, 0, 60_000)
    out = sh(commands.sbatch_argv(options, tag, submission, folder / "orchid-batch.sh"))
    save("sbatch_parsable.txt", out.stdout)
    completed = out.stdout.strip()

    failed = submit(tag, "2", jobs, "echo failing; exit 3")
    killed = submit(tag, "3", jobs, "kill -9 $$")
    odd = submit(tag, "4|odd", jobs, "true")  # a comment holding the separator
    blockers = [submit(tag, f"b{i}", jobs, "sleep 120", "--cpus-per-task=2") for i in (1, 2)]
    for b in blockers:
        wait_for(options, b, "RUNNING")
    waiting = submit(tag, "5", jobs, "true", "--cpus-per-task=2")
    later = submit(tag, "6", jobs, "true", "--begin=now+3600")
    cancelled_pending = submit(tag, "7", jobs, "true", "--begin=now+3600")
    sh(["scancel", cancelled_pending])
    for job in (completed, failed, killed, odd):
        wait_for(options, job, "COMPLETED", "FAILED")
    wait_until(
        lambda: any(
            r.slurm_id == waiting and r.reason == "Resources"
            for r in parse_squeue(sh(commands.squeue_argv(options, [os.geteuid()])).stdout)
        ),
        f"job {waiting} to wait for Resources",
    )
    save("squeue_mixed.txt", sh(commands.squeue_argv(options, [os.geteuid()])).stdout)

    # refusals
    save(
        "error_scontrol_update_finished.txt",
        sh(commands.extend_argv(options, failed, 600_000)).stderr,
    )
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    save(
        "error_scontrol_update_not_operator.txt",
        sh([*nobody, *commands.extend_argv(options, blockers[0], 600_000)]).stderr,
    )
    bad = SlurmOptions(job_root=jobs, partition="no-such-partition")
    save(
        "error_sbatch_invalid_partition.txt",
        sh(commands.sbatch_argv(bad, tag, submission, folder / "orchid-batch.sh")).stderr,
    )

    # cancel running jobs (SIGTERM, then SIGKILL after KillWait) and see them end
    sh(commands.scancel_argv(options, [*blockers, waiting, later]))
    for job in blockers:
        wait_for(options, job, "CANCELLED")
    if with_timeout:
        timeout = submit(tag, "8", jobs, "sleep 300", "--time=1")
        wait_for(options, timeout, "TIMEOUT", timeout=200)
    save("squeue_ended.txt", sh(commands.squeue_argv(options, [os.geteuid()])).stdout)
    ids = [
        r.slurm_id for r in parse_squeue(sh(commands.squeue_argv(options, [os.geteuid()])).stdout)
    ]
    save(
        "sacct_completion.txt",
        sh(commands.sacct_argv(options, [*ids, "999"], completion=True)).stdout,
    )
    save(
        "error_sacct_no_accounting.txt",
        sh(commands.sacct_argv(options, ids, completion=False)).stderr,
    )
    save("scontrol_show_config.txt", sh(commands.config_argv(options)).stdout)
    save("sinfo_nodes.txt", sh(commands.sinfo_argv(options)).stdout)

    # the controller stops answering (MessageTimeout=3 keeps this short)
    cluster = Path(os.environ["SLURM_CONF"]).parents[1]
    subprocess.run([ROOT / "scripts/slurm-down", cluster, "slurmctld"], check=True)
    save("error_squeue_unreachable.txt", sh(commands.squeue_argv(options, [os.geteuid()])).stderr)
    save(
        "error_sbatch_unreachable.txt",
        sh(commands.sbatch_argv(options, tag, submission, folder / "orchid-batch.sh")).stderr,
    )
    save(
        "error_scontrol_update_unreachable.txt",
        sh(commands.extend_argv(options, "1", 600_000)).stderr,
    )
    save("error_scancel_unreachable.txt", sh(commands.scancel_argv(options, ["1"])).stderr)


if __name__ == "__main__":
    main()
