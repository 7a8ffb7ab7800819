"""Fixtures for core tests: a FakeFal server and fal-client retries made fast."""

from collections.abc import AsyncIterator

import pytest

from tests.fakes.fal_server import FakeFal, fast_fal_client_retries


@pytest.fixture
async def fal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeFal]:
    fast_fal_client_retries(monkeypatch)
    async with FakeFal(inference_seconds=0.05, queue_steps=2) as fake:
        yield fake
