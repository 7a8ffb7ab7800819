"""Admin commands: allowed for configured ids only, answered privately, recorded in the
ledger with the admin as actor and the interaction id as idempotency key."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import texts
from bot.core.admin import MAX_AMOUNT
from records import JobState
from tests.discord.conftest import World, ephemeral_text, user_of
from tests.discord.payloads import ADMIN, ALICE, BOB, IMPOSTOR, Person, slash

EPHEMERAL = {"type": 5, "data": {"flags": 64}}
ALICE_KEY = f"discord:{ALICE.id}"


async def private_answer(world: World, payload: dict[str, Any]) -> str:
    """The answer of a command that deferred privately."""
    assert (await world.first_answer(payload)).json == EPHEMERAL
    return str((await world.webhook_calls(payload, "PATCH"))[0].json["content"])


async def known(world: World, person: Person) -> None:
    """The user has used the bot once (admins act on known users)."""
    await private_answer(world, world.send(slash("balance", who=person)))


async def test_grant_revoke_set_show_and_ledger(world: World) -> None:
    await known(world, ALICE)
    grant = world.send(
        slash("credits", sub="grant", who=ADMIN, user=ALICE, amount=5, reason="welcome gift")
    )
    assert await private_answer(world, grant) == texts.GRANTED.format(
        amount=5, user=ALICE_KEY, available=15, held=0
    )
    entry = (await world.ledger.entries(user_of(ALICE), 1))[0]
    assert (entry.kind, entry.d_available, entry.actor, entry.reason, entry.idem_key) == (
        "grant",
        5,
        f"discord:{ADMIN.id}",
        "welcome gift",
        f"grant:discord:{grant['id']}",
    )

    revoke = world.send(slash("credits", sub="revoke", who=ADMIN, user=ALICE, amount=3))
    assert await private_answer(world, revoke) == texts.REVOKED.format(
        amount=3, user=ALICE_KEY, available=12, held=0
    )
    set_to = world.send(slash("credits", sub="set", who=ADMIN, user=ALICE, amount=40))
    assert await private_answer(world, set_to) == texts.SET_TO.format(
        user=ALICE_KEY, available=40, held=0
    )
    show = world.send(slash("credits", sub="show", who=ADMIN, user=ALICE))
    assert await private_answer(world, show) == texts.CREDITS_SHOW.format(
        user=ALICE_KEY, available=40, held=0, banned=""
    )
    ledger = world.send(slash("credits", sub="ledger", who=ADMIN, user=ALICE))
    lines = (await private_answer(world, ledger)).splitlines()
    assert lines[0].startswith(ALICE_KEY) and len(lines) == 5  # balance + 4 ledger rows
    assert " set +28 " in lines[1] and f"by discord:{ADMIN.id}" in lines[1]
    assert await world.balance(ALICE) == (40, 0)


async def test_refund_ban_unban_and_stats(world: World) -> None:
    made = world.send(slash("imagine", prompt="a fox"))
    job = await world.settled(made)
    refund = world.send(slash("credits", sub="refund", who=ADMIN, job=job.id, reason="ugly"))
    assert await private_answer(world, refund) == texts.REFUNDED.format(
        amount=2, job_id=job.id, user=ALICE_KEY
    )
    assert await world.balance(ALICE) == (10, 0)

    ban = world.send(slash("ban", who=ADMIN, user=ALICE))
    assert await private_answer(world, ban) == texts.BANNED_OK.format(user=ALICE_KEY)
    refused = world.send(slash("imagine", prompt="another fox"))
    await world.first_answer(refused)
    followup = (await world.webhook_calls(refused, "POST"))[0]
    assert (followup.json["content"], followup.json["flags"]) == (texts.BANNED, 64)
    assert await world.job_for(refused) is None

    unban = world.send(slash("unban", who=ADMIN, user=ALICE))
    assert await private_answer(world, unban) == texts.UNBANNED_OK.format(user=ALICE_KEY)
    stats = world.send(slash("stats", who=ADMIN))
    assert (await private_answer(world, stats)).startswith("Last 24 hours: 1 jobs, 1 delivered")


@pytest.mark.parametrize("who", [IMPOSTOR, BOB], ids=["server-admin-not-configured", "member"])
async def test_admin_commands_refuse_anyone_not_configured(world: World, who: Person) -> None:
    await known(world, ALICE)
    for payload in (
        slash("credits", sub="grant", who=who, user=ALICE, amount=5),
        slash("credits", sub="set", who=who, user=who, amount=999),
        slash("ban", who=who, user=ALICE),
        slash("stats", who=who),
    ):
        world.send(payload)
        assert ephemeral_text(await world.first_answer(payload)) == texts.NOT_ADMIN
    assert await world.balance(ALICE) == (10, 0)
    assert [e.kind for e in await world.ledger.entries(user_of(ALICE))] == ["grant"]  # welcome
    assert not await world.ledger.is_banned(user_of(ALICE))


@pytest.mark.parametrize(
    ("sub", "amount", "low"),
    [
        ("grant", -5, 1),
        ("grant", 0, 1),
        ("revoke", MAX_AMOUNT + 1, 1),
        ("grant", 10**30, 1),
        ("set", -1, 0),
        ("set", 10**12, 0),
    ],
)
async def test_bad_amounts_are_refused_and_change_nothing(
    world: World, sub: str, amount: int, low: int
) -> None:
    await known(world, ALICE)
    payload = world.send(slash("credits", sub=sub, who=ADMIN, user=ALICE, amount=amount))
    assert await private_answer(world, payload) == texts.BAD_AMOUNT.format(
        low=low, high=MAX_AMOUNT, value=amount
    )
    assert await world.balance(ALICE) == (10, 0)
    assert len(await world.ledger.entries(user_of(ALICE))) == 1


async def test_a_redelivered_admin_interaction_changes_nothing_twice(world: World) -> None:
    await known(world, ALICE)
    grant = slash("credits", sub="grant", who=ADMIN, user=ALICE, amount=5)
    await private_answer(world, world.send(grant))
    world.send(grant)  # the same event again: Discord refuses a second acknowledgement
    await world.fake.wait_for(lambda r: r.status == 400 and grant["id"] in r.path)
    replay = grant | {"token": "token-replayed"}  # ...or it is acknowledged all the same
    assert await private_answer(world, world.send(replay)) == texts.ALREADY_DONE
    assert await world.balance(ALICE) == (15, 0)
    assert [e.kind for e in await world.ledger.entries(user_of(ALICE))] == ["grant", "grant"]


async def test_a_redelivered_imagine_makes_no_second_job(world: World) -> None:
    payload = slash("imagine", prompt="a single fox")
    world.send(payload)
    first = await world.settled(payload)
    world.send(payload)
    await world.fake.wait_for(lambda r: r.status == 400 and payload["id"] in r.path)
    replay = payload | {"token": "token-imagine-replayed"}
    world.send(replay)
    await world.first_answer(replay)
    text = (await world.webhook_calls(replay, "PATCH"))[0].json["content"]
    assert text == texts.DUPLICATE_EVENT.format(job_id=first.id)
    assert len(world.fal.submissions) == 1 and first.state is JobState.DELIVERED
    assert await world.balance(ALICE) == (8, 0)
