"""The jobs repository: the job state machine, with the credit hold and settle in step.

::

    queued → submitting → submitted → completed ─(delivery started)→ delivered   (capture)
       └──────────┴────────────┴───────────┴──────────────┴──→ failed | cancelled (release)

* ``create`` places the hold (ledger ``hold:<job>``) in the transaction that inserts the
  job; a platform event key (or job id) already seen returns the existing job and holds
  nothing.
* Every transition is a guarded ``UPDATE … WHERE id = ? AND state = ?``: it returns the
  updated ``Job``, or None when the job was not in the expected state (or does not exist).
* ``deliver`` and ``finish`` settle: the state change and the ledger row keyed
  ``settle:<job>`` commit together, and capture and release share that key, so a job is
  settled at most once whatever the order of events.
* ``mark_delivering`` stamps ``delivery_started_at`` on a completed job, in its own
  transaction, right before the front end posts the result: a completed job without the
  stamp was never posted; with it, it may have been (recovery then releases, never reposts).
* ``refund`` gives back what a delivered job charged, once per job (``refund:<job>``).

Reads (``get``, ``by_event``, ``unfinished``, ``recent``, ``active``, ``stats``) are in
``storage.job_reads``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import replace

import aiosqlite

from records import ChatRef, ImageRequest, ImageResult, Job, JobState, Submission, UserRef
from storage.admission import admit, within_cap
from storage.codec import chat_to_json, request_to_json, result_to_json
from storage.db import Database
from storage.errors import NotFound, NotRefundable, RefundBlock, StorageError
from storage.job_reads import JobReads, JobStats, find_job, load_job
from storage.ledger import Change, Ledger
from storage.postings import (
    SYSTEM_ACTOR,
    LedgerKind,
    Posting,
    action_done,
    balance_of,
    post,
    record_action,
)
from storage.sql import execute, fetchone

__all__ = ["JobStats", "JobStore"]

_INSERT = """
INSERT INTO jobs(id, user_id, state, kind, request_json, input_image, input_content_type,
                 cost, chat_json, parent_id, event_key, created_at, updated_at)
