"""Inbox: fetched chat updates kept until handled, skipped when delivered again."""

from __future__ import annotations

from storage.db import Database
from storage.inbox import KEEP_HANDLED, Inbox


async def test_updates_are_kept_until_handled_and_a_handled_one_is_not_handed_out_again(
    db: Database,
) -> None:
    inbox = Inbox(db=db, platform="telegram")
    assert await inbox.receive([(1, "one"), (2, "two")]) == {1, 2}
    await inbox.handled(1)
    assert await inbox.unhandled() == [(2, "two")]
    # Telegram delivers 1 and 2 again (offset not confirmed), and 3 for the first time
    assert await inbox.receive([(1, "one"), (2, "two"), (3, "three")]) == {2, 3}
    assert await inbox.unhandled() == [(2, "two"), (3, "three")]
    assert await Inbox(db=db, platform="discord").unhandled() == []  # per platform


async def test_handled_updates_are_forgotten_after_two_days(db: Database) -> None:
    """Telegram may reuse update ids after a quiet week: an old id must not hide a new one."""
    now = 1_800_000_000.0
    inbox = Inbox(db=db, platform="telegram", clock=lambda: now)
    await inbox.receive([(7, "old")])
    await inbox.handled(7)
    now += KEEP_HANDLED - 60
    assert await inbox.receive([(7, "old")]) == set()
    now += 120
    assert await inbox.receive([(7, "new")]) == {7}
    assert await inbox.unhandled() == [(7, "new")]
