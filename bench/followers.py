"""Many idle followers plus a steady stream of creates (issue 12).

    .venv/bin/python bench/followers.py                      # 10,000 followers, 50 creates/s, 60 s
    .venv/bin/python bench/followers.py --followers 2000 --seconds 20

Starts a private `orchid serve`, opens `--followers` WebSockets that each follow one long idle job
(a `sleep`: they receive nothing but keep-alives), then for `--seconds` creates `--rate` jobs a
second that print numbered lines, follows every one of them to its end and checks that each line
arrived exactly once. Meanwhile it retrieves a job every 20 ms and samples the server's RSS.
Reports how many followers were connected (the machine may allow fewer than asked), whether every
line was delivered once, retrieve p50/p95 during the load and the server's peak RSS (target < 1 GiB).
This is not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.client import job_spec
from bench.server import BenchServer
from bench.stats import percentile

LINES = 20
EXPECTED = "".join(f"{i}\n" for i in range(1, LINES + 1))


def follow_call(job_id: str, token: str, stream: str) -> str:
    return json.dumps(
        {"call": "jobs.follow", "streamId": stream, "payload": {"id": job_id}, "bearer": token}
    )


async def idle_follower(url: str, job_id: str, token: str, opened: list[ClientConnection]) -> None:
    ws = await connect(url, open_timeout=120, ping_interval=None, max_size=2**20)
    await ws.send(follow_call(job_id, token, "idle"))
    await ws.recv()  # the initial job
    opened.append(ws)


async def drain(ws: ClientConnection) -> None:
    """Read (and drop) keep-alives so the server never sees a slow follower."""
    try:
        async for _ in ws:
            pass
    except Exception:
        return


async def follow_to_end(url: str, job_id: str, token: str) -> str:
    """The job's whole stdout as delivered by one follow stream."""
    out: list[str] = []
    async with connect(url, open_timeout=120, max_size=2**22) as ws:
        await ws.send(follow_call(job_id, token, "0"))
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "response":
                return "".join(out)
            for entry in (frame.get("payload") or {}).get("log") or []:
                if entry.get("stdout"):
                    out.append(entry["stdout"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    data = Path(tempfile.mkdtemp(prefix="orchid-followers-"))
    many = str(10 * (args.rate * args.seconds + args.followers))
    server = BenchServer(
        data,
        env={
            "ORCHID_MAX_WEBSOCKETS": str(args.followers + 10_000),
            "ORCHID_CREATES_PER_MINUTE_PER_USER": many,
            "ORCHID_MAX_ACTIVE_JOBS_PER_USER": many,
            "ORCHID_MAX_QUEUED_JOBS_PER_USER": many,
            "ORCHID_LOCAL_CPUS": "256",
            "ORCHID_LOCAL_MEMORY_GIB": "256",
            "ORCHID_WS_SEND_TIMEOUT_SECONDS": "120",
        },
        log_level="warning",
    ).start(timeout=120)
    result: dict[str, Any] = {"asked_followers": args.followers}
    try:
        token = server.create_user("bench")
        http = httpx.AsyncClient(
            base_url=server.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=500),
        )
        idle_spec = job_spec("sleep 3600")
        idle_spec["allowDuplicateJob"] = True
        created = await http.post("/api/jobs", json={"items": [idle_spec]})
        idle_job = created.json()["responses"][0]["id"]

        # Idle followers, opened a batch at a time; the machine may run out before the count.
        opened: list[ClientConnection] = []
        failures: list[str] = []
        started = time.monotonic()
        for first in range(0, args.followers, 200):
            batch = range(first, min(first + 200, args.followers))
            outcomes = await asyncio.gather(
                *(idle_follower(server.ws_url, idle_job, token, opened) for _ in batch),
                return_exceptions=True,
            )
            failures += [repr(o) for o in outcomes if isinstance(o, BaseException)]
            if len(failures) > 100:
                break
        result["followers"] = len(opened)
        result["follower_failures"] = failures[:3]
        result["connect_seconds"] = round(time.monotonic() - started, 1)
        drains = [asyncio.create_task(drain(ws)) for ws in opened]
        result["rss_idle_mib"] = round(server.rss_mib(), 1)

        # The load: `rate` creates a second, each job followed to its end.
        spec = job_spec(f"seq 1 {LINES}")
        spec["allowDuplicateJob"] = True
        follows: list[asyncio.Task[str]] = []
        latencies: list[float] = []
        peak_rss = result["rss_idle_mib"]
        create_errors = 0
        stop = asyncio.Event()

        async def retrieves() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    await http.get("/api/jobs/retrieve", params={"id": idle_job})
                    latencies.append(time.perf_counter() - t)
                except httpx.HTTPError:
                    result["retrieve_errors"] = result.get("retrieve_errors", 0) + 1
                await asyncio.sleep(0.02)

        async def create_one() -> None:
            nonlocal create_errors
            try:
                response = await http.post("/api/jobs", json={"items": [spec]})
            except httpx.HTTPError:
                create_errors += 1
                return
            if response.status_code != 200:
                create_errors += 1
                return
            job_id = response.json()["responses"][0]["id"]
            follows.append(asyncio.create_task(follow_to_end(server.ws_url, job_id, token)))

        reader = asyncio.create_task(retrieves())
        creators: list[asyncio.Task[None]] = []
        load_start = time.monotonic()
        for n in range(args.rate * args.seconds):
            due = load_start + n / args.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            creators.append(asyncio.create_task(create_one()))
            if n % args.rate == 0:
                peak_rss = max(peak_rss, server.rss_mib())
        await asyncio.gather(*creators)
        result["load_seconds"] = round(time.monotonic() - load_start, 1)
        outputs = await asyncio.gather(*follows, return_exceptions=True)
        peak_rss = max(peak_rss, server.rss_mib())
        stop.set()
        await reader
        result["creates"] = len(creators)
        result["create_errors"] = create_errors
        result["jobs_followed"] = len(outputs)
        result["delivered_exactly_once"] = sum(1 for o in outputs if o == EXPECTED)
        result["follow_errors"] = sum(1 for o in outputs if isinstance(o, BaseException))
        result["retrieves"] = len(latencies)
        result["retrieve_p50_ms"] = round(percentile(latencies, 50) * 1000, 1)
        result["retrieve_p95_ms"] = round(percentile(latencies, 95) * 1000, 1)
        result["rss_peak_mib"] = round(peak_rss, 1)
        result["followers_still_open"] = sum(1 for ws in opened if ws.close_code is None)
        for ws in opened:
            await ws.close()
        for task in drains:
            task.cancel()
        await http.post("/api/jobs/terminate", json={"items": [{"id": idle_job}]})
        await http.aclose()
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=50, help="creates a second")
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
