"""Files through the API: a 1 GiB upload and download against `cp` on the same disk, the server's
memory while they run, and browsing a folder of 10,000 files.

    .venv/bin/python bench/files.py [--size-mib 1024] [--runs 3] [--entries 10000]

Starts an `orchid serve` with a fresh data directory (so its storage root, `<data>/files`, is on
the same disk as the scratch files) and measures, through the SDK (`Client.files`, streamed in
16 MB chunks, as `orchid files upload|download` does):

- upload: `Client.files.upload` of a file of random bytes (in the page cache, as is the copy's
  source) until the server answers that the file is complete, which it does only after the data is
  fdatasync'ed. Compared with `cp SRC DST && sync DST` (the same bytes on disk), and plain `cp`;
- download: `Client.files.download` of that file to a local file, compared with plain `cp`;
- server RSS (VmRSS of /proc/<pid>/status) sampled every 20 ms during each transfer, against the
  idle RSS just before it (target: flat, < 50 MiB over idle);
- browse: `GET /api/files/browse?path=<folder>&itemsPerPage=100` (the first page, by name and by
  size) of a folder holding `--entries` files (1 byte each, written straight into the drive's
  folder on disk, as a job would leave them), over one keep-alive connection (target < 100 ms p50).

A benchmark, not a test: it prints a markdown table (also written to bench/results/files.md).
Runs alternate: cp, upload, download, so a burst of load from elsewhere hits all three alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.server import BenchServer, cpu_seconds, rss_mib
from bench.stats import Row, markdown_table, percentile
from orchid.client import Client

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20


class RssSampler:
    """The highest VmRSS of a process while the `with` block runs (sampled every 20 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib(self.pid))

    @contextmanager
    def sampling(self) -> Iterator[RssSampler]:
        self.peak = rss_mib(self.pid)
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self._stop.clear()


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def _own_cpu() -> float:
    """CPU seconds of this process and of the children it waited for (cp, sync)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class Costs:
    """Wall time and CPU seconds (the server's, and this client's with its children) of actions."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall: list[float] = []
        self.server: list[float] = []
        self.client: list[float] = []

    def run(self, action: Callable[[], object]) -> None:
        server0, client0 = cpu_seconds(self.server_pid)[0], _own_cpu()
        self.wall.append(timed(action))
        self.server.append(cpu_seconds(self.server_pid)[0] - server0)
        self.client.append(_own_cpu() - client0)


def random_file(path: Path, size: int) -> None:
    """`size` random bytes (so no layer can compress them), written in 16 MiB pieces."""
    with path.open("wb") as out:
        left = size
        while left:
            piece = min(left, 16 * MIB)
            out.write(os.urandom(piece))
            left -= piece


def copy_with_sync(src: Path, dst: Path) -> None:
    subprocess.run(["cp", str(src), str(dst)], check=True)
    subprocess.run(["sync", str(dst)], check=True)


def plain_copy(src: Path, dst: Path) -> None:
    subprocess.run(["cp", str(src), str(dst)], check=True)


def fill_folder(folder: Path, count: int) -> None:
    folder.mkdir(mode=0o700)
    for i in range(count):
        (folder / f"file-{i:05d}.dat").write_bytes(b"x")


