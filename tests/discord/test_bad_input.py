"""Bad input: exactly one message only the caller sees, with the core's words; nothing charged.

Refusals that need no I/O (prompt flags, an attachment's declared type and size) are the
interaction's first response; refusals after the defer (undecodable image, not enough
credits) delete the public "thinking…" message and answer ephemerally.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import texts
from bot.core.prompts import MAX_SEED
from tests.discord.conftest import World, ephemeral_text
from tests.discord.payloads import ALICE, slash
from tests.fakes.images import not_an_image_bytes, png_bytes

OUT_OF_RANGE = texts.FLAG_OUT_OF_RANGE


def only_request_for(world: World, payload: dict[str, Any]) -> None:
    """Nothing was sent about this interaction besides its first response."""
    assert [r.path for r in world.fake.requests if payload["token"] in r.path] == [
        f"/interactions/{payload['id']}/{payload['token']}/callback"
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"prompt": "   "}, texts.EMPTY_PROMPT),
        ({"prompt": "x" * 1001}, texts.PROMPT_TOO_LONG.format(length=1001, limit=1000)),
        (
            {"prompt": "a fox", "seed": -1},
            OUT_OF_RANGE.format(flag="--seed", low=0, high=MAX_SEED, value=-1),
        ),
        ({"prompt": "a fox", "count": 5}, OUT_OF_RANGE.format(flag="--n", low=1, high=4, value=5)),
        (
            {"prompt": "a fox", "steps": 0},
            OUT_OF_RANGE.format(flag="--steps", low=1, high=50, value=0),
        ),
        (
            {"prompt": "a fox", "lora": "watercolor", "lora_scale": 4.5},
            OUT_OF_RANGE.format(flag="--lora", low=0.0, high=4.0, value=4.5),
        ),
        (
            {"prompt": "a fox", "lora": "nope"},
            texts.UNKNOWN_LORA.format(name="nope", known="inkwash, watercolor"),
        ),
        (
            {"prompt": "a fox", "style": "nope"},
            texts.UNKNOWN_STYLE.format(name="nope", known="anime, photo"),
        ),
        ({"prompt": "a fox", "lora_scale": 0.5}, texts.DISCORD_SCALE_NEEDS_LORA),
        ({"prompt": "a fox --seed 1", "seed": 2}, texts.FLAG_REPEATED.format(flag="--seed")),
    ],
    ids=[
        "empty",
        "too-long",
        "seed",
        "count",
        "steps",
        "lora-scale",
        "unknown-lora",
        "unknown-style",
        "scale-without-lora",
        "seed-twice",
    ],
)
async def test_bad_imagine_options(world: World, options: dict[str, Any], expected: str) -> None:
    payload = world.send(slash("imagine", **options))
    assert ephemeral_text(await world.first_answer(payload)) == expected
    only_request_for(world, payload)
    assert await world.balance(ALICE) == (0, 0)  # no database work: not even a user row
    assert await world.nothing_charged(ALICE)
    assert world.fal.submissions == []


@pytest.mark.parametrize(
    ("content_type", "size", "options", "expected"),
    [
        ("text/plain", None, {}, texts.IMAGE_NOT_AN_IMAGE),
        (None, None, {}, texts.IMAGE_NOT_AN_IMAGE),
        (
            "image/png",
            20_000_000,
            {},
            texts.IMAGE_TOO_LARGE.format(size="20.0 MB", limit="10.0 MB"),
        ),
        (
            "image/png",
            None,
            {"strength": 1.5},
            OUT_OF_RANGE.format(flag="--strength", low=0.01, high=1.0, value=1.5),
        ),
    ],
    ids=["text-file", "no-content-type", "too-large", "strength"],
)
async def test_bad_edit_attachments_are_refused_before_downloading(
    world: World,
    content_type: str | None,
    size: int | None,
    options: dict[str, Any],
    expected: str,
) -> None:
    attachment = world.fake.add_attachment(png_bytes(), "thing.png", content_type, size=size)
    payload = world.send(slash("edit", attachment=attachment, prompt="make it blue", **options))
    assert ephemeral_text(await world.first_answer(payload)) == expected
    only_request_for(world, payload)
    assert world.fake.downloads == []  # refused on what Discord says: nothing fetched
    assert await world.balance(ALICE) == (0, 0)


async def refused_after_defer(world: World, payload: dict[str, Any]) -> str:
    """The public "thinking…" message deleted, one ephemeral followup instead."""
    assert (await world.first_answer(payload)).json == {"type": 5}
    (followup,) = await world.webhook_calls(payload, "POST")
    assert followup.json["flags"] == 64
    deleted = world.fake.calls("DELETE", payload["token"] + "/messages/@original")
    assert [r.status for r in deleted] == [204]
    assert [r.method for r in world.fake.requests if payload["token"] in r.path] == [
        "POST",
        "DELETE",
        "POST",
    ]
    return str(followup.json["content"])


async def test_an_attachment_that_is_not_really_an_image(world: World) -> None:
    attachment = world.fake.add_attachment(not_an_image_bytes(), "cat.png", "image/png")
    payload = world.send(slash("edit", attachment=attachment, prompt="make it blue"))
    assert await refused_after_defer(world, payload) == texts.IMAGE_NOT_AN_IMAGE
    assert await world.nothing_charged(ALICE)
    assert await world.job_for(payload) is None and world.fal.uploads == []


async def test_not_enough_credits(world: World) -> None:
    first = world.send(slash("imagine", prompt="a fox", count=4))  # 8 of 10 credits
    await world.settled(first)
    second = world.send(slash("imagine", prompt="another fox", count=2))
    assert await refused_after_defer(world, second) == texts.NOT_ENOUGH_CREDITS.format(
        needed=4, available=2
    )
    assert await world.balance(ALICE) == (2, 0)
    assert await world.job_for(second) is None
