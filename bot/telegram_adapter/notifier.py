"""TelegramNotifier: the core's Notifier for Telegram chats.

Progress goes to the job's status message (status.py); results are posted by results.py and
the status message is then deleted in the background (the job is captured meanwhile: a
crash between posting and capture leaves the job "may have arrived", so that window is
kept to the post itself); a failure turns the status message into the failure
text. A chat that is gone (blocked, kicked) raises ``DeliveryFailed`` from ``delivered``, so
the core releases the credits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from loguru import logger
from telegram.error import RetryAfter, TelegramError

from bot.core import texts
from bot.core.ports import DeliveredImage, DeliveryFailed
from bot.core.present import progress_text
from bot.telegram_adapter.refs import where
from bot.telegram_adapter.results import send_results
from bot.telegram_adapter.sender import Link, gone, reply_to
from bot.telegram_adapter.status import StatusBoard
from records import Job, Stage

FAILED_WAIT = 30.0  # seconds a failure notice waits for the bot to be running


def status_text(job: Job, stage: Stage, position: int | None) -> str:
    """The job's acceptance line (id, images, credits) above its current stage."""
    accepted = texts.ACCEPTED.format(job_id=job.id, count=job.request.num_images, cost=job.cost)
    return f"{accepted}\n{progress_text(job, stage, position)}"


class TelegramNotifier:
    """Implements ``bot.core.ports.Notifier``; usable before the bot runs (calls wait)."""

    def __init__(
        self,
        *,
        private_interval: float,
        group_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = Link()
        self._board = StatusBoard(
            link=self.link,
            private_interval=private_interval,
            group_interval=group_interval,
            clock=clock,
        )

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None:
        self._board.show(job, status_text(job, stage, position))

    async def accepted(self, job: Job) -> None:
        """A new job: show it as queued unless the runner already reported on it."""
        if not self._board.showing(job.id):
            await self.progress(job, Stage.QUEUED, None)

    async def ended(self, job: Job) -> None:
        """The job ended without the runner telling us (cancelled): drop its status."""
        await self._board.delete(await self._board.close(job))

    async def drain(self) -> None:
        """Wait for the status edits in flight (tests use it to observe a settled chat)."""
        await self._board.drain()

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None:
        sender = await self.link.sender()
        status = await self._board.close(job)
        try:
            await send_results(sender, where(job.chat), job, images)
        except RetryAfter as error:  # a flood longer than AIORateLimiter's retries
            raise DeliveryFailed(f"flood control: {error}", tell_user=True) from error
        except TelegramError as error:
            if gone(error):
                raise DeliveryFailed(str(error)) from error
            raise
        self._board.delete_soon(status)  # the job is captured meanwhile

    async def failed(self, job: Job, message: str) -> None:
        try:  # the runner's start-up recovery waits on this: never for long
            async with asyncio.timeout(FAILED_WAIT):
                sender = await self.link.sender()
        except TimeoutError:
            logger.warning("Telegram not running; job {} failed silently: {}", job.id, message)
            return
        status = await self._board.close(job)
        if await self._board.replace(status, message):
            return
        place = where(job.chat)
        try:
            await sender.to(
                place.chat_id,
                lambda chat: sender.bot.send_message(
                    chat, message, reply_parameters=reply_to(place.reply_to)
                ),
            )
        except TelegramError as error:
            logger.warning("could not tell the user that job {} failed: {}", job.id, error)
