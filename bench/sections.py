"""The measurements. Each function runs against a live server, is bounded by a time budget, and
returns rows for the results table. Latencies are in milliseconds."""

from __future__ import annotations

import asyncio
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bench.client import FINAL_STATES, Api, FollowSocket, frame_state, job_spec, update_timestamp
from bench.server import BenchServer
from bench.stats import Row, percentile

TRIVIAL = "true"
SLEEPER = "sleep 60"


@dataclass(frozen=True)
class Sizes:
    create_samples: int = 200
    throughput_jobs: int = 1_000
    throughput_concurrency: int = 8
    bulk_size: int = 50
    follow_lines: int = 250
    follow_interval_s: float = 0.02
    terminate_jobs: int = 30
    expiry_jobs: int = 10
    loaded_jobs: int = 100_000
    retrieve_samples: int = 2_000
    browse_samples: int = 200


QUICK = Sizes(
    create_samples=20,
    throughput_jobs=100,
    follow_lines=60,
    terminate_jobs=5,
    expiry_jobs=3,
    loaded_jobs=10_000,
    retrieve_samples=300,
    browse_samples=50,
)


class Budget:
    """A wall-clock limit for one section; loops check it and stop early."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def note(self, done: int, wanted: int) -> list[str]:
        if done >= wanted:
            return []
        return [f"stopped at the {self.seconds:g} s limit after {done} of {wanted}"]


def ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _server_span(job: dict[str, Any], start: str, end: str) -> float | None:
    a, b = update_timestamp(job, start), update_timestamp(job, end)
    return None if a is None or b is None else float(b - a)


def _until_deadline(
    frames: Iterator[tuple[int, dict[str, Any]]],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The frames, ending quietly (instead of raising) when the follower runs out of time."""
    try:
        yield from frames
    except TimeoutError:
        return


# ---- 0. machine reference ----


def machine_reference(budget: Budget, samples: int = 30) -> list[Row]:
    """What starting a process costs on this machine, measured from this (client) process."""
    commands = {
        "`bash -c true`": ["bash", "-c", "true"],
        "`python -I -S -c pass` (this interpreter)": [sys.executable, "-I", "-S", "-c", "pass"],
    }
    rows = []
    for label, argv in commands.items():
        wall: list[float] = []
        while len(wall) < samples and not budget.expired:
            t0 = time.perf_counter()
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
            wall.append(ms_since(t0))
        rows.append(Row.distribution("0", f"reference: subprocess.run({label}), wall", wall))
    return rows


# ---- 1. create -> SUCCESS ----


def create_to_success(server: BenchServer, api: Api, sizes: Sizes, budget: Budget) -> list[Row]:
    n = sizes.create_samples
    for _ in range(3):  # warm-up: first imports, first spawn, connection set-up
        [job_id] = api.create(job_spec(TRIVIAL))
        api.wait_for(job_id, FINAL_STATES, timeout=10, interval=0.005)

    poll_wall: list[float] = []
    post_ms: list[float] = []
    server_total: list[float] = []
    server_start: list[float] = []
    server_run: list[float] = []
    not_success = 0
    half = Budget(budget.left() / 2)
    while len(poll_wall) + not_success < n and not half.expired:
        t0 = time.perf_counter()
        [job_id] = api.create(job_spec(TRIVIAL))
        post_ms.append(ms_since(t0))
        while True:
            job = api.retrieve(job_id)
            if job["status"]["state"] in FINAL_STATES or budget.expired:
                break
            time.sleep(0.001)
        wall = ms_since(t0)
        if job["status"]["state"] != "SUCCESS":
            not_success += 1
            continue
        poll_wall.append(wall)
        for values, a, b in (
            (server_total, "IN_QUEUE", "SUCCESS"),
            (server_start, "IN_QUEUE", "RUNNING"),
            (server_run, "RUNNING", "SUCCESS"),
        ):
            span = _server_span(job, a, b)
            if span is not None:
                values.append(span)
    poll_notes = half.note(len(poll_wall) + not_success, n)

    follow_wall: list[float] = []
    follow_server: list[float] = []
    follow_failed = 0
    with FollowSocket(server.ws_url, api.token) as sock:
        while len(follow_wall) + follow_failed < n and not budget.expired:
            t0 = time.perf_counter()
            [job_id] = api.create(job_spec(TRIVIAL))
            seen: float | None = None
            final: str | None = None
            for _, frame in _until_deadline(sock.follow(job_id, deadline=budget.end + 5)):
                state = frame_state(frame) if frame["type"] == "message" else None
                if seen is None and state in FINAL_STATES:
                    seen, final = ms_since(t0), state
            if final != "SUCCESS" or seen is None:
                follow_failed += 1
                continue
            follow_wall.append(seen)
            span = _server_span(api.retrieve(job_id), "IN_QUEUE", "SUCCESS")
            if span is not None:
                follow_server.append(span)
    follow_notes = budget.note(len(follow_wall) + follow_failed, n)
    if not_success:
        poll_notes.append(f"{not_success} job(s) did not end in SUCCESS")
    if follow_failed:
        follow_notes.append(f"{follow_failed} job(s) did not end in SUCCESS")

    target = "< 30 ms p50"
    rows = [
        Row.distribution(
            "1",
            "create → SUCCESS, client wall (POST, then GET retrieve every 1 ms)",
            poll_wall,
            target=target,
            met=percentile(poll_wall, 50) < 30,
            notes=poll_notes,
        ),
        Row.distribution(
            "1",
            "create → SUCCESS, client wall (POST, then jobs.follow on an open socket)",
            follow_wall,
            target=target,
            met=percentile(follow_wall, 50) < 30,
            notes=follow_notes,
        ),
        Row.distribution(
            "1",
            "create → SUCCESS, server timestamps (IN_QUEUE → SUCCESS update)",
            server_total + follow_server,
            target=target,
            met=percentile(server_total + follow_server, 50) < 30,
            notes=["1 ms resolution"],
        ),
        Row.distribution("1", "  of which POST /api/jobs round trip", post_ms),
        Row.distribution("1", "  of which IN_QUEUE → RUNNING (server)", server_start),
        Row.distribution(
            "1",
            "  of which RUNNING → SUCCESS (server)",
            server_run,
            notes=["process start, `true`, exit noticed"],
        ),
    ]
    return rows


