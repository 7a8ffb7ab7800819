"""The SQLite database: one writer connection, one lock, explicit transactions.

``open_database(path)`` opens a single aiosqlite connection in autocommit mode
(``isolation_level=None``), sets the pragmas below, applies the migrations and closes the
connection on exit.  Every write goes through ``Database.transaction()``::

    async with db.transaction() as conn:      # asyncio.Lock, then BEGIN IMMEDIATE
        ...                                   # statements on conn; no network calls here
                                              # COMMIT, or ROLLBACK on any BaseException

Why reads take the same lock instead of using a second, read-only connection: a
transaction belongs to a *connection*, not to a coroutine, so a read issued on the writer
connection while another coroutine is inside its transaction would see that transaction's
uncommitted rows.  Holding the lock for reads makes every read see only committed state and
keeps a single connection to open, close and reason about.  Transactions here are a few
statements and one fsync, so the reads queue behind them for milliseconds at most.  Should
reads ever need to run in parallel, a read-only WAL connection can sit behind the same
``read()`` API without changing callers.

``read()`` also opens a (deferred) read transaction, so several statements see one snapshot
even if another process writes to the file; ``fetchone``/``fetchall`` run one statement,
which SQLite makes atomic by itself.

The lock is not re-entrant: calling ``transaction()``/``read()``/``fetchone()``/``fetchall()``
from inside a transaction raises ``RuntimeError`` instead of dead-locking; use the
connection you were given.

The busy paths (creating a job, moving it along, settling it) use ``run(body)`` instead: the
whole transaction (BEGIN IMMEDIATE, ``body``'s statements, COMMIT) runs as one call on
aiosqlite's thread, so it costs one trip through the event loop instead of one per
statement. Under load that matters: every trip waits for the loop to come round, and a
transaction held open across ten of them kept every other job waiting for the database.
Bodies that queue up meanwhile share the next COMMIT (group commit, storage.commits): one
fsync for many, each caller answered only once its data is on disk (``synchronous=FULL``
as ever). aiosqlite's thread runs calls one at a time, in order, so ``run`` calls (and the
one-statement reads) need no lock among themselves: they share the connection, while
``transaction()`` and ``read()`` (several trips) still have it to themselves (``_Gate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from storage.commits import Body, GroupCommit
from storage.migrations import migrate
from storage.sql import Params, execute, fetchall, fetchone, scalar

BUSY_TIMEOUT_MS = 5000
PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
T = TypeVar("T")


class _Gate:
    """Shared use of the connection by whole-transaction calls and one-statement reads
    (aiosqlite's thread runs each at once, in order), exclusive use by a transaction that
    spans several trips (nothing may run on the connection in between)."""

    def __init__(self) -> None:
        self._exclusive = asyncio.Lock()
        self._open = asyncio.Event()  # no exclusive user holds or waits for the gate
        self._open.set()
        self._idle = asyncio.Event()  # no shared use in flight
        self._idle.set()
        self._shared = 0

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        while not self._open.is_set():
            await self._open.wait()
        self._shared += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._shared -= 1
            if not self._shared:
                self._idle.set()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._exclusive:
            self._open.clear()
            try:
                await self._idle.wait()
                yield
            finally:
                self._open.set()


class Database:
    """One aiosqlite connection shared by the whole process, guarded by an ``asyncio.Lock``."""

    def __init__(self, *, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._gate = _Gate()
        self._commits = GroupCommit(conn)
        self._owner: asyncio.Task[object] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE); rolled back on any exception or cancel."""
        async with self._locked():
            try:
                await execute(self._conn, "BEGIN IMMEDIATE")
                yield self._conn
                await execute(self._conn, "COMMIT")
            except BaseException:
                # Shielded so that a second cancel cannot leave the shared connection
                # inside an open write transaction (every later BEGIN would fail).
                await asyncio.shield(self._rollback())
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only snapshot (deferred BEGIN) under the lock; never write through it."""
        async with self._locked():
            try:
                await execute(self._conn, "BEGIN")
                yield self._conn
                await execute(self._conn, "COMMIT")
            except BaseException:
                await asyncio.shield(self._rollback())
                raise

    async def run(self, body: Body[T]) -> T:
        """A write transaction done whole on the connection's thread, in one trip.

        ``body(conn)`` runs there between BEGIN IMMEDIATE and COMMIT, together with the
        bodies queued meanwhile (group commit, see storage.commits): its result once
        committed, or its exception once undone. It may await only ``conn``'s statements
        (storage.sql's helpers); anything that would really wait raises ``RuntimeError``
        and is undone. Like any transaction, one whose caller is cancelled may still
        have committed.
        """
        self._not_nested()
        async with self._gate.shared():
            return await self._commits.run(body)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """One read statement (atomic on its own, so no BEGIN); its first row or None."""
        self._not_nested()
        async with self._gate.shared():
            return await fetchone(self._conn, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One read statement (atomic on its own, so no BEGIN); all its rows."""
        self._not_nested()
        async with self._gate.shared():
            return await fetchall(self._conn, sql, params)

    async def pragmas(self) -> dict[str, object]:
        """The connection settings that matter for durability and locking."""
        async with self._locked():
            return {name: await scalar(self._conn, f"PRAGMA {name}") for name in PRAGMAS}

    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check``: 'ok', or the problems SQLite found, one per line."""
        async with self.read() as conn:
            rows = await fetchall(conn, "PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)

    def _not_nested(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise RuntimeError("nested database access inside a transaction; use its conn")

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        self._not_nested()
        async with self._gate.exclusive():
            self._owner = asyncio.current_task()
            try:
                yield
            finally:
                self._owner = None

    async def _rollback(self) -> None:
        # aiosqlite runs calls in FIFO order on its thread, so this ROLLBACK runs after any
        # statement a cancelled await left queued.  "No transaction active" (e.g. the
        # BEGIN itself failed) is fine.
        with contextlib.suppress(sqlite3.OperationalError):
            await execute(self._conn, "ROLLBACK")


async def _configure(conn: aiosqlite.Connection) -> None:
    conn.row_factory = sqlite3.Row
    mode = await scalar(conn, "PRAGMA journal_mode=WAL")
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError(f"could not switch to WAL journal mode (got {mode})")
    await execute(conn, "PRAGMA synchronous=FULL")
    await execute(conn, "PRAGMA foreign_keys=ON")
    await execute(conn, f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@asynccontextmanager
async def open_database(path: str | Path) -> AsyncIterator[Database]:
    """Open (creating if needed) and migrate the database at ``path``; close it on exit."""
    conn = await aiosqlite.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        await _configure(conn)
        db = Database(conn=conn)
        await migrate(db)
        yield db
    finally:
        await conn.close()
