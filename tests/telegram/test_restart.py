"""End to end: a job in flight when the bot stops is finished by the next run, and its status
message (remembered in SQLite, not in memory) is cleaned up."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.models import JobState
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.driver import telegram_bot


async def test_a_job_in_flight_is_delivered_after_a_restart(
    tmp_path: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = fake.user(11)
    async with FakeFal(inference_seconds=1.0) as fal:
        async with telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
            update = tg.fake.send(ann, "/imagine a patient fox")
            await tg.fake.wait_until(lambda: tg.fal.submissions)
            [job] = await tg.jobs_of(11)
            status = tg.fake.replies_to(update["message"])[0]
        async with telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
            photo = await tg.result(update["message"])
            [job] = await tg.jobs_of(11)
            assert job.state is JobState.DELIVERED and job.id in photo["caption"]
            assert len(tg.fal.submissions) == 1  # followed, never submitted twice
            assert status["message_id"] not in [m["message_id"] for m in tg.fake.chat(11)]
            assert await tg.balance(11) == (8, 0)
