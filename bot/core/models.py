"""Values shared by the core, storage and the front ends: frozen dataclasses and StrEnums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from providers.base import ImageRequest, ImageResult


class Platform(StrEnum):
    """Where a user talks to the bot."""

    CONSOLE = "console"
    TELEGRAM = "telegram"
    DISCORD = "discord"


class JobState(StrEnum):
    """The job state machine; see DESIGN.md "Jobs"."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user as a platform knows them."""

    platform: Platform
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where to answer: chat id, the message to reply to, and adapter-owned data (JSON text)."""

    chat_id: str
    message_id: str | None = None
    extra: str = ""


@dataclass(frozen=True, slots=True)
class Balance:
    """A user's credits: spendable now, and held by jobs in flight."""

    available: int
    held: int


@dataclass(frozen=True, slots=True)
class Job:
    """A persisted generation job."""

    id: str
    user: UserRef
    chat: ChatRef
    request: ImageRequest
    cost: int
    state: JobState
    created_at: float
    updated_at: float
    endpoint: str | None = None
    request_id: str | None = None
    result: ImageResult | None = None
    error: str | None = None
    parent_id: str | None = None
    event_key: str | None = None
    charged: int | None = None
    delivery_started_at: float | None = None  # set right before the result is posted


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
