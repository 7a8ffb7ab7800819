"""Typed one-call helpers over an aiosqlite connection.

Each helper is one call to aiosqlite's connection thread.  Reads fetch every row in that
call, so no half-read statement is left open when a transaction commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import aiosqlite

Params = Sequence[object] | Mapping[str, object]


async def execute(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run one statement that returns no rows; return the number of rows it changed."""
    # sqlite3 steps such a statement to completion and resets it inside execute(), so
    # the cursor holds nothing; closing it would only cost another trip to the
    # connection's thread.
    cursor = await conn.execute(sql, params)
    return cursor.rowcount


async def fetchall(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    """Run one statement (a SELECT or ``... RETURNING``) and return every row."""
    return list(await conn.execute_fetchall(sql, params))


async def fetchone(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    """Run one statement and return its first row, or None."""
    rows = await fetchall(conn, sql, params)
    return rows[0] if rows else None


async def scalar(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> object:
    """Run one statement and return the first column of its first row (None when no row)."""
    row = await fetchone(conn, sql, params)
    return None if row is None else row[0]


async def scalar_int(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Like ``scalar`` for a number; no row or NULL (an empty SUM) counts as 0."""
    value = await scalar(conn, sql, params)
    if value is None:
        return 0
    if not isinstance(value, int):
        raise TypeError(f"expected an integer from {sql!r}, got {value!r}")
    return value
