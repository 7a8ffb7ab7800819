"""A user's /imagine through the real core, fal-client and FakeFal: every way a job ends.

Each case checks the job's final state, the ledger (what the user paid) and what the user
was told.
"""

import asyncio
from pathlib import Path

import pytest

from bot.core import texts
from records import JobState, Stage
from tests.fakes.fal_server import FakeFal, Fault
from tests.fakes.images import jpeg_bytes
from tests.harness import Core, core_stack


async def balance(core: Core, who: str = "alice") -> tuple[int, int]:
    b = await core.ledger.balance(core.caller(who).user)
    return b.available, b.held


async def test_success_with_loras_charges_and_delivers(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        reply = await core.say("/imagine a red fox --lora anime:0.7 --ar 16:9 --seed 5 --n 2")
        assert reply.ok and reply.new, reply.text
        await core.idle()
        job = await core.jobs.get(reply.job.id)
        assert job is not None and job.state is JobState.DELIVERED
        assert await balance(core) == (10 - 4, 0)
        payload = fal.submissions[0].payload
        assert fal.submissions[0].endpoint == "fal-ai/flux-lora"
        assert payload["loras"] == [{"path": "https://x.test/anime.safetensors", "scale": 0.7}]
        assert (payload["image_size"], payload["seed"], payload["num_images"]) == (
            "landscape_16_9",
            5,
            2,
        )
        [images] = core.notifier.of(job.id, "delivered")
        assert [i.index for i in images] == [0, 1] and all(i.data for i in images)
        stages = [stage for stage, _ in core.notifier.of(job.id, "progress")]
        assert stages[-1] is Stage.UPLOADING and Stage.GENERATING in stages
        assert await core.ledger.check() == []


async def test_image_to_image_sends_strength_and_no_chat_url(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        reply = await core.say("/edit make it winter --strength 0.4", image=jpeg_bytes(64, 48))
        assert reply.ok, reply.text
        await core.idle()
        submission = fal.submissions[0]
        assert submission.endpoint == "fal-ai/flux-general/image-to-image"
        assert submission.payload["strength"] == 0.4
        assert "image_size" not in submission.payload  # the photo keeps its own shape
        url = submission.payload["image_url"]
        assert url.startswith((fal.url, "data:image/")) and "telegram" not in url
        assert (await core.jobs.get(reply.job.id)).state is JobState.DELIVERED  # type: ignore[union-attr]
        assert await balance(core) == (10 - 3, 0)


# Each fal failure that ends a job (422, 429 storm, 5xx, errors after completion, flagged,
# expired, cancelled, hangs past the deadline) is one row of
# tests/reliability/test_faults_provider.py, with the message, refund and "keeps serving"
# checks this file used to make, plus timing and log checks.


async def test_500_then_success_and_503_falls_back_at_schnell_price(
    tmp_path: Path, fal: FakeFal
) -> None:
    async with core_stack(tmp_path, fal, submit_retry_seconds=2.0, submit_retry_wait=0.05) as core:
        first = await core.say("/imagine a fox fault:500")
        await core.idle()
        assert (await core.jobs.get(first.job.id)).state is JobState.DELIVERED  # type: ignore[union-attr]
        assert await balance(core) == (8, 0)
        fal.fail_next(Fault.SUBMIT_503, count=50, endpoint="fal-ai/flux-lora")
        second = await core.say("/imagine a bear --lora anime")
        await core.idle()
        job = await core.jobs.get(second.job.id)
        assert job is not None and job.state is JobState.DELIVERED
        assert job.result is not None and job.result.endpoint == "fal-ai/flux/schnell"
        assert "loras" not in fal.submissions[-1].payload
        assert (job.cost, job.charged) == (2, 1)
        assert await balance(core) == (7, 0)


async def test_cancel_while_queued_and_while_running(tmp_path: Path, fal: FakeFal) -> None:
    fal.slow_seconds = 30
    async with core_stack(tmp_path, fal, concurrency=1, per_user=3) as core:
        running = await core.say("/imagine slow one fault:slow")
        queued = await core.say("/imagine waiting one")
        assert await balance(core) == (6, 4)
        reply = await core.say(f"/cancel {queued.job.id}")
        assert reply.ok and reply.text == texts.CANCELLED_OK.format(job_id=queued.job.id, cost=2)
        for _ in range(100):
            job = await core.jobs.get(running.job.id)
            if job is not None and job.state is JobState.SUBMITTED:
                break
            await asyncio.sleep(0.02)
        reply = await core.say("/cancel")
        assert reply.ok, reply.text
        await core.idle()
        assert (await core.jobs.get(running.job.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
        assert (await core.jobs.get(queued.job.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
        assert fal.cancels == [fal.submissions[0].request_id]
        assert await balance(core) == (10, 0)
        assert (await core.say("/cancel")).text == texts.NOTHING_TO_CANCEL


async def test_delivery_refused_by_the_chat_releases_credits(tmp_path: Path, fal: FakeFal) -> None:
    async with core_stack(tmp_path, fal) as core:
        core.notifier.refuse = True
        reply = await core.say("/imagine a fox")
        await core.idle()
        assert (await core.jobs.get(reply.job.id)).state is JobState.FAILED  # type: ignore[union-attr]
        assert core.notifier.of(reply.job.id, "failed") == []  # nobody to tell
        core.notifier.refuse, core.notifier.explode = False, True
        reply = await core.say("/imagine a fox")
        await core.idle()
        assert texts.FAIL_DELIVERY in core.notifier.of(reply.job.id, "failed")[0]
        assert await balance(core) == (10, 0)


@pytest.mark.parametrize("fault", ["status_500", "sse_error", "sse_drop", "image_flaky"])
async def test_passing_faults_after_submit_still_deliver_once(
    tmp_path: Path, fal: FakeFal, fault: str
) -> None:
    async with core_stack(tmp_path, fal) as core:
        reply = await core.say(f"/imagine a fox fault:{fault}")
        await core.idle()
        job = await core.jobs.get(reply.job.id)
        assert job is not None and job.state is JobState.DELIVERED
        assert len(fal.submissions) == 1 and len(core.notifier.of(job.id, "delivered")) == 1
        assert await balance(core) == (8, 0)
