"""Admission and listings: replays, bans, caps, concurrent holds, cancellation, stats."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from records import Balance, JobState
from storage.db import Database, open_database
from storage.errors import InsufficientCredits, TooManyJobs, UserBanned
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.storage.helpers import ALICE, BOB, CHAT, INITIAL, REQUEST, completed_job, new_job


async def test_a_replayed_event_makes_no_second_job_or_hold(jobs: JobStore, ledger: Ledger) -> None:
    first = await new_job(jobs, "j1", cost=3, event_key="tg:update:1")
    again, created = await jobs.create(
        job_id="j2",
        user=ALICE,
        chat=CHAT,
        request=REQUEST,
        cost=3,
        max_in_flight=5,
        event_key="tg:update:1",
    )
    assert (again, created) == (first, False)
    assert await jobs.get("j2") is None
    assert await ledger.balance(ALICE) == Balance(INITIAL - 3, 3)
    same_id, created = await jobs.create(
        job_id="j1", user=ALICE, chat=CHAT, request=REQUEST, cost=3, max_in_flight=5
    )
    assert (same_id, created) == (first, False)
    assert await ledger.balance(ALICE) == Balance(INITIAL - 3, 3)
    assert await ledger.check() == []


async def test_a_banned_user_is_refused(jobs: JobStore, ledger: Ledger) -> None:
    await ledger.set_banned(ALICE, True, actor="admin", key="ban:1")
    with pytest.raises(UserBanned):
        await new_job(jobs, "j1")
    assert await jobs.get("j1") is None
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)


async def test_the_in_flight_cap(jobs: JobStore, ledger: Ledger) -> None:
    await new_job(jobs, "j1", cost=1, max_in_flight=2)
    await new_job(jobs, "j2", cost=1, max_in_flight=2)
    with pytest.raises(TooManyJobs) as refused:
        await new_job(jobs, "j3", cost=1, max_in_flight=2)
    assert refused.value.limit == 2
    await new_job(jobs, "b1", user=BOB, cost=1, max_in_flight=2)  # per user
    await jobs.finish("j1", JobState.CANCELLED, "")
    await new_job(jobs, "j3", cost=1, max_in_flight=2)
    assert await ledger.balance(ALICE) == Balance(INITIAL - 2, 2)
    assert await ledger.check() == []


async def test_not_enough_credits_keeps_the_welcome_grant(jobs: JobStore, ledger: Ledger) -> None:
    with pytest.raises(InsufficientCredits) as refused:
        await new_job(jobs, "j1", cost=INITIAL + 1)
    assert (refused.value.balance, refused.value.needed) == (Balance(INITIAL, 0), INITIAL + 1)
    assert await jobs.get("j1") is None
    assert await ledger.known(ALICE)
    assert await ledger.balance(ALICE) == Balance(INITIAL, 0)
    assert await ledger.check() == []


async def test_200_concurrent_holds_against_100_credits(db: Database) -> None:
    ledger = Ledger(db=db, initial_credits=100)
    jobs = JobStore(db=db, ledger=ledger)
    results = await asyncio.gather(
        *(
            jobs.create(
                job_id=f"j{n}", user=ALICE, chat=CHAT, request=REQUEST, cost=1, max_in_flight=1000
            )
            for n in range(200)
        ),
        return_exceptions=True,
    )
    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, InsufficientCredits)]
    assert (len(created), len(refused)) == (100, 100)
    assert await ledger.balance(ALICE) == Balance(0, 100)
    assert len(await jobs.unfinished()) == 100
    assert await ledger.check() == []
    assert await db.integrity_check() == "ok"


async def test_listings(jobs: JobStore) -> None:
    for job_id in ("a1", "a2", "a3"):
        await new_job(jobs, job_id, cost=1)
    await new_job(jobs, "b1", user=BOB, cost=1)
    await jobs.finish("a2", JobState.FAILED, "x")
    assert [j.id for j in await jobs.unfinished()] == ["a1", "a3", "b1"]
    assert [j.id for j in await jobs.recent(ALICE)] == ["a3", "a2", "a1"]
    assert [j.id for j in await jobs.recent(ALICE, limit=1)] == ["a3"]
    assert [j.id for j in await jobs.active(ALICE)] == ["a3", "a1"]
    assert [j.id for j in await jobs.active(BOB)] == ["b1"]
    assert await jobs.by_event("nope") is None


async def test_stats(jobs: JobStore) -> None:
    empty = await jobs.stats(0.0)
    assert (empty.total, empty.median_seconds, empty.credits_spent) == (0, None, 0)
    await completed_job(jobs, "d1", cost=3)
    await jobs.deliver("d1", 3)
    await completed_job(jobs, "d2", cost=3)
    await jobs.deliver("d2", 2)
    await new_job(jobs, "f1", cost=1)
    await jobs.finish("f1", JobState.FAILED, "x")
    await new_job(jobs, "c1", cost=1)
    await jobs.finish("c1", JobState.CANCELLED, "x")
    await new_job(jobs, "q1", cost=1)
    stats = await jobs.stats(0.0)
    assert (stats.total, stats.delivered, stats.failed, stats.cancelled) == (5, 2, 1, 1)
    assert stats.credits_spent == 5
    assert stats.median_seconds is not None and 0 <= stats.median_seconds < 60
    assert (await jobs.stats(time.time() + 60)).total == 0


async def test_jobs_survive_a_reopen(db_path: Path) -> None:
    async with open_database(db_path) as db:
        jobs = JobStore(db=db, ledger=Ledger(db=db, initial_credits=INITIAL))
        job = await completed_job(jobs, "j1")
    async with open_database(db_path) as db:
        ledger = Ledger(db=db, initial_credits=INITIAL)
        jobs = JobStore(db=db, ledger=ledger)
        assert await jobs.get("j1") == job
        assert [j.id for j in await jobs.unfinished()] == ["j1"]
        assert await jobs.deliver("j1", job.cost)
        assert await ledger.check() == []


async def test_cancelling_create_at_any_point_leaves_the_books_straight(
    db: Database, jobs: JobStore, ledger: Ledger
) -> None:
    await ledger.grant(ALICE, 100, actor="a", reason="r", key="g")
    started = time.perf_counter()
    await new_job(jobs, "timing", cost=1, max_in_flight=1000)
    took = time.perf_counter() - started
    outcomes = []
    for step in range(40):  # cancel from "before it starts" to "after it finished"
        task = asyncio.create_task(new_job(jobs, f"j{step}", cost=1, max_in_flight=1000))
        await asyncio.sleep(took * step / 30)
        task.cancel()
        try:
            await task
            outcomes.append("created")
        except asyncio.CancelledError:
            outcomes.append("cancelled")
        assert await ledger.check() == []
    assert "cancelled" in outcomes
    # Every create that returned exists; a cancelled one may have committed just before
    # the cancel landed (the caller cannot tell), but never half-way.
    created = len(await jobs.unfinished())
    assert created >= 1 + outcomes.count("created")
    assert await ledger.balance(ALICE) == Balance(INITIAL + 100 - created, created)
    await new_job(jobs, "after", cost=1, max_in_flight=1000)  # the connection is usable
    assert await db.integrity_check() == "ok"