# ---- 2. throughput ----


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class _Submitted:
    ids: list[str]
    first_send: float
    last_reply: float


async def _submit(
    url: str, token: str, batches: list[list[dict[str, Any]]], concurrency: int, timeout: float
) -> _Submitted:
    ids: list[str] = []
    queue = list(reversed(batches))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
        limits=limits,
    ) as client:

        async def worker() -> None:
            while queue:
                batch = queue.pop()
                r = await client.post("/api/jobs", json={"items": batch})
                r.raise_for_status()
                ids.extend(str(item["id"]) for item in r.json()["responses"])

        first = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(concurrency))), timeout=timeout
        )
        last = time.perf_counter()
    return _Submitted(ids, first, last)


def throughput(
    server: BenchServer,
    api: Api,
    sizes: Sizes,
    budget: Budget,
    *,
    label: str,
    batch_size: int,
    concurrency: int,
) -> list[Row]:
    """Submit `throughput_jobs` trivial jobs as `api`'s user (who must have no other jobs) and wait
    until none is IN_QUEUE or RUNNING any more."""
    n = sizes.throughput_jobs
    specs = [job_spec(TRIVIAL) for _ in range(n)]
    batches = [specs[i : i + batch_size] for i in range(0, n, batch_size)]
    server_cpu0, jobs_cpu0 = server.cpu_seconds()
    client_cpu0 = _own_cpu_seconds()
    submitted = asyncio.run(_submit(server.url, api.token, batches, concurrency, budget.left()))
    # Cheap completion check: one-item pages of the active states (all jobs exist by now).
    polls = 0
    done_at: float | None = None
    while not budget.expired:
        polls += 1
        active = sum(
            len(api.browse(filterState=state, itemsPerPage=1)["items"])
            for state in ("IN_QUEUE", "RUNNING")
        )
        if active == 0:
            done_at = time.perf_counter()
            break
        time.sleep(0.005)
    server_cpu1, jobs_cpu1 = server.cpu_seconds()
    client_cpu1 = _own_cpu_seconds()
    page = api.browse(itemsPerPage=1000, includeUpdates="true")
    wanted = set(submitted.ids)
    jobs = [j for j in page["items"] if j["id"] in wanted]
    succeeded = [j for j in jobs if j["status"]["state"] == "SUCCESS"]
    notes = [f"{label}", f"{polls} completion polls"]
    if len(succeeded) != n:
        notes.append(f"only {len(succeeded)} of {n} SUCCESS")
    if done_at is None:
        notes.append(f"not finished within {budget.seconds:g} s")
        done_at = time.perf_counter()
    wall_s = done_at - submitted.first_send
    submit_s = submitted.last_reply - submitted.first_send
    created = [int(j["createdAt"]) for j in jobs]
    ended = [t for j in succeeded if (t := update_timestamp(j, "SUCCESS")) is not None]
    server_s = (max(ended) - min(created)) / 1000 if created and ended else float("nan")
    rate = len(succeeded) / wall_s
    per_job = [
        1000 * (server_cpu1 - server_cpu0) / n,
        1000 * (jobs_cpu1 - jobs_cpu0) / n,
        1000 * (client_cpu1 - client_cpu0) / n,
    ]
    cpus = os.cpu_count() or 1
    ceiling = cpus * 1000 / sum(per_job)
    return [
        Row.single(
            "2",
            f"throughput, client wall: first POST → all SUCCESS ({label})",
            rate,
            "jobs/s",
            samples=len(succeeded),
            target="≥ 200 jobs/s",
            met=rate >= 200 and len(succeeded) == n,
            notes=[*notes, f"{wall_s:.2f} s wall"],
        ),
        Row.single(
            "2",
            f"  submission alone ({label})",
            len(submitted.ids) / submit_s,
            "jobs/s",
            samples=len(submitted.ids),
            notes=[f"{submit_s:.2f} s for {len(batches)} POSTs"],
        ),
        Row.single(
            "2",
            f"  server timestamps: first createdAt → last SUCCESS ({label})",
            len(succeeded) / server_s,
            "jobs/s",
            samples=len(succeeded),
            notes=[f"{server_s:.2f} s"],
        ),
        Row.single(
            "2",
            f"  CPU per job: server + job processes + client ({label})",
            sum(per_job),
            "ms",
            samples=n,
            notes=[
                "server {:.1f}, job processes {:.1f}, client {:.1f} ms".format(*per_job),
                f"CPU-bound ceiling on {cpus} CPUs ≈ {ceiling:.0f} jobs/s",
            ],
        ),
    ]


