"""A trivial container job against the same trivial job run natively: create -> SUCCESS.

    .venv/bin/python bench/containers.py [--runs 20]

Starts an `orchid serve` (local provider, fresh data directory) whose catalog has two applications
that run `true`: one natively, one in a 2 MB busybox-static image imported with
`orchid images import` (the image the tests build). Jobs are created one at a time, alternating
native and container, each after the previous one ended; the client polls `retrieve` every 10 ms.
Reported per kind: the server's time from creation to RUNNING and to SUCCESS (update timestamps)
and the client's wall time from POST to seeing SUCCESS. The container start cost is the figure to
watch: it is podman's (`podman run --rm --init`), which sandboxing.md measured at 0.22-0.24 s for
`podman run --rm --network none IMAGE true` on an idle machine.

A benchmark, not a test: it prints a markdown table (also written to bench/results/containers.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.containers.images import IMAGE, busybox_rootfs_tar, missing

from bench.client import Api, update_timestamp
from bench.server import ORCHID, BenchServer
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent

APPS = f"""\
tool: v1
name: bench-native
version: "1"
backend: NATIVE
---
tool: v1
name: bench-busybox
version: "1"
backend: DOCKER
image: {IMAGE}
---
application: v1
name: native-true
version: "1"
tool: {{name: bench-native, version: "1"}}
invocation: ["true"]
---
application: v1
name: container-true
version: "1"
tool: {{name: bench-busybox, version: "1"}}
invocation: ["true"]
"""


def spec(app: str) -> dict[str, object]:
    return {
        "application": {"name": app, "version": "1"},
        "product": {"id": "example-compute", "category": "example-compute", "provider": "example"},
        "replicas": 1,
        "allowDuplicateJob": True,
        "parameters": {},
    }


def one(api: Api, app: str) -> tuple[float, float, float]:
    """(created -> RUNNING, created -> SUCCESS on the server, POST -> SUCCESS seen), ms."""
    began = time.perf_counter()
    [job_id] = api.create(spec(app))
    job = api.wait_for(job_id, frozenset({"SUCCESS"}), timeout=60, interval=0.01)
    seen = (time.perf_counter() - began) * 1000
    if job["status"]["state"] != "SUCCESS":
        raise RuntimeError(f"{app} job {job_id} ended {job['status']['state']}: {job['updates']}")
    created = job["createdAt"]
    running = update_timestamp(job, "RUNNING")
    success = update_timestamp(job, "SUCCESS")
    assert running is not None and success is not None
    return running - created, success - created, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="jobs of each kind")
    args = parser.parse_args()
    reason = missing()
    if reason is not None:
        sys.exit(f"cannot run: {reason}")

    base = Path(tempfile.mkdtemp(prefix="orchid-bench-containers-"))
    (base / "apps").mkdir()
    (base / "apps" / "bench.yml").write_text(APPS)
    (base / "orchid.toml").write_text('[catalog]\ndirectories = ["apps"]\n')
    data = base / "data"
    archive = busybox_rootfs_tar(base / "busybox.tar")
    subprocess.run(
        [*ORCHID, "images", "import", str(archive), "--name", IMAGE, "--data-dir", str(data)],
        check=True,
        capture_output=True,
    )
    server = BenchServer(
        data, env={"ORCHID_CONFIG": str(base / "orchid.toml"), "ORCHID_LOCAL_CPUS": "64"}
    ).start()
    results: dict[str, list[tuple[float, float, float]]] = {"native-true": [], "container-true": []}
    try:
        with Api(server.url, server.create_user("bench")) as api:
            for app in results:  # one warm-up job each (imports, page cache)
                one(api, app)
            for _ in range(args.runs):
                for app in results:
                    results[app].append(one(api, app))
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    lines = [
        f"Container vs native job, create -> SUCCESS, {args.runs} jobs each, alternating "
        "(ms; p50 / p95)",
        "",
        "| figure | native | container | container - native (p50) |",
        "| --- | --- | --- | --- |",
    ]
    names = ("created -> RUNNING (server)", "created -> SUCCESS (server)", "POST -> SUCCESS seen")
    for index, name in enumerate(names):
        native = [r[index] for r in results["native-true"]]
        container = [r[index] for r in results["container-true"]]
        n50, c50 = percentile(native, 50), percentile(container, 50)
        lines.append(
            f"| {name} | {n50:.0f} / {percentile(native, 95):.0f} | "
            f"{c50:.0f} / {percentile(container, 95):.0f} | {c50 - n50:+.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results" / "containers.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")


if __name__ == "__main__":
    main()
