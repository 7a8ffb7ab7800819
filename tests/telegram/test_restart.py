"""End to end: a job in flight when the bot stops is finished by the next run, and its status
message (remembered in SQLite, not in memory) is cleaned up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from records import JobState, Platform
from storage.db import open_database
from storage.inbox import Inbox
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import Call, FakeTelegram
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


async def test_an_update_fetched_but_not_handled_is_handled_by_the_next_run(
    tmp_path: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after an update was fetched (and then confirmed by the next poll) but
    before it was handled leaves it in the inbox, unhandled: the next run handles it,
    although Telegram will not deliver it again."""
    ann = fake.user(11)
    update = {"update_id": 900, "message": fake.message(ann, "/imagine a fox lost in a crash")}
    async with open_database(tmp_path / "bot.db") as db:
        inbox = Inbox(db=db, platform=Platform.TELEGRAM.value)
        assert await inbox.receive([(900, json.dumps(update))]) == {900}
    async with FakeFal() as fal, telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
        photo = await tg.result(update["message"])
        [job] = await tg.jobs_of(11)
        assert job.state is JobState.DELIVERED and job.id in photo["caption"]
        assert await tg.balance(11) == (8, 0)
    async with open_database(tmp_path / "bot.db") as db:
        assert await Inbox(db=db, platform=Platform.TELEGRAM.value).unhandled() == []


async def test_failed_polls_are_retried_after_a_pause_and_nothing_is_lost(
    tmp_path: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = fake.user(11)

    def refused() -> list[Call]:
        return [c for c in fake.calls if c.method == "getUpdates" and c.status == 502]

    async with FakeFal() as fal, telegram_bot(tmp_path, fake, fal, monkeypatch) as tg:
        fake.fail("getUpdates", 502, "Bad Gateway", times=2)
        await fake.wait_until(refused, timeout=5)
        update = fake.send(ann, "/balance")  # while the bot waits to poll again
        reply = await tg.answer(update, timeout=10)
        assert reply["text"].startswith("💳")
        assert len(refused()) == 2  # polled again 1 s, then 2 s after a failure
