"""Round-robin waiting line: one queue per user, users served in turn.

A heavy user's 20 jobs wait behind everybody else's next one, so a light user's single job
starts after at most one job of each other waiting user.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from itertools import zip_longest


class FairQueue:
    """Job ids waiting to run, grouped by user key."""

    def __init__(self) -> None:
        self._users: OrderedDict[str, deque[str]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(jobs) for jobs in self._users.values())

    def __contains__(self, job_id: object) -> bool:
        return any(job_id in jobs for jobs in self._users.values())

    def push(self, user: str, job_id: str) -> None:
        self._users.setdefault(user, deque()).append(job_id)

    def pop(self) -> str | None:
        """The next job: the first waiting user's oldest job; that user goes to the back."""
        if not self._users:
            return None
        user, jobs = next(iter(self._users.items()))
        job_id = jobs.popleft()
        del self._users[user]
        if jobs:
            self._users[user] = jobs
        return job_id

    def remove(self, job_id: str) -> bool:
        for user, jobs in self._users.items():
            if job_id in jobs:
                jobs.remove(job_id)
                if not jobs:
                    del self._users[user]
                return True
        return False

    def order(self, limit: int | None = None) -> list[str]:
        """Job ids in the order they will start (first ``limit`` only)."""
        rounds = zip_longest(*self._users.values())
        ordered = [job for round_ in rounds for job in round_ if job is not None]
        return ordered[:limit] if limit is not None else ordered
