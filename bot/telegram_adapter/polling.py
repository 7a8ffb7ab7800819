"""Long polling that loses no update and handles none twice.

Telegram forgets an update once the next ``getUpdates`` confirms it (its ``offset`` is
past it), and PTB's own Updater polls again as soon as a batch is queued, before the batch
is handled: a process killed in between lost those messages without a word. Here each
batch goes into the ``Inbox`` (durable) before the next poll, each update is handled
concurrently through PTB's update processor, and marked handled when its handler returns.
On start, what the inbox still holds unhandled is handled first; an update Telegram
delivers again after a crash is skipped when the inbox says it was handled.

A clean stop lets the handlers in progress finish (for ``grace`` seconds; the others stay
in the inbox for the next start) and confirms the offset to Telegram, as PTB does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from loguru import logger
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.telegram_adapter.sender import retry_seconds

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0  # seconds between failed polls, doubling


class Inbox(Protocol):
    """Where fetched updates are kept until handled (storage.inbox.Inbox)."""

    async def receive(self, updates: Sequence[tuple[int, str]]) -> set[int]: ...

    async def handled(self, event_id: int) -> None: ...

    async def unhandled(self) -> list[tuple[int, str]]: ...


class Poller:
    """Polls Telegram for ``app`` and hands each update to its handlers once."""

    def __init__(
        self, *, app: TelegramApp, inbox: Inbox, timeout: int, allowed_updates: list[str]
    ) -> None:
        self._app = app
        self._inbox = inbox
        self._timeout = timeout
        self._allowed = allowed_updates
        self._offset: int | None = None
        self._pause = FIRST_PAUSE
        self._handling: dict[int, asyncio.Task[None]] = {}

    async def run(self, ready: Callable[[], None]) -> None:
        """Handle what a previous run left unhandled, then poll until cancelled."""
        with contextlib.suppress(TelegramError):  # polling works without; a webhook
            await self._app.bot.delete_webhook()  # left set would show up as errors below
        for _, body in await self._inbox.unhandled():
            if (update := Update.de_json(json.loads(body), self._app.bot)) is not None:
                self._start(update)
        ready()
        while True:
            updates = await self._fetch()
            if updates:
                await self._keep(updates)

    async def stop(self, grace: float) -> None:
        """Let the handlers in progress finish, then confirm the offset to Telegram."""
        pending = list(self._handling.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace)
            for task in late:  # still unhandled in the inbox: the next start handles it
                task.cancel()
            await asyncio.wait(pending)
        if self._offset is not None:
            with contextlib.suppress(TelegramError):
                await self._app.bot.get_updates(
                    offset=self._offset, timeout=0, allowed_updates=self._allowed
                )

    async def _fetch(self) -> Sequence[Update]:
        """One long poll; a failure is logged and the poll repeated after a growing pause."""
        try:
            updates: Sequence[Update] = await self._app.bot.get_updates(
                offset=self._offset, timeout=self._timeout, allowed_updates=self._allowed
            )
        except InvalidToken:
            raise
        except RetryAfter as error:
            await asyncio.sleep(retry_seconds(error))
            return ()
        except TelegramError as error:
            logger.warning("polling Telegram failed ({}); again in {:.0f} s", error, self._pause)
            await asyncio.sleep(self._pause)
            self._pause = min(self._pause * 2, LONGEST_PAUSE)
            return ()
        self._pause = FIRST_PAUSE
        return updates

    async def _keep(self, updates: Sequence[Update]) -> None:
        """Into the inbox first; only then may the next poll confirm them."""
        to_handle = await self._inbox.receive([(u.update_id, u.to_json()) for u in updates])
        self._offset = updates[-1].update_id + 1
        for update in updates:
            if update.update_id in to_handle and update.update_id not in self._handling:
                self._start(update)

    def _start(self, update: Update) -> None:
        event_id = update.update_id
        task = asyncio.create_task(self._handle(update), name=f"telegram-update-{event_id}")
        self._handling[event_id] = task
        task.add_done_callback(lambda _: self._handling.pop(event_id, None))

    async def _handle(self, update: Update) -> None:
        app = self._app
        try:
            await app.update_processor.process_update(update, app.process_update(update))
        except Exception:  # PTB hands handler errors to our error handler; this is the rest
            logger.exception("telegram update {} failed", update.update_id)
        await self._inbox.handled(update.update_id)
