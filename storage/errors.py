"""The storage error tree: final, typed outcomes the core turns into user messages.

Every error here is *final*: retrying the same call gives the same answer until something
else changes (an admin grant, a job finishing).  Driver errors (``sqlite3.Error``) are not
wrapped; they mean a bug or a broken disk, not a user-facing outcome.

Error tree::

    StorageError                  base of everything storage raises on purpose; also raised
    │                             for a corrupt or too-new database (a bug, not a user error)
    ├── InsufficientCredits       available < needed (balance, needed)
    ├── UserBanned                the user is banned; nothing was held or created
    ├── TooManyJobs               the user already has ``limit`` jobs in flight
    ├── SpendCapReached           the job would take the user past their daily spend cap
    ├── NotFound                  no such job (or user, where a caller asked for one)
    └── NotRefundable             the job cannot be refunded (state, reason)
"""

from __future__ import annotations

from enum import StrEnum

from records import Balance, JobState


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class InsufficientCredits(StorageError):
    """The user's available credits do not cover ``needed``."""

    def __init__(self, balance: Balance, needed: int) -> None:
        super().__init__(f"needs {needed} credits, {balance.available} available")
        self.balance = balance
        self.needed = needed


class UserBanned(StorageError):
    """The user is banned from creating jobs."""


class TooManyJobs(StorageError):
    """The user already has ``limit`` jobs that have not finished."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"already {limit} jobs in flight")
        self.limit = limit


class SpendCapReached(StorageError):
    """Credits spent or held in the last 24 hours plus this job would exceed ``cap``."""

    def __init__(self, cap: int, spent: int) -> None:
        super().__init__(f"daily cap {cap}, {spent} already spent")
        self.cap = cap
        self.spent = spent


class NotFound(StorageError):
    """The job (or user) asked for does not exist."""


class RefundBlock(StrEnum):
    """Why a refund was refused."""

    NOT_DELIVERED = "not_delivered"
    NOTHING_CHARGED = "nothing_charged"
    ALREADY_REFUNDED = "already_refunded"


class NotRefundable(StorageError):
    """Only a delivered job that charged credits can be refunded, and only once."""

    def __init__(self, state: JobState, reason: RefundBlock = RefundBlock.NOT_DELIVERED) -> None:
        super().__init__(f"job in state {state} is not refundable: {reason}")
        self.state = state
        self.reason = reason
