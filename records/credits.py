"""A user's credits and the ledger rows that explain them."""

from __future__ import annotations

from dataclasses import dataclass

from records.users import UserRef


@dataclass(frozen=True, slots=True)
class Balance:
    """A user's credits: spendable now, and held by jobs in flight."""

    available: int
    held: int


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One append-only ledger row."""

    id: int
    user: UserRef
    kind: str
    d_available: int
    d_held: int
    job_id: str | None
    actor: str
    reason: str
    idem_key: str
    created_at: float