# ---- 3. follow latency ----


def follow_latency(server: BenchServer, api: Api, sizes: Sizes, budget: Budget) -> list[Row]:
    lines = sizes.follow_lines
    pause = sizes.follow_interval_s
    script = f"sleep 0.5; for i in $(seq 1 {lines}); do date +%s%N; sleep {pause}; done"
    [job_id] = api.create(job_spec(script))
    latencies: list[float] = []
    chunks = 0
    early = 0
    malformed = 0
    subscribed_ns: int | None = None
    partial = ""
    with FollowSocket(server.ws_url, api.token) as sock:
        for received_ns, frame in _until_deadline(sock.follow(job_id, deadline=budget.end)):
            if subscribed_ns is None:
                subscribed_ns = received_ns
            if frame["type"] != "message":
                continue
            for entry in frame["payload"].get("log") or []:
                text = entry.get("stdout")
                if not text:
                    continue
                chunks += 1
                *complete, partial = (partial + text).split("\n")
                for line in complete:
                    try:
                        printed_ns = int(line.strip())
                    except ValueError:
                        malformed += 1
                        continue
                    if printed_ns < subscribed_ns:
                        early += 1  # printed before the follower was attached: not a latency
                        continue
                    latencies.append((received_ns - printed_ns) / 1e6)
    if budget.expired:
        api.terminate(job_id)
    notes = [f"{len(latencies)} lines in {chunks} log chunks"]
    if early:
        notes.append(f"{early} line(s) printed before the follower attached were skipped")
    if malformed:
        notes.append(f"{malformed} unparsable line(s)")
    notes.extend(budget.note(len(latencies) + early, lines))
    return [
        Row.distribution(
            "3",
            f"follow: receive time - printed time (`date +%s%N` every {pause * 1000:g} ms)",
            latencies,
            target="< 20 ms p95",
            met=percentile(latencies, 95) < 20,
            notes=notes,
        )
    ]


# ---- 4. terminate -> final ----


def terminate_latency(server: BenchServer, api: Api, sizes: Sizes, budget: Budget) -> list[Row]:
    n = sizes.terminate_jobs
    wall: list[float] = []
    post: list[float] = []
    server_side: list[float] = []
    other: list[str] = []
    for _ in range(n):
        if budget.expired:
            break
        [job_id] = api.create(job_spec(SLEEPER))
        try:
            api.wait_for(job_id, frozenset({"RUNNING"}), timeout=10, interval=0.005)
        except TimeoutError:
            api.terminate(job_id)
            other.append("not RUNNING within 10 s")
            break
        t0 = time.perf_counter()
        api.terminate(job_id)
        post.append(ms_since(t0))
        while True:
            job = api.retrieve(job_id)
            if job["status"]["state"] in FINAL_STATES:
                break
            if budget.expired:
                break
            time.sleep(0.001)
        elapsed = ms_since(t0)
        if job["status"]["state"] != "SUCCESS":
            other.append(job["status"]["state"])
            continue
        wall.append(elapsed)
        span = _server_span(job, "CANCELING", "SUCCESS")
        if span is not None:
            server_side.append(span)
    notes = budget.note(len(wall) + len(other), n)
    if other:
        notes.append(f"not SUCCESS: {', '.join(other)}")
    target = "< 100 ms"
    return [
        Row.distribution(
            "4",
            "terminate → SUCCESS, client wall (POST terminate, GET retrieve every 1 ms)",
            wall,
            target=target,
            met=percentile(wall, 95) < 100,
            notes=[*notes, "`sleep 60` jobs, one at a time; status on p95"],
        ),
        Row.distribution(
            "4",
            "terminate → SUCCESS, server timestamps (CANCELING → SUCCESS update)",
            server_side,
            target=target,
            met=percentile(server_side, 95) < 100,
        ),
        Row.distribution("4", "  of which POST /api/jobs/terminate round trip", post),
    ]


