"""End-to-end driver: the real app (build_app) with Telegram pointed at FakeTelegram and fal
at FakeFal; a second SQLite connection reads the ledger and jobs to check real outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.app import App
from bot.core import texts
from bot.settings import Settings
from bot.telegram_adapter import TelegramFrontEnd
from records import Job, Platform, UserRef
from storage.db import Database, open_database
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import FakeTelegram
from tests.harness import bot_settings, merge, running_app

ADMIN = 900
ANONYMOUS_ADMIN = 1087968824
Message = dict[str, Any]


def telegram_section(fake: FakeTelegram, **overrides: Any) -> dict[str, Any]:
    return {
        "token": fake.token,
        "base_url": fake.base_url,
        "admin_ids": [ADMIN, ANONYMOUS_ADMIN],
        "poll_timeout": 1,
        "read_timeout": 2.0,
        "flood_retries": 2,
        "progress_interval_private": 0.0,
        "progress_interval_group": 0.0,
        **overrides,
    }


@dataclass
class Driver:
    """Speaks as Telegram users and reads back what they see and what the ledger says."""

    fake: FakeTelegram
    fal: FakeFal
    settings: Settings
    app: App
    front: TelegramFrontEnd
    ledger: Ledger
    jobs: JobStore

    async def answer(self, update: dict[str, Any], *, timeout: float = 5.0) -> Message:
        """The bot's settled text reply to the update's message (not the placeholder)."""
        message = update["message"]

        def settled() -> Message | None:
            return next(
                (
                    m
                    for m in self.fake.replies_to(message)
                    if m.get("text") not in (None, texts.TG_WORKING)
                ),
                None,
            )

        return await self.fake.wait_until(settled, timeout=timeout)

    async def result(self, message: Message, *, timeout: float = 8.0) -> Message:
        """The photo (or document, or album's first photo) replying to ``message``."""

        def posted() -> Message | None:
            return next(
                (m for m in self.fake.replies_to(message) if "photo" in m or "document" in m), None
            )

        found = await self.fake.wait_until(posted, timeout=timeout)
        await self.idle()
        return found

    async def idle(self) -> None:
        """No job queued or running, and no status edit in flight."""
        await asyncio.sleep(0.05)  # let an update being handled enqueue its job
        await asyncio.wait_for(self.app.runner.wait_idle(), 10)
        await self.front.notifier.drain()

    async def balance(self, user_id: int) -> tuple[int, int]:
        """(available, held) as the ledger has them."""
        found = await self.ledger.balance(UserRef(Platform.TELEGRAM, str(user_id)))
        return found.available, found.held

    async def jobs_of(self, user_id: int) -> list[Job]:
        return await self.jobs.recent(UserRef(Platform.TELEGRAM, str(user_id)), 20)


@asynccontextmanager
async def telegram_bot(
    tmp_path: Path,
    fake: FakeTelegram,
    fal: FakeFal,
    monkeypatch: pytest.MonkeyPatch,
    *,
    telegram: dict[str, Any] | None = None,
    **sections: dict[str, Any],
) -> AsyncIterator[Driver]:
    """Run the whole bot (Telegram only); leaving the block stops it like SIGTERM would."""
    settings = bot_settings(
        tmp_path, fal, **merge({"telegram": telegram_section(fake, **(telegram or {}))}, sections)
    )
    fronts: list[TelegramFrontEnd] = []
    build = bot.app.telegram_front_end

    def capture(s: Settings, db: Database) -> Any:
        front = build(s, db)
        assert isinstance(front, TelegramFrontEnd)
        fronts.append(front)
        return front

    monkeypatch.setattr(bot.app, "telegram_front_end", capture)
    polls = len(fake.calls_of("getUpdates"))
    async with running_app(settings) as app, open_database(tmp_path / "bot.db") as db:
        ledger = Ledger(db=db, initial_credits=settings.credits.initial)
        jobs = JobStore(db=db, ledger=ledger)
        driver = Driver(fake, fal, settings, app, fronts[-1], ledger, jobs)
        await fake.wait_for("getUpdates", count=polls + 1)  # polling
        yield driver


async def redelivered(tg: Driver, update: dict[str, Any]) -> None:
    """Telegram delivers ``update`` again; return once the bot has fetched it and polled
    past it (so whatever it was going to do with it has started), and is idle."""
    tg.fake.redeliver(update)
    after = len(tg.fake.calls_of("getUpdates"))
    await tg.fake.wait_until(lambda: len(tg.fake.calls_of("getUpdates")) >= after + 2)
    await tg.idle()
