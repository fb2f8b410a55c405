"""Orchid on Slurm against raw Slurm, in the same run on the same private cluster.

    .venv/bin/python bench/slurm.py [--jobs 200] [--latency-runs 20] [--small 10] [--large 500]

Starts a private cluster (scripts/slurm-up: two nodes of --vcpus CPUs each, on this machine) and
an `orchid serve` whose only provider is that cluster, then measures:

1. submit -> RUNNING latency, one job at a time on an idle cluster, alternating
   raw (`sbatch`, then `squeue -j` every 20 ms) and Orchid (`POST /api/jobs`, then
   `GET /api/jobs/retrieve` every 20 ms), each after 2 s of idleness. Goal: Orchid within 1.1x.
   Separate jobs are noisy: slurmctld starts pending jobs on a one-second beat, so a job waits
   0-1 s for it whoever submitted it (in 30 runs each, three shapes of plain sbatch job differed
   by up to 8% in the mean).
   The goal is therefore judged on Orchid's own jobs, each watched with `squeue --name` (every
   20 ms) while Orchid is polled: the same job, both views.
2. throughput of N trivial jobs (`true`, 1 CPU and 1 GiB each): raw (N x `sbatch` one after the
   other, then one `squeue` every 100 ms until all have ended) and Orchid, both one job per
   `POST /api/jobs` one after the other and all N in one bulk POST (then one `browse` every 100 ms
   until all are final). Goal: Orchid within 1.1x of raw.
3. Slurm commands per poll tick with --small and --large jobs (1 CPU, 1 GiB, `sleep 300`: a few
   dozen run, the rest wait), from the provider's own counters (an in-process SlurmProvider).
   Goal: the same number whatever the job count.

A benchmark, not a test: it prints a markdown table (also written to bench/results/slurm.md) and
says whether each goal was met.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import Api
from bench.server import BenchServer
from bench.stats import percentile
from orchid.providers.base import Fact, JobRun, ProductShape
from orchid.providers.slurm import SlurmOptions, SlurmProvider

ROOT = Path(__file__).resolve().parent.parent
FINAL = {"SUCCESS", "FAILURE", "EXPIRED"}
IDLE_SECONDS = 2.0
SLURM_DONE = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs in the throughput run")
    parser.add_argument("--latency-runs", type=int, default=20, help="jobs per latency sample")
    parser.add_argument("--small", type=int, default=10, help="queued jobs, small case")
    parser.add_argument("--large", type=int, default=500, help="queued jobs, large case")
    parser.add_argument("--vcpus", type=int, default=32, help="CPUs per node (2 nodes)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench/results/slurm.md")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="orchid-bench-slurm-"))
    base.chmod(0o755)  # munged wants every directory above its socket world-executable
    cluster = base / "cluster"
    env = {**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"}
    ctld = free_ports(4)
    started = time.monotonic()
    subprocess.run(
        [ROOT / "scripts/slurm-up", cluster, str(ctld), str(ctld + 1)],
        env={**env, "NODES": "2", "VCPUS": str(args.vcpus)},
        check=True,
        capture_output=True,
    )
    env["SLURM_CONF"] = str(cluster / "etc/slurm.conf")
    print(f"cluster up in {time.monotonic() - started:.2f} s at {cluster}", file=sys.stderr)
    server: BenchServer | None = None
    rows: list[str] = []
    try:
        raw_wait(env, sbatch(env, "true"), SLURM_DONE)  # the first job waits for a scheduler pass
        config = write_config(base, Path(env["SLURM_CONF"]))
        server = BenchServer(base / "data", env={"ORCHID_CONFIG": str(config)}).start()
        api = Api(server.url, server.create_user("bench"))
        tag = SlurmOptions(job_root=base / "jobs").tag
        rows += latency(env, api, tag, args.latency_runs)
        rows += throughput(env, api, args.jobs)
        server.stop()
        server = None
        rows += asyncio.run(queries_per_tick(base, Path(env["SLURM_CONF"]), args.small, args.large))
    finally:
        if server is not None:
            server.stop()
        subprocess.run([ROOT / "scripts/slurm-down", cluster], env=env, check=False)
        shutil.rmtree(base, ignore_errors=True)
    table = "\n".join(
        [
            f"Orchid on Slurm vs raw Slurm ({os.cpu_count()} CPUs; cluster: 2 nodes x {args.vcpus} vCPU)",
            "",
            "| figure | raw Slurm | Orchid | ratio | goal | met |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table + "\n")


# ---- raw Slurm ----


def sbatch(env: dict[str, str], script: str) -> str:
    """Submit a job asking for what Orchid's `hpc-small` asks for (1 CPU, 1 GiB)."""
    out = subprocess.run(
        [
            "sbatch",
            "--parsable",
            "--cpus-per-task=1",
            "--mem=1024M",
            "--output=/dev/null",
            "--wrap",
            script,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().split(";")[0]


def squeue_states(env: dict[str, str], *job_ids: str) -> dict[str, str]:
    argv = ["squeue", "--noheader", "--states=all", "--format=%i %T"]
    if job_ids:
        argv.append("--jobs=" + ",".join(job_ids))
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def raw_wait(env: dict[str, str], job_id: str, states: set[str], every: float = 0.02) -> float:
    while squeue_states(env, job_id).get(job_id) not in states:
        time.sleep(every)
    return time.monotonic()


# ---- Orchid ----


def spec(script: str) -> dict[str, Any]:
    return {
        "application": {"name": "shell-script", "version": "1.0.0"},
        "product": {"id": "hpc-small", "category": "hpc", "provider": "hpc"},
        "replicas": 1,
        "allowDuplicateJob": True,
        "parameters": {"script": {"type": "text", "value": script}},
    }


def orchid_wait(api: Api, job_id: str, states: set[str], every: float = 0.02) -> float:
    while api.retrieve(job_id)["status"]["state"] not in states:
        time.sleep(every)
    return time.monotonic()


def latency(env: dict[str, str], api: Api, tag: str, runs: int) -> list[str]:
    raw: list[float] = []
    orchid: list[float] = []
    same_job: list[float] = []  # submit -> squeue shows RUNNING, for Orchid's own jobs
    # slurmctld starts pending jobs on a one-second beat, and a job submitted right after another
    # one ended waits a whole beat more: every submission comes after IDLE_SECONDS plus a random
    # fraction of a second, so that raw and Orchid sample every point of the beat alike.
    pause = random.Random(7)
    for _ in range(runs):
        time.sleep(IDLE_SECONDS + pause.random())
        began = time.monotonic()
        job = sbatch(env, "sleep 1")
        raw.append(raw_wait(env, job, {"RUNNING"} | SLURM_DONE) - began)
        raw_wait(env, job, SLURM_DONE, every=0.1)
        time.sleep(IDLE_SECONDS + pause.random())
        began = time.monotonic()
        [job] = api.create(spec("sleep 1"))
        seen_by_slurm = seen_by_orchid = None
        while seen_by_orchid is None:
            now = time.monotonic()
            if seen_by_slurm is None and squeue_by_name(env, f"orchid-{tag}-{job}") != "PENDING":
                seen_by_slurm = now
            if api.retrieve(job)["status"]["state"] != "IN_QUEUE":
                seen_by_orchid = time.monotonic()
            time.sleep(0.01)
        orchid.append(seen_by_orchid - began)
        same_job.append((seen_by_slurm or seen_by_orchid) - began)
        orchid_wait(api, job, FINAL, every=0.1)
    ms = 1000
    lags = [o - r for o, r in zip(orchid, same_job, strict=True)]
    return [
        row(
            f"submit -> RUNNING, separate jobs, median (n={runs} each; noisy: Slurm's 1 s beat)",
            f"{statistics.median(raw) * ms:.0f} ms",
            f"{statistics.median(orchid) * ms:.0f} ms",
            statistics.median(orchid) / statistics.median(raw),
            None,
        ),
        row(
            "submit -> RUNNING, separate jobs, mean",
            f"{statistics.mean(raw) * ms:.0f} ms",
            f"{statistics.mean(orchid) * ms:.0f} ms",
            statistics.mean(orchid) / statistics.mean(raw),
            None,
        ),
        row(
            "submit -> RUNNING, the same jobs seen by squeue and by Orchid, mean",
            f"{statistics.mean(same_job) * ms:.0f} ms",
            f"{statistics.mean(orchid) * ms:.0f} ms",
            statistics.mean(orchid) / statistics.mean(same_job),
            1.1,
        ),
        row(
            "  of which Orchid's lag behind squeue (p50 / p95)",
            "-",
            f"{percentile(lags, 50) * ms:.0f} / {percentile(lags, 95) * ms:.0f} ms",
            None,
            None,
        ),
    ]


def throughput(env: dict[str, str], api: Api, count: int) -> list[str]:
    """Raw, Orchid one by one, Orchid in one request, and back again (so that no side always
    meets a busier slurmctld, which remembers every job of the run); each figure is the mean of
    its two runs."""
    sides: dict[str, Callable[[], tuple[float, float]]] = {
        "raw": lambda: raw_burst(env, count),
        "one by one": lambda: orchid_burst(api, count, bulk=False),
        "one request": lambda: orchid_burst(api, count, bulk=True),
    }
    runs: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    for side in [*sides, *reversed(sides)]:
        runs[side].append(sides[side]())
        time.sleep(IDLE_SECONDS)
    mean = {
        side: tuple(statistics.mean(x) for x in zip(*r, strict=True)) for side, r in runs.items()
    }
    raw_submitted, raw = mean["raw"]
    rows = []
    for side, how in (
        ("one by one", f"{count} x POST"),
        ("one request", f"1 POST of {count} items"),
    ):
        submitted, total = mean[side]
        rows += [
            row(
                f"{count} trivial jobs, {count} x sbatch vs {how}: submitted",
                f"{raw_submitted:.2f} s",
                f"{submitted:.2f} s",
                submitted / raw_submitted,
                None,
            ),
            row(
                f"{count} trivial jobs, {count} x sbatch vs {how}: all ended",
                f"{raw:.2f} s ({count / raw:.1f} jobs/s)",
                f"{total:.2f} s ({count / total:.1f} jobs/s)",
                total / raw,
                1.1,
            ),
        ]
    return rows


def raw_burst(env: dict[str, str], count: int) -> tuple[float, float]:
    began = time.monotonic()
    ids = [sbatch(env, "true") for _ in range(count)]
    submitted = time.monotonic() - began
    wait_until(lambda: all_ended(env, ids))
    return submitted, time.monotonic() - began


def orchid_burst(api: Api, count: int, *, bulk: bool) -> tuple[float, float]:
    began = time.monotonic()
    if bulk:
        wanted = set(api.create(*[spec("true")] * count))
    else:
        wanted = {api.create(spec("true"))[0] for _ in range(count)}
    submitted = time.monotonic() - began

    def all_final() -> bool:
        page = api.browse(itemsPerPage=250, filterState="SUCCESS")["items"]
        return wanted <= {j["id"] for j in page}

    wait_until(all_final)
    return submitted, time.monotonic() - began


def all_ended(env: dict[str, str], ids: list[str]) -> bool:
    return sum(s in SLURM_DONE for s in squeue_states(env, *ids).values()) == len(ids)


def squeue_by_name(env: dict[str, str], name: str) -> str:
    argv = ["squeue", "--noheader", "--states=all", f"--name={name}", "--format=%T"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return out.strip() or "PENDING"


async def queries_per_tick(base: Path, conf: Path, small: int, large: int) -> list[str]:
    """Slurm commands per tick of the provider's poll loop with `small` and `large` jobs of
    `sleep 300` (as many run as the nodes' memory allows, the rest wait), counted by the
    provider itself over 5 s after the last submission."""
    figures: dict[int, tuple[float, float, int]] = {}
    for count in (small, large):
        options = SlurmOptions(job_root=base / f"tick-{count}", slurm_conf=conf, partition="debug")
        facts: list[Fact] = []
        provider = SlurmProvider("hpc", options, facts.append)
        await provider.start()
        shape = ProductShape("big", cpu=1, memory_gib=1)
        for i in range(count):
            await provider.submit(JobRun(f"q{i}", ["sleep", "300"], {}, 1, shape, None))
        stats = provider.stats
        ticks, commands, seconds = stats.ticks, stats.commands.total(), stats.seconds["squeue"]
        squeues = stats.commands["squeue"]
        await asyncio.sleep(5)
        tick_count = stats.ticks - ticks
        per_tick = (stats.commands.total() - commands) / max(tick_count, 1)
        squeue_ms = (
            1000 * (stats.seconds["squeue"] - seconds) / max(stats.commands["squeue"] - squeues, 1)
        )
        figures[count] = (per_tick, squeue_ms, tick_count)
        await provider.stop()
        # one scancel for all of them (the benchmark's cluster runs nothing else by now)
        subprocess.run(["scancel", "--me"], env={**os.environ, "SLURM_CONF": str(conf)}, check=True)
    rows = []
    for count, (per_tick, squeue_ms, ticks) in figures.items():
        rows.append(
            row(
                f"Slurm commands per tick, {count} jobs ({ticks} ticks in 5 s)",
                "-",
                f"{per_tick:.2f} per tick; squeue takes {squeue_ms:.0f} ms",
                None,
                None,
            )
        )
    constant = figures[small][0] == figures[large][0]
    rows.append(
        f"| Slurm commands per tick: {small} vs {large} jobs | - | "
        f"{figures[small][0]:.2f} vs {figures[large][0]:.2f} | - | constant | "
        f"{'yes' if constant else 'no'} |"
    )
    return rows


# ---- helpers ----


def row(figure: str, raw: str, orchid: str, ratio: float | None, goal: float | None) -> str:
    ratio_text = f"{ratio:.2f}x" if ratio is not None else "-"
    goal_text = f"<= {goal}x" if goal is not None else "-"
    met = "-" if goal is None or ratio is None else ("yes" if ratio <= goal else "no")
    return f"| {figure} | {raw} | {orchid} | {ratio_text} | {goal_text} | {met} |"


def wait_until(condition: Callable[[], bool], every: float = 0.1, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark waited too long")
        time.sleep(every)


def write_config(base: Path, conf: Path) -> Path:
    path = base / "orchid.toml"
    path.write_text(
        f"""
[providers.hpc]
kind = "slurm"
slurm_conf = "{conf}"
partition = "debug"
job_root = "{base / "jobs"}"

[[providers.hpc.products]]
id = "hpc-small"
category = "hpc"
cpu = 1
memory_gib = 1
"""
    )
    return path


def free_ports(count: int) -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = int(s.getsockname()[1])
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no free range of ports")


if __name__ == "__main__":
    main()
