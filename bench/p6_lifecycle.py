"""P6: ``python -m bot run`` from start to ready, and from SIGTERM to exit with jobs in flight.

The real command in a child process, configured by environment as an operator would
(Telegram pointed at the fake Bot API, fal at the fake). Ready: the first long poll
reaches the fake Telegram (the runner starts right after the front ends are ready).
Shutdown: ``in_flight`` users each send /imagine while fal takes a minute per job; once
every job is in the database and the runner's slots are at fal, SIGTERM; then the
database is read: every job must still be there, unfinished, a submitted one with its
fal request id (the next start resumes them). The baseline is a bare ``python -c pass``.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.hostclient import FakeHost, clean_environment
from bench.report import Row, at_most, info, median
from tests.fakes.fal_server import TEST_FAL_KEY

SLOTS = 4  # limits.global_concurrency's default


@dataclass(frozen=True)
class P6Options:
    starts: int
    in_flight: int


def bot_env(host: FakeHost, workdir: Path) -> dict[str, str]:
    return clean_environment() | {
        "FAL_KEY": TEST_FAL_KEY,
        "TELEGRAM_TOKEN": host.urls["telegram_token"],
        "BOT_TELEGRAM__BASE_URL": host.urls["telegram"],
        "BOT_FAL__QUEUE_URL": host.fal_url,
        "BOT_FAL__REST_URL": host.fal_url,
        "BOT_FAL__CDN_URL": host.fal_url,
        "BOT_STORAGE__DATABASE": str(workdir / "bot.db"),
        "BOT_LOGGING__LEVEL": "INFO",
    }


async def start(host: FakeHost, workdir: Path) -> tuple[asyncio.subprocess.Process, float]:
    """The bot, once ready; and the seconds that took."""
    polls = len(await host.telegram("polls", 0, 0))
    log = (workdir / "bot.log").open("ab")
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,
        env=bot_env(host, workdir),
        stdout=log,
        stderr=log,
    )
    log.close()
    arrived = await host.telegram("polls", polls + 1, 30)
    if len(arrived) <= polls:
        process.kill()
        raise RuntimeError("the bot did not poll Telegram within 30 s")
    return process, float(arrived[polls]) - started


async def stop(process: asyncio.subprocess.Process) -> float:
    """Seconds from SIGTERM to the process's exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        raise
    return time.monotonic() - started


def states(db: Path) -> list[tuple[str, str | None]]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT state, request_id FROM jobs").fetchall()
    return [(str(state), rid) for state, rid in rows]


async def until_in_flight(db: Path, jobs: int) -> None:
    async with asyncio.timeout(30):
        while True:
            found = states(db)
            if len(found) >= jobs and sum(s == "submitted" for s, _ in found) >= SLOTS:
                return
            await asyncio.sleep(0.05)


async def bare_python() -> float:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()
    return time.monotonic() - started


async def run(host: FakeHost, workdir: Path, options: P6Options) -> list[Row]:
    ready, idle_stops = [], []
    for _ in range(options.starts):
        process, took = await start(host, workdir)
        ready.append(took)
        idle_stops.append(await stop(process))
    base = median([await bare_python() for _ in range(3)])
    await host.configure_fal(inference_seconds=60.0, queue_steps=1)
    process, _ = await start(host, workdir)
    first = 9_000_000
    await host.telegram_send(
        [{"user_id": first + n, "text": f"/imagine fox {n}"} for n in range(options.in_flight)]
    )
    await until_in_flight(workdir / "bot.db", options.in_flight)
    took = await stop(process)
    await host.configure_fal(inference_seconds=2.0, queue_steps=1)
    kept = [
        (s, rid)
        for s, rid in states(workdir / "bot.db")
        if s in ("queued", "submitted") and (s == "queued" or rid)
    ]
    persisted = f"{len(kept)}/{options.in_flight} jobs kept ({SLOTS} at fal)"
    return [
        at_most(
            f"P6 start → ready, median of {options.starts}",
            median(ready),
            2,
            "s",
            baseline=f"{base:.2f} s (bare python)",
        ),
        at_most(f"P6 SIGTERM → exit, {options.in_flight} jobs in flight", took, 5, "s"),
        info("P6 jobs persisted at exit", persisted, "–", f"idle stop {median(idle_stops):.2f} s"),
    ] + (
        []
        if len(kept) == options.in_flight
        else [Row("P6 every job kept", persisted, "–", "all", "lost", False)]
    )
