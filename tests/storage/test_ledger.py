"""Users, balances and admin credit operations on a real, migrated SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from records import Balance
from storage.db import Database
from storage.errors import InsufficientCredits
from storage.ledger import Ledger
from storage.sql import execute
from tests.storage.helpers import ALICE, BOB, INITIAL


async def test_a_new_user_gets_the_welcome_credits_once(ledger: Ledger) -> None:
    first = await ledger.ensure_user(ALICE)
    assert await ledger.ensure_user(ALICE) == first
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    [entry] = await ledger.entries(ALICE)
    assert (entry.kind, entry.d_available, entry.d_held) == ("grant", INITIAL, 0)
    assert (entry.actor, entry.reason) == ("system", "welcome credits")
    assert entry.idem_key == "initial:telegram:1001"
    assert entry.user == ALICE


async def test_no_welcome_row_when_initial_credits_are_zero(db: Database) -> None:
    ledger = Ledger(db=db, initial_credits=0)
    await ledger.ensure_user(ALICE)
    assert await ledger.known(ALICE)
    assert await ledger.entries(ALICE) == []
    assert await ledger.balance(ALICE) == Balance(0, 0)


async def test_concurrent_ensure_user_grants_once(ledger: Ledger) -> None:
    ids = await asyncio.gather(*(ledger.ensure_user(ALICE) for _ in range(25)))
    assert len(set(ids)) == 1
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    assert len(await ledger.entries(ALICE, limit=100)) == 1
    assert await ledger.check() == []


async def test_an_unknown_user_has_nothing_and_is_not_created(ledger: Ledger) -> None:
    assert await ledger.balance(BOB) == Balance(0, 0)
    assert not await ledger.known(BOB)
    assert not await ledger.is_banned(BOB)
    assert await ledger.entries(BOB) == []
    assert not await ledger.known(BOB)


async def test_grant_is_idempotent_by_key(ledger: Ledger) -> None:
    change = await ledger.grant(ALICE, 5, actor="telegram:9", reason="gift", key="grant:e1")
    assert change.applied
    assert change.balance == Balance(INITIAL + 5, 0)
    replay = await ledger.grant(ALICE, 5, actor="telegram:9", reason="gift", key="grant:e1")
    assert not replay.applied
    assert replay.balance == Balance(INITIAL + 5, 0)
    entry = (await ledger.entries(ALICE))[0]
    assert (entry.kind, entry.actor, entry.reason, entry.idem_key) == (
        "grant",
        "telegram:9",
        "gift",
        "grant:e1",
    )


async def test_revoke_takes_credits_and_never_goes_negative(ledger: Ledger) -> None:
    change = await ledger.revoke(ALICE, 4, actor="a", reason="abuse", key="r1")
    assert change == type(change)(Balance(INITIAL - 4, 0), True)
    with pytest.raises(InsufficientCredits) as refused:
        await ledger.revoke(ALICE, INITIAL, actor="a", reason="abuse", key="r2")
    assert refused.value.balance == Balance(INITIAL - 4, 0)
    assert refused.value.needed == INITIAL
    assert await ledger.balance(ALICE) == Balance(INITIAL - 4, 0)
    # The refused key was not used up: the same key works once there is enough.
    await ledger.grant(ALICE, 10, actor="a", reason="topup", key="g1")
    assert (await ledger.revoke(ALICE, INITIAL, actor="a", reason="abuse", key="r2")).applied
    assert not (await ledger.revoke(ALICE, 1, actor="a", reason="abuse", key="r2")).applied
    assert await ledger.check() == []


async def test_set_available_writes_the_difference(ledger: Ledger) -> None:
    down = await ledger.set_available(ALICE, 3, actor="a", reason="reset", key="s1")
    assert down.balance == Balance(3, 0)
    up = await ledger.set_available(ALICE, 50, actor="a", reason="reset", key="s2")
    assert up.balance == Balance(50, 0)
    same = await ledger.set_available(ALICE, 50, actor="a", reason="noop", key="s3")
    assert same.applied and same.balance == Balance(50, 0)
    assert not (await ledger.set_available(ALICE, 0, actor="a", reason="x", key="s1")).applied
    deltas = [(e.kind, e.d_available) for e in await ledger.entries(ALICE)]
    assert deltas == [("set", 0), ("set", 47), ("set", -7), ("grant", INITIAL)]
    assert await ledger.check() == []


@pytest.mark.parametrize("amount", [0, -1])
async def test_amounts_are_validated(ledger: Ledger, amount: int) -> None:
    with pytest.raises(ValueError):
        await ledger.grant(ALICE, amount, actor="a", reason="r", key="k")
    with pytest.raises(ValueError):
        await ledger.revoke(ALICE, amount, actor="a", reason="r", key="k")
    with pytest.raises(ValueError):
        await ledger.set_available(ALICE, amount - 1, actor="a", reason="r", key="k")


async def test_entries_are_newest_first_and_limited(ledger: Ledger) -> None:
    for n in range(1, 6):
        await ledger.grant(ALICE, n, actor="a", reason=f"r{n}", key=f"g{n}")
    entries = await ledger.entries(ALICE, limit=3)
    assert [e.d_available for e in entries] == [5, 4, 3]
    assert entries[0].id > entries[1].id > entries[2].id


async def test_ban_and_unban_are_idempotent_by_key(ledger: Ledger) -> None:
    assert await ledger.set_banned(BOB, True, actor="admin", key="ban:1")
    assert await ledger.is_banned(BOB)
    assert not await ledger.set_banned(BOB, False, actor="admin", key="ban:1")
    assert await ledger.is_banned(BOB)
    assert await ledger.set_banned(BOB, False, actor="admin", key="unban:2")
    assert not await ledger.is_banned(BOB)


async def test_totals_add_up(ledger: Ledger) -> None:
    await ledger.grant(ALICE, 20, actor="a", reason="r", key="g")
    await ledger.revoke(ALICE, 5, actor="a", reason="r", key="r")
    await ledger.set_available(ALICE, 12, actor="a", reason="r", key="s")
    totals = await ledger.totals(ALICE)
    assert totals["grant"] == INITIAL + 20
    assert totals["revoke"] == 5
    assert totals["set"] == 12 - (INITIAL + 15)
    balance = await ledger.balance(ALICE)
    assert balance.available + balance.held + totals["captured"] == totals["granted"]


async def test_check_reports_a_cache_that_drifted_from_the_ledger(
    db: Database, ledger: Ledger
) -> None:
    user_id = await ledger.ensure_user(ALICE)
    async with db.transaction() as conn:
        await execute(
            conn, "UPDATE accounts SET available = available + 1 WHERE user_id = ?", (user_id,)
        )
    [problem] = await ledger.check()
    assert "cached 11/0 != ledger 10/0" in problem


async def test_check_reports_held_credits_without_a_job(db: Database, ledger: Ledger) -> None:
    user_id = await ledger.ensure_user(ALICE)
    async with db.transaction() as conn:
        await execute(conn, "UPDATE accounts SET held = 2 WHERE user_id = ?", (user_id,))
    problems = await ledger.check()
    assert any("held 2 != in flight 0" in p for p in problems)