def browse_times(url: str, token: str, path: str, runs: int, sort_by: str) -> list[float]:
    params = {"path": path, "itemsPerPage": "100", "sortBy": sort_by}
    times = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        for i in range(runs + 5):
            began = time.perf_counter()
            r = http.get("/api/files/browse", params=params)
            elapsed = (time.perf_counter() - began) * 1000
            if r.status_code != 200 or len(r.json()["items"]) != 100:
                raise RuntimeError(f"browse answered {r.status_code}: {r.text[:300]}")
            if i >= 5:  # the first few warm the caches
                times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the file moved")
    parser.add_argument("--runs", type=int, default=3, help="transfers of each kind")
    parser.add_argument("--entries", type=int, default=10_000, help="files in the browsed folder")
    parser.add_argument("--browse-runs", type=int, default=100, help="browse requests per sort")
    args = parser.parse_args()
    size = args.size_mib * MIB

    base = Path(tempfile.mkdtemp(prefix="orchid-bench-files-"))
    load_before = os.getloadavg()
    server = BenchServer(base / "data", log_level="warning").start(timeout=180)
    rows: list[Row] = []
    up_peak: list[float] = []
    down_peak: list[float] = []
    idle: list[float] = []
    try:
        token = server.create_user("bench")
        source = base / "source.bin"
        random_file(source, size)
        sampler = RssSampler(server.pid)
        cp_sync, cp_plain, up, down = (Costs(server.pid) for _ in range(4))
        with Client(server.url, token) as client:
            home = client.files.home().id
            # A small warm-up transfer each way (imports, first connections).
            client.files.upload(_small(base), f"/{home}/warm")
            client.files.download(f"/{home}/warm", base / "warm.out")
            for run in range(args.runs):
                target = base / f"cp-{run}.bin"
                cp_sync.run(lambda t=target: copy_with_sync(source, t))
                target.unlink()
                cp_plain.run(lambda t=target: plain_copy(source, t))
                target.unlink()
                remote = f"/{home}/big-{run}.bin"
                idle.append(rss_mib(server.pid))
                with sampler.sampling() as seen:
                    up.run(lambda r=remote: client.files.upload(source, r))
                up_peak.append(seen.peak)
                local = base / f"down-{run}.bin"
                with sampler.sampling() as seen:
                    down.run(lambda r=remote, x=local: client.files.download(r, x))
                down_peak.append(seen.peak)
                if local.stat().st_size != size:
                    raise RuntimeError(f"downloaded {local.stat().st_size} bytes, not {size}")
                local.unlink()
                client.files.delete(remote)
            drive_folder = base / "data" / "files" / home / "many"
            fill_folder(drive_folder, args.entries)
            by_name = browse_times(server.url, token, f"/{home}/many", args.browse_runs, "PATH")
            by_size = browse_times(server.url, token, f"/{home}/many", args.browse_runs, "SIZE")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    def rate(seconds: list[float]) -> list[float]:
        return [size / MIB / s for s in seconds]

    label = f"{args.size_mib:,} MiB"
    best_cp_sync = percentile(rate(cp_sync.wall), 50)
    best_cp = percentile(rate(cp_plain.wall), 50)
    up_rate, down_rate = percentile(rate(up.wall), 50), percentile(rate(down.wall), 50)
    rows += [
        Row.distribution("F1", f"cp {label} + sync (same disk)", rate(cp_sync.wall), "MiB/s"),
        Row.distribution("F1", f"cp {label} (same disk)", rate(cp_plain.wall), "MiB/s"),
        Row.distribution(
            "F1",
            f"upload {label}, SDK Client.files.upload (16 MB chunks, fdatasync at the end)",
            rate(up.wall),
            "MiB/s",
            target="≥ 70% of cp + sync",
            met=up_rate >= 0.7 * best_cp_sync,
            notes=[
                f"{100 * up_rate / best_cp_sync:.0f}% of cp + sync, {100 * up_rate / best_cp:.0f}% of cp"
            ],
        ),
        Row.distribution(
            "F1",
            f"download {label}, SDK Client.files.download (streamed to a file)",
            rate(down.wall),
            "MiB/s",
            target="≥ 70% of cp",
            met=down_rate >= 0.7 * best_cp,
            notes=[f"{100 * down_rate / best_cp:.0f}% of cp"],
        ),
    ]
    gib = size / 2**30
    for name, costs in (
        ("cp + sync", cp_sync),
        ("cp", cp_plain),
        ("upload", up),
        ("download", down),
    ):
        server_cpu = percentile(costs.server, 50) / gib
        client_cpu = percentile(costs.client, 50) / gib
        rows.append(
            Row.single(
                "F1",
                f"CPU per GiB, {name}: client (cp for cp) + server",
                client_cpu + server_cpu,
                "s",
                samples=len(costs.wall),
                notes=[f"client {client_cpu:.2f} s, server {server_cpu:.2f} s (p50 of each)"],
            )
        )
    idle_rss = max(idle)
    for name, peaks in (("upload", up_peak), ("download", down_peak)):
        over = max(peaks) - idle_rss
        rows.append(
            Row.single(
                "F2",
                f"server RSS during the {name}, highest over idle ({idle_rss:.1f} MiB idle)",
                over,
                "MiB",
                samples=len(peaks),
                target="< 50 MiB",
                met=over < 50,
            )
        )
    for sort_by, times in (("by name", by_name), ("by size", by_size)):
        rows.append(
            Row.distribution(
                "F3",
                f"browse, first 100 of {args.entries:,} files, sorted {sort_by}",
                times,
                "ms",
                target="< 100 ms p50",
                met=percentile(times, 50) < 100,
            )
        )
    header = [
        f"Files through the API, {args.runs} runs of each transfer, alternating "
        f"(load average before {'/'.join(f'{x:.2f}' for x in load_before)}, "
        f"after {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs)",
        "",
    ]
    table = "\n".join(header) + markdown_table(rows)
    print(table)
    out = ROOT / "bench" / "results" / "files.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


def _small(base: Path) -> Path:
    path = base / "warm.bin"
    path.write_bytes(os.urandom(MIB))
    return path


if __name__ == "__main__":
    main()
