"""Fixtures for the Telegram front end: the fake Bot API server and a PTB app pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.telegram_adapter.frontend import TelegramApp, build_application
from bot.telegram_adapter.notifier import TelegramNotifier
from bot.telegram_adapter.options import TelegramOptions
from bot.telegram_adapter.refs import chat_ref
from records import GeneratedImage, ImageRequest, ImageResult, Job, JobState, Platform, UserRef
from storage.db import Database, open_database
from storage.inbox import Inbox
from tests.fakes.fal_server import FakeFal, fast_fal_client_retries
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.driver import Driver, telegram_bot


def options_for(fake: FakeTelegram, **overrides: Any) -> TelegramOptions:
    """Options for a bot talking to ``fake``: short polls, no throttling unless asked."""
    base = TelegramOptions(
        token=fake.token,
        base_url=fake.base_url,
        poll_timeout=1,
        read_timeout=2.0,
        flood_retries=2,
        private_interval=0.0,
        group_interval=0.0,
    )
    return replace(base, **overrides)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(tmp_path / "bot.db") as database:
        yield database


@pytest.fixture
def inbox(db: Database) -> Inbox:
    return Inbox(db=db, platform=Platform.TELEGRAM.value)


@pytest.fixture
async def bot_app(fake: FakeTelegram) -> AsyncIterator[TelegramApp]:
    """An initialised (not polling) Application; for notifier tests."""
    app = build_application(options_for(fake, read_timeout=0.5))
    async with app:
        yield app


@pytest.fixture
def notifier(bot_app: TelegramApp) -> TelegramNotifier:
    notifier = TelegramNotifier(private_interval=0.0, group_interval=0.0)
    notifier.link.bind(bot_app.bot)
    return notifier


def make_job(
    chat_id: int,
    *,
    reply_to: int | None = None,
    status_id: int | None = None,
    images: int = 1,
    job_id: str = "ab12cd34ef",
    prompt: str = "a red fox at dawn",
    state: JobState = JobState.COMPLETED,
) -> Job:
    result = ImageResult(
        endpoint="fal-ai/flux-lora",
        seed=1234,
        images=tuple(GeneratedImage(f"https://cdn/{i}.png", 64, 48) for i in range(images)),
    )
    return Job(
        id=job_id,
        user=UserRef(Platform.TELEGRAM, str(abs(chat_id))),
        chat=chat_ref(chat_id, reply_to, status_id),
        request=ImageRequest(prompt=prompt, num_images=images),
        cost=2 * images,
        state=state,
        created_at=0.0,
        updated_at=0.0,
        result=result,
    )


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's future RetryAfter (a timedelta); the int form is covered in test_codecs."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def fal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    fast_fal_client_retries(monkeypatch)
    async with FakeFal() as server:
        yield server


@pytest.fixture
async def tg(
    tmp_path: Path, fake: FakeTelegram, fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Driver]:
    """The whole bot, polling the fake Telegram, generating on the fake fal."""
    async with telegram_bot(tmp_path, fake, fal, monkeypatch) as driver:
        yield driver
