"""Users, their credit accounts and the append-only ledger.

``accounts.available`` / ``accounts.held`` are caches of the ledger sums, written in the
same transaction as the ledger row (see ``storage.postings``).  Every change carries an
idempotency key: replaying a key changes nothing and reports ``Change(applied=False)``
(the parameters of the replay are not compared with the original's).  Admin operations on
a user nobody has seen yet create that user first (with the welcome credits), so an admin
can grant or ban before the user's first message; a refused revoke creates nothing.

Job holds, captures and releases live in ``storage.jobs``, which shares the posting code.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from records import Balance, LedgerEntry, Platform, UserRef
from storage import audit
from storage.db import Database
from storage.postings import (
    LedgerKind,
    Posting,
    balance_of,
    ensure_user_row,
    post,
    record_action,
    user_id_of,
)
from storage.sql import execute, fetchall

_USER_WHERE = "platform = ? AND platform_user_id = ?"

_ENTRIES = f"""
SELECT l.*, u.platform, u.platform_user_id FROM ledger l JOIN users u ON u.id = l.user_id
WHERE {_USER_WHERE} ORDER BY l.id DESC LIMIT ?"""

_TOTALS = f"""
SELECT kind, SUM(d_available), SUM(d_held) FROM ledger
WHERE user_id = (SELECT id FROM users WHERE {_USER_WHERE}) GROUP BY kind"""


@dataclass(frozen=True, slots=True)
class Change:
    """The balance after a ledger call; ``applied`` is False when its key was already used."""

    balance: Balance
    applied: bool


def _user_params(user: UserRef) -> tuple[str, str]:
    return (str(user.platform), user.user_id)


KNOWN_USERS = 10_000  # ids remembered by ensure_user (a user row is never deleted)


def _require_positive(amount: int) -> None:
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")


class Ledger:
    """Credits per user: welcome grant, admin grant/revoke/set, bans, audits."""

    def __init__(self, *, db: Database, initial_credits: int) -> None:
        if initial_credits < 0:
            raise ValueError("initial_credits must be >= 0")
        self._db = db
        self._initial = initial_credits
        self._known: OrderedDict[str, int] = OrderedDict()

    async def ensure_user(self, user: UserRef) -> int:
        """The internal id of ``user``, created (with the welcome grant) exactly once.

        The ids of recent users are remembered: user rows are never deleted, so an id,
        once committed, never changes, and a job's creation skips a trip to the database.
        """
        if (known := self._known.get(user.key)) is not None:
            self._known.move_to_end(user.key)
            return known
        row = await self._db.fetchone(
            f"SELECT id FROM users WHERE {_USER_WHERE}", _user_params(user)
        )
        if row is not None:
            user_id = int(row[0])
        else:
            user_id = await self._db.run(lambda conn: self.ensure_user_in(conn, user))
        self._known[user.key] = user_id
        if len(self._known) > KNOWN_USERS:
            self._known.popitem(last=False)
        return user_id

    async def ensure_user_in(self, conn: aiosqlite.Connection, user: UserRef) -> int:
        """``ensure_user`` inside a caller's transaction (for other storage repositories)."""
        return await ensure_user_row(conn, user, initial=self._initial, now=time.time())

    async def balance(self, user: UserRef) -> Balance:
        """The user's balance; 0/0 for a user never seen (who is not created)."""
        async with self._db.read() as conn:
            user_id = await user_id_of(conn, user)
            return Balance(0, 0) if user_id is None else await balance_of(conn, user_id)

    async def known(self, user: UserRef) -> bool:
        """Whether the user exists."""
        async with self._db.read() as conn:
            return await user_id_of(conn, user) is not None

    async def grant(
        self, user: UserRef, amount: int, *, actor: str, reason: str, key: str
    ) -> Change:
        """Add ``amount`` (> 0) to available."""
        _require_positive(amount)
        return await self._adjust(user, LedgerKind.GRANT, lambda _: amount, actor, reason, key)

    async def revoke(
        self, user: UserRef, amount: int, *, actor: str, reason: str, key: str
    ) -> Change:
        """Take ``amount`` (> 0) from available; ``InsufficientCredits`` if there is less."""
        _require_positive(amount)
        return await self._adjust(user, LedgerKind.REVOKE, lambda _: -amount, actor, reason, key)

    async def set_available(
        self, user: UserRef, amount: int, *, actor: str, reason: str, key: str
    ) -> Change:
        """Set available to ``amount`` (>= 0) with a 'set' row of the difference."""
        if amount < 0:
            raise ValueError(f"amount must be >= 0, got {amount}")
        return await self._adjust(
            user, LedgerKind.SET, lambda before: amount - before.available, actor, reason, key
        )

    async def _adjust(
        self,
        user: UserRef,
        kind: LedgerKind,
        delta: Callable[[Balance], int],
        actor: str,
        reason: str,
        key: str,
    ) -> Change:
        async with self._db.transaction() as conn:
            user_id = await self.ensure_user_in(conn, user)
            before = await balance_of(conn, user_id)
            posting = Posting(user_id, kind, delta(before), 0, actor, key, reason)
            applied = await post(conn, posting, now=time.time())
            return Change(await balance_of(conn, user_id), applied)

    async def entries(self, user: UserRef, limit: int = 10) -> list[LedgerEntry]:
        """The user's latest ledger rows, newest first."""
        rows = await self._db.fetchall(_ENTRIES, (*_user_params(user), limit))
        return [
            LedgerEntry(
                id=row["id"],
                user=UserRef(Platform(row["platform"]), row["platform_user_id"]),
                kind=row["kind"],
                d_available=row["d_available"],
                d_held=row["d_held"],
                job_id=row["job_id"],
                actor=row["actor"],
                reason=row["reason"],
                idem_key=row["idem_key"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def set_banned(self, user: UserRef, banned: bool, *, actor: str, key: str) -> bool:
        """Ban or unban; False (and no change) when ``key`` was already used."""
        async with self._db.transaction() as conn:
            user_id = await self.ensure_user_in(conn, user)
            action = "ban" if banned else "unban"
            now = time.time()
            if not await record_action(
                conn, key=key, actor=actor, action=action, target=user_id, now=now
            ):
                return False
            await execute(conn, "UPDATE users SET banned = ? WHERE id = ?", (int(banned), user_id))
            return True

    async def is_banned(self, user: UserRef) -> bool:
        """Whether the user is banned (False for a user never seen)."""
        row = await self._db.fetchone(
            f"SELECT banned FROM users WHERE {_USER_WHERE}", _user_params(user)
        )
        return row is not None and bool(row[0])

    async def check(self) -> list[str]:
        """Invariant violations across all users and jobs; empty when consistent."""
        async with self._db.read() as conn:
            return await audit.problems(conn)

    async def totals(self, user: UserRef) -> dict[str, int]:
        """Credit sums by kind plus ``granted`` and ``captured`` (see ``audit.totals``)."""
        async with self._db.read() as conn:
            rows = await fetchall(conn, _TOTALS, _user_params(user))
        return audit.totals((str(r[0]), int(r[1]), int(r[2])) for r in rows)
