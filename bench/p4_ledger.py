"""P4: ledger hold + capture pairs per second against raw sqlite3 commits per second.

Both on a fresh file in WAL mode with ``synchronous=FULL`` (the bot's settings, read back
from its connection). A pair is ``JobStore.create`` (job row + hold) and
``JobStore.deliver`` (capture) as the runner calls them, with the job's three state moves
(submitting, submitted, completed) in between. Measured two ways: ``workers`` users at
once, wall time for whole pairs (moves included: five commits per pair); and one pair at
a time, timing only the hold and the capture. The raw figure is ``BEGIN IMMEDIATE;
INSERT one small row; COMMIT`` with the standard library's sqlite3 module, no asyncio.
The three alternate in ten rounds, as the disk's pace drifts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Row, at_least_ratio, info
from records import (
    ChatRef,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    Platform,
    Submission,
    UserRef,
)
from storage.db import open_database
from storage.jobs import JobStore
from storage.ledger import Ledger


@dataclass(frozen=True)
class P4Options:
    pairs: int
    workers: int


RESULT = ImageResult(
    endpoint="fal-ai/flux-lora",
    seed=7,
    images=(GeneratedImage("https://cdn.example/1.png", 1024, 768, "image/png"),),
)


class Raw:
    """The raw figure's connection: stdlib sqlite3, same file settings, no asyncio."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT)")

    def commits(self, count: int) -> float:
        """Seconds for ``count`` one-row write transactions."""
        started = time.perf_counter()
        for n in range(count):
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO t (user_id, note) VALUES (?, ?)", (n, "hold"))
            self.conn.execute("COMMIT")
        return time.perf_counter() - started


async def pair(jobs: JobStore, user: UserRef, job_id: str) -> float:
    """One job held, moved along and captured; seconds spent in the hold and the capture."""
    started = time.perf_counter()
    job, _ = await jobs.create(
        job_id=job_id,
        user=user,
        chat=ChatRef(chat_id="c"),
        request=ImageRequest(prompt="a red fox at dawn"),
        cost=2,
        max_in_flight=2,
    )
    held = time.perf_counter()
    await jobs.mark_submitting(job.id)
    await jobs.mark_submitted(job.id, Submission("fal-ai/flux-lora", f"r-{job_id}"))
    await jobs.mark_completed(job.id, RESULT)
    capture = time.perf_counter()
    await jobs.deliver(job.id, 2)
    return (held - started) + (time.perf_counter() - capture)


async def concurrently(jobs: JobStore, count: int, workers: int, tag: str) -> float:
    """Seconds for ``count`` whole pairs (moves included), ``workers`` users at a time."""

    async def worker(w: int) -> None:
        user = UserRef(Platform.CONSOLE, f"p4-{w}")
        for n in range(w, count, workers):
            await pair(jobs, user, f"{tag}-{n}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return time.perf_counter() - started


@dataclass
class Totals:
    raw: float = 0.0
    sequential: float = 0.0
    concurrent: float = 0.0
    pairs: int = 0


async def measure(workdir: Path, options: P4Options, rounds: int = 10) -> tuple[Totals, str]:
    """Seconds spent by raw commits, sequential pairs and concurrent pairs, in alternating
    rounds (the disk's pace drifts over a run); and the bot's database settings."""
    raw = Raw(workdir / "raw.db")
    totals = Totals()
    async with open_database(workdir / "bot.db") as db:
        jobs = JobStore(db=db, ledger=Ledger(db=db, initial_credits=1_000_000))
        user = UserRef(Platform.CONSOLE, "p4")
        for n in range(20):  # warm-up
            await pair(jobs, user, f"warm-{n}")
        raw.commits(20)
        each = options.pairs // rounds
        for r in range(rounds):
            totals.raw += raw.commits(each)
            for n in range(each):
                totals.sequential += await pair(jobs, user, f"s{r}-{n}")
            totals.concurrent += await concurrently(jobs, each, options.workers, f"c{r}")
            totals.pairs += each
        pragmas = await db.pragmas()
    raw.conn.close()
    return totals, f"journal {pragmas['journal_mode']}, synchronous {pragmas['synchronous']}"


async def run(workdir: Path, options: P4Options) -> list[Row]:
    totals, settings = await measure(workdir, options)
    raw = totals.pairs / totals.raw
    return [
        at_least_ratio(
            f"P4 pairs/s ÷ raw commits/s, {options.workers} users at once",
            totals.pairs / totals.concurrent,
            raw,
            0.3,
            "/s",
        ),
        info(
            "P4 the same, one pair at a time (hold+capture time)",
            f"{totals.pairs / totals.sequential:.0f} /s",
            f"{raw:.0f} /s",
            f"{totals.pairs / totals.sequential / raw:.3f} (two fsyncs a pair: ≤ 0.5)",
        ),
        info(
            "P4 database settings (bot and raw)",
            settings + " (2 = FULL)",
            "same",
            f"{totals.pairs} pairs each way",
        ),
    ]