# ---- 5. expiry overshoot ----


def expiry_overshoot(server: BenchServer, api: Api, sizes: Sizes, budget: Budget) -> list[Row]:
    n = sizes.expiry_jobs
    ids = api.create(*(job_spec(SLEEPER, seconds=1 + i % 2) for i in range(n)))
    expires: dict[str, int] = {}
    for job_id in ids:
        job = api.wait_for(job_id, frozenset({"RUNNING"}), timeout=10, interval=0.005)
        if job["status"]["state"] == "RUNNING" and job["status"]["expiresAt"] is not None:
            expires[job_id] = int(job["status"]["expiresAt"])
    server_side: list[float] = []
    client_side: list[float] = []
    pending = set(expires)
    other: list[str] = []
    while pending and not budget.expired:
        for job_id in sorted(pending):
            job = api.retrieve(job_id)
            state = job["status"]["state"]
            if state not in FINAL_STATES:
                continue
            seen_ms = time.time() * 1000
            pending.discard(job_id)
            stamp = update_timestamp(job, "EXPIRED")
            if state != "EXPIRED" or stamp is None:
                other.append(state)
                continue
            server_side.append(float(stamp - expires[job_id]))
            client_side.append(seen_ms - expires[job_id])
        time.sleep(0.005)
    notes = budget.note(len(server_side) + len(other), n)
    if other:
        notes.append(f"not EXPIRED: {', '.join(other)}")
    notes.append("timeAllocation 1 s and 2 s, `sleep 60`")
    return [
        Row.distribution(
            "5",
            "expiry overshoot: EXPIRED update timestamp - expiresAt (while RUNNING)",
            server_side,
            target="< 1 s max",
            met=bool(server_side) and max(server_side) < 1000,
            notes=notes,
        ),
        Row.distribution(
            "5",
            "  seen by a client polling retrieve every ~5 ms",
            client_side,
            notes=["client clock - expiresAt"],
        ),
    ]


# ---- 6. read latency ----


def _timed_gets(
    http: httpx.Client, make_params: Callable[[], dict[str, str]], path: str, n: int, budget: Budget
) -> tuple[list[float], int]:
    """Latency of `n` GETs (after a few warm-up ones); also the count of non-200 answers."""
    for _ in range(min(20, n)):
        http.get(path, params=make_params())
    latencies: list[float] = []
    errors = 0
    while len(latencies) < n and not budget.expired:
        params = make_params()
        t0 = time.perf_counter()
        r = http.get(path, params=params)
        r.read()
        latencies.append(ms_since(t0))
        if r.status_code != 200:
            errors += 1
    return latencies, errors


def read_latency(
    api: Api, job_ids: list[str], sizes: Sizes, budget: Budget, *, label: str, samples: int
) -> list[Row]:
    """retrieve of random jobs, browse of the first page, and a 401 as the HTTP floor."""
    rng = random.Random(42)
    retrieve, retrieve_errors = _timed_gets(
        api.http, lambda: {"id": rng.choice(job_ids)}, "/api/jobs/retrieve", samples, budget
    )
    browse, browse_errors = _timed_gets(
        api.http, lambda: {"itemsPerPage": "50"}, "/api/jobs/browse", sizes.browse_samples, budget
    )
    with httpx.Client(base_url=api.url, timeout=30) as anonymous:
        floor, _ = _timed_gets(
            anonymous, lambda: {"id": "1"}, "/api/jobs/retrieve", sizes.browse_samples, budget
        )
    rows = [
        Row.distribution(
            "6",
            f"GET /api/jobs/retrieve?id=<random>, {label}",
            retrieve,
            target="< 2 ms p50",
            met=percentile(retrieve, 50) < 2 and not retrieve_errors,
            notes=[f"{retrieve_errors} non-200"] if retrieve_errors else [],
        ),
        Row.distribution(
            "6",
            f"GET /api/jobs/browse?itemsPerPage=50 (first page), {label}",
            browse,
            notes=[f"{browse_errors} non-200"] if browse_errors else [],
        ),
        Row.distribution(
            "6",
            f"  floor: GET retrieve without a token (401), {label}",
            floor,
            notes=["HTTP + framework + client cost only"],
        ),
    ]
    return rows
