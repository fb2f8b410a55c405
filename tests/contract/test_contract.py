"""The provider contract: every story here runs unchanged on the local provider and on Slurm,
through a real `orchid serve --config FILE` (the seeds' requests, verbatim but for the product)."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.api.test_seeds import HOUR_MS, SEED_CREATE
from tests.contract.conftest import Target
from tests.support import Api, job_spec, logs_of, read_until, wait_until


def states_of(job: dict[str, Any]) -> list[str]:
    return [u["state"] for u in job["updates"] if u["state"]]


def last_status(job: dict[str, Any]) -> str:
    return str(job["updates"][-1]["status"])


def test_extending_a_job_and_terminating_it_early(target: Target, api: Api) -> None:
    # Given the seed's create request, on this provider's product
    request = copy.deepcopy(SEED_CREATE)
    request["items"][0]["product"] = {
        "id": target.small,
        "category": target.category,
        "provider": target.provider,
    }
    created = api.http.post("/api/jobs", json=request)
    assert created.status_code == 200, created.text
    job_id = created.json()["responses"][0]["id"]
    job = api.wait_for(job_id, "RUNNING")
    assert states_of(job) == ["IN_QUEUE", "RUNNING"]
    assert job["providerGeneratedId"] is not None
    assert job["status"]["expiresAt"] == job["status"]["startedAt"] + 5 * HOUR_MS

    # When it is extended by one hour
    extend = {
        "items": [{"jobId": job_id, "requestedTime": {"hours": 1, "minutes": 0, "seconds": 0}}]
    }
    extended = api.http.post("/api/jobs/extend", json=extend)
    assert extended.status_code == 200 and extended.json() == {"responses": [{}]}
    # Then expiresAt moved by exactly an hour, and nothing else changed
    after = api.retrieve(job_id)
    assert after["status"]["expiresAt"] == job["status"]["expiresAt"] + HOUR_MS
    assert after["specification"]["timeAllocation"] == {"hours": 5, "minutes": 0, "seconds": 0}
    assert after["updates"] == job["updates"]

    # When it is terminated, it passes through CANCELING and ends "cancelled"
    terminated = api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    assert terminated.status_code == 200
    final = api.wait_for(job_id, "SUCCESS", "FAILURE")
    assert states_of(final) == ["IN_QUEUE", "RUNNING", "CANCELING", "SUCCESS"]
    assert last_status(final) == "Your job has been cancelled!"
    assert final["status"]["expiresAt"] is None


def test_following_the_progress_of_a_job(target: Target, api: Api) -> None:
    # Given a job that prints bash's version and ends
    job_id = target.create(api, script="sleep 0.3; bash --version")
    # When it is followed from the start
    frames = list(api.follow(job_id))
    # Then the log arrives whole, the states in order, and the stream ends with a response
    assert logs_of(frames)[0].startswith("GNU bash, version")
    states = [
        u["state"]
        for f in frames
        if f["type"] == "message"
        for u in f["payload"]["updates"]
        if u["state"]
    ]
    assert states == ["IN_QUEUE", "RUNNING", "SUCCESS"]
    assert frames[-2]["payload"]["updates"][-1]["status"] == "Your job has completed (exit code 0)"
    assert frames[-1] == {"type": "response", "streamId": "0", "payload": {}, "status": 200}


def test_late_followers_get_every_line_exactly_once(target: Target, api: Api) -> None:
    # Given a job printing 300 numbered lines over about 1.5 s
    job_id = target.create(api, script="for i in $(seq 1 300); do echo line $i; sleep 0.005; done")
    expected = "".join(f"line {i}\n" for i in range(1, 301))
    early = api.follow(job_id)
    early_frames = read_until(early, [next(early)], lambda seen: bool(logs_of(seen)))
    # When a second follower joins while it prints (the first one has seen a line)
    late_frames = list(api.follow(job_id))
    early_frames.extend(early)
    # Then both saw every line once, in order, and the stream ended with the final state
    assert logs_of(early_frames) == {0: expected}
    assert logs_of(late_frames) == {0: expected}
    for frames in (early_frames, late_frames):
        assert frames[-1]["status"] == 200
        assert frames[-2]["payload"]["newStatus"]["state"] == "SUCCESS"


def test_replicas_run_with_their_rank_and_log_separately(target: Target, api: Api) -> None:
    job_id = target.create(
        api,
        script='echo "rank $ORCHID_RANK of $ORCHID_REPLICAS in job $ORCHID_JOB_ID"; echo oops >&2',
        replicas=2,
    )
    frames = list(api.follow(job_id))
    assert logs_of(frames) == {
        0: f"rank 0 of 2 in job {job_id}\n",
        1: f"rank 1 of 2 in job {job_id}\n",
    }
    assert logs_of(frames, "stderr") == {0: "oops\n", 1: "oops\n"}


def test_exit_codes_are_reported_and_still_a_success(target: Target, api: Api) -> None:
    one = target.create(api, script="echo about to fail; exit 3")
    per_rank = target.create(api, script="exit $((ORCHID_RANK + 4))", replicas=2)
    job = api.wait_for(one, "SUCCESS", "FAILURE")
    assert (job["status"]["state"], last_status(job)) == (
        "SUCCESS",
        "Your job has completed (exit code 3)",
    )
    job = api.wait_for(per_rank, "SUCCESS", "FAILURE")
    assert last_status(job) == "Your job has completed (exit codes rank 0: 4, rank 1: 5)"


def test_a_job_expires_within_a_second_of_its_deadline(target: Target, api: Api) -> None:
    job_id = target.create(api, script="sleep 60", seconds=2)
    running = api.wait_for(job_id, "RUNNING")
    deadline = running["status"]["expiresAt"]
    assert deadline == running["status"]["startedAt"] + 2000
    expired = api.wait_for(job_id, "EXPIRED", "SUCCESS", "FAILURE", timeout=10)
    assert expired["status"]["state"] == "EXPIRED"
    assert expired["status"]["expiresAt"] is None
    assert 0 <= expired["updates"][-1]["timestamp"] - deadline < 1000


def test_an_extension_postpones_expiry(target: Target, api: Api) -> None:
    # Given a job with one second of allocation
    job_id = target.create(api, script="sleep 60", seconds=1)
    running = api.wait_for(job_id, "RUNNING")
    # When it is extended by two seconds
    extend = {
        "items": [{"jobId": job_id, "requestedTime": {"hours": 0, "minutes": 0, "seconds": 2}}]
    }
    assert api.http.post("/api/jobs/extend", json=extend).status_code == 200
    # Then expiresAt moved by exactly that, and the job runs past its first deadline
    deadline = api.retrieve(job_id)["status"]["expiresAt"]
    assert deadline == running["status"]["expiresAt"] + 2000
    expired = api.wait_for(job_id, "EXPIRED", timeout=5)
    # ... until the new one
    assert 0 <= expired["updates"][-1]["timestamp"] - deadline < 1000


def test_jobs_wait_in_queue_while_the_cluster_is_full(target: Target, api: Api) -> None:
    # Given jobs that fill every node
    blockers = [
        target.create(api, product=target.node, script="sleep 60") for _ in range(target.slots)
    ]
    for blocker in blockers:
        api.wait_for(blocker, "RUNNING")
    # When one more node-sized job arrives, and another one that will be cancelled while queued
    waiting = target.create(api, product=target.node, script="echo finally")
    withdrawn = target.create(api, product=target.node, script="echo never")
    # Then they wait in the queue, and say why
    wait_until(
        lambda: "waiting for resources" in last_status(api.retrieve(waiting)),
        f"job {waiting} to say why it waits",
        timeout=10,
    )
    assert api.retrieve(waiting)["status"]["state"] == "IN_QUEUE"
    assert "(Resources)" in last_status(api.retrieve(waiting))
    # When the queued one is terminated, it is cancelled without ever running
    api.http.post("/api/jobs/terminate", json={"items": [{"id": withdrawn}]})
    job = api.wait_for(withdrawn, "SUCCESS", "FAILURE")
    assert states_of(job) == ["IN_QUEUE", "CANCELING", "SUCCESS"]
    assert last_status(job) == "Your job has been cancelled!"
    # When a node is freed, the waiting job runs
    api.http.post("/api/jobs/terminate", json={"items": [{"id": blockers[0]}]})
    done = api.wait_for(waiting, "SUCCESS", "FAILURE", timeout=20)
    assert states_of(done) == ["IN_QUEUE", "RUNNING", "SUCCESS"]
    api.http.post("/api/jobs/terminate", json={"items": [{"id": b} for b in blockers]})
    for blocker in blockers:
        api.wait_for(blocker, "SUCCESS")


def test_terminate_sends_sigterm_then_sigkill_after_a_grace_period(
    target: Target, api: Api
) -> None:
    # Given a job that ignores SIGTERM
    script = "trap 'echo got TERM' TERM; echo ready; while true; do sleep 0.1; done"
    job_id = target.create(api, script=script)
    stream = api.follow(job_id)
    frames = read_until(stream, [next(stream)], lambda seen: "ready" in logs_of(seen).get(0, ""))
    # When it is terminated (once its trap is set)
    started = time.monotonic()
    api.http.post("/api/jobs/terminate", json={"items": [{"id": job_id}]})
    assert api.retrieve(job_id)["status"]["state"] == "CANCELING"
    frames.extend(stream)
    elapsed = time.monotonic() - started
    # Then it saw SIGTERM, survived it, and was killed after the grace period
    # (ORCHID_TERMINATE_GRACE_SECONDS=1 for local processes, KillWait=2 on the test cluster)
    assert "got TERM" in logs_of(frames).get(0, "")
    assert 0.9 <= elapsed < (5 if target.kind == "local" else 10)
    assert frames[-2]["payload"]["updates"][-1]["status"] == "Your job has been cancelled!"


def test_a_job_that_could_never_fit_is_refused(target: Target, api: Api) -> None:
    # More node-sized replicas than there are nodes (or than the machine has room for)
    spec = job_spec(script="true", replicas=target.slots + 1, **target.spec(target.node))
    refused = api.http.post("/api/jobs", json={"items": [spec]})
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "INSUFFICIENT_CAPACITY"
