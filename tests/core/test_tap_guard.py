"""TapGuard: a second press of one button within the window is the first press's job."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.core.limits import TapGuard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_window_ends_and_keys_are_separate() -> None:
    clock = Clock()
    guard = TapGuard(window=3.0, clock=clock)
    made: list[str] = []

    def start(name: str) -> Any:
        async def make() -> tuple[Any, bool]:
            made.append(name)
            await asyncio.sleep(0)
            return name, True

        return make

    assert await guard.once("r:a", start("first")) == ("first", True)
    clock.now += 2.9
    assert await guard.once("r:a", start("second")) == ("first", False)
    assert await guard.once("r:b", start("other")) == ("other", True)
    clock.now += 0.2  # 3.1 s after the first press
    assert await guard.once("r:a", start("third")) == ("third", True)
    assert made == ["first", "other", "third"]
