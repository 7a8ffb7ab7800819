"""Per-user request rate limits (aiolimiter leaky buckets), refused rather than waited on,
and the double-tap guard on result buttons."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from aiolimiter import AsyncLimiter

from bot.core import texts
from bot.core.errors import UserError
from records import Job, UserRef

TAP_WINDOW = 3.0  # seconds in which a second press of the same button is the same request


class RateLimiter:
    """At most ``per_minute`` generation requests per user; the least recent users are
    forgotten past ``max_users`` so memory stays bounded."""

    def __init__(self, *, per_minute: int, max_users: int = 10_000) -> None:
        self._per_minute = per_minute
        self._max_users = max_users
        self._buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def check(self, user: UserRef) -> None:
        """Take one request from the user's bucket, or refuse with a clear message."""
        bucket = self._buckets.pop(user.key, None) or AsyncLimiter(self._per_minute, 60)
        self._buckets[user.key] = bucket
        if len(self._buckets) > self._max_users:
            self._buckets.popitem(last=False)
        if not bucket.has_capacity():
            raise UserError(texts.RATE_LIMITED)
        await bucket.acquire()  # capacity is there, so this does not wait


class TapGuard:
    """One job per button press within ``window`` seconds.

    A double tap reaches the bot as two presses with their own event ids, so the event
    dedupe cannot see it; without this it would start (and charge) two jobs. The second
    press within the window gets the first one's job, marked not new; a press whose job
    could not be made (a refusal) leaves nothing behind, so the next press tries afresh.
    """

    def __init__(
        self, *, window: float = TAP_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window
        self._clock = clock
        self._recent: dict[Hashable, tuple[float, asyncio.Task[tuple[Job, bool]]]] = {}

    async def once(
        self, key: Hashable, start: Callable[[], Awaitable[tuple[Job, bool]]]
    ) -> tuple[Job, bool]:
        """``start()``'s job, or the job the same ``key`` started within the window."""
        now = self._clock()
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] < self._window}
        if key in self._recent:
            job, _ = await asyncio.shield(self._recent[key][1])
            return job, False
        task = asyncio.ensure_future(start())
        self._recent[key] = (now, task)
        task.add_done_callback(lambda done: self._forget_failed(key, done))
        return await asyncio.shield(task)  # a cancelled caller must not undo a held job

    def _forget_failed(self, key: Hashable, task: asyncio.Task[tuple[Job, bool]]) -> None:
        if (task.cancelled() or task.exception() is not None) and (
            self._recent.get(key, (0.0, None))[1] is task
        ):
            del self._recent[key]
