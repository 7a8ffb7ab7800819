"""The job state machine and its credits: hold, capture, release, refund."""

from __future__ import annotations

import asyncio

import pytest

from records import Balance, ImageRequest, InputImage, JobKind, JobState, LoraWeight, Submission
from storage.errors import NotFound, NotRefundable, RefundBlock
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.storage.helpers import ALICE, CHAT, INITIAL, REQUEST, RESULT, completed_job, new_job


async def test_create_holds_the_cost_and_stores_the_job(jobs: JobStore, ledger: Ledger) -> None:
    job = await new_job(jobs, "j1", cost=4, event_key="tg:update:7")
    assert job.state is JobState.QUEUED
    assert (job.user, job.chat, job.request, job.cost) == (ALICE, CHAT, REQUEST, 4)
    assert job.event_key == "tg:update:7"
    assert job.created_at == job.updated_at
    assert await jobs.get("j1") == job
    assert await jobs.by_event("tg:update:7") == job
    assert await ledger.balance(ALICE) == Balance(INITIAL - 4, 4)
    hold = (await ledger.entries(ALICE))[0]
    assert (hold.kind, hold.d_available, hold.d_held, hold.job_id) == ("hold", -4, 4, "j1")
    assert hold.idem_key == "hold:j1"
    assert await ledger.check() == []


async def test_an_image_request_round_trips_with_its_bytes(jobs: JobStore) -> None:
    request = ImageRequest(
        prompt="make it night",
        kind=JobKind.IMAGE,
        image_size="square_hd",
        seed=7,
        loras=(LoraWeight("https://x/l.safetensors", 0.8), LoraWeight("owner/lora")),
        strength=0.6,
        image=InputImage(b"\x89PNG\x00\xff" * 100, "image/png"),
    )
    await new_job(jobs, "j1", request=request)
    job = await jobs.get("j1")
    assert job is not None
    assert job.request == request


async def test_the_happy_path_captures_the_full_cost(jobs: JobStore, ledger: Ledger) -> None:
    await new_job(jobs, "j1", cost=4)
    submitting = await jobs.mark_submitting("j1")
    assert submitting is not None and submitting.state is JobState.SUBMITTING
    submitted = await jobs.mark_submitted("j1", Submission("fal-ai/flux/dev", "req-1"))
    assert submitted is not None
    assert (submitted.endpoint, submitted.request_id) == ("fal-ai/flux/dev", "req-1")
    completed = await jobs.mark_completed("j1", RESULT)
    assert completed is not None and completed.result == RESULT
    delivered = await jobs.deliver("j1", 4)
    assert delivered is not None and delivered.state is JobState.DELIVERED
    assert await ledger.balance(ALICE) == Balance(INITIAL - 4, 0)
    capture = (await ledger.entries(ALICE))[0]
    assert (capture.kind, capture.d_available, capture.d_held) == ("capture", 0, -4)
    assert capture.idem_key == "settle:j1"
    totals = await ledger.totals(ALICE)
    assert INITIAL - 4 + totals["captured"] == totals["granted"]
    assert await ledger.check() == []


async def test_a_cheaper_capture_returns_the_difference(jobs: JobStore, ledger: Ledger) -> None:
    await completed_job(jobs, "j1", cost=4)
    assert await jobs.deliver("j1", 1)
    assert await ledger.balance(ALICE) == Balance(INITIAL - 1, 0)
    capture = (await ledger.entries(ALICE))[0]
    assert (capture.kind, capture.d_available, capture.d_held) == ("capture", 3, -4)
    assert (await ledger.totals(ALICE))["captured"] == 1
    assert await ledger.check() == []


@pytest.mark.parametrize("charge", [-1, 5])
async def test_a_charge_outside_the_hold_is_refused(jobs: JobStore, charge: int) -> None:
    await completed_job(jobs, "j1", cost=4)
    with pytest.raises(ValueError):
        await jobs.deliver("j1", charge)
    job = await jobs.get("j1")
    assert job is not None and job.state is JobState.COMPLETED


@pytest.mark.parametrize("state", [JobState.FAILED, JobState.CANCELLED])
async def test_finish_releases_the_whole_hold(
    jobs: JobStore, ledger: Ledger, state: JobState
) -> None:
    await new_job(jobs, "j1", cost=4)
    await jobs.mark_submitting("j1")
    finished = await jobs.finish("j1", state, "fal said no")
    assert finished is not None
    assert (finished.state, finished.error) == (state, "fal said no")
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    release = (await ledger.entries(ALICE))[0]
    assert (release.kind, release.d_available, release.d_held) == ("release", 4, -4)
    assert release.idem_key == "settle:j1"
    assert await ledger.check() == []


async def test_finish_only_ends_as_failed_or_cancelled(jobs: JobStore) -> None:
    await new_job(jobs, "j1")
    with pytest.raises(ValueError):
        await jobs.finish("j1", JobState.DELIVERED, "")


async def snapshot(ledger: Ledger) -> tuple[Balance, int]:
    return await ledger.balance(ALICE), len(await ledger.entries(ALICE, limit=100))


async def test_capture_after_release_changes_nothing(jobs: JobStore, ledger: Ledger) -> None:
    await completed_job(jobs, "j1")
    assert await jobs.finish("j1", JobState.CANCELLED, "user cancelled")
    before = await snapshot(ledger)
    assert await jobs.deliver("j1", 4) is None
    assert await snapshot(ledger) == before
    assert await ledger.check() == []


