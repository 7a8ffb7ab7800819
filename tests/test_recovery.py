"""Crash recovery: the real bot process is killed with SIGKILL mid-flight, then restarted.

At the kill, one job waits in our queue, one is being submitted (fal never answers), one is
submitted and running at fal, and one is completed (its image download hangs). After the
restart every job must end, nobody pays for a job they did not get, and no saved fal request
is submitted again.
"""

import asyncio
import signal
from collections import Counter
from pathlib import Path

from bot.core import texts
from tests.fakes.fal_server import FakeFal, Fault
from tests.subprocess_bot import finished, job_states, query, start_console

LIMITS = {"BOT_LIMITS__GLOBAL_CONCURRENCY": "3", "BOT_LIMITS__PER_USER_IN_FLIGHT": "10"}


async def wait_for_states(db: Path, wanted: Counter[str], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not (db.is_file() and Counter(job_states(db).values()) == wanted):  # noqa: ASYNC240
            await asyncio.sleep(0.05)


async def test_sigkill_in_every_state_then_restart(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with FakeFal(inference_seconds=0.1, queue_steps=1, slow_seconds=3.0) as fal:
        bot = await start_console(tmp_path, fal, **LIMITS)
        assert bot.stdin is not None
        fal.fail_next(Fault.IMAGE_HANG)
        bot.stdin.write(b"/imagine completed one\n")
        await wait_for_states(db, Counter(completed=1))
        fal.fail_next(Fault.SLOW)
        bot.stdin.write(b"/imagine submitted one\n")
        await wait_for_states(db, Counter(completed=1, submitted=1))
        fal.fail_next(Fault.SUBMIT_HANG)
        bot.stdin.write(b"/imagine submitting one\n/imagine queued one\n")
        await wait_for_states(db, Counter(completed=1, submitted=1, submitting=1, queued=1))
        bot.send_signal(signal.SIGKILL)
        await finished(bot, timeout=10)
        request_ids = [
            r[0] for r in query(db, "SELECT request_id FROM jobs WHERE request_id IS NOT NULL")
        ]

        fal.heal()
        restarted = await start_console(tmp_path, fal, **LIMITS)
        out, err = await finished(restarted, b"", 60)
    assert restarted.returncode == 0, err
    states = job_states(db)
    assert Counter(states.values()) == Counter(delivered=3, failed=1)
    assert texts.FAIL_INTERRUPTED in out
    submitted = Counter(s.request_id for s in fal.submissions)
    assert all(count == 1 for count in submitted.values())
    prompts = Counter(s.payload["prompt"] for s in fal.submissions)
    assert prompts["submitted one"] == 1 and prompts["completed one"] == 1
    assert set(request_ids) <= set(submitted)
    [(available, held)] = query(db, "SELECT available, held FROM accounts")
    assert (available, held) == (10 - 3 * 2, 0)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    settles = query(
        db,
        "SELECT job_id, COUNT(*) FROM ledger WHERE kind IN ('capture','release') GROUP BY job_id",
    )
    assert len(settles) == 4 and all(count == 1 for _, count in settles)


async def test_sigterm_stops_cleanly_and_the_job_resumes(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    async with FakeFal(inference_seconds=0.1, queue_steps=1, slow_seconds=2.0) as fal:
        bot = await start_console(tmp_path, fal)
        assert bot.stdin is not None
        fal.fail_next(Fault.SLOW)
        bot.stdin.write(b"/imagine a slow fox\n")
        await wait_for_states(db, Counter(submitted=1))
        bot.send_signal(signal.SIGTERM)
        _, err = await finished(bot, timeout=10)
        assert bot.returncode == 0, err
        assert "Traceback" not in err
        assert Counter(job_states(db).values()) == Counter(submitted=1)
        again = await start_console(tmp_path, fal)
        out, _ = await finished(again, b"", 30)
    assert Counter(job_states(db).values()) == Counter(delivered=1)
    assert len(fal.submissions) == 1 and "saved " in out
