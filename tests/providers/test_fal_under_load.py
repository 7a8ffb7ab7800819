"""FalProvider's load-bearing details: bounded short requests, streams on their own client,
and a quiet status stream opened again rather than replaced by polling."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from providers.fal import FalOptions, FalProvider
from records import GeneratedImage, ImageRequest
from tests.fakes.fal_server import TEST_FAL_KEY, FakeFal, Fault, make_fal_provider
from tests.fakes.images import png_bytes
from tests.providers.conftest import FAST, Updates

REQUEST = ImageRequest(prompt="a red fox")


async def test_at_most_parallel_requests_downloads_at_once(fal: FakeFal) -> None:
    async with make_fal_provider(fal, **FAST | {"parallel_requests": 2}) as provider:
        urls = [fal.add_file(png_bytes(), "image/png", Fault.IMAGE_HANG) for _ in range(5)]
        images = [GeneratedImage(url, 16, 12) for url in urls]
        downloads = [asyncio.create_task(provider.download(image)) for image in images]
        await asyncio.sleep(0.3)
        assert sum(fal.file_reads.values()) == 2  # the other three wait for a slot
        for download in downloads:
            download.cancel()
        await asyncio.gather(*downloads, return_exceptions=True)


def test_parallel_requests_and_stream_idle_must_be_positive() -> None:
    with pytest.raises(ValueError, match="parallel_requests"):
        FalOptions(parallel_requests=0)
    with pytest.raises(ValueError, match="stream_idle_timeout"):
        FalOptions(stream_idle_timeout=0)


async def test_status_streams_use_their_own_client(fal: FakeFal, updates: Updates) -> None:
    seen: Counter[str] = Counter()

    async def note(request: httpx.Request) -> None:
        seen["stream" if request.url.path.endswith("/stream") else "other"] += 1

    async with (
        make_fal_provider(fal, **FAST) as provider,
        httpx.AsyncClient(event_hooks={"request": [note]}) as streams,
    ):
        separate = FalProvider(
            fal=provider._fal,
            http=provider._results._http,
            key=TEST_FAL_KEY,
            options=FalOptions(**FAST),
            streams=streams,
        )
        submission = await separate.submit(REQUEST)
        await separate.wait(submission, updates)
    assert seen == {"stream": 1}  # the result was read by the other client


async def test_a_quiet_stream_is_opened_again_not_polled(updates: Updates) -> None:
    async with (
        FakeFal(inference_seconds=0.8) as fal,
        make_fal_provider(fal, **FAST | {"stream_idle_timeout": 0.25}) as provider,
    ):
        submission = await provider.submit(REQUEST)
        result = await provider.wait(submission, updates)
        rid = submission.request_id
        assert result.images
        assert fal.status_reads[rid] == 0
        assert 2 <= fal.stream_reads[rid] <= 5  # one per quiet 0.25 s, not a poll each 0.05 s
