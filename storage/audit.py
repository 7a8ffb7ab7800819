"""Invariant checks and per-user sums over the ledger (read-only).

``problems(conn)`` lists every violated invariant in words (empty list = consistent):

* per user, the cached ``available``/``held`` equal the sums of the ledger deltas;
* per user, ``held`` equals the cost of that user's jobs that still hold credits
  (the non-terminal ones);
* per job: exactly one hold of ``cost``; a settle (capture | release) iff the job is
  terminal, at most one; delivered ⇔ captured, and the capture charged ``jobs.charged``;
  refunds only for delivered jobs, at most one, of what was charged; every row belongs
  to the job's user;
* nothing negative, every user has an account.

``totals(rows)`` turns ``(kind, Σd_available, Σd_held)`` rows into credit sums such that
``available + held + captured == granted`` for every user.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import aiosqlite

from records import TERMINAL_STATES, JobState
from storage.sql import fetchall

TERMINAL_SQL = "(" + ", ".join(f"'{state.value}'" for state in sorted(TERMINAL_STATES)) + ")"

_CACHE_VS_LEDGER = """
SELECT a.user_id, a.available, a.held,
       COALESCE(SUM(l.d_available), 0) AS l_available, COALESCE(SUM(l.d_held), 0) AS l_held
FROM accounts a LEFT JOIN ledger l ON l.user_id = a.user_id
GROUP BY a.user_id
HAVING a.available != l_available OR a.held != l_held"""

_HELD_VS_JOBS = f"""
SELECT a.user_id, a.held, COALESCE(SUM(j.cost), 0) AS in_flight
FROM accounts a LEFT JOIN jobs j ON j.user_id = a.user_id AND j.state NOT IN {TERMINAL_SQL}
GROUP BY a.user_id
HAVING a.held != in_flight"""

_PER_JOB = """
SELECT j.id, j.state, j.cost, j.charged,
       COALESCE(SUM(l.kind = 'hold'), 0) AS holds,
       COALESCE(SUM(CASE WHEN l.kind = 'hold' THEN l.d_held END), 0) AS held,
       COALESCE(SUM(l.kind IN ('capture', 'release')), 0) AS settles,
       COALESCE(SUM(l.kind = 'capture'), 0) AS captures,
       COALESCE(SUM(CASE WHEN l.kind = 'capture' THEN -(l.d_available + l.d_held) END), 0)
           AS captured,
       COALESCE(SUM(l.kind = 'refund'), 0) AS refunds,
       COALESCE(SUM(CASE WHEN l.kind = 'refund' THEN l.d_available END), 0) AS refunded,
       COALESCE(SUM(l.user_id != j.user_id), 0) AS foreign_rows
FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id
GROUP BY j.id"""

_ORPHANS = """
SELECT u.id FROM users u LEFT JOIN accounts a ON a.user_id = u.id WHERE a.user_id IS NULL"""

_NEGATIVE = "SELECT user_id FROM accounts WHERE available < 0 OR held < 0"


async def problems(conn: aiosqlite.Connection) -> list[str]:
    """Every invariant violation found, in words; empty when the data is consistent."""
    found: list[str] = []
    for row in await fetchall(conn, _CACHE_VS_LEDGER):
        found.append(
            f"user {row['user_id']}: cached {row['available']}/{row['held']}"
            f" != ledger {row['l_available']}/{row['l_held']}"
        )
    for row in await fetchall(conn, _HELD_VS_JOBS):
        found.append(f"user {row['user_id']}: held {row['held']} != in flight {row['in_flight']}")
    for row in await fetchall(conn, _PER_JOB):
        found.extend(f"job {row['id']}: {problem}" for problem in _job_problems(row))
    found.extend(f"user {row[0]}: no account" for row in await fetchall(conn, _ORPHANS))
    found.extend(f"user {row[0]}: negative balance" for row in await fetchall(conn, _NEGATIVE))
    return found


def _job_problems(row: sqlite3.Row) -> list[str]:
    state = JobState(row["state"])
    delivered = state is JobState.DELIVERED
    charged = row["charged"]
    rules = (
        (row["holds"] == 1, f"{row['holds']} holds"),
        (row["held"] == row["cost"], f"held {row['held']} != cost {row['cost']}"),
        (row["settles"] == int(state.terminal), f"{row['settles']} settles in state {state}"),
        (row["captures"] == int(delivered), f"{row['captures']} captures in state {state}"),
        (not delivered or row["captured"] == charged, f"captured {row['captured']} != {charged}"),
        (delivered or charged is None, f"charged {charged} in state {state}"),
        (row["refunds"] <= int(delivered), f"{row['refunds']} refunds in state {state}"),
        (row["refunds"] == 0 or row["refunded"] == charged, f"refunded {row['refunded']}"),
        (row["foreign_rows"] == 0, "ledger rows of another user"),
    )
    return [message for ok, message in rules if not ok]


def totals(rows: Iterable[tuple[str, int, int]]) -> dict[str, int]:
    """Credit sums per kind from ``(kind, Σd_available, Σd_held)`` rows, all >= 0 but 'set'.

    ``granted`` = grant − revoke + set (what admins and the welcome gave, net) and
    ``captured`` = capture − refund (what jobs cost, net), so for every user
    ``available + held + captured == granted``.
    """
    sums = {kind: (d_available, d_held) for kind, d_available, d_held in rows}

    def get(kind: str) -> tuple[int, int]:
        return sums.get(kind, (0, 0))

    result = {
        "grant": get("grant")[0],
        "revoke": -get("revoke")[0],
        "set": get("set")[0],
        "hold": get("hold")[1],
        "release": get("release")[0],
        "capture": -sum(get("capture")),
        "refund": get("refund")[0],
    }
    result["granted"] = result["grant"] - result["revoke"] + result["set"]
    result["captured"] = result["capture"] - result["refund"]
    return result
