"""Result buttons: re-roll, variations, delete — owner checks, and life after a restart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core import texts
from bot.settings import Settings
from records import JobKind, JobState
from tests.discord.conftest import World, ephemeral_text, running
from tests.discord.payloads import ALICE, BOB, MOD, component, custom_ids, slash
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.fal_server import FakeFal


async def result_of(world: World, prompt: str = "a red fox", count: int = 2) -> dict[str, Any]:
    """Make a job as Alice and return its result message."""
    p = world.send(slash("imagine", prompt=prompt, count=count))
    await world.settled(p)
    message = world.fake.original(p["token"])
    assert message is not None
    return message


def button(message: dict[str, Any], prefix: str) -> str:
    return next(c for c in custom_ids(message) if c.startswith(prefix))


async def test_result_carries_reroll_delete_and_one_variation_per_image(world: World) -> None:
    message = await result_of(world)
    job_id = message["embeds"][0]["title"].removeprefix("Job ")
    owner = ALICE.id
    assert custom_ids(message) == [
        f"ib:rr:{job_id}:{owner}",
        f"ib:del:{job_id}:{owner}",
        f"ib:va:{job_id}:0:{owner}",
        f"ib:va:{job_id}:1:{owner}",
    ]


async def test_reroll_makes_a_new_job_with_a_new_seed(world: World) -> None:
    message = await result_of(world)
    press = world.send(component(button(message, "ib:rr:"), message))
    assert (await world.first_answer(press)).json == {"type": 5}
    job = await world.settled(press)
    parent_id = message["embeds"][0]["title"].removeprefix("Job ")
    assert (job.parent_id, job.state, job.request.seed) == (parent_id, JobState.DELIVERED, None)
    assert "seed" not in world.fal.submissions[-1].payload
    result = world.fake.original(press["token"])  # the new message, answering the press
    assert result is not None and len(result["attachments"]) == 2
    assert await world.balance(ALICE) == (2, 0)  # two jobs of 2 images × 2 credits


async def test_variation_is_image_to_image_of_that_image(world: World) -> None:
    message = await result_of(world)
    press = world.send(component(button(message, "ib:va:").replace(":0:", ":1:"), message))
    job = await world.settled(press)
    assert (job.request.kind, job.request.num_images) == (JobKind.IMAGE, 1)
    sent = world.fal.submissions[-1]
    assert sent.endpoint == "fal-ai/flux-general/image-to-image"
    assert sent.payload["strength"] == 0.85
    assert job.state is JobState.DELIVERED


async def test_only_the_owner_may_reroll_or_vary(world: World) -> None:
    message = await result_of(world)
    before = len(world.fal.submissions)
    for prefix in ("ib:rr:", "ib:va:"):
        press = world.send(component(button(message, prefix), message, who=BOB))
        assert ephemeral_text(await world.first_answer(press)) == texts.NOT_YOUR_JOB
        assert await world.job_for(press) is None
    assert len(world.fal.submissions) == before
    assert await world.balance(BOB) == (0, 0)  # never even created


async def test_delete_by_the_owner_or_a_moderator_but_not_by_others(world: World) -> None:
    first, second = await result_of(world, "one"), await result_of(world, "two")

    stranger = world.send(component(button(first, "ib:del:"), first, who=BOB))
    refusal = ephemeral_text(await world.first_answer(stranger))
    assert refusal == texts.DISCORD_NOT_YOURS_TO_DELETE
    assert int(first["id"]) in world.fake.messages

    for message, who in ((first, ALICE), (second, MOD)):
        press = world.send(component(button(message, "ib:del:"), message, who=who))
        assert (await world.first_answer(press)).json == {"type": 6}
        await world.webhook_calls(press, "DELETE")
        assert int(message["id"]) in world.fake.deleted


async def test_buttons_work_after_a_restart(
    settings_for: Callable[..., Settings], fake: FakeDiscord, fal: FakeFal
) -> None:
    settings = settings_for()
    async with running(settings, fake, fal) as before:
        message = await result_of(before)
    async with running(settings, fake, fal) as after:  # a new bot on the same database
        assert after.bot is not before.bot
        press = after.send(component(button(message, "ib:rr:"), message))
        job = await after.settled(press)
        assert job.state is JobState.DELIVERED
        assert job.parent_id == message["embeds"][0]["title"].removeprefix("Job ")
        stranger = after.send(component(button(message, "ib:va:"), message, who=BOB))
        assert ephemeral_text(await after.first_answer(stranger)) == texts.NOT_YOUR_JOB
