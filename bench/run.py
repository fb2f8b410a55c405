"""Orchid benchmark: starts a private `orchid serve`, measures it, prints a markdown table.

    .venv/bin/python bench/run.py            # full run, SQLite (a few minutes)
    .venv/bin/python bench/run.py --quick    # smoke check, well under a minute
    .venv/bin/python bench/run.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/orchid_bench

The table is also written to bench/results/latest.md. See bench/README.md for what each figure
means. This is not a test: it asserts nothing, it reports whether each target was met.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulkload import load_jobs
from bench.client import Api
from bench.sections import (
    QUICK,
    Budget,
    Sizes,
    create_to_success,
    expiry_overshoot,
    follow_latency,
    machine_reference,
    read_latency,
    terminate_latency,
    throughput,
)
from bench.server import BenchServer, ScratchPostgres
from bench.stats import Row, markdown_table

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"
SOURCE = Path(__file__).resolve().parent.parent / "src" / "orchid"


@dataclass
class Run:
    """The rows collected so far and how long each section took."""

    rows: list[Row] = field(default_factory=list)
    timings: list[str] = field(default_factory=list)

    def section(
        self, number: str, name: str, budget_s: float, body: Callable[[Budget], list[Row]]
    ) -> None:
        print(f"[bench] {number}. {name} (limit {budget_s:g} s)", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            self.rows.extend(body(Budget(budget_s)))
        except Exception as exc:  # one broken section must not hide the others' figures
            traceback.print_exc()
            self.rows.append(Row(number, name, "", met=False, notes=[f"error: {exc!r}"]))
        self.timings.append(f"{number}. {name}: {time.perf_counter() - t0:.1f} s")

    def memory(self, server: BenchServer, figure: str) -> None:
        self.rows.append(Row.single("7", f"server RSS, {figure}", server.rss_mib(), "MiB"))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _source_fingerprint() -> str:
    """A short hash of the server's source, so runs of different code can be told apart."""
    digest = hashlib.sha256()
    files = sorted(p for p in SOURCE.rglob("*") if p.is_file() and p.suffix in (".py", ".json"))
    for path in files:
        digest.update(str(path.relative_to(SOURCE)).encode())
        digest.update(path.read_bytes())
    newest = max((p.stat().st_mtime for p in files), default=0.0)
    changed = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{digest.hexdigest()[:12]} ({len(files)} files, newest change {changed})"


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _machine_cpu() -> tuple[float, float, float, float]:
    """Seconds of CPU time since boot, all CPUs together: (busy, total, of the busy time spent in
    interrupt handlers (loopback networking, mostly), stolen by the hypervisor)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq
    return busy / tick, (busy + idle + iowait + steal) / tick, (irq + softirq) / tick, steal / tick


def _bench_cpu() -> float:
    """CPU seconds of this process and of every child it has waited for: the servers (once
    stopped) with the jobs they reaped, the CLI calls, the reference commands."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server: its live processes plus the backends the
    postmaster has reaped (read from /proc; 0 when there is none)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process has gone
        if text[text.find("(") + 1 : text.rfind(")")] != "postgres":
            continue
        fields = text[text.rfind(")") + 2 :].split()
        total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def _cpu_summary(
    before: tuple[float, float, float, float],
    after: tuple[float, float, float, float],
    bench: float,
    postgres: float,
) -> str:
    busy, total, interrupts, steal = (b - a for a, b in zip(before, after, strict=True))
    others = max(0.0, busy - bench - postgres - interrupts)
    return (
        f"- CPU during the run: {busy:.1f} of {total:.1f} CPU-seconds busy: this benchmark"
        f" (client, servers, jobs) {bench:.1f}, PostgreSQL {postgres:.1f}, interrupt handlers"
        f" {interrupts:.1f}, everything else {others:.1f}; stolen by the hypervisor {steal:.1f}"
    )


def _all_ids(api: Api) -> list[str]:
    ids: list[str] = []
    params: dict[str, str | int] = {"itemsPerPage": 1000}
    while True:
        page = api.browse(**params)
        ids.extend(str(j["id"]) for j in page["items"])
        if not page["next"]:
            return ids
        params["next"] = page["next"]


