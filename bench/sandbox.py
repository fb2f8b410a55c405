"""What the sandbox costs (decision 9): per replica, and per job through a real server.

    .venv/bin/python bench/sandbox.py              # spawn costs, then create -> SUCCESS and throughput
    .venv/bin/python bench/sandbox.py --spawn-only # the first part only (a few seconds)

1. Spawn cost per replica: the local provider's wrapper running `/bin/true` as it runs a replica
   without a sandbox, against the same wrapper running it in the replica's sandbox (bwrap, and
   setpriv to an account when run as root), alternating, one at a time: wall time from spawn to
   exit, and the CPU time of the children.
2. Per job, through `orchid serve` with a local provider whose `sandbox` is "none" and then
   "bwrap": create -> SUCCESS (the sections of bench/run.py) and throughput, one job per POST.

This is not a test: it prints a markdown table and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import pwd
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import Api
from bench.sections import Budget, Sizes, create_to_success, throughput
from bench.server import BenchServer
from bench.stats import Row
from orchid.domain.sandbox import UnixIdentity
from orchid.providers import sandbox
from orchid.providers.local.process import WRAPPER_ARGV

CONFIG = """
[providers.example]
kind = "local"
sandbox = "{kind}"
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spawn_costs(runs: int, workdir: Path) -> list[str]:
    """Wall and CPU per replica start, plain against sandboxed, alternating."""
    account = None
    if os.geteuid() == 0:
        entry = pwd.getpwnam("nobody")
        account = UnixIdentity("nobody", entry.pw_uid, entry.pw_gid)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    spec = sandbox.Sandbox(
        workdir=workdir,
        run_as=account,
        system=sandbox.system_paths(),
        binds=sandbox.apps_binds(),
    )
    exit_file = str(workdir.parent / "rank-0.exit")
    commands = {
        "plain": [*WRAPPER_ARGV, exit_file, *sandbox.drop_argv(account), "/bin/true"],
        "sandboxed": [*WRAPPER_ARGV, exit_file, *sandbox.bwrap_argv(spec, ["/bin/true"])],
    }
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            subprocess.run(argv, check=True, cwd=workdir, start_new_session=True)
            walls[name].append((time.perf_counter() - began) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            cpus[name].append(used * 1000)
    lines = [
        f"Spawn to exit of `/bin/true` under the replica wrapper, {runs} runs each, alternating"
        f" (as {'root, dropping to nobody' if account else 'this account'}); milliseconds:",
        "",
        "| replica | wall p50 | wall p95 | CPU p50 | CPU mean |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in commands:
        lines.append(
            f"| {name} | {statistics.median(walls[name]):.2f} | "
            f"{_percentile(walls[name], 0.95):.2f} | {statistics.median(cpus[name]):.2f} | "
            f"{statistics.mean(cpus[name]):.2f} |"
        )
    extra = statistics.median(walls["sandboxed"]) - statistics.median(walls["plain"])
    lines.append("")
    lines.append(f"Sandbox start cost per replica: +{extra:.2f} ms wall p50 (target <= 5 ms).")
    return lines


def per_job(kind: str, sizes: Sizes) -> list[Row]:
    """create -> SUCCESS and throughput through a server whose local provider uses `kind`."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"orchid-bench-sandbox-{kind}-"))
    config = data_dir / "orchid.toml"
    config.write_text(CONFIG.format(kind=kind))
    env = {
        "ORCHID_LOCAL_CPUS": "64",
        "ORCHID_LOCAL_MEMORY_GIB": "64",
        "ORCHID_CONFIG": str(config),
    }
    server = BenchServer(data_dir, env, "warning").start()
    try:
        rows: list[Row] = []
        with Api(server.url, server.create_user("bench")) as api:
            rows += create_to_success(server, api, sizes, Budget(120))
        with Api(server.url, server.create_user("tput")) as api:
            rows += throughput(
                server,
                api,
                sizes,
                Budget(120),
                label="1 job per POST, 8 concurrent clients",
                batch_size=1,
                concurrency=8,
            )
        return rows
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="spawns of each kind (default 100)")
    parser.add_argument("--jobs", type=int, default=500, help="throughput jobs (default 500)")
    parser.add_argument("--samples", type=int, default=100, help="create -> SUCCESS samples")
    parser.add_argument("--spawn-only", action="store_true", help="only the spawn costs")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="orchid-bench-spawn-") as scratch:
        work = Path(scratch) / "work"
        work.mkdir()
        print("\n".join(spawn_costs(args.runs, work)))
    if args.spawn_only:
        return 0
    sizes = Sizes(create_samples=args.samples, throughput_jobs=args.jobs)
    print("\n| sandbox | figure | n | p50 (ms) | p95 (ms) | value |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in ("none", "bwrap"):
        for row in per_job(kind, sizes):
            p50 = f"{row.p50:.2f}" if row.p50 is not None else ""
            p95 = f"{row.p95:.2f}" if row.p95 is not None else ""
            value = f"{row.value:.1f} {row.unit}" if row.value is not None else ""
            print(f"| {kind} | {row.figure} | {row.samples or ''} | {p50} | {p95} | {value} |")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
