"""Inbox: chat updates kept from the moment they are fetched until they are handled.

A platform that delivers updates by polling (Telegram) forgets an update once the next
poll confirms it, which happens while the update may still be waiting to be handled. The
poller therefore ``receive``s each batch here before it polls again, marks each update
``handled`` when its handler returns, and on start-up handles what ``unhandled`` lists: an
update is handled even if the process died in between, and one handled already is
recognised (and skipped) when the platform delivers it again.

Handled rows are kept for ``KEEP_HANDLED`` seconds (Telegram keeps an unconfirmed update
for 24 hours, so it cannot come back later) and then dropped: Telegram may start its
update ids afresh after a quiet week, and an old id must not hide a new update.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import aiosqlite

from storage.db import Database
from storage.sql import execute, fetchall

KEEP_HANDLED = 2 * 24 * 3600.0

_RECEIVE = """
INSERT INTO inbox (platform, event_id, body, received_at) VALUES (?, ?, ?, ?)
ON CONFLICT (platform, event_id) DO NOTHING"""

_UNHANDLED_OF = """
SELECT event_id FROM inbox
WHERE platform = ? AND handled_at IS NULL AND event_id IN ({marks})"""


class Inbox:
    """One platform's updates between fetch and handling (see the module docstring)."""

    def __init__(
        self, *, db: Database, platform: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._platform = platform
        self._clock = clock

    async def receive(self, updates: Sequence[tuple[int, str]]) -> set[int]:
        """Keep ``(event_id, body)`` pairs; return the ids still to handle (a re-delivered
        update that was handled already is not among them)."""
        if not updates:
            return set()
        now = self._clock()

        async def body(conn: aiosqlite.Connection) -> set[int]:
            await execute(  # first, so that an id used again counts as new
                conn,
                "DELETE FROM inbox WHERE platform = ? AND handled_at < ?",
                (self._platform, now - KEEP_HANDLED),
            )
            for event_id, text in updates:
                await execute(conn, _RECEIVE, (self._platform, event_id, text, now))
            ids = [event_id for event_id, _ in updates]
            marks = ", ".join("?" * len(ids))
            rows = await fetchall(conn, _UNHANDLED_OF.format(marks=marks), (self._platform, *ids))
            return {int(row[0]) for row in rows}

        return await self._db.run(body)

    async def handled(self, event_id: int) -> None:
        """The update's handler returned: never handle it again."""
        await self._db.run(
            lambda conn: execute(
                conn,
                "UPDATE inbox SET handled_at = ? WHERE platform = ? AND event_id = ?",
                (self._clock(), self._platform, event_id),
            )
        )

    async def unhandled(self) -> list[tuple[int, str]]:
        """Updates kept but not handled (the process stopped first), oldest first."""
        rows = await self._db.fetchall(
            "SELECT event_id, body FROM inbox WHERE platform = ? AND handled_at IS NULL"
            " ORDER BY event_id",
            (self._platform,),
        )
        return [(int(row[0]), str(row[1])) for row in rows]
