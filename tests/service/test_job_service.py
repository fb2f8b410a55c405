"""JobService over a real store (SQLite and PostgreSQL) and the scripted fake provider.

Each test is a narrated example: given some jobs, when a user or the provider does something,
then the stored job says so. Nothing here sleeps; waits are on the service's change events.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from orchid.domain import states
from orchid.domain.states import JobState
from orchid.errors import BadRequest, Conflict, NotFound, NotSupported, ProviderError
from orchid.providers.base import Capabilities, Exited, Failed, Queued, Started, TimedOut
from orchid.schemas.jobs import JobSpecification
from orchid.service.clock import now_ms
from orchid.store.models import JobRow
from orchid.store.repository import Store
from tests.fakes import FakeProvider, exit_with, fail, queue, refuse, start
from tests.service.helpers import (
    ALICE,
    BOB,
    HOUR,
    MINUTE,
    SECOND,
    asynchronous,
    create_one,
    extension,
    job,
    running,
    shell,
    statuses,
    wait_for_state,
)

QUEUED = (JobState.IN_QUEUE, states.STATUS_QUEUED)
RUNNING = (JobState.RUNNING, states.STATUS_RUNNING)
CANCELING = (JobState.CANCELING, states.STATUS_CANCELING)
CANCELLED = (JobState.SUCCESS, states.STATUS_CANCELLED)


# ---- create and the life of a job ----


@asynchronous
async def test_a_new_job_waits_in_the_queue_and_is_handed_to_its_provider(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # When alice creates a shell-script job with a one-hour allocation
        job_id = await create_one(service, shell("echo hi", hours=1))

        # Then it is stored IN_QUEUE, with the queue update, owned by alice, not started
        record = job(service, job_id)
        assert record.state == JobState.IN_QUEUE
        assert statuses(record) == [QUEUED]
        assert record.owner == ALICE
        assert record.started_at is None
        assert record.expires_at is None
        assert record.time_allocation_ms == HOUR
        # ... and the provider got exactly that job, with its command already built
        (run,) = fake.submitted
        assert run.job_id == job_id
        assert list(run.argv) == ["bash", "-c", "echo hi"]
        assert run.replicas == 1
        assert run.product.id == "example-compute"
        assert run.time_allocation_ms == HOUR
        assert run.handle is None


@asynchronous
async def test_a_started_job_runs_and_expires_one_allocation_after_its_start(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        job_id = await create_one(service, shell(hours=1))

        # When the provider reports that every replica started
        before = now_ms()
        handle = fake.start_job(job_id)
        after = now_ms()

        # Then the job is RUNNING since then, and expires exactly one allocation later
        record = job(service, job_id)
        assert record.state == JobState.RUNNING
        assert statuses(record) == [QUEUED, RUNNING]
        assert record.started_at is not None
        assert before <= record.started_at <= after
        assert record.expires_at == record.started_at + HOUR
        # ... and the provider's handle is kept for a restart
        assert record.provider_handle == handle
        assert record.provider_job_id == f"fake-{job_id}"


@asynchronous
async def test_a_job_that_exits_with_code_3_is_still_a_success(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # Given a job scripted to start, then exit with code 3
        fake.script(start(), exit_with(3))
        job_id = await create_one(service, shell("exit 3"))

        # When the provider runs it to the end
        await fake.run_until_idle()

        # Then it is a SUCCESS that names the exit code, with no deadline any more
        record = job(service, job_id)
        assert record.state == JobState.SUCCESS
        assert statuses(record) == [
            QUEUED,
            RUNNING,
            (JobState.SUCCESS, "Your job has completed (exit code 3)"),
        ]
        assert record.expires_at is None


@asynchronous
async def test_a_fault_of_the_provider_is_a_failure_with_its_reason(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start(after=2), fail("node c1 stopped responding"))
        job_id = await create_one(service, shell())

        await fake.run_until_idle()

        record = job(service, job_id)
        assert record.state == JobState.FAILURE
        assert statuses(record) == [
            QUEUED,
            RUNNING,
            (JobState.FAILURE, "node c1 stopped responding"),
        ]


@asynchronous
async def test_a_job_the_provider_refuses_fails_at_once(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        # Given a provider that will not accept the next job
        fake.script(refuse("the partition is down"))

        # When alice creates it, the create itself succeeds (the job exists and has an id)
        job_id = await create_one(service, shell())

        # Then the job is a FAILURE saying why
        record = job(service, job_id)
        assert record.state == JobState.FAILURE
        assert record.updates[-1].state == JobState.FAILURE
        assert record.updates[-1].status is not None
        assert "the partition is down" in record.updates[-1].status


@asynchronous
async def test_waiting_for_resources_is_shown_once_without_a_state_change(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        job_id = await create_one(service, shell())

        # When the provider reports twice that the job waits for resources
        fake.queue_job(job_id, "Resources")
        fake.queue_job(job_id, "Resources")

        # Then one status-only update says so, and the job is still IN_QUEUE
        record = job(service, job_id)
        assert record.state == JobState.IN_QUEUE
        assert statuses(record) == [QUEUED, (None, "Your job is waiting for resources (Resources)")]


@asynchronous
async def test_a_scripted_queue_then_start_reaches_running(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(queue("Priority"), start(after=1))
        job_id = await create_one(service, shell())

        await fake.run_until_idle()

        assert statuses(job(service, job_id)) == [
            QUEUED,
            (None, "Your job is waiting for resources (Priority)"),
            RUNNING,
        ]


# ---- terminate ----


@asynchronous
async def test_terminate_cancels_a_running_job_and_the_exit_completes_it(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell("sleep 1000", hours=1))
        await fake.run_until_idle()

        # When alice terminates it
        await service.terminate(ALICE, [job_id])

        # Then it is CANCELING at once, and the provider was asked to stop it
        assert job(service, job_id).state == JobState.CANCELING
        assert fake.terminated == [job_id]

        # When the provider reports that the processes are gone (killed by SIGTERM)
        await fake.run_until_idle()

        # Then it is a SUCCESS that says it was cancelled
        record = job(service, job_id)
        assert record.state == JobState.SUCCESS
        assert statuses(record) == [QUEUED, RUNNING, CANCELING, CANCELLED]
        assert record.expires_at is None


@asynchronous
async def test_terminate_removes_a_queued_job(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        job_id = await create_one(service, shell())

        await service.terminate(ALICE, [job_id])
        await fake.run_until_idle()

        record = job(service, job_id)
        assert record.state == JobState.SUCCESS
        assert statuses(record) == [QUEUED, CANCELING, CANCELLED]
        assert record.started_at is None


@asynchronous
async def test_terminate_is_idempotent(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        fake.script(start(), exit_with(0))
        done = await create_one(service, shell("true"))
        await fake.run_until_idle()
        fake.on_terminate = "ignore"
        fake.script(start())
        stopping = await create_one(service, shell("sleep 1000"))
        await fake.run_until_idle()
        await service.terminate(ALICE, [stopping])
        fake.terminated.clear()
        before = {j: statuses(job(service, j)) for j in (done, stopping)}

        # When alice terminates a finished job and one that is already stopping, twice
        await service.terminate(ALICE, [done, stopping])
        await service.terminate(ALICE, [done, stopping])

        # Then no state or update changes; only the job still stopping is asked again (so a
        # terminate the provider could not take is retried), the finished one never
        assert {j: statuses(job(service, j)) for j in (done, stopping)} == before
        assert fake.terminated == [stopping, stopping]


@asynchronous
async def test_a_terminate_the_provider_could_not_deliver_can_be_retried(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell("sleep 1000", hours=1))
        await fake.run_until_idle()

        # Given a scheduler that is briefly unreachable, so the first terminate fails
        fake.terminate_error = ProviderError("slurmctld is not responding", transient=True)
        with pytest.raises(ProviderError):
            await service.terminate(ALICE, [job_id])

        # When the scheduler is back and alice tries again
        fake.terminate_error = None
        await service.terminate(ALICE, [job_id])

        # Then the provider is asked again, and the job ends as cancelled
        assert fake.terminated == [job_id, job_id]
        await fake.run_until_idle()
        assert statuses(job(service, job_id))[-1] == CANCELLED


# ---- extend ----


@asynchronous
async def test_extend_moves_the_deadline_by_exactly_the_requested_time(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()
        before = job(service, job_id)
        assert before.expires_at is not None

        # When alice extends it by 30 minutes, then by 15 seconds
        await service.extend(ALICE, [extension(job_id, minutes=30)])
        await service.extend(ALICE, [extension(job_id, seconds=15)])

        # Then the deadline moved by exactly that, and it is stored
        after = job(service, job_id)
        assert after.expires_at == before.expires_at + 30 * MINUTE + 15 * SECOND
        assert after.extension_ms == 30 * MINUTE + 15 * SECOND
        # ... while the submitted allocation and the updates are unchanged
        spec = JobSpecification.model_validate_json(after.specification)
        assert spec.time_allocation is not None and spec.time_allocation.ms == HOUR
        assert after.time_allocation_ms == HOUR
        assert after.updates == before.updates
        # ... and the provider was told the new total each time
        assert fake.extended == [
            (job_id, HOUR + 30 * MINUTE),
            (job_id, HOUR + 30 * MINUTE + 15 * SECOND),
        ]


@asynchronous
async def test_an_extension_while_queued_counts_from_the_start(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        job_id = await create_one(service, shell(hours=1))

        await service.extend(ALICE, [extension(job_id, minutes=10)])
        assert job(service, job_id).expires_at is None
        fake.start_job(job_id)

        record = job(service, job_id)
        assert record.started_at is not None
        assert record.expires_at == record.started_at + HOUR + 10 * MINUTE


@asynchronous
async def test_an_extension_the_provider_refuses_is_rolled_back(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()
        before = job(service, job_id)

        # Given a provider that refuses to change the time limit
        fake.extend_error = ProviderError("scontrol: permission denied")

        # When alice asks for 30 more minutes, the error reaches her
        with pytest.raises(ProviderError, match="permission denied"):
            await service.extend(ALICE, [extension(job_id, minutes=30)])

        # Then the deadline is where it was
        after = job(service, job_id)
        assert after.expires_at == before.expires_at
        assert after.extension_ms == 0
        assert after.updates == before.updates


@asynchronous
async def test_extend_needs_a_provider_that_supports_it(store: Store) -> None:
    fixed = FakeProvider("example", capabilities=Capabilities(time_extension=False))
    async with running(store, fixed) as service:
        fixed.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fixed.run_until_idle()

        with pytest.raises(NotSupported) as raised:
            await service.extend(ALICE, [extension(job_id, minutes=30)])

        assert raised.value.status_code == 400
        assert job(service, job_id).extension_ms == 0
        assert fixed.extended == []


@asynchronous
async def test_a_finished_job_cannot_be_extended(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        fake.script(start(), exit_with(0))
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()

        with pytest.raises(Conflict) as raised:
            await service.extend(ALICE, [extension(job_id, minutes=30)])

        assert raised.value.status_code == 409
        assert job(service, job_id).extension_ms == 0
        assert fake.extended == []


@asynchronous
async def test_a_job_without_an_allocation_cannot_be_extended(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell())
        await fake.run_until_idle()

        with pytest.raises(BadRequest):
            await service.extend(ALICE, [extension(job_id, minutes=30)])

        assert job(service, job_id).expires_at is None


@asynchronous
async def test_two_extensions_of_one_job_in_one_request_tell_the_provider_the_full_total(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()

        # When one bulk request extends the same job twice by 10 minutes
        await service.extend(ALICE, [extension(job_id, minutes=10), extension(job_id, minutes=10)])

        # Then Orchid's deadline moved by 20 minutes ...
        assert job(service, job_id).extension_ms == 20 * MINUTE
        # ... and the provider's limit (Slurm's --time backstop) must agree with it
        assert fake.extended[-1] == (job_id, HOUR + 20 * MINUTE)


# ---- a final state never changes ----


@pytest.mark.parametrize(
    ("how", "final"),
    [
        ("completed", JobState.SUCCESS),
        ("failed", JobState.FAILURE),
        ("timed out", JobState.EXPIRED),
        ("cancelled", JobState.SUCCESS),
    ],
)
@asynchronous
async def test_facts_after_a_final_state_change_nothing(
    store: Store, fake: FakeProvider, how: str, final: JobState
) -> None:
    async with running(store, fake) as service:
        # Given a job that ended (one way or another)
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()
        if how == "completed":
            fake.exit_job(job_id, {0: 0})
        elif how == "failed":
            fake.fail_job(job_id, "the node died")
        elif how == "timed out":
            fake.time_out(job_id)
        else:
            await service.terminate(ALICE, [job_id])
            await fake.run_until_idle()
        ended = job(service, job_id)
        assert ended.state == final

        # When the provider reports anything at all about it afterwards
        for fact in (
            Queued(job_id, "Resources"),
            Started(job_id, {"pid": 1}),
            Exited(job_id, {0: 9}),
            Failed(job_id, "lost"),
            TimedOut(job_id),
        ):
            fake.emit(fact)

        # Then its state and history are exactly what they were
        later = job(service, job_id)
        assert later.state == final
        assert later.updates == ended.updates
        assert later.expires_at is None


@asynchronous
async def test_a_fact_about_an_unknown_job_is_ignored(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        fake.emit(Exited("424242", {0: 0}))
        assert store.count_jobs() == 0
        assert service.job("424242") is None


# ---- expiry ----


@asynchronous
async def test_a_running_job_expires_within_a_second_of_its_deadline(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # Given a job with a one-second allocation that has started
        job_id = await create_one(service, shell("sleep 1000", seconds=1))
        fake.start_job(job_id)
        deadline = job(service, job_id).expires_at
        assert deadline is not None

        # When its deadline passes
        expired = await wait_for_state(service, job_id, JobState.EXPIRED, timeout=3)

        # Then it was marked EXPIRED within a second after the deadline (never before)
        assert statuses(expired)[-1] == (JobState.EXPIRED, states.STATUS_EXPIRED)
        assert 0 <= expired.updates[-1].timestamp - deadline < 1000
        assert expired.expires_at is None
        # ... and the provider was told to stop it
        await fake.wait_for_call(lambda f: job_id in f.terminated)
        # ... and its processes ending afterwards changes nothing
        await fake.run_until_idle()
        assert job(service, job_id).updates == expired.updates


# Expiry does not depend on the database; one is enough for this two-second example.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@asynchronous
async def test_an_extension_postpones_expiry(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        job_id = await create_one(service, shell("sleep 1000", seconds=1))
        fake.start_job(job_id)
        first_deadline = job(service, job_id).expires_at
        assert first_deadline is not None

        await service.extend(ALICE, [extension(job_id, seconds=1)])

        expired = await wait_for_state(service, job_id, JobState.EXPIRED, timeout=4)
        assert 0 <= expired.updates[-1].timestamp - (first_deadline + SECOND) < 1000


@asynchronous
async def test_the_providers_own_time_limit_also_expires_a_job(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()

        fake.time_out(job_id)

        assert statuses(job(service, job_id))[-1] == (JobState.EXPIRED, states.STATUS_EXPIRED)


# ---- allowDuplicateJob ----


@asynchronous
async def test_an_identical_active_job_is_refused_until_the_first_ends(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        # Given an active job
        fake.script(start())
        first = await create_one(service, shell("echo same", hours=1))
        await fake.run_until_idle()

        # When alice submits the very same job again
        with pytest.raises(Conflict) as raised:
            await create_one(service, shell("echo same", hours=1))

        # Then it is refused as a duplicate, and nothing new is stored or submitted
        assert raised.value.error_code == "DUPLICATE_JOB"
        assert raised.value.status_code == 409
        assert store.count_jobs() == 1
        assert len(fake.submitted) == 1

        # ... but another user, a different name, or allowDuplicateJob may run it
        await create_one(service, shell("echo same", hours=1), user=BOB)
        await create_one(service, shell("echo same", hours=1, name="again"))
        await create_one(service, shell("echo same", hours=1, allow_duplicate=True))
        await create_one(service, shell("echo same", hours=1, allow_duplicate=True))

        # When the first one ends, the identical job is accepted again
        fake.exit_job(first, {0: 0})
        again = await create_one(service, shell("echo same", hours=1))
        assert job(service, again).state == JobState.IN_QUEUE


@asynchronous
async def test_two_identical_jobs_in_one_request_are_refused(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        with pytest.raises(Conflict) as raised:
            await service.create(ALICE, [shell("echo same"), shell("echo same")])

        assert raised.value.error_code == "DUPLICATE_JOB"
        assert store.count_jobs() == 0
        assert fake.submitted == []


# ---- bulk create ----


@asynchronous
async def test_a_bulk_create_with_one_bad_item_stores_nothing(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        bad = shell("echo two")
        bad.parameters = {}  # the required `script` is missing

        with pytest.raises(BadRequest) as raised:
            await service.create(ALICE, [shell("echo one"), bad, shell("echo three")])

        assert raised.value.why.startswith("item 1: ")
        assert store.count_jobs() == 0
        assert fake.submitted == []


@asynchronous
async def test_a_bulk_create_stores_and_submits_every_item_in_order(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        ids = await service.create(ALICE, [shell("echo one"), shell("echo two")])

        assert len(ids) == 2 and int(ids[0]) < int(ids[1])
        assert [r.job_id for r in fake.submitted] == ids
        assert [list(r.argv)[-1] for r in fake.submitted] == ["echo one", "echo two"]


@asynchronous
async def test_a_job_that_could_never_fit_the_provider_is_refused(
    store: Store,
) -> None:
    small = FakeProvider("example", fits=lambda product, replicas: product.cpu * replicas <= 1)
    async with running(store, small) as service:
        with pytest.raises(BadRequest) as raised:
            await service.create(
                ALICE, [shell("echo fits"), shell("echo too big", product="example-compute-large")]
            )

        assert raised.value.error_code == "INSUFFICIENT_CAPACITY"
        assert store.count_jobs() == 0


# ---- ownership ----


@asynchronous
async def test_another_users_job_does_not_exist_for_them(store: Store, fake: FakeProvider) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1), user=ALICE)
        await fake.run_until_idle()
        before = job(service, job_id)

        with pytest.raises(NotFound):
            service.owned(BOB, job_id)
        with pytest.raises(NotFound):
            await service.terminate(BOB, [job_id])
        with pytest.raises(NotFound):
            await service.extend(BOB, [extension(job_id, minutes=5)])
        for nonsense in ("999999", "abc", "-1", "1 OR 1=1", ""):
            with pytest.raises(NotFound):
                service.owned(ALICE, nonsense)

        # The job is untouched, and the answer is the same as for a job that does not exist
        assert job(service, job_id) == before
        assert fake.terminated == [] and fake.extended == []


# ---- restart ----


@asynchronous
async def test_a_new_service_over_the_same_store_reattaches_to_every_active_job(
    store: Store,
) -> None:
    # Given, before a restart: a running job, a queued one, one being cancelled whose processes
    # have not stopped yet, a running one whose deadline passes while Orchid is down, and one done
    before = FakeProvider("example", on_terminate="ignore")
    async with running(store, before) as service:
        runs_long = await create_one(service, shell("echo long", hours=1))
        queued = await create_one(service, shell("echo queued"))
        stopping = await create_one(service, shell("echo stopping"))
        overdue = await create_one(service, shell("echo overdue", seconds=1))
        finished = await create_one(service, shell("echo finished"))
        handles = {j: before.start_job(j) for j in (runs_long, stopping, overdue, finished)}
        await service.terminate(ALICE, [stopping])
        before.exit_job(finished, {0: 0})
        assert job(service, stopping).state == JobState.CANCELING

    # ... Orchid was down long enough for `overdue` to pass its deadline, and `runs_long` has
    # a moment left
    now = now_ms()
    with store.engine.begin() as conn:
        conn.execute(
            update(JobRow).where(JobRow.id == int(overdue)).values(started_at=now - 10 * SECOND)
        )
        conn.execute(
            update(JobRow).where(JobRow.id == int(runs_long)).values(started_at=now - HOUR + 300)
        )

    # When a new service starts over the same store
    after = FakeProvider("example", on_terminate="ignore")
    async with running(store, after) as service:
        # Then the provider was asked to re-attach to the active jobs, oldest first, with handles
        (runs,) = after.recovered
        assert [r.job_id for r in runs] == [runs_long, queued, stopping, overdue]
        assert [r.handle for r in runs] == [
            handles[runs_long],
            None,
            handles[stopping],
            handles[overdue],
        ]
        assert [list(r.argv)[-1] for r in runs] == [
            "echo long",
            "echo queued",
            "echo stopping",
            "echo overdue",
        ]
        assert runs[0].time_allocation_ms == HOUR
        # ... the interrupted cancel was issued again
        assert stopping in after.terminated

        # ... the overdue job expires at once and is stopped
        await wait_for_state(service, overdue, JobState.EXPIRED, timeout=0.5)
        await after.wait_for_call(lambda f: overdue in f.terminated)

        # ... the other running job still expires on time (its timer was re-armed)
        long_deadline = job(service, runs_long).expires_at
        assert long_deadline is not None
        expired = await wait_for_state(service, runs_long, JobState.EXPIRED, timeout=2)
        assert 0 <= expired.updates[-1].timestamp - long_deadline < 1000

        # ... the queued job is still queued, and the cancelled one ends when its processes do
        assert job(service, queued).state == JobState.IN_QUEUE
        after.exit_job(stopping, {0: 143})
        assert statuses(job(service, stopping))[-1] == CANCELLED
        # ... and the finished job was left alone
        assert finished not in after.terminated
        assert job(service, finished).state == JobState.SUCCESS


@asynchronous
async def test_jobs_of_a_provider_that_is_gone_after_a_restart_fail(store: Store) -> None:
    before = FakeProvider("example")
    async with running(store, before) as service:
        job_id = await create_one(service, shell())

    async with running(store) as service:
        record = job(service, job_id)
        assert record.state == JobState.FAILURE
        assert record.updates[-1].status == "Provider 'example' is not configured"


@asynchronous
async def test_stopping_the_service_stops_observing_but_kills_nothing(
    store: Store, fake: FakeProvider
) -> None:
    async with running(store, fake) as service:
        fake.script(start())
        job_id = await create_one(service, shell(hours=1))
        await fake.run_until_idle()
    assert fake.started and fake.stopped
    assert fake.terminated == []
    assert job(service, job_id).state == JobState.RUNNING
