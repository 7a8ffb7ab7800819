"""Whatever breaks, the user gets an answer; the bot starts and stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import build_app
from bot.core import texts
from bot.discord_adapter import DiscordFrontEnd
from bot.settings import Settings
from records import JobState
from tests.discord.conftest import World, ephemeral_text
from tests.discord.payloads import ADMIN, ALICE, component, custom_ids, slash
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.fal_server import FakeFal


async def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the database is on fire")


async def test_an_unexpected_error_still_answers_privately(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.router.user, "balance", boom)
    payload = world.send(slash("balance"))
    await world.first_answer(payload)
    (edit,) = await world.webhook_calls(payload, "PATCH")
    assert edit.json["content"] == texts.DISCORD_ERROR  # the private "thinking…", replaced

    monkeypatch.setattr(world.router.user, "imagine", boom)
    public = world.send(slash("imagine", prompt="a fox"))
    (followup,) = await world.webhook_calls(public, "POST")
    assert (followup.json["content"], followup.json["flags"]) == (texts.DISCORD_ERROR, 64)
    assert world.fake.calls("DELETE", public["token"])  # no public trace left
    assert "fire" not in str([r.json for r in world.fake.requests])  # no traceback shown


async def test_a_failing_button_still_answers_privately(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = world.send(slash("imagine", prompt="a fox"))
    await world.settled(made)
    message = world.fake.original(made["token"])
    assert message is not None
    monkeypatch.setattr(world.router.user, "reroll", boom)
    press = world.send(component(custom_ids(message)[0], message))
    (followup,) = await world.webhook_calls(press, "POST")
    assert (followup.json["content"], followup.json["flags"]) == (texts.DISCORD_ERROR, 64)


async def test_an_unknown_command_is_answered(world: World) -> None:
    payload = world.send(slash("summon", prompt="a dragon"))
    assert ephemeral_text(await world.first_answer(payload)) == texts.DISCORD_ERROR


async def test_commands_work_in_direct_messages(world: World) -> None:
    payload = world.send(slash("imagine", prompt="a quiet fox", guild=False))
    job = await world.settled(payload)
    assert job.state is JobState.DELIVERED
    message = world.fake.original(payload["token"])
    assert message is not None and len(message["attachments"]) == 1
    admin = world.send(slash("help", who=ADMIN, guild=False))
    await world.first_answer(admin)
    text = (await world.webhook_calls(admin, "PATCH"))[0].json["content"]
    assert text.endswith(texts.DISCORD_HELP_EXTRA + texts.DISCORD_ADMIN_HELP)
    assert texts.ADMIN_HELP not in text  # the core's admin help names text commands
    user = world.send(slash("help", who=ALICE))
    await world.first_answer(user)
    text = (await world.webhook_calls(user, "PATCH"))[0].json["content"]
    assert texts.DISCORD_ADMIN_HELP not in text


async def test_run_lasts_until_cancelled_then_closes_cleanly(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    async with build_app(settings_for()) as app:
        (front,) = [f for f in app.front_ends if isinstance(f, DiscordFrontEnd)]
        task = asyncio.create_task(front.run())
        await fake.wait_for(lambda r: r.path.startswith("/gateway"))  # trying to connect
        assert not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert front.bot.is_closed()
        assert fake.calls("GET", "/users/@me") and fake.calls("PUT", "/commands")
