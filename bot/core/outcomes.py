"""Telling the user where a job stands, and ending a job that failed with its credits back.

Shared by the runner and the delivery step. A chat error while telling the user is logged,
never raised: the job's outcome is already settled in the database.
"""

from __future__ import annotations

from collections.abc import Mapping

from loguru import logger

from bot.core import texts
from bot.core.ports import Notifier
from providers.base import Cancelled, Flagged, ProviderError, Rejected, TimedOut, Unavailable
from records import Job, JobState, Platform, Stage
from storage.jobs import JobStore


class Outcomes:
    """Progress reports and failures, through each platform's notifier."""

    def __init__(self, *, jobs: JobStore, notifiers: Mapping[Platform, Notifier]) -> None:
        self._jobs = jobs
        self._notifiers = notifiers

    def notifier(self, job: Job) -> Notifier:
        return self._notifiers[job.user.platform]

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None:
        try:
            await self.notifier(job).progress(job, stage, position)
        except Exception:
            logger.exception("progress update failed")

    async def fail(self, job: Job, reason: str, *, notify: bool = True) -> None:
        """End the job as failed, releasing its hold, and tell the user why."""
        message = texts.FAILED_PREFIX.format(job_id=job.id, reason=reason, cost=job.cost)
        await self._end(job, reason, message if notify else None)

    async def delivery_unsure(self, job: Job) -> None:
        """A restart interrupted posting the result: it may or may not have arrived. Never
        post it again; settle in the user's favour (release) and say so plainly."""
        message = texts.DELIVERY_UNSURE.format(job_id=job.id, cost=job.cost)
        await self._end(job, texts.FAIL_DELIVERY_UNSURE, message)

    async def _end(self, job: Job, reason: str, message: str | None) -> None:
        ended = await self._jobs.finish(job.id, JobState.FAILED, reason)
        if ended is None or message is None:
            return
        try:
            await self.notifier(job).failed(ended, message)
        except Exception:
            logger.exception("could not tell the user that job {} failed", job.id)


def failure_text(error: ProviderError, deadline: float) -> str:
    """The user's words for a provider error."""
    if isinstance(error, Rejected):
        return texts.FAIL_REJECTED.format(detail=error.detail.rstrip(".") or "invalid input")
    if isinstance(error, Unavailable):
        return texts.FAIL_UNAVAILABLE
    if isinstance(error, Flagged):
        return texts.FAIL_FLAGGED
    if isinstance(error, TimedOut):
        return texts.FAIL_TIMED_OUT.format(seconds=round(deadline))
    if isinstance(error, Cancelled):
        return texts.FAIL_CANCELLED
    return texts.FAIL_NO_RESULT
