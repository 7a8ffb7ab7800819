"""DiscordNotifier: the core's Notifier for Discord jobs.

Status lines edit the deferred response, at most one edit per ``interval`` per job, in a
background task per job so the runner never waits on Discord (the latest line wins; a
line already shown is not sent again). Results replace the status: the images as files
within the interaction's upload limit (bigger ones re-encoded, or linked when even that
fails; after a 413 everything is made smaller, three times at most, then links only), an
embed with prompt, seed, model, time and cost, and the buttons. Once the interaction
token is older than ``token_lifetime`` (or the webhook answers 401/404), posts go to the
channel with the bot's token, then to the user's DMs (see posting.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import discord
from loguru import logger

from bot.core.ports import DeliveredImage, DeliveryFailed
from bot.core.present import progress_text
from bot.discord_adapter.context import Origin
from bot.discord_adapter.posting import Outgoing, Poster, TooLarge
from bot.discord_adapter.results import result_message
from records import Job, Stage

SHRINK_STEPS = 3  # smaller uploads tried after a 413, before sending links only


def upload_budgets(limit: int, images: Sequence[DeliveredImage]) -> list[int]:
    """Bytes allowed per image: the interaction's limit, then, after each 413, half the
    largest image split between the images (links only come after the last)."""
    largest = min(limit, max((len(image.data) for image in images), default=0))
    share = max(1, len(images))
    return [limit, *(largest // (share << step) for step in range(1, SHRINK_STEPS + 1))]


@dataclass(eq=False)
class _Board:
    """One job's status message: what is shown, what waits, and the edit task."""

    poster: Poster
    created: float
    shown: str = ""
    pending: str | None = None
    edited_at: float = float("-inf")
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class DiscordNotifier:
    """Implements ``bot.core.ports.Notifier``; see the module docstring."""

    def __init__(
        self,
        *,
        client: discord.Client,
        interval: float = 2.0,
        token_lifetime: float = 14 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._interval = interval
        self._token_lifetime = token_lifetime
        self.clock = clock
        self._boards: dict[str, _Board] = {}

    # --- status ---------------------------------------------------------------------------

    async def acknowledge(self, job: Job, text: str) -> None:
        """The command's first answer, unless the job already reported progress."""
        if job.id not in self._boards:
            self._show(job, text)

    async def progress(self, job: Job, stage: Stage, position: int | None) -> None:
        self._show(job, progress_text(job, stage, position))

    def _show(self, job: Job, text: str) -> None:
        board = self._board(job)
        board.pending = None if text == board.shown else text
        if board.pending is None:
            return
        if board.task is None or board.task.done():
            board.task = asyncio.create_task(self._edits(board), name=f"discord-status-{job.id}")

    async def _edits(self, board: _Board) -> None:
        try:
            while board.pending is not None:
                await asyncio.sleep(max(0.0, board.edited_at + self._interval - time.monotonic()))
                text, board.pending = board.pending, None
                if text is None:
                    break
                board.shown, board.edited_at = text, time.monotonic()
                await board.poster.edit_status(text)
        except Exception:
            logger.exception("status edit failed")

    def _board(self, job: Job) -> _Board:
        board = self._boards.get(job.id)
        if board is None:
            self._forget_stale()
            board = _Board(poster=self._poster(job, webhook=True), created=self.clock())
            self._boards[job.id] = board
        return board

    def _forget_stale(self) -> None:
        """Drop boards of jobs that ended without a word to us (cancelled by the user)."""
        cutoff = self.clock() - self._token_lifetime
        for job_id, board in list(self._boards.items()):
            if board.created < cutoff and (board.task is None or board.task.done()):
                del self._boards[job_id]

    def _poster(self, job: Job, *, webhook: bool) -> Poster:
        origin = Origin.of(job)
        fresh = self.clock() - origin.at < self._token_lifetime
        return Poster(client=self._client, origin=origin, webhook=webhook and fresh)

    async def _close(self, job: Job) -> Poster:
        """Stop the job's status edits; the poster (with what it learned) for the last word."""
        board = self._boards.pop(job.id, None)
        if board is None:
            return self._poster(job, webhook=True)
        if board.task is not None:
            board.task.cancel()
            await asyncio.wait([board.task])  # unlike awaiting it, never eats our own cancel
        return self._poster(job, webhook=board.poster.webhook_alive)

    async def aclose(self) -> None:
        """Stop every pending status edit (shutdown; the jobs resume after a restart)."""
        tasks = [b.task for b in self._boards.values() if b.task is not None]
        self._boards.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- the last word --------------------------------------------------------------------

    async def delivered(self, job: Job, images: Sequence[DeliveredImage]) -> None:
        poster = await self._close(job)
        seconds = max(0.0, self.clock() - job.created_at)
        for budget in upload_budgets(Origin.of(job).filesize_limit, images):
            message = await result_message(job, images, budget, seconds)
            try:
                await poster.post(message)
                return
            except TooLarge as error:
                logger.warning("job {}: upload too large ({}); trying smaller", job.id, error)
        await poster.post(await result_message(job, images, 0, seconds))

    async def failed(self, job: Job, message: str) -> None:
        poster = await self._close(job)
        try:
            await poster.post(Outgoing(text=message))
        except DeliveryFailed as error:
            logger.warning("job {}: could not tell the user it failed: {}", job.id, error)
