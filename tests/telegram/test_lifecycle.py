"""The front end's life: builder settings, command menus, start failures, clean stop."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from telegram.ext import AIORateLimiter

import bot.app
from bot.core.commands import AdminIds
from bot.settings import Settings
from bot.telegram_adapter import TelegramFrontEnd
from bot.telegram_adapter.frontend import TelegramStartFailed
from records import Platform
from storage.db import Database
from storage.inbox import Inbox
from tests.fakes.telegram_server import FakeTelegram
from tests.telegram.conftest import options_for


async def run_briefly(front: TelegramFrontEnd, fake: FakeTelegram) -> None:
    task = asyncio.create_task(front.run())
    await fake.wait_for("getUpdates")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def test_the_settings_build_the_application_as_configured(db: Database) -> None:
    settings = Settings(
        telegram={
            "token": "1:abc",
            "base_url": "http://127.0.0.1:9/bot",
            "concurrent_updates": 8,
            "media_write_timeout": 90,
        }
    )
    front = bot.app.telegram_front_end(settings, db)
    assert isinstance(front, TelegramFrontEnd) and front.platform is Platform.TELEGRAM
    app = front.application
    assert app.bot.base_url == "http://127.0.0.1:9/bot1:abc"
    assert app.bot.base_file_url == "http://127.0.0.1:9/file/bot1:abc"
    assert isinstance(app.bot.rate_limiter, AIORateLimiter)
    assert app.update_processor.max_concurrent_updates == 8
    request: Any = app.bot.request
    assert request._media_write_timeout == 90


async def test_menus_for_private_chats_groups_and_admins_then_a_clean_stop(
    fake: FakeTelegram, inbox: Inbox
) -> None:
    fake.user(900)
    front = TelegramFrontEnd(options=options_for(fake), inbox=inbox)
    admins = AdminIds({Platform.TELEGRAM: frozenset({"900", "1087968824"})})
    front.attach(router=None, service=None, admins=admins)  # type: ignore[arg-type]
    await run_briefly(front, fake)
    menus = {
        str(c.params["scope"]): [m["command"] for m in c.params["commands"]]
        for c in fake.calls_of("setMyCommands")
    }
    private, group, admin = menus.values()
    assert "start" in private and "grant" not in private
    assert "start" not in group and "imagine" in group and "grant" not in group
    assert "grant" in admin and "stats" in admin
    assert [
        c["chat_id"]
        for c in (call.params["scope"] for call in fake.calls_of("setMyCommands"))
        if "chat_id" in c
    ] == [900]  # never 1087968824
    assert [c.method for c in fake.calls][-1] == "getUpdates"  # the offset confirmation
    assert not front.application.running


async def test_a_rejected_token_stops_with_a_message_without_the_token(
    fake: FakeTelegram, inbox: Inbox
) -> None:
    wrong = "7000001:WRONG-token-that-must-not-be-printed"
    front = TelegramFrontEnd(options=options_for(fake, token=wrong), inbox=inbox)
    front.attach(router=None, service=None, admins=AdminIds({}))  # type: ignore[arg-type]
    with pytest.raises(TelegramStartFailed) as raised:
        await front.run()
    assert "WRONG" not in str(raised.value) and "TELEGRAM_TOKEN" in str(raised.value)
    assert raised.value.__suppress_context__


async def test_telegram_unreachable_at_start_is_retried(fake: FakeTelegram, inbox: Inbox) -> None:
    fake.fail("getMe", 502, "Bad Gateway")
    front = TelegramFrontEnd(options=options_for(fake), inbox=inbox)
    front.attach(router=None, service=None, admins=AdminIds({}))  # type: ignore[arg-type]
    await run_briefly(front, fake)
    assert [c.status for c in fake.calls if c.method == "getMe"] == [502, 200]
