"""pytest helpers: the real fal_client and FalProvider pointed at a FakeFal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import fal_client.client
import httpx
import pytest

from providers.fal import FalOptions, FalProvider, point_fal_client_at
from tests.fakes.fal_server.server import FakeFal
from tests.fakes.record_registry import REGISTRY

TEST_FAL_KEY = "test-fal-key-SECRET"
REGISTRY.fal_key(TEST_FAL_KEY)


def keep_fal_client_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """fal-client's module URLs (which build_app and tests point at a fake) are put back
    as they were after the test."""
    for name in ("QUEUE_URL_FORMAT", "REST_URL", "CDN_URL"):
        monkeypatch.setattr(fal_client.client, name, getattr(fal_client.client, name))


def fast_fal_client_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make fal-client's own retry back-off ~1 ms (its async delays are hard-coded)."""
    monkeypatch.setattr(fal_client.client, "_get_retry_delay", lambda *args, **kwargs: 0.001)


@asynccontextmanager
async def make_fal_provider(fal: FakeFal, **options: Any) -> AsyncIterator[FalProvider]:
    """A FalProvider with a real fal_client.AsyncClient pointed at ``fal`` (restored after)."""
    module = fal_client.client
    saved = (module.QUEUE_URL_FORMAT, module.REST_URL, module.CDN_URL)
    point_fal_client_at(fal.queue_url, fal.rest_url, fal.cdn_url)
    client = fal_client.AsyncClient(key=TEST_FAL_KEY)
    try:
        async with httpx.AsyncClient() as http:
            provider = FalProvider(
                fal=client, http=http, key=TEST_FAL_KEY, options=FalOptions(**options)
            )
            yield provider
    finally:
        point_fal_client_at(*saved)
        if "_client" in vars(client):  # fal-client caches its httpx client; close it
            await (await client._client).aclose()
