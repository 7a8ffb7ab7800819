"""The database layer: pragmas, migrations, triggers, transactions and cancellation."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from records import Balance, JobState
from storage.db import Database, open_database
from storage.errors import StorageError
from storage.ledger import Ledger
from storage.migrations import LATEST, MIGRATIONS, migrate
from storage.sql import execute, scalar_int
from tests.storage.helpers import ALICE

TABLES = {"users", "accounts", "ledger", "jobs", "admin_actions"}


async def test_pragmas_are_durable_and_wait_for_locks(db: Database) -> None:
    assert await db.pragmas() == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


async def test_integrity_check_is_ok(db: Database) -> None:
    assert await db.integrity_check() == "ok"


async def test_schema_is_created_at_the_latest_version(db: Database) -> None:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {row[0] for row in rows} >= TABLES
    version = await db.fetchone("PRAGMA user_version")
    assert version is not None and version[0] == LATEST


async def test_migrations_are_idempotent_on_reopen(db_path: Path) -> None:
    async with open_database(db_path) as db:
        await Ledger(db=db, initial_credits=7).ensure_user(ALICE)
    async with open_database(db_path) as db:
        assert await migrate(db) == LATEST  # found at LATEST: nothing left to apply
        ledger = Ledger(db=db, initial_credits=7)
        assert await ledger.balance(ALICE) == Balance(7, 0)
        assert len(await ledger.entries(ALICE)) == 1
        assert await db.integrity_check() == "ok"


async def test_a_v1_database_with_jobs_gains_the_delivery_stamp(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("PRAGMA user_version = 1")
        raw.execute("INSERT INTO users VALUES (1, 'telegram', '1001', 0, 0)")
        raw.execute("INSERT INTO accounts VALUES (1, 6, 4)")
        raw.execute(
            "INSERT INTO jobs(id, user_id, state, kind, request_json, cost, chat_json,"
            " created_at, updated_at) VALUES ('j1', 1, 'completed', 'text', '{}', 4, '{}', 0, 0)"
        )
    raw.close()
    async with open_database(db_path) as db:
        assert await migrate(db) == LATEST
        row = await db.fetchone("SELECT state, delivery_started_at FROM jobs WHERE id = 'j1'")
        assert row is not None and tuple(row) == ("completed", None)
        assert await db.integrity_check() == "ok"


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(StorageError, match="newer"):
        async with open_database(db_path):
            pass  # pragma: no cover


async def test_job_state_check_lists_every_job_state(db: Database) -> None:
    row = await db.fetchone("SELECT sql FROM sqlite_master WHERE name = 'jobs'")
    assert row is not None
    for state in JobState:
        assert f"'{state.value}'" in row[0]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE ledger SET d_available = 1000", "DELETE FROM ledger"],
)
async def test_ledger_is_append_only(db: Database, ledger: Ledger, statement: str) -> None:
    await ledger.ensure_user(ALICE)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as conn:
            await execute(conn, statement)
    assert await ledger.check() == []
    assert len(await ledger.entries(ALICE)) == 1


async def test_ledger_rows_are_checked_per_kind(db: Database, ledger: Ledger) -> None:
    user_id = await ledger.ensure_user(ALICE)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        async with db.transaction() as conn:
            await execute(
                conn,
                "INSERT INTO ledger(user_id, kind, d_available, d_held, actor, idem_key,"
                " created_at) VALUES (?, 'grant', -5, 0, 'x', 'k', 0)",
                (user_id,),
            )


async def test_an_exception_rolls_the_transaction_back(db: Database, ledger: Ledger) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction() as conn:
            await ledger.ensure_user_in(conn, ALICE)
            raise RuntimeError("boom")
    assert not await ledger.known(ALICE)


async def test_cancelling_a_task_inside_a_transaction_rolls_back(
    db: Database, ledger: Ledger
) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction() as conn:
            await ledger.ensure_user_in(conn, ALICE)
            inside.set()
            await asyncio.Event().wait()  # never set: cancelled here

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # The next writer gets a clean connection: BEGIN IMMEDIATE works, nothing leaked.
    assert not await ledger.known(ALICE)
    change = await ledger.grant(ALICE, 5, actor="admin", reason="after cancel", key="g1")
    assert change.applied
    assert change.balance.available == 15
    assert await ledger.check() == []


async def test_cancelling_while_waiting_for_the_lock_leaves_others_alone(
    db: Database, ledger: Ledger
) -> None:
    release = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as conn:
            await ledger.ensure_user_in(conn, ALICE)
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(ledger.grant(ALICE, 1, actor="a", reason="r", key="w"))
    await asyncio.sleep(0.01)
    waiter.cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (await ledger.balance(ALICE)).available == 10
    assert await ledger.check() == []


async def test_nested_access_inside_a_transaction_is_an_error_not_a_deadlock(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError, match="nested"):
        async with db.transaction():
            await db.fetchone("SELECT 1")
    async with db.transaction() as conn:  # the lock was released
        assert await scalar_int(conn, "SELECT 1") == 1
