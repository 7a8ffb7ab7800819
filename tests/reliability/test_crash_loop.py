"""Crash safety (issue 5, item 2): the real bot, killed with SIGKILL again and again while
jobs from several Telegram users stream through it, loses no credit and repeats nothing.

FakeTelegram and FakeFal run in the test's own loop; ``python -m bot run`` runs as a child
process pointed at both (``TELEGRAM_TOKEN`` + ``BOT_TELEGRAM__BASE_URL``). Each round starts
the bot on the same database, checks its durability settings, sends a batch of /imagine
from several users and kills the process at a point chosen for the round: with jobs queued;
while one is being submitted (fal never answers); submitted (a slow fal job); completed
(the image download hangs); while a result is being posted (Telegram takes the photo and
answers late); or after a random delay. fal's and Telegram's faults are then healed and the
next round restarts the bot. A final clean run drains what is left and stops with SIGTERM.

The kill timing is random (seeded); the checks hold for any timing: every job terminal; per
user available + held + captured == granted and held == 0; the ledger's invariants (one
hold and one settle per job, caches equal to the ledger); no job sent to fal twice and no
request id shared; no result posted twice (each caption carries its job id); SQLite's
integrity_check is ok.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.core import texts
from records import JobState, Platform, UserRef
from storage.db import open_database
from storage.jobs import JobStore
from storage.ledger import Ledger
from tests.fakes.fal_server import FakeFal
from tests.fakes.telegram_server import Call, FakeTelegram
from tests.fakes.telegram_server import Fault as TelegramFault
from tests.subprocess_bot import bot_env, scan_logs

SEED = 20260605
ROUNDS = 24  # one SIGKILL each
BATCH = 12  # /imagine messages per round
USER_IDS = tuple(range(501, 510))  # the last one sends only the jobs that carry a fault
INITIAL = 1000
TARGETS = ("queued", "submitting", "submitted", "completed", "delivering", "anywhere")
KILL_STATES = ("queued", "submitting", "submitted", "completed", "delivering")
# Each fault makes its state last (until the kill, or for seconds), so a kill lands in it.
TRIGGER = {
    "submitting": " fault:submit_hang",
    "submitted": " fault:slow",
    "completed": " fault:image_hang",
}
POST_DELAY = 2.0  # Telegram applies the sendPhoto, then answers this late
TARGET_WAIT = 8.0  # a round whose state never shows up is killed anyway
CONCURRENCY = 6  # jobs at fal at once: enough to keep the backlog short, and some queued
RESULT_METHODS = ("sendPhoto", "sendDocument", "sendMediaGroup")
OPENED = re.compile(r"database .* opened with (\{.*\})")


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """A read-only query on the bot's database file; [] before the schema exists."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def in_flight(db: Path) -> dict[str, set[str]]:
    """Unfinished job ids by state; a completed job whose result is being posted is
    'delivering'."""
    found: dict[str, set[str]] = {}
    for job_id, state, posting in rows(
        db,
        "SELECT id, state, delivery_started_at IS NOT NULL FROM jobs"
        " WHERE state NOT IN ('delivered', 'failed', 'cancelled')",
    ):
        name = "delivering" if state == "completed" and posting else str(state)
        found.setdefault(name, set()).add(str(job_id))
    return found


def posts_per_job(calls: list[Call]) -> Counter[str]:
    """Result posts Telegram accepted, by the job id in their caption."""
    counts: Counter[str] = Counter()
    for call in calls:
        if call.method not in RESULT_METHODS or call.status != 200:
            continue
        captions = [call.params.get("caption")]
        captions += [item.get("caption") for item in call.params.get("media", [])]
        for caption in filter(None, captions):
            counts.update(re.findall(r"Job (\w+):", str(caption)))
    return counts


