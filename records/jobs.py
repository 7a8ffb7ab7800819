"""A persisted generation job and its state machine's states (DESIGN.md "Jobs")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from records.generation import ImageRequest, ImageResult
from records.users import ChatRef, UserRef


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
