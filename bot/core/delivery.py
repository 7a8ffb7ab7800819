"""Delivery: fetch a completed job's images, hand them to the front end, then capture.

The charge is for what was delivered: images the safety checker flagged are neither posted
nor paid for, and a cheaper fallback model costs its own price.

A result is posted at most once, even across crashes: ``delivery_started_at`` is committed
right before the front end is called. A completed job that already carries it was being
posted when the bot stopped; it may have arrived, so it is released (with a plain word to
the user) rather than posted again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping

from loguru import logger

from bot.core import texts
from bot.core.outcomes import Outcomes
from bot.core.ports import DeliveredImage, DeliveryFailed, Notifier
from providers.base import Provider, ProviderError
from records import GeneratedImage, Job, Stage
from storage.jobs import JobStore


class Delivery:
    """The last step of a job: completed → delivered (capture) or failed (release)."""

    def __init__(
        self, *, jobs: JobStore, provider: Provider, costs: Mapping[str, int], outcomes: Outcomes
    ) -> None:
        self._jobs = jobs
        self._provider = provider
        self._costs = costs
        self._outcomes = outcomes
        self._fail = outcomes.fail

    async def deliver(self, job: Job) -> None:
        assert job.result is not None
        if job.delivery_started_at is not None:  # posting it was cut short by a restart
            await self._outcomes.delivery_unsure(job)
            return
        notifier = self._outcomes.notifier(job)
        wanted = [image for image in job.result.images if not image.nsfw]
        if not wanted:
            await self._fail(job, texts.FAIL_FLAGGED)
            return
        await _quietly(notifier.progress(job, Stage.UPLOADING, None))
        try:
            images = await self._download(job, wanted)
        except ProviderError:
            await self._fail(job, texts.FAIL_NO_RESULT)
            return
        if await self._jobs.mark_delivering(job.id) is None:
            return  # ended meanwhile, or another delivery of it started: never post twice
        if not await self._hand_over(job, notifier, images):
            return
        await self._jobs.deliver(job.id, self.charge(job, len(images)))

    def charge(self, job: Job, delivered: int) -> int:
        """What the delivered images cost at the price of the model that made them."""
        assert job.result is not None
        per_image = self._costs.get(job.result.endpoint, job.cost // job.request.num_images)
        return max(0, min(job.cost, per_image * delivered))

    async def _download(self, job: Job, wanted: list[GeneratedImage]) -> list[DeliveredImage]:
        assert job.result is not None
        datas = await asyncio.gather(*(self._provider.download(image) for image in wanted))
        return [
            DeliveredImage(
                index=job.result.images.index(image),
                data=data,
                width=image.width,
                height=image.height,
                content_type=image.content_type or f"image/{job.request.output_format}",
            )
            for image, data in zip(wanted, datas, strict=True)
        ]

    async def _hand_over(self, job: Job, notifier: Notifier, images: list[DeliveredImage]) -> bool:
        try:
            await notifier.delivered(job, images)
        except DeliveryFailed as error:
            logger.warning("job {} could not be delivered: {}", job.id, error)
            await self._fail(job, texts.FAIL_DELIVERY, notify=error.tell_user)
            return False
        except Exception:
            logger.exception("delivery of job {} failed", job.id)
            await self._fail(job, texts.FAIL_DELIVERY)
            return False
        return True


async def _quietly(call: Awaitable[None]) -> None:
    try:
        await call
    except Exception:
        logger.exception("progress update failed")
