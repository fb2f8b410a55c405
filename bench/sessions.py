"""Interactive sessions: what the session proxy adds to a request, how fast a large response comes
through it, and how long a keystroke takes to come back from a shell.

    .venv/bin/python bench/sessions.py [--requests 1000] [--mib 100] [--downloads 5] [--keys 300]

Starts an `orchid serve` with a fresh data directory, runs the acme web application (a WEB job of
the default catalog) and measures, from a client on the same machine:

- latency: `GET <base>bytes?n=0` (an empty 200 from the application) through the proxy
  (`/sessions/<job>/0/...`, the session cookie, one keep-alive connection) against the same request
  straight to the application's port; alternating, after a warm-up. Target: < 2 ms p50 added;
- download: `GET <base>bytes?n=<--mib MiB>` streamed and discarded, through the proxy and direct,
  alternating (target: proxied >= 50% of direct);
- shell echo: a SHELL session on a running job, over the shell WebSocket (initialize, then one
  `input` frame per keystroke); the time from sending a character to receiving the `data` frame
  that echoes it (the terminal's own echo). Target: < 20 ms p95.

A benchmark, not a test: it prints a markdown table (also written to bench/results/sessions.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from websockets.sync.client import connect

from bench.server import BenchServer
from bench.stats import Row, markdown_table, percentile

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20


def wait_running(api: httpx.Client, job_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get("/api/jobs/retrieve", params={"id": job_id}).json()["status"]["state"]
        if state == "RUNNING":
            return
        if state in ("SUCCESS", "FAILURE", "EXPIRED"):
            raise RuntimeError(f"job {job_id} ended ({state}) before it ran")
        time.sleep(0.02)
    raise RuntimeError(f"job {job_id} did not start within {timeout} s")


def create(api: httpx.Client, app: str, parameters: dict[str, object]) -> str:
    spec = {
        "application": {"name": app, "version": "1.0.0"},
        "product": {"id": "example-compute", "category": "example-compute", "provider": "example"},
        "replicas": 1,
        "allowDuplicateJob": True,
        "parameters": parameters,
        "resources": None,
        "timeAllocation": None,
    }
    r = api.post("/api/jobs", json={"items": [spec]})
    r.raise_for_status()
    job_id = str(r.json()["responses"][0]["id"])
    wait_running(api, job_id)
    return job_id


def open_session(api: httpx.Client, job_id: str, kind: str) -> dict[str, object]:
    r = api.post(
        "/api/jobs/interactiveSession",
        json={"items": [{"id": job_id, "rank": 0, "sessionType": kind}]},
    )
    r.raise_for_status()
    return dict(r.json()["responses"][0])


def direct_port(data_dir: Path, job_id: str) -> int:
    """The application's own port: the local provider records it as rank-0.webport."""
    for path in data_dir.rglob("rank-0.webport"):
        if path.parent.name == job_id:
            return int(path.read_text())
    raise RuntimeError(f"no rank-0.webport for job {job_id} under {data_dir}")


def ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def latencies(
    proxied: httpx.Client, direct: httpx.Client, path: str, n: int
) -> tuple[list[float], list[float]]:
    via: list[float] = []
    straight: list[float] = []
    for i in range(n + 50):
        for client, out in ((proxied, via), (direct, straight)):
            began = time.perf_counter()
            r = client.get(path)
            elapsed = ms_since(began)
            if r.status_code != 200:
                raise RuntimeError(
                    f"{client.base_url}{path} answered {r.status_code}: {r.text[:200]}"
                )
            if i >= 50:  # warm-up
                out.append(elapsed)
    return via, straight


def download(client: httpx.Client, path: str, size: int) -> float:
    """MiB/s of one streamed GET, the body read and dropped."""
    began = time.perf_counter()
    got = 0
    with client.stream("GET", path) as r:
        r.raise_for_status()
        for chunk in r.iter_raw(1024 * 1024):
            got += len(chunk)
    seconds = time.perf_counter() - began
    if got != size:
        raise RuntimeError(f"got {got} bytes, not {size}")
    return size / MIB / seconds


