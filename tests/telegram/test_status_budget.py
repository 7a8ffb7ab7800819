"""Status edits are paced per chat, not per job: Telegram's limits are per chat."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.telegram_adapter.frontend import TelegramApp
from bot.telegram_adapter.notifier import TelegramNotifier
from providers.base import Stage
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.conftest import make_job

INTERVAL = 0.25
JOBS = 3


@pytest.mark.parametrize("chat_id", [5, -1001234])
async def test_several_jobs_in_one_chat_share_its_edit_pace(
    fake: FakeTelegram, bot_app: TelegramApp, chat_id: int
) -> None:
    fake.user(5) if chat_id > 0 else fake.group(chat_id)
    notifier = TelegramNotifier(private_interval=INTERVAL, group_interval=INTERVAL)
    notifier.link.bind(bot_app.bot)
    jobs, statuses = [], []
    for n in range(JOBS):
        sent = await bot_app.bot.send_message(chat_id, "⏳")
        statuses.append(sent.message_id)
        jobs.append(make_job(chat_id, status_id=sent.message_id, job_id=f"job{n}"))
    started = time.monotonic()
    for position in range(8, 0, -1):  # every job changes every 0.1 s for 0.8 s
        for job in jobs:
            await notifier.progress(job, Stage.QUEUED, position)
        await asyncio.sleep(0.1)
    await asyncio.wait_for(notifier.drain(), 10)
    seconds = time.monotonic() - started
    edited = len(fake.calls_of("editMessageText", chat_id))
    # Paced per job, three jobs would make about 3 × seconds / INTERVAL edits.
    assert edited <= seconds / INTERVAL + 2
    for status in statuses:  # and each still ends showing its latest text
        last = [c for c in fake.calls_of("editMessageText", chat_id)
                if c.params["message_id"] == status][-1]
        assert "#1" in last.params["text"]