async def test_release_after_capture_changes_nothing(jobs: JobStore, ledger: Ledger) -> None:
    await completed_job(jobs, "j1")
    assert await jobs.deliver("j1", 4)
    before = await snapshot(ledger)
    assert await jobs.finish("j1", JobState.FAILED, "late failure") is None
    assert await jobs.deliver("j1", 4) is None
    assert await snapshot(ledger) == before
    job = await jobs.get("j1")
    assert job is not None and job.state is JobState.DELIVERED and job.error is None
    assert await ledger.check() == []


async def test_double_release_changes_nothing(jobs: JobStore, ledger: Ledger) -> None:
    await new_job(jobs, "j1")
    assert await jobs.finish("j1", JobState.FAILED, "first")
    before = await snapshot(ledger)
    assert await jobs.finish("j1", JobState.FAILED, "second") is None
    assert await jobs.finish("j1", JobState.CANCELLED, "third") is None
    assert await snapshot(ledger) == before
    job = await jobs.get("j1")
    assert job is not None and job.error == "first"


async def test_concurrent_settles_settle_once(jobs: JobStore, ledger: Ledger) -> None:
    await completed_job(jobs, "j1")
    results = await asyncio.gather(
        jobs.deliver("j1", 4),
        jobs.finish("j1", JobState.FAILED, "x"),
        jobs.finish("j1", JobState.CANCELLED, "y"),
        jobs.deliver("j1", 2),
    )
    assert sum(result is not None for result in results) == 1
    assert await ledger.check() == []


async def test_transitions_are_guarded_by_the_current_state(jobs: JobStore) -> None:
    await new_job(jobs, "j1")
    assert await jobs.mark_submitted("j1", Submission("e", "r")) is None
    assert await jobs.mark_completed("j1", RESULT) is None
    assert await jobs.deliver("j1", 1) is None
    assert await jobs.mark_submitting("j1")
    assert await jobs.mark_submitting("j1") is None
    assert await jobs.mark_submitting("nope") is None
    assert await jobs.deliver("nope", 0) is None
    assert await jobs.finish("nope", JobState.FAILED, "") is None
    job = await jobs.get("j1")
    assert job is not None and job.state is JobState.SUBMITTING


async def test_delivery_start_is_stamped_once_and_only_on_a_completed_job(
    jobs: JobStore, ledger: Ledger
) -> None:
    await new_job(jobs, "j1")
    assert await jobs.mark_delivering("j1") is None  # queued: nothing to post yet
    assert await jobs.mark_delivering("nope") is None
    await completed_job(jobs, "j2")
    stamps = await asyncio.gather(*(jobs.mark_delivering("j2") for _ in range(5)))
    [started] = [job for job in stamps if job is not None]
    assert started.state is JobState.COMPLETED and started.delivery_started_at is not None
    assert await jobs.get("j2") == started
    assert started in await jobs.unfinished()  # still to settle: delivered, or released
    assert await jobs.deliver("j2", 4)
    assert await jobs.mark_delivering("j2") is None  # delivered
    assert await ledger.check() == []


async def test_a_job_whose_delivery_started_can_still_be_released(
    jobs: JobStore, ledger: Ledger
) -> None:
    await completed_job(jobs, "j1", cost=4)
    assert await jobs.mark_delivering("j1")
    released = await jobs.finish("j1", JobState.FAILED, "may have arrived")
    assert released is not None and released.delivery_started_at is not None
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    assert await jobs.deliver("j1", 4) is None  # settled once
    assert await ledger.check() == []


async def test_refund_gives_the_charge_back_once(jobs: JobStore, ledger: Ledger) -> None:
    await completed_job(jobs, "j1", cost=4)
    await jobs.deliver("j1", 3)
    change = await jobs.refund("j1", actor="discord:9", reason="bad image", key="evt:1")
    assert change.applied and change.balance == Balance(INITIAL, 0)
    refund = (await ledger.entries(ALICE))[0]
    assert (refund.kind, refund.d_available, refund.idem_key) == ("refund", 3, "refund:j1")
    assert (refund.actor, refund.reason) == ("discord:9", "bad image")

    replay = await jobs.refund("j1", actor="discord:9", reason="bad image", key="evt:1")
    assert not replay.applied and replay.balance == Balance(INITIAL, 0)
    with pytest.raises(NotRefundable) as again:
        await jobs.refund("j1", actor="discord:9", reason="again", key="evt:2")
    assert again.value.reason is RefundBlock.ALREADY_REFUNDED
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    totals = await ledger.totals(ALICE)
    assert (totals["capture"], totals["refund"], totals["captured"]) == (3, 3, 0)
    assert await ledger.check() == []


async def test_refund_refusals(jobs: JobStore) -> None:
    with pytest.raises(NotFound):
        await jobs.refund("nope", actor="a", reason="r", key="k1")
    await new_job(jobs, "queued")
    with pytest.raises(NotRefundable) as queued:
        await jobs.refund("queued", actor="a", reason="r", key="k2")
    assert (queued.value.state, queued.value.reason) == (
        JobState.QUEUED,
        RefundBlock.NOT_DELIVERED,
    )
    await completed_job(jobs, "free")
    await jobs.deliver("free", 0)
    with pytest.raises(NotRefundable) as free:
        await jobs.refund("free", actor="a", reason="r", key="k3")
    assert free.value.reason is RefundBlock.NOTHING_CHARGED
