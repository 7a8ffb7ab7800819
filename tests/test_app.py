"""App.run: the runner (which delivers jobs recovered at start) waits for the front ends."""

import asyncio
import contextlib
from typing import Any

import pytest

import bot.app
from bot.app import App


class SlowFrontEnd:
    def __init__(self) -> None:
        self.ready = asyncio.Event()

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def wait_ready(self) -> None:
        await self.ready.wait()


class Runner:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def run(self) -> None:
        self.started.set()
        await asyncio.Event().wait()


def app_with(front: SlowFrontEnd, runner: Runner) -> App:
    nothing: Any = None
    return App(
        runner=runner,
        router=nothing,
        service=nothing,
        ledger=nothing,
        jobs=nothing,
        front_ends=[front],
    )  # type: ignore[arg-type]


async def test_the_runner_starts_once_the_front_ends_are_ready() -> None:
    front, runner = SlowFrontEnd(), Runner()
    task = asyncio.create_task(app_with(front, runner).run())
    await asyncio.sleep(0.1)
    assert not runner.started.is_set()
    front.ready.set()
    await asyncio.wait_for(runner.started.wait(), 1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_front_end_that_never_gets_ready_delays_the_runner_only_so_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.app, "READY_TIMEOUT", 0.1)
    front, runner = SlowFrontEnd(), Runner()
    task = asyncio.create_task(app_with(front, runner).run())
    await asyncio.wait_for(runner.started.wait(), 1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