@dataclass
class CrashLoop:
    """The rounds: start the bot, send jobs, kill it where the round says."""

    tmp_path: Path
    tg: FakeTelegram
    fal: FakeFal
    rng: random.Random
    users: list[dict[str, object]]
    runs: int = 0
    landed: Counter[str] = field(default_factory=Counter)
    posted_unconfirmed: int = 0  # kills after Telegram took a photo, before the bot knew
    prompts: list[str] = field(default_factory=list)
    last_update: int = 0
    _posted: set[str] = field(default_factory=set)
    _scanned: int = 0

    @property
    def db(self) -> Path:
        return self.tmp_path / "bot.db"

    async def start(self) -> asyncio.subprocess.Process:
        """A fresh bot process; returns once it polls Telegram, its durability checked."""
        self.runs += 1
        log = self.tmp_path / f"run-{self.runs}.log"
        polls = len(self.tg.calls_of("getUpdates"))
        env = bot_env(
            self.tmp_path,
            self.fal,
            TELEGRAM_TOKEN=self.tg.token,
            BOT_TELEGRAM__BASE_URL=self.tg.base_url,
            BOT_TELEGRAM__POLL_TIMEOUT="1",
            BOT_TELEGRAM__READ_TIMEOUT="5",
            BOT_CREDITS__INITIAL=str(INITIAL),
            BOT_LIMITS__GLOBAL_CONCURRENCY=str(CONCURRENCY),
            BOT_LIMITS__PER_USER_IN_FLIGHT="1000",
            BOT_LIMITS__REQUESTS_PER_MINUTE="100000",
            BOT_LIMITS__JOB_DEADLINE="30",
            BOT_LOGGING__LEVEL="INFO",
        )
        with log.open("wb") as out:
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
                cwd=self.tmp_path, env=env,
            )  # fmt: skip
        try:
            await self.tg.wait_for("getUpdates", count=polls + 1, timeout=30)
            self.check_durability(log)
        except BaseException:
            bot.kill()  # never leave a bot running behind a failed test
            await bot.wait()
            raise
        return bot

    def check_durability(self, log: Path) -> None:
        """WAL is a property of the file; synchronous is per connection, so it is read
        from what the bot logged about its own connection as it opened the database."""
        assert rows(self.db, "PRAGMA journal_mode") == [("wal",)]
        found = OPENED.search(log.read_text())
        assert found is not None, log.read_text()
        pragmas = ast.literal_eval(found[1])
        assert (pragmas["journal_mode"], pragmas["synchronous"]) == ("wal", 2)  # 2 = FULL

    def send_batch(self, round_: int, target: str) -> None:
        """BATCH messages, round-robin over the users; a fault rides on the first one, sent
        by a user of its own, whose short line the fair queue reaches at once."""
        *regular, unlucky = self.users
        for n in range(BATCH):
            trigger = TRIGGER.get(target, "") if n == 0 else ""
            user = unlucky if trigger else regular[(round_ * BATCH + n) % len(regular)]
            prompt = f"crash loop round {round_} job {n}{trigger}"
            self.prompts.append(prompt)
            self.last_update = self.tg.send(user, f"/imagine {prompt}")["update_id"]

    async def round(self, round_: int, target: str) -> None:
        """One run of the bot, killed where ``target`` says: once the round's messages are
        jobs and one job is in that state (or after a random delay for 'anywhere')."""
        self.fal.inference_seconds = self.rng.choice((0.02, 0.1, 0.3, 0.6))
        self.fal.queue_steps = self.rng.choice((0, 1, 2))
        if target == "delivering":  # every photo is taken at once and answered late
            self.tg.faults.append(TelegramFault("sendPhoto", delay=POST_DELAY, times=None))
        bot = await self.start()
        try:
            self.send_batch(round_, target)
            if target == "anywhere":  # half the time while the messages are handled
                await asyncio.sleep(self.rng.uniform(0.0, self.rng.choice((0.2, 2.5))))
            else:
                await asyncio.sleep(self.rng.uniform(0.2, 1.5))  # let the jobs move a little
                with contextlib.suppress(TimeoutError):
                    await until(lambda: self.saved(round_) and self.shown(target), TARGET_WAIT)
                await asyncio.sleep(self.rng.uniform(0.0, 0.3))
        finally:
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
        states = in_flight(self.db)
        self.landed.update(states.keys())
        self.posted_unconfirmed += bool(states.get("delivering", set()) & self.posted())
        self.fal.heal()  # the hung requests end; jobs left at fal finish normally
        self.tg.faults.clear()

    def saved(self, round_: int) -> bool:
        """Every message of the round is a job (so few messages die with the process)."""
        [(count,)] = rows(
            self.db,
            "SELECT COUNT(*) FROM jobs WHERE json_extract(request_json, '$.prompt')"
            f" LIKE 'crash loop round {round_} job %'",
        ) or [(0,)]
        return count == BATCH

    def shown(self, target: str) -> bool:
        jobs = in_flight(self.db).get(target, set())
        if target == "delivering":  # the photo is in the chat, Telegram's answer not sent
            return bool(jobs & self.posted())
        return bool(jobs)

    def posted(self) -> set[str]:
        """Ids of the jobs whose result Telegram has taken so far (read incrementally)."""
        calls = self.tg.calls
        self._posted.update(posts_per_job(calls[self._scanned :]))
        self._scanned = len(calls)
        return self._posted

    async def drain(self) -> int:
        """A clean run until every job has ended and every update is answered; SIGTERM.
        fal is healed again and again: a trigger word still hangs a job sent for the
        first time in this run."""
        bot = await self.start()
        try:
            await until(self.settled, 60, every=0.5)
        finally:
            bot.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(bot.wait(), 30)
        return code

    def settled(self) -> bool:
        """Every update fetched and confirmed, no job unfinished, nothing moving."""
        self.fal.heal()
        polls = self.tg.calls_of("getUpdates")
        confirmed = any(c.params.get("offset", 0) > self.last_update for c in polls)
        return confirmed and not in_flight(self.db) and self.quiet()

    def quiet(self) -> bool:
        """No job created or changed in the last second."""
        [(newest,)] = rows(self.db, "SELECT COALESCE(MAX(updated_at), 0) FROM jobs")
        return time.time() - float(newest or 0) > 1.0  # type: ignore[arg-type]


