"""One status message per job, edited as the job moves, throttled, never with unchanged text.

``show`` only records the wanted text and returns at once, so a slow or flood-limited Bot
API never holds up the job runner; a small editor task per job applies the latest text no
sooner than ``interval`` after the previous status edit *in the same chat*, whichever job
it was for (by default 1 s in private chats, 6 s in groups: Telegram's limits are per chat, and
a group with ten jobs in flight must not get ten times the edits), or after a RetryAfter
has passed. So at most one status edit per chat is ever waiting in the rate limiter ahead
of a result being posted there.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger
from telegram.error import RetryAfter, TelegramError, TimedOut

from bot.telegram_adapter.refs import Where, where
from bot.telegram_adapter.sender import Link, Sender, message_missing, not_modified, reply_to
from bot.telegram_adapter.sender import retry_seconds as retry_wait
from records import Job

CLOSED_MEMORY = 1000  # finished job ids remembered, so a late progress call is ignored
CHAT_MEMORY = 1000  # chats whose next edit time is remembered (past ones are dropped)


@dataclass(eq=False)
class Status:
    """A job's status message and what it should show."""

    where: Where
    interval: float
    message_id: int | None
    shown: str | None = None
    wanted: str | None = None
    next_at: float = 0.0
    editor: asyncio.Task[None] | None = None
    done: bool = False


class StatusBoard:
    """The status messages of jobs in flight."""

    def __init__(
        self,
        *,
        link: Link,
        private_interval: float,
        group_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._link = link
        self._intervals = (private_interval, group_interval)
        self._clock = clock
        self._statuses: dict[str, Status] = {}
        self._deleting: set[asyncio.Task[None]] = set()
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._chat_next: dict[int, float] = {}  # chat id → earliest next status edit there

    def showing(self, job_id: str) -> bool:
        status = self._statuses.get(job_id)
        return status is not None and status.wanted is not None

    def show(self, job: Job, text: str) -> None:
        """Ask for ``text`` on the job's status message (applied in the background)."""
        if job.id in self._closed:
            return
        status = self._statuses.get(job.id) or self._open(job)
        status.wanted = text
        if status.editor is None or status.editor.done():
            status.editor = asyncio.create_task(self._edit_loop(status), name=f"status-{job.id}")

    async def drain(self) -> None:
        """Wait until every wanted text is shown (or given up on) and every status message
        handed to ``delete_soon`` is gone."""
        editors = [s.editor for s in self._statuses.values() if s.editor is not None]
        await asyncio.gather(*editors, *self._deleting, return_exceptions=True)

    async def close(self, job: Job) -> Status:
        """Stop editing the job's status message and hand it over (to delete or replace)."""
        status = self._statuses.pop(job.id, None) or self._new(job)
        status.done = True
        self._closed[job.id] = None
        while len(self._closed) > CLOSED_MEMORY:
            self._closed.popitem(last=False)
        if status.editor is not None and status.editor is not asyncio.current_task():
            status.editor.cancel()
            await asyncio.gather(status.editor, return_exceptions=True)
        return status

    async def replace(self, status: Status, text: str) -> bool:
        """Turn a closed status message into ``text``; False when there is none to edit."""
        if status.message_id is None:
            return False
        sender = await self._link.sender()
        try:
            await sender.bot.edit_message_text(
                text, chat_id=sender.chat(status.where.chat_id), message_id=status.message_id
            )
        except TelegramError as error:
            if not_modified(error):
                return True
            logger.info("status message of a finished job not edited: {}", error)
            return False
        return True

    def delete_soon(self, status: Status) -> None:
        """Delete the status message in the background (after a result is posted, so the
        job is captured at once rather than after one more Bot API call)."""
        task = asyncio.create_task(self.delete(status), name="status-delete")
        self._deleting.add(task)
        task.add_done_callback(self._deleting.discard)

    async def delete(self, status: Status) -> None:
        if status.message_id is None:
            return
        sender = await self._link.sender()
        try:
            await sender.bot.delete_message(sender.chat(status.where.chat_id), status.message_id)
        except TelegramError as error:
            logger.info("status message not deleted: {}", error)

    def _new(self, job: Job) -> Status:
        place = where(job.chat)
        interval = self._intervals[1] if place.group else self._intervals[0]
        return Status(place, interval, place.status_id)

    def _open(self, job: Job) -> Status:
        status = self._statuses[job.id] = self._new(job)
        return status

    async def _edit_loop(self, status: Status) -> None:
        sender = await self._link.sender()
        chat = status.where.chat_id
        while not status.done and status.wanted not in (None, status.shown):
            now = self._clock()
            delay = max(status.next_at, self._chat_next.get(chat, 0.0)) - now
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            self._book(chat, now + status.interval)  # before the await: the chat's turn
            pause = await self._apply(sender, status, status.wanted or "")
            status.next_at = self._clock() + pause
            self._book(chat, status.next_at)

    def _book(self, chat: int, at: float) -> None:
        """No status edit in ``chat`` before ``at``."""
        self._chat_next[chat] = max(at, self._chat_next.get(chat, 0.0))
        if len(self._chat_next) > CHAT_MEMORY:
            now = self._clock()
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    async def _apply(self, sender: Sender, status: Status, text: str) -> float:
        """One edit (or the first send); returns how long to wait before the next one."""
        try:
            await self._write(sender, status, text)
        except RetryAfter as error:
            return retry_wait(error)
        except TimedOut:
            status.shown = text  # it may well have been applied; the next change edits again
        except TelegramError as error:
            if not_modified(error):
                status.shown = text
            else:
                status.done = True  # blocked, migrated or the message was deleted: stop
                level = "INFO" if message_missing(error) else "WARNING"
                logger.log(level, "status message stopped: {}", error)
        return status.interval

    async def _write(self, sender: Sender, status: Status, text: str) -> None:
        chat = sender.chat(status.where.chat_id)
        if status.message_id is None:
            sent = await sender.to(
                status.where.chat_id,
                lambda c: sender.bot.send_message(
                    c, text, reply_parameters=reply_to(status.where.reply_to)
                ),
            )
            status.message_id = sent.message_id
        else:
            await sender.bot.edit_message_text(text, chat_id=chat, message_id=status.message_id)
        status.shown = text
