"""Per-user request rate limits (aiolimiter leaky buckets), refused rather than waited on."""

from __future__ import annotations

from collections import OrderedDict

from aiolimiter import AsyncLimiter

from bot.core import texts
from bot.core.errors import UserError
from bot.core.models import UserRef


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
