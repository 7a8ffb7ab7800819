"""Fixtures for provider tests: a FakeFal, a FalProvider wired to it, captured logs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from loguru import logger

from providers.fal import FalProvider
from records import Progress
from tests.fakes.fal_server import FakeFal, fast_fal_client_retries, make_fal_provider

#: Options that keep the suite fast; each test overrides what it is about.
FAST = {"poll_interval": 0.05, "submit_retry_wait": 0.01, "download_timeout": 2.0}


class Updates:
    """An ``on_update`` callback that records what it was told."""

    def __init__(self) -> None:
        self.seen: list[Progress] = []

    async def __call__(self, progress: Progress) -> None:
        self.seen.append(progress)


@pytest.fixture(autouse=True)
def _fast_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_fal_client_retries(monkeypatch)


@pytest.fixture
async def fal() -> AsyncIterator[FakeFal]:
    async with FakeFal(inference_seconds=0.05, queue_steps=1) as fake:
        yield fake


@pytest.fixture
async def provider(fal: FakeFal) -> AsyncIterator[FalProvider]:
    async with make_fal_provider(fal, **FAST) as made:
        yield made


@pytest.fixture
def updates() -> Updates:
    return Updates()


@pytest.fixture
def logs() -> Iterator[list[str]]:
    """Every loguru message (formatted, with extra) emitted during the test."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    yield lines
    logger.remove(sink)
