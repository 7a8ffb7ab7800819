"""Whole write transactions on aiosqlite's thread, several under one COMMIT (group commit).

``GroupCommit.run(body)`` queues ``body`` (an ``async def body(conn)`` made of storage.sql
statements) and returns its result once it is committed. Bodies queued while a commit is
on the disk go together in the next transaction, each inside its own SAVEPOINT::

    BEGIN IMMEDIATE
      SAVEPOINT body; <body 1>; RELEASE body          (an exception: ROLLBACK TO body,
      SAVEPOINT body; <body 2>; RELEASE body           that body alone is undone and its
      …                                                caller gets the exception)
    COMMIT                                            (one fsync; callers answered after it)

Each body sees the ones before it, as if they had run one after another; a caller hears
of success only after the COMMIT is on disk (``synchronous=FULL`` as ever), and if the
COMMIT (or BEGIN) fails, every body of that transaction fails with it. A lone body runs
without savepoints. The bodies run here, on aiosqlite's thread, where ``Direct``
executes their statements at once: a body that awaits anything else (a network call, a
sleep, the Database's own methods) is stopped with ``RuntimeError`` and undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

import aiosqlite

from storage.sql import Params

T = TypeVar("T")
Body = Callable[[aiosqlite.Connection], Awaitable[T]]
Outcome = tuple[bool, Any]  # (True, result) or (False, the body's exception)
MAX_BATCH = 64  # bodies per COMMIT; bounds how long one transaction holds the file


class Direct:
    """The two calls storage.sql makes on a connection, done at once on the raw one."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def execute(self, sql: str, parameters: Params = ()) -> sqlite3.Cursor:
        return self._raw.execute(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = self._raw.execute(sql, parameters).fetchall()
        return rows


def complete(step: Awaitable[T]) -> T:
    """The result of a coroutine that never really waits, run to its end right here."""
    coroutine = cast(Coroutine[Any, Any, T], step)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coroutine.close()
    raise RuntimeError("a transaction body waited on something other than its statements")


def _call(raw: sqlite3.Connection, body: Body[Any]) -> Any:
    return complete(body(cast(aiosqlite.Connection, Direct(raw))))


def _one(raw: sqlite3.Connection, body: Body[Any]) -> Outcome:
    try:
        result = _call(raw, body)
    except Exception as exc:
        if not raw.in_transaction:  # SQLite gave up the whole transaction (I/O, full disk)
            raise
        raw.execute("ROLLBACK")
        return False, exc
    raw.execute("COMMIT")
    return True, result


def _savepointed(raw: sqlite3.Connection, body: Body[Any]) -> Outcome:
    raw.execute("SAVEPOINT body")
    try:
        result = _call(raw, body)
    except Exception as exc:
        if not raw.in_transaction:
            raise
        raw.execute("ROLLBACK TO body")
        raw.execute("RELEASE body")
        return False, exc
    raw.execute("RELEASE body")
    return True, result


def transact(raw: sqlite3.Connection, bodies: list[Body[Any]]) -> list[Outcome]:
    """BEGIN IMMEDIATE, every body, COMMIT (on aiosqlite's thread); see the module doc."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        if len(bodies) == 1:
            return [_one(raw, bodies[0])]
        outcomes = [_savepointed(raw, body) for body in bodies]
        raw.execute("COMMIT")
        return outcomes
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # e.g. no transaction left to undo
            raw.execute("ROLLBACK")
        raise


class GroupCommit:
    """Queues bodies and sends them to aiosqlite's thread a transaction at a time."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._queued: list[tuple[Body[Any], asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def run(self, body: Body[T]) -> T:
        """``body``'s result once committed, or its exception once undone."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((body, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="group-commit")
        return await future

    @property
    def busy(self) -> bool:
        """Bodies queued or being committed."""
        return bool(self._queued) or (self._sender is not None and not self._sender.done())

    async def _send(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:MAX_BATCH], self._queued[MAX_BATCH:]
                batch = [(body, future) for body, future in batch if not future.cancelled()]
                if batch:
                    await self._commit(batch)
        except asyncio.CancelledError:  # shutting down: nobody is left to answer
            for _, future in self._queued:
                future.cancel()
            self._queued = []
            raise

    async def _commit(self, batch: list[tuple[Body[Any], asyncio.Future[Any]]]) -> None:
        bodies = [body for body, _ in batch]
        try:
            raw = self._conn._conn
            # aiosqlite has no public "run this on your thread"; _execute is that call, and
            # it queues behind every statement already sent to the thread.
            outcomes = await self._conn._execute(transact, raw, bodies)  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # BEGIN or COMMIT failed: nothing of the batch was kept
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
