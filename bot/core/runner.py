"""JobRunner: drives persisted jobs through fal to delivery, and back to a clean end on restart.

Every job moves along ``queued → submitting → submitted → completed → delivered`` (or ends
``failed`` / ``cancelled``); each step is written before the next network call, and a
completed job is stamped ``delivery_started_at`` before its result is posted. So after a
crash ``recover`` knows what to do: queued → run, submitting (outcome unknown) → release and
tell the user, submitted → follow the saved request id (never submit twice), completed and
not yet posted → deliver, completed while posting (it may have arrived) → release and tell
the user, never post twice. Ambiguity always ends in the user's favour. A global cap bounds
jobs talking to fal; waiting jobs start round-robin by user.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from loguru import logger

from bot.core import texts
from bot.core.delivery import Delivery
from bot.core.outcomes import Outcomes, failure_text
from bot.core.ports import Notifier
from bot.core.queue import FairQueue
from providers.base import OnUpdate, Provider, ProviderError, TimedOut, Unavailable
from records import ImageResult, Job, JobState, Platform, Progress, Stage, Submission
from storage.jobs import JobStore

POSITION_UPDATES = 10  # queued jobs whose position is kept up to date after every start
STATUS_RETRY_SECONDS = 2.0


class JobRunner:
    """Asyncio workers over the jobs table; see the module docstring."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        provider: Provider,
        notifiers: Mapping[Platform, Notifier],
        costs: Mapping[str, int],
        concurrency: int,
        deadline: float,
    ) -> None:
        self._jobs = jobs
        self._provider = provider
        self._notifiers = notifiers
        self._deadline = deadline
        self._slots = concurrency
        self._outcomes = Outcomes(jobs=jobs, notifiers=notifiers)
        self._fail = self._outcomes.fail
        self._progress = self._outcomes.progress
        self._delivery = Delivery(
            jobs=jobs, provider=provider, costs=costs, outcomes=self._outcomes
        )
        self._queue = FairQueue()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancelling: set[str] = set()
        self._positions: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()

    # -- life cycle -------------------------------------------------------------------------

    async def run(self) -> None:
        """Recover unfinished jobs, then start queued ones until cancelled.

        On cancellation (shutdown) running jobs are cancelled too and stay persisted in
        their current state, to be resumed by the next ``recover``.
        """
        await self.recover()
        try:
            while True:
                await self._dispatch()
                await self._wake.wait()
                self._wake.clear()
        finally:
            tasks = list(self._running.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_until_idle(self) -> None:
        """Run until nothing is queued or running (tests and the console)."""
        task = asyncio.create_task(self.run())
        try:
            await self.wait_idle()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_idle(self) -> None:
        """Wait until no job is queued or running."""
        await self._idle.wait()

    async def recover(self) -> None:
        """Drive every unfinished job found in the database towards an end."""
        for job in await self._jobs.unfinished():
            if job.id in self._running or job.id in self._queue:
                continue
            if job.user.platform not in self._notifiers:
                logger.warning("job {} waits for the {} front end", job.id, job.user.platform)
            elif job.state is JobState.QUEUED:
                self.enqueue(job)
            elif job.state is JobState.SUBMITTING:
                await self._fail(job, texts.FAIL_INTERRUPTED)
            else:
                self._start(job.id)
        self._update_idle()

    def enqueue(self, job: Job) -> None:
        """Queue a freshly created job; it starts when a slot is free and its turn comes."""
        self._queue.push(job.user.key, job.id)
        self._idle.clear()
        self._wake.set()

    @property
    def waiting(self) -> int:
        """Jobs in our own waiting line."""
        return len(self._queue)

    def position(self, job_id: str) -> int | None:
        """1-based place in our own waiting line, or None when not waiting."""
        order = self._queue.order()
        return order.index(job_id) + 1 if job_id in order else None

    # -- scheduling ------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while len(self._running) < self._slots and (job_id := self._queue.pop()) is not None:
            self._positions.pop(job_id, None)
            self._start(job_id)
        await self._report_positions()
        self._update_idle()

    def _start(self, job_id: str) -> None:
        task = asyncio.create_task(self._process(job_id), name=f"job-{job_id}")
        self._running[job_id] = task
        task.add_done_callback(lambda _: self._finished(job_id))

    def _finished(self, job_id: str) -> None:
        self._running.pop(job_id, None)
        self._cancelling.discard(job_id)
        self._wake.set()
        self._update_idle()

    def _update_idle(self) -> None:
        if not self._running and not len(self._queue):
            self._idle.set()
        else:
            self._idle.clear()

    async def _report_positions(self) -> None:
        for place, job_id in enumerate(self._queue.order(POSITION_UPDATES), start=1):
            if self._positions.get(job_id) != place:
                self._positions[job_id] = place
                job = await self._jobs.get(job_id)
                if job is not None:
                    await self._progress(job, Stage.QUEUED, place)

    # -- cancel ----------------------------------------------------------------------------

    async def cancel(self, job: Job) -> Job | None:
        """Cancel a job that has not reached fal's result yet; None when it is too late."""
        if self._queue.remove(job.id) or job.id not in self._running:
            return await self._jobs.finish(job.id, JobState.CANCELLED, texts.FAIL_CANCELLED)
        current = await self._jobs.get(job.id)
        cancellable = (JobState.QUEUED, JobState.SUBMITTING, JobState.SUBMITTED)
        if current is None or current.state not in cancellable:
            return None
        self._cancelling.add(job.id)
        task = self._running[job.id]
        task.cancel()
        await asyncio.wait([task])
        return await self._jobs.get(job.id)

    # -- one job ---------------------------------------------------------------------------

    async def _process(self, job_id: str) -> None:
        job = await self._jobs.get(job_id)
        if job is None or job.state.terminal:
            return
        with logger.contextualize(job_id=job.id, user=job.user.key):
            try:
                await self._advance(job)
            except asyncio.CancelledError:
                if job_id not in self._cancelling:
                    raise  # shutdown: the job stays persisted and resumes on restart
                await self._cancelled(job_id)
            except Exception:
                logger.exception("job failed unexpectedly")
                await self._fail(job, texts.FAIL_INTERNAL)

    async def _advance(self, job: Job) -> None:
        if job.state is JobState.QUEUED:
            submitted = await self._submit(job)
            if submitted is None:
                return
            job = submitted
        if job.state is JobState.SUBMITTED:
            completed = await self._follow(job)
            if completed is None:
                return
            job = completed
        if job.state is JobState.COMPLETED:
            await self._delivery.deliver(job)

    async def _submit(self, job: Job) -> Job | None:
        started = await self._jobs.mark_submitting(job.id)
        if started is None:
            return None
        # No stage is reported here: fal's own status (queued at fal, then generating)
        # follows within moments, and "generating" before "queued" would read backwards.
        try:
            submission = await self._provider.submit(job.request)
        except ProviderError as error:
            await self._fail(started, failure_text(error, self._deadline))
            return None
        logger.info("submitted to {} as {}", submission.endpoint, submission.request_id)
        return await self._jobs.mark_submitted(job.id, submission)

    async def _follow(self, job: Job) -> Job | None:
        assert job.endpoint is not None and job.request_id is not None
        submission = Submission(endpoint=job.endpoint, request_id=job.request_id)

        async def on_update(progress: Progress) -> None:
            await self._progress(job, progress.stage, progress.queue_position)

        with logger.contextualize(request_id=submission.request_id):
            try:
                async with asyncio.timeout(self._deadline):
                    result = await self._wait(submission, on_update)
            except TimeoutError:
                await self._cancel_at_fal(submission)
                await self._fail(job, failure_text(TimedOut(), self._deadline))
                return None
            except ProviderError as error:
                await self._fail(job, failure_text(error, self._deadline))
                return None
        return await self._jobs.mark_completed(job.id, result)

    async def _wait(self, submission: Submission, on_update: OnUpdate) -> ImageResult:
        """fal owns the request now: when its status cannot be read, read it again later
        (until the deadline) rather than give up on a job that may well finish."""
        while True:
            try:
                return await self._provider.wait(submission, on_update)
            except Unavailable:
                logger.warning("status of {} unavailable; retrying", submission.request_id)
                await asyncio.sleep(STATUS_RETRY_SECONDS)

    async def _cancelled(self, job_id: str) -> None:
        job = await self._jobs.get(job_id)
        if job is None:
            return
        if job.endpoint and job.request_id:
            await self._cancel_at_fal(Submission(job.endpoint, job.request_id))
        await self._jobs.finish(job_id, JobState.CANCELLED, texts.FAIL_CANCELLED)

    async def _cancel_at_fal(self, submission: Submission) -> None:
        try:
            await asyncio.shield(self._provider.cancel(submission))
        except Exception:
            logger.exception("cancel at fal failed for {}", submission.request_id)