def shell_echo(server: BenchServer, api: httpx.Client, job_id: str, keys: int) -> list[float]:
    opened = open_session(api, job_id, "SHELL")
    session = opened["session"]
    assert isinstance(session, dict)
    url = f"ws://127.0.0.1:{server.port}/ucloud/{opened['providerId']}/websocket"
    times: list[float] = []
    with connect(url, open_timeout=30) as ws:

        def send(payload: dict[str, object], stream: str) -> None:
            ws.send(
                json.dumps(
                    {"call": "jobs.compute.shell.open", "streamId": stream, "payload": payload}
                )
            )

        def until(predicate: object, timeout: float = 10.0) -> str:
            text = ""
            deadline = time.monotonic() + timeout
            while True:
                frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                if frame["type"] == "message" and frame["payload"]["type"] == "data":
                    text += frame["payload"]["data"]
                    if callable(predicate) and predicate(text):
                        return text
                elif frame["type"] == "response" and frame["streamId"] == "0":
                    raise RuntimeError(f"the shell closed: {frame}")

        send(
            {
                "type": "initialize",
                "sessionIdentifier": session["sessionIdentifier"],
                "cols": 200,
                "rows": 50,
            },
            "0",
        )
        send({"type": "input", "data": "echo ready-$((40+2))\r"}, "1")
        until(lambda text: "ready-42" in text, timeout=30)
        for i in range(keys + 20):
            key = "abcdefghijklmnopqrstuvwxyz"[i % 26]
            began = time.perf_counter()
            send({"type": "input", "data": key}, str(i + 2))
            until(lambda text, key=key: key in text)
            if i >= 20:
                times.append(ms_since(began))
            if i % 50 == 49:
                send({"type": "input", "data": "\x15"}, f"clear-{i}")  # Ctrl-U: an empty line again
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests of each kind")
    parser.add_argument("--mib", type=int, default=100, help="size of the download")
    parser.add_argument("--downloads", type=int, default=5, help="downloads of each kind")
    parser.add_argument("--keys", type=int, default=300, help="keystrokes timed")
    args = parser.parse_args()

    base_dir = Path(tempfile.mkdtemp(prefix="orchid-bench-sessions-"))
    load_before = os.getloadavg()
    server = BenchServer(base_dir / "data", log_level="warning").start(timeout=120)
    rows: list[Row] = []
    try:
        token = server.create_user("bench")
        api = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        web_job = create(api, "acme-web-application", {})
        session = open_session(api, web_job, "WEB")["session"]
        assert isinstance(session, dict)
        url = urlsplit(str(session["redirectClientTo"]))
        base = url.path
        port = direct_port(server.data_dir, web_job)
        proxied = httpx.Client(base_url=server.url, timeout=60, follow_redirects=True)
        # Opening the session URL once stores its token in the cookie, as a browser tab does.
        first = proxied.get(f"{base}?{url.query}")
        deadline = time.monotonic() + 30
        while first.status_code == 502 and time.monotonic() < deadline:
            time.sleep(0.05)
            first = proxied.get(f"{base}?{url.query}")
        first.raise_for_status()
        direct = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)

        via, straight = latencies(proxied, direct, f"{base}bytes?n=0", args.requests)
        added = percentile(via, 50) - percentile(straight, 50)
        rows += [
            Row.distribution("S1", "GET of an empty response, direct to the application", straight),
            Row.distribution("S1", "the same through the session proxy", via),
            Row.single(
                "S1",
                "added by the proxy (p50 proxied - p50 direct)",
                added,
                "ms",
                samples=len(via),
                target="< 2 ms p50",
                met=added < 2,
            ),
        ]

        size = args.mib * MIB
        down_via: list[float] = []
        down_direct: list[float] = []
        for _ in range(args.downloads):
            down_direct.append(download(direct, f"{base}bytes?n={size}", size))
            down_via.append(download(proxied, f"{base}bytes?n={size}", size))
        best_direct, best_via = max(down_direct), max(down_via)
        rows += [
            Row.single(
                "S2",
                f"download of {args.mib} MiB, direct (best of {args.downloads})",
                best_direct,
                "MiB/s",
                samples=len(down_direct),
            ),
            Row.single(
                "S2",
                f"download of {args.mib} MiB through the proxy (best of {args.downloads})",
                best_via,
                "MiB/s",
                samples=len(down_via),
                target="≥ 50% of direct",
                met=best_via >= 0.5 * best_direct,
                notes=[
                    f"{100 * best_via / best_direct:.0f}% of direct; median {sorted(down_via)[len(down_via) // 2]:.0f} vs {sorted(down_direct)[len(down_direct) // 2]:.0f} MiB/s"
                ],
            ),
        ]

        shell_job = create(api, "shell-script", {"script": {"type": "text", "value": "sleep 600"}})
        echo = shell_echo(server, api, shell_job, args.keys)
        rows.append(
            Row.distribution(
                "S3",
                "shell keystroke echo: input frame sent -> data frame with the echo received",
                echo,
                target="< 20 ms p95",
                met=percentile(echo, 95) < 20,
            )
        )
        api.post("/api/jobs/terminate", json={"items": [{"id": web_job}, {"id": shell_job}]})
    finally:
        server.stop()
    header = [
        f"Sessions (load average before {'/'.join(f'{x:.2f}' for x in load_before)}, "
        f"after {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs)",
        "",
    ]
    table = "\n".join(header) + markdown_table(rows)
    print(table)
    out = ROOT / "bench" / "results" / "sessions.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
