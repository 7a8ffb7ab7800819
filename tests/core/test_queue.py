"""FairQueue: round-robin between users so a heavy user cannot starve a light one."""

from bot.core.queue import FairQueue


def test_light_user_starts_after_one_job_of_the_heavy_user() -> None:
    queue = FairQueue()
    for i in range(20):
        queue.push("heavy", f"h{i}")
    queue.push("light", "l0")
    assert queue.pop() == "h0"
    assert queue.pop() == "l0"
    assert queue.pop() == "h1"
    assert len(queue) == 18


def test_order_matches_pop_order_and_remove() -> None:
    queue = FairQueue()
    for user, job in [("a", "a1"), ("a", "a2"), ("b", "b1"), ("c", "c1"), ("c", "c2")]:
        queue.push(user, job)
    assert queue.order() == ["a1", "b1", "c1", "a2", "c2"]
    assert queue.remove("c1") and not queue.remove("zz")
    expected = queue.order()
    assert [queue.pop() for _ in range(len(expected))] == expected
    assert queue.pop() is None
    assert "a1" not in queue
