"""A restart never posts a result twice: a job stopped while its result was being posted is
released with a plain message; one stopped before posting began is delivered as usual."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core import texts
from bot.core.ports import DeliveredImage
from records import Job, JobState
from storage.jobs import JobStore
from tests.fakes.fal_server import FakeFal, Fault
from tests.harness import RecordingNotifier, core_stack


@dataclass
class StuckNotifier(RecordingNotifier):
    """Posting starts (the chat may already show it) and then the bot stops."""

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None:
        self.events.append(("posting", job.id, list(images)))
        await asyncio.Event().wait()


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_a_restart_mid_post_releases_and_never_posts_again(
    tmp_path: Path, fal: FakeFal
) -> None:
    stuck = StuckNotifier()
    async with core_stack(tmp_path, fal, notifier=stuck) as core:
        posting = await core.say("/imagine a fox being posted")
        await wait_for(lambda: _started(core.jobs, posting.job.id))
        fal.fail_next(Fault.IMAGE_HANG)
        waiting = await core.say("/imagine a fox not posted yet")
        await wait_for(lambda: _state(core.jobs, waiting.job.id, JobState.COMPLETED))
        assert [kind for kind, _, _ in stuck.events if kind == "posting"] == ["posting"]
    fal.heal()  # the stuck download ends; the restart fetches the image again

    async with core_stack(tmp_path, fal) as core:
        await core.idle()
        unsure = await core.jobs.get(posting.job.id)
        assert unsure is not None and unsure.state is JobState.FAILED
        assert unsure.error == texts.FAIL_DELIVERY_UNSURE and unsure.charged is None
        assert core.notifier.of(unsure.id, "delivered") == []
        message = texts.DELIVERY_UNSURE.format(job_id=unsure.id, cost=unsure.cost)
        assert core.notifier.of(unsure.id, "failed") == [message]
        delivered = await core.jobs.get(waiting.job.id)
        assert delivered is not None and delivered.state is JobState.DELIVERED
        assert len(core.notifier.of(delivered.id, "delivered")) == 1
        balance = await core.ledger.balance(core.caller().user)
        assert (balance.available, balance.held) == (10 - delivered.cost, 0)
        assert len(fal.submissions) == 2  # neither job went to fal again
        assert await core.ledger.check() == []


async def _started(jobs: JobStore, job_id: str) -> bool:
    job = await jobs.get(job_id)
    return job is not None and job.delivery_started_at is not None


async def _state(jobs: JobStore, job_id: str, state: JobState) -> bool:
    job = await jobs.get(job_id)
    return job is not None and job.state is state
