"""The seed documents, verbatim: extending a job and terminating it early, and following a job."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support import Api, Server, logs_of

SEED_CREATE = {
    "items": [
        {
            "application": {"name": "acme-web-application", "version": "1.0.0"},
            "product": {
                "id": "example-compute",
                "category": "example-compute",
                "provider": "example",
            },
            "name": None,
            "replicas": 1,
            "allowDuplicateJob": False,
            "parameters": None,
            "resources": None,
            "timeAllocation": {"hours": 5, "minutes": 0, "seconds": 0},
        }
    ]
}
SEED_RETRIEVE = (
    "/api/jobs/retrieve?includeProduct=false&includeOthers=false"
    "&includeUpdates=false&includeSupport=false&id={id}"
)
UPDATE_FIELDS = {
    "state",
    "outputFolder",
    "status",
    "expectedState",
    "expectedDifferentState",
    "newTimeAllocation",
    "allowRestart",
    "newMounts",
    "timestamp",
}
HOUR_MS = 3_600_000
APP_TITLE = "Acme web application"


@pytest.fixture(scope="module")
def user(server: Server) -> Api:
    return server.user("user")


def states_and_texts(job: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [(u["state"], u["status"]) for u in job["updates"]]


def test_extending_a_job_and_terminating_it_early(user: Api) -> None:
    # Given the seed's create request, verbatim
    created = user.http.post("/api/jobs", json=SEED_CREATE)
    assert created.status_code == 200
    job_id = created.json()["responses"][0]["id"]
    assert created.json() == {"responses": [{"id": job_id}]}
    user.wait_for(job_id, "RUNNING")

    # When it is retrieved with the seed's query string
    job = user.http.get(SEED_RETRIEVE.format(id=job_id)).json()

    # Then every field of the seed is there, with the seed's values
    assert job["id"] == job_id
    assert job["owner"] == {"createdBy": "user", "project": None}
    assert job["specification"] == SEED_CREATE["items"][0] | {
        "openedFile": None,
        "restartOnExit": None,
        "sshEnabled": None,
    }
    assert job["permissions"] is None
    assert job["providerGeneratedId"] == job_id
    assert states_and_texts(job) == [
        ("IN_QUEUE", "Your job is now waiting in the queue!"),
        ("RUNNING", "Your job is now running!"),
    ]
    # Its /work is a folder of the user's Home drive (decision 12), named by the update that
    # started the job
    folder = job["output"]["outputFolder"]
    assert re.fullmatch(rf"/\d+/Jobs/{APP_TITLE}/{job_id}", folder), folder
    assert [u["outputFolder"] for u in job["updates"]] == [None, folder]
    assert all(set(u) == UPDATE_FIELDS for u in job["updates"])
    assert job["updates"][0]["timestamp"] == job["createdAt"]
    status = job["status"]
    assert status["state"] == "RUNNING"
    assert status["expiresAt"] == status["startedAt"] + 5 * HOUR_MS
    for key in ("jobParametersJson", "resolvedApplication", "resolvedSupport", "resolvedProduct"):
        assert status[key] is None

    # When the job is extended by one hour
    extended = user.http.post(
        "/api/jobs/extend",
        json={
            "items": [{"jobId": job_id, "requestedTime": {"hours": 1, "minutes": 0, "seconds": 0}}]
        },
    )
    assert extended.status_code == 200 and extended.json() == {"responses": [{}]}

    # Then expiresAt moved by exactly one hour; the allocation and the updates did not change
    after = user.http.get(SEED_RETRIEVE.format(id=job_id)).json()
    assert after["status"]["expiresAt"] == status["expiresAt"] + HOUR_MS
    assert after["specification"]["timeAllocation"] == {"hours": 5, "minutes": 0, "seconds": 0}
    assert after["updates"] == job["updates"]

    # When it is terminated
    terminated = user.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    assert terminated.status_code == 200 and terminated.json() == {"responses": [{}]}

    # Then it passes through CANCELING and ends in SUCCESS "Your job has been cancelled!"
    user.wait_for(job_id, "SUCCESS")
    final = user.http.get(SEED_RETRIEVE.format(id=job_id)).json()
    assert final["status"]["state"] == "SUCCESS"
    assert final["status"]["expiresAt"] is None
    assert states_and_texts(final) == [
        ("IN_QUEUE", "Your job is now waiting in the queue!"),
        ("RUNNING", "Your job is now running!"),
        ("CANCELING", "Your job is being cancelled"),
        ("SUCCESS", "Your job has been cancelled!"),
    ]
    timestamps = [u["timestamp"] for u in final["updates"]]
    assert timestamps == sorted(timestamps)


def test_following_the_progress_of_a_job(user: Api) -> None:
    # Given a job that prints bash's version and ends
    job_id = user.create(script="sleep 0.3; bash --version")

    # When it is followed from the start
    frames = list(user.follow(job_id))

    # Then the first message carries the whole job and its status
    first = frames[0]
    assert first["type"] == "message" and first["streamId"] == "0"
    assert first["payload"]["initialJob"]["id"] == job_id
    assert first["payload"]["newStatus"]["state"] in ("IN_QUEUE", "RUNNING")
    # ... the log arrives with its rank ...
    assert logs_of(frames)[0].startswith("GNU bash, version")
    # ... the states arrive as updates with a new status, in order ...
    states = [
        u["state"]
        for f in frames
        if f["type"] == "message"
        for u in f["payload"]["updates"]
        if u["state"]
    ]
    assert states == ["IN_QUEUE", "RUNNING", "SUCCESS"]
    last_message = frames[-2]["payload"]
    assert last_message["newStatus"]["state"] == "SUCCESS"
    assert last_message["updates"][-1]["status"] == "Your job has completed (exit code 0)"
    # ... and the stream ends with the response frame
    assert frames[-1] == {"type": "response", "streamId": "0", "payload": {}, "status": 200}