def _template_job(api: Api) -> str:
    """A finished trivial job of `api`'s user to copy (section 1 leaves plenty)."""
    found = api.browse(filterState="SUCCESS", itemsPerPage=1)["items"]
    if found:
        return str(found[0]["id"])
    from bench.client import FINAL_STATES, job_spec

    [job_id] = api.create(job_spec("true"))
    api.wait_for(job_id, FINAL_STATES, timeout=10, interval=0.005)
    return job_id


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sample counts (smoke check)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server to use, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/orchid_bench;"
        " a scratch database <name>_<random> is created there and dropped afterwards",
    )
    parser.add_argument(
        "--local-cpus", type=int, default=64, help="ORCHID_LOCAL_CPUS for the server (default 64)"
    )
    parser.add_argument(
        "--local-memory-gib",
        type=int,
        default=None,
        help="ORCHID_LOCAL_MEMORY_GIB for the server (default: same as --local-cpus, since each"
        " example-compute job holds 1 CPU and 1 GiB)",
    )
    parser.add_argument("--log-level", default="info", help="server log level (default info)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and database")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default {RESULTS}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes: Sizes = QUICK if args.quick else Sizes()
    memory_gib = args.local_memory_gib or args.local_cpus
    data_dir = Path(tempfile.mkdtemp(prefix="orchid-bench-"))
    env = {
        "ORCHID_LOCAL_CPUS": str(args.local_cpus),
        "ORCHID_LOCAL_MEMORY_GIB": str(memory_gib),
    }
    scratch: ScratchPostgres | None = None
    if args.database_url:
        scratch = ScratchPostgres(args.database_url).create()
        env["ORCHID_DATABASE_URL"] = database_url = scratch.url
        database = f"PostgreSQL {scratch.server_version()} (scratch database {scratch.name})"
    else:
        database_url = f"sqlite:///{data_dir / 'orchid.db'}"
        database = f"SQLite {sqlite3.sqlite_version} (WAL, file in a temporary directory)"
    grace = os.environ.get("ORCHID_TERMINATE_GRACE_SECONDS", "5 (server default)")
    environment = [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} CPUs ({_cpu_model()}), Linux {platform.release()}",
        f"- Python {platform.python_version()} (server and client, same machine)",
        f"- orchid source: {_source_fingerprint()}",
        f"- database: {database}",
        f"- server: `orchid serve` on 127.0.0.1, log level {args.log_level},"
        f" ORCHID_LOCAL_CPUS={args.local_cpus}, ORCHID_LOCAL_MEMORY_GIB={memory_gib}"
        f" (raised from the machine's defaults so capacity never queues the throughput jobs),"
        f" ORCHID_TERMINATE_GRACE_SECONDS={grace}",
        f"- mode: {'quick (small samples)' if args.quick else 'full'}",
        f"- load average (1/5/15 min) before the run: {_load()}",
    ]
    print("\n".join(environment), file=sys.stderr)

    server = BenchServer(data_dir, env, args.log_level)
    run = Run()
    started = time.perf_counter()
    machine0, bench0, postgres0 = _machine_cpu(), _bench_cpu(), _postgres_cpu()
    try:
        run.section("0", "machine reference", 30, machine_reference)
        server.start()
        time.sleep(1.0)
        run.memory(server, "idle after start")
        tokens = {name: server.create_user(name) for name in ("bench", "tput-single", "tput-bulk")}
        with Api(server.url, tokens["bench"]) as api:
            run.section(
                "1",
                "create → SUCCESS latency",
                120,
                lambda b: create_to_success(server, api, sizes, b),
            )
            run.section("3", "follow latency", 30, lambda b: follow_latency(server, api, sizes, b))
            run.section(
                "4",
                "terminate → final latency",
                60,
                lambda b: terminate_latency(server, api, sizes, b),
            )
            run.section(
                "5", "expiry overshoot", 30, lambda b: expiry_overshoot(server, api, sizes, b)
            )
        for user, label, batch, concurrency in (
            (
                "tput-single",
                f"1 job per POST, {sizes.throughput_concurrency} concurrent clients",
                1,
                sizes.throughput_concurrency,
            ),
            (
                "tput-bulk",
                f"{sizes.bulk_size} jobs per POST, 2 concurrent clients",
                sizes.bulk_size,
                2,
            ),
        ):
            with Api(server.url, tokens[user]) as tput:
                run.section(
                    "2",
                    f"throughput ({label})",
                    120,
                    partial(
                        throughput,
                        server,
                        tput,
                        sizes,
                        label=label,
                        batch_size=batch,
                        concurrency=concurrency,
                    ),
                )
            run.memory(server, f"after {sizes.throughput_jobs:,} jobs ({label})")

        with Api(server.url, tokens["bench"]) as api:
            template = _template_job(api)
            small_ids = _all_ids(api)
            run.section(
                "6",
                "read latency, small database",
                60,
                lambda b: read_latency(
                    api,
                    small_ids,
                    sizes,
                    b,
                    label=f"{len(small_ids)} jobs of this user",
                    samples=sizes.retrieve_samples // 4,
                ),
            )
        server.stop()
        loaded = load_jobs(database_url, template, sizes.loaded_jobs, budget_s=300)
        run.rows.append(
            Row.single(
                "6",
                "  bulk load of the jobs (SQLAlchemy Core, server stopped)",
                loaded.seconds,
                "s",
                samples=loaded.count,
                notes=["copies of a finished trivial job, with its updates"]
                + ([] if loaded.count == sizes.loaded_jobs else ["stopped at the 300 s limit"]),
            )
        )
        server.start()
        time.sleep(1.0)
        run.memory(server, f"idle after restart with {loaded.count:,} more jobs")
        loaded_ids = [str(i) for i in range(loaded.first_id, loaded.last_id + 1)]
        with Api(server.url, tokens["bench"]) as api:
            run.section(
                "6",
                "read latency, large database",
                90,
                lambda b: read_latency(
                    api,
                    loaded_ids,
                    sizes,
                    b,
                    label=f"{loaded.count:,} jobs loaded (copies of job {template})",
                    samples=sizes.retrieve_samples,
                ),
            )
        run.memory(server, f"after the reads with {loaded.count:,} more jobs")
    finally:
        server.stop()
        if scratch is not None and not args.keep:
            scratch.drop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"[bench] kept {data_dir}", file=sys.stderr)

    total = time.perf_counter() - started
    environment.append(f"- load average (1/5/15 min) after the run: {_load()}")
    environment.append(
        _cpu_summary(machine0, _machine_cpu(), _bench_cpu() - bench0, _postgres_cpu() - postgres0)
    )
    order = {s: i for i, s in enumerate("01234567")}
    # A stable sort: rows keep the order they were measured in within a section.
    rows = sorted(run.rows, key=lambda r: order.get(r.section, 99))
    report = "\n".join(
        [
            "# Orchid benchmark",
            "",
            *environment,
            "",
            markdown_table(rows),
            "",
            f"Section wall times: {'; '.join(run.timings)}; total {total:.0f} s.",
            "",
        ]
    )
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"[bench] written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
