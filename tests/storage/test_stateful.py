"""Model-based test: random sequences of credit and job operations against a plain model.

The machine drives the real ``Ledger``/``JobStore`` on a real SQLite file (its own event
loop, ``run_until_complete`` per rule, since Hypothesis has no async rules) and a tiny
pure-Python model side by side.  A ``restart`` rule closes and reopens the database.  After
every step: the SQL invariants hold (``check() == []``: ledger sums == cached columns, one
hold and at most one settle per job, held == cost of jobs in flight), balances are never
negative, credits add up, and the database agrees with the model.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
)

from records import Balance, ImageResult, Job, JobState, Submission, UserRef
from storage.db import open_database
from storage.errors import InsufficientCredits, NotRefundable, TooManyJobs, UserBanned
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.storage.helpers import ALICE, BOB, CHAT, REQUEST

T = TypeVar("T")
INITIAL = 5
MAX_IN_FLIGHT = 3
USERS = st.sampled_from([ALICE, BOB])
RESULT = ImageResult(endpoint="fal-ai/flux/dev", images=(), seed=1)
NEXT = {
    JobState.QUEUED: JobState.SUBMITTING,
    JobState.SUBMITTING: JobState.SUBMITTED,
    JobState.SUBMITTED: JobState.COMPLETED,
}


@dataclass
class ModelJob:
    """What the model knows about one job."""

    user: UserRef
    cost: int
    state: JobState = JobState.QUEUED
    charged: int | None = None
    refunded: bool = False


class LedgerMachine(RuleBasedStateMachine):
    """Ledger + jobs versus a dictionary model."""

    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.available: dict[UserRef, int] = {}  # users that exist, with available credits
        self.banned: dict[UserRef, bool] = {}
        self.model_jobs: dict[str, ModelJob] = {}
        self.events: dict[str, str] = {}
        self.ledger_keys: set[str] = set()
        self.admin_keys: set[str] = set()
        self.counter = 0
        self.stack = AsyncExitStack()
        self.open()

    # -- plumbing -------------------------------------------------------------------------

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def open(self) -> None:
        self.stack = AsyncExitStack()
        path = Path(self.tmp.name) / "bot.db"
        db = self.run(self.stack.enter_async_context(open_database(path)))
        self.ledger = Ledger(db=db, initial_credits=INITIAL)
        self.store = JobStore(db=db, ledger=self.ledger)

    def teardown(self) -> None:
        self.run(self.stack.aclose())
        self.loop.close()
        self.tmp.cleanup()

    def ensure(self, user: UserRef) -> None:
        self.available.setdefault(user, INITIAL)
        self.banned.setdefault(user, False)

    def model_balance(self, user: UserRef) -> Balance:
        held = sum(
            job.cost
            for job in self.model_jobs.values()
            if job.user == user and not job.state.terminal
        )
        return Balance(self.available.get(user, 0), held)

    # -- admin credit operations -----------------------------------------------------------

    @rule(user=USERS, amount=st.integers(1, 20), k=st.integers(0, 4))
    def grant(self, user: UserRef, amount: int, k: int) -> None:
        key = f"grant:{k}"
        change = self.run(self.ledger.grant(user, amount, actor="admin", reason="r", key=key))
        self.ensure(user)
        assert change.applied is (key not in self.ledger_keys)
        if change.applied:
            self.ledger_keys.add(key)
            self.available[user] += amount
        assert change.balance == self.model_balance(user)

    @rule(user=USERS, amount=st.integers(1, 12), k=st.integers(0, 4))
    def revoke(self, user: UserRef, amount: int, k: int) -> None:
        key = f"revoke:{k}"
        coro = self.ledger.revoke(user, amount, actor="admin", reason="r", key=key)
        if key not in self.ledger_keys and self.available.get(user, INITIAL) < amount:
            with pytest.raises(InsufficientCredits):
                self.run(coro)
            return  # rolled back entirely: not even a new user was created
        change = self.run(coro)
        self.ensure(user)
        assert change.applied is (key not in self.ledger_keys)
        if change.applied:
            self.ledger_keys.add(key)
            self.available[user] -= amount
        assert change.balance == self.model_balance(user)

    @rule(user=USERS, amount=st.integers(0, 30), k=st.integers(0, 4))
    def set_available(self, user: UserRef, amount: int, k: int) -> None:
        key = f"set:{k}"
        change = self.run(self.ledger.set_available(user, amount, actor="a", reason="r", key=key))
        self.ensure(user)
        assert change.applied is (key not in self.ledger_keys)
        if change.applied:
            self.ledger_keys.add(key)
            self.available[user] = amount
        assert change.balance == self.model_balance(user)

    @rule(user=USERS, banned=st.booleans(), k=st.integers(0, 3))
    def ban(self, user: UserRef, banned: bool, k: int) -> None:
        key = f"ban:{k}"
        applied = self.run(self.ledger.set_banned(user, banned, actor="admin", key=key))
        self.ensure(user)
        assert applied is (key not in self.admin_keys)
        if applied:
            self.admin_keys.add(key)
            self.banned[user] = banned

    # -- jobs --------------------------------------------------------------------------------

    @rule(target=jobs, user=USERS, cost=st.integers(0, 6), event=st.none() | st.integers(0, 4))
    def create(self, user: UserRef, cost: int, event: int | None) -> object:
        job_id = f"job{self.counter}"
        self.counter += 1
        event_key = None if event is None else f"evt:{event}"
        coro = self.store.create(
            job_id=job_id,
            user=user,
            chat=CHAT,
            request=REQUEST,
            cost=cost,
            max_in_flight=MAX_IN_FLIGHT,
            event_key=event_key,
        )
        self.ensure(user)  # the user is created (own transaction) whatever happens next
        expected = self._refusal(user, cost) if event_key not in self.events else None
        if expected is not None:
            with pytest.raises(expected):
                self.run(coro)
            return multiple()
        job, created = self.run(coro)
        if event_key in self.events:
            assert (job.id, created) == (self.events[event_key], False)
            return multiple()
        assert created and job.state is JobState.QUEUED
        self.model_jobs[job_id] = ModelJob(user, cost)
        self.available[user] -= cost
        if event_key is not None:
            self.events[event_key] = job_id
        return job_id

    def _refusal(self, user: UserRef, cost: int) -> type[Exception] | None:
        if self.banned[user]:
            return UserBanned
        in_flight = sum(
            1 for j in self.model_jobs.values() if j.user == user and not j.state.terminal
        )
        if in_flight >= MAX_IN_FLIGHT:
            return TooManyJobs
        return InsufficientCredits if self.available[user] < cost else None

    @rule(job_id=jobs)
    def advance(self, job_id: str) -> None:
        job = self.model_jobs[job_id]
        moved = self.run(self._step(job_id, job.state))
        new = NEXT.get(job.state)
        if new is None:
            assert moved is None  # completed or finished: no transition applies
            return
        assert moved is not None and moved.state is new
        job.state = new

    async def _step(self, job_id: str, state: JobState) -> Job | None:
        if state is JobState.SUBMITTING:
            return await self.store.mark_submitted(job_id, Submission("e", f"r-{job_id}"))
        if state is JobState.SUBMITTED:
            return await self.store.mark_completed(job_id, RESULT)
        return await self.store.mark_submitting(job_id)

    @rule(job_id=jobs)
    def complete(self, job_id: str) -> None:
        while self.model_jobs[job_id].state in NEXT:
            self.advance(job_id)

    @rule(job_id=jobs, charge=st.integers(0, 6), drive=st.booleans())
    def capture(self, job_id: str, charge: int, drive: bool) -> None:
        if drive:  # usually deliver a job still in flight; else try it in any state
            self.complete(job_id)
        job = self.model_jobs[job_id]
        charge = min(charge, job.cost)
        delivered = self.run(self.store.deliver(job_id, charge))
        if job.state is not JobState.COMPLETED:
            assert delivered is None
            return
        assert delivered is not None and delivered.state is JobState.DELIVERED
        job.state, job.charged = JobState.DELIVERED, charge
        self.available[job.user] += job.cost - charge

    @rule(job_id=jobs, cancelled=st.booleans())
    def release(self, job_id: str, cancelled: bool) -> None:
        job = self.model_jobs[job_id]
        state = JobState.CANCELLED if cancelled else JobState.FAILED
        finished = self.run(self.store.finish(job_id, state, "stop"))
        if job.state.terminal:
            assert finished is None
            return
        assert finished is not None and finished.state is state
        job.state = state
        self.available[job.user] += job.cost

    @rule(job_id=jobs, k=st.integers(0, 3), drive=st.booleans())
    def refund(self, job_id: str, k: int, drive: bool) -> None:
        if drive and not self.model_jobs[job_id].state.terminal:
            self.capture(job_id, charge=6, drive=True)
        job = self.model_jobs[job_id]
        key = f"refund-evt:{k}"
        coro = self.store.refund(job_id, actor="admin", reason="r", key=key)
        if key in self.admin_keys:
            assert not self.run(coro).applied
            return
        if job.state is not JobState.DELIVERED or not job.charged or job.refunded:
            with pytest.raises(NotRefundable):
                self.run(coro)
            return
        change = self.run(coro)
        assert change.applied
        self.admin_keys.add(key)
        job.refunded = True
        self.available[job.user] += job.charged
        assert change.balance == self.model_balance(job.user)

    @precondition(lambda self: self.counter > 0)
    @rule()
    def restart(self) -> None:
        self.run(self.stack.aclose())
        self.open()

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def sql_invariants_hold(self) -> None:
        assert self.run(self.ledger.check()) == []

    @invariant()
    def database_matches_the_model(self) -> None:
        for user in (ALICE, BOB):
            balance = self.run(self.ledger.balance(user))
            assert balance == self.model_balance(user)
            assert balance.available >= 0 and balance.held >= 0
            totals = self.run(self.ledger.totals(user))
            assert balance.available + balance.held + totals["captured"] == totals["granted"]
            assert self.run(self.ledger.is_banned(user)) is self.banned.get(user, False)
            states = {job.id: job.state for job in self.run(self.store.recent(user, 1000))}
            model = {i: j.state for i, j in self.model_jobs.items() if j.user == user}
            assert states == model


LedgerMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
