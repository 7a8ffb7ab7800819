"""Connection-level building blocks shared by the ledger and the job store.

Everything here runs on a connection that is already inside ``Database.transaction()``; the
callers own the transaction.  ``post`` is the only code that writes ledger rows and it
updates the cached ``accounts`` columns in the same breath:

1. insert the ledger row with ``ON CONFLICT(idem_key) DO NOTHING`` — a used key means
   "already done", nothing changes and ``post`` returns False;
2. move the cached columns with a conditional ``UPDATE`` (``available + d >= 0``); when it
   matches no row the caller's transaction is aborted with ``InsufficientCredits``, which
   also undoes step 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

import aiosqlite

from records import Balance, UserRef
from storage.errors import InsufficientCredits, StorageError
from storage.sql import execute, fetchone, scalar

SYSTEM_ACTOR = "system"
WELCOME_REASON = "welcome credits"


class LedgerKind(StrEnum):
    """The kinds of ledger row (the schema's CHECK lists the same words)."""

    GRANT = "grant"
    REVOKE = "revoke"
    SET = "set"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class Posting:
    """One ledger row to write: who, what kind, the two deltas, and its idempotency key."""

    user_id: int
    kind: LedgerKind
    d_available: int
    d_held: int
    actor: str
    key: str
    reason: str = ""
    job_id: str | None = None


_INSERT_ROW = """
INSERT INTO ledger(user_id, kind, d_available, d_held, job_id, actor, reason, idem_key,
                   created_at)
VALUES (:user_id, :kind, :d_available, :d_held, :job_id, :actor, :reason, :key, :now)
ON CONFLICT(idem_key) DO NOTHING"""

_MOVE = """
UPDATE accounts SET available = available + :d_available, held = held + :d_held
WHERE user_id = :user_id AND available + :d_available >= 0 AND held + :d_held >= 0"""


async def post(conn: aiosqlite.Connection, posting: Posting, *, now: float) -> bool:
    """Write ``posting`` and move the cached balance; False when its key was already used."""
    params = {
        "user_id": posting.user_id,
        "kind": str(posting.kind),
        "d_available": posting.d_available,
        "d_held": posting.d_held,
        "job_id": posting.job_id,
        "actor": posting.actor,
        "reason": posting.reason,
        "key": posting.key,
        "now": now,
    }
    if not await execute(conn, _INSERT_ROW, params):
        return False
    if not await execute(conn, _MOVE, params):
        await _refuse(conn, posting)
    return True


async def _refuse(conn: aiosqlite.Connection, posting: Posting) -> NoReturn:
    balance = await balance_of(conn, posting.user_id)
    if balance.available + posting.d_available < 0:
        raise InsufficientCredits(balance, -posting.d_available)
    raise StorageError(f"posting {posting.key!r} would make held negative (or no account)")


async def key_used(conn: aiosqlite.Connection, key: str) -> bool:
    """Whether a ledger row with this idempotency key exists."""
    return await scalar(conn, "SELECT 1 FROM ledger WHERE idem_key = ?", (key,)) is not None


async def balance_of(conn: aiosqlite.Connection, user_id: int) -> Balance:
    """The cached balance of an internal user id (0/0 when there is no account)."""
    row = await fetchone(conn, "SELECT available, held FROM accounts WHERE user_id = ?", (user_id,))
    return Balance(0, 0) if row is None else Balance(int(row[0]), int(row[1]))


async def user_id_of(conn: aiosqlite.Connection, user: UserRef) -> int | None:
    """The internal id of a platform user, or None when unknown."""
    row = await fetchone(
        conn,
        "SELECT id FROM users WHERE platform = ? AND platform_user_id = ?",
        (str(user.platform), user.user_id),
    )
    return None if row is None else int(row[0])


async def ensure_user_row(
    conn: aiosqlite.Connection, user: UserRef, *, initial: int, now: float
) -> int:
    """Create the user, account and welcome grant once; return the internal id."""
    created = await execute(
        conn,
        "INSERT INTO users(platform, platform_user_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT(platform, platform_user_id) DO NOTHING",
        (str(user.platform), user.user_id, now),
    )
    user_id = await user_id_of(conn, user)
    if user_id is None:  # pragma: no cover - the INSERT above guarantees a row
        raise StorageError(f"user {user.key} vanished")
    if created:
        await execute(conn, "INSERT INTO accounts(user_id) VALUES (?)", (user_id,))
        if initial > 0:
            welcome = Posting(
                user_id,
                LedgerKind.GRANT,
                initial,
                0,
                SYSTEM_ACTOR,
                f"initial:{user.key}",
                WELCOME_REASON,
            )
            await post(conn, welcome, now=now)
    return user_id


async def record_action(
    conn: aiosqlite.Connection, *, key: str, actor: str, action: str, target: int, now: float
) -> bool:
    """Remember an admin action by its idempotency key; False when the key was used."""
    return bool(
        await execute(
            conn,
            "INSERT INTO admin_actions(idem_key, actor, action, target_user_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(idem_key) DO NOTHING",
            (key, actor, action, target, now),
        )
    )


async def action_done(conn: aiosqlite.Connection, key: str) -> bool:
    """Whether an admin action with this idempotency key was recorded."""
    row = await scalar(conn, "SELECT 1 FROM admin_actions WHERE idem_key = ?", (key,))
    return row is not None
