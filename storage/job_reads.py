"""Read side of the jobs repository: lookups, listings and stats (``JobStore`` extends it)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import aiosqlite

from records import TERMINAL_STATES, Job, JobState, UserRef
from storage.codec import JOB_SELECT, job_from_row
from storage.db import Database
from storage.errors import NotFound
from storage.sql import Params, fetchall, fetchone

# Listed rather than "NOT IN (terminal)", so the (user_id, state) index finds a user's open
# jobs without reading through every job they ever had.
OPEN_SQL = "(" + ", ".join(f"'{s.value}'" for s in JobState if s not in TERMINAL_STATES) + ")"
OPEN = f"j.state IN {OPEN_SQL}"
_USER = "u.platform = ? AND u.platform_user_id = ?"
_NEWEST_FIRST = "ORDER BY j.created_at DESC, j.rowid DESC"

_STATS = """
SELECT COUNT(*) AS total,
       COALESCE(SUM(state = 'delivered'), 0) AS delivered,
       COALESCE(SUM(state = 'failed'), 0) AS failed,
       COALESCE(SUM(state = 'cancelled'), 0) AS cancelled,
       COALESCE(SUM(charged), 0) AS spent
FROM jobs WHERE created_at >= ?"""

_SPANS = """
SELECT finished_at - created_at FROM jobs
WHERE created_at >= ? AND state = 'delivered' AND finished_at IS NOT NULL"""


@dataclass(frozen=True, slots=True)
class JobStats:
    """Jobs created since a moment: counts, median created→finished of deliveries, and
    credits charged (before any admin refunds)."""

    total: int
    delivered: int
    failed: int
    cancelled: int
    median_seconds: float | None
    credits_spent: int


class JobReads:
    """Queries over persisted jobs; every read sees committed state only."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def get(self, job_id: str) -> Job | None:
        """The job, or None."""
        return await self._one(f"{JOB_SELECT} WHERE j.id = ?", (job_id,))

    async def by_event(self, event_key: str) -> Job | None:
        """The job created by a platform event, or None."""
        return await self._one(f"{JOB_SELECT} WHERE j.event_key = ?", (event_key,))

    async def unfinished(self) -> list[Job]:
        """Every job not yet delivered, failed or cancelled, oldest first (for recovery)."""
        return await self._many(f"{JOB_SELECT} WHERE {OPEN} ORDER BY j.created_at, j.rowid")

    async def recent(self, user: UserRef, limit: int = 10) -> list[Job]:
        """The user's latest jobs, newest first."""
        sql = f"{JOB_SELECT} WHERE {_USER} {_NEWEST_FIRST} LIMIT ?"
        return await self._many(sql, (str(user.platform), user.user_id, limit))

    async def active(self, user: UserRef) -> list[Job]:
        """The user's unfinished jobs, newest first."""
        sql = f"{JOB_SELECT} WHERE {_USER} AND {OPEN} {_NEWEST_FIRST}"
        return await self._many(sql, (str(user.platform), user.user_id))

    async def stats(self, since: float) -> JobStats:
        """Counts of jobs created at or after ``since`` (a ``time.time()`` value)."""
        async with self._db.read() as conn:
            counts = await fetchone(conn, _STATS, (since,))
            spans = [float(row[0]) for row in await fetchall(conn, _SPANS, (since,))]
        if counts is None:  # pragma: no cover - an aggregate always returns one row
            raise RuntimeError("stats query returned no row")
        return JobStats(
            total=int(counts["total"]),
            delivered=int(counts["delivered"]),
            failed=int(counts["failed"]),
            cancelled=int(counts["cancelled"]),
            median_seconds=statistics.median(spans) if spans else None,
            credits_spent=int(counts["spent"]),
        )

    async def _one(self, sql: str, params: Params) -> Job | None:
        row = await self._db.fetchone(sql, params)
        return None if row is None else job_from_row(row)

    async def _many(self, sql: str, params: Params = ()) -> list[Job]:
        return [job_from_row(row) for row in await self._db.fetchall(sql, params)]


async def load_job(conn: aiosqlite.Connection, job_id: str) -> Job:
    """The job, read on a connection inside a transaction; NotFound when missing."""
    job = await find_job(conn, job_id, None)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


async def find_job(conn: aiosqlite.Connection, job_id: str, event_key: str | None) -> Job | None:
    """The job with this event key, else the job with this id, else None."""
    if event_key is not None:
        row = await fetchone(conn, f"{JOB_SELECT} WHERE j.event_key = ?", (event_key,))
        if row is not None:
            return job_from_row(row)
    row = await fetchone(conn, f"{JOB_SELECT} WHERE j.id = ?", (job_id,))
    return None if row is None else job_from_row(row)