async def until(check: Callable[[], bool], timeout: float, every: float = 0.05) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(every)


@pytest.mark.slow
@pytest.mark.timeout(420)
async def test_sigkill_loop_loses_no_credit_and_repeats_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    async with FakeTelegram() as tg, FakeFal(slow_seconds=3.0) as fal:
        loop = CrashLoop(tmp_path, tg, fal, rng, [tg.user(uid) for uid in USER_IDS])
        for round_ in range(ROUNDS):
            await loop.round(round_, TARGETS[round_ % len(TARGETS)])
        assert await loop.drain() == 0
        posts = posts_per_job(tg.calls)
        submissions = list(fal.submissions)

    async with open_database(loop.db) as db:
        ledger = Ledger(db=db, initial_credits=INITIAL)
        store = JobStore(db=db, ledger=ledger)
        ids = [str(row[0]) for row in await db.fetchall("SELECT id FROM jobs")]
        jobs = {job.id: job for job in [await store.get(job_id) for job_id in ids] if job}
        assert await db.integrity_check() == "ok"
        assert await ledger.check() == []
        for uid in USER_IDS:
            user = UserRef(Platform.TELEGRAM, str(uid))
            balance, sums = await ledger.balance(user), await ledger.totals(user)
            assert balance.held == 0
            assert balance.available + balance.held + sums["captured"] == sums["granted"]
        settles = await db.fetchall(
            "SELECT job_id, COUNT(*) FROM ledger WHERE kind IN ('capture', 'release')"
            " GROUP BY job_id"
        )
    scan_logs(tmp_path, "run-*.log")  # every run's output, through the secret scan
    ends = Counter(str(job.error or job.state) for job in jobs.values())
    print(
        f"\ncrash loop: {ROUNDS} SIGKILLs over {loop.runs} runs in"
        f" {time.monotonic() - started:.0f} s; kills landed with jobs in {dict(loop.landed)};"
        f" {len(loop.prompts)} messages → {len(jobs)} jobs,"
        f" {len(submissions)} fal submissions; jobs ended: {dict(ends)};"
        f" {loop.posted_unconfirmed} kills came after Telegram took a photo, before its answer"
    )
    assert len(jobs) >= 200 and ROUNDS >= 20
    # every message became exactly one job, kills or not (the inbox keeps fetched updates)
    assert Counter(job.request.prompt for job in jobs.values()) == Counter(loop.prompts)
    assert all(job.state.terminal for job in jobs.values())
    assert {str(job_id): count for job_id, count in settles} == dict.fromkeys(jobs, 1)
    # fal: each job submitted at most once, under its own request id
    sent = Counter(str(s.payload["prompt"]) for s in submissions)
    assert max(sent.values()) == 1
    by_id = {s.request_id: str(s.payload["prompt"]) for s in submissions}
    for job in jobs.values():
        if job.request_id is not None:
            assert by_id[job.request_id] == job.request.prompt
    assert len({job.request_id for job in jobs.values() if job.request_id}) == len(
        [job for job in jobs.values() if job.request_id]
    )
    # Telegram: a delivered result was posted once; an ended one at most once, and only
    # when it was released because its post may have arrived
    for job in jobs.values():
        if job.state is JobState.DELIVERED:
            assert posts[job.id] == 1, job
        elif job.error == texts.FAIL_DELIVERY_UNSURE:
            assert posts[job.id] <= 1, job
        else:
            assert posts[job.id] == 0, job
    assert set(posts) <= set(jobs)
    # the kills landed in every state (the faults make each state last long enough)
    assert all(loop.landed[state] for state in KILL_STATES), loop.landed
    assert loop.posted_unconfirmed > 0
