"""Provider faults (issue 5, item 3): every way fal can fail, each its own test, through the
real core, the real fal_client and FakeFal.

Every row checks the same four promises:

1. the user gets one clear failure message (the row's reason, "credits were returned"),
   within the job deadline (a hang: right after it);
2. the credits are released: the balance is whole again, the ledger shows hold → release,
   and the ledger's own consistency check passes;
3. the bot keeps serving: the next job from the same user is delivered;
4. no unhandled exception reaches the log (no traceback, no "Unhandled", no ERROR that
   something failed "unexpectedly").

Rows with a trigger word ``fault:<name>*N`` fail the first N submissions of that prompt;
``*60`` is more than every retry and fallback together, so the fault lasts for the job.

Timing: ``limits.job_deadline`` bounds the time a job spends at fal (status and result);
the submit retry budget and the image download timeout come on top of it (in production
20 s and 30 s, FalOptions defaults). Here they are 1 s and 0.5 s, so every message must
arrive within the 2 s deadline of the whole job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.core import texts
from records import Job, JobState
from tests.fakes.fal_server import FakeFal
from tests.harness import Core, RecordingNotifier, core_stack
from tests.reliability.conftest import LogCapture

DEADLINE = 2.0
GRACE = 1.5  # after the deadline: cancelling at fal and telling the user
#: Short retry and download budgets, so a fault ends well within DEADLINE.
FAST: dict[str, Any] = {
    "submit_retry_seconds": 1.0,
    "submit_retry_wait": 0.01,
    "download_timeout": 0.5,
}
TEXT_ENDPOINTS = {"fal-ai/flux-lora", "fal-ai/flux/schnell"}


@dataclass
class TimedNotifier(RecordingNotifier):
    """Records when each failure message reached the user."""

    failed_at: dict[str, float] = field(default_factory=dict)

    async def failed(self, job: Job, message: str) -> None:
        self.failed_at.setdefault(job.id, time.monotonic())
        await super().failed(job, message)


Check = Callable[[FakeFal, Job], None]


def never_accepted(fal: FakeFal, job: Job) -> None:
    """A submit fault: fal never took the request, on any endpoint of the chain."""
    assert fal.submissions == [] and job.request_id is None
    posts = [r for r in fal.requests if r.method == "POST" and r.path.lstrip("/") in TEXT_ENDPOINTS]
    assert {r.path.lstrip("/") for r in posts} == TEXT_ENDPOINTS  # the fallback was tried too


def refused_without_fallback(fal: FakeFal, job: Job) -> None:
    """422: fal's detail reaches the user; a refused input is not tried on another model."""
    assert fal.submissions == []
    posts = [r.path for r in fal.requests if r.method == "POST"]
    assert posts == ["/fal-ai/flux-lora"]


def submitted_once(fal: FakeFal, job: Job) -> None:
    """A fault after fal accepted the request: never submitted a second time."""
    assert [s.request_id for s in fal.submissions] == [job.request_id]


def flagged_not_fetched(fal: FakeFal, job: Job) -> None:
    """Flagged images are neither downloaded nor posted."""
    submitted_once(fal, job)
    assert sum(fal.file_reads.values()) == 0


def cancelled_at_fal(fal: FakeFal, job: Job) -> None:
    """Past the deadline the request is cancelled at fal, so nobody pays for it there."""
    submitted_once(fal, job)
    assert fal.cancels == [job.request_id]


@dataclass(frozen=True)
class Case:
    trigger: str
    reason: str
    check: Check
    past_deadline: bool = False


CASES = {
    "submit-500": Case("500*60", texts.FAIL_UNAVAILABLE, never_accepted),
    "submit-502-proxy": Case("502*60", texts.FAIL_UNAVAILABLE, never_accepted),
    "submit-503": Case("503*60", texts.FAIL_UNAVAILABLE, never_accepted),
    "submit-429-storm": Case("submit_429*60", texts.FAIL_UNAVAILABLE, never_accepted),
    "submit-422": Case(
        "422",
        texts.FAIL_REJECTED.format(detail="num_images: Input should be less than or equal to 4"),
        refused_without_fallback,
    ),
    "completed-with-error": Case("completed_with_error", texts.FAIL_NO_RESULT, submitted_once),
    "no-images": Case("no_images", texts.FAIL_NO_RESULT, submitted_once),
    "nsfw": Case("nsfw", texts.FAIL_FLAGGED, flagged_not_fetched),
    "image-404": Case("image_404", texts.FAIL_NO_RESULT, submitted_once),
    "image-timeout": Case("image_hang", texts.FAIL_NO_RESULT, submitted_once),
    "status-hang": Case(
        "status_hang",
        texts.FAIL_TIMED_OUT.format(seconds=round(DEADLINE)),
        cancelled_at_fal,
        past_deadline=True,
    ),
    "result-expired": Case("result_expired", texts.FAIL_NO_RESULT, submitted_once),
    "fal-cancelled": Case("fal_cancelled", texts.FAIL_CANCELLED, submitted_once),
}


async def balance(core: Core) -> tuple[int, int]:
    found = await core.ledger.balance(core.caller().user)
    return found.available, found.held


def kinds(entries: Sequence[Any]) -> list[str]:
    return [entry.kind for entry in entries]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_a_provider_fault_is_refunded_explained_and_survived(
    tmp_path: Path, fal: FakeFal, logs: LogCapture, case: Case
) -> None:
    notifier = TimedNotifier()
    async with core_stack(tmp_path, fal, notifier=notifier, deadline=DEADLINE, **FAST) as core:
        started = time.monotonic()
        reply = await core.say(f"/imagine a fox fault:{case.trigger}")
        assert reply.ok, reply.text
        await core.idle(timeout=DEADLINE + 5)
        job = await core.jobs.get(reply.job.id)
        assert job is not None and job.state is JobState.FAILED

        # 1. one clear message, in time
        [message] = core.notifier.of(job.id, "failed")
        assert message == texts.FAILED_PREFIX.format(job_id=job.id, reason=case.reason, cost=2)
        assert core.notifier.of(job.id, "delivered") == []
        took = notifier.failed_at[job.id] - started
        limit = DEADLINE + GRACE if case.past_deadline else DEADLINE
        assert took < limit, f"the user heard after {took:.2f}s"
        if case.past_deadline:
            assert took >= DEADLINE
        case.check(fal, job)

        # 2. credits released, once
        assert await balance(core) == (10, 0)
        entries = await core.ledger.entries(core.caller().user, 10)
        assert kinds(entries) == ["release", "hold", "grant"]
        assert await core.ledger.check() == []

        # 3. the bot keeps serving
        following = await core.say("/imagine a calm lake")
        await core.idle()
        after = await core.jobs.get(following.job.id)
        assert after is not None and after.state is JobState.DELIVERED
        assert await balance(core) == (8, 0)

    # 4. nothing escaped
    assert logs.lines, "the log capture saw nothing: is the sink wired?"
    assert logs.problems() == []


async def test_the_log_check_catches_an_exception_that_escaped(
    tmp_path: Path, fal: FakeFal, logs: LogCapture
) -> None:
    """The check above has teeth: a chat platform blowing up mid-delivery is caught by the
    core (credits back, the user told) but logged with its traceback, and flagged here."""
    async with core_stack(tmp_path, fal, notifier=RecordingNotifier(explode=True)) as core:
        reply = await core.say("/imagine a fox")
        await core.idle()
        [message] = core.notifier.of(reply.job.id, "failed")
        assert texts.FAIL_DELIVERY in message and await balance(core) == (10, 0)
    assert [p for p in logs.problems() if "chat platform exploded" in p]
