"""Status edits are paced per chat, not per job: Telegram's limits are per chat."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.settings import TelegramSettings
from bot.telegram_adapter.frontend import TelegramApp
from bot.telegram_adapter.notifier import TelegramNotifier
from records import Stage
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
        last = [
            c for c in fake.calls_of("editMessageText", chat_id) if c.params["message_id"] == status
        ][-1]
        assert "#1" in last.params["text"]


def test_default_paces_leave_room_for_replies_and_results() -> None:
    """Telegram allows ~1 message a second per chat and 20 a minute per group, edits
    included; with one status message per chat edited at the default pace, progress uses at
    most half of a group's budget and at most the private chat's one a second."""
    defaults = TelegramSettings()
    assert 60 / defaults.progress_interval_group <= 20 / 2
    assert 1 / defaults.progress_interval_private <= 1
