"""Database.run: whole transactions on the connection's thread, several under one COMMIT."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

import storage.commits
from records import Platform, UserRef
from storage.db import Database, open_database
from storage.ledger import Ledger
from storage.sql import execute, fetchall, scalar_int


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(tmp_path / "bot.db") as opened:
        yield opened


def insert(name: str, fail: bool = False) -> storage.commits.Body[int]:
    async def body(conn: aiosqlite.Connection) -> int:
        await execute(
            conn,
            "INSERT INTO users(platform, platform_user_id, created_at) VALUES ('console', ?, 0)",
            (name,),
        )
        if fail:
            raise LookupError(name)
        return await scalar_int(conn, "SELECT COUNT(*) FROM users")

    return body


async def names(db: Database) -> set[str]:
    return {str(row[0]) for row in await db.fetchall("SELECT platform_user_id FROM users")}


async def test_bodies_queued_together_share_one_commit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    transact = storage.commits.transact

    def counting(raw: sqlite3.Connection, bodies: list[storage.commits.Body[object]]) -> object:
        batches.append(len(bodies))
        return transact(raw, bodies)

    monkeypatch.setattr(storage.commits, "transact", counting)
    counts = await asyncio.gather(*(db.run(insert(f"u{n}")) for n in range(10)))
    assert sorted(counts) == list(range(1, 11))  # each saw the ones before it
    assert sum(batches) == 10 and len(batches) < 10
    assert await names(db) == {f"u{n}" for n in range(10)}


async def test_a_failing_body_is_undone_alone(db: Database) -> None:
    outcomes = await asyncio.gather(
        db.run(insert("a")),
        db.run(insert("b", fail=True)),
        db.run(insert("c")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], LookupError)
    assert await names(db) == {"a", "c"}


async def test_a_lone_failing_body_is_rolled_back(db: Database) -> None:
    with pytest.raises(LookupError):
        await db.run(insert("x", fail=True))
    assert await names(db) == set()
    assert await db.run(insert("y")) == 1


class Pause:
    """An awaitable that suspends once, as a network call would."""

    def __await__(self):  # type: ignore[no-untyped-def]
        yield None


@pytest.mark.parametrize("wait", [lambda: asyncio.sleep(0.01), Pause])
async def test_a_body_that_waits_on_anything_else_is_refused(db: Database, wait: Any) -> None:
    async def waiting(conn: aiosqlite.Connection) -> None:
        await execute(
            conn,
            "INSERT INTO users(platform, platform_user_id, created_at) VALUES ('console', 'z', 0)",
        )
        await wait()

    with pytest.raises(RuntimeError):  # no loop on that thread, or "waited on something"
        await db.run(waiting)
    assert await names(db) == set()


async def test_a_multi_trip_transaction_never_sees_a_body_half_done(db: Database) -> None:
    async def multi_trip() -> list[int]:
        async with db.transaction() as conn:
            first = await fetchall(conn, "SELECT COUNT(*) FROM users")
            await asyncio.sleep(0.02)  # bodies queued meanwhile wait for the COMMIT
            second = await fetchall(conn, "SELECT COUNT(*) FROM users")
            return [int(first[0][0]), int(second[0][0])]

    task = asyncio.create_task(multi_trip())
    await asyncio.sleep(0)
    await asyncio.gather(*(db.run(insert(f"v{n}")) for n in range(5)))
    first, second = await task
    assert first == second
    assert len(await names(db)) == 5


async def test_ensure_user_remembers_ids(db: Database) -> None:
    ledger = Ledger(db=db, initial_credits=10)
    user = UserRef(Platform.CONSOLE, "ann")
    first = await ledger.ensure_user(user)
    assert await ledger.ensure_user(user) == first
    assert await ledger.ensure_user(UserRef(Platform.CONSOLE, "bob")) != first
    assert (await ledger.balance(user)).available == 10  # the welcome grant, once