VALUES (:id, :user_id, 'queued', :kind, :request_json, :input_image, :input_content_type,
        :cost, :chat_json, :parent_id, :event_key, :now, :now)"""

_MOVE = """
UPDATE jobs SET state = :new, updated_at = :now{sets}
WHERE id = :id AND state = :expected{guard}"""

_SETTLE = """
UPDATE jobs SET state = ?, error = ?, charged = ?, finished_at = ?, updated_at = ?
WHERE id = ? AND state = ?"""

_ROW = "SELECT user_id, cost, state, charged FROM jobs WHERE id = ?"
DAY = 86_400.0
_FAILURES = frozenset({JobState.FAILED, JobState.CANCELLED})


class JobStore(JobReads):
    """Persisted jobs; the only writer of holds, captures, releases and refunds."""

    def __init__(self, *, db: Database, ledger: Ledger) -> None:
        super().__init__(db=db)
        self._ledger = ledger

    async def create(
        self,
        *,
        job_id: str,
        user: UserRef,
        chat: ChatRef,
        request: ImageRequest,
        cost: int,
        max_in_flight: int,
        event_key: str | None = None,
        parent_id: str | None = None,
        daily_cap: int | None = None,
    ) -> tuple[Job, bool]:
        """Insert a queued job and hold ``cost``; ``(job, False)`` for a replayed event/id.

        Raises UserBanned, TooManyJobs, SpendCapReached or InsufficientCredits; nothing is
        held then. ``daily_cap`` bounds what a user spends or holds in any 24 hours.
        """
        if cost < 0:
            raise ValueError(f"cost must be >= 0, got {cost}")
        # Own transaction first, so the welcome grant survives a refused job.
        user_id = await self._ledger.ensure_user(user)

        async def body(conn: aiosqlite.Connection) -> tuple[Job, bool]:
            existing = await find_job(conn, job_id, event_key)
            if existing is not None:
                return existing, False
            await admit(conn, user_id, max_in_flight)
            now = time.time()
            if daily_cap is not None:
                await within_cap(conn, user_id, cost, daily_cap, since=now - DAY)
            image = request.image
            row = {
                "id": job_id,
                "user_id": user_id,
                "kind": str(request.kind),
                "request_json": request_to_json(request),
                "input_image": None if image is None else image.data,
                "input_content_type": None if image is None else image.content_type,
                "cost": cost,
                "chat_json": chat_to_json(chat),
                "parent_id": parent_id,
                "event_key": event_key,
                "now": now,
            }
            await execute(conn, _INSERT, row)
            if not await post(
                conn, _posting(user_id, job_id, LedgerKind.HOLD, cost, "job"), now=now
            ):
                raise StorageError(f"a hold for job {job_id} already exists")  # hand-edited db
            return await load_job(conn, job_id), True

        return await self._db.run(body)

    async def mark_submitting(self, job_id: str) -> Job | None:
        """queued → submitting (persisted before calling the provider)."""
        return await self._move(job_id, JobState.QUEUED, JobState.SUBMITTING)

    async def mark_submitted(self, job_id: str, submission: Submission) -> Job | None:
        """submitting → submitted, with the endpoint and the provider's request id."""
        sets = ", endpoint = :endpoint, request_id = :request_id, submitted_at = :now"
        extra = {"endpoint": submission.endpoint, "request_id": submission.request_id}
        return await self._move(job_id, JobState.SUBMITTING, JobState.SUBMITTED, sets, extra)

    async def mark_completed(self, job_id: str, result: ImageResult) -> Job | None:
        """submitted → completed, storing the result before it expires at the provider."""
        sets = ", result_json = :result_json"
        extra = {"result_json": result_to_json(result)}
        return await self._move(job_id, JobState.SUBMITTED, JobState.COMPLETED, sets, extra)

    async def mark_delivering(self, job_id: str) -> Job | None:
        """Stamp ``delivery_started_at`` on a completed job (committed before posting it);
        None when the job is not completed or its delivery had already started."""
        sets, guard = ", delivery_started_at = :now", " AND delivery_started_at IS NULL"
        return await self._move(job_id, JobState.COMPLETED, JobState.COMPLETED, sets, guard=guard)

    async def _move(
        self,
        job_id: str,
        expected: JobState,
        new: JobState,
        sets: str = "",
        extra: Mapping[str, object] | None = None,
        guard: str = "",
    ) -> Job | None:
        params = {"id": job_id, "expected": str(expected), "new": str(new), "now": time.time()}
        sql = _MOVE.format(sets=sets, guard=guard)

        async def body(conn: aiosqlite.Connection) -> Job | None:
            if not await execute(conn, sql, {**params, **(extra or {})}):
                return None
            return await load_job(conn, job_id)

        return await self._db.run(body)

    async def deliver(self, job_id: str, charge: int) -> Job | None:
        """completed → delivered: capture the hold, charging ``charge`` (0..cost) of it.

        The rest of the hold (``cost - charge``, e.g. a cheaper fallback model) goes back
        to available in the same ledger row.
        """
        if charge < 0:
            raise ValueError(f"charge must be >= 0, got {charge}")

        async def body(conn: aiosqlite.Connection) -> Job | None:
            row = await fetchone(conn, _ROW, (job_id,))
            if row is None or row["state"] != JobState.COMPLETED:
                return None
            if charge > row["cost"]:
                raise ValueError(f"charge {charge} exceeds the held cost {row['cost']}")
            capture = replace(
                _posting(row["user_id"], job_id, LedgerKind.CAPTURE, row["cost"], "delivered"),
                d_available=row["cost"] - charge,
            )
            return await _settle(conn, row, JobState.DELIVERED, capture, None, charge)

        return await self._db.run(body)

    async def finish(self, job_id: str, state: JobState, error: str) -> Job | None:
        """Any unfinished state → failed | cancelled, releasing the whole hold."""
        if state not in _FAILURES:
            raise ValueError(f"finish() ends a job as failed or cancelled, not {state}")

        async def body(conn: aiosqlite.Connection) -> Job | None:
            row = await fetchone(conn, _ROW, (job_id,))
            if row is None or JobState(row["state"]).terminal:
                return None
            release = _posting(row["user_id"], job_id, LedgerKind.RELEASE, row["cost"], state)
            return await _settle(conn, row, state, release, error, None)

        return await self._db.run(body)

    async def refund(self, job_id: str, *, actor: str, reason: str, key: str) -> Change:
        """Give back what a delivered job charged, once; a replayed ``key`` changes nothing.

        NotFound for an unknown job; NotRefundable when it is not delivered, charged
        nothing, or was already refunded (under any key).
        """
        async with self._db.transaction() as conn:
            row = await fetchone(conn, _ROW, (job_id,))
            if row is None:
                raise NotFound(f"no job {job_id}")
            user_id, state, charged = int(row["user_id"]), JobState(row["state"]), row["charged"]
            if await action_done(conn, key):
                return Change(await balance_of(conn, user_id), False)
            if state is not JobState.DELIVERED:
                raise NotRefundable(state, RefundBlock.NOT_DELIVERED)
            if not charged:
                raise NotRefundable(state, RefundBlock.NOTHING_CHARGED)
            refund = Posting(
                user_id=user_id,
                kind=LedgerKind.REFUND,
                d_available=int(charged),
                d_held=0,
                actor=actor,
                key=f"refund:{job_id}",
                reason=reason,
                job_id=job_id,
            )
            now = time.time()
            if not await post(conn, refund, now=now):
                raise NotRefundable(state, RefundBlock.ALREADY_REFUNDED)
            await record_action(
                conn, key=key, actor=actor, action="refund", target=user_id, now=now
            )
            return Change(await balance_of(conn, user_id), True)


def _posting(user_id: int, job_id: str, kind: LedgerKind, cost: int, reason: str) -> Posting:
    """The hold (+cost held) or the settle (−cost held, all back) row of a job."""
    sign = 1 if kind is LedgerKind.HOLD else -1
    key = f"hold:{job_id}" if kind is LedgerKind.HOLD else f"settle:{job_id}"
    return Posting(
        user_id=int(user_id),
        kind=kind,
        d_available=-sign * int(cost),
        d_held=sign * int(cost),
        actor=SYSTEM_ACTOR,
        key=key,
        reason=str(reason),
        job_id=job_id,
    )


async def _settle(
    conn: aiosqlite.Connection,
    row: sqlite3.Row,
    state: JobState,
    posting: Posting,
    error: str | None,
    charged: int | None,
) -> Job:
    """Move the job from the state in ``row`` to ``state`` and write its one settle row."""
    job_id = str(posting.job_id)
    now = time.time()
    params = (str(state), error, charged, now, now, job_id, row["state"])
    if not await execute(conn, _SETTLE, params) or not await post(conn, posting, now=now):
        # The row was read in this same write transaction: only a hand-edited database
        # (a settle row for an unfinished job) gets here.
        raise StorageError(f"job {job_id} changed under its settle, or was already settled")
    return await load_job(conn, job_id)
