"""fal's safety checker stays on, except in age-restricted channels when config allows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.settings import Settings
from tests.discord.conftest import running
from tests.discord.payloads import CHANNEL, NSFW_CHANNEL, component, custom_ids, slash
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.fal_server import FakeFal


@pytest.mark.parametrize(
    ("allowed", "channel", "checker"),
    [(True, NSFW_CHANNEL, False), (False, NSFW_CHANNEL, True), (True, CHANNEL, True)],
    ids=["nsfw-allowed", "nsfw-not-allowed", "ordinary-channel"],
)
async def test_safety_checker_by_channel_and_config(
    settings_for: Callable[..., Settings],
    fake: FakeDiscord,
    fal: FakeFal,
    allowed: bool,
    channel: int,
    checker: bool,
) -> None:
    settings = settings_for(unfiltered_nsfw_channels=allowed)
    async with running(settings, fake, fal) as world:
        made = world.send(slash("imagine", prompt="a fox", channel=channel))
        await world.settled(made)
        assert fal.submissions[-1].payload["enable_safety_checker"] is checker
        message = world.fake.original(made["token"])
        assert message is not None
        reroll = next(c for c in custom_ids(message) if c.startswith("ib:rr:"))
        press = world.send(component(reroll, message, channel=channel))
        await world.settled(press)
        assert fal.submissions[-1].payload["enable_safety_checker"] is checker


async def test_the_checker_stays_on_outside_nsfw_channels_even_if_off_by_default(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    settings = settings_for(unfiltered_nsfw_channels=True)
    defaults = settings.fal.defaults.model_copy(update={"enable_safety_checker": False})
    settings = settings.model_copy(
        update={"fal": settings.fal.model_copy(update={"defaults": defaults})}
    )
    async with running(settings, fake, fal) as world:
        await world.settled(world.send(slash("imagine", prompt="a fox", channel=CHANNEL)))
        assert fal.submissions[-1].payload["enable_safety_checker"] is True
