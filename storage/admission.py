"""Who may start a job, checked inside the transaction that would create it: not banned,
under the per-user in-flight cap, and within the daily spend cap."""

from __future__ import annotations

import aiosqlite

from storage.errors import SpendCapReached, TooManyJobs, UserBanned
from storage.job_reads import OPEN
from storage.sql import scalar_int

# Spent: what delivered jobs charged; held: the full cost of jobs still in flight.
_SPENT_SINCE = f"""
SELECT COALESCE(SUM(CASE WHEN j.state = 'delivered' THEN j.charged
                         WHEN {OPEN} THEN j.cost ELSE 0 END), 0)
FROM jobs j WHERE j.user_id = ? AND j.created_at >= ?"""


async def admit(conn: aiosqlite.Connection, user_id: int, max_in_flight: int) -> None:
    """Refuse a banned user or one already at the in-flight cap."""
    if await scalar_int(conn, "SELECT banned FROM users WHERE id = ?", (user_id,)):
        raise UserBanned(f"user {user_id} is banned")
    in_flight = await scalar_int(
        conn, f"SELECT COUNT(*) FROM jobs j WHERE j.user_id = ? AND {OPEN}", (user_id,)
    )
    if in_flight >= max_in_flight:
        raise TooManyJobs(max_in_flight)


async def within_cap(
    conn: aiosqlite.Connection, user_id: int, cost: int, cap: int, *, since: float
) -> None:
    """Refuse a job that would take the user's last 24 hours of spending past ``cap``."""
    spent = await scalar_int(conn, _SPENT_SINCE, (user_id, since))
    if spent + cost > cap:
        raise SpendCapReached(cap, spent)
