"""Container applications (and their native twin) on the local provider, through a real podman, with a real image built
from Debian's busybox-static and imported with `orchid images import`.

The example file `examples/apps/hello-container.yml` is the application under test, served from an
operator directory next to a native one, like any other application file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchid.providers.podman import Podman
from tests.client.servers import running_server
from tests.containers.images import IMAGE, import_busybox, require_podman
from tests.support import Api, Server, job_spec, logs_of, restart_while_running, wait_until

EXAMPLES = Path(__file__).parents[2] / "examples" / "apps"

STUBBORN = """\
application: v1
name: stubborn
version: "1"
tool: {name: busybox, version: "1.35"}
invocation: [sh, -c, 'trap "" TERM; echo ready; while true; do sleep 1; done']
"""


def native_twin(container_app: str) -> str:
    """The same application with a native tool: the same lifecycle must hold for both."""
    native = container_app.replace(f"backend: DOCKER\nimage: {IMAGE}\n", "backend: NATIVE\n")
    assert native != container_app
    return native.replace("name: busybox", "name: native-shell").replace(
        "name: hello-container", "name: hello-native"
    )


BOTH = pytest.mark.parametrize("app", ["hello-container", "hello-native"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_podman()
    base = tmp_path_factory.mktemp("containers")
    apps = base / "apps"
    apps.mkdir()
    shutil.copy(EXAMPLES / "hello-container.yml", apps)
    shutil.copy(EXAMPLES / "countdown.yml", apps)
    (apps / "stubborn.yml").write_text(STUBBORN)
    (apps / "hello-native.yml").write_text(
        native_twin((EXAMPLES / "hello-container.yml").read_text())
    )
    (apps / "missing-image.yml").write_text(
        (EXAMPLES / "hello-container.yml")
        .read_text()
        .replace(IMAGE, "localhost/not-imported:1")
        .replace("name: busybox", "name: nothing")
        .replace("name: hello-container", "name: no-image")
    )
    (base / "orchid.toml").write_text('[catalog]\ndirectories = ["apps"]\n')
    import_busybox(base / "data", base)
    with running_server(base / "data", args=["--config", str(base / "orchid.toml")]) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return server.user("ada")


def container_job(api: Api, app: str = "hello-container", **values: Any) -> str:
    kinds = {"who": "text", "seconds": "integer", "exitCode": "integer"}
    parameters = {k: {"type": kinds[k], "value": v} for k, v in values.items()}
    return api.create(app=app, version="1" if app == "stubborn" else "1.0", parameters=parameters)


def containers_of(server: Server) -> list[str]:
    podman = Podman(server.data_dir / "containers")
    done = subprocess.run(
        [*podman.base(), "ps", "--all", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        env=podman.env(),
    )
    return done.stdout.split()


def wait_until_no_containers(server: Server, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := containers_of(server)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_the_container_app_is_listed_and_its_products_support_containers(api: Api) -> None:
    apps = api.http.get("/api/hpc/apps/browse", params={"itemsPerPage": 100}).json()["items"]
    support = api.http.get("/api/jobs/retrieveProducts").json()["productsByProvider"]["example"]

    assert {"hello-container", "hello-native"} <= {a["metadata"]["name"] for a in apps}
    hello = next(a for a in apps if a["metadata"]["name"] == "hello-container")
    assert hello["invocation"]["tool"]["tool"]["description"]["backend"] == "DOCKER"
    assert hello["invocation"]["tool"]["tool"]["description"]["image"] == IMAGE
    assert support[0]["support"]["docker"]["enabled"] is True


def test_a_container_job_runs_as_the_jobs_user_with_its_folder_as_work(
    server: Server, api: Api
) -> None:
    job_id = container_job(api, who="Grace", exitCode=3)

    frames = list(api.follow(job_id))
    job = api.retrieve(job_id)

    assert job["status"]["state"] == "SUCCESS"
    assert job["updates"][-1]["status"] == "Your job has completed (exit code 3)"
    # (jobs never run as root: a root Orchid runs them as the account of their user)
    written = server.workdir(job_id) / "greeting.txt"
    uid = written.stat().st_uid
    assert uid != 0 or os.geteuid() != 0
    assert logs_of(frames)[0] == f"Hello Grace, I am {uid} in /work\n"
    assert logs_of(frames, "stderr")[0] == "done\n"
    assert written.read_text() == "Grace\n"
    assert wait_until_no_containers(server) == []


@BOTH
def test_a_job_is_terminated_and_leaves_no_container(server: Server, api: Api, app: str) -> None:
    job_id = container_job(api, app, seconds=600)
    api.wait_for(job_id, "RUNNING")

    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    job = api.wait_for(job_id, "SUCCESS")

    assert job["updates"][-1]["status"] == "Your job has been cancelled!"
    assert wait_until_no_containers(server) == []


def test_a_container_that_ignores_sigterm_is_killed_and_removed(server: Server, api: Api) -> None:
    job_id = container_job(api, app="stubborn")
    api.wait_for(job_id, "RUNNING")
    stdout = server.data_dir / "jobs" / job_id / "rank-0.stdout"
    wait_until(lambda: "ready" in stdout.read_text(), f"job {job_id} to set its trap")

    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    job = api.wait_for(job_id, "SUCCESS", timeout=30)

    assert job["updates"][-1]["status"] == "Your job has been cancelled!"
    assert wait_until_no_containers(server) == []


@BOTH
def test_a_job_is_extended_then_expires(server: Server, api: Api, app: str) -> None:
    job_id = api.create(
        app=app,
        version="1.0",
        seconds=1,
        parameters={"seconds": {"type": "integer", "value": 600}},
    )
    started = api.wait_for(job_id, "RUNNING")
    r = api.http.post(
        "/api/jobs/extend",
        json={
            "items": [{"jobId": job_id, "requestedTime": {"hours": 0, "minutes": 0, "seconds": 2}}]
        },
    )
    assert r.status_code == 200, r.text
    assert api.retrieve(job_id)["status"]["expiresAt"] == started["status"]["expiresAt"] + 2000

    expired = api.wait_for(job_id, "EXPIRED", "SUCCESS", "FAILURE", timeout=15)

    assert expired["status"]["state"] == "EXPIRED"
    assert wait_until_no_containers(server) == []


@BOTH
def test_a_job_survives_a_restart_of_orchid(server: Server, api: Api, app: str) -> None:
    job_id = container_job(api, app, who="again", seconds=600)

    stdout = restart_while_running(server, api, job_id)

    assert stdout.startswith("Hello again, ")
    assert wait_until_no_containers(server) == []


def test_an_image_that_is_missing_is_refused_at_create(api: Api) -> None:
    before = api.http.get("/api/jobs/browse", params={"itemsPerPage": 1000}).json()["items"]
    spec = job_spec(app="no-image", version="1.0", parameters={})

    r = api.http.post("/api/jobs", json={"items": [spec]})

    assert r.status_code == 400
    assert r.json() == {
        "why": "container image 'localhost/not-imported:1' is not on this machine; import it "
        "with `orchid images import FILE.tar`",
        "errorCode": "UNKNOWN_IMAGE",
    }
    after = api.http.get("/api/jobs/browse", params={"itemsPerPage": 1000}).json()["items"]
    assert len(after) == len(before)


def test_native_and_container_apps_run_side_by_side(api: Api) -> None:
    native = api.create(
        app="countdown",
        version="1.0",
        parameters={
            "start": {"type": "integer", "value": 1},
            "pause": {"type": "floating_point", "value": 0},
        },
    )
    contained = container_job(api, who="side")

    assert api.wait_for(native, "SUCCESS")["status"]["state"] == "SUCCESS"
    assert api.wait_for(contained, "SUCCESS")["status"]["state"] == "SUCCESS"
